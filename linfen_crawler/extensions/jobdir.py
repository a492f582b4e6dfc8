"""A full disk ends the run at once (issue 15): the crawl's side, and the Scrapy job directory's.

:func:`stop_for_disk_full` is what every component calls when a write fails for a full disk
(:class:`~linfen_crawler.diskfull.DiskFull` from the dataset writer, ``OSError`` ENOSPC from the job directory):
the first call sets the stats key ``linfen/failure`` to ``disk_full: <path> (…)``, logs one line, gives the
dataset writer's reserve back (so the run record can be written) and closes the spider with the finish reason
``disk_full``; the Store pipeline records the run ``failed`` and ``linfen crawl`` prints the cause.

The job directory (``JOBDIR``: Scrapy's disk queue, ``requests.seen``, ``spider.state``) is written by Scrapy's
scheduler and its SpiderState extension, which raise ``OSError`` on a full disk: the disk queue on every push,
so a crawl never ended (issue 15). :class:`JobdirScheduler` and :class:`JobdirSpiderState` replace them
(``SCHEDULER``, ``EXTENSIONS``): a full disk under the job directory stops the crawl instead, requests go on
in memory until it has closed, and closing does not raise for what cannot be saved (a run that failed is not
resumed: its job directory is removed, :func:`~linfen_crawler.scheduled.locks.finish_jobdir`).
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.extensions.spiderstate import SpiderState
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from twisted.internet.defer import Deferred

from linfen_crawler.diskfull import FAILURE_KEY, DiskFull, is_disk_full
from linfen_crawler.scheduled.plan import crawled_site
from linfen_crawler.writer import CrawlWriter

logger = logging.getLogger(__name__)

DISK_FULL = "disk_full"  # the finish reason of a crawl stopped by a full disk


def stop_for_disk_full(crawler: Any, path: str | os.PathLike[str]) -> None:
    """End ``crawler``'s run at once as failed because the disk under ``path`` is full (the first call wins)."""
    stats = crawler.stats
    if stats is None or stats.get_value(FAILURE_KEY):
        return
    failure = DiskFull(path).failure
    stats.set_value(FAILURE_KEY, failure)
    stats.set_value("linfen/status", "failed")
    logger.warning("%s: %s; the run stops", crawled_site(crawler), failure)
    writer = getattr(crawler, CrawlWriter.ATTRIBUTE, None)
    if isinstance(writer, CrawlWriter):
        writer.disk_full(path)  # its reserve back: room for the run record
    call_later(0, _close, crawler)  # after the component that noticed it has returned


def _close(crawler: Any) -> None:
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        deferred_from_coro(engine.close_spider_async(reason=DISK_FULL))


class JobdirScheduler(Scheduler):
    """Scrapy's scheduler, stopping the crawl when the job directory's disk is full (module docstring)."""

    _full_at: str | None = None  # the job directory path a full disk refused

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        try:
            return super().from_crawler(crawler)
        except OSError as exc:  # the job directory itself could not be made: run without it, stop when opened
            if not is_disk_full(exc):
                raise
        s = crawler.settings
        scheduler = cls(
            dupefilter=RFPDupeFilter(None, s.getbool("DUPEFILTER_DEBUG"), fingerprinter=crawler.request_fingerprinter),
            jobdir=None, dqclass=load_object(s["SCHEDULER_DISK_QUEUE"]),
            mqclass=load_object(s["SCHEDULER_MEMORY_QUEUE"]), logunser=s.getbool("SCHEDULER_DEBUG"),
            stats=crawler.stats, pqclass=load_object(s["SCHEDULER_PRIORITY_QUEUE"]), crawler=crawler)
        scheduler._full_at = str(s["JOBDIR"])
        return scheduler

    def _dqdir(self, jobdir: str | None) -> str | None:
        try:
            return super()._dqdir(jobdir)
        except OSError as exc:  # requests.queue/ could not be made: no disk queue, stop when opened
            if not is_disk_full(exc):
                raise
            self._full_at = str(jobdir)
            return None

    def _disk_full(self, path: str | None) -> None:
        self._full_at = self._full_at or str(path)
        if self.crawler is not None:
            stop_for_disk_full(self.crawler, self._full_at)

    def open(self, spider: Spider) -> Deferred[None] | None:
        opened = super().open(spider)
        if self._full_at is not None:
            self._disk_full(self._full_at)
        return opened

    def enqueue_request(self, request: Request) -> bool:
        try:
            return super().enqueue_request(request)
        except OSError as exc:  # requests.seen (the dupefilter's file) could not grow
            if not is_disk_full(exc):
                raise
            self._disk_full(os.path.dirname(self.dqdir or "") or None)
            return False

    def _dqpush(self, request: Request) -> bool:
        if self._full_at is not None:
            return False  # in memory until the crawl has closed
        try:
            return super()._dqpush(request)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            self._disk_full(self.dqdir)
            return False

    def _dqpop(self) -> Request | None:
        try:
            return super()._dqpop()
        except OSError as exc:  # an emptied queue file saves its state when it closes
            if not is_disk_full(exc):
                raise
            self._disk_full(self.dqdir)
            return None

    def close(self, reason: str) -> Deferred[None] | None:
        try:
            return super().close(reason)
        except OSError as exc:  # the queue's state or requests.seen could not be saved
            if not is_disk_full(exc):
                raise
            self._disk_full(self.dqdir)
            with contextlib.suppress(OSError):
                self.df.close(reason)
            return None


class JobdirSpiderState(SpiderState):
    """Scrapy's SpiderState (``spider.state`` kept in the job directory); a full disk stops the crawl
    instead of raising when the job directory cannot be made or the state cannot be saved."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        try:
            return super().from_crawler(crawler)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
        state = cls(None)  # no state file; the scheduler stops the crawl when it opens
        crawler.signals.connect(state.spider_opened, signal=signals.spider_opened)
        return state

    def spider_closed(self, spider: Spider) -> None:
        try:
            super().spider_closed(spider)
        except OSError as exc:
            if not is_disk_full(exc) or self.jobdir is None:
                raise
            path = os.path.join(self.jobdir, "spider.state")
            with contextlib.suppress(OSError):
                os.unlink(path)  # a partly written state would not load
            crawler = getattr(spider, "crawler", None)
            if crawler is not None:
                stop_for_disk_full(crawler, path)
