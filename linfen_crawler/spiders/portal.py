"""PortalSpider: the one profile-driven spider.

``scrapy crawl portal -a site=lfxww`` (or the alias ``scrapy crawl lfxww``): section list pages and their
pagination lead to article pages; multi-page articles (下一页 / ``_2.html``) are followed and merged into
one item; every article records the section of the list page it was found on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Self, cast
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.python.failure import Failure

from linfen_crawler import __version__
from linfen_crawler.diskfull import DiskFull
from linfen_crawler.extensions.jobdir import stop_for_disk_full
from linfen_crawler.extract.article import extract_page, node_text, parse_html
from linfen_crawler.extract.encoding import decode_html
from linfen_crawler.extract.learn import SiteLearner
from linfen_crawler.extract.links import detect_article_links
from linfen_crawler.items import Reject, Removed, with_run_of
from linfen_crawler.normalize import canonicalize_url
from linfen_crawler.profiles import Pattern, ProfileError, load_profile
from linfen_crawler.records import incomplete_article, make_article, merge_pages, next_page_url
from linfen_crawler.scheduled.locks import SiteLock
from linfen_crawler.scheduled.plan import (
    BEFORE_SINCE,
    CrawlPlan,
    ListPlanner,
    LocalListPlanner,
    link_dates,
    parse_day,
    plan_from_crawler,
)
from linfen_crawler.settings_check import check_settings


def content_type(response: Response) -> str:
    """The response's Content-Type header as text ('' when absent)."""
    return (response.headers.get("Content-Type") or b"").decode("latin-1")


def failure_reason(failure: Failure) -> str:
    """A short reason code for a failed request: ``http_404``, ``TimeoutError``, ``ConnectionLost`` …"""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    named = getattr(failure.value, "linfen_reason", None)  # issue 5: middlewares.failures.PageFailure (too_large …)
    if isinstance(named, str):
        return named
    return type(failure.value).__name__


class PortalSpider(scrapy.Spider):
    name = "portal"
    site_key: str = ""
    kinds: tuple[str, ...] = ("portal",)  # the profile kinds this spider crawls (issue 17: EpaperSpider's "epaper")

    @classmethod
    def site_problem(cls, site: str | None) -> str | None:
        """Why this spider cannot crawl the profile ``site`` (``-a site=…``, else the alias's own key), in one
        line; None when it can. ``scrapy crawl`` prints it and exits 2 before anything starts (a spider's
        ``__init__`` raising would be a traceback)."""
        key = site or cls.site_key
        if not key:
            return f"{cls.__name__} needs a site: scrapy crawl {cls.name} -a site=lfxww"
        try:
            profile = load_profile(key)
        except ProfileError as exc:
            return str(exc)
        if profile.kind not in cls.kinds:  # issue 17: an e-paper is walked by date, a portal by its lists
            what = "an e-paper" if profile.kind == "epaper" else f"a {profile.kind}"
            return (f"{profile.key} is {what} profile, which {cls.__name__} does not crawl: use "
                    f"`scrapy crawl {profile.key}` or `linfen crawl {profile.key}`")
        return None

    def __init__(self, site: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        problem = self.site_problem(site)
        if problem:
            raise ValueError(problem)
        self.profile = load_profile(site or self.site_key)
        self.site_key = self.profile.key
        self.allowed_domains = list(self.profile.domains)
        self.max_article_pages = 30
        self.generic_only = False
        self.plan = CrawlPlan()  # issue 4: incremental crawling; loaded from the dataset in from_crawler
        self.site_lock: SiteLock | None = None
        self.planner: ListPlanner = LocalListPlanner()  # LINFEN_LIST_PLANNER's, built when the spider opens
        # issue 13: the site's templates learned from its own pages (LINFEN_LEARN); None when off. The Store
        # pipeline loads its state from the dataset when the crawl opens and keeps it there.
        self.learner: SiteLearner | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        check_settings(crawler.settings)  # issue 15: a bad LINFEN_ value stops `scrapy crawl` / Scrapyd at once
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.max_article_pages = s.getint("LINFEN_MAX_ARTICLE_PAGES")
        spider.generic_only = s.getbool("LINFEN_GENERIC_ONLY")
        if s.getbool("LINFEN_LEARN"):
            spider.learner = SiteLearner(sample_size=s.getint("LINFEN_LEARN_SAMPLE"),
                                         every=s.getint("LINFEN_LEARN_EVERY"))
        # The User-Agent names the contact URL given for this crawl (-s LINFEN_CONTACT_URL=…) unless the
        # User-Agent itself was set explicitly.
        if not s.frozen and (s.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:
            s.set("USER_AGENT", f"linfen-crawler/{__version__} (+{s.get('LINFEN_CONTACT_URL')})", priority="spider")
        # The profile's politeness applies above project defaults, below command-line -s overrides.
        for setting, value in (("DOWNLOAD_DELAY", spider.profile.download_delay),
                               ("CONCURRENT_REQUESTS_PER_DOMAIN", spider.profile.concurrency)):
            priority = s.getpriority(setting) or 0
            if value is not None and not s.frozen and priority < SETTINGS_PRIORITIES["cmdline"]:
                s.set(setting, value, priority="spider")
        # a distributed worker (issue 7) has no dataset and no lock: `linfen seed --db` plans its runs, and its
        # LINFEN_LIST_PLANNER asks Redis for each list page's
        if not s.get("LINFEN_REDIS_URL"):
            try:
                spider.plan, spider.site_lock = plan_from_crawler(crawler, spider.site_key, spider.profile.timezone)
            except DiskFull as exc:  # issue 15: the dataset's disk is full; the run fails once it has opened
                path = exc.path
                crawler.signals.connect(lambda: stop_for_disk_full(crawler, path), signal=scrapy.signals.spider_opened,
                                        weak=False)
        crawler.signals.connect(spider.open_planner, signal=scrapy.signals.spider_opened)
        return spider

    def open_planner(self) -> None:
        """Build the list-page planner ``LINFEN_LIST_PLANNER`` names, once the settings are final: add-ons
        (distributed mode's sets its own planner) apply after the spider is built, before it opens."""
        self.planner = build_from_crawler(load_object(self.crawler.settings["LINFEN_LIST_PLANNER"]), self.crawler)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.profile.start_urls:
            yield scrapy.Request(url, callback=self.parse_list, errback=self.on_error,
                                 meta={"kind": "list", "page": 1, "section_url": url,
                                       "section": self.profile.sections.get(url)})
        for url, section in self.plan.recheck:  # --recheck DAYS: known recent articles, fetched again
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_recheck_error,
                                 dont_filter=True, meta={"kind": "recheck", "section": section})

    # -- list pages --------------------------------------------------------------------------------
    def parse_list(self, response: Response) -> Iterator[Any]:
        stats = self.crawler.stats
        stats.inc_value("linfen/list_pages")
        doc = self.parse_doc(response)
        if doc is None:
            stats.inc_value("linfen/errors/empty_list_page")
            return
        links = self.article_links(doc, response.url)
        stats.inc_value("linfen/article_links", len(links))
        plan = self.planner.plan(self.plan, response.meta, links)
        verdict = plan.select(links, link_dates(doc, response.url) if plan.since else None)
        stats.inc_value("linfen/skipped/known", verdict.known)
        stats.inc_value("linfen/skipped/before_since", verdict.too_old)
        for url in verdict.fetch:
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                                 meta={"kind": "article", "section": response.meta.get("section")})
        page = int(response.meta.get("page", 1))
        nxt = self.next_list_page(doc, response, page)
        if nxt and links and not verdict.go_on:
            stats.inc_value("linfen/early_stops")
        if nxt and verdict.go_on and page < self.profile.list.max_pages:
            meta = {k: response.meta[k] for k in ("kind", "section_url", "section")}
            assert response.request is not None  # a downloaded response always has its request
            yield response.request.replace(url=nxt, meta={**meta, "page": page + 1})

    def parse_doc(self, response: Response) -> Any:
        """The page as an lxml document (decoded as :func:`decode_html` decides; the profile's encoding
        first), or None for an empty page."""
        text, _ = decode_html(response.body, content_type(response), self.profile.encoding or None)
        return parse_html(text)

    def keep_links(self, urls: Iterable[str], pattern: Pattern | None) -> list[str]:
        """``urls`` canonical, once each, in order, kept when on the profile's domains and matching
        ``pattern`` (a profile's ``article_url``, an e-paper's ``page_url`` …) when there is one."""
        out = []
        for url in dict.fromkeys(canonicalize_url(u) for u in urls):
            if self.profile.allows(urlsplit(url).hostname or "") and (pattern is None or pattern.search(url)):
                out.append(url)
        return out

    def article_links(self, doc: Any, base_url: str) -> list[str]:
        rules = self.profile.list
        found: list[str] = []
        if rules.article_links is not None:
            for href in rules.article_links(doc):
                found.append(urljoin(base_url, node_text(href)))
        if not found:  # no rule, or the rule went stale: detect article links
            found = detect_article_links(doc, base_url, self.profile.domains)
        return self.keep_links(found, rules.article_url)

    def next_list_page(self, doc: Any, response: Response, page: int) -> str | None:
        rule = self.profile.list.next_pages
        if not rule:
            return None
        hrefs = {canonicalize_url(urljoin(response.url, h)) for h in doc.xpath("//a/@href")}
        if "{n}" in rule:
            candidate = canonicalize_url(urljoin(response.meta["section_url"], rule.format(n=page)))
            return candidate if candidate in hrefs else None
        for href in doc.xpath(rule):
            return canonicalize_url(urljoin(response.url, node_text(href)))
        return None

    # -- article pages -----------------------------------------------------------------------------
    def extract(self, response: Response, *, first_page: bool = False) -> dict[str, Any]:
        """The page's record, with what was learned of the site so far; an article's first page may join
        the learner's sample (issue 13; later pages of a multi-page article are used, not sampled)."""
        headers = {"Content-Type": content_type(response)}
        learner = self.learner
        trace: dict[str, Any] | None = {} if learner is not None and first_page and learner.wants() else None
        record = extract_page(response.body, response.url, profile=self.profile, headers=headers,
                              now=datetime.now(UTC), generic_only=self.generic_only,
                              site=learner.site if learner is not None else None, trace=trace)
        if learner is not None and trace is not None and learner.add(record, trace):
            self.crawler.stats.inc_value("linfen/learn/relearned")
        return cast(dict[str, Any], record)

    def parse_article(self, response: Response) -> Iterator[Any]:
        self.crawler.stats.inc_value("linfen/article_pages")
        if not isinstance(response, scrapy.http.TextResponse) and response.body[:4] == b"%PDF":
            yield Reject(response.url, "not_html", content_type(response))
            return
        record = self.extract(response, first_page=True)
        if response.meta.get("kind") == "article" and self.plan.too_old(record.get("published_at")):
            # not stored, but remembered: the next --since run does not fetch it again (CrawlPlan.load)
            self.crawler.stats.inc_value("linfen/skipped/article_before_since")
            first = (response.meta.get("redirect_urls") or [response.url])[0]
            yield Reject(canonicalize_url(first), BEFORE_SINCE, parse_day(record.get("published_at")))
            return
        yield from self.continue_article(response, record, canonicalize_url(response.url), 1)

    def parse_article_page(self, response: Response) -> Iterator[Any]:
        self.crawler.stats.inc_value("linfen/article_extra_pages")
        record = merge_pages(response.meta["record"], self.extract(response))
        yield from self.continue_article(response, record, response.meta["first_url"],
                                         response.meta["pages"] + 1)

    def continue_article(self, response: Response, record: dict[str, Any], first_url: str,
                         pages: int) -> Iterator[Any]:
        nxt = next_page_url(record, pages, self.max_article_pages)
        if nxt is not None:
            yield scrapy.Request(
                nxt, callback=self.parse_article_page, errback=self.on_page_error,
                meta={"kind": "article_page", "record": record, "first_url": first_url, "pages": pages,
                      "section": response.meta.get("section")})
            return
        yield make_article(record, url=first_url, profile=self.profile, section=response.meta.get("section"))

    # -- failures ----------------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        kind = request.meta.get("kind", "other")
        self.crawler.stats.inc_value(f"linfen/errors/{kind}/{reason}")
        self.logger.warning("%s page failed (%s): %s", kind, reason, request.url)
        if kind == "article":  # issue 5: the URL asked for (before redirects), and what went wrong
            first = (request.meta.get("redirect_urls") or [request.url])[0]
            yield with_run_of(Reject(canonicalize_url(first), reason, getattr(failure.value, "detail", None) or None),
                              request)

    def on_recheck_error(self, failure: Failure) -> Iterator[Any]:
        """A rechecked article that answers 404/410 was taken down: mark it removed, never delete it."""
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"linfen/errors/recheck/{reason}")
        if reason in ("http_404", "http_410"):
            self.crawler.stats.inc_value("linfen/removed")
            yield with_run_of(Removed(canonicalize_url(request.url), reason), request)
        else:
            self.logger.warning("recheck of %s failed (%s)", request.url, reason)

    def on_page_error(self, failure: Failure) -> Iterator[Any]:
        """A later page of a multi-page article failed: store what the earlier pages gave, and say so."""
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"linfen/errors/article_page/{reason}")
        self.logger.warning("article page %s failed (%s); storing the earlier pages", request.url, reason)
        article = incomplete_article(request.meta["record"], url=request.meta["first_url"], profile=self.profile,
                                     section=request.meta.get("section"), failed_url=request.url, reason=reason)
        yield with_run_of(article, request)
