"""Issue 16: the compact full-text index (contentless, migration 5), exact hits, snippets from the body, the
search window, bounded LSH lookups, and benchmarks/scale.py at a tiny size."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SHARED, old_dataset

from linfen_crawler import dedupe
from linfen_crawler.storage import (
    ANALYST_QUERIES,
    COVERAGE_FIELDS,
    LSH_PER_KEY,
    SCHEMA_VERSION,
    Dataset,
    fts_query,
    fts_text,
    make_snippet,
    query_terms,
)


def art(url: str, title: str = "其他新闻", body: str = "正文。", **kw: Any) -> dict[str, Any]:
    return {"url": url, "site": "lfxww", "title": title, "body": body, "published_at": "2024-03-05", **kw}


@pytest.fixture()
def ds(tmp_path: Path) -> Iterator[Dataset]:
    with Dataset(tmp_path / "t.db") as d:
        yield d


def tables(conn: sqlite3.Connection) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_the_index_keeps_no_second_copy_of_the_text(ds):
    body = "临汾市召开会议" * 5000
    ds.upsert_articles([art("u1", body=body)], 1)
    assert "articles_fts_content" not in tables(ds.conn)
    sql = ds.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_fts'").fetchone()[0]
    assert "content=''" in sql
    stored = ds.conn.execute(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'articles_fts%'").fetchone()[0]
    assert stored < 0.6 * len(body.encode())  # positions, not the text (the spaced copy alone was 1.7x it)
    assert [h["url"] for h in ds.search("临汾")] == ["u1"]


def test_an_updated_article_leaves_no_old_tokens(ds):
    """The contentless index forgets an article's old text through 'delete' with the text that was indexed."""
    ds.upsert_articles([art("u1", title="运城新闻", body="运城的消息。"), art("u2", body="太原。")], 1)
    ds.upsert_articles([art("u1", title="临汾新闻", body="临汾的消息。")], 2)  # replaced
    ds.upsert_articles([art("u1", title="临汾新闻", body="临汾的消息。")], 3)  # unchanged: not indexed twice
    raw = ds.conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (fts_query("运城"),))
    assert raw.fetchone()[0] == 0
    assert ds.count_articles(query="临汾") == 1
    assert ds.conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == 2
    ds.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    # the index's own counts follow: a row per article, its tokens once (the 4 of 临汾新闻)
    assert ds.conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0] == 2


@pytest.mark.parametrize("text", ["临。汾", "临\n汾", "临 汾", "临，汾市"])
def test_a_phrase_is_not_found_across_punctuation_or_lines(ds, text):
    """A phrase of single-character tokens matches 临。汾 inside FTS5; hits are checked against the text."""
    ds.upsert_articles([art("split", body=f"会议在{text}举行。"), art("whole", body="会议在临汾举行。")], 1)
    assert [h["url"] for h in ds.search("临汾")] == ["whole"]
    assert ds.count_articles(query="临汾") == 1
    assert [r["url"] for r in ds.iter_articles(query="临汾 会议")] == ["whole"]
    assert {h["url"] for h in ds.search("汾")} == {"split", "whole"}  # one character cannot be split


def test_snippets_are_cut_from_the_body_and_mark_every_term(ds):
    body = "开头的文字。" * 20 + "今天，临汾市召开会议，OK。" + "结尾的文字。" * 20
    ds.upsert_articles([art("u1", body=body)], 1)
    (hit,) = ds.search("临汾 ok")
    assert hit["snippet"].startswith("…") and hit["snippet"].endswith("…")
    assert "今天，【临汾】市召开会议，【OK】。" in hit["snippet"]
    assert len(hit["snippet"]) < 90
    assert make_snippet("book ok 临汾临汾", "ok 临汾") == "book 【ok】 【临汾临汾】"  # whole Latin words, joined marks
    assert make_snippet("第一行\n\n第二行", "第二") == "第一行 【第二】行"
    assert make_snippet("没有的词。", "临汾") == "没有的词。"
    assert query_terms("临汾市 271万吨 -太原 OK 临汾市") == ["临汾市", "271", "万吨", "OK"]


def test_search_orders_many_hits_without_weighing_them_all(ds):
    titled = {0, 1, 2, 3, 4, 22, 25}
    ds.upsert_articles([art(f"u{i:02d}", title="临汾" if i in titled else "其他", body="临汾。") for i in range(30)], 1)
    few = ds.search("临汾", limit=30, window=100)  # 30 hits: bm25 over all, title hits first, newest on ties
    title_first = [f"u{i:02d}" for i in sorted(titled, reverse=True)]
    assert [h["url"] for h in few] == title_first + [f"u{i:02d}" for i in range(29, -1, -1) if i not in titled]
    assert [h["rank"] for h in few] == list(range(1, 31))
    # more hits than the window: the newest 10 hits, their title hits first, then newest first
    many = ds.search("临汾", limit=10, window=10)
    assert [h["url"] for h in many] == ["u25", "u22", "u29", "u28", "u27", "u26", "u24", "u23", "u21", "u20"]
    assert [h["url"] for h in ds.search("临汾", limit=3, window=3)] == ["u29", "u28", "u27"]
    assert [h["url"] for h in ds.search("临汾 -其他", limit=3, window=3)] == ["u25", "u22", "u04"]


def old_layout(path: Path, source: Path) -> None:
    """A schema-4 dataset (the FTS table with its spaced copy) holding the articles of ``source``."""
    conn = old_dataset(path, 4)
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    have = {c for (_, c, *_) in conn.execute("PRAGMA main.table_info(articles)")}  # schema 4's columns
    cols = ", ".join(c for (_, c, *_) in conn.execute("PRAGMA src.table_info(articles)") if c != "day" and c in have)
    conn.execute(f"INSERT INTO articles ({cols}) SELECT {cols} FROM src.articles")
    conn.commit()
    conn.execute("DETACH DATABASE src")
    rows = conn.execute("SELECT rowid, title, body FROM articles").fetchall()
    conn.executemany("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                     [(r, fts_text(t), fts_text(b)) for r, t, b in rows])
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()


WORDS = ("临汾", "汾", "尧都区", "丰收", "271万吨", "临汾 -太原", "新闻", "2024")


def test_migration_5_keeps_every_search_result_and_frees_the_copy(crawled, tmp_path):
    _, source, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    db = tmp_path / "old.db"
    old_layout(db, source)
    conn = sqlite3.connect(db)
    assert "articles_fts_content" in tables(conn)
    fts_bytes = "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'articles_fts%'"
    fts_before, copy = conn.execute(fts_bytes).fetchone()[0], conn.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name = 'articles_fts_content'").fetchone()[0]
    before = {w: {u for (u,) in conn.execute(
        "SELECT a.url FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH ?", (fts_query(w),))} for w in WORDS}
    conn.close()
    assert all(before[w] for w in ("临汾", "汾", "尧都区"))
    size = db.stat().st_size
    with Dataset(db) as ds:
        assert ds.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "articles_fts_content" not in tables(ds.conn)
        assert ds.conn.execute("PRAGMA freelist_count").fetchone()[0] > 0  # the copy's pages, reusable
        for word in WORDS:
            assert {h["url"] for h in ds.search(word, limit=10000)} == before[word], word
            assert ds.count_articles(query=word) == len(before[word]), word
        ds.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
        ds.conn.execute("VACUUM")
        fts_after = ds.conn.execute(fts_bytes).fetchone()[0]
    # the copy's pages go back to the disk (later migrations add a few small indexes and tables of their own)
    assert fts_after < fts_before - copy * 0.8 and db.stat().st_size < size, (fts_before, copy, fts_after)


def test_lsh_candidates_are_bounded_per_key_and_a_copy_is_still_found(ds):
    story = "临汾市召开全市转型发展推进会，会议总结了上半年的工作，部署了下半年的重点任务。" * 4
    ds.upsert_articles([art("orig", body=story, published_at="2024-03-01")], 1)
    crowded = dedupe.lsh_keys(story)[0]  # a band shared with 500 unrelated bodies
    ds.upsert_articles([art(f"other{i:03d}", body=f"另一篇稿件{i}。") for i in range(500)], 1)
    ds.conn.execute("INSERT INTO article_lsh (key, article) SELECT ?, rowid FROM articles WHERE url LIKE 'other%'",
                    (crowded,))
    keys = dedupe.lsh_keys(story)
    found = ds._lsh_candidates(ds.conn.cursor(), keys, 10**6)
    assert len(found) <= LSH_PER_KEY * len(keys)
    assert ("orig", "orig") in found
    ds.upsert_articles([art("copy", body="本报讯 " + story, published_at="2024-03-02")], 1)
    assert ds.conn.execute("SELECT duplicate_of FROM articles WHERE url = 'copy'").fetchone()[0] == "orig"


def test_the_canned_search_query_is_exact_with_snippets(ds):
    """The SQL of Datasette's `search` canned query, with the functions the plugin registers."""
    pytest.importorskip("datasette")
    from linfen_crawler.datasette import plugin

    ds.upsert_articles([art("split", body="会议在临。汾举行。"), art("whole", body="会议在临汾举行。"),
                        art("title", title="临汾新闻", body="正文。")], 1)
    plugin.prepare_connection(ds.conn, "t", None)
    got = ds.conn.execute(ANALYST_QUERIES["search"][2], {"q": "临汾"}).fetchall()
    by_url = {r[0]: r for r in got}
    assert set(by_url) == {"whole", "title"}
    assert by_url["whole"][6] == "会议在【临汾】举行。"
    assert [r[0] for r in got] == ["title", "whole"]  # a title hit weighs 5x


SCALE_LINE = re.compile(r"^scale: n=(\d+) bytes_per_article=(\d+) size_ratio=([\d.]+) write_growth=([\d.]+) "
                        r"search_p95_ms=([\d.]+) startup_ms=(\d+)$")


@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared/corpus not present")
def test_scale_benchmark_at_a_tiny_size(tmp_path):
    db = tmp_path / "scale.db"
    args = [sys.executable, str(REPO / "benchmarks" / "scale.py"), "--articles", "300", "--slice", "100",
            "--plan-urls", "2000", "--rounds", "1", "--no-cold", "--db", str(db), "--corpus", str(SHARED / "corpus")]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len([line for line in lines if line.startswith("slice ")]) == 3
    match = SCALE_LINE.match(lines[-1])
    assert match, lines[-1]
    n, per_article, ratio, growth, p95, startup = (float(v) for v in match.groups())
    assert n == 300
    assert per_article * n <= db.stat().st_size * 1.01
    assert 0.5 < ratio < 20 and 0 < growth < 50 and 0 < p95 < 60_000 and 0 < startup < 60_000
    assert "plan load, a site of 2,000 known URLs" in proc.stdout
    assert "articles_fts" in proc.stdout and "cold: not measured (--no-cold)" in proc.stdout
    with Dataset(db, create=False) as ds:
        assert ds.count("articles") == 300
        bodies = [len(r["body"]) for r in ds.iter_articles(columns=("body",))]
        assert min(bodies) >= 800 and max(bodies) <= 3000 + 4
        assert len({r["site"] for r in ds.iter_articles(columns=("site",))}) == 20
    again = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert again.returncode == 0 and "reusing" in again.stdout  # the dataset is built once


def test_the_documented_way_to_index_anew(tmp_path):
    """docs/schema.md: DROP TABLE articles_fts, user_version 4, open with linfen: migration 5 indexes again."""
    db = tmp_path / "t.db"
    with Dataset(db) as ds:
        ds.upsert_articles([art("u1", body="临汾的消息。")], 1)
        ds.conn.execute("DROP TABLE articles_fts")
        ds.conn.execute("PRAGMA user_version = 4")
    with Dataset(db) as ds:
        assert [h["url"] for h in ds.search("临汾")] == ["u1"]
        ds.upsert_articles([art("u1", body="运城的消息。")], 2)
        assert ds.search("临汾") == [] and ds.count_articles(query="运城") == 1


def test_stats_and_the_plan_read_only_indexes(ds):
    """Migration 7: `linfen stats` and a crawl's known-URL list are answered from covering indexes (at 1M
    articles reading the rows took 20 s and 1.8 s), with the same figures as a plain scan of the rows."""
    ds.upsert_articles([art("u1", source="临汾日报", authors=["张三"]), art("u2", published_at=None, editors=["李四"]),
                        art("u3", site="jcnews", published_at="2023-12"), art("u4")], 1)
    ds.conn.execute("UPDATE articles SET duplicate_of = 'u1' WHERE url = 'u4'")
    fields = ("published_at", "source", "authors", "editors")
    shares = ", ".join(f"avg({COVERAGE_FIELDS[f]})" for f in fields)
    seen: list[str] = []
    for dedupe_ in (False, True):
        plain = ds.conn.execute(  # the figures straight from the rows
            f"SELECT site, count(*), min(substr(published_at, 1, 10)), max(substr(published_at, 1, 10)), {shares}"
            f" FROM articles NOT INDEXED {'WHERE duplicate_of IS NULL' if dedupe_ else ''}"
            " GROUP BY site ORDER BY site").fetchall()
        ds.conn.set_trace_callback(seen.append)
        got = ds.site_stats(dedupe=dedupe_)
        ds.conn.set_trace_callback(None)
        assert [tuple(r[k] for k in ("site", "articles", "first", "last", *fields)) for r in got] == plain
        assert [r["duplicates"] for r in got] == [0, 1]
    ds.conn.set_trace_callback(seen.append)
    assert ds.seen_pages("lfxww")[0] == {"u1", "u2", "u4"}
    assert ds.per_site_day() == [("jcnews", "2023-12", 1), ("lfxww", "2024-03-05", 2)]
    ds.conn.set_trace_callback(None)
    queries = [q for q in seen if q.lstrip().startswith("SELECT") and "FROM articles" in q]
    assert queries
    for q in queries:
        steps = [row[3] for row in ds.conn.execute("EXPLAIN QUERY PLAN " + q, ("lfxww",) * q.count("?"))
                 if row[3].startswith(("SCAN", "SEARCH"))]
        assert steps and all("COVERING INDEX" in step for step in steps), (q, steps)


def test_the_recent_days_of_stats_are_the_last_days_of_the_full_table(ds):
    """`linfen stats` reads only the days it shows (each site's index backwards), with the figures of the
    full per-site-day table: days shared and not shared by sites, a month-only date, copies left out."""
    days = ["2024-03-01", "2024-03-02", "2024-03-04", "2024-03-04", "2024-03-07", "2023-12"]
    ds.upsert_articles([art(f"a{i}", published_at=d) for i, d in enumerate(days)]
                       + [art("b1", site="jcnews", published_at="2024-03-03T08:00:00+08:00"),
                          art("b2", site="jcnews", published_at="2024-03-07T09:00:00+08:00"),
                          art("b3", site="jcnews", published_at=None)], 1)
    ds.conn.execute("UPDATE articles SET duplicate_of = 'a0' WHERE url = 'a4'")
    for dedupe_ in (False, True):
        full = ds.per_site_day(dedupe=dedupe_)
        for n in (0, 1, 2, 3, 10):
            latest = sorted({d for _, d, _ in full})[-n:] if n else []
            assert ds.recent_days(n, dedupe=dedupe_) == [r for r in full if r[1] in latest], (dedupe_, n)
