"""Crawl commands: ``linfen crawl`` and ``linfen demo``.

The only command module that starts Scrapy (through :mod:`linfen_crawler.runner`); the group loads it only
when one of its commands runs, so the analyst commands start without Scrapy or Twisted.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import click

from linfen_crawler import settings as project_settings
from linfen_crawler.commands.distributed import distributed_sites, run_worker
from linfen_crawler.commands.options import (
    DAY,
    DEMO_DB,
    check_crawl_settings,
    create_dataset,
    db_option,
    fail,
    iso_day,
    parse_overrides,
    resolve_db,
    settings_option,
)
from linfen_crawler.commands.profile_arg import profile_or_fail
from linfen_crawler.demo.server import DemoServer
from linfen_crawler.extensions.progress import progress_drawn
from linfen_crawler.profiles import all_profiles
from linfen_crawler.records import FAILURE_KEY, error_kinds
from linfen_crawler.runner import log_overrides, run_crawls, run_sites
from linfen_crawler.scheduled.locks import finish_jobdir, jobs_root, prepare_jobdir, take_locks
from linfen_crawler.scheduled.plan import crawl_overrides
from linfen_crawler.settings_check import RULES, SettingsError, check_setting
from linfen_crawler.storage import RUN_STATUSES, Dataset, StorageError

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def new_runs(db_path: str, after_id: int, limit: int | None = None) -> dict[str, dict[str, Any]]:
    """Each site's newest run with an id above ``after_id`` (``stats`` decoded), oldest first; the last ``limit``
    runs only when given."""
    with Dataset(db_path) as ds:
        rows = [r for r in ds.last_runs(limit or 10_000) if r["id"] > after_id]
        out: dict[str, dict[str, Any]] = {}
        for row in sorted(rows, key=lambda r: r["id"]):
            full = ds.run_history(row["site"], limit=1, statuses=RUN_STATUSES, before_id=row["id"] + 1)
            out[row["site"]] = full[0] if full else row
    return out


def run_line(run: dict[str, Any]) -> str:
    """One line for a run: ``lfxww: finished, 120 pages, 30 new, 2 updated, 1 rejected, 3 errors (http_404 2,
    timeout 1), 1 min 5 s`` (``linfen crawl`` and ``linfen demo``)."""
    stats = run.get("stats") or {}
    kinds = error_kinds(stats) if isinstance(stats, dict) else {}
    errors = f"{run['errors'] or 0} errors"
    if kinds:
        errors += " (" + ", ".join(f"{k} {n}" for k, n in kinds.items()) + ")"
    seconds = float(stats.get("duration_s", 0)) if isinstance(stats, dict) else 0.0
    took = f"{int(seconds // 60)} min {seconds % 60:.0f} s" if seconds >= 60 else f"{seconds:.1f} s"
    skipped = int(stats.get("linfen/epaper/skipped_days", 0)) if isinstance(stats, dict) else 0
    days = "day" if skipped == 1 else "days"
    editions = f", {skipped} {days} without an edition" if skipped else ""  # issue 17: e-papers; never errors
    return (f"{run['site']}: {run['status']}, {run['pages'] or 0} pages, {run['articles_new'] or 0} new, "
            f"{run['articles_updated'] or 0} updated, {run['rejects'] or 0} rejected, {errors}{editions}, {took}")


def edition_overrides(kinds: dict[str, str], first: str | None, last: str | None) -> dict[str, str]:
    """``--from``/``--to`` as settings (issue 17). They walk an e-paper's editions; a portal has none, so naming
    them for a portal is refused (its articles are limited by publish day with ``--since``)."""
    if first is None and last is None:
        return {}
    option = "--from" if first is not None else "--to"
    portals = [key for key, kind in kinds.items() if kind != "epaper"]
    if portals:
        raise fail(f"{option} walks an e-paper's editions by date; {portals[0]} is a portal profile "
                   "(limit a portal crawl with --since)")
    if first and last and first > last:
        raise fail(f"--from {first} is after --to {last}")
    latest_today = datetime.now(timezone(timedelta(hours=14))).date().isoformat()  # today anywhere on Earth
    if first and not last and first > latest_today:
        raise fail(f"--from {first} is in the future: no edition of that day exists yet")
    out = {}
    if first:
        out["LINFEN_EDITION_FROM"] = first
    if last:
        out["LINFEN_EDITION_TO"] = last
    return out


@click.command()
@click.argument("sites", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="crawl every profile")
@db_option(creates=True)
@click.option("--generic", is_flag=True, help="ignore profile selectors (measure the generic extractor)")
@settings_option
@click.option("--refresh", is_flag=True, help="fetch known articles again too (no incremental skipping)")
@click.option("--since", type=DAY, help="skip articles published before this day (for a first crawl); e-papers: "
                                        "no edition before it, and a first run walks the editions from it")
@click.option("--from", "edition_from", type=DAY,
              help="e-papers: the first day whose edition to fetch (default: the last stored edition, or the last "
                   "day a finished run reached when a later run stopped early)")
@click.option("--to", "edition_to", type=DAY, help="e-papers: the last day whose edition to fetch (default: today)")
@click.option("--recheck", "recheck_days", type=click.IntRange(1, int(RULES["LINFEN_RECHECK_DAYS"].high or 1)),
              metavar="DAYS",
              help="also re-fetch stored articles published in the last DAYS days (edits, takedowns)")
@click.option("--resume", is_flag=True, help="continue a gracefully stopped run from its job directory")
@click.option("--no-raw", is_flag=True, help="do not archive the fetched article pages (no WARC captures)")
@click.option("--archive-compression", type=click.Choice(("gzip", "zstd")),
              help="compress the archive's WARC files with gzip (the default, read everywhere) or zstd with a "
                   "dictionary per site (smaller; docs/archive.md)")
@click.option("--httpcache", is_flag=True, help="use Scrapy's HTTP cache (development only)")
@click.option("--redis", "redis_url", metavar="URL",
              help="run as a distributed worker on this Redis (see docs/distributed.md); `linfen ingest` writes")
@click.option("--jobs", "workers", type=click.IntRange(1), metavar="N",
              help="worker processes for several sites, one site each at a time (default: number of cores)")
@click.option("-q", "--quiet", is_flag=True,
              help="print nothing unless a run failed (then one line per site on stderr): for cron")
@click.option("--logfile", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="write the whole log to FILE instead of the terminal")
@click.option("-L", "--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False), metavar="LEVEL",
              help="log level: CRITICAL, ERROR, WARNING, INFO, DEBUG (default INFO; ERROR on the terminal "
                   "while the progress display is shown)")
def crawl(sites: tuple[str, ...], all_sites: bool, db_path: str | None, generic: bool,
          settings: tuple[str, ...], refresh: bool, since: str | None, edition_from: str | None,
          edition_to: str | None, recheck_days: int | None, resume: bool,
          no_raw: bool, archive_compression: str | None, httpcache: bool, redis_url: str | None,
          workers: int | None, quiet: bool, logfile: str | None, log_level: str | None) -> None:
    """Crawl SITE… (profile keys) into the dataset; only articles not yet stored are fetched.

    Ends with one line per site: status, pages, new, updated, rejected, errors by kind, time taken. A failed
    run also prints its cause on stderr (`lfxww: failed: dns: DNS lookup failed for www.lfxww.com`).
    A site another run is crawling into the same dataset is refused (exit 3). After Ctrl-C or SIGTERM,
    `--resume` continues the run; after a hard kill, the next run finds what is missing by itself.
    An e-paper profile (`linfen sites`: kind epaper) is crawled edition by edition: --from/--to name the
    days; without --from, from the last stored edition to today. Days without an edition are skipped.

    Example: linfen crawl lfxww --db data/news.db; linfen crawl lfrb --from 2024-01-01 --to 2024-03-31
    """
    keys = sorted(all_profiles()) if all_sites else list(dict.fromkeys(sites))
    if not keys:
        raise fail("name at least one site (see `linfen sites`) or use --all")
    kinds = {key: profile_or_fail(key).kind for key in keys}
    editions = edition_overrides(kinds, iso_day(edition_from, "--from"), iso_day(edition_to, "--to"))
    if redis_url:  # issue 7: a distributed worker writes no dataset (linfen_crawler/commands/distributed.py)
        keys = distributed_sites(kinds, all_sites)  # issue 17: the portals (an e-paper named is refused)
        worker_overrides: dict[str, Any] = parse_overrides(settings)
        try:
            check_setting("LINFEN_REDIS_URL", redis_url)
        except SettingsError as exc:
            raise fail(f"--redis {str(exc).split('=', 1)[1]}") from None
        sys.exit(run_worker(keys, redis_url, worker_overrides, generic=generic))
    path = resolve_db(db_path)
    overrides: dict[str, Any] = parse_overrides(settings)  # before the dataset: bad input writes nothing
    if generic:
        overrides["LINFEN_GENERIC_ONLY"] = True
    # -- issue 4: scheduled-job options, site locks and job directories (linfen_crawler/scheduled/) --
    overrides.update(crawl_overrides(refresh=refresh, since=iso_day(since, "--since"),
                                          recheck_days=recheck_days, no_raw=no_raw, httpcache=httpcache))
    if archive_compression:
        overrides["LINFEN_ARCHIVE_COMPRESSION"] = archive_compression
    overrides.update(editions)
    check_crawl_settings(overrides)  # issue 15: every LINFEN_ value (settings_check.RULES) before anything starts
    create_dataset(path)
    locks, refused = take_locks(path, keys)
    for key, message in refused.items():
        click.echo(f"{key}: refused: {message}", err=True)
    keys = [k for k in keys if k not in refused]
    root = jobs_root(path, str(overrides.get("LINFEN_JOBS_DIR") or project_settings.LINFEN_JOBS_DIR))
    per_site = {}
    for key in keys:
        jobdir = root / key
        if prepare_jobdir(jobdir, resume) == "not_resumable":
            click.echo(f"{key}: nothing to resume in {jobdir} (the last run was not stopped gracefully); "
                       "starting a fresh run that re-walks every list page", err=True)
        per_site[key] = {"JOBDIR": str(jobdir)}
    # issue 14: --quiet, --logfile, --log-level; the progress display decides what the terminal shows
    mode = str(overrides.get("LINFEN_PROGRESS") or project_settings.LINFEN_PROGRESS)
    overrides.update(log_overrides(quiet=quiet, logfile=logfile, log_level=log_level or overrides.get("LOG_LEVEL"),
                                   progress=progress_drawn(mode, sys.stderr)))
    try:
        with Dataset(path) as ds:
            last_run = max((r["id"] for r in ds.last_runs(1)), default=0)
    except StorageError as exc:  # e.g. a disk already full: one line, before any crawl starts
        raise fail(str(exc)) from None
    # issue 8: --jobs, sites in worker processes
    statuses = run_sites(keys, path, overrides, per_site, jobs=workers) if keys else {}
    runs = new_runs(path, last_run)
    for key, status in statuses.items():
        finish_jobdir(root / key, status)
        run = runs.get(key)
        if status == "failed":
            cause = (run or {}).get("stats", {}).get(FAILURE_KEY) or "see the log"
            click.echo(f"{key}: failed: {cause}", err=True)
        if status == "interrupted":
            click.echo(f"{key}: interrupted (continue with `linfen crawl {key} --resume`)", err=quiet)
        elif not quiet:
            click.echo(run_line(run) if run else f"{key}: {status}")
    for lock in locks:
        lock.release()
    if any(s in ("degraded", "failed") for s in statuses.values()):
        sys.exit(1)
    if refused:
        sys.exit(3)


@click.command()
@db_option(DEMO_DB, help="dataset file; $LINFEN_DB is not used, so the sample articles never mix into your "
                         "dataset", creates=True)
@settings_option
def demo(db_path: str, settings: tuple[str, ...]) -> None:
    """Serve the bundled sample portal on 127.0.0.1 and crawl it (offline) into data/demo.db.

    The portal answers for the real host names through a local proxy, so stored URLs are the real site's.

    Example: linfen demo --db data/demo.db
    """
    create_dataset(db_path)
    with DemoServer() as server:
        click.echo(f"sample portal serving on {server.url}")
        overrides: dict[str, Any] = {
            "LINFEN_PROXY": server.url, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "WARNING",
        }
        overrides.update(parse_overrides(settings))
        check_crawl_settings(overrides)
        statuses = run_crawls(server.portal.sites(), db_path, overrides)  # every site the portal serves
    click.echo(f"dataset: {db_path}")
    for run in new_runs(db_path, 0, len(statuses)).values():
        click.echo(f"run {run['id']} {run_line(run)}")
    with Dataset(db_path) as ds:
        click.echo(f"articles in the dataset: {ds.count('articles')}")
    if any(s in ("degraded", "failed") for s in statuses.values()):
        sys.exit(1)
