"""A full disk during a crawl (issue 15): recognising it, and the space kept for the run record.

A disk fills under the dataset (its file, its WAL), under the job directory (Scrapy's disk queue and
``requests.seen``) or under the raw pages (they are in the dataset). Whichever write meets it first, the run
ends at once as ``failed`` with the cause ``disk_full: <path>`` in the stats key :data:`FAILURE_KEY` (see
:mod:`linfen_crawler.extensions.jobdir`, which stops the crawl). This module is pure (no Scrapy): the dataset
writer's process imports it too.

* :func:`is_disk_full` tells a full disk from other errors: ``OSError`` ENOSPC/EDQUOT/EFBIG, SQLite's
  ``database or disk is full``, and SQLite's ``disk I/O error`` (or a dead writer process) while the
  filesystem has less than :data:`LOW_SPACE` free (SQLite reports a failed ``-shm`` extension that way).
* :class:`SpaceReserve` holds :data:`RESERVE_BYTES` allocated beside the dataset while a crawl writes, and
  gives them back when the disk is full, so the run record can still say ``failed``/``disk_full`` (best
  effort: where the reserve cannot be made for another reason, the crawl goes on without it).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import sqlite3
from pathlib import Path
from typing import ClassVar

FAILURE_KEY = "linfen/failure"  # the stats key of a failed run's cause, "<kind>: <detail>"
RESERVE_BYTES = 1 << 20  # kept allocated beside the dataset during a crawl, for the run record
LOW_SPACE = 1 << 20  # an I/O error with less than this free on the filesystem is a full disk
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_SQLITE_FULL = 13


class DiskFull(Exception):
    """A write failed because the filesystem under ``path`` is full."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        super().__init__(self.path)

    @property
    def failure(self) -> str:
        """The run's cause as kept in :data:`FAILURE_KEY`."""
        return f"disk_full: {self.path} (no space left on device)"


def free_bytes(path: str | os.PathLike[str]) -> int | None:
    """Bytes an unprivileged writer may still use on the filesystem holding ``path`` (or its nearest
    existing folder); None when it cannot be told."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        st = os.statvfs(p)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def is_disk_full(exc: BaseException, path: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``exc`` (or an exception it was raised from) means the filesystem under ``path`` is full."""
    for err in _chain(exc):
        if isinstance(err, DiskFull):
            return True
        if isinstance(err, OSError) and err.errno in FULL_ERRNOS:
            return True
        if isinstance(err, sqlite3.Error) and getattr(err, "sqlite_errorcode", None) == _SQLITE_FULL:
            return True
        text = str(err)
        if "database or disk is full" in text:
            return True
        if path is not None and ("disk I/O error" in text or type(err).__name__ == "WriterDied"):
            free = free_bytes(path)
            if free is not None and free < LOW_SPACE:
                return True
    return False


class SpaceReserve:
    """:data:`RESERVE_BYTES` allocated in a file at ``path`` (``posix_fallocate``), given back by
    :meth:`release`. :meth:`take` returns False when the space is not there: the disk is already full."""

    _made: ClassVar[itertools.count[int]] = itertools.count()

    def __init__(self, path: str | os.PathLike[str], size: int = RESERVE_BYTES) -> None:
        self.path = Path(path)
        self.size = size
        self.held = False

    @classmethod
    def beside(cls, db_path: str | os.PathLike[str], size: int = RESERVE_BYTES) -> SpaceReserve:
        """A reserve in the dataset's lock folder, ``<db>.locks/<pid>-<n>.reserve`` (one per crawl)."""
        db = Path(db_path).absolute()
        return cls(db.with_name(db.name + ".locks") / f"{os.getpid()}-{next(cls._made)}.reserve", size)

    def take(self) -> bool:
        if self.held:
            return True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale(self.path.parent)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.posix_fallocate(fd, 0, self.size)
            finally:
                os.close(fd)
        except OSError as exc:
            self.release()
            # a full disk, or (best effort) a filesystem or folder that cannot hold the reserve: carry on
            # without it, the writes themselves say whether there is room
            return exc.errno not in FULL_ERRNOS
        self.held = True
        return True

    def release(self) -> None:
        """Give the space back (also removes a partly allocated file)."""
        self.held = False
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _remove_stale(folder: Path) -> None:
    """Remove the reserves of crawl processes that are gone (killed before they could)."""
    for path in folder.glob("*.reserve"):
        pid = path.name.split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        except PermissionError:  # alive, another user's
            pass
