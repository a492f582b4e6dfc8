"""Politeness helpers: robots.txt obeyed for every request, including those waiting for robots.txt.

Scrapy 2.19's ``RobotsTxtMiddleware`` lets every request that arrives while a host's robots.txt is still
downloading await one shared Deferred; the first waiter's callback swallows the parser, so the others
see ``None`` ("no robots.txt") and are let through — e.g. the start pages of a site after its first one.
:class:`RobotsTxtMiddleware` gives each waiter its own Deferred, so every request is checked.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


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
        return await super().robot_parser(request)
