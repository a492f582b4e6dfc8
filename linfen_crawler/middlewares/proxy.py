"""Proxy routing: every request through ``LINFEN_PROXY`` (the demo portal and the end-to-end tests)."""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class ProxyRouteMiddleware:
    """Send every request through the HTTP proxy named by ``LINFEN_PROXY``.

    ``linfen demo`` and the end-to-end tests use it to reach the bundled sample portal: the portal server
    on 127.0.0.1 answers proxy requests for the real host names, so stored URLs are the real site's.
    Disabled (``NotConfigured``, silently) when the setting is empty. A request that sets ``meta["proxy"]`` itself
    keeps it.
    """

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        proxy = crawler.settings.get("LINFEN_PROXY")
        if not proxy:  # the normal case (direct): no message, which Scrapy would log as a warning (issue 14)
            raise NotConfigured
        return cls(proxy)

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("proxy", self.proxy)
