"""The ``linfen`` command line: a thin layer over storage.py, the extractor and Scrapy's CrawlerProcess.

Exit codes: 0 ok, 1 a crawl ended degraded or failed, 2 bad usage or input, 3 another run holds a site's lock.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import click

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
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="linfen-crawler")
def main() -> None:
    """Crawl Chinese local news portals (临汾新闻网 and its kin) into a clean SQLite dataset."""


# -- crawling -------------------------------------------------------------------------------------------
def run_crawls(sites: list[str], db_path: str, overrides: dict[str, Any]) -> dict[str, str]:
    """Crawl the given sites in one Scrapy process; returns each site's run status."""
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
        crawlers[key] = crawler
        process.crawl(crawler, site=key)
    process.start()
    statuses = {}
    for key, crawler in crawlers.items():
        stats = crawler.stats.get_stats() if crawler.stats else {}
        statuses[key] = str(stats.get("linfen/status", "failed"))
    return statuses


@main.command()
@click.argument("sites", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="crawl every profile")
@db_option()
@click.option("--generic", is_flag=True, help="ignore profile selectors (measure the generic extractor)")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="override a Scrapy setting")
def crawl(sites: tuple[str, ...], all_sites: bool, db_path: str | None, generic: bool,
          settings: tuple[str, ...]) -> None:
    """Crawl SITE… (profile keys) into the dataset.

    Example: linfen crawl lfxww --db data/news.db
    """
    keys = sorted(all_profiles()) if all_sites else list(dict.fromkeys(sites))
    if not keys:
        raise fail("name at least one site (see `linfen sites`) or use --all")
    for key in keys:
        profile_or_fail(key)
    path = resolve_db(db_path)
    try:
        Dataset(path).close()  # create/migrate now, so a bad --db fails before the crawl starts
    except StorageError as exc:
        raise fail(str(exc)) from None
    overrides: dict[str, Any] = parse_overrides(settings)
    if generic:
        overrides["LINFEN_GENERIC_ONLY"] = True
    statuses = run_crawls(keys, path, overrides)
    for key, status in statuses.items():
        click.echo(f"{key}: {status}")
    if any(s in ("degraded", "failed") for s in statuses.values()):
        sys.exit(1)


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
        statuses = run_crawls(["lfxww"], db_path, overrides)
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
                with urllib.request.urlopen(target, timeout=30) as resp:  # noqa: S310 - user-given URL
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
    from linfen_crawler.pipelines import normalize_article, reject_reason
    from linfen_crawler.spiders.portal import make_article

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
        out["reject"] = reject_reason(art, 20)
        if as_json:
            click.echo(json.dumps(out, ensure_ascii=False))
        else:
            click.echo(f"== {label}")
            for key in ("url", "title", "published_at", "source", "authors", "editors", "section", "reject"):
                click.echo(f"{key:13} {out[key]}")
            click.echo((out["body"] or "")[:300])


_NO_PROFILE = Profile(key="generic", name="", domains=(), start_urls=(), sections={})


# -- reading the dataset --------------------------------------------------------------------------------
def _csv_value(value: Any) -> Any:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_export(rows: Iterable[dict[str, Any]], fh: TextIO, fmt: str, columns: list[str]) -> int:
    n = 0
    if fmt == "csv":
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(row[c]) for c in columns])
            n += 1
    else:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


@main.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--site")
@click.option("--since", help="first publish day, YYYY-MM-DD")
@click.option("--until", help="last publish day, YYYY-MM-DD")
@click.option("--query", help="full-text query (Chinese words of any length)")
@click.option("--columns", help="comma-separated columns (default: all)")
@click.option("--excel", is_flag=True, help="CSV with a UTF-8 BOM so Excel shows Chinese correctly")
@click.option("-o", "--output", required=True, help="file to write, or - for standard output")
@click.option("--force", is_flag=True, help="overwrite an existing file")
@db_option()
def export(fmt: str, site: str | None, since: str | None, until: str | None, query: str | None,
           columns: str | None, excel: bool, output: str, force: bool, db_path: str | None) -> None:
    """Export articles as CSV or JSON lines.

    Example: linfen export --format csv --excel --site lfxww --since 2024-01-01 -o lfxww.csv
    """
    since, until = iso_day(since, "--since"), iso_day(until, "--until")
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else list(ARTICLE_COLUMNS)
    bad = [c for c in cols if c not in ARTICLE_COLUMNS]
    if bad:
        raise fail(f"unknown column {bad[0]!r} (columns: {', '.join(ARTICLE_COLUMNS)})")
    if excel and fmt != "csv":
        raise fail("--excel applies to --format csv only")
    if output != "-" and Path(output).exists() and not force:
        raise fail(f"{output} exists; use --force to overwrite it")
    with open_existing(db_path) as ds:
        try:
            rows = ds.iter_articles(site=site, since=since, until=until, query=query, columns=cols)
            if output == "-":
                n = write_export(rows, sys.stdout, fmt, cols)
            else:
                tmp = Path(output + ".part")
                try:
                    with open(tmp, "w", encoding="utf-8-sig" if excel else "utf-8", newline="") as fh:
                        n = write_export(rows, fh, fmt, cols)
                    tmp.replace(output)
                except OSError as exc:
                    tmp.unlink(missing_ok=True)
                    raise fail(f"cannot write {output}: {exc.strerror}") from None
        except StorageError as exc:
            raise fail(str(exc)) from None
    click.echo(f"{n} articles written to {output}", err=True)


@main.command()
@click.argument("query")
@click.option("--site")
@click.option("--since")
@click.option("--until")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option()
def search(query: str, site: str | None, since: str | None, until: str | None, limit: int, fmt: str,
           db_path: str | None) -> None:
    """Full-text search (finds Chinese words of any length, e.g. 临汾), ranked, with snippets.

    Example: linfen search 临汾 --limit 5
    """
    since, until = iso_day(since, "--since"), iso_day(until, "--until")
    with open_existing(db_path) as ds:
        try:
            hits = ds.search(query, site=site, since=since, until=until, limit=limit)
        except StorageError as exc:
            raise fail(str(exc)) from None
    for hit in hits:
        if fmt == "json":
            click.echo(json.dumps(hit, ensure_ascii=False))
        else:
            click.echo(f"{hit['published_at'] or '':25} {hit['title']}\n    {hit['url']}\n    {hit['snippet']}")
    if fmt == "table":
        click.echo(f"{len(hits)} results", err=True)


@main.command()
@db_option()
@click.option("--runs", default=10, show_default=True, type=click.IntRange(0, 1000), help="last runs to show")
def stats(db_path: str | None, runs: int) -> None:
    """Articles per site, field coverage and the last crawl runs."""
    with open_existing(db_path) as ds:
        click.echo("site        articles  first       last        date   source authors editors")
        for s in ds.site_stats():
            click.echo(f"{s['site']:10} {s['articles']:9}  {s['first'] or '-':10}  {s['last'] or '-':10}  "
                       f"{s['published_at']:5.0%}  {s['source']:5.0%}  {s['authors']:5.0%}  {s['editors']:5.0%}")
        if runs:
            click.echo("\nrun   site       status       started                    pages  new  upd  rej  err")
            for r in ds.last_runs(runs):
                click.echo(f"{r['id']:<5} {r['site']:10} {r['status']:12} {r['started_at']:26} {r['pages']:5} "
                           f"{r['articles_new']:4} {r['articles_updated']:4} {r['rejects']:4} {r['errors']:4}")


def _register_command_modules() -> None:
    from linfen_crawler.commands import register_all

    register_all(main)


_register_command_modules()

if __name__ == "__main__":
    main()
