"""A full disk during a crawl (issue 15): the run ends at once as failed/disk_full with one line on standard
error, committed rows stay intact, and the next run after space is freed completes the dataset.

Each case runs a real `linfen crawl` (the real engine, against the sample portal on 127.0.0.1) on a small
ext4 filesystem made for the test: an 8 MiB image, loop-mounted (root only; CI runs as root), filled with
``posix_fallocate`` to leave a known number of bytes. Nothing depends on timing: the crawl needs more than
what is left, so it meets the full disk whatever it writes first (dataset, WAL, raw pages, job directory).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import article_rows, crawl, rows

from linfen_crawler.demo.server import DemoServer
from linfen_crawler.diskfull import RESERVE_BYTES, DiskFull, SpaceReserve, free_bytes, is_disk_full
from linfen_crawler.storage import Dataset

FIELDS = ("title", "published_at", "source", "authors", "editors", "body", "section")
QUIET = ["-s", "LOG_LEVEL=ERROR"]  # what a user sees on standard error, without the INFO log

can_mount = os.geteuid() == 0 and shutil.which("mkfs.ext4") is not None and Path("/dev/loop-control").exists()
needs_mount = pytest.mark.skipif(not can_mount, reason="needs root, mkfs.ext4 and loop devices (CI has them)")


@pytest.fixture()
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB ext4 filesystem (4 KiB blocks, no journal, no reserved blocks), loop-mounted for the test."""
    image, mount = tmp_path / "fs.img", tmp_path / "fs"
    with image.open("wb") as f:
        f.truncate(8 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", "-b", "4096", str(image)],
                   check=True, capture_output=True)
    mount.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True, capture_output=True)
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=True, capture_output=True)


def fill(fs: Path, leave: int) -> Path:
    """Allocate everything on ``fs`` but ``leave`` bytes in one filler file; returns it (remove it to free)."""
    filler = fs / "filler"
    free = free_bytes(fs)
    assert free is not None and free > leave
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.posix_fallocate(fd, 0, free - leave)
    finally:
        os.close(fd)
    left = free_bytes(fs)
    assert left is not None and left <= leave
    return filler


def last_run(db: Path) -> dict:
    (run,) = rows(db, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")
    run["stats"] = json.loads(run["stats"] or "{}")
    return run


def assert_failed_disk_full(proc: subprocess.CompletedProcess[str], *paths: Path) -> None:
    """Exit 1, `lfxww: failed` on stdout and exactly one line on standard error naming the full disk (under
    one of ``paths``: the dataset and its web archive share a disk by default, either may meet it first)."""
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "lfxww: failed" in proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith(tuple(f"lfxww: failed: disk_full: {path}" for path in paths)), lines


def assert_intact(db: Path, expected: dict[str, dict]) -> dict[str, dict]:
    """The dataset passes SQLite's integrity check and every stored article equals its expected record."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    stored = article_rows(db)
    for url, row in stored.items():
        assert {f: row[f] for f in FIELDS} == {f: expected[url][f] for f in FIELDS}, url
    return stored


@needs_mount
def test_a_full_dataset_disk_ends_the_run_failed_and_the_next_run_completes(small_fs: Path) -> None:
    # dataset, WAL, raw pages and job directory all on the small filesystem (the default layout)
    db = small_fs / "news.db"
    Dataset(db).close()
    filler = fill(small_fs, RESERVE_BYTES + (512 << 10))  # room for the reserve and ~half a crawl
    with DemoServer() as server:
        expected = {e["url"]: e for e in server.portal.expected_articles(site="lfxww")}
        # small batches: some are committed before the disk fills
        first = crawl(server, db, *QUIET, "-s", "LINFEN_STORE_BATCH_SIZE=5")
        archive = small_fs / "news.archive"  # issue 19: the pages' WARC files, beside the dataset
        assert_failed_disk_full(first, db, archive)
        run = last_run(db)
        assert run["status"] == "failed"
        assert run["stats"]["linfen/failure"].startswith((f"disk_full: {db}", f"disk_full: {archive}"))
        committed = assert_intact(db, expected)
        assert 0 < len(committed) < len(expected)  # it stopped at once, after committing some batches
        assert not list(small_fs.glob("news.db.locks/*.reserve"))  # the reserve was given back

        filler.unlink()
        second = crawl(server, db, *QUIET)
    assert second.returncode == 0, second.stderr[-3000:]
    assert last_run(db)["status"] == "finished"
    assert set(assert_intact(db, expected)) == set(expected)  # the dataset is complete
    assert not (small_fs / "news.db.jobs" / "lfxww").exists()


@needs_mount
@pytest.mark.parametrize("leave", [0, 16 << 10], ids=["no-room-for-the-queue", "queue-fills-up"])
def test_a_full_job_directory_disk_ends_the_run_failed(small_fs: Path, tmp_path: Path, leave: int) -> None:
    # the dataset on the ordinary disk, the job directory (Scrapy's disk queue, requests.seen) on the full one:
    # before issue 15 every push raised ENOSPC and the crawl never ended
    db = tmp_path / "news.db"
    jobs = small_fs / "jobs"
    jobs.mkdir()
    filler = fill(small_fs, leave)
    with DemoServer() as server:
        expected = {e["url"]: e for e in server.portal.expected_articles(site="lfxww")}
        first = crawl(server, db, *QUIET, "-s", f"LINFEN_JOBS_DIR={jobs}")
        assert_failed_disk_full(first, jobs / "lfxww")
        run = last_run(db)
        assert run["status"] == "failed"
        assert run["stats"]["linfen/failure"].startswith(f"disk_full: {jobs / 'lfxww'}")
        committed = assert_intact(db, expected)
        assert len(committed) < len(expected)
        assert not (jobs / "lfxww").exists()  # a failed run's queue is not kept for --resume

        filler.unlink()
        second = crawl(server, db, *QUIET, "-s", f"LINFEN_JOBS_DIR={jobs}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert last_run(db)["status"] == "finished"
    assert set(assert_intact(db, expected)) == set(expected)


@needs_mount
def test_a_disk_full_before_the_crawl_starts_fails_the_run_in_one_line(small_fs: Path) -> None:
    # 40 KiB left: the dataset opens (its -shm file may not grow), the reserve cannot be taken
    db = small_fs / "news.db"
    Dataset(db).close()
    filler = fill(small_fs, 40 << 10)
    with DemoServer() as server:
        expected = {e["url"] for e in server.portal.expected_articles(site="lfxww")}
        first = crawl(server, db, *QUIET)
        # refused as the dataset is opened, before the crawl starts: one line naming the full disk
        assert first.returncode != 0, first.stderr[-3000:]
        lines = first.stderr.strip().splitlines()
        assert len(lines) == 1 and "disk_full" in lines[0] and str(small_fs) in lines[0], first.stderr[-3000:]
        assert "Traceback" not in first.stdout + first.stderr
        filler.unlink()
        second = crawl(server, db, *QUIET)
    assert second.returncode == 0, second.stderr[-3000:]
    assert set(article_rows(db)) == expected


# -- the pieces ---------------------------------------------------------------------------------------
def test_disk_full_errors_are_told_from_others(tmp_path: Path) -> None:
    assert is_disk_full(OSError(28, "No space left on device"))
    assert is_disk_full(sqlite3.OperationalError("database or disk is full"))
    assert is_disk_full(DiskFull(tmp_path))
    try:
        try:
            raise OSError(28, "No space left on device")
        except OSError:
            raise RuntimeError("wrapped") from None  # a context, not a cause
    except RuntimeError as wrapped:
        assert is_disk_full(wrapped)
    assert not is_disk_full(OSError(13, "Permission denied"))
    assert not is_disk_full(sqlite3.OperationalError("database is locked"))
    # an I/O error is a full disk only where little space is left: tmp_path has plenty
    assert not is_disk_full(sqlite3.OperationalError("disk I/O error"), tmp_path)


def test_space_reserve_holds_space_and_gives_it_back(tmp_path: Path) -> None:
    reserve = SpaceReserve.beside(tmp_path / "news.db", size=1 << 16)
    assert reserve.path.parent == tmp_path / "news.db.locks"
    assert reserve.take() and reserve.path.stat().st_blocks * 512 >= 1 << 16
    reserve.release()
    assert not reserve.path.exists()
    stale = tmp_path / "news.db.locks" / "999999999-0.reserve"  # a process that no longer exists
    stale.write_bytes(b"x")
    assert reserve.take() and not stale.exists()
    reserve.release()


def _full(ds: Dataset, *args: object) -> None:
    raise sqlite3.OperationalError("database or disk is full")


def _runs(ds: Dataset) -> int:
    return int(ds.conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0])


@pytest.mark.parametrize("mode", ["inline", "thread", "process"])
def test_the_crawl_writer_stops_writing_at_a_full_disk_but_records_the_run(tmp_path: Path, mode: str) -> None:
    from linfen_crawler.writer import CrawlWriter

    writer = CrawlWriter(str(tmp_path / "news.db"), mode, batch_size=10)
    writer.open()
    assert writer.reserve.held and writer.reserve.path.exists()
    with pytest.raises(DiskFull):
        writer.submit(_full)
        writer.drain()  # thread and process modes raise here
    assert writer.full is not None and not writer.reserve.path.exists()  # the reserve is given back
    writer.submit(_full)  # dropped, not written: the run is ending
    writer.add_raw_page({"size": 1})
    assert writer.raw_pages == []
    writer.drain()
    assert writer.call(Dataset.start_run, "lfxww") == 1  # the run record still goes through
    assert writer.call(_runs) == 1
    writer.close()
