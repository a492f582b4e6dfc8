"""``linfen stats``: what the dataset holds, per site and day, and the last crawl runs."""

from __future__ import annotations

import click

from linfen_crawler.commands.options import db_option, human_size, open_existing
from linfen_crawler.output import pipe_safe


@click.command()
@db_option()
@click.option("--runs", default=10, show_default=True, type=click.IntRange(0, 1000),
              help="last runs to show per site")
@click.option("--days", default=7, show_default=True, type=click.IntRange(0, 10000),
              help="articles per site for the latest DAYS publish days")
@click.option("--dedupe", is_flag=True, help="leave out syndicated copies (see `linfen dedupe`)")
@pipe_safe
def stats(db_path: str | None, runs: int, days: int, dedupe: bool) -> None:
    """Articles per site and day, field coverage, syndicated copies and the last crawl runs.

    Example: linfen stats --db data/demo.db --runs 3
    """
    with open_existing(db_path) as ds:
        site_rows = ds.site_stats(dedupe=dedupe)
        click.echo("site          articles  first       last        date   source authors editors  copies")
        for s in site_rows:
            click.echo(f"{s['site']:12} {s['articles']:9}  {s['first'] or '-':10}  {s['last'] or '-':10}  "
                       f"{s['published_at']:5.0%}  {s['source']:5.0%}  {s['authors']:5.0%}  {s['editors']:5.0%}  "
                       f"{s['duplicates'] or 0:6}")
        per_day = ds.recent_days(days, dedupe=dedupe)
        latest = sorted({day for _, day, _ in per_day})
        if latest:
            sites = [s["site"] for s in site_rows]
            counts = {(site, day): n for site, day, n in per_day}
            click.echo("\nday         " + " ".join(f"{site:>12}" for site in sites))
            for day in latest:
                click.echo(f"{day:10}  " + " ".join(f"{counts.get((site, day), 0):12}" for site in sites))
        if runs:
            click.echo("\nrun   site         status       started                    pages  new  upd  rej  err")
            for site_key in ds.run_sites():  # issue 4: the last runs of each site
                for r in ds.last_runs(runs, site=site_key):
                    click.echo(f"{r['id']:<5} {r['site']:12} {r['status']:12} {r['started_at']:26} "
                               f"{r['pages']:5} {r['articles_new']:4} {r['articles_updated']:4} {r['rejects']:4} "
                               f"{r['errors']:4}")
        # issue 4: raw article pages kept for `linfen reextract`
        raw_rows = ds.raw_stats()
        if raw_rows:
            click.echo()
        for raw in raw_rows:
            click.echo(f"raw pages {raw['site']}: {raw['pages']} pages, {human_size(raw['stored_bytes'])} stored "
                       f"({human_size(raw['original_bytes'])} before compression)")
