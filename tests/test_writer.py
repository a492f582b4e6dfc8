"""The crawl's writer thread (writer.py, issue 8): batches in order, results back on the caller's thread,
bounded queue, errors raised, and the same dataset whether threaded or inline."""

from __future__ import annotations

import threading
import time

import pytest

from linfen_crawler.storage import Dataset
from linfen_crawler.writer import DatasetWriter


def art(i: int) -> dict:
    return {"url": f"http://x.test/{i}.html", "site": "x", "title": f"标题{i}", "body": f"正文{i}。" * 20}


@pytest.mark.parametrize("threaded", [True, False])
def test_batches_are_written_in_order_and_results_come_back_on_the_caller_thread(tmp_path, threaded):
    db = tmp_path / "t.db"
    w = DatasetWriter(str(db), threaded=threaded, max_pending=2)
    applied: list[tuple[int, int, bool]] = []
    caller = threading.get_ident()
    for n in range(6):
        batch = [art(n * 10 + i) for i in range(3)]
        w.submit(lambda ds, b=batch: ds.upsert_articles(b, 1).new,
                 lambda new, n=n: applied.append((n, new, threading.get_ident() == caller)))
        assert len(w._pending) <= w.max_pending  # back-pressure: the queue is bounded
    w.drain()
    assert applied == [(n, 3, True) for n in range(6)]
    assert w.call(lambda ds: ds.conn.execute("SELECT count(*) FROM articles").fetchone()[0]) == 18
    w.close()
    with Dataset(db) as ds:
        assert [r[0] for r in ds.conn.execute("SELECT url FROM articles ORDER BY rowid")] == [
            art(n * 10 + i)["url"] for n in range(6) for i in range(3)]


def test_the_writer_thread_does_the_work_and_its_errors_reach_the_caller(tmp_path):
    w = DatasetWriter(str(tmp_path / "t.db"), threaded=True)
    threads: list[int] = []

    def slow(ds: Dataset) -> None:
        threads.append(threading.get_ident())
        time.sleep(0.05)

    def broken(ds: Dataset) -> None:
        raise ValueError("disk on fire")

    w.submit(slow)
    assert threads == [] or threads[0] != threading.get_ident()  # submit does not wait
    w.submit(broken)
    with pytest.raises(ValueError, match="disk on fire"):
        w.drain()
    assert threads and threads[0] != threading.get_ident()
    w.close()
