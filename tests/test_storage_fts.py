"""Issue 16: the compact full-text index (contentless, migration 5; pairs of characters without positions,
migration 10), exact hits, snippets from the body, the search window, bounded LSH lookups, and
benchmarks/scale.py at a tiny size."""

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
    _CJK_RANGES,
    ANALYST_QUERIES,
    COVERAGE_FIELDS,
    LSH_PER_KEY,
    SCHEMA_VERSION,
    Dataset,
    QueryError,
    _rebuild_lsh_filter,
    fts_query,
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
    body = "临汾市召开会议" * 20000
    ds.upsert_articles([art("u1", body=body)], 1)
    assert "articles_fts_content" not in tables(ds.conn)
    sql = ds.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_fts'").fetchone()[0]
    assert "content=''" in sql and "detail=none" in sql
    for table in ("articles_fts", "articles_title_fts"):  # merges in steps of 16 (a flatter write cost)
        assert ds.conn.execute(f"SELECT v FROM {table}_config WHERE k = 'automerge'").fetchone() == (16,)
    stored = ds.conn.execute(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'articles_fts%'").fetchone()[0]
    assert stored < 0.05 * len(body.encode())  # its 7 pairs and the rowid, not the text (the copy was 1.7x it)
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
    # and so does the title index: the old title's pairs are gone, the new one's found
    titled = "SELECT rowid FROM articles_title_fts WHERE articles_title_fts MATCH ?"
    assert ds.conn.execute(titled, (fts_query("运城"),)).fetchall() == []
    assert len(ds.conn.execute(titled, (fts_query("临汾"),)).fetchall()) == 1
    ds.conn.execute("INSERT INTO articles_title_fts (articles_title_fts) VALUES ('integrity-check')")


@pytest.mark.parametrize("text", ["临。汾", "临\n汾", "临 汾", "临，汾市"])
def test_a_word_is_not_found_across_punctuation_or_lines(ds, text):
    """Pairs are made inside a run of Chinese only: 临。汾 holds no 临汾 (the per-character index found it there
    and needed the check against the text)."""
    ds.upsert_articles([art("split", body=f"会议在{text}举行。"), art("whole", body="会议在临汾举行。")], 1)
    assert [h["url"] for h in ds.search("临汾")] == ["whole"]
    assert ds.count_articles(query="临汾") == 1
    assert [r["url"] for r in ds.iter_articles(query="临汾 会议")] == ["whole"]
    assert {h["url"] for h in ds.search("汾")} == {"split", "whole"}  # one character cannot be split


@pytest.mark.parametrize("text", ["尧都的都区", "都区和尧都", "尧都。都区"])
def test_a_longer_word_is_found_only_as_written(ds, text):
    """A word of three or more characters is the AND of its pairs: the index also finds them apart, so every
    hit is checked against the text; counts, searches and exports agree."""
    ds.upsert_articles([art("apart", body=f"会议在{text}举行。"), art("whole", body="会议在尧都区举行。")], 1)
    raw = ds.conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (fts_query("尧都区"),))
    assert raw.fetchone()[0] == 2  # the index alone cannot tell
    assert [h["url"] for h in ds.search("尧都区")] == ["whole"]
    assert ds.count_articles(query="尧都区") == 1
    assert [r["url"] for r in ds.iter_articles(query="会议 尧都区")] == ["whole"]


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
    few = ds.search("临汾", limit=30, window=100)  # 30 hits, all in the window: title hits first, then newest
    title_first = [f"u{i:02d}" for i in sorted(titled, reverse=True)]
    assert [h["url"] for h in few] == title_first + [f"u{i:02d}" for i in range(29, -1, -1) if i not in titled]
    assert [h["rank"] for h in few] == list(range(1, 31))
    # more hits than the window: the newest 10 hits, their title hits first, then newest first
    many = ds.search("临汾", limit=10, window=10)
    assert [h["url"] for h in many] == ["u25", "u22", "u29", "u28", "u27", "u26", "u24", "u23", "u21", "u20"]
    assert [h["url"] for h in ds.search("临汾", limit=3, window=3)] == ["u29", "u28", "u27"]
    assert [h["url"] for h in ds.search("临汾 -其他", limit=3, window=3)] == ["u25", "u22", "u04"]


def char_text(text: str | None) -> str:
    """The text the per-character index of schemas 1 to 9 held: a space around every CJK character."""
    return re.sub(f"([{_CJK_RANGES}])", r" \1 ", text or "")


WORDS = ("临汾", "汾", "尧都区", "丰收", "271万吨", "临汾 -太原", "新闻", "2024")
# what fts_query wrote for WORDS over that index (phrases of single characters)
OLD_EXPR = {"临汾": '"临 汾"', "汾": '"汾"', "尧都区": '"尧 都 区"', "丰收": '"丰 收"', "271万吨": '"271" AND "万 吨"',
            "临汾 -太原": '"临 汾" NOT "太 原"', "新闻": '"新 闻"', "2024": '"2024"'}


def old_layout(path: Path, source: Path, version: int) -> dict[str, set[str]]:
    """A dataset as release ``version`` (4 or 9) left it, holding the articles of ``source``: schema 4 with the
    per-character FTS table and its spaced copy, schema 9 with the contentless per-character index. Returns
    what each of WORDS found there."""
    from linfen_crawler.storage import _MIGRATIONS

    conn = old_dataset(path, 4)
    if version == 9:  # migration 5 as it was, then 6 to 9
        conn.execute("DROP TABLE articles_fts")
        conn.execute("CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='', "
                     "tokenize='unicode61 remove_diacritics 0')")
        for target in range(6, 10):
            for step in _MIGRATIONS[target]:
                step(conn) if callable(step) else conn.execute(step)
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    have = {c for (_, c, *_) in conn.execute("PRAGMA main.table_info(articles)")}  # schema 4's columns
    cols = ", ".join(c for (_, c, *_) in conn.execute("PRAGMA src.table_info(articles)") if c != "day" and c in have)
    conn.execute(f"INSERT INTO articles ({cols}) SELECT {cols} FROM src.articles")
    conn.commit()
    conn.execute("DETACH DATABASE src")
    rows = conn.execute("SELECT rowid, title, body FROM articles").fetchall()
    conn.executemany("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                     [(r, char_text(t), char_text(b)) for r, t, b in rows])
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    found = {w: {u for (u,) in conn.execute(
        "SELECT a.url FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH ?", (OLD_EXPR[w],))} for w in WORDS}
    conn.close()
    assert all(found[w] for w in ("临汾", "汾", "尧都区"))
    return found


FTS_BYTES = "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'articles_fts%'"


def test_migration_5_keeps_every_search_result_and_frees_the_copy(crawled, tmp_path):
    _, source, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    db = tmp_path / "old.db"
    before = old_layout(db, source, 4)
    conn = sqlite3.connect(db)
    assert "articles_fts_content" in tables(conn)
    fts_before, copy = conn.execute(FTS_BYTES).fetchone()[0], conn.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name = 'articles_fts_content'").fetchone()[0]
    conn.close()
    size = db.stat().st_size
    conn = sqlite3.connect(db)
    names = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    with Dataset(db) as ds:
        assert ds.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "articles_fts_content" not in tables(ds.conn)
        for word in WORDS:
            assert {h["url"] for h in ds.search(word, limit=10000)} == before[word], word
            assert ds.count_articles(query=word) == len(before[word]), word
        ds.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
        ds.conn.execute("VACUUM")
        fts_after = ds.conn.execute(FTS_BYTES).fetchone()[0]
        # later migrations add a few small indexes and tables of their own
        added = sum(pgsize for name, pgsize in ds.conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
                    if name not in names and not name.startswith("articles_fts"))
    # the copy's pages go back to the disk
    assert fts_after < fts_before - copy * 0.8 and db.stat().st_size - added < size, (fts_before, copy, fts_after)


def test_migration_10_indexes_pairs_keeping_every_search_result(crawled, tmp_path):
    """A dataset of schema 9 (the per-character index with positions) opens as schema 10: the same hits for
    every word, both indexes consistent, and later updates remove the new tokens (the size: benchmarks/scale.py)."""
    _, source, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    db = tmp_path / "v9.db"
    before = old_layout(db, source, 9)
    conn = sqlite3.connect(db)
    assert "articles_title_fts" not in tables(conn)
    conn.close()
    with Dataset(db) as ds:
        assert ds.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 10
        sql = ds.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_fts'").fetchone()[0]
        assert "detail=none" in sql
        assert ds.conn.execute("SELECT v FROM articles_fts_config WHERE k = 'automerge'").fetchone() == (16,)
        for word in WORDS:
            assert {h["url"] for h in ds.search(word, limit=10000)} == before[word], word
            assert ds.count_articles(query=word) == len(before[word]), word
        for table in ("articles_fts", "articles_title_fts"):
            ds.conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
        (url,) = ds.conn.execute("SELECT url FROM articles WHERE title LIKE '%临汾%'").fetchone()
        ds.upsert_articles([art(url, title="运城新闻", body="运城的消息。")], 99)
        assert url not in {h["url"] for h in ds.search("临汾", limit=10000)}
        assert [h["url"] for h in ds.search("运城的消息")] == [url]
        ds.conn.execute("INSERT INTO articles_title_fts (articles_title_fts) VALUES ('integrity-check')")


def test_lsh_candidates_are_bounded_per_key_and_a_copy_is_still_found(ds):
    story = "临汾市召开全市转型发展推进会，会议总结了上半年的工作，部署了下半年的重点任务。" * 4
    ds.upsert_articles([art("orig", body=story, published_at="2024-03-01")], 1)
    crowded = dedupe.lsh_keys(story)[0]  # a band shared with 500 unrelated bodies
    # 500 different bodies, long enough to be indexed with a sketch of their own
    ds.upsert_articles([art(f"other{i:03d}", body="".join(chr(0x4E00 + (i * 131 + k * k * 7) % 8000)
                                                           for k in range(80))) for i in range(500)], 1)
    ds.conn.execute("INSERT INTO article_lsh (key, article) SELECT ?, rowid FROM articles WHERE url LIKE 'other%'",
                    (crowded,))
    _rebuild_lsh_filter(ds.conn.cursor())  # as a move would: keys in article_lsh are in its filter
    ds._sync_keys(ds.conn.cursor())
    keys, sketch = dedupe.sketch(story)
    found = ds._lsh_candidates(ds.conn.cursor(), keys, 10**6)
    assert 1 < len(found) <= LSH_PER_KEY * len(keys)
    assert ("orig", "orig") in found
    # their sketches (issue 16) tell the 500 apart from the story: their rows are not even read
    assert ds._lsh_candidates(ds.conn.cursor(), keys, 10**6, sketch) == [("orig", "orig")]
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
    assert [r[0] for r in got] == ["title", "whole"]  # title hits first


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
    """docs/schema.md: PRAGMA user_version = 9, open with linfen: migration 10 indexes every article again."""
    db = tmp_path / "t.db"
    with Dataset(db) as ds:
        ds.upsert_articles([art("u1", body="临汾的消息。")], 1)
        ds.conn.execute("UPDATE articles SET body = '运城的消息。'")  # a change behind storage.py's back
        assert ds.count_articles(query="运城") == 0
        ds.conn.execute("PRAGMA user_version = 9")
    with Dataset(db) as ds:
        assert ds.search("临汾") == [] and [h["url"] for h in ds.search("运城")] == ["u1"]
        ds.upsert_articles([art("u1", body="太原的消息。")], 2)  # the old tokens go again
        assert ds.search("运城") == [] and ds.count_articles(query="太原") == 1
        ds.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")


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


def test_every_character_fts_text_pairs_is_a_token_character_to_unicode61():
    """A pair holding a character unicode61 treats as a separator (・, the radicals' block) would be an empty
    term, and an AND with an empty term matches nothing: _CJK_RANGES holds only token characters."""
    chars = [chr(c) for c in range(0x3000, 0x2FA20) if re.fullmatch(f"[{_CJK_RANGES}]", chr(c))]
    assert len(chars) > 90_000 and "・" not in chars and "\u2f08" not in chars and "〇" in chars
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(x, tokenize='unicode61 remove_diacritics 0')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'row')")
    conn.execute("INSERT INTO f (x) VALUES (?)", (" ".join(chars),))
    terms = {t for (t,) in conn.execute("SELECT term FROM v")}
    assert [c for c in chars if c not in terms] == []


@pytest.mark.parametrize(("text", "query"), [("清代翰・・史料", "翰・・史"), ("刊登于⼈⺠日报。", "⼈⺠日报"),
                                             ("京゠大学", "京゠大"), ("二〇二四年", "二〇二四")])
def test_a_word_with_separator_characters_is_found(ds, text, query):
    """Characters unicode61 drops (・ ゠, radicals copied from PDFs) split a word instead of emptying it."""
    ds.upsert_articles([art("hit", body=text), art("other", body="其他的消息。")], 1)
    assert [h["url"] for h in ds.search(query)] == ["hit"]
    assert ds.count_articles(query=query) == 1


def test_a_query_sqlite_cannot_search_is_one_line(ds):
    """U+19B0 is a letter to Python and a separator to SQLite's Unicode 6.1 tables: the word becomes a
    phrase, which an index without positions refuses. One line naming the query, not a traceback."""
    ds.upsert_articles([art("u1", body="临汾的消息。")], 1)
    for call in (lambda: ds.search("临汾 a\u19b0b"), lambda: ds.count_articles(query="临汾 a\u19b0b"),
                 lambda: list(ds.iter_articles(query="临汾 a\u19b0b"))):
        with pytest.raises(QueryError, match="cannot be searched"):
            call()


def test_hits_apart_do_not_hide_an_older_exact_hit(ds):
    """The window is taken from the index before the check against the text: when newer articles holding the
    pairs apart fill it, search goes on to the next window instead of answering nothing."""
    ds.upsert_articles([art("exact", body="召开全国人大会议。")], 1)
    ds.upsert_articles([art(f"apart{i}", body="全国各地，国人关注人大。") for i in range(7)], 1)
    assert ds.count_articles(query="全国人大") == 1
    assert [h["url"] for h in ds.search("全国人大", window=3)] == ["exact"]
    assert [h["rank"] for h in ds.search("全国人大", window=3)] == [1]


def test_title_hits_first_means_the_word_as_written_in_the_title(ds):
    """The title index also holds the pairs of 尧都区 apart (尧都的都区): such a title is no title hit."""
    ds.upsert_articles([art("titled", title="尧都区新闻", body="正文。"),
                        art("newest", title="其他", body="尧都区的消息。"),
                        art("apart", title="尧都的都区新闻", body="尧都区的消息。")], 1)
    assert [h["url"] for h in ds.search("尧都区")] == ["titled", "apart", "newest"]


def test_merges_stay_incremental(ds):
    """automerge 16 with crisismerge 64: FTS5 merges a level step by step, never all at once in one write."""
    for table in ("articles_fts", "articles_title_fts"):
        got = dict(ds.conn.execute(f"SELECT k, v FROM {table}_config WHERE k IN ('automerge', 'crisismerge')"))
        assert got == {"automerge": 16, "crisismerge": 64}
