"""Commands for analysts and researchers: search, export, dedupe and serve (Datasette); report is in report.py.

Each command is a thin layer: queries live in ``storage.py``, the near-duplicate logic in ``dedupe.py``, the
report in ``report.py``, the Datasette metadata and plugin in ``linfen_crawler/datasette/``, the export
writers and checked writes to files and standard output in ``output.py``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from linfen_crawler import __version__
from linfen_crawler.commands.options import DAY, db_option, fail, iso_day, open_existing, resolve_db
from linfen_crawler.datasette.metadata import SETTINGS, build_metadata
from linfen_crawler.dedupe import THRESHOLD
from linfen_crawler.output import (
    EXPORT_COLUMNS,
    XLSX_MAX_ROWS,
    OutputError,
    export_file,
    export_stdout,
    is_special_file,
    pipe_safe,
)
from linfen_crawler.storage import EDITION_COLUMNS, READ_COLUMNS, SCHEMA_VERSION, Dataset, EditionFilter, StorageError

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


def need(module: str, command: str) -> Any:
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
@pipe_safe
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
@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet", "xlsx"]), default="csv",
              show_default=True, metavar="FORMAT", help="csv, xlsx, jsonl or parquet (parquet: the [analyst] extra)")
@filter_options
@click.option("--query", help="full-text query as for `linfen search` (Chinese words of any length, -WORD to "
                               "exclude)")
@click.option("--edition-from", type=DAY, help="e-papers: first edition day (edition_date; leaves portal rows out)")
@click.option("--edition-to", type=DAY, help="e-papers: last edition day")
@click.option("--page", metavar="PAGE", help="e-papers: one page (版面), by number or name, e.g. A01 or 要闻")
@click.option("--columns", help="comma-separated columns, in this order, e.g. url,day,title,authors (default: "
                                "every stored column and duplicate_of, and the e-paper columns when the "
                                "exported rows hold e-paper articles; `day` too on request)")
@click.option("--excel", is_flag=True, help="CSV with a UTF-8 BOM so Excel shows Chinese correctly")
@click.option("-o", "--output", required=True, help="file to write, or - for standard output")
@click.option("--force", is_flag=True, help="overwrite an existing file")
@click.option("--meta/--no-meta", default=True, show_default=True, help="write FILE.meta.json beside the export")
@db_option()
@pipe_safe
def export_cmd(fmt: str, site: str | None, since: str | None, until: str | None, dedupe: bool, query: str | None,
               edition_from: str | None, edition_to: str | None, page: str | None, columns: str | None,
               excel: bool, output: str, force: bool, meta: bool, db_path: str | None) -> None:
    """Export articles as CSV, JSON lines, Parquet or an Excel workbook (xlsx), streamed (constant memory).

    Beside the file, FILE.meta.json records the query, filters, columns, row count, dataset, crawl runs
    and export time (--no-meta to skip). A progress bar shows on a terminal. The file is written as
    FILE.part and renamed when complete; a failed write exits 1 and leaves no partial file. For
    LibreOffice, and for typed dates in Excel, use --format xlsx.

    E-paper articles (issue 17) are chosen by edition and page with --edition-from, --edition-to and --page;
    --since/--until filter by publish day as for portals.

    Example: linfen export --format csv --excel --site lfxww --since 2024-01-01 --dedupe -o lfxww.csv
    """
    flt: dict[str, Any] = _filters(site, since, until, dedupe)
    edition = EditionFilter(iso_day(edition_from, "--edition-from"), iso_day(edition_to, "--edition-to"),
                            page.strip() or None if page is not None else None)
    if edition != EditionFilter():
        if edition.first and edition.last and edition.first > edition.last:
            raise fail(f"--edition-from {edition.first} is after --edition-to {edition.last}")
        flt["edition"] = edition
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else list(EXPORT_COLUMNS)
    bad = [c for c in cols if c not in READ_COLUMNS]
    if bad:
        raise fail(f"unknown column {bad[0]!r} (columns: {', '.join(READ_COLUMNS)})")
    if len(set(cols)) != len(cols):
        raise fail("--columns names a column twice")
    if excel and fmt != "csv":
        raise fail("--excel applies to --format csv only")
    if output == "-" and fmt in ("parquet", "xlsx"):
        raise fail(f"{'Parquet' if fmt == 'parquet' else 'XLSX'} cannot be written to standard output; give a "
                   "file name with -o")
    special = output != "-" and is_special_file(output)  # a device or a pipe: written in place, no sidecar
    if output != "-" and Path(output).is_dir():
        raise fail(f"{output} is a folder; give a file name with -o")
    if output != "-" and not special and Path(output).exists() and not force:
        raise fail(f"{output} exists; use --force to overwrite it")
    if fmt == "parquet":
        need("pyarrow", "export --format parquet")
    sidecar = meta and output != "-" and not special
    started = datetime.now(UTC)
    with open_existing(db_path) as ds:
        try:
            if not columns and ("edition" in flt or ds.has_editions(site)):
                cols += EDITION_COLUMNS  # issue 17: e-paper rows bring their edition, page and place
            total = ds.count_articles(query=query, **flt)
            if fmt == "xlsx" and total > XLSX_MAX_ROWS:
                raise fail(f"{total:,} articles: an XLSX sheet holds at most {XLSX_MAX_ROWS:,} rows; export fewer "
                           "(--site, --since, --until) or use --format csv or parquet")
            runs: set[int | None] = set()  # the crawl runs of the rows written, noted as they stream (sidecar)
            if sidecar:
                rows: Iterator[Any] = _noting_runs(ds, fmt, query, cols, flt, runs)
            elif fmt == "parquet":
                rows = ds.iter_articles(query=query, columns=cols, **flt)
            else:  # csv, jsonl, xlsx: tuples, JSON columns as stored (the writers convert them); CSV's text as
                # the stored UTF-8 bytes, which it writes as they are
                rows = ds.iter_article_tuples(query=query, columns=cols, utf8=fmt == "csv", **flt)
            if output == "-":
                n = export_stdout(rows, fmt, cols, excel=excel)
            else:
                def info(n: int) -> dict[str, Any]:
                    return {
                        "file": Path(output).name, "format": fmt, "excel": excel, "rows": n, "columns": cols,
                        "query": query, "filters": {**flt, **({"edition": vars(edition)} if "edition" in flt
                                                              else {})},
                        "dataset": str(Path(resolve_db(db_path)).resolve()), "schema_version": SCHEMA_VERSION,
                        "crawl_runs": sorted(r for r in runs if r is not None),
                        "exported_at": started.replace(microsecond=0).isoformat(),
                        "linfen_crawler": __version__,
                        "command": "linfen export " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["export"] else None,
                    }

                stats: dict[str, int] = {}
                n = export_file(rows, fmt, cols, output, excel=excel, progress=_progress(total),
                                meta=info if sidecar else None, stats=stats)
        except StorageError as exc:
            raise fail(str(exc)) from None
        except OutputError as exc:
            raise click.ClickException(str(exc)) from None  # exit 1: the input was fine, the write failed
    cut = stats.get("cut_cells", 0) if output != "-" else 0
    note = f" ({cut} cells cut at Excel's 32,767-character limit)" if cut else ""
    click.echo(f"{n} articles written to {output}{note}", err=True)


def _noting_runs(ds: Dataset, fmt: str, query: str | None, cols: list[str], flt: dict[str, Any],
                 runs: set[int | None]) -> Iterator[Any]:
    """The export's rows, adding each one's ``run_id`` to ``runs`` on the way: one pass over the articles
    where a separate ``SELECT DISTINCT run_id`` read every row to its end again (run_id is stored after the
    body; 4.7 s of a million-row export). Asks for ``run_id`` as one more column when the export has none."""
    extra = "run_id" not in cols
    wanted = [*cols, "run_id"] if extra else cols
    at = len(cols) if extra else cols.index("run_id")
    if fmt == "parquet":
        for rec in ds.iter_articles(query=query, columns=wanted, **flt):
            runs.add(rec.pop("run_id") if extra else rec["run_id"])
            yield rec
    else:
        for row in ds.iter_article_tuples(query=query, columns=wanted, utf8=fmt == "csv", **flt):
            runs.add(row[at])
            yield row[:at] if extra else row


def _progress(total: int) -> Callable[[Iterator[int]], int]:
    """Consume a writer's running counts, with a progress bar when standard error is a terminal."""
    def run(steps: Iterator[int]) -> int:
        n = 0
        if sys.stderr.isatty():
            with click.progressbar(length=total, label="exporting", file=sys.stderr) as bar:
                for n_now in steps:
                    bar.update(n_now - n)
                    n = n_now
        else:
            for n in steps:  # noqa: B007 - the last count is the result
                pass
        return n

    return run


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
    canned query adds snippets. An article's url links to its captured pages from the web archive, shown
    sandboxed (no scripts, nothing fetched from the site). Needs the [analyst] extra. --metadata-out FILE
    writes the metadata JSON (for running `datasette` yourself) and exits.

    Example: linfen serve --db data/demo.db --port 8001
    """
    path = Path(resolve_db(db_path))
    with open_existing(str(path)) as ds:  # migrate to the current schema and fail early on a bad file
        editions = ds.has_editions()  # issue 17: e-paper articles are faceted by edition and page
    metadata = build_metadata(path.stem, editions=editions)
    if metadata_out:
        Path(metadata_out).write_text(json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", "utf-8")
        click.echo(f"metadata written to {metadata_out}", err=True)
        return
    datasette_cli = need("datasette.cli", "serve")
    from datasette.plugins import pm

    plugin = need("linfen_crawler.datasette.plugin", "serve")
    if not pm.is_registered(plugin):
        pm.register(plugin, name="linfen_crawler")
    import tempfile  # here: with shutil, bz2 and lzma it is 11 ms of every start of search, stats and export

    with tempfile.TemporaryDirectory(prefix="linfen-serve-") as tmp:
        meta_file = Path(tmp) / "metadata.json"
        meta_file.write_text(json.dumps(metadata, ensure_ascii=False), "utf-8")
        args = ["serve", str(path), "--metadata", str(meta_file), "--host", host, "--port", str(port),
                *(a for name, value in SETTINGS.items() for a in ("--setting", name, str(value)))]
        datasette_cli.cli.main(args=args, prog_name="datasette", standalone_mode=True)


COMMANDS = (search_cmd, export_cmd, dedupe_cmd, serve_cmd)
