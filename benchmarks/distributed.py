#!/usr/bin/env python3
"""Distributed crawl throughput: a local crawl, then 1 and 2 workers on Redis, same site, one run.

Usage::

    python benchmarks/distributed.py [--publish N] [--delay SECONDS] [--concurrency C]
    python benchmarks/distributed.py --ack 5000 [--batch-size B]      # the writer's queue operations only

Serves the sample 临汾新闻网 with N extra published articles (default 400, so ~500 pages) on 127.0.0.1,
answering each page after ``--delay`` seconds (default 0: CPU-bound), starts a private ``redis-server`` on
a free port, and crawls the site three times, each into a fresh dataset with the same per-process settings
(concurrency C per worker, no delay, no AutoThrottle):

(a) ``linfen crawl lfxww``: one process, local scheduler, Store pipeline (the baseline);
(b) one worker ``linfen crawl lfxww --redis URL`` + ``linfen ingest``;
(c) two workers + ``linfen ingest``.

Pages/s is pages served divided by the time from the first to the last page the server answered (process
start-up is left out); "until stored" adds the time until the writer has committed the last item.

What the figures mean. Each process keeps at most C requests in flight, so N workers put N × C on the site:
more workers fetch faster even on this project's 2-core machine (measured there with --publish 200, C = 4:
local 66–81 pages/s, 1 worker 56–67, 2 workers 113–122, 3 workers 180), because the crawl of this local
portal is bound by request round trips, not by CPU. That is the effective-rate rule of
docs/distributed.md (N workers = N × the per-worker rate on the site), not a speed-up from extra cores: on
2 cores the workers, the writer, Redis and the portal share two CPUs. The cost of coordination shows in
"1 worker + writer" against the local crawl (same concurrency: Redis round trips per request, items
pickled and shipped, up to 0–30 % fewer pages/s between runs) and in "until stored" (the writer's lag,
about 1 s). Compare equal total concurrency (``--concurrency 8 --workers 1`` with the 2-worker row of a
``--concurrency 4`` run) to see overhead without the extra load.

``--ack N`` measures only the writer's reliable-queue operations on N queued items of about 4 KB each (no
crawl, no SQLite): taking them in batches of B into a processing list and acknowledging each batch, the
way ``Ingester`` does now (``BLMOVE``/one Lua step per batch, one ``DEL`` per batch) and the way it did
before (one ``LMOVE`` round trip per item, one ``LREM`` per item in the acknowledging pipeline).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linfen_crawler.demo.portal import Page, Portal  # noqa: E402
from linfen_crawler.demo.server import DemoServer  # noqa: E402


class TimedPortal(Portal):
    """The sample portal, noting when each page was served (and answering after ``delay`` seconds)."""

    def __init__(self, published: int, delay: float) -> None:
        super().__init__(published=published)
        self.delay = delay
        self.times: list[float] = []
        self._times_lock = threading.Lock()

    def get(self, path: str, *args: Any, **kwargs: Any) -> Page | None:
        if self.delay:
            time.sleep(self.delay)
        with self._times_lock:
            self.times.append(time.monotonic())
        return super().get(path, *args, **kwargs)

    def window(self) -> tuple[int, float, float]:
        with self._times_lock:
            times, self.times = self.times, []
        return len(times), min(times), max(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def linfen(*args: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as fh:
        return subprocess.Popen([sys.executable, "-m", "linfen_crawler.cli", *args], cwd=REPO, stdout=fh,
                                stderr=subprocess.STDOUT, env=env)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {what}")


def crawl_settings(server: DemoServer, concurrency: int) -> list[str]:
    return ["-s", f"LINFEN_PROXY={server.url}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
            "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}", "-s", "LOG_LEVEL=WARNING",
            "-s", "LINFEN_PROGRESS=off", "-s", "ROBOTSTXT_OBEY=False"]


def local_crawl(server: DemoServer, portal: TimedPortal, work: Path, concurrency: int) -> dict[str, float]:
    proc = linfen("crawl", "lfxww", "--db", str(work / "local.db"), *crawl_settings(server, concurrency),
                  log=work / "local.log")
    if proc.wait(600) != 0:
        raise SystemExit(f"local crawl failed, see {work / 'local.log'}")
    pages, first, last = portal.window()
    return {"pages": pages, "crawl_s": last - first, "stored_s": last - first}


def distributed_crawl(server: DemoServer, portal: TimedPortal, work: Path, redis_url: str, workers: int,
                      concurrency: int) -> dict[str, float]:
    import redis

    from linfen_crawler.distributed.keys import Keys

    prefix = f"bench{workers}"
    keys = Keys(prefix)
    client = redis.Redis.from_url(redis_url)
    # INFO: the workers say "waiting for work" when they are ready
    common = ["-s", f"LINFEN_REDIS_PREFIX={prefix}", "-s", "LINFEN_REDIS_IDLE_TIMEOUT=0", "-s", "LOG_LEVEL=INFO"]
    logs = [work / f"w{workers}-{i}.log" for i in range(workers)]
    procs = [linfen("crawl", "lfxww", "--redis", redis_url, *crawl_settings(server, concurrency), *common, log=log)
             for log in logs]
    writer = linfen("ingest", "--redis", redis_url, "--prefix", prefix, "--db", str(work / f"w{workers}.db"),
                    "--idle-timeout", "0", log=work / f"writer{workers}.log")
    wait_for(lambda: all("waiting for work" in log.read_text("utf-8", "replace") for log in logs), 120,
             "the workers to start")
    seed = subprocess.run([sys.executable, "-m", "linfen_crawler.cli", "seed", "lfxww", "--redis", redis_url,
                           "--prefix", prefix], cwd=REPO, capture_output=True, text=True)
    if seed.returncode:
        raise SystemExit(seed.stderr)
    wait_for(lambda: client.exists(keys.run_info("lfxww", 1)), 120, "the first item")
    wait_for(lambda: client.hget(keys.run_info("lfxww", 1), "closed") is not None, 600, "the run to close")
    stored = time.monotonic()
    pages, first, last = portal.window()
    client.incr(keys.stop)
    for proc in [*procs, writer]:
        proc.wait(120)
    per_worker = {k.decode(): float(v) for k, v in client.hgetall(keys.run_info("lfxww", 1)).items()
                  if k.startswith(b"stat:distributed/pages/")}
    return {"pages": pages, "crawl_s": last - first, "stored_s": stored - first,
            "split": " / ".join(str(int(v)) for v in sorted(per_worker.values(), reverse=True))}


def redis_up(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.ConnectionError:
        return False


def queue_cost(redis_url: str, items: int, batch: int, work: Path) -> dict[str, dict[str, float]]:
    """Seconds to take and to acknowledge ``items`` queued items in batches of ``batch``, old and new way."""
    import json

    import redis

    from linfen_crawler.distributed.ingest import Ingester
    from linfen_crawler.distributed.keys import Keys

    client = redis.Redis.from_url(redis_url)
    body = "临汾新闻网讯 " + "会议要求，全市上下要认真学习贯彻会议精神，推动各项工作落实。" * 40
    payload = [json.dumps({"type": "article", "site": "lfxww", "run": 1, "worker": "bench", "item": {
        "url": f"http://www.lfxww.com/linfen/shizheng/{n}.html", "title": "临汾召开会议", "body": body}},
        ensure_ascii=False).encode() for n in range(items)]
    results = {}
    for way in ("before: LMOVE + LREM per item", "now: Lua take + one DEL"):
        keys = Keys(f"ackbench{len(results)}")
        client.rpush(keys.items, *payload)
        take_s = ack_s = 0.0
        if way.startswith("now"):
            writer = Ingester(client, keys, str(work / "ack.db"), batch_size=batch, idle_timeout=0, min_body_chars=0)
            while True:
                t0 = time.perf_counter()
                raws = writer.take(block=False)
                t1 = time.perf_counter()
                if not raws:
                    break
                pipe = client.pipeline()
                pipe.delete(writer.inflight)
                pipe.execute()
                take_s, ack_s = take_s + t1 - t0, ack_s + time.perf_counter() - t1
            writer.dataset.close()
        else:  # the code before this change, reproduced for comparison
            while True:
                t0 = time.perf_counter()
                raws = []
                while len(raws) < batch:
                    raw = client.lmove(keys.items, keys.processing, "LEFT", "RIGHT")
                    if raw is None:
                        break
                    raws.append(raw)
                t1 = time.perf_counter()
                if not raws:
                    break
                pipe = client.pipeline()
                for raw in raws:
                    pipe.lrem(keys.processing, 1, raw)
                pipe.execute()
                take_s, ack_s = take_s + t1 - t0, ack_s + time.perf_counter() - t1
        left = client.llen(keys.items) + sum(client.llen(k) for k in client.scan_iter(match=f"{keys.processing}*"))
        if left:
            raise SystemExit(f"{way}: {left} items left in Redis")
        results[way] = {"take_s": take_s, "ack_s": ack_s}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--publish", type=int, default=400, help="extra articles on the sample site")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds the portal takes per page")
    parser.add_argument("--concurrency", type=int, default=4, help="CONCURRENT_REQUESTS_PER_DOMAIN per process")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated")
    parser.add_argument("--ack", type=int, default=0, metavar="N",
                        help="only measure the writer taking and acknowledging N queued items, then exit")
    parser.add_argument("--batch-size", type=int, default=200, help="the writer's batch size for --ack")
    args = parser.parse_args()

    counts = [int(n) for n in args.workers.split(",")]
    work = Path(tempfile.mkdtemp(prefix="linfen-dist-bench-"))
    port = free_port()
    redis_proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", str(work)], stdout=subprocess.DEVNULL)
    redis_url = f"redis://127.0.0.1:{port}/0"
    if args.ack:
        try:
            wait_for(lambda: redis_up(redis_url), 10, "redis-server")
            costs = queue_cost(redis_url, args.ack, args.batch_size, work)
        finally:
            redis_proc.terminate()
            redis_proc.wait(10)
        print(f"{args.ack} queued items, batches of {args.batch_size}, {os.cpu_count()} CPU cores")
        print(f"{'':32} {'take s':>8} {'acknowledge s':>14}")
        for way, r in costs.items():
            print(f"{way:32} {r['take_s']:8.3f} {r['ack_s']:14.4f}")
        return
    portal = TimedPortal(args.publish, args.delay)
    results = {}
    try:
        with DemoServer(portal=portal) as server:
            time.sleep(0.3)
            results["local crawl (no Redis)"] = local_crawl(server, portal, work, args.concurrency)
            for n in counts:
                results[f"{n} worker{'s' if n > 1 else ''} + writer"] = distributed_crawl(
                    server, portal, work, redis_url, n, args.concurrency)
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)
    print(f"sample site: {args.publish} extra articles, {args.delay:g} s per page, concurrency "
          f"{args.concurrency} per process, {os.cpu_count()} CPU cores; logs in {work}")
    print(f"{'':24} {'pages':>6} {'crawl s':>8} {'pages/s':>8} {'until stored s':>15}  pages per worker")
    for name, r in results.items():
        print(f"{name:24} {r['pages']:6.0f} {r['crawl_s']:8.2f} {r['pages'] / r['crawl_s']:8.1f} "
              f"{r['stored_s']:15.2f}  {r.get('split', '')}")
    base = results.get("1 worker + writer")
    for name, r in results.items():
        if base is not None and r is not base and name.endswith("+ writer"):
            print(f"{name}: {(r['pages'] / r['crawl_s']) / (base['pages'] / base['crawl_s']):.2f}× the pages/s of 1 "
                  f"worker, on {os.cpu_count()} cores shared by the workers, the writer, Redis and the portal")

if __name__ == "__main__":
    main()
