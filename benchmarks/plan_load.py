#!/usr/bin/env python3
"""How long an incremental crawl's plan takes to load, and how much memory it needs (issue 16).

Usage::

    python benchmarks/plan_load.py                       # 200,000 known URLs of one site among 4 sites
    python benchmarks/plan_load.py --urls 20000 --sites 1 --body-chars 300   # a quick look

Builds a dataset in a temporary folder (removed at the end; ``--keep`` to keep it): the schema made by
``storage.Dataset``, then rows inserted with plain SQL, ``--urls`` articles of the measured site and as
many of each of the other ``--sites - 1``, with Chinese bodies of about ``--body-chars`` characters
(the size of a row decides how many pages SQLite reads to find a site's URLs), plus one reject per 20
articles. Then, in a fresh process each time, ``CrawlPlan.load`` runs ``--repeat`` times: the first
right after the build (the file is in the page cache, as on a machine that just crawled); prints seconds,
Python's peak allocation during the load (tracemalloc) and the process's peak RSS before and after it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linfen_crawler.storage import ARTICLE_COLUMNS, Dataset  # noqa: E402 - after the path set-up

CHARS = "临汾市委召开会议推进转型发展尧都区乡村振兴项目建设群众工作全面落实经济社会高质量生态保护汾河文化旅游教育医疗"

# run in a fresh interpreter: the load alone, as a crawl process does it when its spider opens
MEASURE = """
import json, resource, sys, time, tracemalloc
from linfen_crawler.scheduled.plan import CrawlPlan
from linfen_crawler.storage import Dataset
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
t0 = time.perf_counter()
with Dataset(sys.argv[1], create=False) as ds:
    plan = CrawlPlan.load(ds, "site00")
seconds = time.perf_counter() - t0
held, peak = tracemalloc.get_traced_memory()
print(json.dumps({"seconds": seconds, "known": len(plan.known), "held": held, "peak": peak,
                  "rss_before": rss_before, "rss_after": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def build(path: Path, urls: int, sites: int, body_chars: int) -> None:
    rng = random.Random(16)
    Dataset(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    paragraphs = ["".join(rng.choice(CHARS) for _ in range(100)) + "。" for _ in range(200)]
    cols = ", ".join(ARTICLE_COLUMNS)
    marks = ", ".join("?" for _ in ARTICLE_COLUMNS)
    run = conn.execute("INSERT INTO crawl_runs (site, started_at, finished_at, status) VALUES "
                       "('site00', '2026-01-01T00:00:00+00:00', '2026-01-01T01:00:00+00:00', 'finished')").lastrowid
    batch = []
    for i in range(urls * sites):  # the sites interleaved, as crawls of several sites store them
        site = f"site{i % sites:02d}"
        body = "\n".join(paragraphs[(i * 7 + k) % 200] for k in range(max(1, body_chars // 100)))
        rec = {"url": f"http://www.{site}.test/news/{i}.html", "site": site, "title": f"第{i}次会议", "body": body,
               "published_at": f"20{12 + i % 14}-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00+08:00",
               "authors": json.dumps(["王长波"], ensure_ascii=False), "editors": "[]", "images": "[]",
               "run_id": run}
        batch.append([rec.get(c) for c in ARTICLE_COLUMNS])
        if len(batch) == 10_000:
            conn.executemany(f"INSERT INTO articles ({cols}) VALUES ({marks})", batch)
            batch = []
    conn.executemany(f"INSERT INTO articles ({cols}) VALUES ({marks})", batch)
    conn.executemany("INSERT INTO rejects (run_id, url, reason, seen_at) VALUES (?, ?, 'no_body', '2026-01-01')",
                     [(run, f"http://www.site00.test/tp/{i}.html") for i in range(urls // 20)])
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=200_000, help="known article URLs of the measured site")
    parser.add_argument("--sites", type=int, default=4, help="sites in the dataset, each with --urls articles")
    parser.add_argument("--body-chars", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the dataset (its path is printed)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="linfen-plan-bench-"))
    db = folder / "news.db"
    t0 = time.perf_counter()
    build(db, args.urls, args.sites, args.body_chars)
    print(f"dataset: {args.urls * args.sites:,} articles in {args.sites} sites, {db.stat().st_size / 2**20:,.0f} MiB, "
          f"built in {time.perf_counter() - t0:.0f} s", flush=True)
    try:
        for i in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", MEASURE, str(db)], capture_output=True, text=True,
                                 check=True, cwd=REPO).stdout
            r = json.loads(out)
            print(f"load {i + 1}: {r['known']:,} known URLs in {r['seconds']:.2f} s; Python peak "
                  f"{r['peak'] / 2**20:.0f} MiB, holds {r['held'] / 2**20:.0f} MiB; process peak RSS "
                  f"{r['rss_before'] / 1024:.0f} MiB before, {r['rss_after'] / 1024:.0f} MiB after "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        if args.keep:
            print(f"kept {db}")
        else:
            for f in folder.iterdir():
                f.unlink()
            folder.rmdir()


if __name__ == "__main__":
    main()
