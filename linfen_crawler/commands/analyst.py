"""Commands for analysts and researchers: search, export, dedupe, serve (Datasette) and report.

Each command is a thin layer: queries live in ``storage.py``, the near-duplicate logic in ``dedupe.py``, the
report in ``report.py``, the Datasette metadata and plugin in ``linfen_crawler/datasette/``; the export
writers below are generators over row iterators that yield the running count (for the progress bar).
"""

from __future__ import annotations

import csv
import functools
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import click

from linfen_crawler import __version__
from linfen_crawler.commands.options import DAY, LIST_SEPARATOR, db_option, fail, iso_day, open_existing, resolve_db
from linfen_crawler.datasette.metadata import SETTINGS, build_metadata
from linfen_crawler.dedupe import THRESHOLD
from linfen_crawler.report import ReportError, write_report
from linfen_crawler.storage import ARTICLE_COLUMNS, JSON_COLUMNS, READ_COLUMNS, SCHEMA_VERSION, StorageError

EXPORT_COLUMNS = (*ARTICLE_COLUMNS, "duplicate_of")  # the default --columns; `day` may be asked for too
ANALYST_EXTRA = "pip install 'linfen-crawler[analyst]'"


# -- shared options ------------------------------------------------------------------------------------
def filter_options(func: Any) -> Any:
    """--site/--since/--until/--dedupe, shared by search and export."""
    for option in reversed((
        click.option("--site", help="only this site (profile key)"),
        click.option("--since", type=DAY, help="first publish day"),
        click.option("--until", type=DAY, help="last publish day"),
        click.option("--dedupe", is_flag=True,
                     help="leave out syndicated copies (rows whose duplicate_of names an earlier copy)"),
    )):
        func = option(func)
    return func


def _filters(site: str | None, since: str | None, until: str | None, dedupe: bool) -> dict[str, Any]:
    return {"site": site, "since": iso_day(since, "--since"), "until": iso_day(until, "--until"),
            "dedupe": dedupe}


def _need(module: str, command: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise fail(f"`linfen {command}` needs {module.split('.')[0]}: {ANALYST_EXTRA}") from None


# -- search --------------------------------------------------------------------------------------------
class _QueryWordsCommand(click.Command):
    """`linfen search 临汾 -太原`: an argument starting with "-" and then anything but an ASCII letter or "-"
    is a word to exclude, not an option (the command's options are all Latin), so it goes after "--"."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        head, tail = args[:end], args[end + 1:]
        takes_value = {o for p in self.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
        options: list[str] = []
        words: list[str] = []
        for i, arg in enumerate(head):
            is_word = len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and not (arg[1].isascii() and arg[1].isalpha())
            (words if is_word and (i == 0 or head[i - 1] not in takes_value) else options).append(arg)
        if words:
            args = [*options, "--", *words, *tail]
        return super().parse_args(ctx, args)


@click.command("search", cls=_QueryWordsCommand)
@click.argument("query", nargs=-1, required=True)
@filter_options
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), metavar="N",
              help="show at most N articles, best first")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="a table for people, or JSON lines / CSV for programs")
@db_option()
def search_cmd(query: tuple[str, ...], site: str | None, since: str | None, until: str | None, dedupe: bool,
               limit: int, fmt: str, db_path: str | None) -> None:
    """Full-text search (finds Chinese words of any length, e.g. 临汾), ranked, with snippets.

    A query is words separated by spaces, all of which must occur; a run of Chinese characters matches
    exactly that sequence (临汾 does not match 临 … 汾). -WORD leaves out the articles containing WORD
    (linfen search 临汾 -太原; a Latin one after --: linfen search -- 临汾 -Taiyuan). At most 500 characters
    and 32 different words.

    Example: linfen search 临汾 --since 2020-01-01 --limit 5
    """
    flt = _filters(site, since, until, dedupe)
    with open_existing(db_path) as ds:
        try:
            hits = ds.search(" ".join(query), limit=limit, **flt)
        except StorageError as exc:
            raise fail(str(exc)) from None
    if fmt == "json":
        for hit in hits:
            click.echo(json.dumps(hit, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=["rank", "published_at", "site", "title", "url", "source",
                                                 "snippet"], extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(hits)
    else:
        for hit in hits:
            click.echo(f"{hit['published_at'] or '':25} {hit['title']}\n    {hit['url']}\n    {hit['snippet']}")
        click.echo(f"{len(hits)} results", err=True)


# -- export --------------------------------------------------------------------------------------------
def csv_value(value: Any) -> Any:
    """A value as one CSV cell: lists joined with 、 (dicts inside as JSON), dicts as JSON."""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


@functools.lru_cache(maxsize=8192)  # author and editor lists repeat a lot: decode each distinct one once
def _csv_json(raw: str) -> Any:
    return csv_value(json.loads(raw))


def write_csv(rows: Iterable[tuple[Any, ...]], fh: TextIO, columns: list[str]) -> Iterator[int]:
    """Write rows (tuples in ``columns`` order, JSON columns as stored) as CSV; yields the count so far after
    every 1,000 rows and once at the end."""
    writer = csv.writer(fh)
    writer.writerow(columns)
    listy = [i for i, c in enumerate(columns) if c in JSON_COLUMNS]
    n = 0
    if not listy:
        for row in rows:
            writer.writerow(row)
            n += 1
            if n % 1000 == 0:
                yield n
        yield n
        return
    for row in rows:
        values = list(row)
        for i in listy:
            raw = values[i]
            if raw is not None:
                values[i] = _csv_json(raw)
        writer.writerow(values)
        n += 1
        if n % 1000 == 0:
            yield n
    yield n


def write_jsonl(rows: Iterable[dict[str, Any]], fh: TextIO) -> Iterator[int]:
    n = 0
    for row in rows:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
        if n % 1000 == 0:
            yield n
    yield n


def write_parquet(rows: Iterable[dict[str, Any]], path: Path, columns: list[str],
                  batch: int = 5_000) -> Iterator[int]:
    """Write rows as Parquet in row groups of ``batch`` rows (constant memory); lists stay lists."""
    pa = _need("pyarrow", "export --format parquet")
    pq = _need("pyarrow.parquet", "export --format parquet")
    types = {"run_id": pa.int64(), "authors": pa.list_(pa.string()), "editors": pa.list_(pa.string()),
             "images": pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())]))}
    schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
    n = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            if "extractor" in row and row["extractor"] is not None:
                row["extractor"] = json.dumps(row["extractor"], ensure_ascii=False)
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


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet"]), default="csv", show_default=True,
              help="parquet needs the [analyst] extra")
@filter_options
@click.option("--query", help="full-text query as for `linfen search` (Chinese words of any length, -WORD to "
                               "exclude)")
@click.option("--columns", help="comma-separated columns, in this order, e.g. url,day,title,authors (default: "
                                "every stored column and duplicate_of; `day` too on request)")
@click.option("--excel", is_flag=True, help="CSV with a UTF-8 BOM so Excel shows Chinese correctly")
@click.option("-o", "--output", required=True, help="file to write, or - for standard output")
@click.option("--force", is_flag=True, help="overwrite an existing file")
@click.option("--meta/--no-meta", default=True, show_default=True, help="write FILE.meta.json beside the export")
@db_option()
def export_cmd(fmt: str, site: str | None, since: str | None, until: str | None, dedupe: bool, query: str | None,
               columns: str | None, excel: bool, output: str, force: bool, meta: bool, db_path: str | None) -> None:
    """Export articles as CSV, JSON lines or Parquet, streamed (constant memory at any size).

    Beside the file, FILE.meta.json records the query, filters, columns, row count, dataset, crawl runs
    and export time (--no-meta to skip). A progress bar shows on a terminal.

    Example: linfen export --format csv --excel --site lfxww --since 2024-01-01 --dedupe -o lfxww.csv
    """
    flt = _filters(site, since, until, dedupe)
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else list(EXPORT_COLUMNS)
    bad = [c for c in cols if c not in READ_COLUMNS]
    if bad:
        raise fail(f"unknown column {bad[0]!r} (columns: {', '.join(READ_COLUMNS)})")
    if len(set(cols)) != len(cols):
        raise fail("--columns names a column twice")
    if excel and fmt != "csv":
        raise fail("--excel applies to --format csv only")
    if output == "-" and fmt == "parquet":
        raise fail("Parquet cannot be written to standard output; give a file name with -o")
    if output != "-" and Path(output).exists() and not force:
        raise fail(f"{output} exists; use --force to overwrite it")
    if fmt == "parquet":
        _need("pyarrow", "export --format parquet")
    started = datetime.now(UTC)
    with open_existing(db_path) as ds:
        try:
            total = ds.count_articles(query=query, **flt)
            runs = ds.run_ids(query=query, **flt) if meta and output != "-" else []
            if fmt == "csv":
                rows: Iterator[Any] = ds.iter_article_tuples(query=query, columns=cols, **flt)
            else:
                rows = ds.iter_articles(query=query, columns=cols, **flt)
            n = _write(rows, fmt, cols, output, excel, total)
        except StorageError as exc:
            raise fail(str(exc)) from None
    if meta and output != "-":
        info = {
            "file": Path(output).name, "format": fmt, "excel": excel, "rows": n, "columns": cols,
            "query": query, "filters": {k: v for k, v in flt.items()},
            "dataset": str(Path(resolve_db(db_path)).resolve()), "schema_version": SCHEMA_VERSION,
            "crawl_runs": runs, "exported_at": started.replace(microsecond=0).isoformat(),
            "linfen_crawler": __version__,
            "command": "linfen export " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["export"] else None,
        }
        Path(output + ".meta.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", "utf-8")
    click.echo(f"{n} articles written to {output}", err=True)


def _write(rows: Iterator[Any], fmt: str, cols: list[str], output: str, excel: bool,
           total: int) -> int:
    def run(steps: Iterator[int]) -> int:
        n = 0
        if sys.stderr.isatty() and output != "-":
            with click.progressbar(length=total, label="exporting", file=sys.stderr) as bar:
                for n_now in steps:
                    bar.update(n_now - n)
                    n = n_now
        else:
            for n in steps:  # noqa: B007 - the last count is the result
                pass
        return n

    if output == "-":
        return run(write_csv(rows, sys.stdout, cols) if fmt == "csv" else write_jsonl(rows, sys.stdout))
    tmp = Path(output + ".part")
    try:
        if fmt == "parquet":
            n = run(write_parquet(rows, tmp, cols))
        else:
            with open(tmp, "w", encoding="utf-8-sig" if excel else "utf-8", newline="") as fh:
                n = run(write_csv(rows, fh, cols) if fmt == "csv" else write_jsonl(rows, fh))
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n


# -- dedupe --------------------------------------------------------------------------------------------
@click.command("dedupe")
@click.option("--threshold", default=THRESHOLD, show_default=True, type=click.FloatRange(0.1, 1.0),
              help="Jaccard similarity of 5-character shingles from which two bodies are copies")
@click.option("--show", default=0, type=click.IntRange(0, 10000), help="list this many stories with copies")
@db_option()
def dedupe_cmd(threshold: float, show: int, db_path: str | None) -> None:
    """Find syndicated copies again from scratch and set duplicate_of to each story's earliest copy.

    Crawls link copies as they store articles; run this once on a dataset stored before schema 3, or to try
    another --threshold (Jaccard similarity of character 5-grams of the bodies).

    Example: linfen dedupe --db data/news.db --show 10
    """
    with open_existing(db_path) as ds:
        try:
            result = ds.dedupe_all(threshold)
        except StorageError as exc:
            raise fail(str(exc)) from None
        click.echo(f"{result['articles']} articles, {result['compared']} candidate pairs compared, "
                   f"{result['groups']} stories with copies, {result['duplicates']} copies marked duplicate_of")
        for group in ds.duplicate_groups(show) if show else []:
            click.echo(f"{group['published_at'] or '':25} {group['title']}\n    {group['url']}")
            for url in group["copies"]:
                click.echo(f"    = {url}")


# -- serve ---------------------------------------------------------------------------------------------
@click.command("serve")
@db_option()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (0.0.0.0: every interface, for other machines)")
@click.option("-p", "--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="port to listen on (0: any free port)")
@click.option("--metadata-out", metavar="FILE", help="write the Datasette metadata JSON and exit")
def serve_cmd(db_path: str | None, host: str, port: int, metadata_out: str | None) -> None:
    """Browse the dataset in Datasette: Chinese/English descriptions, facets, Chinese search, canned queries.

    The search box on the articles table understands Chinese words of any length (临汾); the `search`
    canned query adds snippets. Needs the [analyst] extra. --metadata-out FILE writes the metadata JSON
    (for running `datasette` yourself) and exits.

    Example: linfen serve --db data/demo.db --port 8001
    """
    path = Path(resolve_db(db_path))
    open_existing(str(path)).close()  # migrate to the current schema and fail early on a bad file
    metadata = build_metadata(path.stem)
    if metadata_out:
        Path(metadata_out).write_text(json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", "utf-8")
        click.echo(f"metadata written to {metadata_out}", err=True)
        return
    datasette_cli = _need("datasette.cli", "serve")
    from datasette.plugins import pm

    plugin = _need("linfen_crawler.datasette.plugin", "serve")
    if not pm.is_registered(plugin):
        pm.register(plugin, name="linfen_crawler")
    with tempfile.TemporaryDirectory(prefix="linfen-serve-") as tmp:
        meta_file = Path(tmp) / "metadata.json"
        meta_file.write_text(json.dumps(metadata, ensure_ascii=False), "utf-8")
        args = ["serve", str(path), "--metadata", str(meta_file), "--host", host, "--port", str(port),
                *(a for name, value in SETTINGS.items() for a in ("--setting", name, str(value)))]
        datasette_cli.cli.main(args=args, prog_name="datasette", standalone_mode=True)


# -- report --------------------------------------------------------------------------------------------
@click.command("report")
@click.option("-o", "--output", default="report", show_default=True, help="folder to write")
@click.option("--dedupe", is_flag=True, help="leave out syndicated copies")
@click.option("--top", default=20, show_default=True, type=click.IntRange(1, 1000),
              help="how many sources and authors to list")
@db_option()
def report_cmd(output: str, dedupe: bool, top: int, db_path: str | None) -> None:
    """Write a self-contained HTML report with PNG charts: articles per site per day, field coverage, top
    sources and authors. Needs the [analyst] extra (matplotlib).

    Example: linfen report --db data/demo.db -o report/
    """
    _need("matplotlib", "report")
    with open_existing(db_path) as ds:
        try:
            index = write_report(ds, Path(output), dedupe=dedupe, top=top)
        except ReportError as exc:
            raise fail(str(exc)) from None
    click.echo(f"report written to {index}", err=True)


COMMANDS = (search_cmd, export_cmd, dedupe_cmd, serve_cmd, report_cmd)
