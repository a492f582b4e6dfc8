"""storage.py: schema, upserts, versions, Chinese full-text search, migrations and bad files."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linfen_crawler.storage import (
    _CJK_RANGES,
    EDITION_COLUMNS,
    INTEGER_COLUMNS,
    READ_COLUMNS,
    SCHEMA_VERSION,
    Dataset,
    StorageError,
    fts_query,
    fts_text,
)


def art(url: str, title: str = "临汾市召开转型发展推进会", body: str = "会议在临汾举行。参会人员100人, OK。",
        **kw: Any) -> dict[str, Any]:
    return {"url": url, "site": "lfxww", "title": title, "body": body, "published_at": "2024-03-05",
            "authors": ["王长波"], "editors": [], **kw}


@pytest.fixture()
def ds(tmp_path: Path) -> Iterator[Dataset]:
    with Dataset(tmp_path / "t.db") as d:
        yield d


def test_upsert_new_unchanged_updated_with_versions(ds):
    r1 = ds.upsert_articles([art("u1"), art("u2")], run_id=1)
    assert (r1.new, r1.updated, r1.unchanged) == (2, 0, 0)
    r2 = ds.upsert_articles([art("u1")], run_id=2)
    assert (r2.new, r2.updated, r2.unchanged) == (0, 0, 1)
    r3 = ds.upsert_articles([art("u1", body="正文已修改。")], run_id=3)
    assert (r3.new, r3.updated, r3.unchanged) == (0, 1, 0)
    assert ds.count("articles") == 2
    (old,) = ds.conn.execute("SELECT body, run_id FROM article_versions WHERE url='u1'").fetchall()
    assert old == ("会议在临汾举行。参会人员100人, OK。", 2)
    (body, run_id) = ds.conn.execute("SELECT body, run_id FROM articles WHERE url='u1'").fetchone()
    assert (body, run_id) == ("正文已修改。", 3)


@pytest.mark.parametrize(("query", "hits"), [
    ("临汾", {"u1", "u2"}),        # two characters: the case trigram search misses
    ("汾", {"u1", "u2"}),          # one character
    ("临汾市", {"u1"}),
    ("推进会 临汾", {"u1"}),      # several words ANDed
    ("100", {"u1", "u2"}),         # numbers
    ("ok", {"u1", "u2"}),          # Latin, case-insensitive
    ("100人", {"u1", "u2"}),       # mixed
    ("汾临", set()),               # order matters: a phrase, not a bag of characters
    ("运城", set()),
])
def test_chinese_full_text_search(ds, query, hits):
    ds.upsert_articles([art("u1"), art("u2", title="尧都区新闻")], run_id=1)
    assert {h["url"] for h in ds.search(query)} == hits


def test_search_index_follows_updates_and_ranks_title_hits_first(ds):
    ds.upsert_articles([art("u1", title="其他新闻", body="临汾"), art("u2", title="临汾新闻", body="其他")], 1)
    assert [h["url"] for h in ds.search("临汾")] == ["u2", "u1"]
    ds.upsert_articles([art("u2", title="运城新闻", body="其他")], 2)
    assert [h["url"] for h in ds.search("临汾")] == ["u1"]
    assert [h["url"] for h in ds.search("运城")] == ["u2"]
    hit = ds.search("临汾")[0]
    assert hit["snippet"] == "【临汾】"


def test_fts_query_writes_the_pair_expressions():
    assert fts_query('临汾 "x" abc') == '"临汾" AND "x" AND "abc"'
    assert fts_query("汾 尧都区 尧都区") == '"汾"* AND ("尧都" AND "都区")'  # one character: a prefix
    assert fts_query("-尧都区 临汾") == '"临汾" NOT ("尧都" AND "都区")'
    assert fts_query("！？") == ""


def test_query_limits_count_words_not_pairs():
    """A long word is many pairs in the index but one word against MAX_QUERY_TERMS, excluded or not."""
    assert fts_query("乡村振兴战略 -全面推进乡村振兴").count('"') == 2 * (5 + 7)
    with pytest.raises(StorageError, match="33 different words"):
        fts_query(" ".join(f"w{i}" for i in range(32)) + " -乡村振兴")


def test_filters_and_streaming(ds):
    ds.upsert_articles([art("a", published_at="2024-01-01T08:00:00+08:00"),
                        art("b", published_at="2024-02-01"), art("c", site="other", published_at="2023-12-31")],
                       1)
    assert [r["url"] for r in ds.iter_articles(since="2024-01-01")] == ["a", "b"]
    assert [r["url"] for r in ds.iter_articles(until="2024-01-01")] == ["a", "c"]  # by site, then date
    assert [r["url"] for r in ds.iter_articles(site="other")] == ["c"]
    (row,) = list(ds.iter_articles(site="other", columns=("url", "authors")))
    assert row == {"url": "c", "authors": ["王长波"]}
    with pytest.raises(StorageError, match="unknown column"):
        list(ds.iter_articles(columns=("url", "nope")))


def test_utf8_tuples_are_the_stored_bytes_of_the_same_rows(ds):
    """iter_article_tuples(utf8=True) (the CSV export's read) gives every text column as its UTF-8 bytes and
    everything else as the str read gives it; run_id, the one column not declared TEXT, stays a number."""
    ds.upsert_articles([art("a", body="null\x00byte 临汾 😀", images=[{"url": "x.jpg", "caption": "图"}]),
                        art("b", title="", section=None, authors=[])], 3)
    conn = ds.conn
    with conn:  # every column holds a value in one row: a copy, an e-paper page (issue 17)
        conn.execute("UPDATE articles SET duplicate_of = 'b', edition_date = '2024-03-05', page_no = 3, "
                     "page_name = '要闻', kicker = '引题', subtitle = '副题', position = '{\"x\": 1}' WHERE url = 'a'")
    declared = {name: kind for _, name, kind, *_ in conn.execute("PRAGMA table_xinfo(articles)")}
    assert {c for c in READ_COLUMNS if declared[c] != "TEXT"} == set(INTEGER_COLUMNS) == {"run_id"}
    text = list(ds.iter_article_tuples(columns=READ_COLUMNS))
    raw = list(ds.iter_article_tuples(columns=READ_COLUMNS, utf8=True))
    assert len(raw) == len(text) == 2
    for as_str, as_bytes in zip(text, raw, strict=True):
        for column, s, b in zip(READ_COLUMNS, as_str, as_bytes, strict=True):
            if isinstance(s, str):
                assert isinstance(b, bytes) and b.decode() == s, column
            else:
                assert b == s and not isinstance(b, bytes), column
    assert raw[0][READ_COLUMNS.index("run_id")] == 3 and raw[1][READ_COLUMNS.index("section")] is None
    filled = ("duplicate_of", "day", *EDITION_COLUMNS)
    assert None not in [raw[0][READ_COLUMNS.index(c)] for c in filled] and raw[0][READ_COLUMNS.index("page_no")] == b"3"


def test_utf8_tuples_of_a_utf16_file_come_as_text(tmp_path):
    """A file made with another text encoding (PRAGMA encoding, set before the first table): its bytes are not
    UTF-8, so the text comes as str, which the CSV writer encodes."""
    conn = sqlite3.connect(tmp_path / "u.db")
    conn.execute("PRAGMA encoding = 'UTF-16le'")
    conn.execute("CREATE TABLE made (x)")  # the encoding is fixed by the first write
    conn.execute("DROP TABLE made")
    conn.close()
    with Dataset(tmp_path / "u.db") as d:
        d.upsert_articles([art("a")], 1)
        assert d.conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-16le"
        (row,) = d.iter_article_tuples(columns=("url", "title"), utf8=True)
        assert row == ("a", "临汾市召开转型发展推进会")


def test_runs_and_interrupted_detection(ds):
    run = ds.start_run("lfxww")
    ds.conn.execute("UPDATE crawl_runs SET pid = 999999999 WHERE id = ?", (run,))  # a process that is gone
    live = ds.start_run("lfxww")  # marks the dead one interrupted
    ds.finish_run(live, "finished", {"pages": 3}, {"x": 1})
    got = {r["id"]: r["status"] for r in ds.last_runs()}
    assert got == {run: "interrupted", live: "finished"}


def test_schema_version_and_wal(tmp_path):
    path = tmp_path / "v.db"
    Dataset(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="newer than this linfen-crawler knows"):
        Dataset(path)


def test_bad_files_are_refused_clearly(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StorageError, match="is not a linfen dataset"):
        Dataset(junk)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="not a linfen dataset"):
        Dataset(other)
    with pytest.raises(StorageError, match="no dataset at"):
        Dataset(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize("text", ["", "临汾", "a临汾b", "临汾市 2024年10月", "Ａ１々〇ぁァㄅ豈\u3400x", "  临\n汾  ",
                                  "abc", "临", "临临临"])
def test_fts_text_gives_every_pair_of_a_run_and_its_last_character(text):
    """fts_text's tokens, built a run at a time, are those of the plain rule character by character: every
    CJK character followed by a CJK character gives that pair, every other CJK character itself; so every
    character starts a token and every two neighbours of a run are one token."""
    cjk = re.compile(f"[{_CJK_RANGES}]")
    plain = []
    for i, ch in enumerate(text):
        if not cjk.match(ch):
            plain.append(ch)
        elif i + 1 < len(text) and cjk.match(text[i + 1]):
            plain.append(f" {ch}{text[i + 1]} ")
        else:
            plain.append(f" {ch} ")
    assert fts_text(text).split() == "".join(plain).split()
    assert not text.strip() or fts_text(text).strip()  # a text with anything in it gives tokens


def test_a_failed_write_rolls_back_and_the_connection_stays_usable(ds):
    ds.upsert_articles([art("u1")], run_id=1)
    with pytest.raises(sqlite3.IntegrityError):
        ds.add_rejects([("u2", None, None)], run_id=1)  # reason is NOT NULL
    assert not ds.conn.in_transaction
    assert ds.count("rejects") == 0
    assert ds.upsert_articles([art("u3")], run_id=1).new == 1  # the next batch still writes
    assert ds.add_rejects([("u4", "no_body", None)], run_id=1) == 1


def test_is_dataset_tells_a_linfen_file_from_another_sqlite_file(tmp_path):
    import sqlite3

    from linfen_crawler.storage import Dataset, is_dataset

    with Dataset(tmp_path / "news.db") as ds:
        assert is_dataset(ds.conn)
    other = sqlite3.connect(tmp_path / "other.db")
    assert not is_dataset(other)
    other.execute("CREATE TABLE articles (url TEXT)")  # an articles table without our index is not ours
    assert not is_dataset(other)
