"""EpaperSpider: an e-paper (数字报) crawled edition by edition, by date (issue 17).

``linfen crawl lfrb --from 2024-01-01 --to 2024-01-31`` (or ``scrapy crawl lfrb -s LINFEN_EDITION_FROM=…``).
For each day of the run's range (:mod:`linfen_crawler.scheduled.editions`) the spider fetches the edition's
entry URL (the profile's ``[epaper] entry_url`` with the date filled in), which is the edition's first page
(版面). That page links the edition's other pages; each page links its articles, often through an image map
whose ``<area coords>`` place each article on the page image. Articles are extracted as on a portal (profile
selectors first, the generic extractor for the rest) and stored with the edition date, the page's number and
name, their 引题 / 副题 and their position.

A day without an edition is no error: a 404 or 410, a "no edition" page (the profile's ``missing`` rule), a
redirect away from that day, or an entry page linking no page and no article. Each is counted in the run's
stats (``linfen/epaper/skipped_days``, ``linfen/epaper/skipped/<reason>``, and the days themselves in
``linfen/epaper/skipped``), which the run record keeps.

Everything else is the portal spider's: the site lock, the known articles of the plan (a stored article is not
fetched again), the pipelines, the job directory (``--resume``: the range is kept in the spider state, so a
resumed run walks the range it was stopped in).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import date
from typing import Any, Self
from urllib.parse import urljoin

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from linfen_crawler.extract.article import node_text
from linfen_crawler.items import Article
from linfen_crawler.normalize import canonicalize_url, clean_text
from linfen_crawler.profiles import EpaperRules, Pattern, Selector, load_profile, render_entry_url
from linfen_crawler.scheduled.editions import EditionRange, editions_from_crawler
from linfen_crawler.spiders.portal import PortalSpider

__all__ = ["EpaperSpider", "spider_class", "with_edition"]

STATE_KEY = "linfen_editions"  # the run's range in the job directory's spider state, for --resume
_COORD = re.compile(r"-?\d+(?:\.\d+)?")


def spider_class(key: str) -> type[PortalSpider]:
    """The spider for the profile ``key``, the one whose ``kinds`` hold its kind: :class:`EpaperSpider` for an
    e-paper, :class:`PortalSpider` otherwise (the runner's crawlers and ``scrapy crawl <key>``'s aliases)."""
    kind = load_profile(key).kind
    return EpaperSpider if kind in EpaperSpider.kinds else PortalSpider


def _first_text(doc: Any, selectors: tuple[Selector, ...]) -> str | None:
    for selector in selectors:
        for node in selector(doc):
            text = clean_text(node_text(node))
            if text:
                return text
    return None


def _part(doc: Any, rule: tuple[Selector, Pattern | None] | None) -> str | None:
    """The text a ``page_no``/``page_name`` rule gives: the XPath's first non-empty text, cut by its group."""
    if rule is None:
        return None
    selector, pattern = rule
    text = _first_text(doc, (selector,))
    if text is None or pattern is None:
        return text
    match = pattern.search(text)
    return clean_text(match.group(1)) or None if match else None


def _mentions_day(url: str, day: date) -> bool:
    """Whether ``url`` names ``day`` (``2024-01/15``, ``20240115``, ``202401/15``, ``2024-01-15`` …)."""
    digits = re.sub(r"\D+", "-", url)
    return bool(re.search(rf"{day.year}-?{day:%m}-?{day:%d}(\D|$)", digits))


class EpaperSpider(PortalSpider):
    name = "epaper"
    kinds = ("epaper",)

    def __init__(self, site: str | None = None, **kwargs: Any) -> None:
        super().__init__(site, **kwargs)  # refuses a portal profile (PortalSpider.site_problem)
        assert self.profile.epaper is not None  # the loader gives every e-paper profile its [epaper] table
        self.rules: EpaperRules = self.profile.epaper
        self.editions: EditionRange | None = None  # from the settings and the dataset, in from_crawler
        self.skipped: dict[str, str] = {}  # day -> why it has no edition

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.editions = editions_from_crawler(crawler, spider.site_key, spider.profile.timezone)
        return spider

    def edition_range(self) -> EditionRange:
        """The range to walk: the one a stopped run kept in the job directory when this run names none with
        ``--from`` (``--resume``), else the settings'."""
        assert self.editions is not None
        state = getattr(self, "state", None)  # Scrapy's spider state, when the run has a job directory
        kept = state.get(STATE_KEY) if isinstance(state, dict) else None
        rng = self.editions
        if kept and self.editions.why != "--from":
            rng = EditionRange(date.fromisoformat(kept[0]), date.fromisoformat(kept[1]), "resumed")
        if isinstance(state, dict):
            state[STATE_KEY] = [rng.first.isoformat(), rng.last.isoformat()]
        return rng

    async def start(self) -> AsyncIterator[Any]:
        rng = self.edition_range()
        self.logger.info("%s: %s", self.site_key, rng.describe())
        self.crawler.stats.set_value("linfen/epaper/range", f"{rng.first.isoformat()}..{rng.last.isoformat()}")
        for day in rng.days():
            yield scrapy.Request(render_entry_url(self.rules.entry_url, day), callback=self.parse_edition,
                                 errback=self.on_edition_error, meta={"kind": "edition", "day": day.isoformat()})
        for url, section in self.plan.recheck:  # --recheck DAYS: stored articles fetched again (edition kept)
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_recheck_error,
                                 dont_filter=True, meta={"kind": "recheck", "section": section})

    # -- editions and their pages ------------------------------------------------------------------
    def skip_day(self, day: str, reason: str) -> None:
        """Record a day without an edition in the run's stats (never an error)."""
        self.skipped[day] = reason
        stats = self.crawler.stats
        stats.inc_value("linfen/epaper/skipped_days")
        stats.inc_value(f"linfen/epaper/skipped/{reason}")
        stats.set_value("linfen/epaper/skipped", ", ".join(f"{d} {r}" for d, r in sorted(self.skipped.items())))
        self.logger.info("%s: no edition on %s (%s)", self.site_key, day, reason)

    def on_edition_error(self, failure: Failure) -> Iterator[Any]:
        """An entry URL that answers 404/410 is a day without an edition; other failures are errors."""
        if failure.check(HttpError) and failure.value.response.status in (404, 410):
            request = failure.request  # type: ignore[attr-defined]
            self.skip_day(request.meta["day"], f"http_{failure.value.response.status}")
            return
        yield from self.on_error(failure)

    def parse_edition(self, response: Response) -> Iterator[Any]:
        day = response.meta["day"]
        doc = self.parse_doc(response)
        if doc is None:
            self.skip_day(day, "empty_page")
            return
        if self.rules.missing is not None and self.rules.missing(doc):
            self.skip_day(day, "no_edition")
            return
        if response.meta.get("redirect_urls") and not _mentions_day(response.url, date.fromisoformat(day)):
            self.skip_day(day, "redirected")
            return
        pages = self.page_links(doc, response.url)
        articles = self.article_links(doc, response.url)
        if not pages and not articles:  # an edition is there, but the profile's selectors find nothing in it
            self.crawler.stats.inc_value("linfen/errors/list/no_links")
            self.logger.warning("%s: the edition of %s (%s) has no page or article link the profile finds: "
                                "check its page_links and article_url", self.site_key, day, response.url)
            return
        self.crawler.stats.inc_value("linfen/epaper/editions")
        this = canonicalize_url(response.url)
        for url in pages:
            if url != this:
                yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                                     meta={"kind": "list", "day": day})
        yield from self.page_articles(doc, response, articles)

    def parse_page(self, response: Response) -> Iterator[Any]:
        doc = self.parse_doc(response)
        if doc is None:
            self.crawler.stats.inc_value("linfen/errors/empty_list_page")
            return
        yield from self.page_articles(doc, response, self.article_links(doc, response.url))

    def page_links(self, doc: Any, base_url: str) -> list[str]:
        """The edition's pages linked from its first page (canonical URLs, page order)."""
        hrefs = [node_text(h) for sel in self.rules.page_links for h in sel(doc)]
        return self.keep_links((urljoin(base_url, h) for h in hrefs if h), self.rules.page_url)

    def article_links(self, doc: Any, base_url: str) -> list[str]:
        """A page's article links: the profile's ``article_links``, else every link and image-map area,
        kept when on the site and matching ``article_url``."""
        selectors = self.rules.article_links
        hrefs = ([node_text(h) for sel in selectors for h in sel(doc)] if selectors
                 else [str(h) for h in doc.xpath("//a/@href | //area/@href")])
        return self.keep_links((urljoin(base_url, h) for h in hrefs if h), self.rules.article_url)

    def positions(self, doc: Any, base_url: str) -> dict[str, dict[str, Any]]:
        """Canonical article URL -> its place on the page image, from the profile's ``position`` elements
        (``<area shape="polygon" coords="…" href="…">``): ``{"shape", "coords"}``."""
        if self.rules.position is None:
            return {}
        out: dict[str, dict[str, Any]] = {}
        for node in self.rules.position(doc):
            if not hasattr(node, "get"):  # an XPath that selects attributes (…/@coords) gives strings: no href
                continue
            href, coords = node.get("href"), node.get("coords")
            if not (href and coords):
                continue
            numbers = [float(n) if "." in n else int(n) for n in _COORD.findall(coords)]
            out.setdefault(canonicalize_url(urljoin(base_url, href)),
                           {"shape": (node.get("shape") or "rect").lower(), "coords": numbers})
        return out

    def page_articles(self, doc: Any, response: Response, links: list[str]) -> Iterator[Any]:
        """Requests for a page's articles not stored yet, each carrying its edition, page and position."""
        stats = self.crawler.stats
        stats.inc_value("linfen/list_pages")
        stats.inc_value("linfen/article_links", len(links))
        page = {"edition_date": response.meta["day"], "page_no": _part(doc, self.rules.page_no),
                "page_name": _part(doc, self.rules.page_name)}
        where = self.positions(doc, response.url)
        verdict = self.plan.select(links)
        stats.inc_value("linfen/skipped/known", verdict.known)
        for url in verdict.fetch:
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                                 meta={"kind": "article", "section": page["page_name"],
                                       "edition": {**page, "position": where.get(url)}})

    # -- articles ----------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        self.crawler.stats.inc_value("linfen/article_pages")
        record = self.extract(response, first_page=True)
        doc = self.parse_doc(response)
        heads = {"kicker": None, "subtitle": None} if doc is None else {
            "kicker": _first_text(doc, self.rules.kicker), "subtitle": _first_text(doc, self.rules.subtitle)}
        response.meta["edition"] = {**response.meta.get("edition", {}), **heads}
        yield from self.continue_article(response, record, canonicalize_url(response.url), 1)

    def continue_article(self, response: Response, record: dict[str, Any], first_url: str,
                         pages: int) -> Iterator[Any]:
        edition = response.meta.get("edition") or {}
        for out in super().continue_article(response, record, first_url, pages):
            if isinstance(out, scrapy.Request):  # a later page of the article carries the edition along
                out.meta["edition"] = edition
            yield with_edition(out, edition)

    def on_page_error(self, failure: Failure) -> Iterator[Any]:
        """A later page failed: the earlier pages are stored as for a portal, with the edition and page the
        article was found on (they come from the page of the edition, which was had; the failed request
        carries them)."""
        edition = failure.request.meta.get("edition") or {}  # type: ignore[attr-defined]
        for out in super().on_page_error(failure):
            yield with_edition(out, edition)


def with_edition(item: Any, edition: dict[str, Any]) -> Any:
    """An article item with its edition fields (date, page, 引题/副题, position; the edition date as its publish
    time when the page shows none); anything else as it is."""
    if not isinstance(item, Article):
        return item
    return replace(item, published_at=item.published_at or edition.get("edition_date"), **edition)
