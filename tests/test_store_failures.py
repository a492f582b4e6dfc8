"""The Store pipeline when a batch cannot be written: nothing is lost, the run says it failed."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import project_crawler
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse

from linfen_crawler.items import Article, Reject
from linfen_crawler.pipelines import StorePipeline
from linfen_crawler.raw import archive_config, pending_row
from linfen_crawler.storage import Dataset
from linfen_crawler.writer import CrawlWriter


def store(db: Path, **settings: Any) -> tuple[Crawler, StorePipeline]:
    crawler = project_crawler(LINFEN_DB=str(db), LINFEN_STORE_FLUSH_SECONDS=0, **settings)
    crawler.spider = SimpleNamespace(site_key="lfxww", name="lfxww")
    pipe = StorePipeline.from_crawler(crawler)
    pipe.open_spider()
    return crawler, pipe


def buffer_raw_page(monkeypatch: pytest.MonkeyPatch, crawler: Crawler, order: list[str]) -> None:
    """One fetched page in the crawl writer's raw-page buffer, as the raw-pages extension puts it there; its
    insert is recorded in ``order``."""
    real = Dataset.add_captures

    def add_captures(self: Dataset, rows: list[dict[str, Any]]) -> int:
        order.append("raw")
        return real(self, rows)

    monkeypatch.setattr(Dataset, "add_captures", add_captures)
    url = "http://www.lfxww.com/linfen/shizheng/1.html"
    request = Request(url, meta={"kind": "article"})
    response = HtmlResponse(url, body="<html><body><p>正文第一段。</p></body></html>".encode(), request=request)
    writer = CrawlWriter.for_crawler(crawler)
    row = pending_row(request, response, "lfxww", None, archive=archive_config(writer.db_path, "test", 1 << 20))
    assert row is not None
    writer.add_raw_page(row)


def article(n: int) -> Article:
    return Article(url=f"http://www.lfxww.com/linfen/shizheng/{n}.html", site="lfxww", title=f"标题{n}",
                   body="正文第一段。")


@pytest.mark.parametrize("mode", ["thread", "inline"])  # monkeypatched Dataset: not in a process
def test_a_failing_article_batch_becomes_rejects_and_a_failed_run(tmp_path, monkeypatch, mode):
    db = tmp_path / "news.db"

    def broken(self, rows, run_id, **kw):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Dataset, "upsert_articles", broken)
    crawler, pipe = store(db, LINFEN_STORE_WRITER=mode)
    pipe.process_item(article(1))
    pipe.process_item(article(2))
    pipe.process_item(Reject("http://www.lfxww.com/linfen/shizheng/3.html", "http_404"))
    crawler.stats.set_value("finish_reason", "finished")
    pipe.close_spider()

    conn = sqlite3.connect(db)
    rejects = dict(conn.execute("SELECT url, reason FROM rejects").fetchall())
    assert rejects == {"http://www.lfxww.com/linfen/shizheng/1.html": "store_error",
                       "http://www.lfxww.com/linfen/shizheng/2.html": "store_error",
                       "http://www.lfxww.com/linfen/shizheng/3.html": "http_404"}
    assert conn.execute("SELECT status, rejects FROM crawl_runs").fetchall() == [("failed", 3)]
    assert crawler.stats.get_value("linfen/status") == "failed"
    assert crawler.stats.get_value("linfen/rejects/http_404") == 1  # a Reject item is counted like a drop


def test_an_error_while_closing_still_ends_the_run(tmp_path, monkeypatch):
    db = tmp_path / "news.db"
    _crawler, pipe = store(db, LINFEN_STORE_WRITER="inline")

    def broken(self, rows, run_id):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Dataset, "add_rejects", broken)
    pipe.process_item(Reject("http://www.lfxww.com/x.html", "http_404"))
    with pytest.raises(sqlite3.OperationalError):
        pipe.close_spider()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT status FROM crawl_runs").fetchall() == [("failed",)]  # not left 'running'


@pytest.mark.parametrize("mode", ["thread", "inline"])  # monkeypatched Dataset: not in a process
def test_raw_pages_are_committed_before_their_articles(tmp_path, monkeypatch, mode):
    # the raw-page store registers its flush; a kill between two commits must never leave a stored
    # article without its page (the next incremental run would not fetch it again for reextract)
    order: list[str] = []
    real_upsert = Dataset.upsert_articles

    def upsert(self, rows, run_id, **kw):
        order.append("articles")
        return real_upsert(self, rows, run_id, **kw)

    monkeypatch.setattr(Dataset, "upsert_articles", upsert)
    crawler, pipe = store(tmp_path / "news.db", LINFEN_STORE_WRITER=mode, LINFEN_STORE_BATCH_SIZE=2)
    buffer_raw_page(monkeypatch, crawler, order)  # one page: the raw-page buffer is not full
    pipe.process_item(article(1))
    pipe.process_item(article(2))  # a full article batch: handed over at once, during the crawl
    crawler.stats.set_value("finish_reason", "finished")
    pipe.close_spider()
    assert order == ["raw", "articles"]


def test_the_run_record_comes_after_the_last_raw_pages(tmp_path, monkeypatch):
    # raw pages buffered after the last article batch (pages that gave no article) are written before
    # the run record, so the record is the run's last write
    order: list[str] = []
    real_finish = Dataset.finish_run

    def finish(self, *args, **kw):
        order.append("record")
        return real_finish(self, *args, **kw)

    monkeypatch.setattr(Dataset, "finish_run", finish)
    crawler, pipe = store(tmp_path / "news.db", LINFEN_STORE_WRITER="inline")
    buffer_raw_page(monkeypatch, crawler, order)
    pipe.process_item(Reject("http://www.lfxww.com/linfen/shizheng/9.html", "not_article"))
    crawler.stats.set_value("finish_reason", "finished")
    pipe.close_spider()
    assert order == ["raw", "record"]


def test_a_batch_that_fails_where_scrapy_only_logs_it_still_fails_the_run(tmp_path, monkeypatch):
    # the error of a handed-over batch comes out of a later process_item (Scrapy logs it as an item
    # error); the run record must still say the run failed
    real = Dataset.write_batch
    calls = []

    def write_batch(self, *args):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("writer gone")
        return real(self, *args)

    monkeypatch.setattr(Dataset, "write_batch", write_batch)
    crawler, pipe = store(tmp_path / "news.db", LINFEN_STORE_WRITER="inline", LINFEN_STORE_BATCH_SIZE=1)
    with pytest.raises(RuntimeError, match="writer gone"):
        pipe.process_item(article(1))
    pipe.process_item(article(2))
    crawler.stats.set_value("finish_reason", "finished")
    pipe.close_spider()
    conn = sqlite3.connect(tmp_path / "news.db")
    assert conn.execute("SELECT status FROM crawl_runs").fetchall() == [("failed",)]
    assert crawler.stats.get_value("linfen/errors/store/batch_failed") == 1
    assert [r[0] for r in conn.execute("SELECT url FROM articles")] == [article(2).url]


def test_a_run_that_cannot_start_gives_its_writer_back(tmp_path, monkeypatch):
    def locked(self, *args):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Dataset, "start_run", locked)
    crawler = project_crawler(LINFEN_DB=str(tmp_path / "news.db"), LINFEN_STORE_FLUSH_SECONDS=0,
                              LINFEN_STORE_WRITER="inline")
    crawler.spider = SimpleNamespace(site_key="lfxww", name="lfxww")
    pipe = StorePipeline.from_crawler(crawler)
    with pytest.raises(sqlite3.OperationalError):
        pipe.open_spider()
    assert CrawlWriter.for_crawler(crawler).writer is None and pipe.writer is None
    pipe.close_spider()  # Scrapy closes the pipeline anyway: nothing to do, nothing raised
