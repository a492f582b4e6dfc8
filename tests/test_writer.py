"""The crawl's dataset writer (writer.py, issue 8): batches in order, results back on the caller's thread,
bounded queue, errors raised, and the same dataset whether it writes in a process, a thread or inline."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest

from linfen_crawler.diskfull import DiskFull
from linfen_crawler.storage import Dataset
from linfen_crawler.writer import DatasetWriter, WriterDied


def art(i: int) -> dict:
    return {"url": f"http://x.test/{i}.html", "site": "x", "title": f"标题{i}", "body": f"正文{i}。" * 20}


# work functions are module-level: the writer process receives them pickled by reference
def upsert_new(ds: Dataset, batch: list[dict]) -> int:
    return ds.upsert_articles(batch, 1).new


def count_articles(ds: Dataset) -> int:
    return int(ds.conn.execute("SELECT count(*) FROM articles").fetchone()[0])


def where(ds: Dataset) -> tuple[int, int]:
    return os.getpid(), threading.get_ident()


def slow(ds: Dataset, seconds: float) -> None:
    time.sleep(seconds)


def slow_upsert(ds: Dataset, seconds: float, batch: list[dict]) -> int:
    time.sleep(seconds)
    return upsert_new(ds, batch)


def die(ds: Dataset) -> None:
    os._exit(3)


def reject_then_die(ds: Dataset) -> None:
    ds.add_rejects([("http://x.test/gone.html", "no_body", None)], None)  # committed
    os._exit(3)


def count_rejects(ds: Dataset) -> int:
    return int(ds.conn.execute("SELECT count(*) FROM rejects").fetchone()[0])


def broken(ds: Dataset) -> None:
    raise ValueError("disk on fire")


def locked(ds: Dataset) -> None:
    raise sqlite3.OperationalError("database is locked")


def archive_full(ds: Dataset) -> None:
    raise DiskFull("/data/news.archive")


@pytest.mark.parametrize("mode", ["process", "thread", "inline"])
def test_batches_handed_over_after_one_a_full_disk_refused_are_refused_unrun(tmp_path, mode):
    """The raw pages' batch fails for a full archive disk: the article batch queued behind it must not be
    stored (an article without its page); the run record (`call`) is still written."""
    w = DatasetWriter(str(tmp_path / "t.db"), mode=mode, max_pending=4)
    errors = []
    for work, args in ((upsert_new, ([art(1)],)), (archive_full, ()), (upsert_new, ([art(2)],))):
        try:
            w.submit(work, *args)
        except DiskFull as exc:  # inline: at once
            errors.append(exc.path)
    while True:
        try:
            w.drain()
            break
        except DiskFull as exc:
            errors.append(exc.path)
    assert errors == ["/data/news.archive", "/data/news.archive"]
    assert w.call(count_articles) == 1  # the first batch only
    w.close()


@pytest.mark.parametrize("mode", ["process", "thread", "inline"])
def test_batches_are_written_in_order_and_results_come_back_on_the_caller_thread(tmp_path, mode):
    db = tmp_path / "t.db"
    w = DatasetWriter(str(db), mode=mode, max_pending=2)
    applied: list[tuple[int, int, bool]] = []
    caller = threading.get_ident()
    for n in range(6):
        batch = [art(n * 10 + i) for i in range(3)]

        def done(new: int, n: int = n) -> None:
            applied.append((n, new, threading.get_ident() == caller))

        w.submit(upsert_new, batch, done=done)
        assert len(w._pending) <= w.max_pending  # back-pressure: the queue is bounded
    w.drain()
    assert applied == [(n, 3, True) for n in range(6)]
    assert w.call(count_articles) == 18
    w.close()
    with Dataset(db) as ds:
        assert [r[0] for r in ds.conn.execute("SELECT url FROM articles ORDER BY rowid")] == [
            art(n * 10 + i)["url"] for n in range(6) for i in range(3)]


@pytest.mark.parametrize("mode", ["process", "thread"])
def test_the_writer_does_the_work_elsewhere_and_its_errors_reach_the_caller(tmp_path, mode):
    w = DatasetWriter(str(tmp_path / "t.db"), mode=mode)
    pid, thread = w.call(where)
    if mode == "process":
        assert pid != os.getpid()
    else:
        assert (pid, thread) != (os.getpid(), threading.get_ident())
    started = time.monotonic()
    w.submit(slow, 0.3)
    assert time.monotonic() - started < 0.25  # submit does not wait for the work
    w.submit(broken)
    with pytest.raises(ValueError, match="disk on fire"):
        w.drain()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):  # sqlite3 errors keep their type
        w.call(locked)
    assert w.call(count_articles) == 0  # the writer goes on after an error
    w.close()


def test_the_writer_process_refuses_what_does_not_pickle(tmp_path):
    w = DatasetWriter(str(tmp_path / "t.db"), mode="process")
    with pytest.raises(Exception, match=r"pickle|local object"):
        w.call(lambda ds: 1)
    assert w.call(count_articles) == 0
    w.close()


def test_a_dead_writer_process_is_started_again_and_gets_the_batch_once_more(tmp_path):
    w = DatasetWriter(str(tmp_path / "t.db"), mode="process")
    assert w._proc is not None
    first = w._proc.pid
    os.kill(first, signal.SIGKILL)
    w._proc.wait()
    w.submit(upsert_new, [art(1)])
    w.drain()
    assert w.restarts == 1 and w._proc.pid != first
    assert w.call(count_articles) == 1  # the batch was written by the new process
    w.close()


def test_a_batch_its_writer_dies_on_is_an_error_not_written_again(tmp_path):
    # the batch committed part of its work before the process died: sending it again would write that
    # part twice, so it is an error; a new process takes the next batches
    w = DatasetWriter(str(tmp_path / "t.db"), mode="process")
    with pytest.raises(WriterDied, match="exit code 3"):  # at the hand-over or at the drain
        w.submit(reject_then_die)
        w.drain()
    assert w.failed_batches == 1 and w.restarts == 1
    assert w.call(count_rejects) == 1
    w.close()


def test_a_writer_process_that_cannot_be_started_again_stays_an_error(tmp_path):
    w = DatasetWriter(str(tmp_path / "t.db"), mode="process")
    assert w._proc is not None
    w.db_path = str(tmp_path)  # a directory: a new writer process cannot open it
    os.kill(w._proc.pid, signal.SIGKILL)
    w._proc.wait()
    for _ in range(2):  # each call tries to start one, and says why it could not
        with pytest.raises(WriterDied, match="could not start"):
            w.call(count_articles)
    w.db_path = str(tmp_path / "t.db")
    assert w.call(count_articles) == 0  # and a later call starts one when it can
    w.close()


def test_the_writer_process_imports_the_crawl_s_code_not_the_working_directory_s(tmp_path, monkeypatch):
    fake = tmp_path / "cwd" / "linfen_crawler"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('the wrong linfen_crawler')\n")
    monkeypatch.chdir(tmp_path / "cwd")
    w = DatasetWriter("t.db", mode="process")  # a relative path: the writer opens it where the crawl is
    w.submit(upsert_new, [art(1)])
    assert w.call(count_articles) == 1
    w.close()
    assert (tmp_path / "cwd" / "t.db").exists()


def test_a_dataset_the_writer_process_cannot_open_fails_at_start(tmp_path):
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(Exception, match=r"newer|999"):
        DatasetWriter(str(newer), mode="process")
    with pytest.raises(ValueError, match="process, thread, inline"):
        DatasetWriter(str(tmp_path / "t.db"), mode="threads")


def test_the_writer_process_ignores_sigint_and_ends_with_its_crawl(tmp_path):
    # the crawl process (a child here) starts a writer, hands it a slow batch and is killed while the
    # batch is being written: the writer commits it whole, sees end-of-file and exits
    db = tmp_path / "t.db"
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path[:0] = {sys.path!r}
        from linfen_crawler.writer import DatasetWriter
        import test_writer
        w = DatasetWriter({str(db)!r}, mode="process")
        print(w._proc.pid, flush=True)
        w.submit(test_writer.slow_upsert, 1.0, [test_writer.art(7)])
        time.sleep(60)
    """)
    env = {**os.environ, "PYTHONPATH": os.path.dirname(__file__)}
    crawl = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True)
    assert crawl.stdout is not None
    writer_pid = int(crawl.stdout.readline())
    time.sleep(0.3)
    os.kill(writer_pid, signal.SIGINT)  # Ctrl-C reaches the whole process group: the writer ignores it
    time.sleep(0.2)
    assert _alive(writer_pid)
    crawl.kill()
    crawl.wait()
    deadline = time.monotonic() + 20
    while _alive(writer_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(writer_pid)
    with Dataset(db) as ds:
        assert [r[0] for r in ds.conn.execute("SELECT url FROM articles")] == [art(7)["url"]]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(("cores", "modes"), [(2, ["process", "process", "inline"]),
                                              (4, ["process", "process", "process"])])
def test_crawlers_of_one_process_get_writer_processes_while_the_cores_last(tmp_path, monkeypatch, cores, modes):
    from conftest import project_crawler

    from linfen_crawler.writer import CrawlWriter

    monkeypatch.setattr("linfen_crawler.writer.usable_cores", lambda: cores)
    monkeypatch.setattr(DatasetWriter, "processes", 0)  # none yet, whatever earlier tests of this process left
    crawlers = [project_crawler(LINFEN_DB=str(tmp_path / "t.db"), LINFEN_STORE_WRITER="auto") for _ in modes]
    try:
        got = [CrawlWriter.for_crawler(c).open() for c in crawlers]  # several sites in one reactor
        assert [w.mode for w in got] == modes
        assert [w._proc is not None for w in got] == [m == "process" for m in modes]
    finally:
        for c in crawlers:
            CrawlWriter.for_crawler(c).close()


def test_a_crawler_has_one_crawl_writer_which_its_last_user_closes(tmp_path):
    from conftest import project_crawler

    from linfen_crawler.writer import CrawlWriter, DatasetWriter

    crawler = project_crawler(LINFEN_DB=str(tmp_path / "t.db"), LINFEN_STORE_WRITER="process")
    shared = CrawlWriter.for_crawler(crawler)
    assert CrawlWriter.for_crawler(crawler) is shared  # the Store pipeline's and the raw-page extension's
    assert CrawlWriter.for_crawler(project_crawler(LINFEN_DB=str(tmp_path / "t.db"))) is not shared
    before = DatasetWriter.processes
    first = shared.open()
    assert shared.open() is first and DatasetWriter.processes == before + 1
    shared.close()
    assert shared.writer is first and first._proc is not None and first._proc.poll() is None
    shared.close()
    assert shared.writer is None and first._proc.poll() == 0 and DatasetWriter.processes == before


def test_the_crawl_writer_hands_raw_pages_over_a_batch_at_a_time(tmp_path, monkeypatch):
    from conftest import project_crawler
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from linfen_crawler.raw import archive_config, pending_row
    from linfen_crawler.writer import CrawlWriter

    crawler = project_crawler(LINFEN_DB=str(tmp_path / "t.db"), LINFEN_STORE_WRITER="inline",
                              LINFEN_STORE_BATCH_SIZE=2)
    shared = CrawlWriter.for_crawler(crawler)
    shared.open()
    batches: list[int] = []

    def add_captures(self: Dataset, rows: list[dict[str, Any]]) -> int:
        batches.append(len(rows))
        return len(rows)

    monkeypatch.setattr(Dataset, "add_captures", add_captures)
    for n in range(3):
        url = f"http://www.lfxww.com/linfen/shizheng/{n}.html"
        request = Request(url, meta={"kind": "article"})
        row = pending_row(request, HtmlResponse(url, body=b"<p>x</p>", request=request), "lfxww", None,
                          archive=archive_config(str(tmp_path / "t.db"), "test", 1 << 20))
        assert row is not None
        shared.add_raw_page(row)
    assert batches == [2]  # a full buffer; the third page waits for the next article batch or the run record
    shared.call(Dataset.last_run, "lfxww")
    assert batches == [2, 1]
    shared.close()
