"""What an export or a pipe sees (issues 14.5, 14.8, 14.9, 15.2): closed pipes, full devices and disks, the
sidecar, the CSV images column, and the XLSX workbook as LibreOffice opens it.

Every dataset is built here with ``Dataset.upsert_articles`` in a tmp folder; the CLI runs in a subprocess.
The full device is /dev/full reached through a symlink in the tmp folder (an old export renamed its temporary
file over the path it was given, which replaced the symlink there, never /dev/full itself); the full disk is
an RLIMIT_FSIZE limit on the export process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import REPO, rows
from lxml import etree

from linfen_crawler.cli import main
from linfen_crawler.output import (
    EXPORT_COLUMNS,
    LIST_SEPARATOR,
    NAME_LISTS,
    WRITE_ROWS,
    export_stdout,
    write_csv,
    write_jsonl,
)
from linfen_crawler.storage import JSON_COLUMNS, Dataset

BODY = "临汾新闻网讯 市委召开会议，部署冬季清洁取暖工作。\n会议要求各县区落实责任。"
IMAGES = [{"url": "http://www.lfxww.com/a/1.jpg", "caption": "尧都区街景（张三 摄）"},
          {"url": "http://www.lfxww.com/a/2.jpg", "caption": "会议现场"}]


def make_dataset(path: Path, n: int = 60, long_body: bool = False) -> Path:
    records: list[dict[str, Any]] = []
    for i in range(n):
        records.append({
            "url": f"http://www.lfxww.com/linfen/djll/{93500 + i}.html", "site": "lfxww", "site_name": "临汾新闻网",
            "section": "党建", "title": f"临汾市第{i}次会议召开", "body": BODY * (20 if i % 2 else 1),
            # a time for even rows, only a day for odd ones (never an invented midnight)
            "published_at": f"2024-05-{1 + i % 28:02d}T08:{i % 60:02d}:05+08:00" if i % 2 == 0 else
                            f"2024-06-{1 + i % 28:02d}",
            "published_text": "2024年05月01日 08:30", "source": "临汾日报",
            "authors": ["王长波", "李四"] if i % 3 else ["王长波"], "editors": ["赵六"],
            "images": IMAGES if i % 4 == 0 else [],
        })
    records[1]["title"] = "=1+1"  # text, never a formula
    records[3]["authors"] = None
    if long_body:
        records[5]["body"] = "长" * 40_000  # over Excel's 32,767 characters in one cell
    with Dataset(path) as ds:
        ds.upsert_articles(records, 1)
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("ds") / "news.db", long_body=True)


def linfen(*args: str, stdout: object = subprocess.PIPE, preexec: object = None
           ) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "linfen_crawler.cli", *args], cwd=REPO, env=env,
                          stdout=stdout, stderr=subprocess.PIPE, timeout=300, preexec_fn=preexec)  # type: ignore


# -- 14.5 closed pipes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["export", "--format", "csv", "-o", "-"],
    ["export", "--format", "jsonl", "-o", "-"],
    ["search", "临汾", "--format", "json"],
    ["search", "临汾"],
    ["stats"],
], ids=["export-csv", "export-jsonl", "search-json", "search-table", "stats"])
def test_a_closed_pipe_ends_the_command_quietly_with_141(db, args):
    """A real pipe whose reading end is closed before the command writes (as `| head` does once it has its
    line): every write fails with EPIPE, whatever the timing. Exit 141 as for SIGPIPE, nothing on stderr."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = linfen(*args, "--db", str(db), stdout=write_end)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr.decode()
    assert proc.stderr.decode() == ""  # before: exit 1, and for export `sqlite3.ProgrammingError: Cannot operate…`


def test_a_pipe_closed_after_the_first_line_like_head(db):
    """`linfen export -o - | head -1`: more than a pipe buffer (64 KiB) follows the first line, so the export
    meets the closed pipe for certain."""
    proc = subprocess.Popen([sys.executable, "-m", "linfen_crawler.cli", "export", "--db", str(db), "-o", "-"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141, stderr
    assert first.decode().startswith("url,site,") and stderr == ""


# -- 15.2 full devices and disks -----------------------------------------------------------------------
def test_export_to_a_full_device_fails_in_one_line_and_keeps_the_device(db, tmp_path):
    full = tmp_path / "full"
    full.symlink_to("/dev/full")
    proc = linfen("export", "--db", str(db), "-o", str(full), "--force")
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, stderr
    assert stderr.strip().splitlines() == [f"Error: cannot write {full}: No space left on device"]
    assert full.is_symlink() and os.readlink(full) == "/dev/full"  # written in place, never renamed over
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]  # no .part, no sidecar


@pytest.mark.parametrize("args", [
    ["export", "-o", "-"], ["export", "--format", "jsonl", "-o", "-"], ["search", "临汾"], ["stats"],
], ids=["export-csv", "export-jsonl", "search", "stats"])
def test_standard_output_on_a_full_device_is_exit_1_and_one_line(db, args):
    with open("/dev/full", "wb") as full:
        proc = linfen(*args, "--db", str(db), stdout=full)
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, stderr
    assert "Error: cannot write standard output: No space left on device" in stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert len([x for x in stderr.splitlines() if x.strip() and not x.endswith("results")]) == 1, stderr


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, no signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_a_full_disk_leaves_the_old_file_and_no_partial_one(db, tmp_path, fmt):
    """The process may write at most 40 kB per file: the export (larger; for XLSX its rows before compression)
    fails; the file it replaces with
    --force and its sidecar are as they were, and no FILE.part is left."""
    out = tmp_path / f"a.{fmt}"
    out.write_text("old", "utf-8")
    (tmp_path / f"a.{fmt}.meta.json").write_text("{}", "utf-8")
    proc = linfen("export", "--db", str(db), "--format", fmt, "-o", str(out), "--force",
                  preexec=_file_size_limit(40_000))
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, stderr
    assert stderr.strip().splitlines() == [f"Error: cannot write {out}: File too large"], stderr
    assert out.read_text("utf-8") == "old" and (tmp_path / f"a.{fmt}.meta.json").read_text("utf-8") == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"a.{fmt}", f"a.{fmt}.meta.json"]
    assert linfen("export", "--db", str(db), "--format", fmt, "-o", str(out), "--force").returncode == 0
    assert out.read_bytes() != b"old"  # (an XLSX is compressed below the limit: its uncompressed rows were not)


def test_a_sidecar_that_cannot_be_written_fails_the_export(db, tmp_path):
    out = tmp_path / "a.csv"
    (tmp_path / "a.csv.meta.json").mkdir()  # the rename onto it fails
    proc = linfen("export", "--db", str(db), "-o", str(out))
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, stderr
    assert stderr.strip().splitlines() == [f"Error: cannot write {out}.meta.json: Is a directory"], stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv.meta.json"]  # no export without its sidecar


def test_export_through_a_symlink_keeps_the_symlink(db, tmp_path):
    (tmp_path / "real").mkdir()
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "real" / "a.csv")
    assert linfen("export", "--db", str(db), "-o", str(link), "--no-meta").returncode == 0
    assert link.is_symlink() and (tmp_path / "real" / "a.csv").read_text("utf-8").startswith("url,")


# -- 14.9 the CSV images column ------------------------------------------------------------------------
def test_csv_images_are_a_json_array_and_names_are_joined(db, tmp_path):
    out = tmp_path / "a.csv"
    assert linfen("export", "--db", str(db), "-o", str(out)).returncode == 0
    got = {r["url"]: r for r in csv.DictReader(io.StringIO(out.read_text("utf-8")))}
    stored = {r["url"]: r for r in rows(db, "SELECT url, images, authors FROM articles")}
    with_two = [u for u, r in stored.items() if len(json.loads(r["images"])) == 2]
    assert with_two
    for url in with_two:
        assert json.loads(got[url]["images"]) == IMAGES  # one JSON array, not {…}、{…}
    assert all(got[u]["images"] == "[]" for u, r in stored.items() if json.loads(r["images"]) == [])
    assert {got[u]["authors"] for u in got} == {"王长波、李四", "王长波", ""}


# -- 14.8 XLSX, opened by LibreOffice ------------------------------------------------------------------
def _soffice(tmp_path: Path, src: Path, target: str, *infilter: str) -> Path:
    outdir = tmp_path / f"lo-{target.split(':')[0]}"
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless", *infilter,
         "--convert-to", target, "--outdir", str(outdir), str(src)],
        capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    (converted,) = outdir.iterdir()
    return converted


CSV_UTF8 = "csv:Text - txt - csv (StarCalc):44,34,76,1"  # comma, double quote, UTF-8, from line 1


def test_xlsx_opens_in_libreoffice_with_chinese_and_typed_dates(db, tmp_path):
    out = tmp_path / "a.xlsx"
    proc = linfen("export", "--db", str(db), "--format", "xlsx", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    stored = {r["url"]: r for r in rows(db, "SELECT * FROM articles")}
    assert proc.stderr.decode().strip() == (f"{len(stored)} articles written to {out} "
                                            "(1 cells cut at Excel's 32,767-character limit)")
    assert json.loads((tmp_path / "a.xlsx.meta.json").read_text("utf-8"))["format"] == "xlsx"

    # the cells as LibreOffice shows them
    shown = list(csv.reader(io.StringIO(_soffice(tmp_path, out, CSV_UTF8).read_text("utf-8"))))
    header, body = shown[0], shown[1:]
    assert header[:6] == ["url", "site", "site_name", "section", "title", "published_at"]  # no ï»¿ in A1
    got = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert set(got) == set(stored)
    for url, row in stored.items():
        cells = got[url]
        assert cells["site_name"] == "临汾新闻网" and cells["title"] == row["title"]
        assert cells["body"] == row["body"][:32_767]
        published = row["published_at"]
        assert cells["published_at"] == (published[:10] + " " + published[11:19] if "T" in published else published)
        assert cells["authors"] == "、".join(json.loads(row["authors"])) if row["authors"] else cells["authors"] == ""
        assert json.loads(cells["images"]) == json.loads(row["images"])
        assert cells["run_id"] == "1"
    assert got["http://www.lfxww.com/linfen/djll/93501.html"]["title"] == "=1+1"  # not evaluated to 2

    # the cell types as LibreOffice reads them: dates and datetimes are dates, run_id a number
    fods = etree.parse(str(_soffice(tmp_path, out, "fods")))
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
          "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0"}
    sheet = fods.find(".//table:table", ns)  # the one sheet
    assert sheet is not None
    sheet_rows = sheet.findall(".//table:table-row", ns)
    office, table_ns = "{" + ns["office"] + "}", "{" + ns["table"] + "}"

    def cells_of(row: etree._Element) -> list[etree._Element]:
        out: list[etree._Element] = []
        for cell in row.findall("table:table-cell", ns):
            out.extend([cell] * int(cell.get(table_ns + "number-columns-repeated", "1")))
        return out

    col = header.index("published_at")
    typed = {}
    for sheet_row in sheet_rows[1:]:
        row_cells = cells_of(sheet_row)
        url = "".join(str(s) for s in row_cells[0].itertext()).strip()  # fods is pretty-printed
        if url in stored:
            typed[url] = (row_cells[col].get(office + "value-type"), row_cells[col].get(office + "date-value"),
                          row_cells[header.index("run_id")].get(office + "value-type"),
                          row_cells[header.index("title")].get(office + "value-type"))
    assert set(typed) == set(stored)
    for url, row in stored.items():
        published = row["published_at"]
        shown_as = published[:19] if "T" in published else published
        assert typed[url][0] == "date" and str(typed[url][1]).startswith(shown_as)
        assert typed[url][2] == "float" and typed[url][3] == "string"
    ranges = fods.findall(".//table:database-range", ns)
    assert any(r.get(table_ns + "display-filter-buttons") == "true"
               and r.get(table_ns + "target-range-address") == f"articles.A1:articles.R{len(stored) + 1}"
               for r in ranges)

    # the frozen header row and the column widths, in the workbook itself
    with zipfile.ZipFile(out) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in sheet
    assert '<autoFilter ref="A1:R' in sheet and '<col min="1" max="1" width="48.7109375"' in sheet


def test_excel_csv_in_libreoffice_needs_utf8_chosen_and_then_drops_the_bom(db, tmp_path):
    """LibreOffice ignores the UTF-8 byte-order mark of `--excel` unless UTF-8 is chosen in its Text Import
    dialog (here: --infilter); then A1 is `url` and Chinese is intact. docs/analysts.md says so: for
    LibreOffice, --format xlsx."""
    out = tmp_path / "e.csv"
    assert linfen("export", "--db", str(db), "--excel", "--columns", "url,site_name,title", "-o", str(out)
                  ).returncode == 0
    sheet = _soffice(tmp_path, out, "xlsx", "--infilter=CSV:44,34,76,1")
    shown = list(csv.reader(io.StringIO(_soffice(tmp_path, sheet, CSV_UTF8).read_text("utf-8"))))
    assert shown[0] == ["url", "site_name", "title"] and {r[1] for r in shown[1:]} == {"临汾新闻网"}


def test_more_rows_than_a_sheet_holds_fail_before_writing(db, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from linfen_crawler.commands import analyst

    monkeypatch.setattr(analyst, "XLSX_MAX_ROWS", 10)  # instead of Excel's 1,048,575
    out = tmp_path / "big.xlsx"
    res = CliRunner().invoke(analyst.export_cmd, ["--db", str(db), "--format", "xlsx", "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == ["Error: 60 articles: an XLSX sheet holds at most 10 rows; export "
                                               "fewer (--site, --since, --until) or use --format csv or parquet"]
    assert list(tmp_path.iterdir()) == []


def test_a_folder_as_output_is_bad_input(db, tmp_path):
    proc = linfen("export", "--db", str(db), "-o", str(tmp_path), "--force")
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == f"Error: {tmp_path} is a folder; give a file name with -o"
    assert list(tmp_path.iterdir()) == []


def test_xlsx_is_not_for_standard_output(db):
    proc = linfen("export", "--db", str(db), "--format", "xlsx", "-o", "-")
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == ("Error: XLSX cannot be written to standard output; give a file name "
                                            "with -o")


# -- issue 16: fast writers, the same bytes ------------------------------------------------------------
COLUMNS = ["url", "title", "published_at", "authors", "editors", "body", "images", "run_id", "extractor"]
AWKWARD = ['say "临汾"', "a,b", "two\nlines", "cr\rhere", "crlf\r\nend", "", " lead and trail ", "tab\tin",
           "\u2028para", "'single'", "尧都区", '"', ",", "\n", "😀 emoji", "back\\slash", "ctrl\x01x", "null\x00byte",
           "长" * 60, "长" * 60 + ",尾", '"' + "长" * 60, "长" * 60 + "\r"]  # past output.SHORT_FIELD bytes too


def awkward_rows(n: int) -> list[tuple[Any, ...]]:
    """Rows as the dataset returns them (JSON columns as stored text, odd spacing included), with every kind
    of value the CSV and JSON writers treat differently: quotes, commas, line breaks, None, numbers."""
    out = []
    for i in range(n):
        text = AWKWARD[i % len(AWKWARD)]
        out.append((
            f"http://www.lfxww.com/a/{i}.html", text, None if i % 5 == 0 else "2024-05-01T08:30:00+08:00",
            None if i % 7 == 0 else json.dumps(["王长波", text][: 1 + i % 2], ensure_ascii=False),
            '[ "赵六" ]' if i % 3 else "[]",  # stored with other spacing than json.dumps writes
            text * (1 + i % 4), json.dumps([{"url": "http://x/1.jpg", "caption": text}]) if i % 2 else "[]",
            i if i % 6 else None, '{"title":"profile","body": "generic"}' if i % 2 else 3.5,
        ))
    return out


def reference_csv(rows: list[tuple[Any, ...]], columns: list[str]) -> str:
    """What the export wrote before issue 16: csv.writer, lists of names joined with 、."""
    fh = io.StringIO()
    writer = csv.writer(fh)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([LIST_SEPARATOR.join(json.loads(v)) if c in NAME_LISTS and v is not None else v
                         for c, v in zip(columns, row, strict=True)])
    return fh.getvalue()


def reference_jsonl(rows: list[tuple[Any, ...]], columns: list[str]) -> str:
    """What the export wrote before issue 16: json.dumps of each row as a dict, JSON columns decoded."""
    lines = []
    for row in rows:
        rec = {c: json.loads(v) if c in JSON_COLUMNS and isinstance(v, str) else v
               for c, v in zip(columns, row, strict=True)}
        lines.append(json.dumps(rec, ensure_ascii=False) + "\n")
    return "".join(lines)


@pytest.mark.parametrize("n", [0, 1, 49, 50, 51, 1000, 1234])  # around the rows joined per write and per count
@pytest.mark.parametrize("columns", [COLUMNS, COLUMNS[::-1], ["title", "authors"], ["body"], ["authors"]],
                         ids=["all", "reversed", "two", "one-text", "one-list"])
def test_csv_and_jsonl_writers_write_what_csv_and_json_dumps_write(n, columns):
    rows = [tuple(r[COLUMNS.index(c)] for c in columns) for r in awkward_rows(n)]
    fh = io.StringIO(newline="")
    counts = list(write_jsonl(iter(rows), fh, columns))
    assert fh.getvalue() == reference_jsonl(rows, columns)
    assert counts[-1] == n and counts == sorted(counts)
    # CSV: UTF-8 bytes, from text as str or as the stored UTF-8 bytes (Dataset.iter_article_tuples(utf8=True))
    utf8 = [tuple(v.encode() if isinstance(v, str) else v for v in row) for row in rows]
    for given in (rows, utf8):
        out = io.BytesIO()
        counts = list(write_csv(iter(given), out, columns))
        assert out.getvalue() == reference_csv(rows, columns).encode()
        assert counts[-1] == n and counts == sorted(counts)


def test_csv_to_standard_output_is_the_files_bytes(tmp_path, monkeypatch):
    """CSV goes to standard output's binary buffer (the text layer flushed first): the same bytes as the file,
    the BOM of --excel first, from a process, under click's runner and to a text-only stdout."""
    db = make_dataset(tmp_path / "news.db")
    out = tmp_path / "a.csv"
    args = ["export", "--db", str(db), "--excel", "--no-meta"]
    assert CliRunner().invoke(main, [*args, "-o", str(out)], catch_exceptions=False).exit_code == 0
    written = out.read_bytes()
    assert written.startswith(b"\xef\xbb\xbfurl,") and written.count(b"\r\n") > 60
    proc = subprocess.run([sys.executable, "-m", "linfen_crawler.cli", *args, "-o", "-"], capture_output=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0 and proc.stdout == written
    assert CliRunner().invoke(main, [*args, "-o", "-"], catch_exceptions=False).stdout_bytes == written
    text = io.StringIO()  # contextlib.redirect_stdout to a StringIO has no binary buffer
    monkeypatch.setattr(sys, "stdout", text)
    with Dataset(db, create=False) as ds:
        export_stdout(ds.iter_article_tuples(columns=list(EXPORT_COLUMNS), utf8=True), "csv", list(EXPORT_COLUMNS),
                      excel=True)
    assert text.getvalue().encode() == written


@pytest.mark.parametrize(("fmt", "utf8"), [("csv", True), ("jsonl", False), ("xlsx", False)])
def test_only_csv_reads_the_text_as_utf8_bytes(tmp_path, monkeypatch, fmt, utf8):
    """CSV writes the stored bytes as they are; JSON lines and XLSX need the text decoded."""
    db = make_dataset(tmp_path / "news.db")
    asked: list[bool] = []
    real = Dataset.iter_article_tuples

    def tuples(self: Dataset, *args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("utf8", False))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Dataset, "iter_article_tuples", tuples)
    for meta in ("--meta", "--no-meta"):  # the sidecar's reader notes the runs on the way
        result = CliRunner().invoke(main, ["export", "--db", str(db), "--format", fmt, meta, "--force",
                                           "-o", str(tmp_path / f"out.{fmt}")], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert asked == [utf8, utf8]


class CountingFile(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data: Any) -> int:
        self.writes += 1
        return super().write(data)


class CountingText(io.StringIO):
    def __init__(self) -> None:
        super().__init__(newline="")
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.mark.parametrize("write", [write_csv, write_jsonl], ids=["csv", "jsonl"])
def test_writers_send_rows_to_the_file_in_batches_not_one_by_one(write):
    """Per-row writes (csv.writer.writerow, fh.write per JSON line) were half the export's time."""
    fh: CountingFile | CountingText = CountingFile() if write is write_csv else CountingText()
    list(write(iter(awkward_rows(2500)), fh, COLUMNS))
    assert fh.writes <= 2500 // WRITE_ROWS + 2, fh.writes  # the header, then one write per WRITE_ROWS rows
    assert len(fh.getvalue().splitlines()) > 2500


def test_sidecar_runs_come_from_the_rows_written_in_one_pass(tmp_path, monkeypatch):
    """The sidecar's crawl_runs are noted while the rows stream; no second query reads every row again."""
    db = tmp_path / "news.db"
    make_dataset(db, n=30)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE articles SET run_id = 7 WHERE published_at LIKE '2024-06-%'")
        conn.execute("UPDATE articles SET run_id = NULL WHERE rowid % 5 = 0")
    conn.close()

    reads: list[str] = []  # every statement that reads the articles' rows (a second pass would show here)
    real_tuples, real_dicts = Dataset.iter_article_tuples, Dataset.iter_articles

    def tuples(self: Dataset, *args: Any, **kwargs: Any) -> Any:
        reads.append("tuples")
        return real_tuples(self, *args, **kwargs)

    def dicts(self: Dataset, *args: Any, **kwargs: Any) -> Any:
        reads.append("dicts")
        return real_dicts(self, *args, **kwargs)

    monkeypatch.setattr(Dataset, "iter_article_tuples", tuples)
    monkeypatch.setattr(Dataset, "iter_articles", dicts)
    found = []
    for columns, more in ((None, []), ("url,title", []), ("url,run_id", []), ("url", ["--query", "临汾"]),
                          ("url,title", ["--since", "2024-06-01"])):
        out = tmp_path / "out.jsonl"
        args = ["export", "--db", str(db), "--format", "jsonl", "-o", str(out), "--force",
                *(["--columns", columns] if columns else []), *more]
        reads.clear()
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert len(reads) == 1, reads  # one pass over the rows, which also notes their runs
        lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
        urls = [r["url"] for r in lines]
        expected = sorted({r["run_id"] for r in rows(db, "SELECT url, run_id FROM articles") if r["url"] in urls
                           and r["run_id"] is not None})
        assert json.loads((tmp_path / "out.jsonl.meta.json").read_text("utf-8"))["crawl_runs"] == expected
        assert lines and list(lines[0]) == (columns.split(",") if columns else list(EXPORT_COLUMNS))
        found.append(expected)
    assert found[0] == [1, 7] and found[-1] == [7]  # --since 2024-06-01: only the June articles, run 7
