"""Live progress of running crawls: one status line on a terminal, plain log lines otherwise.

``LINFEN_PROGRESS``: ``auto`` (default) draws a line on standard error when it is a terminal and logs
plain lines otherwise (cron, Scrapyd); ``on`` always draws; ``off`` only logs. The line holds every site
crawling in this process: pages fetched, new articles, rejects and errors.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, ClassVar, Self, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from linfen_crawler.scheduled.plan import crawled_site

logger = logging.getLogger(__name__)

LOG_INTERVAL = 30.0  # seconds between plain progress log lines
DRAW_INTERVAL = 0.5  # seconds between redraws of the terminal line


def progress_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """pages, new articles, rejects and errors so far, from a crawler's stats (pure)."""
    def total(prefix: str) -> int:
        return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

    return {"pages": int(stats.get("downloader/response_count", 0)),
            "new": int(stats.get("linfen/articles_new", 0)),
            "rejects": total("linfen/rejects/"), "errors": total("linfen/errors/")}


def progress_text(site: str, counts: Mapping[str, int]) -> str:
    """``lfxww: 120 pages, 30 new, 2 rejected, 0 errors``"""
    return (f"{site}: {counts['pages']} pages, {counts['new']} new, {counts['rejects']} rejected, "
            f"{counts['errors']} errors")


class ProgressExtension:
    """Report progress while a crawl runs (see the module docstring)."""

    # the sites crawling in this process share one terminal line
    _board: ClassVar[dict[str, str]] = {}

    def __init__(self, crawler: Crawler, draw: bool, stream: TextIO) -> None:
        self.crawler = crawler
        self.draw = draw
        self.stream = stream
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mode = str(crawler.settings.get("LINFEN_PROGRESS")).lower()
        if mode not in ("auto", "on", "off"):
            raise NotConfigured(f"LINFEN_PROGRESS {mode!r}: expected auto, on or off")
        draw = mode == "on" or (mode == "auto" and sys.stderr.isatty())
        ext = cls(crawler, draw, sys.stderr)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def site(self) -> str:
        return crawled_site(self.crawler)

    def spider_opened(self) -> None:
        self._loop = task.LoopingCall(self.report)
        self._loop.start(DRAW_INTERVAL if self.draw else LOG_INTERVAL, now=False)

    def text(self) -> str:
        return progress_text(self.site, progress_counts(self.crawler.stats.get_stats() if self.crawler.stats
                                                        else {}))

    def report(self) -> None:
        if self.draw:
            self._board[self.site] = self.text()
            self.stream.write("\r\x1b[K" + " | ".join(self._board.values()))
            self.stream.flush()
        else:
            logger.info("progress %s", self.text())

    def spider_closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.draw:
            self._board.pop(self.site, None)
            self.stream.write("\r\x1b[K" + self.text() + "\n")
            self.stream.flush()
        else:
            logger.info("progress %s (done)", self.text())
