"""Incremental crawling and recovery: what a scheduled run knows before it starts.

A scheduled run (cron, a systemd timer, Scrapyd) should fetch only what is new. :class:`CrawlPlan` is what
the spider knows before it starts: the site's known pages (stored articles, permanently rejected pages),
whether it may stop paging a section early, the ``--since`` day and the articles to ``--recheck``.

* **Incremental**: an article link already known is not fetched (unless ``LINFEN_REFRESH``), and a
  section's paging stops at the first list page whose links are all known (:meth:`CrawlPlan.select`).
* **Recovery**: after a run that did not finish (``interrupted``, ``failed``, or still ``running`` with its
  process gone), early stopping is off, so the next run walks every list page and fetches whatever the
  stopped run missed. A graceful stop leaves a Scrapy ``JOBDIR`` that ``linfen crawl --resume`` continues
  (:mod:`linfen_crawler.scheduled.locks`).
* **List planners**: the spider asks the component named by ``LINFEN_LIST_PLANNER`` for each list page's
  plan; :class:`LocalListPlanner` (the default) gives the run's own plan, a distributed worker's planner
  asks Redis.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, Self
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from scrapy import signals
from scrapy.crawler import Crawler

from linfen_crawler.normalize import canonicalize_url
from linfen_crawler.scheduled.locks import SiteLock
from linfen_crawler.scheduled.monitor import is_transient
from linfen_crawler.storage import Dataset

logger = logging.getLogger(__name__)

UNFINISHED = ("interrupted", "failed", "running")

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_LINK_HOLDERS = "ancestor::*[self::li or self::tr or self::dd or self::dt or self::p][1]"


def crawled_site(crawler: Any) -> str:
    """The profile key of the site a crawler crawls (its spider's ``site_key``, else the spider name)."""
    spider = crawler.spider
    return str(getattr(spider, "site_key", None) or getattr(spider, "name", "unknown"))


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
        # one set, grown in place and frozen once: a site of 200,000 known URLs holds ~25 MB of them, and each
        # extra copy (a union, a second set) would add ~8 MB of hash table to the peak (benchmarks/plan_load.py)
        known, rejects = dataset.seen_pages(site)
        known.update(url for url, reason, detail in rejects if known_to_run(reason, detail, since))
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


class ListPlanner(Protocol):
    """What the spider asks for each list page's plan (the component named by ``LINFEN_LIST_PLANNER``)."""

    def plan(self, base: CrawlPlan, meta: Mapping[str, Any], links: Sequence[str]) -> CrawlPlan:
        """The plan for a list page's article ``links``; ``base`` is the run's plan, ``meta`` the page's
        request meta."""
        ...


class LocalListPlanner:
    """The list planner of a local run (``LINFEN_LIST_PLANNER``'s default): every list page gets the
    run's own plan, loaded from the dataset when the spider starts."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    def plan(self, base: CrawlPlan, meta: Mapping[str, Any], links: Sequence[str]) -> CrawlPlan:
        """The plan for a list page's ``links`` (``meta``: its request's meta): ``base`` itself."""
        return base


# -- wiring into a crawl ---------------------------------------------------------------------------------
def setting_day(settings: Any, name: str) -> date | None:
    """A day setting (``LINFEN_SINCE``, ``LINFEN_EDITION_FROM`` …, ``YYYY-MM-DD``) as a date, None when empty;
    anything else is a ValueError naming the setting (``check_settings`` refuses it before, in one line)."""
    value = str(settings.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a date like 2024-03-15") from None


def plan_from_crawler(crawler: Any, site: str, timezone: str = "Asia/Shanghai") -> tuple[CrawlPlan, SiteLock]:
    """Take the site's lock and load its plan from the crawler's settings (``LINFEN_REFRESH``,
    ``LINFEN_SINCE``, ``LINFEN_RECHECK_DAYS``, ``LINFEN_DB``); the lock is released when the spider closes."""
    s = crawler.settings
    db = s.get("LINFEN_DB")
    day = setting_day(s, "LINFEN_SINCE")
    since = day.isoformat() if day else None
    lock = SiteLock(db, site).acquire()
    crawler.signals.connect(lock.release, signal=signals.spider_closed)
    try:
        with Dataset(db) as ds:
            plan = CrawlPlan.load(ds, site, refresh=s.getbool("LINFEN_REFRESH"), since=since,
                                  recheck_days=s.getint("LINFEN_RECHECK_DAYS"), timezone=timezone)
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
