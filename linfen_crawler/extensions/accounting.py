"""Run accounting: what became of every article URL a run fetched (``linfen/urls/*`` stats)."""

from __future__ import annotations

from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from twisted.python.failure import Failure

from linfen_crawler.items import Article, Reject
from linfen_crawler.middlewares.failures import original_url
from linfen_crawler.normalize import canonicalize_url


class RunAccounting:
    """Counts what became of every article URL the run fetched, in the run record's stats:

    ``linfen/urls/fetched`` = ``linfen/urls/stored`` + ``linfen/urls/rejected`` + ``linfen/urls/errored``.
    Stored: an article reached the dataset. Rejected: the page was fetched and parsed but gave no article
    (validation, ``not_html`` …). Errored: the download failed or was refused (network, HTTP status, size,
    redirect, anti-bot). A redirect to a URL this run already requested is rejected as ``redirect_duplicate``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        return ext

    def _inc(self, key: str) -> None:
        if self.crawler.stats:
            self.crawler.stats.inc_value(key)

    @staticmethod
    def _kind(response: Any) -> str | None:
        """The request kind (``list``, ``article`` …) behind a response or a failure."""
        if isinstance(response, Failure):
            request = getattr(response, "request", None)
            return request.meta.get("kind") if request is not None else None
        meta = getattr(getattr(response, "request", None), "meta", None)
        return meta.get("kind") if meta is not None else None

    def item_scraped(self, item: Any, response: Any, spider: Any = None) -> None:
        kind = self._kind(response)
        if kind not in ("article", "article_page"):
            return
        if isinstance(item, Article):
            self._inc("linfen/urls/stored")
        elif isinstance(item, Reject):
            # an errback's reject: a download failure, or an HTTP error status (HttpError reaches the
            # errback with the response)
            if isinstance(response, Failure) or not 200 <= int(getattr(response, "status", 200)) < 300:
                self._inc("linfen/urls/errored")
                self._inc("linfen/urls/fetched")
            else:
                self._inc("linfen/urls/rejected")

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any = None) -> None:
        ours = isinstance(item, Reject) and str(exception) == "redirect_duplicate"  # from request_dropped
        if ours or (isinstance(item, Article | Reject) and self._kind(response) in ("article", "article_page")):
            self._inc("linfen/urls/rejected")

    def request_dropped(self, request: Request, spider: Any = None) -> None:
        """The dupefilter dropped a redirect target: the URL that redirected there is accounted for."""
        if not request.meta.get("redirect_urls") or request.meta.get("kind") != "article":
            return
        self._inc("linfen/urls/fetched")
        reject = Reject(canonicalize_url(original_url(request)), "redirect_duplicate",
                        f"redirects to {request.url}, already requested in this run")
        self.crawler.signals.send_catch_log(signals.item_dropped, item=reject, response=None,
                                            exception=DropItem("redirect_duplicate"), spider=self.crawler.spider)
