"""The raw-pages extension: every fetched article page (first pages, later pages, rechecks) into ``raw_pages``.

Rows are made here (:func:`~linfen_crawler.raw.pending_row`) and finished and inserted in the crawl's dataset
writer (:func:`~linfen_crawler.raw.write_raw_pages`), off the reactor. ``LINFEN_RAW_PAGES = False``
(``linfen crawl --no-raw``) turns it off.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from twisted.internet import task

from linfen_crawler import writer
from linfen_crawler.raw import PENDING_BYTES, pending_row, write_raw_pages
from linfen_crawler.scheduled.plan import crawled_site

logger = logging.getLogger(__name__)


class RawPagesExtension:
    """Write fetched article pages to ``raw_pages`` (batched, at least every ``LINFEN_STORE_FLUSH_SECONDS``)."""

    def __init__(self, crawler: Crawler, db_path: str, batch_size: int, flush_seconds: float) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.pending: list[dict[str, Any]] = []
        self.pending_bytes = 0
        self.writer: writer.DatasetWriter | None = None
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.getbool("LINFEN_RAW_PAGES", True):
            raise NotConfigured("LINFEN_RAW_PAGES is off")
        ext = cls(crawler, s.get("LINFEN_DB", "data/news.db"), s.getint("LINFEN_STORE_BATCH_SIZE", 200),
                  s.getfloat("LINFEN_STORE_FLUSH_SECONDS", 2.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def site(self) -> str:
        return crawled_site(self.crawler)

    def spider_opened(self) -> None:
        self.writer = writer.acquire(self.crawler)
        self.writer.flush_before_articles.append(self.flush)
        if self.flush_seconds > 0:
            self._loop = task.LoopingCall(self.flush)
            self._loop.start(self.flush_seconds, now=False)

    def response_received(self, response: Response, request: Request) -> None:
        run_id = self.crawler.stats.get_value("linfen/run_id") if self.crawler.stats else None
        row = pending_row(request, response, self.site, run_id)
        if row is None:
            return
        self.pending.append(row)
        self.pending_bytes += row["size"]
        self.crawler.stats.inc_value("linfen/raw_pages")
        if len(self.pending) >= self.batch_size or self.pending_bytes >= PENDING_BYTES:
            self.flush()

    def flush(self) -> None:
        """Hand the buffered pages to the dataset writer: it compresses and inserts them (one transaction)."""
        if self.writer is not None and self.pending:
            batch, self.pending, self.pending_bytes = self.pending, [], 0
            self.writer.submit(write_raw_pages, batch)

    def spider_closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.writer is None:
            return
        try:
            self.flush()
        finally:
            if self.flush in self.writer.flush_before_articles:
                self.writer.flush_before_articles.remove(self.flush)
            self.writer = None
            writer.release(self.crawler)
