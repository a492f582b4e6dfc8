"""One dataset writer per crawl: the Store pipeline's and the raw-page store's batches, in order, off the reactor.

``LINFEN_STORE_WRITER`` chooses where the writes run:

* ``auto`` (the default): :func:`auto_mode`, ``process`` while each crawl process leaves a core for
  writing and a crawl process has fewer writer processes than cores, else ``inline``. A writer process
  pays off only on a spare core: two ``--jobs`` workers on two cores crawl as fast writing inline as with
  a writer process each, and one crawl process with twenty crawlers would otherwise start twenty writers
  (issue 8).
* ``process``: a writer process of its own, which owns the dataset's connection. The crawl
  process only pickles each batch to it, on a hand-over thread that waits for the answer without the GIL.
  Everything a write costs (FTS text, near-duplicate keys, charset and compression of raw pages, SQLite)
  runs on another core, and none of it holds the crawl's GIL. Work is sent as a module-level function
  and its arguments, so it must pickle (no lambdas).
* ``thread``: a thread of the crawl process. Only SQLite's and zlib's C code runs beside the reactor; the
  Python parts of a write hold the GIL.
* ``inline``: on the reactor thread, at once.

Guarantees (issue 8; the same in every mode):

* every batch is one transaction, and batches are written in the order they were handed over;
* the results of a batch (counts, stats) are applied on the reactor thread, in order, by :meth:`collect`;
* at most ``max_pending`` batches wait: a producer that gets ahead blocks until the oldest is written,
  so memory does not grow with the crawl;
* :meth:`drain` returns when everything handed over is committed; the Store pipeline drains before it
  writes the run record, so the record comes last;
* an error in a batch is raised on the reactor thread (at the next hand-over, :meth:`collect` or
  :meth:`drain`), never swallowed, and counted in :attr:`DatasetWriter.failed_batches` (the Store
  pipeline puts them in the run record, which makes the run ``failed``). A writer process found dead
  before it got a batch is replaced and gets it; one that dies while writing a batch is replaced for the
  next batches, and that batch raises :class:`WriterDied`: what it had committed is unknown.

The writer process ignores SIGINT and SIGTERM: it stops when the crawl closes it, or when its socket
reaches end-of-file because the crawl process is gone (a batch it is writing then is still committed
whole).

The Store pipeline and the raw-page extension share one :class:`CrawlWriter` per crawler
(:meth:`CrawlWriter.for_crawler`), so their transactions never wait on each other's write lock. It owns the
order between them: the raw-page buffer is committed before the article batch that needs it (a kill between
two commits never leaves a stored article without its page for ``linfen reextract``), and the run record
after everything.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from linfen_crawler.diskfull import DiskFull, SpaceReserve, is_disk_full
from linfen_crawler.raw import PENDING_BYTES, write_raw_pages
from linfen_crawler.storage import Dataset

if TYPE_CHECKING:  # the writer process imports this module: it needs no Scrapy
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

T = TypeVar("T")
MODES = ("process", "thread", "inline")  # and "auto", which CrawlWriter.open() resolves to one of them
CLOSE_TIMEOUT = 120.0  # seconds a closing writer process may take to finish its last transaction


class WriterDied(RuntimeError):
    """The writer process ended while the crawl still had work for it."""


class DatasetWriter:
    """Run ``work(dataset, *args)`` calls one after another in a writer process, a thread, or inline."""

    processes: ClassVar[int] = 0  # writer processes running in this process (auto_mode keeps them to the cores)

    def __init__(self, db_path: str, *, mode: str = "process", max_pending: int = 4) -> None:
        if mode not in MODES:
            raise ValueError(f"LINFEN_STORE_WRITER must be auto or one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.max_pending = max(1, max_pending)
        self.dataset: Dataset | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._counted = False  # this writer's process is counted in DatasetWriter.processes
        self.db_path = os.path.abspath(db_path)  # a restarted writer process opens the same file
        self.restarts = 0  # writer processes started again after one died
        self.failed_batches = 0  # batches (submit) whose work raised: their rows are not stored
        # the first batch a full disk refused: every batch handed over after it is refused too, unrun (an
        # article batch queued behind its failed raw pages would otherwise be stored without its pages)
        self.refused: DiskFull | None = None
        if mode == "process":
            self._start_process()
        else:
            self.dataset = Dataset(db_path)
        self._pool = None if mode == "inline" else ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="linfen-writer")
        self._pending: deque[tuple[Future[Any], Callable[[Any], None] | None]] = deque()

    # -- the writer process ------------------------------------------------------------------------
    def _start_process(self) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        # the child imports what the parent can: the work functions are pickled by reference
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        with ours, theirs:
            fd = theirs.fileno()
            # -P: the working directory is not put first on sys.path, so the child imports the code the
            # parent runs, not a checkout or a json.py that happens to sit where the crawl was started
            self._proc = subprocess.Popen(
                [sys.executable, "-P", "-c", "import sys; from linfen_crawler.writer import serve; "
                 "serve(int(sys.argv[1]), sys.argv[2])", str(fd), self.db_path],
                pass_fds=(fd,), env=env, stdin=subprocess.DEVNULL)
            self._conn = Connection(ours.detach())
        DatasetWriter.processes += 1
        self._counted = True
        try:
            self._receive()  # the child has opened (created, migrated) the dataset, or says why not
        except BaseException:
            self._stop_process()
            raise

    def _remote(self, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        """Send ``work`` to the writer process and return its answer.

        A writer process found dead before it got ``work`` (the send fails) is replaced and gets it. One
        that dies while working on it is replaced for the next batches, but ``work`` is not sent again:
        what it had committed is unknown (a batch is several transactions), so :class:`WriterDied` is
        raised for it.
        """
        if self._conn is None:  # an earlier restart failed: try again
            self._restart()
        assert self._conn is not None
        try:
            self._conn.send((work, args))
        except (OSError, EOFError) as exc:
            logger.error("%s; starting a new writer process for the batch", self._died())
            self._restart(exc)
            assert self._conn is not None
            try:
                self._conn.send((work, args))
            except (OSError, EOFError) as again:
                raise self._died() from again
        try:
            return self._receive()
        except WriterDied:
            with contextlib.suppress(Exception):  # the next batch tries again if this fails
                self._restart()
            raise

    def _restart(self, cause: BaseException | None = None) -> None:
        self._stop_process()
        self.restarts += 1
        try:
            self._start_process()
        except Exception as exc:
            raise WriterDied(f"a new dataset writer process could not start: {exc}") from (cause or exc)

    def _receive(self) -> Any:
        assert self._conn is not None
        try:
            ok, value = self._conn.recv()
        except (OSError, EOFError) as exc:
            raise self._died() from exc
        if not ok:
            raise value
        return value

    def _died(self) -> WriterDied:
        code = None
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self._proc.wait(timeout=5)
        return WriterDied(f"the dataset writer process ended (exit code {code})")

    def _stop_process(self) -> None:
        if self._counted:
            DatasetWriter.processes -= 1
            self._counted = False
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=CLOSE_TIMEOUT)
            except subprocess.TimeoutExpired:
                logger.error("the dataset writer process did not stop in %.0f s; killing it", CLOSE_TIMEOUT)
                self._proc.kill()
                self._proc.wait()

    # -- hand-over -----------------------------------------------------------------------------------
    def _run(self, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self.dataset is None:
            return self._remote(work, args)
        return work(self.dataset, *args)

    def _run_batch(self, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        """:meth:`_run` for a batch, in the order batches were handed over: after a batch a full disk refused,
        the later ones are refused without running (:attr:`refused`)."""
        if self.refused is not None:
            raise DiskFull(self.refused.path)
        try:
            return self._run(work, args)
        except Exception as exc:
            if isinstance(exc, DiskFull):
                self.refused = exc
            elif is_disk_full(exc, self.db_path):
                self.refused = DiskFull(self.db_path)
            raise

    def submit(self, work: Callable[..., T], *args: Any, done: Callable[[T], None] | None = None) -> None:
        """Queue ``work(dataset, *args)``; ``done(result)`` runs later on the calling thread (at once inline).
        A batch that raises is counted in :attr:`failed_batches` and its error raised on this thread."""
        if self._pool is None:
            try:
                result = self._run_batch(work, args)
            except Exception:
                self.failed_batches += 1
                raise
            if done is not None:
                done(result)
            return
        self._pending.append((self._pool.submit(self._run_batch, work, args), done))
        self.collect()
        while len(self._pending) > self.max_pending:  # back-pressure: wait for the oldest batch
            self._finish_oldest()

    def call(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(dataset, *args)`` after everything queued and return its result (blocking)."""
        self.drain()
        if self._pool is None:
            return self._run(work, args)
        return self._pool.submit(self._run, work, args).result()

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
        if future.exception() is not None:
            self.failed_batches += 1
        result = future.result()  # re-raises the batch's exception here
        if done is not None:
            done(result)

    def close(self) -> None:
        try:
            self.drain()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            if self.dataset is not None:
                self.dataset.close()
            self._stop_process()


def serve(fd: int, db_path: str) -> None:
    """The writer process: open the dataset, then run each ``(work, args)`` received and send back
    ``(True, result)`` or ``(False, exception)``, until ``None`` or end-of-file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl decides when its writes end
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    conn = Connection(fd)
    try:
        dataset = Dataset(db_path)
    except Exception as exc:
        _answer(conn, False, exc)
        return
    _answer(conn, True, None)
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the crawl process is gone
                break
            except Exception as exc:  # a message that does not unpickle here
                _answer(conn, False, exc)
                continue
            if message is None:
                break
            work, args = message
            try:
                result = work(dataset, *args)
            except Exception as exc:
                _answer(conn, False, exc)
            else:
                _answer(conn, True, result)
    finally:
        dataset.close()
        conn.close()


def _answer(conn: Connection, ok: bool, value: Any) -> None:
    try:
        payload = pickle.dumps((ok, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an exception or result that does not pickle still gets an answer
        payload = pickle.dumps((False, RuntimeError(f"{type(value).__name__}: {value} ({exc})")))
    with contextlib.suppress(OSError):  # the crawl process is gone; the loop ends at the next receive
        conn.send_bytes(payload)


def usable_cores() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def auto_mode(crawl_processes: int = 1, cores: int | None = None, writer_processes: int = 0) -> str:
    """What ``LINFEN_STORE_WRITER = "auto"`` means for ``crawl_processes`` crawls side by side on ``cores``
    cores (default: those this process may use), when this process already runs ``writer_processes``
    writer processes: ``process`` while each crawl process leaves a core for writing (``--jobs`` workers
    on every core write inline), and at most one writer process per core in one crawl process (several
    crawlers in one reactor share its write load, so more would only cost memory), else ``inline``."""
    if cores is None:
        cores = usable_cores()
    return "process" if crawl_processes * 2 <= cores and writer_processes < cores else "inline"


class CrawlWriter:
    """A crawl's one dataset writer, with ordered buffers (see the module docstring).

    Made once per crawler (:meth:`for_crawler`) for ``LINFEN_DB``; each user (the Store pipeline, the
    raw-page extension) :meth:`open` s it when its crawl opens and :meth:`close` s it when it closes: the
    first starts the :class:`DatasetWriter`, the last closes it. Raw pages are buffered here
    (:meth:`add_raw_page`, up to ``LINFEN_STORE_BATCH_SIZE`` pages or :data:`PENDING_BYTES`); an article batch
    (:meth:`submit_articles`) and the run record (:meth:`call`) are handed over after them.

    A full disk (issue 15): while the writer is open it holds a :class:`~linfen_crawler.diskfull.SpaceReserve`
    beside the dataset. The first write that fails for a full disk (:func:`~linfen_crawler.diskfull.is_disk_full`)
    raises :class:`~linfen_crawler.diskfull.DiskFull` (so does :meth:`open` when the reserve cannot be taken),
    gives the reserve back, and from then on batches and raw pages are dropped, not written: the run is
    ending, and the next run fetches them again. :meth:`call` still runs (the run record), in the space the
    reserve gave back; :meth:`disk_full` gives it back when something else (the job directory) is full.
    """

    ATTRIBUTE = "linfen_writer"  # where the crawler keeps its writer

    def __init__(self, db_path: str, mode: str, batch_size: int) -> None:
        self.db_path = db_path
        self.mode = mode
        self.batch_size = max(1, batch_size)
        self.writer: DatasetWriter | None = None
        self.users = 0
        self.raw_pages: list[dict[str, Any]] = []
        self.raw_bytes = 0
        self.reserve = SpaceReserve.beside(db_path)
        self.full: DiskFull | None = None  # set by the first write a full disk refused

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(s.get("LINFEN_DB"), s.get("LINFEN_STORE_WRITER"), s.getint("LINFEN_STORE_BATCH_SIZE"))

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> CrawlWriter:
        """The crawler's writer, made by the first component that asks."""
        found = getattr(crawler, cls.ATTRIBUTE, None)
        if not isinstance(found, CrawlWriter):
            found = cls.from_crawler(crawler)
            setattr(crawler, cls.ATTRIBUTE, found)
        return found

    # -- users ---------------------------------------------------------------------------------------
    def open(self) -> DatasetWriter:
        """Start the dataset writer at the first user's call; pair with :meth:`close`."""
        if self.writer is None:
            mode = self.mode
            if mode == "auto":  # --jobs workers get it resolved for their number (parallel.run_sites)
                mode = auto_mode(writer_processes=DatasetWriter.processes)
            if not self.reserve.take():
                raise self.disk_full(self.db_path)
            try:
                with self._guard():
                    self.writer = DatasetWriter(self.db_path, mode=mode)
            except BaseException:
                self.reserve.release()
                raise
        self.users += 1
        return self.writer

    def close(self) -> None:
        """Drain the writer; the last user's call closes it (its process or thread, and the connection)."""
        if self.writer is None:
            return
        self.users -= 1
        if self.users > 0:
            self._drain()
            return
        writer, self.writer = self.writer, None
        try:
            if self.full is not None:
                self._drain_quietly(writer)
            with self._guard():
                writer.close()
        finally:
            self.reserve.release()

    # -- a full disk ---------------------------------------------------------------------------------
    def disk_full(self, path: str | os.PathLike[str]) -> DiskFull:
        """Note that the disk under ``path`` is full (the first call wins): give the reserve back and drop
        what is buffered; returns the :class:`DiskFull` to raise."""
        if self.full is None:
            self.full = DiskFull(path)
            self.reserve.release()
            self.raw_pages, self.raw_bytes = [], 0
        return DiskFull(self.full.path)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Raise :class:`DiskFull` for an error a full disk caused."""
        try:
            yield
        except DiskFull as exc:
            raise self.disk_full(exc.path) from exc
        except Exception as exc:
            if is_disk_full(exc, self.db_path):
                raise self.disk_full(self.db_path) from exc
            raise

    @staticmethod
    def _drain_quietly(writer: DatasetWriter) -> None:
        """Wait for the batches handed over before the disk filled; their errors are the full disk's."""
        while True:
            try:
                writer.drain()
                return
            except Exception:  # counted in failed_batches; the next pending batch is waited for
                continue

    def _drain(self) -> None:
        writer = self._open_writer()
        if self.full is not None:
            self._drain_quietly(writer)
            return
        with self._guard():
            writer.drain()

    def _open_writer(self) -> DatasetWriter:
        if self.writer is None:
            raise RuntimeError("the crawl's dataset writer is not open")
        return self.writer

    # -- ordered buffers -----------------------------------------------------------------------------
    def add_raw_page(self, row: dict[str, Any]) -> None:
        """Buffer a pending ``raw_pages`` row (:func:`~linfen_crawler.raw.pending_row`); a full buffer is
        handed over."""
        if self.full is not None:
            return
        self.raw_pages.append(row)
        self.raw_bytes += row["size"]
        if len(self.raw_pages) >= self.batch_size or self.raw_bytes >= PENDING_BYTES:
            self.flush_raw_pages()

    def flush_raw_pages(self) -> None:
        """Hand the buffered pages over: the writer compresses and inserts them (one transaction)."""
        if self.writer is not None and self.raw_pages and self.full is None:
            batch, self.raw_pages, self.raw_bytes = self.raw_pages, [], 0
            with self._guard():
                self.writer.submit(write_raw_pages, batch)

    def submit(self, work: Callable[..., T], *args: Any, done: Callable[[T], None] | None = None) -> None:
        """:meth:`DatasetWriter.submit` (a batch that needs no raw page first: rejects, takedowns)."""
        writer = self._open_writer()
        if self.full is not None:
            return
        with self._guard():
            writer.submit(work, *args, done=done)

    def submit_articles(self, work: Callable[..., T], *args: Any, done: Callable[[T], None] | None = None) -> None:
        """Hand over a batch with articles, after the raw pages buffered so far (their pages)."""
        writer = self._open_writer()
        self.flush_raw_pages()
        if self.full is not None:
            return
        with self._guard():
            writer.submit(work, *args, done=done)

    def call(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(dataset, *args)`` after every buffered raw page and every batch (the run record)."""
        writer = self._open_writer()
        if self.full is None:
            self.flush_raw_pages()
        else:
            self._drain_quietly(writer)
        with self._guard():
            return writer.call(work, *args)

    def collect(self) -> None:
        writer = self._open_writer()
        if self.full is not None:
            return
        with self._guard():
            writer.collect()

    def drain(self) -> None:
        self._drain()

    def take_failed_batches(self) -> int:
        """Batches that raised since the last call (their rows are not stored)."""
        writer = self._open_writer()
        failed, writer.failed_batches = writer.failed_batches, 0
        return failed
