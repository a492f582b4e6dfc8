"""Writing what analysts get: export files (CSV, JSON lines, Parquet, XLSX) and standard output.

A plain module (no click, no Scrapy): ``linfen export`` calls :func:`export_file` or :func:`export_stdout`, and
every command that prints to standard output is wrapped in :func:`pipe_safe` (issues 14.5 and 15.2).

- Every write, flush and close is checked; a failure raises :class:`OutputError` with one line naming the file
  and the cause. A regular file is written as ``FILE.part`` beside it, flushed to disk and renamed over FILE
  only when complete, so a failed or interrupted export leaves neither a partial file nor a changed old one.
  A device or a pipe (``/dev/null``, ``/dev/full``, a FIFO, ``>(gzip > x.gz)``) is written in place: there is
  nothing to rename (renaming over ``/dev/full`` as root would replace the device with a file).
- A closed pipe (``linfen export -o - | head``) ends the command quietly with exit status 141, what the shell
  reports for a tool that SIGPIPE stopped (``yes | head``).

The format writers are generators over row iterators that yield the running count (for the progress bar).
"""

from __future__ import annotations

import codecs
import csv
import errno
import functools
import io
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from json.encoder import encode_basestring as _encode_str  # json.dumps' own str encoder (C)
from pathlib import Path
from typing import IO, Any, AnyStr, BinaryIO, TextIO

from linfen_crawler.storage import ARTICLE_COLUMNS, JSON_COLUMNS

EXPORT_COLUMNS = (*ARTICLE_COLUMNS, "duplicate_of")  # the default --columns; `day` may be asked for too
LIST_SEPARATOR = "、"
NAME_LISTS = ("authors", "editors")  # lists of names: one CSV/XLSX cell joined with 、 (王长波、李四)
BROKEN_PIPE_EXIT = 141  # 128 + SIGPIPE, as the shell reports `yes | head`
XLSX_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows per sheet, less the header
XLSX_MAX_CHARS = 32_767  # Excel's limit on one cell's text


class OutputError(Exception):
    """A write that failed: one line naming the file and the cause (exit 1)."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


# -- standard output -----------------------------------------------------------------------------------
def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's last flush of what is still buffered cannot
    fail again (Python's documented recipe for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test runner's buffer): nothing to silence
        pass
    finally:
        os.close(devnull)


def pipe_safe(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command that prints to standard output: flush it before returning, so a failed write is seen
    here and not in the interpreter's exit; a closed pipe exits 141 quietly; any other failed write to
    standard output (``> /dev/full``) prints one line and exits 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = func(*args, **kwargs)
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
            raise SystemExit(BROKEN_PIPE_EXIT) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _silence_stdout()
                raise SystemExit(BROKEN_PIPE_EXIT) from None
            _silence_stdout()
            print(f"Error: cannot write standard output: {_reason(exc)}", file=sys.stderr)
            raise SystemExit(1) from None
        return result

    return wrapper


# -- value conversion ----------------------------------------------------------------------------------
def csv_value(column: str, value: Any) -> Any:
    """A decoded JSON column as one CSV/XLSX cell: lists of names joined with 、, anything else (images, a list
    of objects; extractor, an object) as JSON."""
    if column in NAME_LISTS and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return LIST_SEPARATOR.join(value)
    return json.dumps(value, ensure_ascii=False)


@functools.lru_cache(maxsize=8192)  # author and editor lists repeat a lot: decode each distinct one once
def _joined_names(raw: str | bytes) -> str:
    """A stored list of names (JSON, as str or UTF-8 bytes) as one cell's text."""
    return str(csv_value("authors", json.loads(raw)))


def _cell(column: str, raw: Any) -> Any:
    """A stored JSON column (as stored, a JSON string) as one cell: names joined with 、, others kept as stored
    (JSON written with ensure_ascii=False, so Chinese stays readable)."""
    if raw is None or column not in NAME_LISTS:
        return raw
    return _joined_names(raw)


_NEEDS_QUOTES = re.compile(rb'[",\r\n]').search  # for short fields: one C call where find() would take four
SHORT_FIELD = 128  # bytes: below, a field is checked with _NEEDS_QUOTES (the same µs a row from 64 to 256)


def _csv_field(value: Any) -> bytes:
    """One CSV field's UTF-8 bytes exactly as :func:`csv.writer` (the excel dialect) writes it: quoted when it
    holds a quote, a comma or a line break, quotes doubled; None empty; numbers as ``str`` (an empty field alone
    on its row is quoted by :func:`write_csv`). ``bytes`` are UTF-8 text (:meth:`Dataset.iter_article_tuples`
    with ``utf8=True``)."""
    if value.__class__ is not bytes:
        if value is None:
            return b""
        value = (value if value.__class__ is str else str(value)).encode()
    # find(), not ``in``: ``b'"' in value`` first tries the needle as an int and clears the TypeError
    if value.find(b'"') >= 0:
        return b'"' + value.replace(b'"', b'""') + b'"'
    if value.find(b",") >= 0 or value.find(b"\n") >= 0 or value.find(b"\r") >= 0:
        return b'"' + value + b'"'
    return value


WRITE_ROWS = 50  # rows joined into one write: a few hundred KB at most, so memory stays flat at any size
PROGRESS_ROWS = 1000  # rows between two counts yielded to the progress bar (a multiple of WRITE_ROWS)


def write_csv(rows: Iterable[tuple[Any, ...]], fh: BinaryIO, columns: list[str]) -> Iterator[int]:
    """Write rows (tuples in ``columns`` order, JSON columns as stored; text as ``str`` or UTF-8 ``bytes``) as
    UTF-8 CSV to the binary file ``fh``; yields the count so far after every :data:`PROGRESS_ROWS` rows and once
    at the end.

    The bytes are those of :func:`csv.writer` (the excel dialect: ``\\r\\n`` line ends, minimal quoting), encoded
    as UTF-8, but a row is joined here from :func:`_csv_field` and :data:`WRITE_ROWS` rows go to the file in one
    write (issue 16): ``writerow`` copies every character of a body one at a time in its C loop, and with the
    text read as bytes nothing is decoded or encoded on the way. A field is checked with a regular expression
    when short and with ``find`` (memchr) when long, where the regular expression would walk a long body."""
    header = io.StringIO()
    csv.writer(header).writerow(columns)
    fh.write(header.getvalue().encode())
    names = [i for i, c in enumerate(columns) if c in NAME_LISTS]
    field, quotes = _csv_field, _NEEDS_QUOTES
    if len(columns) == 1:  # csv.writer quotes an empty field alone on its row
        lines: Iterator[bytes] = (field(_joined_row(row, names)[0] if names else row[0]) or b'""' for row in rows)
    else:
        lines = (b",".join([v if v.__class__ is bytes and len(v) < SHORT_FIELD and quotes(v) is None else field(v)
                            for v in (_joined_row(row, names) if names else row)]) for row in rows)
    yield from _write_lines(fh, lines, b"\r\n")


def _write_lines(fh: IO[AnyStr], lines: Iterable[AnyStr], end: AnyStr) -> Iterator[int]:
    """Write ``lines``, each followed by ``end``, :data:`WRITE_ROWS` to one write; yields the count so far after
    every :data:`PROGRESS_ROWS` lines and once at the end."""
    batch: list[AnyStr] = []
    n = 0
    for line in lines:
        batch.append(line)
        n += 1
        if n % WRITE_ROWS == 0:
            batch.append(end[:0])  # the line end of the last line
            fh.write(end.join(batch))
            batch.clear()
            if n % PROGRESS_ROWS == 0:
                yield n
    if batch:
        batch.append(end[:0])
        fh.write(end.join(batch))
    yield n


def _joined_row(row: tuple[Any, ...], names: list[int]) -> list[Any]:
    """``row`` with its lists of names (stored JSON) joined with 、 for one cell each, as UTF-8 bytes."""
    values = list(row)
    for i in names:
        if values[i] is not None:
            values[i] = _joined_names(values[i]).encode()
    return values


def _json_scalar(value: Any) -> str:
    """A stored value as :func:`json.dumps` with ``ensure_ascii=False`` writes it (a str through the same C
    encoder ``json.dumps`` uses)."""
    if value.__class__ is str:
        return _encode_str(value)
    if value is None:
        return "null"
    return json.dumps(value)  # a number (a BLOB raises TypeError, as json.dumps of the whole row did)


@functools.lru_cache(maxsize=4096)  # author, editor and extractor values repeat a lot: decode each distinct one once
def _json_column(raw: str) -> str:
    return json.dumps(json.loads(raw), ensure_ascii=False)


def _json_stored(value: Any) -> str:
    """A JSON column as stored (a JSON string) as it appears in the line: decoded and written again, so the
    spacing is json.dumps' whatever the stored text used."""
    if value.__class__ is str:
        return _json_column(value)
    return _json_scalar(value)


def write_jsonl(rows: Iterable[tuple[Any, ...]], fh: TextIO, columns: list[str]) -> Iterator[int]:
    """Write rows (tuples in ``columns`` order, JSON columns as stored) as JSON lines: one object per row with
    the columns as keys in order and the JSON columns decoded, byte for byte what
    ``json.dumps(dict(zip(columns, row)), ensure_ascii=False)`` writes for a decoded row. Each line is joined
    here (no dict, no json.loads of the columns per row, :data:`WRITE_ROWS` lines per write): twice as fast
    (issue 16). Yields the count so far after every :data:`PROGRESS_ROWS` rows and once at the end."""
    keys = ["{" + _encode_str(columns[0]) + ": ", *(", " + _encode_str(c) + ": " for c in columns[1:])]
    convert = [_json_stored if c in JSON_COLUMNS else _json_scalar for c in columns]
    yield from _write_lines(fh, ("".join([k + f(v) for k, f, v in zip(keys, convert, row, strict=True)])
                                 for row in rows), "}\n")


def write_parquet(rows: Iterable[dict[str, Any]], path: Path, columns: list[str],
                  batch: int = 5_000) -> Iterator[int]:
    """Write rows as Parquet in row groups of ``batch`` rows (constant memory); lists stay lists."""
    import pyarrow as pa  # the [analyst] extra; the command checks it is there first
    import pyarrow.parquet as pq

    types = {"run_id": pa.int64(), "authors": pa.list_(pa.string()), "editors": pa.list_(pa.string()),
             "images": pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())]))}
    schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
    n = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            for key in ("extractor", "position"):  # objects: JSON text (issue 17: an e-paper article's position)
                if key in row and row[key] is not None:
                    row[key] = json.dumps(row[key], ensure_ascii=False)
            if row.get("images"):
                row["images"] = [{"url": i.get("url"), "caption": i.get("caption")} for i in row["images"]]
            chunk.append(row)
            if len(chunk) >= batch:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                n += len(chunk)
                chunk = []
                yield n
        if chunk or n == 0:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            n += len(chunk)
    yield n


# -- XLSX ----------------------------------------------------------------------------------------------
# column widths in characters (Chinese characters count about two); long text columns are cut on screen only
XLSX_WIDTHS = {"url": 48, "site": 12, "site_name": 12, "section": 10, "title": 40, "published_at": 19,
               "published_text": 22, "source": 14, "authors": 14, "editors": 10, "body": 60, "images": 30,
               "content_hash": 18, "first_seen_at": 19, "crawled_at": 19, "run_id": 7, "extractor": 20,
               "removed_at": 19, "duplicate_of": 40, "day": 11, "edition_date": 11, "page_no": 7, "page_name": 10,
               "kicker": 24, "subtitle": 24, "position": 24}
# typed date/datetime cells
XLSX_TIMES = ("published_at", "first_seen_at", "crawled_at", "removed_at", "day", "edition_date")


def _parse_time(text: str) -> date | datetime | None:
    """``2024-05-01T08:30:00+08:00`` → the naive wall-clock datetime (the offset is dropped: Excel has no time
    zones; published_at is always +08:00, crawl times +00:00); ``2024-05-01`` → a date."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def write_xlsx(rows: Iterable[tuple[Any, ...]], path: Path, columns: list[str], stats: dict[str, int] | None = None
               ) -> Iterator[int]:
    """Write rows (tuples in ``columns`` order, JSON columns as stored) as one XLSX worksheet with XlsxWriter in
    ``constant_memory`` mode: each row goes to disk as it is written, so memory stays flat at any size.

    Times are typed cells (a date when only the day is known, else a datetime, with a number format), run_id
    a number, everything else text (never a formula or an auto-detected link); the header row is bold and
    frozen, with an autofilter. ``stats["cut_cells"]`` counts texts cut at Excel's 32,767-character limit."""
    # the rows go to a temporary file beside the workbook (not /tmp, often small or in memory), removed in the end
    import tempfile  # here: with shutil, bz2 and lzma it is 11 ms of every start of search, stats and export

    with tempfile.TemporaryDirectory(prefix=".linfen-xlsx-", dir=path.parent) as rows_dir:
        yield from _write_xlsx(rows, path, columns, stats, rows_dir)


def _write_xlsx(rows: Iterable[tuple[Any, ...]], path: Path, columns: list[str], stats: dict[str, int] | None,
                rows_dir: str) -> Iterator[int]:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": rows_dir,
                                           "strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    try:
        sheet = book.add_worksheet("articles")
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1})
        as_datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        as_date = book.add_format({"num_format": "yyyy-mm-dd"})
        for i, col in enumerate(columns):
            sheet.set_column(i, i, XLSX_WIDTHS.get(col, 16))
        sheet.freeze_panes(1, 0)
        for i, col in enumerate(columns):
            sheet.write_string(0, i, col, header)
        times = {i for i, c in enumerate(columns) if c in XLSX_TIMES}
        numbers = {i for i, c in enumerate(columns) if c == "run_id"}
        cells = [_cell if c in JSON_COLUMNS else None for c in columns]
        cut = 0
        n = 0
        for r, row in enumerate(rows, start=1):
            if r > XLSX_MAX_ROWS:
                raise OutputError(f"an XLSX sheet holds at most {XLSX_MAX_ROWS:,} rows; export fewer rows "
                                  "(--site, --since, --until) or use --format csv or parquet")
            for i, value in enumerate(row):
                if value is None:
                    continue
                if i in times:
                    when = _parse_time(value)
                    if when is not None:
                        if isinstance(when, datetime):
                            sheet.write_datetime(r, i, when, as_datetime)
                        else:
                            sheet.write_datetime(r, i, when, as_date)
                        continue
                elif i in numbers:
                    sheet.write_number(r, i, value)
                    continue
                to_cell = cells[i]
                text = str(to_cell(columns[i], value) if to_cell else value)
                if len(text) > XLSX_MAX_CHARS:
                    cut += 1
                sheet.write_string(r, i, text)
            n += 1
            if n % 1000 == 0:
                yield n
        sheet.autofilter(0, 0, n, len(columns) - 1)
        if stats is not None:
            stats["cut_cells"] = cut
    except BaseException:
        book.fileclosed = True  # do not write a half workbook when the workbook object is collected
        raise
    book.close()
    yield n


# -- files ---------------------------------------------------------------------------------------------
def is_special_file(path: str) -> bool:
    """True for an existing device, FIFO or socket (following symlinks): written in place, never renamed."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _sync(path: Path) -> None:
    """Flush a finished file to disk, so an error the disk reports late (quota, NFS) is seen before the rename."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _drain(steps: Iterator[int]) -> int:
    n = 0
    for n in steps:  # noqa: B007 - the last count is the result
        pass
    return n


def _close(rows: Iterable[Any]) -> None:
    close = getattr(rows, "close", None)  # a generator over a cursor: end it while the database is open
    if close is not None:
        close()


def export_file(rows: Iterable[Any], fmt: str, columns: list[str], output: str, *, excel: bool = False,
                progress: Callable[[Iterator[int]], int] = _drain, meta: Callable[[int], dict[str, Any]] | None = None,
                stats: dict[str, int] | None = None) -> int:
    """Write ``rows`` to the file ``output`` in ``fmt`` and, with ``meta``, ``output.meta.json`` from
    ``meta(row_count)``; returns the row count. ``progress`` consumes the writer's running counts.

    A regular file (or a new one) is written as ``FILE.part`` in the folder of the file a symlink points to,
    synced, and renamed when complete: the sidecar first, then the data. A failed write leaves the old FILE
    and sidecar as they were and no ``.part`` behind (only the data's rename comes after the sidecar's, and
    a rename within one folder does not run out of space). A device or FIFO is written in place, without
    sidecar. Raises :class:`OutputError` (one line) for a failed write."""
    special = is_special_file(output)
    target = Path(output) if special else Path(os.path.realpath(output))
    part = target if special else target.with_name(target.name + ".part")
    meta_path = Path(os.path.realpath(output + ".meta.json"))
    meta_part = meta_path.with_name(meta_path.name + ".part")
    writing = output
    try:
        try:
            if fmt == "parquet":
                n = progress(write_parquet(rows, part, columns))
            elif fmt == "xlsx":
                n = progress(write_xlsx(rows, part, columns, stats))
            elif fmt == "csv":
                with open(part, "wb") as out:
                    if excel:
                        out.write(codecs.BOM_UTF8)
                    n = progress(write_csv(rows, out, columns))
            else:
                with open(part, "w", encoding="utf-8", newline="") as fh:
                    n = progress(write_jsonl(rows, fh, columns))
        finally:
            _close(rows)
        if special:
            return n
        _sync(part)
        if meta is not None:
            writing = output + ".meta.json"
            with open(meta_part, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(meta(n), ensure_ascii=False, indent=2) + "\n")
            _sync(meta_part)
            os.replace(meta_part, meta_path)
            writing = output
        os.replace(part, target)
    except OSError as exc:
        raise OutputError(f"cannot write {writing}: {_reason(exc)}") from None
    finally:
        if not special:
            part.unlink(missing_ok=True)
            meta_part.unlink(missing_ok=True)
    return n


class _TextSink:
    """UTF-8 bytes to a text-only standard output (``contextlib.redirect_stdout`` to a ``StringIO``)."""

    def __init__(self, text: TextIO) -> None:
        self.text = text

    def write(self, data: bytes) -> int:
        return self.text.write(data.decode())

    def flush(self) -> None:
        self.text.flush()


def export_stdout(rows: Iterable[Any], fmt: str, columns: list[str], *, excel: bool = False) -> int:
    """Write CSV or JSON lines to standard output and flush it; a failed write raises OSError (a closed pipe:
    BrokenPipeError), for :func:`pipe_safe` to report."""
    try:
        if fmt == "csv":  # UTF-8 bytes, past the text layer (flushed first, so nothing it holds comes after)
            sys.stdout.flush()
            out: Any = getattr(sys.stdout, "buffer", None) or _TextSink(sys.stdout)
            if excel:
                out.write(codecs.BOM_UTF8)
            n = _drain(write_csv(rows, out, columns))
            out.flush()
        else:
            n = _drain(write_jsonl(rows, sys.stdout, columns))
            sys.stdout.flush()
    finally:
        _close(rows)
    return n
