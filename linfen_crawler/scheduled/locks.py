"""Per-site locks and Scrapy job directories.

:class:`SiteLock` (an ``flock`` beside the dataset) lets one run per site and dataset work at a time; the
kernel frees it when the process dies, so a killed run never leaves a stale lock. A gracefully stopped
run leaves a Scrapy ``JOBDIR`` that ``linfen crawl --resume`` continues.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from linfen_crawler.diskfull import FULL_ERRNOS
from linfen_crawler.normalize import utcnow


class SiteLocked(RuntimeError):
    """Another live run of the same site holds the site's lock on this dataset."""


def lock_path(db_path: str | os.PathLike[str], site: str) -> Path:
    """The lock file of ``site`` on the dataset at ``db_path``: ``<db>.locks/<site>.lock``."""
    db = Path(db_path).absolute()
    return db.with_name(db.name + ".locks") / f"{site}.lock"


class SiteLock:
    """An exclusive ``flock`` per (dataset, site); re-entrant within one process (the CLI takes it before
    Scrapy starts, the spider takes it again for ``scrapy crawl`` and Scrapyd)."""

    _held: ClassVar[dict[Path, tuple[int, int]]] = {}  # path -> (fd, holders) in this process

    def __init__(self, db_path: str | os.PathLike[str], site: str) -> None:
        self.path = lock_path(db_path, site)
        self.site = site
        self.db_path = str(db_path)
        self.acquired = False

    def acquire(self) -> SiteLock:
        """Take the lock or raise :class:`SiteLocked` naming the holder."""
        if self.acquired:
            return self
        held = self._held.get(self.path)
        if held is not None:
            self._held[self.path] = (held[0], held[1] + 1)
            self.acquired = True
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown process"
            os.close(fd)
            raise SiteLocked(f"another run of {self.site} is active on {self.db_path} ({holder}); "
                             "wait for it to end or stop it") from None
        with contextlib.suppress(OSError):  # who holds it is a courtesy: a full disk must not stop the lock
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {os.uname().nodename} since {utcnow()}\n".encode(), 0)
        self._held[self.path] = (fd, 1)
        self.acquired = True
        return self

    def release(self) -> None:
        if not self.acquired:
            return
        self.acquired = False
        fd, holders = self._held[self.path]
        if holders > 1:
            self._held[self.path] = (fd, holders - 1)
            return
        del self._held[self.path]
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> SiteLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def jobs_root(db_path: str | os.PathLike[str], setting: str = "") -> Path:
    """Where Scrapy job directories live: ``LINFEN_JOBS_DIR``, else the dataset's own ``<db>.jobs/``
    beside its lock folder (``data/news.db.jobs/lfxww`` for ``data/news.db``), so two datasets in one
    folder never share a job directory (issue 14)."""
    if setting:
        return Path(setting)
    db = Path(db_path).absolute()
    return db.with_name(db.name + ".jobs")


def resumable(jobdir: Path) -> bool:
    """True when ``jobdir`` holds the queue a gracefully stopped Scrapy run saved."""
    return (jobdir / "requests.queue" / "active.json").is_file()


def prepare_jobdir(jobdir: Path, resume: bool) -> str:
    """Make ``jobdir`` ready for a run; returns what was done: ``resumed``, ``fresh`` or ``not_resumable``.

    Without ``resume`` an old job directory is removed (a fresh run). With ``resume`` it is kept when a
    graceful stop saved its queue; after a hard kill it is not resumable (Scrapy writes the queue only on
    close) and is removed too: the next run recovers by walking the list pages with early stopping off.
    """
    if resume and resumable(jobdir):
        return "resumed"
    verdict = "not_resumable" if resume else "fresh"
    if jobdir.exists():
        shutil.rmtree(jobdir)
    try:
        jobdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a full disk: the crawl's scheduler meets it again and ends the run disk_full
        if exc.errno not in FULL_ERRNOS:
            raise
    return verdict


def finish_jobdir(jobdir: Path, status: str) -> None:
    """Only a stopped run (``interrupted``) keeps its job directory, for ``--resume``; any other end
    removes it (a ``failed`` run's queue, e.g. after a full disk, is not worth resuming: the next run
    re-walks every list page)."""
    if status != "interrupted" and jobdir.exists():
        shutil.rmtree(jobdir, ignore_errors=True)


def take_locks(db_path: str | os.PathLike[str], sites: Iterable[str]) -> tuple[list[SiteLock], dict[str, str]]:
    """Lock each site on the dataset: (locks taken, {site: why refused})."""
    taken, refused = [], {}
    for site in sites:
        try:
            taken.append(SiteLock(db_path, site).acquire())
        except SiteLocked as exc:
            refused[site] = str(exc)
    return taken, refused
