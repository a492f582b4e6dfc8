"""The spider side of the guards: depth and request caps, a text cap, and no URL lost to a crashing callback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from linfen_crawler.items import Article, Reject
from linfen_crawler.middlewares.failures import original_url
from linfen_crawler.normalize import canonicalize_url
from linfen_crawler.records import incomplete_article

logger = logging.getLogger(__name__)


class CrawlGuardSpiderMiddleware:
    """Bounds on one run, and no URL lost to a crashing callback.

    * list pages more than ``LINFEN_MAX_DEPTH`` links from a start URL are not requested (a calendar or
      pagination trap ends there; stat ``linfen/capped/depth``);
    * at most ``LINFEN_MAX_REQUESTS`` list and article requests per run; beyond it nothing new is requested
      (pages of an article already begun still are), and the run ends ``degraded`` saying so;
    * an article whose text is longer than ``LINFEN_MAX_TEXT_CHARS`` is rejected (``text_too_long``);
    * an exception in a callback becomes a ``parse_error`` reject for an article URL (an error count for
      a list page) instead of a URL silently lost.
    """

    def __init__(self, crawler: Crawler, max_depth: int, max_requests: int, max_text: int) -> None:
        self.crawler = crawler
        self.max_depth = max_depth
        self.max_requests = max_requests
        self.max_text = max_text
        self.requests = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(crawler, s.getint("LINFEN_MAX_DEPTH"), s.getint("LINFEN_MAX_REQUESTS"),
                   s.getint("LINFEN_MAX_TEXT_CHARS"))

    def _inc(self, key: str, n: int = 1) -> None:
        if self.crawler.stats:
            self.crawler.stats.inc_value(key, n)

    def process_spider_input(self, response: Response) -> None:
        if response.meta.get("kind") == "article":
            self._inc("linfen/urls/fetched")

    def _keep(self, obj: Any, response: Response | None) -> Any:
        if isinstance(obj, Request):
            kind = obj.meta.get("kind")
            if kind == "list" and self.max_depth and int(obj.meta.get("depth", 0)) > self.max_depth:
                self._inc("linfen/capped/depth")
                return None
            if kind in ("list", "article"):
                if self.max_requests and self.requests >= self.max_requests:
                    self._capped()
                    return None
                self.requests += 1
        elif isinstance(obj, Article) and self.max_text and len(obj.body or "") > self.max_text:
            return Reject(obj.url, "text_too_long",
                          f"{len(obj.body or '')} characters of text, more than LINFEN_MAX_TEXT_CHARS={self.max_text}")
        return obj

    def _capped(self) -> None:
        self._inc("linfen/capped/requests")
        stats = self.crawler.stats
        if stats and not stats.get_value("linfen/degraded"):
            site = getattr(self.crawler.spider, "site_key", "site")
            message = (f"{site}: request cap reached (LINFEN_MAX_REQUESTS={self.max_requests}); "
                       f"the rest of the site was not crawled")
            logger.warning(message)
            stats.set_value("linfen/degraded", message)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        for obj in result:
            kept = self._keep(obj, response)
            if kept is not None:
                yield kept

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]
                                          ) -> AsyncIterator[Any]:
        async for obj in result:
            kept = self._keep(obj, response)
            if kept is not None:
                yield kept

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for obj in start:
            if isinstance(obj, Request) and obj.meta.get("kind") in ("list", "article"):
                self.requests += 1
            yield obj

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any]:
        kind = response.meta.get("kind", "other")
        reason = "parse_error"
        self._inc(f"linfen/errors/{kind}/{reason}")
        logger.error("parsing %s page %s failed: %s: %s", kind, response.url, type(exception).__name__, exception)
        if kind == "article":
            return [Reject(canonicalize_url(original_url(response.request) if response.request else response.url),
                           reason, f"{type(exception).__name__}: {exception}"[:500])]
        if kind == "article_page" and "record" in response.meta:  # store what the earlier pages gave
            profile = getattr(self.crawler.spider, "profile", None)
            if profile is not None:
                return [incomplete_article(response.meta["record"], url=response.meta["first_url"], profile=profile,
                                           section=response.meta.get("section"), failed_url=response.url,
                                           reason=reason)]
        return []
