"""A dataset at scale (issue 16): write cost per 10k slice, file size, search, stats, export, plan load, startup.

    .venv/bin/python benchmarks/scale.py --articles 10000                 # dataset kept in /tmp, reused
    .venv/bin/python benchmarks/scale.py --articles 100000 --db /tmp/big.db

The dataset is built through the real write path, ``Dataset.write_batch`` in batches of
``LINFEN_STORE_BATCH_SIZE`` as the crawl's writer does (upsert, versions, full-text index, near-duplicate
linking), from realistic articles: sentences of the dev corpus bodies (``../shared/corpus``) strung into
800–3,000-character bodies, 20 sites, 2 % near-duplicates of an earlier article (a new lead, a paragraph
dropped). Articles are a pure function of their number, so a second run with a larger ``--articles`` adds only
the missing ones to the same file, and runs of the same size reuse it as it is.

Output: one line per slice of ``--slice`` articles (write cost per article in that slice), then a table
(size and its breakdown from ``dbstat``, search p50/p95 warm and cold, ``linfen stats``, ``linfen export``
beside ``sqlite3 -csv``, plan load for a site of ``--plan-urls`` known URLs, ``linfen search`` process
startup), and last the line

    scale: n=… bytes_per_article=… size_ratio=… write_growth=… search_p95_ms=… startup_ms=…

``size_ratio`` is the file's bytes over the UTF-8 bytes of the stored titles and bodies; ``write_growth`` the
last slice's CPU cost per article over the first slice's (wall times are printed too, but on a shared machine
they measure its load). Cold searches drop the page cache through
/proc/sys/vm/drop_caches, which needs root; without it the table says so and reports the warm figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from linfen_crawler import settings  # noqa: E402 - after the path set-up
from linfen_crawler.storage import _CJK_RUN, Dataset, fts_text  # noqa: E402

CORPUS = Path(os.environ.get("LINFEN_SHARED") or REPO.parent / "shared") / "corpus"
SITES = 20
DUPLICATE_EVERY = 50  # one article in 50 is a near-duplicate of an earlier one: 2 %
WORDS = ("临汾", "中国", "发展", "尧都区", "乡村振兴", "经济", "2024", "学校")  # searched: 2-character and longer
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]")


def sentences(corpus: Path = CORPUS) -> list[str]:
    """Every sentence (ending in 。！？) of 8 characters or more in the corpus's gold bodies, in file order."""
    out: list[str] = []
    for label in sorted(corpus.rglob("*.json")):
        try:
            body = json.loads(label.read_text("utf-8")).get("body") or ""
        except (ValueError, UnicodeDecodeError, AttributeError):
            continue
        out.extend(s.strip() for s in _SENTENCE.findall(body) if len(s.strip()) >= 8)
    if len(out) < 100:
        raise SystemExit(f"too few sentences in {corpus} ({len(out)}); is ../shared/corpus there?")
    return out


def body_of(i: int, pool: list[str]) -> str:
    """Article ``i``'s body: paragraphs of 2–5 sentences, 800–3,000 characters."""
    rng = random.Random(i * 7919 + 1)
    target = rng.randint(800, 3000)
    paragraphs, size = [], 0
    while size < target:
        para = "".join(pool[rng.randrange(len(pool))] for _ in range(rng.randint(2, 5)))
        paragraphs.append(para)
        size += len(para) + 1
    return "\n".join(paragraphs)[:3000]


def article(i: int, pool: list[str]) -> dict[str, Any]:
    """Article number ``i`` (deterministic); every 50th is a near-duplicate of an article up to 500 back."""
    rng = random.Random(i)
    site = f"site{i % SITES:02d}"
    if i % DUPLICATE_EVERY == DUPLICATE_EVERY - 1 and i > 500:
        original = i - rng.randint(1, 500)
        paragraphs = body_of(original, pool).split("\n")
        if len(paragraphs) > 3:
            del paragraphs[rng.randrange(1, len(paragraphs))]
        body = "本报讯 " + "\n".join(paragraphs)
        title = pool[(original * 31) % len(pool)][:30]
    else:
        body = body_of(i, pool)
        title = pool[(i * 31) % len(pool)][:30]
    day = 1 + i // 400  # about 400 articles a day over all sites, newest last
    year, rest = 2015 + day // 336, day % 336
    published = f"{year}-{1 + rest // 28:02d}-{1 + rest % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}:00+08:00"
    return {"url": f"http://www.{site}.gov.cn/news/{i}.html", "site": site, "site_name": f"{site}网",
            "section": ("要闻", "本地", "通知公告", "政务")[i % 4], "title": title, "published_at": published,
            "published_text": published[:16].replace("T", " "), "source": ("临汾日报", "山西日报", None)[i % 3],
            "authors": ["王长波"] if i % 2 else [], "editors": ["付基恒"], "body": body, "images": [],
            "extractor": {"body": "scale"}}


def build(db: Path, n: int, slice_size: int, batch: int, corpus: Path = CORPUS) -> list[float]:
    """Add articles up to ``n`` to ``db``; returns the write cost (CPU ms per article) of each slice written.

    CPU time, not wall time: on a shared machine the wall time of a slice mostly measures the other
    programs; both are printed.
    """
    pool = sentences(corpus)
    costs: list[float] = []
    with Dataset(db) as ds:
        have = ds.count("articles")
        run_id = ds.start_run("scale")
        start = have
        while start < n:
            end = min(n, (start // slice_size + 1) * slice_size)
            rows = [article(i, pool) for i in range(start, end)]  # generated before the clock starts
            t0, c0 = time.perf_counter(), time.process_time()
            for k in range(0, len(rows), batch):
                ds.write_batch(rows[k:k + batch], [], [], run_id)
            wall = (time.perf_counter() - t0) * 1000 / len(rows)
            cost = (time.process_time() - c0) * 1000 / len(rows)
            costs.append(cost)
            print(f"slice {start:>9,}–{end:<9,} {cost:6.3f} ms/article CPU ({wall:.3f} ms wall)", flush=True)
            start = end
        ds.finish_run(run_id, "finished", {"articles_new": n - have}, {})
        ds.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return costs


def breakdown(db: Path) -> tuple[list[tuple[str, int]], int]:
    """Bytes per table (its indexes and FTS shadow tables folded in) from dbstat; and the free pages' bytes."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        indexes = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").fetchall())
        free = conn.execute("PRAGMA freelist_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    sizes: dict[str, int] = {}
    for name, size in rows:
        owner = indexes.get(name, name)
        for fts in ("articles_fts", "articles_title_fts"):  # an FTS5 table and its shadow tables
            owner = fts if owner.startswith(fts) else owner
        owner = "sqlite_schema" if owner.startswith("sqlite_") else owner
        sizes[owner] = sizes.get(owner, 0) + size
    return sorted(sizes.items(), key=lambda kv: -kv[1]), free


def text_bytes(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT sum(coalesce(length(CAST(title AS BLOB)), 0) + "
                                "coalesce(length(CAST(body AS BLOB)), 0)) FROM articles").fetchone()[0] or 0)
    finally:
        conn.close()


def drop_caches() -> bool:
    """Drop the page cache (root only); False when this process may not."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError:
        return False
    return True


CPU_MS: list[float] = []  # the CPU milliseconds of each timed search (wall time measures a shared machine's load)


def timed_searches(db: Path, words: tuple[str, ...], rounds: int) -> list[float]:
    """Wall milliseconds of ``Dataset.search(word, limit=20)`` (the query part of ``linfen search``), on a
    fresh connection each time as a ``linfen search`` process has; their CPU milliseconds go to CPU_MS."""
    out = []
    for _ in range(rounds):
        for word in words:
            t0, c0 = time.perf_counter(), time.process_time()
            with Dataset(db, create=False) as ds:
                ds.search(word, limit=20)
            out.append((time.perf_counter() - t0) * 1000)
            CPU_MS.append((time.process_time() - c0) * 1000)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# The commands run as on a user's machine, their modules' bytecode cached (in a temporary folder): where
# PYTHONDONTWRITEBYTECODE=1 is set and no cache was written, every start compiles every module (`linfen
# search` took 104 instead of 70 ms at a million articles)
_PYCACHE = tempfile.TemporaryDirectory(prefix="linfen-scale-pycache-")
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": _PYCACHE.name}


def wall_ms(cmd: list[str], **kw: Any) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_ENV, **kw)
    return (time.perf_counter() - t0) * 1000


def linfen(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("linfen")
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "linfen_crawler.cli", *args]


_PLAN_PROBE = """
import resource, sys, time
from linfen_crawler.scheduled.plan import CrawlPlan
from linfen_crawler.storage import Dataset
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()
with Dataset(sys.argv[1], create=False) as ds:  # opened (and migrated) before the clock starts
    before = rss()
    t0 = time.perf_counter()
    plan = CrawlPlan.load(ds, "plansite")
    ms = (time.perf_counter() - t0) * 1000
print(len(plan.known), round(ms, 1), (rss() - before) // 2**20)
"""


def plan_load(work: Path, urls: int) -> tuple[int, float, int]:
    """(known URLs, ms, MB of resident memory the plan adds) of ``CrawlPlan.load`` for a site of ``urls``
    stored articles, in a process of its own."""
    db = work / f"plan-{urls}.db"
    if not db.exists():
        with Dataset(db) as ds, ds.transaction() as cur:  # URLs only: the plan reads urls, not the rest of a row
            cur.executemany("INSERT INTO articles (url, site, title) VALUES (?, 'plansite', '')",
                            ((f"http://www.plansite.gov.cn/news/2024/{i:08d}.html",) for i in range(urls)))
    out = subprocess.run([sys.executable, "-c", _PLAN_PROBE, str(db)], check=True, capture_output=True, text=True,
                         cwd=REPO).stdout.split()
    return int(out[0]), float(out[1]), int(out[2])


def measure(db: Path, costs: list[float], n: int, plan_urls: int, rounds: int, cold_cache: bool = True) -> None:
    size = db.stat().st_size
    parts, free = breakdown(db)
    text = text_bytes(db)
    print(f"\nfile {size / 1e6:,.1f} MB for {n:,} articles ({size / n:,.0f} bytes each), title+body text "
          f"{text / 1e6:,.1f} MB, free pages {free / 1e6:,.1f} MB")
    for name, part in parts:
        print(f"  {name:<22} {part / 1e6:10.1f} MB {part / size:6.1%}")

    timed_searches(db, WORDS, 1)  # warm the cache
    CPU_MS.clear()
    warm = timed_searches(db, WORDS, rounds)
    cpu = list(CPU_MS)
    print(f"search --limit 20 warm: p50 {percentile(warm, .5):.1f} ms, p95 {percentile(warm, .95):.1f} ms "
          f"(CPU: p50 {percentile(cpu, .5):.1f} ms, p95 {percentile(cpu, .95):.1f} ms; {len(warm)} queries: "
          f"{', '.join(WORDS)})")
    per_word = {w: statistics.median(warm[i::len(WORDS)]) for i, w in enumerate(WORDS)}
    print("  median per word: " + ", ".join(f"{w} {ms:.1f}" for w, ms in per_word.items()))
    cold: list[float] = []
    for word in WORDS[:4]:
        if not cold_cache or not drop_caches():
            break
        cold += timed_searches(db, (word,), 1)
    if cold:
        print(f"search --limit 20 cold: p50 {percentile(cold, .5):.1f} ms, p95 {percentile(cold, .95):.1f} ms "
              f"(page cache dropped before each of {', '.join(WORDS[:4])})")
    else:
        print("search cold: not measured (" + ("--no-cold" if not cold_cache else
              "dropping the page cache needs root: /proc/sys/vm/drop_caches") + ")")

    startup = min(wall_ms(linfen("search", "临汾", "--limit", "20", "--db", str(db))) for _ in range(3))
    print(f"linfen search 临汾 --limit 20 (whole process, best of 3): {startup:.0f} ms")
    stats = min(wall_ms(linfen("stats", "--db", str(db))) for _ in range(2))
    print(f"linfen stats: {stats:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        # both read the file warm: the cold searches above dropped the page cache, and whichever ran first
        # read a large file from the disk (linfen's 0.44x at a million articles was that)
        with open(db, "rb") as fh:
            while fh.read(1 << 24):
                pass
        ours = wall_ms(linfen("export", "--db", str(db), "--format", "csv", "--no-meta", "-o", f"{tmp}/a.csv"))
        theirs = -1.0
        if shutil.which("sqlite3"):
            with open(f"{tmp}/b.csv", "wb") as fh:
                t0 = time.perf_counter()
                subprocess.run(["sqlite3", "-csv", "-header", str(db), "SELECT * FROM articles"], stdout=fh,
                               check=True)
                theirs = (time.perf_counter() - t0) * 1000
    print(f"linfen export csv: {ours:.0f} ms; sqlite3 -csv: {theirs:.0f} ms"
          + (f" (linfen at {theirs / ours:.2f}x sqlite3's speed)" if theirs > 0 else " (no sqlite3 on PATH)"))
    known, plan_ms, plan_mb = plan_load(db.parent, plan_urls)
    print(f"plan load, a site of {known:,} known URLs: {plan_ms:.0f} ms, +{plan_mb} MB resident")
    growth = costs[-1] / costs[0] if len(costs) > 1 else 1.0
    print(f"scale: n={n} bytes_per_article={size // max(n, 1)} size_ratio={size / max(text, 1):.2f} "
          f"write_growth={growth:.2f} search_p95_ms={percentile(warm, .95):.1f} startup_ms={startup:.0f}")


def char_text(text: str | None) -> str:
    """Text for the per-character index of schemas 5 to 9: a space around every CJK character."""
    parts = _CJK_RUN.split(text or "")
    for i in range(1, len(parts), 2):
        parts[i] = " " + "  ".join(parts[i]) + " "
    return "".join(parts)


TOKENIZATIONS = {  # name -> (text transform, FTS5 options, MATCH expression for a 2-character word)
    "char detail=full (schema 9)": (char_text, "", lambda w: '"' + " ".join(w) + '"'),
    "bigram detail=full": (fts_text, "", lambda w: f'"{w}"'),
    "bigram detail=column": (fts_text, ", detail=column", lambda w: f'"{w}"'),
    "bigram detail=none (schema 10)": (fts_text, ", detail=none", lambda w: f'"{w}"'),
}


def compare_tokens(db: Path, limit: int, rounds: int) -> None:
    """Index the first ``limit`` articles of ``db`` four ways in a scratch file: size of each index, and
    warm ms of counting the hits of 2-character words and of ranking the newest 2,000 with bm25."""
    src = sqlite3.connect(db)
    rows = src.execute("SELECT rowid, title, body FROM articles ORDER BY rowid LIMIT ?", (limit,)).fetchall()
    src.close()
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "tokens.db")
        print(f"\ntokenizations over {len(rows):,} articles (index MB; warm ms: hits, then bm25 of the newest 2,000)")
        for k, (name, (transform, options, expr)) in enumerate(TOKENIZATIONS.items()):
            table = f"fts{k}"
            conn.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(title, body, content=''{options}, "
                         "tokenize='unicode61 remove_diacritics 0')")
            t0 = time.perf_counter()
            conn.executemany(f"INSERT INTO {table} (rowid, title, body) VALUES (?, ?, ?)",
                             [(r, transform(t), transform(b)) for r, t, b in rows])
            conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
            conn.commit()
            build_ms = (time.perf_counter() - t0) * 1000 / max(len(rows), 1)
            size = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?", (table + "%",)).fetchone()[0]
            figures = []
            for word in ("临汾", "中国", "发展"):
                q = expr(word)
                count_ms, rank_ms = [], []
                for _ in range(rounds + 1):
                    t0 = time.perf_counter()
                    hits = conn.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (q,)).fetchone()[0]
                    count_ms.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    conn.execute(f"SELECT rowid FROM (SELECT rowid, bm25({table}) AS r FROM {table} WHERE {table} "
                                 "MATCH ? ORDER BY rowid DESC LIMIT 2000) ORDER BY r LIMIT 20", (q,)).fetchall()
                    rank_ms.append((time.perf_counter() - t0) * 1000)
                figures.append(f"{word} {hits:,} hits {min(count_ms[1:]):.1f}/{min(rank_ms[1:]):.1f}")
            print(f"  {name:<26} {size / 1e6:7.1f} MB, write {build_ms:.3f} ms/article; " + "; ".join(figures))
        conn.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--db", type=Path, help="dataset file (default /tmp/linfen-scale.db), reused")
    parser.add_argument("--slice", type=int, default=10_000, help="articles per write-cost line")
    parser.add_argument("--batch", type=int, default=settings.LINFEN_STORE_BATCH_SIZE)
    parser.add_argument("--plan-urls", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds over the search words")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of gold labels (*.json with a body)")
    parser.add_argument("--no-cold", action="store_true", help="do not drop the page cache (cold searches)")
    parser.add_argument("--tokens", type=int, default=0, metavar="N",
                        help="only compare tokenizations (index size, 2-character words) over N articles of --db")
    args = parser.parse_args(argv)
    if args.tokens:
        compare_tokens(args.db or Path(tempfile.gettempdir()) / "linfen-scale.db", args.tokens, args.rounds)
        return
    db = args.db or Path(tempfile.gettempdir()) / "linfen-scale.db"
    if db.exists():
        with Dataset(db, create=False) as ds:
            have = ds.count("articles")
        if have > args.articles:
            raise SystemExit(f"{db} holds {have} articles, more than --articles {args.articles}; use another --db")
    t0 = time.perf_counter()
    costs = build(db, args.articles, args.slice, args.batch, args.corpus)
    if not costs:
        print(f"reusing {db} ({args.articles:,} articles): no write-cost lines; build a new file to measure them")
    print(f"built in {time.perf_counter() - t0:.0f} s; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    measure(db, costs or [1.0], args.articles, args.plan_urls, args.rounds, cold_cache=not args.no_cold)


if __name__ == "__main__":
    main()
