"""Export throughput and memory: `linfen export` (CSV, JSONL, Parquet) beside `sqlite3 -csv` on the same query.

    .venv/bin/python benchmarks/export.py                 # 1,000,000 rows (dataset cached in /tmp)
    .venv/bin/python benchmarks/export.py --rows 100000 --formats csv

The dataset is generated once (a schema made by storage.Dataset, rows inserted in bulk here: the benchmark
measures the export, not the crawler's upsert path; the full-text index and dedupe keys are left empty) with
bodies of about 600 Chinese characters, two authors, one editor. Each export runs as its own process;
peak RSS is that process's ru_maxrss, so "constant memory" shows as the same figure at 100k and 1M rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linfen_crawler.storage import ARTICLE_COLUMNS, Dataset  # noqa: E402 - after the path set-up

WORDS = ("临汾", "市委", "召开", "会议", "推进", "转型", "发展", "尧都区", "乡村振兴", "项目", "建设", "群众", "工作",
         "全面", "落实", "经济", "社会", "高质量", "生态", "保护", "汾河", "文化", "旅游", "教育", "医疗")
# the columns sqlite3 exports: the same default columns as `linfen export` (lists stay JSON there)
COLUMNS = (*ARTICLE_COLUMNS, "duplicate_of")


def generate(path: Path, n: int) -> None:
    rng = random.Random(6)
    if path.exists():
        path.unlink()
    Dataset(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    cols = ", ".join(ARTICLE_COLUMNS)
    marks = ", ".join("?" for _ in ARTICLE_COLUMNS)
    paragraphs = ["".join(rng.choice(WORDS) for _ in range(60)) + "。" for _ in range(200)]
    batch = []
    t0 = time.perf_counter()
    for i in range(n):
        day = f"20{10 + i % 15:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        body = "\n".join(paragraphs[(i * 7 + k) % 200] for k in range(4))
        rec = {
            "url": f"http://www.lfxww.com/linfen/shizheng/{100000 + i}.html", "site": "lfxww",
            "site_name": "临汾新闻网", "section": "时政", "title": f"我市召开第{i}次转型发展推进会",
            "published_at": f"{day}T09:{i % 60:02d}:00+08:00", "published_text": f"{day} 09:{i % 60:02d}",
            "source": ("临汾日报", "临汾新闻网", "山西日报")[i % 3], "authors": json.dumps(["王长波", "郭小东"],
                                                                                     ensure_ascii=False),
            "editors": json.dumps(["付基恒"], ensure_ascii=False), "body": body, "images": "[]",
            "content_hash": f"{i:032x}", "first_seen_at": "2024-06-01T00:00:00+00:00",
            "crawled_at": "2024-06-01T00:00:00+00:00", "run_id": 1 + i // 100000, "extractor": "{}",
        }
        batch.append([rec[c] for c in ARTICLE_COLUMNS])
        if len(batch) == 20000:
            conn.executemany(f"INSERT INTO articles ({cols}) VALUES ({marks})", batch)
            batch = []
    conn.executemany(f"INSERT INTO articles ({cols}) VALUES ({marks})", batch)
    conn.commit()
    conn.close()
    print(f"generated {n:,} rows in {time.perf_counter() - t0:.0f} s: {path} "
          f"({path.stat().st_size / 2**20:.0f} MiB)", flush=True)


def measure(cmd: list[str], stdout: Any = subprocess.DEVNULL) -> tuple[float, float]:
    """Run ``cmd``; (seconds, peak RSS in MiB of that program).

    The peak is the kernel's high-water mark VmHWM of the program's own address space, read from /proc while
    it runs (it only grows). ru_maxrss would not do: Linux carries a parent's RSS into a forked child's.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    status = Path(f"/proc/{proc.pid}/status")
    peak_kib = 0
    while proc.poll() is None:
        try:
            line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
            peak_kib = max(peak_kib, int(line.split()[1]))
        except (OSError, StopIteration, ValueError):
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:6])} … failed with exit code {proc.returncode}")
    return seconds, peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default=None, help="dataset to (re)use; default /tmp/linfen-bench-ROWS.db")
    parser.add_argument("--formats", default="csv,jsonl,parquet")
    parser.add_argument("--out", default="/tmp/linfen-bench-export")
    args = parser.parse_args()
    db = Path(args.db or f"/tmp/linfen-bench-{args.rows}.db")
    if not db.exists() or sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone()[0] != args.rows:
        generate(db, args.rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    sql = f"SELECT {', '.join(COLUMNS)} FROM articles ORDER BY site, published_at, url"
    if shutil.which("sqlite3"):
        with open(out / "sqlite3.csv", "w") as fh:
            secs, rss = measure(["sqlite3", "-csv", "-header", str(db), sql], stdout=fh)
        results.append(("sqlite3 -csv (same query, lists as JSON)", secs, rss, out / "sqlite3.csv"))
    else:
        print("sqlite3 not installed (apt-get install sqlite3): no baseline", file=sys.stderr)
    linfen = [sys.executable, "-m", "linfen_crawler.cli", "export", "--db", str(db), "--force", "--no-meta"]
    secs, rss = measure([*linfen, "--until", "1900-01-01", "-o", str(out / "empty.csv")])
    results.append(("linfen export of 0 rows (start-up baseline)", secs, rss, out / "empty.csv"))
    for fmt in args.formats.split(","):
        target = out / f"linfen.{fmt}"
        secs, rss = measure([*linfen, "--format", fmt, "-o", str(target)])
        results.append((f"linfen export --format {fmt}", secs, rss, target))
    print(f"\n{args.rows:,} rows, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"SQLite {sqlite3.sqlite_version}")
    print(f"{'export':45} {'seconds':>8} {'rows/s':>10} {'peak RSS MiB':>13} {'file MiB':>9}")
    for name, secs, rss, target in results:
        rate = f"{args.rows / secs:10,.0f}" if "0 rows" not in name else f"{'-':>10}"
        print(f"{name:45} {secs:8.1f} {rate} {rss:13.0f} {target.stat().st_size / 2**20:9.0f}")


if __name__ == "__main__":
    main()
