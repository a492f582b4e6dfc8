"""The raw-pages extension: every fetched article page (first pages, later pages, rechecks) into the archive.

Pending captures are made here (:func:`~linfen_crawler.raw.pending_row`) and buffered in the crawl's writer
(:class:`~linfen_crawler.writer.CrawlWriter`), which hands them over before the article batch that needs them;
the WARC records (``<dataset>.archive/``, :mod:`linfen_crawler.archive`) and their pointers (``captures``) are
written in the dataset writer, off the reactor. At the start the writer moves a ``raw_pages`` table left by
an older release into the archive; at the end it closes the crawl's WARC file.
``LINFEN_RAW_PAGES = False`` (``linfen crawl --no-raw``) turns it off: no archive is written;
``LINFEN_ARCHIVE_COMPRESSION`` (``--archive-compression``) chooses gzip or zstd files.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from twisted.internet import task

from linfen_crawler.diskfull import DiskFull
from linfen_crawler.extensions.jobdir import stop_for_disk_full
from linfen_crawler.raw import archive_config, close_archive, pending_row, prepare_archive
from linfen_crawler.scheduled.plan import crawled_site
from linfen_crawler.writer import CrawlWriter

logger = logging.getLogger(__name__)


class RawPagesExtension:
    """Archive fetched article pages (batched, at least every ``LINFEN_STORE_FLUSH_SECONDS``)."""

    def __init__(self, crawler: Crawler, writer: CrawlWriter, flush_seconds: float,
                 archive: dict[str, Any]) -> None:
        self.crawler = crawler
        self.writer = writer
        self.flush_seconds = flush_seconds
        self.archive = archive
        self.opened = False
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.getbool("LINFEN_RAW_PAGES"):
            raise NotConfigured("LINFEN_RAW_PAGES is off")
        archive = archive_config(s.get("LINFEN_DB"), secrets.token_hex(8), s.getint("LINFEN_ARCHIVE_FILE_BYTES"),
                                 s.get("LINFEN_ARCHIVE_COMPRESSION"))
        ext = cls(crawler, CrawlWriter.for_crawler(crawler), s.getfloat("LINFEN_STORE_FLUSH_SECONDS"), archive)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def site(self) -> str:
        return crawled_site(self.crawler)

    def spider_opened(self) -> None:
        try:
            self.writer.open()
            self.opened = True
            moved = self.writer.call(prepare_archive, self.archive)
        except DiskFull as exc:  # issue 15: the run ends at once
            stop_for_disk_full(self.crawler, exc.path)
            return
        except Exception as exc:  # an old dataset's pages that cannot be moved: kept where they are, crawl goes on
            logger.warning("%s: the pages kept inside the dataset were not moved into the archive (%s); they "
                           "stay where they are (`linfen archive migrate` retries)", self.site, exc)
            moved = 0
        if moved:
            self.crawler.stats.set_value("linfen/archive/moved_raw_pages", moved)
        if self.flush_seconds > 0:
            self._loop = task.LoopingCall(self.flush)
            self._loop.start(self.flush_seconds, now=False)

    def flush(self) -> None:
        """Hand the buffered pages to the writer; a full disk ends the run (and a LoopingCall whose
        function raises would stop for good)."""
        try:
            self.writer.flush_raw_pages()
        except DiskFull as exc:
            stop_for_disk_full(self.crawler, exc.path)

    def response_received(self, response: Response, request: Request) -> None:
        if not self.opened:
            return
        run_id = self.crawler.stats.get_value("linfen/run_id") if self.crawler.stats else None
        row = pending_row(request, response, self.site, run_id, archive=self.archive)
        if row is None:
            return
        self.crawler.stats.inc_value("linfen/raw_pages")
        try:
            self.writer.add_raw_page(row)
        except DiskFull as exc:
            stop_for_disk_full(self.crawler, exc.path)

    def spider_closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if not self.opened:
            return
        self.opened = False
        try:
            self.flush()
            self.writer.call(close_archive, self.archive["key"])  # the WARC file gets its final name
        except DiskFull as exc:
            stop_for_disk_full(self.crawler, exc.path)
        finally:
            try:
                self.writer.close()
            except DiskFull as exc:
                stop_for_disk_full(self.crawler, exc.path)
