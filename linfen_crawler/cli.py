"""The ``linfen`` command line: a thin layer over storage.py, the extractor and Scrapy's CrawlerProcess.

Exit codes: 0 ok, 1 a crawl ended degraded or failed, 2 bad usage or input, 3 another run holds a site's lock.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from linfen_crawler import settings as project_settings
from linfen_crawler.profiles import Profile, ProfileError, all_profiles, load_profile
from linfen_crawler.storage import ARTICLE_COLUMNS, Dataset, StorageError

DEFAULT_DB = "data/news.db"
DEMO_DB = "data/demo.db"
LIST_SEPARATOR = "、"


class UsageError(click.ClickException):
    """One-line error, exit code 2."""

    exit_code = 2


def fail(message: str) -> UsageError:
    return UsageError(message)


def db_option(default: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--db", "db_path", default=default, show_default=True,
                        help=f"dataset path (default: $LINFEN_DB or {DEFAULT_DB})")


def resolve_db(db_path: str | None) -> str:
    return db_path or os.environ.get("LINFEN_DB") or DEFAULT_DB


def open_existing(db_path: str | None) -> Dataset:
    path = resolve_db(db_path)
    try:
        return Dataset(path, create=False)
    except StorageError as exc:
        raise fail(str(exc)) from None


def iso_day(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise fail(f"{name} {value!r} is not a date like 2024-03-15") from None


def profile_or_fail(key: str) -> Profile:
    try:
        return load_profile(key)
    except ProfileError as exc:
        raise fail(str(exc)) from None


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise fail(f"-s {pair!r}: expected NAME=VALUE")
        name, value = pair.split("=", 1)
        out[name.strip()] = value
    check_override_types(out)
    return out


def check_override_types(overrides: dict[str, str]) -> None:
    """Fail in one line on ``-s NAME=VALUE`` whose value cannot be what the setting's default is (issue 5)."""
    from scrapy.settings import Settings

    known = Settings()
    known.setmodule("linfen_crawler.settings", priority="project")
    for name, value in overrides.items():
        default = known.get(name)
        probe = Settings({name: value})
        # int defaults accept decimals too: Scrapy reads several of them (DOWNLOAD_TIMEOUT) as floats
        for kind, getter, wanted in ((bool, probe.getbool, "true or false"), (int | float, probe.getfloat, "a number")):
            if isinstance(default, kind):
                try:
                    getter(name)
                except ValueError:
                    raise fail(f"-s {name}={value!r}: expected {wanted}") from None
                break


class OneLineErrorGroup(click.Group):
    """Usage errors in one line like every other error (``Error: … (see `linfen export -h`)``), exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            if exc.ctx is None:
                raise
            raise UsageError(f"{exc.format_message()} (see `{exc.ctx.command_path} -h`)") from None


@click.group(cls=OneLineErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="linfen-crawler")
def main() -> None:
    """Crawl Chinese local news portals (临汾新闻网 and its kin) into a clean SQLite dataset."""


# -- crawling -------------------------------------------------------------------------------------------
def run_crawls(sites: list[str], db_path: str, overrides: dict[str, Any],
               per_site: dict[str, dict[str, Any]] | None = None) -> dict[str, str]:
    """Crawl the given sites in one Scrapy process; returns each site's run status.

    ``per_site`` adds settings for one site's crawler only (its JOBDIR).
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from linfen_crawler.spiders.portal import PortalSpider

    settings = Settings()
    settings.setmodule("linfen_crawler.settings", priority="project")
    settings.set("LINFEN_DB", db_path, priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = {}
    for key in sites:
        crawler = process.create_crawler(PortalSpider)
        for name, value in (per_site or {}).get(key, {}).items():
            crawler.settings.set(name, value, priority="cmdline")
        crawlers[key] = crawler
        process.crawl(crawler, site=key)
    process.start()
    statuses = {}
    for key, crawler in crawlers.items():
        stats = crawler.stats.get_stats() if crawler.stats else {}
        statuses[key] = str(stats.get("linfen/status", "failed"))
        if stats.get("linfen/degraded"):  # issue 5: why a guard stopped the run (e.g. the site blocks us)
            click.echo(str(stats["linfen/degraded"]), err=True)
    return statuses


@main.command()
@click.argument("sites", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="crawl every profile")
@db_option()
@click.option("--generic", is_flag=True, help="ignore profile selectors (measure the generic extractor)")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="override a Scrapy setting")
@click.option("--refresh", is_flag=True, help="fetch known articles again too (no incremental skipping)")
@click.option("--since", help="skip articles published before this day, YYYY-MM-DD (for a first crawl)")
@click.option("--recheck", "recheck_days", type=click.IntRange(1), metavar="DAYS",
              help="also re-fetch stored articles published in the last DAYS days (edits, takedowns)")
@click.option("--resume", is_flag=True, help="continue a gracefully stopped run from its job directory")
@click.option("--no-raw", is_flag=True, help="do not keep the fetched article pages (raw_pages)")
@click.option("--httpcache", is_flag=True, help="use Scrapy's HTTP cache (development only)")
@click.option("--redis", "redis_url", metavar="URL",
              help="run as a distributed worker on this Redis (see docs/distributed.md); `linfen ingest` writes")
@click.option("--jobs", "workers", type=click.IntRange(1), metavar="N",
              help="worker processes for several sites, one site each at a time (default: number of cores)")
def crawl(sites: tuple[str, ...], all_sites: bool, db_path: str | None, generic: bool,
          settings: tuple[str, ...], refresh: bool, since: str | None, recheck_days: int | None, resume: bool,
          no_raw: bool, httpcache: bool, redis_url: str | None, workers: int | None) -> None:
    """Crawl SITE… (profile keys) into the dataset; only articles not yet stored are fetched.

    A site another run is crawling into the same dataset is refused (exit 3). After Ctrl-C or SIGTERM,
    `--resume` continues the run; after a hard kill, the next run finds what is missing by itself.

    Example: linfen crawl lfxww --db data/news.db
    """
    keys = sorted(all_profiles()) if all_sites else list(dict.fromkeys(sites))
    if not keys:
        raise fail("name at least one site (see `linfen sites`) or use --all")
    for key in keys:
        profile_or_fail(key)
    if redis_url:  # issue 7: a distributed worker writes no dataset (linfen_crawler/commands/distributed.py)
        from linfen_crawler.commands.distributed import run_worker

        sys.exit(run_worker(keys, redis_url, parse_overrides(settings), generic=generic))
    path = resolve_db(db_path)
    overrides: dict[str, Any] = parse_overrides(settings)  # before the dataset: bad input writes nothing
    try:
        Dataset(path).close()  # create/migrate now, so a bad --db fails before the crawl starts
    except StorageError as exc:
        raise fail(str(exc)) from None
    if generic:
        overrides["LINFEN_GENERIC_ONLY"] = True
    # -- issue 4: scheduled-job options, site locks and job directories (linfen_crawler/scheduled/) --
    from linfen_crawler.scheduled import locks as jobdirs
    from linfen_crawler.scheduled.plan import crawl_overrides

    overrides.update(crawl_overrides(refresh=refresh, since=iso_day(since, "--since"),
                                     recheck_days=recheck_days, no_raw=no_raw, httpcache=httpcache))
    locks, refused = jobdirs.take_locks(path, keys)
    for key, message in refused.items():
        click.echo(f"{key}: refused: {message}", err=True)
    keys = [k for k in keys if k not in refused]
    root = jobdirs.jobs_root(path, str(overrides.get("LINFEN_JOBS_DIR") or project_settings.LINFEN_JOBS_DIR))
    per_site = {}
    for key in keys:
        jobdir = root / key
        if jobdirs.prepare_jobdir(jobdir, resume) == "not_resumable":
            click.echo(f"{key}: nothing to resume in {jobdir} (the last run was not stopped gracefully); "
                       "starting a fresh run that re-walks every list page", err=True)
        per_site[key] = {"JOBDIR": str(jobdir)}
    from linfen_crawler.parallel import run_sites  # issue 8: --jobs, sites in worker processes

    statuses = run_sites(keys, path, overrides, per_site, jobs=workers) if keys else {}
    for key, status in statuses.items():
        jobdirs.finish_jobdir(root / key, status)
        hint = f" (continue with `linfen crawl {key} --resume`)" if status == "interrupted" else ""
        click.echo(f"{key}: {status}{hint}")
    for lock in locks:
        lock.release()
    if any(s in ("degraded", "failed") for s in statuses.values()):
        sys.exit(1)
    if refused:
        sys.exit(3)


@main.command()
@db_option(DEMO_DB)
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="override a Scrapy setting")
def demo(db_path: str, settings: tuple[str, ...]) -> None:
    """Serve the bundled sample portal on 127.0.0.1 and crawl it (offline) into data/demo.db.

    The portal answers for the real host names through a local proxy, so stored URLs are the real site's.
    """
    from linfen_crawler.demo.server import DemoServer

    try:
        Dataset(db_path).close()
    except StorageError as exc:
        raise fail(str(exc)) from None
    with DemoServer() as server:
        click.echo(f"sample portal serving on {server.url}")
        overrides: dict[str, Any] = {
            "LINFEN_PROXY": server.url, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "WARNING",
        }
        overrides.update(parse_overrides(settings))
        statuses = run_crawls(server.portal.sites(), db_path, overrides)  # every site the portal serves
    with Dataset(db_path) as ds:
        click.echo(f"dataset: {db_path}")
        for run in reversed(ds.last_runs(len(statuses))):
            click.echo(f"run {run['id']} {run['site']}: {run['status']}, {run['pages']} pages, "
                       f"{run['articles_new']} new, {run['articles_updated']} updated, {run['rejects']} rejected, "
                       f"{run['errors']} errors")
        click.echo(f"articles in the dataset: {ds.count('articles')}")
    if any(s in ("degraded", "failed") for s in statuses.values()):
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="one JSON object per profile")
def sites(as_json: bool) -> None:
    """List the site profiles."""
    try:
        profiles = all_profiles()
    except ProfileError as exc:
        raise fail(str(exc)) from None
    for p in profiles.values():
        info = {"key": p.key, "name": p.name, "domains": list(p.domains), "sections": len(p.start_urls),
                "verified_live": p.verified_live, "facts": p.facts, "path": p.path}
        if as_json:
            click.echo(json.dumps(info, ensure_ascii=False))
        else:
            live = "verified live" if p.verified_live else "not verified live"
            click.echo(f"{p.key:10} {p.name}  {', '.join(p.domains)}  {len(p.start_urls)} start URLs  ({live})")


# -- checking pages -------------------------------------------------------------------------------------
def _check_inputs(targets: Iterable[str]) -> Iterator[tuple[str, bytes, dict[str, str], str | None]]:
    """(label, bytes, headers, url) for each file, every *.htm(l) in a directory, or URL."""
    for target in targets:
        if target.startswith(("http://", "https://")):
            import urllib.request

            try:
                with urllib.request.urlopen(target, timeout=30) as resp:  # a URL the user gave
                    yield target, resp.read(), dict(resp.headers.items()), resp.geturl()
            except OSError as exc:
                raise fail(f"cannot fetch {target}: {exc}") from None
            continue
        path = Path(target)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".html", ".htm", ".shtml"))
        elif path.is_file():
            files = [path]
        else:
            raise fail(f"{target}: no such file, directory or URL")
        for f in files:
            yield str(f), f.read_bytes(), {}, None


@main.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--site", "site", help="profile key whose selectors to use (default: generic only)")
@click.option("--generic", is_flag=True, help="ignore profile selectors: generic extractor for every field")
@click.option("--json", "as_json", is_flag=True, help="one JSON line per page")
def check(targets: tuple[str, ...], site: str | None, generic: bool, as_json: bool) -> None:
    """Extract pages (files, directories or URLs) and print their records.

    Example: linfen check page.html --site lfxww --json
    """
    from linfen_crawler.extract.article import extract_article
    from linfen_crawler.records import make_article, normalize_article, reject_reason

    profile = profile_or_fail(site) if site else None
    for label, body, headers, fetched_url in _check_inputs(targets):
        base = fetched_url or Path(label).resolve().as_uri()
        # A fetched page is dated now; a saved file's fetch time is unknown, so 昨天/3小时前 stay unresolved.
        now = datetime.now(UTC) if fetched_url else None
        rec = extract_article(body, base, profile=profile, headers=headers, now=now, generic_only=generic)
        url = fetched_url or rec["own_url"] or base
        art = normalize_article(make_article(rec, url=url, profile=profile or _NO_PROFILE, section=None))
        out: dict[str, Any] = {"file" if fetched_url is None else "fetched": label}
        out.update({k: getattr(art, k, None) for k in ARTICLE_COLUMNS})
        out["site"] = profile.key if profile else None
        out["site_name"] = profile.name if profile else None
        out["reject"] = reject_reason(art, project_settings.LINFEN_MIN_BODY_CHARS)
        if as_json:
            click.echo(json.dumps(out, ensure_ascii=False))
        else:
            click.echo(f"== {label}")
            for key in ("url", "title", "published_at", "source", "authors", "editors", "section", "reject"):
                value = out[key]
                click.echo(f"{key:13} {json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value}")
            click.echo((out["body"] or "")[:300])


_NO_PROFILE = Profile(key="generic", name="", domains=(), start_urls=(), sections={})


# -- reading the dataset --------------------------------------------------------------------------------
@main.command()
@db_option()
@click.option("--runs", default=10, show_default=True, type=click.IntRange(0, 1000),
              help="last runs to show per site")
@click.option("--days", default=7, show_default=True, type=click.IntRange(0, 10000),
              help="articles per site for the latest DAYS publish days")
@click.option("--dedupe", is_flag=True, help="leave out syndicated copies (see `linfen dedupe`)")
def stats(db_path: str | None, runs: int, days: int, dedupe: bool) -> None:
    """Articles per site and day, field coverage, syndicated copies and the last crawl runs."""
    with open_existing(db_path) as ds:
        site_rows = ds.site_stats(dedupe=dedupe)
        click.echo("site          articles  first       last        date   source authors editors  copies")
        for s in site_rows:
            click.echo(f"{s['site']:12} {s['articles']:9}  {s['first'] or '-':10}  {s['last'] or '-':10}  "
                       f"{s['published_at']:5.0%}  {s['source']:5.0%}  {s['authors']:5.0%}  {s['editors']:5.0%}  "
                       f"{s['duplicates'] or 0:6}")
        per_day = ds.per_site_day(dedupe=dedupe)
        latest = sorted({day for _, day, _ in per_day})[-days:] if days else []
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
            click.echo(f"raw pages {raw['site']}: {raw['pages']} pages, {raw['stored_bytes'] / 1e6:.1f} MB "
                       f"stored ({raw['original_bytes'] / 1e6:.1f} MB before compression)")


def _register_command_modules() -> None:
    from linfen_crawler.commands import register_all

    register_all(main)


_register_command_modules()

if __name__ == "__main__":
    main()
