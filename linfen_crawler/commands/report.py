"""``linfen report``: the HTML report with charts (``linfen_crawler/report.py`` writes it).

Its own module, so that search, stats and export, in ``analyst.py``, do not load the report code at start.
"""

from __future__ import annotations

from pathlib import Path

import click

from linfen_crawler.commands.analyst import need
from linfen_crawler.commands.options import db_option, fail, open_existing
from linfen_crawler.report import ReportError, write_report


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
    need("matplotlib", "report")
    with open_existing(db_path) as ds:
        try:
            index = write_report(ds, Path(output), dedupe=dedupe, top=top)
        except ReportError as exc:
            raise fail(str(exc)) from None
    click.echo(f"report written to {index}", err=True)
