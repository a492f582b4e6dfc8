"""Scheduled crawl jobs: incremental crawling, recovery after a stop, run monitoring and per-site locks.

A scheduled run (cron, a systemd timer, Scrapyd) should fetch only what is new. :class:`CrawlPlan` is what
the spider knows before it starts: the site's known pages (stored articles, permanently rejected pages),
whether it may stop paging a section early, the ``--since`` day and the articles to ``--recheck``.

* **Incremental**: an article link already known is not fetched (unless ``LINFEN_REFRESH``), and a
  section's paging stops at the first list page whose links are all known (:meth:`CrawlPlan.select`).
* **Recovery**: after a run that did not finish (``interrupted``, ``failed``, or still ``running`` with its
  process gone), early stopping is off, so the next run walks every list page and fetches whatever the
  stopped run missed. A graceful stop leaves a Scrapy ``JOBDIR`` that ``linfen crawl --resume`` continues.
* **Monitoring**: :func:`field_coverage` and :func:`coverage_alerts` flag a run whose new articles lack a
  field much more often than the site's recent runs (an extractor broken by a redesign).
* **Locks**: :class:`SiteLock` (an ``flock`` beside the dataset) lets one run per site and dataset work
  at a time; the kernel frees it when the process dies, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from linfen_crawler.normalize import canonicalize_url, utcnow
from linfen_crawler.storage import Dataset

logger = logging.getLogger(__name__)

COVERAGE_FIELDS = ("published_at", "source", "authors", "editors")
UNFINISHED = ("interrupted", "failed", "running")
TRANSIENT_PREFIXES = ("antibot_", "site_blocked", "parse_error", "store_error", "too_large", "bad_encoding")
RAW_KINDS = ("article", "article_page", "recheck")  # request kinds whose pages are kept in raw_pages

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_LINK_HOLDERS = "ancestor::*[self::li or self::tr or self::dd or self::dt or self::p][1]"


class SiteLocked(RuntimeError):
    """Another live run of the same site holds the site's lock on this dataset."""


# -- incremental crawling -------------------------------------------------------------------------------
def crawled_site(crawler: Any) -> str:
    """The profile key of the site a crawler crawls (its spider's ``site_key``, else the spider name)."""
    spider = crawler.spider
    return str(getattr(spider, "site_key", None) or getattr(spider, "name", "unknown"))


def is_transient(reason: str | None) -> bool:
    """True for a reject reason worth retrying on the next run (server errors, throttling, network errors).

    Extraction verdicts (``no_body``, ``not_prose``, ``error_page``) and client errors (``http_404``) are
    permanent: the page is known and not fetched again. Exception names (``TimeoutError``), anti-bot walls
    (``antibot_captcha``) and crashed callbacks (``parse_error``) are transient.
    """
    if not reason:
        return True
    if reason.startswith(TRANSIENT_PREFIXES):
        return True
    if reason.startswith("http_"):
        code = reason[5:]
        return code.startswith("5") or code in ("408", "429")
    return any(c.isupper() for c in reason)


BEFORE_SINCE = "before_since"  # reject reason: an article published before the run's --since (detail: its day)


def known_to_run(reason: str | None, detail: str | None, since: str | None) -> bool:
    """Whether a page rejected for ``reason`` is skipped by a run with ``since``: a permanent verdict
    always; an article rejected as published before an earlier ``--since`` (``detail``: its day) only
    while it is before this run's ``--since`` too (a run without ``--since`` or with an earlier one
    fetches and stores it)."""
    if reason == BEFORE_SINCE:
        return bool(since and detail and detail < since)
    return not is_transient(reason)


def parse_day(value: str | None) -> str | None:
    """``YYYY-MM-DD`` from a date or a timestamp string; None when it holds none."""
    if not value:
        return None
    m = _DATE.search(value)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def link_dates(doc: Any, base_url: str) -> dict[str, str]:
    """Canonical URL → ``YYYY-MM-DD`` for list-page links shown with a date (in the same ``li``/row)."""
    out: dict[str, str] = {}
    for anchor in doc.xpath("//a[@href]"):
        holder = anchor.xpath(_LINK_HOLDERS)
        node = holder[0] if holder else anchor.getparent()
        if node is None:
            continue
        day = parse_day(" ".join(node.itertext()))
        if day:
            out.setdefault(canonicalize_url(urljoin(base_url, anchor.get("href", ""))), day)
    return out


@dataclass(frozen=True)
class ListVerdict:
    fetch: list[str]  # article URLs to request
    known: int  # links skipped because they are known
    too_old: int  # links skipped because their list date is before --since
    go_on: bool  # whether to request the next list page


@dataclass(frozen=True)
class CrawlPlan:
    """What a run knows before it starts (see the module docstring); the default plan fetches everything."""

    known: frozenset[str] = frozenset()
    early_stop: bool = True
    refresh: bool = False
    since: str | None = None
    recheck: tuple[tuple[str, str | None], ...] = ()  # (url, section) to fetch again
    previous_status: str | None = None

    def select(self, links: Sequence[str], dates: Mapping[str, str] | None = None) -> ListVerdict:
        """Which of a list page's article links to fetch, and whether to page on.

        Paging stops when a page's links are all known (early stopping, off after an unfinished run and
        with ``refresh``), or all dated before ``since`` (lists are newest first).
        """
        dates = dates or {}
        fetch: list[str] = []
        known = too_old = 0
        for url in links:
            day = dates.get(url)
            if self.since and day and day < self.since:
                too_old += 1
            elif not self.refresh and url in self.known:
                known += 1
            else:
                fetch.append(url)
        all_old = bool(self.since and links and too_old == len(links))
        all_done = bool(links) and not fetch and self.early_stop and not self.refresh
        return ListVerdict(fetch, known, too_old, bool(links) and not (all_old or all_done))

    def too_old(self, published_at: str | None) -> bool:
        """An article published before ``since`` (by the date its page shows) is not stored."""
        if not self.since:
            return False
        day = parse_day(published_at)
        return bool(day and day < self.since)

    @classmethod
    def load(cls, dataset: Dataset, site: str, *, refresh: bool = False, since: str | None = None,
             recheck_days: int = 0, timezone: str = "Asia/Shanghai", now: datetime | None = None) -> CrawlPlan:
        """The plan for the next run of ``site`` into ``dataset`` (marks dead 'running' runs interrupted)."""
        dataset.mark_interrupted(site)
        last = dataset.last_run(site)
        previous = last["status"] if last else None
        articles, rejects = dataset.seen_pages(site)
        known = articles | {url for url, reason, detail in rejects if known_to_run(reason, detail, since)}
        recheck: tuple[tuple[str, str | None], ...] = ()
        if recheck_days > 0:
            today = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()
            recheck = tuple(dataset.recent_articles(site, (today - timedelta(days=recheck_days)).isoformat()))
        return cls(known=frozenset(known), early_stop=previous not in UNFINISHED, refresh=refresh,
                   since=since, recheck=recheck, previous_status=previous)

    def describe(self) -> str:
        parts = [f"{len(self.known)} known pages"]
        if self.refresh:
            parts.append("refresh: every article fetched again")
        elif not self.early_stop:
            parts.append(f"early stopping off (the last run was {self.previous_status})")
        if self.since:
            parts.append(f"since {self.since}")
        if self.recheck:
            parts.append(f"{len(self.recheck)} articles to recheck")
        return ", ".join(parts)


# -- run monitoring -------------------------------------------------------------------------------------
class ListPlanner(Protocol):
    """Plans a list page (``LINFEN_LIST_PLANNER``): the plan that judges the page's links."""

    def plan(self, base: CrawlPlan, meta: Mapping[str, Any], links: Sequence[str]) -> CrawlPlan: ...


class LocalListPlanner:
    """A local crawl's list-page planner: every page is judged by the crawl's own plan (from the dataset)."""

    def plan(self, base: CrawlPlan, meta: Mapping[str, Any], links: Sequence[str]) -> CrawlPlan:
        return base


def has_value(value: Any) -> bool:
    return value not in (None, "", [], "[]", {})


@dataclass
class CoverageCounter:
    """Counts, over new articles, how many have each of :data:`COVERAGE_FIELDS`."""

    articles: int = 0
    present: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COVERAGE_FIELDS, 0))

    def add(self, row: Mapping[str, Any]) -> None:
        self.articles += 1
        for name in COVERAGE_FIELDS:
            self.present[name] += has_value(row.get(name))

    def coverage(self) -> dict[str, float]:
        if not self.articles:
            return {}
        return {name: round(n / self.articles, 4) for name, n in self.present.items()}


def field_coverage(rows: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Share of ``rows`` having each coverage field (empty dict for no rows)."""
    counter = CoverageCounter()
    for row in rows:
        counter.add(row)
    return counter.coverage()


@dataclass(frozen=True)
class CoverageAlert:
    field: str
    coverage: float
    median: float

    def message(self, site: str) -> str:
        return (f"{site}: {self.field} found in {self.coverage:.0%} of new articles, below half the median "
                f"{self.median:.0%} of the last runs; the site may have changed its layout")


def coverage_alerts(current: Mapping[str, float], history: Sequence[Mapping[str, float]], *,
                    articles: int, min_articles: int = 5) -> list[CoverageAlert]:
    """Fields whose coverage among this run's ``articles`` new articles fell below half their median over
    ``history`` (coverage of earlier runs, newest first). Runs with fewer than ``min_articles`` new articles
    are too small to judge."""
    if articles < max(1, min_articles) or not history:
        return []
    alerts = []
    for name in COVERAGE_FIELDS:
        past = [h[name] for h in history if name in h]
        if name not in current or not past:
            continue
        median = statistics.median(past)
        if current[name] < median / 2:
            alerts.append(CoverageAlert(name, current[name], median))
    return alerts


def coverage_from_stats(stats: Mapping[str, Any]) -> dict[str, float]:
    """The coverage a finished run recorded in its ``crawl_runs.stats``."""
    prefix = "linfen/coverage/"
    return {k[len(prefix):]: float(v) for k, v in stats.items() if k.startswith(prefix)}


def http_errors(stats: Mapping[str, Any]) -> dict[str, int]:
    """HTTP responses with an error status, by status (from Scrapy's downloader stats)."""
    prefix = "downloader/response_status_count/"
    return {k[len(prefix):]: int(v) for k, v in sorted(stats.items())
            if k.startswith(prefix) and k[len(prefix):].isdigit() and int(k[len(prefix):]) >= 400}


# -- locks and job directories --------------------------------------------------------------------------
def lock_path(db_path: str | os.PathLike[str], site: str) -> Path:
    """The lock file of ``site`` on the dataset at ``db_path``: ``<db>.locks/<site>.lock``."""
    db = Path(db_path).absolute()
    return db.with_name(db.name + ".locks") / f"{site}.lock"


class SiteLock:
    """An exclusive ``flock`` per (dataset, site); re-entrant within one process (the CLI takes it before
    Scrapy starts, the spider takes it again for ``scrapy crawl`` and Scrapyd)."""

    _held: ClassVar[dict[Path, tuple[int, int]]] = {}  # path -> (fd, holders) in this process

    def __init__(self, db_path: str | os.PathLike[str], site: str) -> None:
        self.path = lock_path(db_path, site)
        self.site = site
        self.db_path = str(db_path)
        self.acquired = False

    def acquire(self) -> SiteLock:
        """Take the lock or raise :class:`SiteLocked` naming the holder."""
        if self.acquired:
            return self
        held = self._held.get(self.path)
        if held is not None:
            self._held[self.path] = (held[0], held[1] + 1)
            self.acquired = True
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown process"
            os.close(fd)
            raise SiteLocked(f"another run of {self.site} is active on {self.db_path} ({holder}); "
                             "wait for it to end or stop it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {os.uname().nodename} since {utcnow()}\n".encode(), 0)
        self._held[self.path] = (fd, 1)
        self.acquired = True
        return self

    def release(self) -> None:
        if not self.acquired:
            return
        self.acquired = False
        fd, holders = self._held[self.path]
        if holders > 1:
            self._held[self.path] = (fd, holders - 1)
            return
        del self._held[self.path]
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> SiteLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def jobs_root(db_path: str | os.PathLike[str], setting: str = "") -> Path:
    """Where Scrapy job directories live: ``LINFEN_JOBS_DIR``, else ``jobs/`` beside the dataset."""
    return Path(setting) if setting else Path(db_path).absolute().parent / "jobs"


def resumable(jobdir: Path) -> bool:
    """True when ``jobdir`` holds the queue a gracefully stopped Scrapy run saved."""
    return (jobdir / "requests.queue" / "active.json").is_file()


def prepare_jobdir(jobdir: Path, resume: bool) -> str:
    """Make ``jobdir`` ready for a run; returns what was done: ``resumed``, ``fresh`` or ``not_resumable``.

    Without ``resume`` an old job directory is removed (a fresh run). With ``resume`` it is kept when a
    graceful stop saved its queue; after a hard kill it is not resumable (Scrapy writes the queue only on
    close) and is removed too: the next run recovers by walking the list pages with early stopping off.
    """
    if resume and resumable(jobdir):
        return "resumed"
    verdict = "not_resumable" if resume else "fresh"
    if jobdir.exists():
        shutil.rmtree(jobdir)
    jobdir.mkdir(parents=True, exist_ok=True)
    return verdict


def finish_jobdir(jobdir: Path, status: str) -> None:
    """A run that got to the end needs no job directory: remove it; keep it after a stop, for --resume."""
    if status in ("finished", "degraded") and jobdir.exists():
        shutil.rmtree(jobdir, ignore_errors=True)


# -- wiring into a crawl --------------------------------------------------------------------------------
def plan_from_crawler(crawler: Any, site: str, timezone: str = "Asia/Shanghai") -> tuple[CrawlPlan, SiteLock]:
    """Take the site's lock and load its plan from the crawler's settings (``LINFEN_REFRESH``,
    ``LINFEN_SINCE``, ``LINFEN_RECHECK_DAYS``, ``LINFEN_DB``); the lock is released when the spider closes."""
    from scrapy import signals

    s = crawler.settings
    db = s.get("LINFEN_DB", "data/news.db")
    since_raw = str(s.get("LINFEN_SINCE") or "").strip()
    since = None
    if since_raw:
        try:
            since = date.fromisoformat(since_raw).isoformat()
        except ValueError:
            raise ValueError(f"LINFEN_SINCE {since_raw!r} is not a date like 2024-03-15") from None
    lock = SiteLock(db, site).acquire()
    crawler.signals.connect(lock.release, signal=signals.spider_closed)
    try:
        with Dataset(db) as ds:
            plan = CrawlPlan.load(ds, site, refresh=s.getbool("LINFEN_REFRESH", False), since=since,
                                  recheck_days=s.getint("LINFEN_RECHECK_DAYS", 0), timezone=timezone)
    except BaseException:
        lock.release()
        raise
    logger.info("%s: %s", site, plan.describe())
    return plan, lock


def crawl_overrides(*, refresh: bool = False, since: str | None = None, recheck_days: int | None = None,
                    no_raw: bool = False, httpcache: bool = False) -> dict[str, Any]:
    """Scrapy settings for ``linfen crawl``'s scheduled-job options."""
    out: dict[str, Any] = {}
    if refresh:
        out["LINFEN_REFRESH"] = True
    if since:
        out["LINFEN_SINCE"] = since
    if recheck_days:
        out["LINFEN_RECHECK_DAYS"] = recheck_days
    if no_raw:
        out["LINFEN_RAW_PAGES"] = False
    if httpcache:
        out["HTTPCACHE_ENABLED"] = True
    return out


def take_locks(db_path: str | os.PathLike[str], sites: Iterable[str]) -> tuple[list[SiteLock], dict[str, str]]:
    """Lock each site on the dataset: (locks taken, {site: why refused})."""
    taken, refused = [], {}
    for site in sites:
        try:
            taken.append(SiteLock(db_path, site).acquire())
        except SiteLocked as exc:
            refused[site] = str(exc)
    return taken, refused
