"""Storage safety (issue 5): a writer killed with SIGKILL at random points leaves an intact dataset that
lost no committed row; readers read while a writer writes (WAL); old datasets upgrade, newer ones are
refused, non-datasets are left untouched."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REPO

from linfen_crawler.storage import SCHEMA_VERSION, Dataset, StorageError

BATCH = 40
# A writer like the Store pipeline: batches of articles (and rejects) upserted through storage.Dataset, one
# transaction each; it prints "committed N" only after batch N's transaction returned. It resumes after the
# batches already in the dataset, as the next crawl fetches again what a killed one had in flight.
WRITER = textwrap.dedent(f"""
    import sys
    from linfen_crawler.storage import Dataset
    ds = Dataset(sys.argv[1])
    run = ds.start_run("killtest")
    k = ds.count("articles") // {BATCH}
    body = "临汾市推进重点项目建设，项目建设呈现加速推进的良好态势。" * 40
    while True:
        rows = [{{"url": f"http://www.lfxww.com/k/{{k}}/{{i}}.html", "site": "killtest", "title": f"第{{k}}批第{{i}}篇",
                 "body": f"{{k}}-{{i}} " + body, "authors": ["王小明"], "images": []}} for i in range({BATCH})]
        ds.upsert_articles(rows, run)
        ds.add_rejects([(f"http://www.lfxww.com/k/{{k}}/bad.html", "no_body", None)], run)
        print(f"committed {{k}}", flush=True)
        k += 1
""")


def start_writer(db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def batches(db: Path) -> dict[int, int]:
    conn = sqlite3.connect(db)
    try:
        got: dict[int, int] = {}
        for (url,) in conn.execute("SELECT url FROM articles"):
            k = int(url.split("/k/")[1].split("/")[0])
            got[k] = got.get(k, 0) + 1
        return got
    finally:
        conn.close()


def check_intact(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == n  # index in step
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
    finally:
        conn.close()


def test_sigkill_at_random_points_loses_no_committed_row(tmp_path):
    """Kill points are chosen by the writer's progress, not by the clock: every second writer is killed only
    after it has committed a batch (then at a random moment: mid-batch or between batches), the others at a
    random moment from their start (startup, migration, first batch). What must hold is the same wherever the
    kill lands, so the test does not depend on how fast a busy machine runs the writer."""
    db = tmp_path / "news.db"
    rng = random.Random(5)
    committed: set[int] = set()
    kills = 14
    for i in range(kills):
        proc = start_writer(db)
        assert proc.stdout is not None
        seen = []
        if i % 2 == 0:  # wait for progress: at least one more committed batch before the kill
            seen.append(proc.stdout.readline())
            assert seen[0].startswith("committed"), proc.communicate()[1]
        time.sleep(rng.uniform(0.0, 0.3))  # where the kill lands varies; the assertions do not depend on it
        proc.send_signal(signal.SIGKILL)
        out, _err = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        committed |= {int(line.split()[1]) for line in [*seen, *out.splitlines()] if line.startswith("committed")}
        if not db.exists():
            assert not committed
            continue
        if schema_version(db) < SCHEMA_VERSION:  # killed while the first run created the schema
            assert not committed  # no batch is written before the schema is complete
            continue
        check_intact(db)
        got = batches(db)
        assert all(got.get(k) == BATCH for k in committed), "a committed batch lost rows"
        assert all(n == BATCH for n in got.values()), "a batch was half written"
    assert len(committed) >= kills // 2  # every second writer committed at least one batch of its own
    # the next run marks the killed runs interrupted and carries on
    with Dataset(db) as ds:
        ds.start_run("killtest")
        statuses = [r["status"] for r in ds.last_runs(100, site="killtest")]
    assert statuses[0] == "running" and set(statuses[1:]) == {"interrupted"}


def schema_version(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_readers_read_while_a_writer_writes(tmp_path):
    db = tmp_path / "news.db"
    Dataset(db).close()
    proc = start_writer(db)
    try:
        seen: list[int] = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.5)
            try:
                assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                conn.execute("BEGIN")  # a read transaction sees one snapshot while commits go on
                first = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
                time.sleep(0.05)
                assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == first
                conn.execute("COMMIT")
                seen.append(first)
            finally:
                conn.close()
    finally:
        proc.kill()
        proc.communicate()
    assert seen == sorted(seen) and seen[-1] > seen[0]  # counts only grow, and the reader saw them grow
    assert all(n % BATCH == 0 for n in seen)  # never a half-written batch


# -- schema versions ------------------------------------------------------------------------------------
# schema version 1 exactly as released (copied, not imported: _MIGRATIONS may change, old files do not)
V1 = [
    """CREATE TABLE articles (
        url TEXT PRIMARY KEY, site TEXT NOT NULL, site_name TEXT, section TEXT, title TEXT,
        published_at TEXT, published_text TEXT, source TEXT, authors TEXT, editors TEXT, body TEXT,
        images TEXT, content_hash TEXT, first_seen_at TEXT, crawled_at TEXT, run_id INTEGER,
        extractor TEXT)""",
    "CREATE INDEX articles_site_published ON articles(site, published_at)",
    """CREATE TABLE article_versions (
        id INTEGER PRIMARY KEY, url TEXT NOT NULL, title TEXT, published_at TEXT, source TEXT,
        authors TEXT, editors TEXT, body TEXT, content_hash TEXT, crawled_at TEXT, run_id INTEGER,
        replaced_at TEXT)""",
    "CREATE INDEX article_versions_url ON article_versions(url)",
    """CREATE TABLE crawl_runs (
        id INTEGER PRIMARY KEY, site TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
        status TEXT NOT NULL, pages INTEGER NOT NULL DEFAULT 0, articles_new INTEGER NOT NULL DEFAULT 0,
        articles_updated INTEGER NOT NULL DEFAULT 0, rejects INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0, stats TEXT, pid INTEGER, host TEXT)""",
    "CREATE INDEX crawl_runs_site ON crawl_runs(site, id)",
    """CREATE TABLE rejects (
        id INTEGER PRIMARY KEY, run_id INTEGER, url TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT,
        seen_at TEXT NOT NULL)""",
    "CREATE INDEX rejects_run ON rejects(run_id)",
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, tokenize='unicode61 remove_diacritics 0')",
]


def write_v1(db: Path) -> None:
    conn = sqlite3.connect(db)
    for sql in V1:
        conn.execute(sql)
    conn.execute("INSERT INTO crawl_runs (id, site, started_at, finished_at, status, pages, articles_new) "
                 "VALUES (1, 'lfxww', '2024-03-15T00:00:00+00:00', '2024-03-15T00:10:00+00:00', 'finished', 3, 2)")
    for i, title in enumerate(("临汾召开全市重点项目推进会", "尧都区春耕生产有序推进"), 1):
        conn.execute("INSERT INTO articles (url, site, site_name, title, published_at, body, authors, editors, "
                     "images, content_hash, first_seen_at, crawled_at, run_id, extractor) VALUES "
                     "(?, 'lfxww', '临汾新闻网', ?, '2024-03-15T09:00:00+08:00', ?, '[\"王长波\"]', '[]', '[]', ?, "
                     "'2024-03-15T00:05:00+00:00', '2024-03-15T00:05:00+00:00', 1, '{}')",
                     (f"http://www.lfxww.com/linfen/shizheng/{i}.html", title, title + "，正文。", f"h{i}"))
        conn.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                     (i, " ".join(title), " ".join(title + "，正文。")))
    conn.execute("INSERT INTO rejects (run_id, url, reason, seen_at) VALUES (1, 'http://www.lfxww.com/x.html', "
                 "'no_body', '2024-03-15T00:06:00+00:00')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_an_old_dataset_is_upgraded_without_loss(tmp_path):
    db = tmp_path / "v1.db"
    write_v1(db)
    before = {t: sqlite3.connect(db).execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
              for t in ("crawl_runs", "rejects")}
    with Dataset(db) as ds:
        assert ds.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert ds.count("articles") == 2
        assert [h["title"] for h in ds.search("临汾")] == ["临汾召开全市重点项目推进会"]
        old = {r["url"]: r for r in ds.iter_articles(columns=("url", "title", "authors", "first_seen_at"))}
        assert old["http://www.lfxww.com/linfen/shizheng/1.html"]["authors"] == ["王长波"]
        ds.upsert_articles([{"url": "http://www.lfxww.com/linfen/shizheng/3.html", "site": "lfxww",
                             "title": "新文章", "body": "升级之后写入的新文章正文。"}], None)
        assert ds.count("articles") == 3
    conn = sqlite3.connect(db)
    for table, rows_before in before.items():  # old rows keep every old column's value
        width = len(rows_before[0])
        assert [r[:width] for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")] == rows_before
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_newer_dataset_is_refused_and_left_alone(tmp_path):
    db = tmp_path / "new.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = digest(db)
    with pytest.raises(StorageError, match="newer than this linfen-crawler knows"):
        Dataset(db)
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]


@pytest.mark.parametrize("content", [b"this is a CSV, not a dataset\n" * 100, os.urandom(4096),
                                     b"SQLite format 3\x00" + b"\xff" * 2000])
def test_a_file_that_is_no_dataset_is_refused_and_left_alone(tmp_path, content):
    db = tmp_path / "notes.db"
    db.write_bytes(content)
    with pytest.raises(StorageError, match="not a linfen dataset"):
        Dataset(db)
    assert db.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_an_sqlite_file_of_another_program_is_refused(tmp_path):
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE customers (name)")
    conn.commit()
    conn.close()
    before = digest(db)
    with pytest.raises(StorageError, match="not a linfen dataset"):
        Dataset(db)
    assert digest(db) == before
