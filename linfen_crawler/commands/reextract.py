"""Commands for scheduled crawl jobs (issue 4): ``linfen reextract``.

``linfen crawl``'s job options (``--refresh``, ``--since``, ``--recheck``, ``--resume``, ``--no-raw``,
``--httpcache``) live with the crawl command in ``commands/crawl.py``; the logic is in ``scheduled/``
and ``reextract.py``.
"""

from __future__ import annotations

import sys

import click

from linfen_crawler.archive.warc import ArchiveError
from linfen_crawler.commands.archive import move_pages
from linfen_crawler.commands.options import db_option, open_existing, resolve_db
from linfen_crawler.commands.profile_arg import profile_or_fail
from linfen_crawler.reextract import reextract as reextract_dataset
from linfen_crawler.scheduled.locks import take_locks


@click.command()
@click.option("--site", help="only this site (profile key)")
@db_option()
def reextract(site: str | None, db_path: str | None) -> None:
    """Rebuild article records from the archived pages with the current extractor (no network).

    Reads the latest capture of each page from the web archive beside the dataset (data/news.archive/);
    pages an older release kept inside the dataset are moved there first. Changed records are updated and
    their previous version kept in article_versions; pages the extractor
    no longer takes for an article are counted and their rows left as they are. Each site's rewrite is
    recorded in crawl_runs.

    Example: linfen reextract --site lfxww
    """
    if site:
        profile_or_fail(site)
    path = resolve_db(db_path)
    with open_existing(db_path) as ds:
        move_pages(ds, path, "reextract")
        sites = [site] if site else [r["site"] for r in ds.raw_stats()]
        locks, refused = take_locks(path, sites)
        for key, message in refused.items():
            click.echo(f"{key}: refused: {message}", err=True)
        if refused:
            for lock in locks:
                lock.release()
            sys.exit(3)
        done = 0
        try:
            for key, result in reextract_dataset(ds, site=site):
                done += 1
                click.echo(f"{key}: {result.articles} articles rebuilt: {result.new} new, {result.updated} "
                           f"updated, {result.unchanged} unchanged, {result.rejected} not articles now, "
                           f"{result.missing_pages} with a later page not kept")
        except ArchiveError as exc:
            click.echo(f"cannot read the archive: {exc} (see `linfen archive verify`)", err=True)
            sys.exit(1)
        finally:
            for lock in locks:
                lock.release()
    if not done:
        click.echo("no archived pages" + (f" for {site}" if site else "") + " (crawl without --no-raw first)",
                   err=True)
