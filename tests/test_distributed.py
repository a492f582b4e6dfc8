"""Distributed mode end to end: a real redis-server, worker processes and one writer, on 127.0.0.1 only.

Workers are `linfen crawl lfxww --redis URL` subprocesses crawling the sample portal through its proxy
route; `linfen ingest` is the writer. The portal answers each page after a short delay so that a crawl
lasts long enough for two workers to share it and for one to be killed midway.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, article_rows, free_port, rows, run_linfen
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler, get_reactor_settings
from twisted.python.failure import Failure

from linfen_crawler import settings as project_settings
from linfen_crawler.demo.portal import Page, Portal
from linfen_crawler.demo.server import DemoServer
from linfen_crawler.distributed.ingest import Ingester, WriterBusy, prepare
from linfen_crawler.distributed.keys import DistributedError, Keys, seed
from linfen_crawler.distributed.worker import RedisItemPipeline, RedisStartMiddleware, RunPlans, shared_dupefilter
from linfen_crawler.fingerprint import CanonicalRequestFingerprinter
from linfen_crawler.items import RUN_META, Article, Reject, with_run_of
from linfen_crawler.pipelines import NormalizePipeline, ValidatePipeline
from linfen_crawler.records import reject_reason
from linfen_crawler.scheduled.plan import CrawlPlan, LocalListPlanner
from linfen_crawler.spiders.portal import PortalSpider
from linfen_crawler.storage import Dataset

redis = pytest.importorskip("redis", reason="pip install 'linfen-crawler[distributed]'")
pytest.importorskip("scrapy_redis", reason="pip install 'linfen-crawler[distributed]'")

if shutil.which("redis-server") is None:
    if os.environ.get("CI"):
        raise RuntimeError("redis-server is not installed: .ci/run installs the Debian package")
    pytest.skip("redis-server is not installed (apt-get install redis-server)", allow_module_level=True)

WORKER = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4",
          "-s", "LOG_LEVEL=INFO", "-s", "LINFEN_REDIS_IDLE_TIMEOUT=8", "-s", "LINFEN_REDIS_BUSY_TTL=4",
          "-s", "LINFEN_PROGRESS=off"]


class SlowPortal(Portal):
    """The sample portal, answering every page after ``delay`` seconds (server threads sleep, not the test)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def get(self, path: str, *args: Any, **kwargs: Any) -> Page | None:
        time.sleep(self.delay)
        return super().get(path, *args, **kwargs)


# the project's settings (settings.py): what `linfen crawl` and `scrapy crawl` run with
PROJECT = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper() and k != "TWISTED_REACTOR"}


def ingester(client: Any, keys: Keys, db: Path | str, **options: Any) -> Ingester:
    """An Ingester with the project's defaults (as `linfen ingest` gives them), ``options`` overriding."""
    return Ingester(client, keys, str(db), **{"batch_size": PROJECT["LINFEN_STORE_BATCH_SIZE"],
                                              "idle_timeout": PROJECT["LINFEN_REDIS_IDLE_TIMEOUT"],
                                              "min_body_chars": PROJECT["LINFEN_MIN_BODY_CHARS"], **options})


@pytest.fixture()
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a free 127.0.0.1 port, no persistence; stopped after the test."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def spawn(args: list[str], log: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    fh = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed with the process by the OS
    return subprocess.Popen([sys.executable, "-m", "linfen_crawler.cli", *args], cwd=REPO, stdout=fh,
                            stderr=subprocess.STDOUT, text=True, env=env)


def start_worker(url: str, server: DemoServer, log: Path) -> subprocess.Popen[str]:
    return spawn(["crawl", "lfxww", "--redis", url, "-s", f"LINFEN_PROXY={server.url}", *WORKER], log)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def waiting(log: Path) -> bool:
    return "waiting for work on lfxww" in log.read_text("utf-8")


def finish(proc: subprocess.Popen[str], log: Path, timeout: float = 90) -> str:
    proc.wait(timeout)
    return log.read_text("utf-8")


def fetched(server: DemoServer) -> Counter[str]:
    """How often each portal URL was fetched (robots.txt aside: each worker reads it once per host)."""
    return Counter(f"{r.host}{r.path}" for r in server.requests
                   if r.method == "GET" and r.path != "/robots.txt" and not r.path.startswith("/__"))


def test_two_workers_and_one_writer_store_every_article_once(redis_url, tmp_path):
    db = tmp_path / "news.db"
    with DemoServer(portal=SlowPortal(0.05)) as server:
        logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
        workers = [start_worker(redis_url, server, log) for log in logs]
        wait_for(lambda: all(waiting(log) for log in logs), 60, "both workers to wait for work")
        assert not [r for r in server.requests if r.path != "/robots.txt"], "a worker crawled before the seed"
        seeded = run_linfen("seed", "lfxww", "--redis", redis_url)
        assert seeded.returncode == 0, seeded.stderr
        assert "lfxww: run 1 seeded with 9 start URLs" in seeded.stdout
        writer_log = tmp_path / "writer.log"
        writer = spawn(["ingest", "--redis", redis_url, "--db", str(db), "--idle-timeout", "5"], writer_log)
        outs = [finish(w, log) for w, log in zip(workers, logs, strict=True)]
        writer_out = finish(writer, writer_log)
        expected = {e["url"] for e in server.portal.expected_articles(site="lfxww")}
        counts = fetched(server)

    assert writer.returncode == 0, writer_out[-3000:]
    for proc, out in zip(workers, outs, strict=True):
        assert proc.returncode == 0, out[-3000:]
        assert "lfxww: worker finished" in out
        assert "ScrapyDeprecationWarning" not in out
    # every article stored exactly once (url is the primary key: count rows and compare the sets)
    stored = article_rows(db)
    assert set(stored) == expected
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == len(expected)
    # no URL fetched twice across the two workers
    assert counts and max(counts.values()) == 1, [u for u, n in counts.items() if n > 1]
    assert {u for u in expected if u.removeprefix("http://") not in counts} == set()
    # one run record, finished, with both workers' work in it
    (run,) = rows(db, "SELECT * FROM crawl_runs")
    assert run["status"] == "finished", run
    assert run["articles_new"] == len(expected)
    stats = json.loads(run["stats"])
    assert stats["distributed/workers"] == 2 and stats["distributed/workers_lost"] == 0
    per_worker = {k: v for k, v in stats.items() if k.startswith("distributed/pages/")}
    assert len(per_worker) == 2 and all(v >= 5 for v in per_worker.values()), per_worker
    assert run["pages"] == sum(per_worker.values()) >= sum(counts.values())
    # the rejects of a local crawl are recorded by the writer too
    assert {r["url"] for r in rows(db, "SELECT url FROM rejects")} >= set(server.portal.non_article_urls(site="lfxww"))
    # and nothing is left in Redis for the writer
    client = redis.Redis.from_url(redis_url)
    assert client.llen("linfen:items") == 0 and processing_lists(client) == {}


def test_killed_worker_loses_its_requests_to_the_run_and_the_next_run_completes_the_dataset(redis_url, tmp_path):
    db = tmp_path / "news.db"
    client = redis.Redis.from_url(redis_url)
    with DemoServer(portal=SlowPortal(0.15)) as server:
        expected = {e["url"] for e in server.portal.expected_articles(site="lfxww")}
        # -- run 1: two workers, one killed midway -----------------------------------------------------
        logs = [tmp_path / "victim.log", tmp_path / "survivor.log"]
        victim, survivor = (start_worker(redis_url, server, log) for log in logs)
        wait_for(lambda: all(waiting(log) for log in logs), 60, "both workers to wait for work")
        assert run_linfen("seed", "lfxww", "--redis", redis_url).returncode == 0
        writer_log = tmp_path / "writer-1.log"
        writer = spawn(["ingest", "--redis", redis_url, "--db", str(db), "--idle-timeout", "5"], writer_log)
        victim_id = f"{socket.gethostname()}:{victim.pid}"
        wait_for(lambda: client.exists(f"linfen:lfxww:busy:{victim_id}") and sum(fetched(server).values()) >= 25,
                 60, "the victim to be busy midway through the crawl")
        assert client.zcard("linfen:lfxww:requests") > 0, "killed too late: the frontier is already empty"
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        survivor_out = finish(survivor, logs[1])
        writer_out = finish(writer, writer_log)
        first = article_rows(db)
        first_fetches = fetched(server)

        assert survivor.returncode == 0, survivor_out[-3000:]
        assert writer.returncode == 0, writer_out[-3000:]
        (run1,) = rows(db, "SELECT * FROM crawl_runs")
        stats1 = json.loads(run1["stats"])
        # the survivor finished the crawl: nothing is left queued, yet articles are missing, because the
        # requests the victim had popped went down with it (scrapy-redis pops without acknowledgement)
        assert client.zcard("linfen:lfxww:requests") == 0 and client.llen("linfen:lfxww:start_urls") == 0
        missing = expected - set(first)
        assert missing, "the killed worker held no request"
        assert set(first) < expected
        assert run1["status"] == "interrupted" and stats1["distributed/workers_lost"] == 1
        assert victim_id in stats1["distributed/workers_lost_ids"]
        # within the run nobody fetched anything twice: the lost requests were not retried
        assert max(first_fetches.values()) == 1

        # -- run 2: a new seed resets the fingerprints, so the lost articles are found again -----------
        log2 = tmp_path / "worker-2.log"
        worker2 = start_worker(redis_url, server, log2)
        wait_for(lambda: waiting(log2), 60, "the worker of run 2")
        seeded = run_linfen("seed", "lfxww", "--redis", redis_url)
        assert seeded.returncode == 0, seeded.stderr
        assert "run 2 seeded" in seeded.stdout
        writer2_log = tmp_path / "writer-2.log"
        writer2 = spawn(["ingest", "--redis", redis_url, "--db", str(db), "--idle-timeout", "5"], writer2_log)
        finish(worker2, log2)
        writer2_out = finish(writer2, writer2_log)
        second_fetches = fetched(server) - first_fetches

    assert writer2.returncode == 0, writer2_out[-3000:]
    assert set(article_rows(db)) == expected
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == len(expected)
    runs = rows(db, "SELECT * FROM crawl_runs ORDER BY id")
    assert [r["status"] for r in runs] == ["interrupted", "finished"]
    assert runs[1]["articles_new"] == len(missing)
    assert {u.removeprefix("http://") for u in missing} <= set(second_fetches)


def test_seed_refuses_a_site_whose_run_is_in_progress_and_stop_ends_idle_workers(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    client.zadd("linfen:lfxww:requests", {b"pending": 0})
    refused = run_linfen("seed", "lfxww", "--redis", redis_url)
    assert refused.returncode == 3 and "in progress" in refused.stderr
    restarted = run_linfen("seed", "lfxww", "--redis", redis_url, "--restart")
    assert restarted.returncode == 0 and "run 1 seeded" in restarted.stdout
    assert client.zcard("linfen:lfxww:requests") == 0 and client.llen("linfen:lfxww:start_urls") == 9
    client.delete("linfen:lfxww:start_urls")
    # a worker with no idle timeout waits until told to stop
    with DemoServer() as server:
        log = tmp_path / "worker.log"
        worker = spawn(["crawl", "lfxww", "--redis", redis_url, "-s", f"LINFEN_PROXY={server.url}", *WORKER,
                        "-s", "LINFEN_REDIS_IDLE_TIMEOUT=0"], log)
        wait_for(lambda: waiting(log), 60, "the worker to wait for work")
        stopped = run_linfen("stop", "--redis", redis_url)
        assert stopped.returncode == 0 and "stop requested" in stopped.stdout
        out = finish(worker, log, timeout=30)
    assert worker.returncode == 0, out[-2000:]
    assert "told to stop" in out


def test_unreachable_redis_is_a_usage_error():
    port = free_port()
    proc = run_linfen("seed", "lfxww", "--redis", f"redis://127.0.0.1:{port}/0")
    assert proc.returncode == 2 and "cannot reach Redis" in proc.stderr


def processing_lists(client: Any) -> dict[bytes, int]:
    """Every writer's processing list (and the shared one of earlier versions), with its length."""
    return {key: client.llen(key) for key in client.scan_iter(match="linfen:items:processing*")}


def envelope(url: str, run: int = 1, **extra: Any) -> bytes:
    item = {"url": url, "site": "lfxww", "site_name": "临汾新闻网", "title": "临汾召开会议",
            "body": "临汾新闻网讯 会议要求，全市上下要认真学习贯彻会议精神，推动各项工作落实。", **extra}
    return json.dumps({"type": "article", "site": "lfxww", "run": run, "worker": "w1", "item": item},
                      ensure_ascii=False).encode()


def test_writer_removes_items_only_after_commit_and_a_new_writer_takes_back_what_a_dead_one_held(
        redis_url, tmp_path, monkeypatch):

    client = redis.Redis.from_url(redis_url)
    keys = Keys()
    urls = [f"http://www.lfxww.com/linfen/shizheng/{n}.html" for n in range(1, 6)]
    client.rpush(keys.items, *[envelope(u) for u in urls[:3]])
    # a writer died mid-batch: two items sit in processing, never committed
    client.rpush(keys.processing, *[envelope(u) for u in urls[3:]])
    db = tmp_path / "news.db"

    # a commit that fails leaves the batch in processing: nothing is acknowledged, nothing lost
    def broken(self: Any, rows: Any, run_id: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(Dataset, "upsert_articles", broken)
    first = ingester(client, keys, db, idle_timeout=1)
    with pytest.raises(OSError):
        first.run()
    # the old shared list was put back first, then the whole batch went to the writer's own list
    assert processing_lists(client) == {first.inflight.encode(): 5} and client.llen(keys.items) == 0
    assert client.get(keys.writer_lock) is None  # released on the way out
    monkeypatch.undo()

    second = ingester(client, keys, db, idle_timeout=1)
    second.run()
    assert set(article_rows(db)) == set(urls)
    assert client.llen(keys.items) == 0 and processing_lists(client) == {}
    # the same article delivered again is an unchanged upsert, not a second row
    client.rpush(keys.items, envelope(urls[0]))
    ingester(client, keys, db, idle_timeout=1).run()
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 5


def test_one_writer_per_deployment(redis_url, tmp_path):

    client = redis.Redis.from_url(redis_url)
    holder = ingester(client, Keys(), tmp_path / "a.db")
    holder.acquire()
    with pytest.raises(WriterBusy):
        ingester(client, Keys(), tmp_path / "b.db").acquire()
    proc = run_linfen("ingest", "--redis", redis_url, "--db", str(tmp_path / "c.db"), "--idle-timeout", "1")
    assert proc.returncode == 3 and "another writer" in proc.stderr
    holder.release()
    holder.dataset.close()


def test_the_shared_dupefilter_uses_the_crawls_canonical_fingerprints(redis_url):


    df = shared_dupefilter(redis.Redis.from_url(redis_url), "t:dupefilter", CanonicalRequestFingerprinter())
    url = "http://www.lfxww.com/linfen/shizheng/1.html"
    assert not df.request_seen(Request(url))
    for same in (url + "?utm_source=wechat&spm=a.b", url + "#comments", "HTTP://WWW.LFXWW.COM/linfen/shizheng/1.html"):
        assert df.request_seen(Request(same)), same
    assert not df.request_seen(Request(url.replace("1.html", "2.html")))


def reject_envelope(url: str, run: int = 1) -> bytes:
    item = {"url": url, "reason": "not_article", "detail": None}
    return json.dumps({"type": "reject", "site": "lfxww", "run": run, "worker": "w1", "item": item}).encode()


def test_a_large_batch_is_acknowledged_in_one_step_only_after_its_commit(redis_url, tmp_path, monkeypatch):

    client = redis.Redis.from_url(redis_url)
    keys = Keys()
    urls = [f"http://www.lfxww.com/linfen/shizheng/{n}.html" for n in range(1, 1201)]
    client.rpush(keys.items, *[envelope(u) for u in urls])
    db = tmp_path / "news.db"
    writer = ingester(client, keys, db, batch_size=500)
    during_commit = []
    upsert = Dataset.upsert_articles

    def spy(self: Any, rows: Any, *args: Any, **kwargs: Any) -> Any:
        during_commit.append((len(rows), client.llen(writer.inflight)))
        return upsert(self, rows, *args, **kwargs)

    monkeypatch.setattr(Dataset, "upsert_articles", spy)
    client.config_resetstat()
    taken = [writer.ingest_once(block=False) for _ in range(4)]
    calls = {k.removeprefix("cmdstat_"): v["calls"] for k, v in client.info("commandstats").items()}
    writer.dataset.close()

    assert taken == [500, 500, 200, 0]
    # while a batch is being committed it is still in Redis, in this writer's list; after, nothing is
    assert during_commit == [(500, 500), (500, 500), (200, 200)]
    assert processing_lists(client) == {} and client.llen(keys.items) == 0
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == len(urls)
    # a few commands per batch, none per item: one Lua step takes a batch, one DEL acknowledges it
    assert "lrem" not in calls and "lmove" not in calls and calls["del"] == 3, calls
    assert sum(calls.values()) < 60, calls


def test_a_batch_in_flight_when_the_writer_dies_is_ingested_by_the_next_writer_exactly_once(redis_url, tmp_path):

    client = redis.Redis.from_url(redis_url)
    keys = Keys()
    client.set(keys.run("lfxww"), 1)  # run 1 of lfxww was seeded, and its frontier is empty
    urls = [f"http://www.lfxww.com/linfen/shizheng/{n}.html" for n in range(1, 401)]
    rejected = [f"http://www.lfxww.com/linfen/list_{n}.html" for n in range(1, 101)]
    queued = [envelope(u) for u in urls[:200]] + [reject_envelope(u) for u in rejected] + [
        envelope(u) for u in urls[200:]]
    client.rpush(keys.items, *queued)
    db = tmp_path / "news.db"
    # a writer takes a batch of 300 (articles and rejects) and is killed before it commits anything
    dying = subprocess.run([sys.executable, "-c", f"""
import os, signal, redis
from linfen_crawler.distributed.ingest import Ingester
from linfen_crawler.distributed.keys import Keys
writer = Ingester(redis.Redis.from_url({redis_url!r}), Keys(), {str(db)!r}, batch_size=300, lock_ttl=1,
                  idle_timeout=1, min_body_chars={PROJECT["LINFEN_MIN_BODY_CHARS"]})
writer.acquire()
print(len(writer.take(block=True)), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert dying.returncode == -signal.SIGKILL and dying.stdout.strip() == "300", dying.stderr
    assert list(processing_lists(client).values()) == [300] and client.llen(keys.items) == 200
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 0
    wait_for(lambda: client.get(keys.writer_lock) is None, 10, "the dead writer's lock to expire")

    # the next writer puts the dead one's batch back at the head of the queue and ingests everything once
    proc = run_linfen("ingest", "--redis", redis_url, "--db", str(db), "--idle-timeout", "1", "--batch-size", "120")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "put back 300 items a previous writer had not committed" in proc.stderr
    assert client.llen(keys.items) == 0 and processing_lists(client) == {}
    assert set(article_rows(db)) == set(urls)
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == len(urls)
    # rejects are plain rows, so a batch ingested twice would show twice
    stored_rejects = Counter(r["url"] for r in rows(db, "SELECT url FROM rejects"))
    assert set(stored_rejects) == set(rejected) and max(stored_rejects.values()) == 1
    (run,) = rows(db, "SELECT * FROM crawl_runs")
    assert run["articles_new"] == len(urls) and run["rejects"] == len(rejected)


def test_a_new_writer_puts_back_what_dead_writers_held_in_order_and_ahead_of_the_queue(redis_url, tmp_path):

    client = redis.Redis.from_url(redis_url)
    keys = Keys()
    items = [envelope(f"http://www.lfxww.com/linfen/shizheng/{n}.html") for n in range(10)]
    client.rpush(keys.items, *items)
    dead = [ingester(client, keys, tmp_path / "news.db", batch_size=3) for _ in range(2)]
    held = [d.take(block=False) for d in dead]  # two writers take a batch each and die
    for d in dead:
        d.dataset.close()
    assert held == [items[0:3], items[3:6]] and dead[0].inflight != dead[1].inflight
    client.rpush(keys.processing, b"legacy")  # the shared list of earlier versions is recovered too
    assert ingester(client, keys, tmp_path / "news.db").requeue() == 7
    assert processing_lists(client) == {}
    back = client.lrange(keys.items, 0, -1)
    # each batch keeps its order and everything comes before what was still queued
    assert len(back) == 11 and back[7:] == items[6:] and set(back[:7]) == {*items[:6], b"legacy"}
    for batch in held:
        start = back.index(batch[0])
        assert back[start:start + 3] == batch


def test_a_batch_whose_ingest_failed_is_retried_by_the_same_writer_not_deleted(redis_url, tmp_path, monkeypatch):

    client = redis.Redis.from_url(redis_url)
    keys = Keys()
    urls = [f"http://www.lfxww.com/linfen/shizheng/{n}.html" for n in range(1, 8)]
    client.rpush(keys.items, *[envelope(u) for u in urls])
    db = tmp_path / "news.db"
    writer = ingester(client, keys, db, batch_size=5)
    upsert = Dataset.upsert_articles
    failures = [OSError("disk full")]

    def flaky(self: Any, rows: Any, *args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return upsert(self, rows, *args, **kwargs)

    monkeypatch.setattr(Dataset, "upsert_articles", flaky)
    with pytest.raises(OSError):
        writer.ingest_once(block=False)
    assert client.llen(writer.inflight) == 5 and client.llen(keys.items) == 2
    # the next take tops the list up to the batch size (nothing to add here) and ingests all of it
    assert writer.ingest_once(block=True) == 5
    assert writer.ingest_once(block=True) == 2
    writer.dataset.close()
    assert set(article_rows(db)) == set(urls) and processing_lists(client) == {}


LIST_PATH = re.compile(r"^/[a-z/]+/(index_\d+\.html)?$")


def test_a_run_seeded_with_the_dataset_fetches_only_list_pages_and_new_articles_then_a_full_run_everything(
        redis_url, tmp_path, dataset):
    db = dataset  # a local crawl filled the dataset (the session's, of the unchanged portal; a copy)
    client = redis.Redis.from_url(redis_url)
    with DemoServer() as server:
        before = set(article_rows(db))
        new_urls = server.publish(3)
        expected = {e["url"] for e in server.portal.expected_articles(site="lfxww")}
        assert set(new_urls) <= expected and before == expected - set(new_urls)
        server.clear_requests()
        # one long-lived worker and writer serve both runs below; `linfen stop` ends them
        log, writer_log = tmp_path / "worker.log", tmp_path / "writer.log"
        worker = spawn(["crawl", "lfxww", "--redis", redis_url, "-s", f"LINFEN_PROXY={server.url}", *WORKER,
                        "-s", "LINFEN_REDIS_IDLE_TIMEOUT=0"], log)
        writer = spawn(["ingest", "--redis", redis_url, "--db", str(db), "--idle-timeout", "0"], writer_log)
        wait_for(lambda: waiting(log), 60, "the worker to wait for work")

        # -- run 1, seeded with the dataset: incremental -------------------------------------------------
        client.config_resetstat()
        seeded = run_linfen("seed", "lfxww", "--redis", redis_url, "--db", str(db))
        assert seeded.returncode == 0, seeded.stderr
        known = client.scard("linfen:lfxww:run:1:known")
        assert known >= len(before) and client.hget("linfen:lfxww:run:1:plan", "early_stop") == b"1"
        assert f"lfxww: run 1 seeded with 9 start URLs (incremental, {known} known pages)" in seeded.stdout
        wait_for(lambda: run_status(db, 2) == "finished", 90, "run 1 to close")
        lookups = client.info("commandstats").get("cmdstat_smismember", {}).get("calls", 0)
        incremental = fetched(server)
        # the run's plan is gone with the run
        assert not client.exists("linfen:lfxww:run:1:known", "linfen:lfxww:run:1:plan")

        # -- run 2, seeded without the dataset: the same worker fetches everything again -----------------
        server.clear_requests()
        seeded = run_linfen("seed", "lfxww", "--redis", redis_url)
        assert seeded.returncode == 0 and "run 2 seeded with 9 start URLs (full crawl)" in seeded.stdout
        wait_for(lambda: run_status(db, 3) == "finished", 90, "run 2 to close")
        full = fetched(server)
        assert run_linfen("stop", "--redis", redis_url).returncode == 0
        worker_out, writer_out = finish(worker, log), finish(writer, writer_log)

    assert worker.returncode == 0, worker_out[-3000:]
    assert writer.returncode == 0, writer_out[-3000:]
    # run 1 fetched list pages and the new articles, nothing else
    host = "www.lfxww.com"
    pages = {u for u in incremental if u.startswith(host)}
    assert pages == set(incremental), incremental
    lists = {u for u in pages if LIST_PATH.match(u.removeprefix(host))}
    assert pages - lists == {u.removeprefix("http://") for u in new_urls}, pages - lists
    assert max(incremental.values()) == 1
    assert lookups == len(lists)  # one round trip per list page
    run1 = rows(db, "SELECT * FROM crawl_runs WHERE id = 2")[0]
    stats1 = json.loads(run1["stats"])
    assert (run1["status"], run1["articles_new"], run1["articles_updated"]) == ("finished", 3, 0)
    assert stats1["linfen/skipped/known"] >= len(lists) and stats1["linfen/early_stops"] >= 1
    assert stats1["distributed/run"] == 1 and stats1["distributed/workers_lost"] == 0
    assert set(article_rows(db)) == expected
    # run 2 fetched every article, and more list pages (no early stop)
    assert {u.removeprefix("http://") for u in expected} <= set(full)
    assert len({u for u in full if LIST_PATH.match(u.removeprefix(host))}) > len(lists)
    run2 = rows(db, "SELECT * FROM crawl_runs WHERE id = 3")[0]
    stats2 = json.loads(run2["stats"])
    assert (run2["status"], run2["articles_new"], run2["articles_updated"]) == ("finished", 0, 0)
    assert "linfen/skipped/known" not in stats2 and "linfen/early_stops" not in stats2
    assert stats2["distributed/run"] == 2 and stats2["distributed/workers_lost"] == 0


def run_status(db: Path, run_id: int) -> str | None:
    if not db.exists():
        return None
    found = rows(db, "SELECT status FROM crawl_runs WHERE id = ?", (run_id,))
    return found[0]["status"] if found else None


def test_an_errback_item_is_filed_under_the_run_of_its_request(redis_url):
    # a failed download's reject does not pass through the spider middleware that tags callback items


    spider = PortalSpider.from_crawler(get_crawler(PortalSpider, {**PROJECT, "LINFEN_REDIS_URL": redis_url}),
                                       site="lfxww")
    try:
        raise TimeoutError("slow")
    except TimeoutError:
        failure = Failure()
    failure.request = Request("http://www.lfxww.com/linfen/shizheng/9.html",  # type: ignore[attr-defined]
                              meta={"kind": "article", RUN_META: 7})
    (reject,) = spider.on_error(failure)
    assert isinstance(reject, Reject) and reject.run == 7
    untagged = with_run_of(Reject("http://x/1.html", "no_body"), Request("http://x/1.html"))
    assert untagged.run is None  # a local crawl's items carry no run


def test_a_seed_whose_known_set_vanished_changes_nothing(redis_url, monkeypatch):

    client = redis.Redis.from_url(redis_url)
    keys = Keys()
    real = client.transaction

    def evicting(func: Any, *watches: Any, **kw: Any) -> Any:  # the staging set expires (is evicted) before the seed
        for key in client.scan_iter(match=f"{keys.prefix}:*:known:staging:*"):
            client.delete(key)
        return real(func, *watches, **kw)

    monkeypatch.setattr(client, "transaction", evicting)
    plan = CrawlPlan(known=frozenset({"http://www.lfxww.com/linfen/shizheng/1.html"}))
    with pytest.raises(DistributedError, match="vanished"):
        seed(client, keys, "lfxww", ["http://www.lfxww.com/linfen/shizheng/"], plan=plan)
    assert client.get(keys.run("lfxww")) is None and client.llen(keys.start_urls("lfxww")) == 0


def test_a_list_page_whose_plan_redis_cannot_give_is_crawled_in_full():
    # a Redis error while asking for the page's known links must not lose the section: all links fetched

    plans = RunPlans(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1), Keys(), site="lfxww")
    links = ["http://www.lfxww.com/linfen/shizheng/1.html", "http://www.lfxww.com/linfen/shizheng/2.html"]
    base = CrawlPlan()
    plan = plans.plan(base, {RUN_META: 3}, links)
    assert plan is base and plan.select(links).fetch == links


class KnowsAll:
    """A list-page planner that knows every link of a page: nothing is fetched, paging stops."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.pages: list[Any] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> KnowsAll:
        return cls(crawler)

    def plan(self, base: CrawlPlan, meta: Any, links: Any) -> CrawlPlan:
        self.pages.append(meta.get("page"))
        return CrawlPlan(known=frozenset(links), early_stop=True)


def list_response(url: str = "http://www.lfxww.com/linfen/shizheng/", /, **meta: Any) -> Any:
    from scrapy.http import HtmlResponse

    page = Portal().get(url.removeprefix("http://www.lfxww.com"))
    assert page is not None and page.status == 200
    request = Request(url, meta={"kind": "list", "page": 1, "section_url": url, "section": "时政", **meta})
    return HtmlResponse(url, body=page.body, headers={"Content-Type": page.content_type}, request=request)


def opened(settings: dict[str, Any]) -> tuple[Crawler, PortalSpider]:
    """A crawler of lfxww and its spider, made in a crawl's order (``Crawler.crawl``): the spider is built,
    then the settings are final (add-ons applied), then the spider opens."""
    # extensions whose spider_opened needs a running engine are left out
    quiet = {"AUTOTHROTTLE_ENABLED": False, "LOGSTATS_INTERVAL": 0}
    crawler = Crawler(PortalSpider, {**get_reactor_settings(), **PROJECT, **quiet, **settings})
    crawler.spider = spider = crawler._create_spider(site="lfxww")
    assert isinstance(spider, PortalSpider)
    crawler._apply_settings()
    answers = crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    assert not [result for _, result in answers if isinstance(result, Failure)], answers
    return crawler, spider


def test_the_spider_plans_list_pages_with_the_planner_its_settings_name(tmp_path):
    db = tmp_path / "news.db"
    _, local = opened({"LINFEN_DB": str(db)})
    assert local.site_lock is not None
    local.site_lock.release()
    assert isinstance(local.planner, LocalListPlanner)  # the default: the crawl's own plan judges every page
    fetched = [r.url for r in local.parse_list(list_response()) if isinstance(r, Request)]
    assert len(fetched) > 5 and any(u.endswith(".html") for u in fetched)

    # any planner named by LINFEN_LIST_PLANNER is built from the crawler and asked about each list page
    crawler, spider = opened({"LINFEN_DB": str(db), "LINFEN_LIST_PLANNER": f"{__name__}.KnowsAll"})
    assert spider.site_lock is not None
    spider.site_lock.release()
    assert isinstance(spider.planner, KnowsAll) and spider.planner.crawler is crawler
    assert list(spider.parse_list(list_response())) == []  # every link known: no article, no next page
    assert spider.planner.pages == [1]
    assert crawler.stats.get_value("linfen/skipped/known") == len(fetched) - 1  # all but the next list page
    assert crawler.stats.get_value("linfen/early_stops") == 1
    for c in (local.crawler, crawler):  # the spiders close: their writer processes end
        answers = c.signals.send_catch_log(signals.spider_closed, spider=c.spider, reason="finished")
        assert not [result for _, result in answers if isinstance(result, Failure)], answers


def test_a_worker_plans_list_pages_from_the_plan_its_run_published(redis_url):
    crawler, spider = opened({"LINFEN_REDIS_URL": redis_url})
    # the add-on names the worker's planner; the spider never imports distributed mode
    assert crawler.settings["LINFEN_LIST_PLANNER"] == "linfen_crawler.distributed.worker.RunPlans"
    assert isinstance(spider.planner, RunPlans) and spider.site_lock is None
    response = list_response()
    local = PortalSpider(site="lfxww")
    local.crawler = crawler
    links = [r.url for r in local.parse_list(response) if r.meta.get("kind") == "article"]
    client = redis.Redis.from_url(redis_url)
    run = seed(client, Keys(), "lfxww", ["http://www.lfxww.com/linfen/shizheng/"],
               plan=CrawlPlan(known=frozenset(links[:-1]), early_stop=True))

    # a page of the seeded run: only the link its plan does not know is fetched; one was new, so paging goes on
    out = list(spider.parse_list(list_response(**{RUN_META: run})))
    assert [r.url for r in out if r.meta["kind"] == "article"] == links[-1:]
    assert [r.meta["page"] for r in out if r.meta["kind"] == "list"] == [2]
    plan = spider.planner.plan(CrawlPlan(), {RUN_META: run}, links)
    assert plan.known == frozenset(links[:-1]) and plan.early_stop
    # a page without a run (or of a run seeded without --db) is crawled in full
    assert spider.planner.plan(CrawlPlan(), {}, links) == CrawlPlan()
    assert spider.planner.plan(CrawlPlan(), {RUN_META: run + 1}, links) == CrawlPlan()
    # a run that knows every link of the page: nothing fetched, paging stops
    again = seed(client, Keys(), "lfxww", ["http://www.lfxww.com/linfen/shizheng/"], restart=True,
                 plan=CrawlPlan(known=frozenset(links), early_stop=True))
    assert list(spider.parse_list(list_response(**{RUN_META: again}))) == []
    assert crawler.stats.get_value("linfen/early_stops") == 1


def test_worker_items_carry_their_run_in_a_field_and_the_envelope_not_in_the_stored_item(redis_url):
    crawler = get_crawler(PortalSpider, {**PROJECT, "LINFEN_REDIS_URL": redis_url})
    crawler.spider = PortalSpider(site="lfxww")
    client = redis.Redis.from_url(redis_url)
    client.set(Keys().run("lfxww"), 9)  # the site's current run
    article = Article("http://www.lfxww.com/linfen/shizheng/1.html", "lfxww", title="临汾召开会议", body="正文。")
    response = list_response(**{RUN_META: 4})
    # the start middleware files what a response yields under the response's run
    assert RedisStartMiddleware._pass_run(response, article) is article and article.run == 4
    followed = RedisStartMiddleware._pass_run(response, Request("http://www.lfxww.com/linfen/shizheng/index_2.html"))
    assert followed.meta[RUN_META] == 4

    pipeline = RedisItemPipeline.from_crawler(crawler)
    pipeline.process_item(article)
    pipeline.process_item(Reject("http://www.lfxww.com/linfen/shizheng/2.html", "http_500"))  # no run: the current
    first, second = (json.loads(raw) for raw in client.lrange(Keys().items, 0, -1))
    assert (first["type"], first["run"], second["type"], second["run"]) == ("article", 4, "reject", 9)
    assert "run" not in first["item"] and "run" not in second["item"] and "linfen_run" not in first["item"]
    assert first["item"]["title"] == "临汾召开会议"


@pytest.mark.parametrize(("body", "images"), [
    ("", []),                                   # no body
    ("短。", []),                               # shorter than LINFEN_MIN_BODY_CHARS
    ("导航 首页 新闻 图片 视频 专题 评论 关于我们 联系我们 网站地图", []),  # no sentence: not prose
    ("会议要求，全市上下要认真学习贯彻会议精神，推动各项工作落实。", []),  # an article
    ("", [{"src": "http://www.lfxww.com/a.jpg"}]),  # a photo story
])
def test_the_writer_judges_an_item_as_a_local_crawls_pipelines_do(body, images):
    min_body = PROJECT["LINFEN_MIN_BODY_CHARS"]
    item = {"url": "http://www.lfxww.com/linfen/shizheng/1.html", "site": "lfxww", "title": "临汾　召开会议",
            "body": body, "images": images, "authors": ["张三"], "editors": []}
    batch = prepare([{"type": "article", "site": "lfxww", "run": 1, "worker": "w", "item": item}], min_body)
    local = NormalizePipeline().process_item(Article(**item))
    reason = reject_reason(local, min_body)
    try:
        ValidatePipeline(min_body).process_item(local)
        dropped = None
    except Exception as exc:
        dropped = str(exc)
    assert dropped == reason
    if reason:
        assert batch.rejects == {("lfxww", 1): [(item["url"], reason, "临汾 召开会议")]}
        assert batch.articles == {}
    else:
        (row,) = batch.articles[("lfxww", 1)]
        expected = {k: v for k, v in local.__dict__.items() if k not in ("not_article", "run", "crawled_at")}
        assert {k: v for k, v in row.items() if k != "crawled_at"} == expected
        assert "run" not in row and "not_article" not in row
