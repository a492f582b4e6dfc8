"""Politeness helpers: robots.txt obeyed for every request, including those waiting for robots.txt.

Scrapy 2.19's ``RobotsTxtMiddleware`` lets every request that arrives while a host's robots.txt is still
downloading await one shared Deferred; the first waiter's callback swallows the parser, so the others
see ``None`` ("no robots.txt") and are let through — e.g. the start pages of a site after its first one.
:class:`RobotsTxtMiddleware` gives each waiter its own Deferred, so every request is checked.

Issue 14: a robots.txt that cannot be downloaded (DNS, refused, timeout …) is one warning line, never
Scrapy's 60-line traceback: the pages behind it fail the same way and name the cause. A page robots.txt
disallows fails as ``robots`` (:class:`PageFailure`), its one-line detail in ``linfen/cause_detail/robots``.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from linfen_crawler.middlewares.failures import PageFailure, network_failure

logger = logging.getLogger(__name__)


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):  # robots.txt is downloading: wait without taking the result
            mine: Deferred[RobotParser | None] = Deferred()

            def relay(result: RobotParser | None) -> RobotParser | None:
                mine.callback(result)
                return result

            pending.addCallback(relay)
            return await maybe_deferred_to_future(mine)
        if netloc not in self._parsers:
            await self._fetch_robots(request, netloc)
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _fetch_robots(self, request: Request, netloc: str) -> None:
        """Scrapy's download of robots.txt, with a failure logged as one line (no traceback)."""
        self._parsers[netloc] = Deferred()
        url = urlparse_cached(request)
        robots = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                         meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
        try:
            assert self.crawler.engine is not None
            response = await self.crawler.engine.download_async(robots)
            await self._parse_robots(response, netloc, request)
        except Exception as exc:
            if not isinstance(exc, IgnoreRequest):
                failure = network_failure(exc, robots)
                logger.warning("robots.txt not downloaded: %s",
                               failure[1] if failure else f"{robots.url}: {type(exc).__name__}: {exc}")
            self._robots_error(exc, netloc)
        self._stats.inc_value("robotstxt/request_count")

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            detail = f"robots.txt of {urlparse_cached(request).netloc} disallows {request.url}"
            if not self._stats.get_value("linfen/cause_detail/robots"):
                self._stats.set_value("linfen/cause_detail/robots", detail)
            raise PageFailure("robots", detail) from None
