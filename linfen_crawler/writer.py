"""One writer thread per crawl: the Store pipeline's and the raw-page store's batches, in order, off the reactor.

SQLite (upserts, the FTS5 index) and zlib run in C and release the GIL, so a second thread that does the
dataset's writes lets the crawl use the second core while the reactor thread goes on downloading and
extracting. ``LINFEN_STORE_THREAD = False`` runs the same work inline, on the reactor thread.

Guarantees (issue 8; the same as the inline writes):

* every batch is one transaction, and batches are written in the order they were handed over;
* the results of a batch (counts, stats) are applied on the reactor thread, in order, by :meth:`collect`;
* at most ``max_pending`` batches wait: a producer that gets ahead blocks until the oldest is written,
  so memory does not grow with the crawl;
* :meth:`drain` returns when everything handed over is committed; the Store pipeline drains before it
  writes the run record, so the record comes last;
* an error in a batch is raised on the reactor thread (at the next hand-over, :meth:`collect` or
  :meth:`drain`), never swallowed.

The Store pipeline and the raw-page extension share one writer per crawler (:func:`acquire`,
:func:`release`), so their transactions never wait on each other's write lock.
"""

from __future__ import annotations

import logging
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from linfen_crawler.storage import Dataset

logger = logging.getLogger(__name__)

T = TypeVar("T")


class DatasetWriter:
    """Run ``work(dataset)`` calls one after another on a thread of their own (or inline)."""

    def __init__(self, db_path: str, *, threaded: bool = True, max_pending: int = 4) -> None:
        self.dataset = Dataset(db_path)
        self.max_pending = max(1, max_pending)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linfen-writer") if threaded else None
        self._pending: deque[tuple[Future[Any], Callable[[Any], None] | None]] = deque()
        self.users = 0
        # producers whose buffered rows must be committed before the next article batch (the raw-page
        # store: an article is never committed ahead of its raw pages, so a kill between the two cannot
        # leave a stored article that `linfen reextract` has no page for)
        self.flush_before_articles: list[Callable[[], None]] = []

    def submit(self, work: Callable[[Dataset], T], done: Callable[[T], None] | None = None) -> None:
        """Queue ``work``; ``done(result)`` runs later on the calling thread (at once when not threaded)."""
        if self._pool is None:
            result = work(self.dataset)
            if done is not None:
                done(result)
            return
        self._pending.append((self._pool.submit(work, self.dataset), done))
        self.collect()
        while len(self._pending) > self.max_pending:  # back-pressure: wait for the oldest batch
            self._finish_oldest()

    def call(self, work: Callable[[Dataset], T]) -> T:
        """Run ``work`` after everything queued and return its result (blocking)."""
        self.drain()
        if self._pool is None:
            return work(self.dataset)
        return self._pool.submit(work, self.dataset).result()

    def collect(self) -> None:
        """Apply the results of the batches already written (without waiting for the others)."""
        while self._pending and self._pending[0][0].done():
            self._finish_oldest()

    def drain(self) -> None:
        """Wait until every batch handed over is committed, applying their results in order."""
        while self._pending:
            self._finish_oldest()

    def _finish_oldest(self) -> None:
        future, done = self._pending.popleft()
        result = future.result()  # re-raises the batch's exception here
        if done is not None:
            done(result)

    def close(self) -> None:
        try:
            self.drain()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            self.dataset.close()


_WRITERS: weakref.WeakKeyDictionary[Any, DatasetWriter] = weakref.WeakKeyDictionary()


def acquire(crawler: Any) -> DatasetWriter:
    """The crawler's writer (created by its first user), for ``LINFEN_DB``; pair with :func:`release`."""
    writer = _WRITERS.get(crawler)
    if writer is None:
        s = crawler.settings
        writer = DatasetWriter(s.get("LINFEN_DB", "data/news.db"), threaded=s.getbool("LINFEN_STORE_THREAD", True))
        _WRITERS[crawler] = writer
    writer.users += 1
    return writer


def release(crawler: Any) -> None:
    """Drain the crawler's writer; the last user closes it (thread and connection)."""
    writer = _WRITERS.get(crawler)
    if writer is None:
        return
    writer.users -= 1
    if writer.users > 0:
        writer.drain()
        return
    del _WRITERS[crawler]
    writer.close()
