"""Distributed crawling commands: ``seed``, ``ingest``, ``stop`` (workers are ``linfen crawl --redis URL``).

The machinery is in :mod:`linfen_crawler.distributed`; these commands only parse options and report.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from linfen_crawler import settings as project_settings
from linfen_crawler.commands.options import db_option, fail, open_existing, resolve_db
from linfen_crawler.commands.profile_arg import profile_or_fail
from linfen_crawler.distributed.ingest import Ingester, WriterBusy
from linfen_crawler.distributed.keys import DistributedError, Keys, connect, frontier, request_stop
from linfen_crawler.distributed.keys import seed as seed_run
from linfen_crawler.profiles import all_profiles
from linfen_crawler.runner import run_crawls
from linfen_crawler.scheduled.plan import CrawlPlan
from linfen_crawler.storage import StorageError


class Busy(click.ClickException):
    """Another writer or an unfinished run is in the way: exit code 3."""

    exit_code = 3


def redis_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--prefix", default=project_settings.LINFEN_REDIS_PREFIX, show_default=True,
                        envvar="LINFEN_REDIS_PREFIX",
                        help="prefix of the Redis keys (one per deployment)")(func)
    return click.option("--redis", "redis_url", required=True, envvar="LINFEN_REDIS_URL", metavar="URL",
                        help="Redis of the deployment, e.g. redis://10.0.0.5:6379/0 ($LINFEN_REDIS_URL)")(func)


def _connect(url: str) -> Any:
    try:
        return connect(url)
    except DistributedError as exc:
        raise fail(str(exc)) from None


def run_worker(sites: list[str], redis_url: str, overrides: dict[str, Any], *, generic: bool = False) -> int:
    """``linfen crawl SITE… --redis URL``: one worker for the sites; returns the exit code."""
    _connect(redis_url)
    overrides = {**overrides, "LINFEN_REDIS_URL": redis_url}
    if generic:
        overrides["LINFEN_GENERIC_ONLY"] = True
    statuses = run_crawls(sites, resolve_db(None), overrides)
    for key, status in statuses.items():
        click.echo(f"{key}: worker {status}")
    return 1 if any(s == "failed" for s in statuses.values()) else 0


def distributed_sites(kinds: dict[str, str], all_sites: bool) -> list[str]:
    """The sites of ``kinds`` (key -> profile kind) a distributed run crawls (``linfen seed``, ``linfen crawl
    --redis``): the portals. Issue 17: an e-paper is walked by date from the dataset's last edition, locally
    only; ``--all`` leaves it out, naming one is refused in one line."""
    papers = [key for key, kind in kinds.items() if kind == "epaper"]
    if papers and not all_sites:
        raise fail(f"{papers[0]} is an e-paper: e-papers are not crawled in distributed mode; crawl it with "
                   f"`linfen crawl {papers[0]}` without --redis")
    return [key for key in kinds if key not in papers]


@click.command()
@click.argument("sites", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="seed every profile")
@click.option("--restart", is_flag=True, help="drop a run still in progress and start over")
@db_option(help="dataset the writer fills: make the run incremental like a local crawl (known articles are not "
                "fetched, paging stops early); without it the run is a full crawl")
@redis_options
def seed(sites: tuple[str, ...], all_sites: bool, restart: bool, db_path: str | None, redis_url: str,
         prefix: str) -> None:
    """Start a distributed run of SITE…: fresh fingerprints, the profile's start URLs queued in Redis.

    Workers (`linfen crawl SITE --redis URL`) pick the work up; `linfen ingest` writes it.
    A site whose previous run still has work is refused (exit 3) unless --restart.
    With --db the run skips the articles the dataset knows, as `linfen crawl` does (its known URLs are
    put in Redis for this run only); without --db every article is fetched again.

    Example: linfen seed lfxww --redis redis://127.0.0.1:6379/0 --db data/news.db
    """
    keys = sorted(all_profiles()) if all_sites else list(dict.fromkeys(sites))
    if not keys:
        raise fail("name at least one site (see `linfen sites`) or use --all")
    profiles = [profile_or_fail(k) for k in keys]
    portals = distributed_sites({p.key: p.kind for p in profiles}, all_sites)
    profiles = [p for p in profiles if p.key in portals]
    client = _connect(redis_url)
    plans: dict[str, CrawlPlan] = {}
    if db_path is not None:
        with open_existing(db_path) as dataset:
            plans = {p.key: CrawlPlan.load(dataset, p.key) for p in profiles}
    refused = 0
    for profile in profiles:
        plan = plans.get(profile.key)
        try:
            run = seed_run(client, Keys(prefix), profile.key, profile.start_urls, restart=restart, plan=plan)
        except DistributedError as exc:
            click.echo(f"{profile.key}: refused: {exc}", err=True)
            refused += 1
            continue
        mode = f"incremental, {plan.describe()}" if plan is not None else "full crawl"
        click.echo(f"{profile.key}: run {run} seeded with {len(profile.start_urls)} start URLs ({mode})")
    if refused:
        sys.exit(Busy.exit_code)


@click.command()
@redis_options
@db_option()
@click.option("--idle-timeout", default=60.0, show_default=True, type=click.FloatRange(0),
              help="stop after this many seconds with no items and no busy worker (0: never)")
@click.option("--batch-size", default=project_settings.LINFEN_STORE_BATCH_SIZE, show_default=True,
              type=click.IntRange(1),
              help="items per SQLite transaction")
@click.option("--min-body-chars", default=project_settings.LINFEN_MIN_BODY_CHARS, show_default=True,
              type=click.IntRange(0),
              help="LINFEN_MIN_BODY_CHARS of the Validate step")
def ingest(redis_url: str, prefix: str, db_path: str | None, idle_timeout: float, batch_size: int,
           min_body_chars: int) -> None:
    """Be the single writer: move the workers' items from Redis into the dataset.

    Items go through the same Normalize → Validate → Store code as a local crawl, and are removed from
    Redis only after their transaction commits. Each seeded run gets one crawl_runs row, closed when
    its frontier is empty and no worker is busy. Runs until `linfen stop` or --idle-timeout.
    Exit 1 when a run ended degraded or failed, 3 when another writer is running.

    Example: linfen ingest --redis redis://127.0.0.1:6379/0 --db data/news.db
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    client = _connect(redis_url)
    try:
        ingester = Ingester(client, Keys(prefix), resolve_db(db_path), batch_size=batch_size,
                            idle_timeout=idle_timeout, min_body_chars=min_body_chars)
    except StorageError as exc:
        raise fail(str(exc)) from None
    import redis

    try:
        closed = ingester.run()
    except WriterBusy as exc:
        raise Busy(str(exc)) from None
    except redis.RedisError as exc:
        raise click.ClickException(f"lost Redis at {redis_url} ({exc}); what was not committed waits there "
                                   "for the next `linfen ingest`") from None
    for run in closed:
        click.echo(f"{run['site']} run {run['run']} (crawl_runs {run['db_run_id']}): {run['status']}, "
                   f"{run['pages']} pages, {run.get('articles_new', 0)} new, "
                   f"{run.get('articles_updated', 0)} updated, {run.get('rejects', 0)} rejected")
    if any(r["status"] in ("degraded", "failed") for r in closed):
        sys.exit(1)


@click.command()
@redis_options
@click.option("--status", "show", is_flag=True, help="only show each seeded site's frontier")
def stop(redis_url: str, prefix: str, show: bool) -> None:
    """Tell every distributed worker and the writer to stop.

    Workers finish the requests they hold and take no new ones; what is queued stays in Redis, so
    workers started later (without a new seed) continue the run. The writer ingests what is queued,
    then exits.

    Example: linfen stop --redis redis://127.0.0.1:6379/0
    """
    client = _connect(redis_url)
    keys = Keys(prefix)
    for site in sorted(all_profiles()):
        state = frontier(client, keys, site)
        if state.run:
            click.echo(f"{site}: run {state.run}, {state.seeds} seeds and {state.requests} requests queued, "
                       f"{state.busy_workers} workers busy")
    click.echo(f"items waiting for the writer: {client.llen(keys.items)}")
    if not show:
        request_stop(client, keys)
        click.echo("stop requested")

