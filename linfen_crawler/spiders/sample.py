"""SampleSpider: fetch a sample of a new portal for ``linfen learn`` (no items, nothing stored).

It runs through the same Scrapy engine and downloader middlewares as a crawl, so robots.txt, the politeness
delay, AutoThrottle, the proxy route and the site guards apply as they do to ``linfen crawl``. In order:

1. the start page, and the pages on the site it links that do not look like an article (the section
   links of a portal's menu; the first :data:`MAX_LIST_CANDIDATES`) — a page linking at least
   :data:`~linfen_crawler.extract.infer.MIN_LIST_LINKS` articles is a list page;
2. page 2 of each list page that shows a 下一页 link (how pagination looks);
3. once those are in (the engine is idle), up to ``pages`` article pages, taken in turn from each list so
   that every section's template is seen.

The pages are kept in memory (:attr:`SampleSpider.lists`, :attr:`SampleSpider.articles`) for
:func:`~linfen_crawler.extract.infer.infer_profile`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from linfen_crawler.extract.article import parse_html
from linfen_crawler.extract.encoding import decode_html
from linfen_crawler.extract.infer import (
    MIN_LIST_LINKS,
    ArticleSample,
    ListSample,
    list_candidates,
    list_links,
    next_list_url,
)
from linfen_crawler.normalize import canonicalize_url
from linfen_crawler.spiders.portal import failure_reason

__all__ = ["MAX_LIST_CANDIDATES", "SampleSpider", "site_domains"]

#: at most this many of the start page's links are tried as list pages (a portal's menu comes first in the
#: page; the cap keeps the sample small on a home page with hundreds of links)
MAX_LIST_CANDIDATES = 40


def site_domains(url: str) -> list[str]:
    """The domains a sample (and the learned profile) stays on: the start URL's host without and with www."""
    host = (urlsplit(url).hostname or "").lower()
    bare = host.removeprefix("www.")
    return list(dict.fromkeys([bare, f"www.{bare}"]))


def _headers(response: Response) -> dict[str, str]:
    return {"Content-Type": (response.headers.get("Content-Type") or b"").decode("latin-1")}


class SampleSpider(scrapy.Spider):
    name = "linfen_sample"

    def __init__(self, start_url: str = "", pages: int = 40, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not start_url:
            raise ValueError("SampleSpider needs a start_url")
        self.start_url = canonicalize_url(start_url)
        self.domains = site_domains(start_url)
        self.allowed_domains = list(self.domains)
        self.pages = int(pages)
        self.start_page: ListSample | None = None
        self.start_links: list[str] = []
        self.lists: list[tuple[int, ListSample, list[str]]] = []  # (menu order, page, its article links)
        self.articles: list[ArticleSample] = []
        self.articles_asked = False
        self.start_failure: str | None = None  # why the start page could not be fetched

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.ask_articles, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(self.start_url, callback=self.parse_start, errback=self.start_failed)

    def start_failed(self, failure: Failure) -> None:
        """Remember why the start page failed (DNS, refused, a 404, robots.txt): the command says so."""
        self.start_failure = failure_reason(failure)

    def _doc(self, response: Response) -> Any:
        return parse_html(decode_html(response.body, _headers(response)["Content-Type"], None)[0])

    def page_failed(self, failure: Failure) -> None:
        """A menu link that is no page (a 404 ``/about/``) or an article that failed: left out of the sample,
        counted in ``linfen/sample/failed/<reason>``."""
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"linfen/sample/failed/{reason}")
        self.logger.info("left out of the sample (%s): %s", reason, failure.request.url)  # type: ignore[attr-defined]

    def parse_start(self, response: Response) -> Iterator[Any]:
        doc = self._doc(response)
        if doc is None:
            return
        self.start_page = ListSample(canonicalize_url(response.url), response.body, headers=_headers(response))
        self.start_links = list_links(doc, response.url, self.domains)
        candidates = list(list_candidates(doc, response.url, self.domains).items())[:MAX_LIST_CANDIDATES]
        for order, (url, name) in enumerate(candidates):
            yield scrapy.Request(url, callback=self.parse_list, errback=self.page_failed,
                                 meta={"name": name, "page": 1, "order": order})

    def parse_list(self, response: Response) -> Iterator[Any]:
        doc = self._doc(response)
        if doc is None:
            return
        page = int(response.meta["page"])
        links = list_links(doc, response.url, self.domains)
        if len(links) < (MIN_LIST_LINKS if page == 1 else 1):
            return  # no list page (an about page, a channel page without links)
        nxt = next_list_url(doc, response.url) if page == 1 else None
        url = canonicalize_url(response.url)
        self.lists.append((response.meta["order"], ListSample(url, response.body, response.meta["name"], page, nxt,
                                                              _headers(response)), links))
        if nxt and nxt != url:
            yield scrapy.Request(nxt, callback=self.parse_list, errback=self.page_failed,
                                 meta={"name": response.meta["name"], "page": 2, "order": response.meta["order"]})

    def list_samples(self) -> list[ListSample]:
        """The list pages in menu order (page 2 after page 1); the start page when it was the only list."""
        found = [sample for _, sample, _ in sorted(self.lists, key=lambda x: (x[0], x[1].page))]
        if not found and self.start_page is not None and len(self.start_links) >= MIN_LIST_LINKS:
            return [self.start_page]
        return found

    def article_urls(self) -> list[str]:
        """Up to ``pages`` article URLs, one from each list in turn."""
        queues = [list(links) for _, _, links in sorted(self.lists, key=lambda x: (x[0], x[1].page))] \
            or [list(self.start_links)]
        chosen: dict[str, None] = {}
        while len(chosen) < self.pages and any(queues):
            for queue in queues:
                while queue and queue[0] in chosen:
                    queue.pop(0)
                if queue and len(chosen) < self.pages:
                    chosen[queue.pop(0)] = None
        return list(chosen)

    def ask_articles(self) -> None:
        """Once the start and list pages are in, ask for the article pages (only once)."""
        if self.articles_asked:
            return
        self.articles_asked = True
        for url in self.article_urls():
            self.crawler.engine.crawl(scrapy.Request(url, callback=self.parse_article, errback=self.page_failed))
        raise DontCloseSpider

    def parse_article(self, response: Response) -> None:
        self.articles.append(ArticleSample(canonicalize_url(response.url), response.body, _headers(response)))

    def article_samples(self) -> list[ArticleSample]:
        """The article pages fetched, in the order they were asked for (not the order they arrived)."""
        order = {url: i for i, url in enumerate(self.article_urls())}
        return sorted(self.articles, key=lambda a: order.get(a.url, len(order)))
