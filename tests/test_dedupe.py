"""Syndicated duplicates: shingles and MinHash/LSH (dedupe.py), duplicate_of at store time and by
`linfen dedupe`, the republished demo story linked after a real crawl, and --dedupe on exports and stats."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import article_rows, old_dataset, rows, run_linfen

from linfen_crawler import dedupe, storage
from linfen_crawler.demo.lfxww import article_path, load_data
from linfen_crawler.storage import Dataset

STORY = ("本报讯（记者 李志勇）今年我省夏粮生产克服了干旱少雨等不利因素影响，夏粮总产量达271万吨，比上年增加"
         "8.6万吨，增长3.3%。全省小麦播种面积稳定在840万亩以上，单产创历史新高。省农业农村厅表示，下一步将抓好"
         "秋粮田间管理，确保全年粮食丰收。")
OTHER = ("临汾新闻网讯（记者 郭小东）10月14日至16日，临汾一中第三十届秋季田径运动会在学校操场隆重举行，全校"
         "两千余名师生参加。运动会设田赛、径赛等二十余个项目，展示了学校体育教育的丰硕成果和学生的青春风采。")


@pytest.mark.parametrize(("text", "expected"), [
    ("临汾，新闻 网。ABC-1", "临汾新闻网abc1"),          # punctuation (any width), spaces and case do not count
    ("（记者　王长波）", "记者王长波"),
    (None, ""),
])
def test_normalise(text, expected):
    assert dedupe.normalise(text) == expected


@pytest.mark.parametrize(("a", "b", "copy"), [
    (STORY, STORY, True),                                                      # verbatim republication
    (STORY, STORY.replace("本报讯", "临汾新闻网讯"), True),                    # another lead
    (STORY, STORY.replace("，", ",").replace("（", "(").replace("）", ")"), True),  # width-folded punctuation
    (STORY, STORY + "（编辑 张敏）", True),                                    # an editor note appended
    (STORY, STORY[:int(len(STORY) * 0.85)], True),                            # the last sentence trimmed
    (STORY, OTHER, False),                                                    # another story
    (STORY, STORY[: len(STORY) // 2], False),                                 # half of it: not the same story
    ("短讯。" * 3, "短讯。" * 3, False),                                       # too short to judge
])
def test_near_duplicate_bodies(a, b, copy):
    sim = dedupe.jaccard(dedupe.shingles(a), dedupe.shingles(b))
    assert (sim >= dedupe.THRESHOLD) is copy, sim
    if copy:  # LSH finds every copy in this table as a candidate
        assert set(dedupe.lsh_keys(a)) & set(dedupe.lsh_keys(b))


def test_signature_is_stable_and_sized():
    sig = dedupe.signature(dedupe.shingles(STORY))
    assert len(sig) == dedupe.BINS and sig == dedupe.signature(dedupe.shingles(STORY))
    assert len(dedupe.band_keys(sig)) == dedupe.BANDS
    assert all(0 <= k < 2**63 for k in dedupe.band_keys(sig))  # fits SQLite INTEGER
    assert dedupe.lsh_keys("太短") == []


def test_lsh_candidate_rates_follow_the_banding_curve():
    """Edited copies at ~0.8 similarity are candidates; unrelated texts almost never are."""
    rng = random.Random(6)
    alphabet = "临汾市委政府召开会议推进经济社会发展工作全面落实新闻记者报道山西省农业生产粮食丰收城乡居民收入"
    found = unrelated = 0
    for _ in range(60):
        base = "".join(rng.choice(alphabet) for _ in range(400))
        edited = list(base)
        for i in rng.sample(range(400), 8):
            edited[i] = rng.choice(alphabet)
        other = "".join(rng.choice(alphabet) for _ in range(400))
        found += bool(set(dedupe.lsh_keys(base)) & set(dedupe.lsh_keys("".join(edited))))
        unrelated += bool(set(dedupe.lsh_keys(base)) & set(dedupe.lsh_keys(other)))
    assert found >= 57 and unrelated <= 3, (found, unrelated)


@pytest.mark.parametrize(("rows_", "first"), [
    ([("b", "2021-07-21T11:45:02+08:00", "x"), ("a", "2021-07-21T08:30:15+08:00", "y")], "a"),
    ([("a", None, "2024-01-01"), ("b", "2020-01-01", "2025-01-01")], "b"),   # a publish time beats none
    ([("b", None, "2024-01-02"), ("a", None, "2024-01-03")], "b"),           # then first seen
    ([("b", "2020-01-01", "s"), ("a", "2020-01-01", "s")], "a"),              # then url: stable
])
def test_earliest_copy(rows_, first):
    assert dedupe.earliest(rows_) == first


def art(url: str, body: str, published_at: str, site: str = "lfxww", section: str = "山西") -> dict[str, Any]:
    return {"url": url, "site": site, "section": section, "title": "我省夏粮喜获丰收", "body": body,
            "published_at": published_at, "source": "山西日报"}


@pytest.fixture()
def ds(tmp_path: Path) -> Iterator[Dataset]:
    with Dataset(tmp_path / "t.db") as d:
        yield d


def dup_map(ds: Dataset) -> dict[str, str | None]:
    return dict(ds.conn.execute("SELECT url, duplicate_of FROM articles"))


def test_copies_are_linked_at_store_time_to_the_earliest_whatever_the_crawl_order(ds):
    ds.upsert_articles([art("later", STORY.replace("本报讯", "临汾新闻网讯"), "2021-07-21T11:45:02+08:00"),
                        art("other", OTHER, "2021-07-20T10:00:00+08:00")], 1)
    assert dup_map(ds) == {"later": None, "other": None}
    ds.upsert_articles([art("first", STORY, "2021-07-21T08:30:15+08:00", site="sxrb")], 2)
    assert dup_map(ds) == {"later": "first", "other": None, "first": None}
    ds.upsert_articles([art("third", STORY, "2021-07-22T09:00:00+08:00", site="ycnews")], 3)
    assert dup_map(ds) == {"later": "first", "other": None, "first": None, "third": "first"}
    # a copy rewritten into another story leaves the group
    ds.upsert_articles([art("third", OTHER.replace("临汾一中", "尧都区"), "2021-07-22T09:00:00+08:00")], 4)
    assert dup_map(ds)["third"] == "other"  # ... and may join another
    assert ds.site_stats()[0]["duplicates"] == 2
    assert {s["site"]: s["articles"] for s in ds.site_stats(dedupe=True)} == {"lfxww": 1, "sxrb": 1}
    # --dedupe leaves copies out of the counts, but still says how many there are
    assert {s["site"]: s["duplicates"] for s in ds.site_stats(dedupe=True)} == {"lfxww": 2, "sxrb": 0}


def test_dedupe_all_rebuilds_links_and_takes_a_threshold(ds):
    ds.upsert_articles([art("a", STORY, "2021-07-21"), art("b", STORY[: int(len(STORY) * 0.85)], "2021-07-22"),
                        art("c", OTHER, "2021-07-23")], 1)
    ds.conn.execute("UPDATE articles SET duplicate_of = NULL")
    ds.conn.execute("DELETE FROM article_lsh")
    assert ds.dedupe_all() == {"articles": 3, "compared": 1, "groups": 1, "duplicates": 1}
    assert dup_map(ds) == {"a": None, "b": "a", "c": None}
    assert ds.dedupe_all(threshold=0.95)["duplicates"] == 0
    assert dup_map(ds) == {"a": None, "b": None, "c": None}
    assert ds.duplicate_groups() == []


def republished_pairs() -> list[tuple[str, str]]:
    """(copy url, original url) for the demo portal's republished stories (articles.json `body_from`)."""
    data = load_data()["articles"]
    by_id = {a["id"]: a for a in data}
    pairs = []
    for a in data:
        if "body_from" in a:
            orig = by_id[a["body_from"]]
            pairs.append(("http://www.lfxww.com" + article_path(a), "http://www.lfxww.com" + article_path(orig)))
    return pairs


def test_republished_demo_articles_are_linked_after_a_crawl(crawled):
    _, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    stored = article_rows(db)
    pairs = republished_pairs()
    assert pairs, "the demo portal republishes at least one story"
    for copy, original in pairs:
        assert stored[copy]["duplicate_of"] == original
        assert stored[original]["duplicate_of"] is None
        assert stored[copy]["section"] != stored[original]["section"]
    # nothing else is called a copy
    assert {u for u, r in stored.items() if r["duplicate_of"]} == {c for c, _ in pairs}


def test_dedupe_command_and_dedupe_flags(dataset, tmp_path):
    db = dataset  # `linfen dedupe` writes: a copy of the crawled dataset
    proc = run_linfen("dedupe", "--db", str(db), "--show", "5")
    assert proc.returncode == 0, proc.stderr
    n = len(republished_pairs())
    assert f"{n} copies marked duplicate_of" in proc.stdout
    assert republished_pairs()[0][0] in proc.stdout
    total = rows(db, "SELECT count(*) AS n FROM articles")[0]["n"]
    out = tmp_path / "all.jsonl"
    assert run_linfen("export", "--db", str(db), "--format", "jsonl", "--dedupe", "-o", str(out)).returncode == 0
    exported = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(exported) == total - n and not any(r["duplicate_of"] for r in exported)
    assert json.loads((tmp_path / "all.jsonl.meta.json").read_text("utf-8"))["filters"]["dedupe"] is True
    stats = run_linfen("stats", "--db", str(db), "--dedupe", "--runs", "0")
    assert stats.returncode == 0 and re.search(rf"^lfxww +{total - n} ", stats.stdout, re.M), stats.stdout


def test_a_dataset_stored_before_schema_3_migrates_and_dedupe_links_its_copies(tmp_path):
    path = tmp_path / "old.db"
    conn = old_dataset(path, 1)
    conn.executemany("INSERT INTO articles (url, site, body, published_at) VALUES (?, 'lfxww', ?, ?)",
                     [("b", STORY, "2021-07-21T11:45:02+08:00"), ("a", STORY, "2021-07-21T08:30:15+08:00")])
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Dataset(path) as ds:
        assert dup_map(ds) == {"a": None, "b": None}
        assert ds.conn.execute("SELECT day FROM articles WHERE url = 'a'").fetchone() == ("2021-07-21",)
    res = run_linfen("dedupe", "--db", str(path))
    assert res.returncode == 0 and "1 copies marked duplicate_of" in res.stdout, res.stdout + res.stderr
    assert rows(path, "SELECT url, duplicate_of FROM articles ORDER BY url") == [
        {"url": "a", "duplicate_of": None}, {"url": "b", "duplicate_of": "a"}]


@pytest.mark.parametrize("text", [STORY, OTHER, STORY * 30, "临汾" * 40, "ab1" * 30, "太短"])
def test_the_vectorised_signature_is_the_per_shingle_one(text):
    assert dedupe.text_signature(text) == dedupe.signature(dedupe.shingles(text))


def test_migration_4_rekeys_lsh_of_a_schema_3_dataset(tmp_path):
    """Keys stored under the blake2b hash of schema 3 are replaced, so a later copy still finds its original."""
    path = tmp_path / "v3.db"
    conn = old_dataset(path, 3)
    conn.execute("INSERT INTO articles (url, site, body, published_at) VALUES ('a', 'lfxww', ?, '2021-07-21')",
                 (STORY,))
    conn.executemany("INSERT INTO article_lsh (key, url) VALUES (?, 'a')", [(k,) for k in range(16)])  # old keys
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with Dataset(path) as ds:
        keys = {k for (k,) in ds.conn.execute(
            "SELECT key FROM article_lsh JOIN articles ON articles.rowid = article_lsh.article WHERE url = 'a'")}
        assert keys == set(dedupe.lsh_keys(STORY))
        ds.upsert_articles([art("b", STORY.replace("本报讯", "临汾新闻网讯"), "2021-07-22")], 1)
        assert dup_map(ds) == {"a": None, "b": "a"}


@pytest.mark.parametrize(("a", "b"), [
    ("临汾市召开全市经济工作会议，部署明年重点任务。" * 4, "临汾市召开全市经济工作会议，部署明年重点工作。" * 4),
    ("本报讯 运城市今年粮食总产量再创新高，达到二百七十一万吨。" * 3, "运城市今年粮食总产量再创新高。" * 6),
    ("太原" * 40, "大同" * 40),
    ("短", "临汾市召开全市经济工作会议，部署明年重点任务。" * 4),  # too short: 0.0
    ("ＡＢＣ full width and ascii ABC abc，标点。" * 5, "abc full width and ascii abc abc" * 5),
])
def test_hashed_jaccard_is_the_jaccard_of_the_shingle_sets(a, b):
    """Candidates are confirmed on shingle hashes (issue 16: 10x cheaper than the string sets): same value."""
    assert dedupe.hashed_jaccard(dedupe.shingle_hashes(a), dedupe.shingle_hashes(b)) == \
        dedupe.jaccard(dedupe.shingles(a), dedupe.shingles(b))
    assert dedupe.shingle_hashes(a).size == len(dedupe.shingles(a))


FLOOR = dedupe.THRESHOLD - dedupe.SKETCH_MARGIN  # the sketch floor at the default threshold


@pytest.mark.parametrize(("a", "b", "low", "high"), [
    (STORY, STORY, 1.0, 1.0),                                          # the same body
    (STORY, STORY.replace("本报讯", "临汾新闻网讯") + "（编辑 张敏）", 0.6, 1.0),  # a copy with another lead
    (STORY, OTHER, 0.0, FLOOR),                           # another story
    (STORY, "太短", 0.0, 0.0),                                           # too short: no sketch
])
def test_sketch_similarity_estimates_the_jaccard_similarity(a, b, low, high):
    estimate = dedupe.sketch_similarity(dedupe.sketch(a)[1], dedupe.sketch(b)[1])
    assert low <= estimate <= high
    assert dedupe.sketch(a)[0] == dedupe.lsh_keys(a)


def test_sketch_floor_keeps_copies_at_the_threshold():
    """Bodies at similarity 0.70-0.75 (the threshold) are never left out by the sketch: 200 random edits."""
    rng = random.Random(7)
    words = "临汾市召开经济工作会议部署明年重点任务推进转型发展改革开放项目建设乡村振兴"
    base = "".join(rng.choice(words) for _ in range(600))
    kept = 0
    for _ in range(200):
        edited = list(base)
        for i in rng.sample(range(len(base)), 20):  # 0.71-0.75 Jaccard of 5-grams
            edited[i] = rng.choice("甲乙丙丁戊己庚辛壬癸")
        copy = "".join(edited)
        exact = dedupe.hashed_jaccard(dedupe.shingle_hashes(base), dedupe.shingle_hashes(copy))
        if exact >= dedupe.THRESHOLD:
            assert dedupe.sketch_similarity(dedupe.sketch(base)[1], dedupe.sketch(copy)[1]) >= FLOOR
            kept += 1
    assert kept > 50  # the edits do land around the threshold


def test_a_body_stored_without_a_sketch_is_still_compared(ds):
    """Bodies indexed before schema 12 may have no sketch (the migration computes them; a copy made by
    hand may not): they are compared exactly, as before."""
    ds.upsert_articles([art("a", STORY, "2021-07-21")], 1)
    ds.conn.execute("DELETE FROM article_sketch")
    ds.upsert_articles([art("b", STORY.replace("本报讯", "临汾新闻网讯"), "2021-07-22")], 1)
    assert dup_map(ds) == {"a": None, "b": "a"}


def test_migration_12_sketches_the_indexed_bodies(tmp_path):
    path = tmp_path / "v11.db"
    conn = old_dataset(path, 11)
    for url, body in (("a", STORY), ("b", OTHER), ("c", STORY)):
        conn.execute("INSERT INTO articles (url, site, body, published_at) VALUES (?, 'lfxww', ?, '2021-07-21')",
                     (url, body))
    for rowid in (1, 2):  # "c" is a copy of "a": copies are not indexed
        conn.executemany("INSERT INTO article_lsh (key, article) VALUES (?, ?)",
                         [(k, rowid) for k in dedupe.lsh_keys(STORY if rowid == 1 else OTHER)])
    # keys left for a body now too short to compare: no sketch, so it would still be compared exactly
    conn.execute("INSERT INTO articles (url, site, body, published_at) VALUES ('e', 'lfxww', '短', '2021-07-21')")
    conn.execute("INSERT INTO article_lsh (key, article) VALUES (1, 4)")
    conn.execute("PRAGMA user_version = 11")
    conn.commit()
    conn.close()
    with Dataset(path) as ds:
        assert ds.conn.execute("SELECT article, sketch FROM article_sketch").fetchall() == [
            (1, dedupe.sketch(STORY)[1]), (2, dedupe.sketch(OTHER)[1])]
        ds.upsert_articles([art("d", STORY.replace("本报讯", "临汾新闻网讯"), "2021-07-22")], 1)
        assert dup_map(ds)["d"] == "a"


def test_a_lower_threshold_lowers_the_sketch_floor_too(tmp_path):
    """`linfen dedupe --threshold 0.4` links bodies at similarity 0.4-0.5 whose sketches agree in less than
    0.45 of their values: the floor follows the threshold (found by a review: it was fixed at 0.45)."""
    rng = random.Random(11)
    words = "临汾市召开经济工作会议部署明年重点任务推进转型发展改革开放项目建设乡村振兴"
    pair = None
    for _ in range(400):  # invented pairs until one shares a band, is similar enough, and sketches low
        base = "".join(rng.choice(words) for _ in range(400))
        edited = list(base)
        for i in rng.sample(range(len(base)), 30):  # about 0.45 Jaccard of 5-grams
            edited[i] = rng.choice("甲乙丙丁戊己庚辛壬癸")
        copy = "".join(edited)
        exact = dedupe.hashed_jaccard(dedupe.shingle_hashes(base), dedupe.shingle_hashes(copy))
        estimate = dedupe.sketch_similarity(dedupe.sketch(base)[1], dedupe.sketch(copy)[1])
        if exact >= 0.4 and estimate < FLOOR and set(dedupe.lsh_keys(base)) & set(dedupe.lsh_keys(copy)):
            pair = base, copy
            break
    assert pair is not None
    with Dataset(tmp_path / "t.db") as ds:
        ds.upsert_articles([art("a", pair[0], "2021-07-21"), art("b", pair[1], "2021-07-22")], 1)
        assert dup_map(ds) == {"a": None, "b": None}  # under the default 0.7
        assert ds.dedupe_all(threshold=0.4)["duplicates"] == 1
        assert dup_map(ds) == {"a": None, "b": "a"}


WORDS = "临汾市召开经济工作会议部署明年重点任务推进转型发展改革开放项目建设乡村振兴尧都区城乡居民收入粮食丰收"


def stories(n: int, seed: int) -> list[str]:
    """``n`` invented bodies of 300 characters, unrelated to each other."""
    rng = random.Random(seed)
    return ["".join(rng.choice(WORDS) for _ in range(300)) for _ in range(n)]


def keys_in(ds: Dataset, table: str) -> set[tuple[int, int]]:
    return set(ds.conn.execute(f"SELECT key, article FROM {table}"))


def test_recent_keys_move_into_article_lsh_and_copies_are_found_in_both(ds, monkeypatch):
    """New keys gather in article_lsh_recent and move into article_lsh once there are LSH_RECENT_KEYS: a
    copy is linked to an original whose keys are in either table, and no key is lost on the way."""
    monkeypatch.setattr(storage, "LSH_RECENT_KEYS", 40)  # three bodies' keys
    bodies = stories(7, seed=3)
    ds.upsert_articles([art(f"o{i}", body, "2021-07-21") for i, body in enumerate(bodies[:5])], 1)
    indexed = {(k, rowid) for rowid, body in enumerate(bodies[:5], 1) for k in dedupe.lsh_keys(body)}
    assert keys_in(ds, "article_lsh") == indexed and not keys_in(ds, "article_lsh_recent")  # moved at the end
    ds.upsert_articles([art("o5", bodies[5], "2021-07-21")], 2)
    assert keys_in(ds, "article_lsh_recent") == {(k, 6) for k in dedupe.lsh_keys(bodies[5])}  # not yet: 16 < 40
    # a copy of an original in article_lsh, and of one in article_lsh_recent, in one batch with a new original
    ds.upsert_articles([art("c0", "本报讯 " + bodies[0], "2021-07-22"), art("c5", "本报讯 " + bodies[5], "2021-07-22"),
                        art("o6", bodies[6], "2021-07-22")], 3)
    assert dup_map(ds) == {**{f"o{i}": None for i in range(7)}, "c0": "o0", "c5": "o5"}
    assert keys_in(ds, "article_lsh") | keys_in(ds, "article_lsh_recent") == indexed | {
        (k, rowid) for rowid, body in ((6, bodies[5]), (9, bodies[6])) for k in dedupe.lsh_keys(body)}


def test_a_second_writer_finds_the_keys_the_first_one_wrote_and_moved(tmp_path, monkeypatch):
    """Two writers on one dataset (two crawls): each reads the other's new keys before it links, and starts
    its copy again when the other has moved them into article_lsh."""
    monkeypatch.setattr(storage, "LSH_RECENT_KEYS", 40)
    bodies = stories(6, seed=4)
    with Dataset(tmp_path / "t.db") as one, Dataset(tmp_path / "t.db") as two:
        one.upsert_articles([art("a", bodies[0], "2021-07-21")], 1)
        two.upsert_articles([art("a2", "本报讯 " + bodies[0], "2021-07-22")], 2)  # a's keys: article_lsh_recent
        one.upsert_articles([art(f"o{i}", body, "2021-07-21") for i, body in enumerate(bodies[1:4], 1)], 1)
        assert not keys_in(one, "article_lsh_recent")  # moved by the first writer
        one.upsert_articles([art("o4", bodies[4], "2021-07-21")], 1)
        two.upsert_articles([art("a3", "新华社讯 " + bodies[0], "2021-07-22"),  # a's keys: article_lsh now
                             art("o3c", "本报讯 " + bodies[3], "2021-07-22"),
                             art("o4c", "本报讯 " + bodies[4], "2021-07-22")], 2)  # o4's: recent, after the move
        assert {u: d for u, d in dup_map(two).items() if d} == {"a2": "a", "a3": "a", "o3c": "o3", "o4c": "o4"}
        assert two._recent.find(dedupe.lsh_keys(bodies[0]), 0) == []  # it no longer holds the moved keys


def test_a_failed_batch_leaves_the_writer_linking_as_before(ds):
    """A batch that fails halfway rolls back its keys; the writer's copy of them is dropped too, and the next
    batches link as if it had never been tried."""
    first, second = stories(2, seed=5)
    ds.upsert_articles([art("a", first, "2021-07-21")], 1)
    with pytest.raises(sqlite3.IntegrityError):
        ds.upsert_articles([art("b", second, "2021-07-21"), {**art("bad", OTHER, "2021-07-21"), "site": None}], 1)
    assert ds._recent.article == {} and ds._recent.others == {}
    ds.upsert_articles([art("a2", "本报讯 " + first, "2021-07-22"), art("c", second, "2021-07-22")], 1)
    ds.upsert_articles([art("c2", "本报讯 " + second, "2021-07-23")], 1)
    assert dup_map(ds) == {"a": None, "a2": "a", "c": None, "c2": "c"}
    assert keys_in(ds, "article_lsh_recent") == {(k, rowid) for rowid, body in ((1, first), (3, second))
                                                 for k in dedupe.lsh_keys(body)}


def test_a_batch_writes_one_full_text_segment(ds):
    """The keys' insert opens no savepoint: FTS5 writes its pending tokens out at every savepoint, which
    made one segment per article and doubled the cost of the full-text index."""
    ds.upsert_articles([art(f"o{i}", body, "2021-07-21") for i, body in enumerate(stories(40, seed=6))], 1)
    segments = ds.conn.execute("SELECT count(DISTINCT id >> 37) FROM articles_fts_data WHERE id >> 37 > 0")
    assert segments.fetchone()[0] == 1


def test_the_key_filter_holds_every_key_of_article_lsh_as_it_grows(tmp_path, monkeypatch):
    """A key of article_lsh that the filter did not hold would never be looked up (a copy lost): after moves
    that grow the filter twice, every key is held, by the writer's copy and by a copy read from the file.
    Keys never stored are mostly not held (a false positive costs one lookup)."""
    monkeypatch.setattr(storage, "LSH_RECENT_KEYS", 64)  # four bodies a move
    monkeypatch.setattr(storage, "LSH_FILTER_MIN_BITS", 1 << 12)  # grows past 512 keys: 32 bodies
    bodies = stories(60, seed=8)
    with Dataset(tmp_path / "t.db") as ds:
        for i in range(0, 60, 6):
            ds.upsert_articles([art(f"o{j}", bodies[j], "2021-07-21") for j in range(i, i + 6)], 1)
        stored = [k for (k,) in ds.conn.execute("SELECT key FROM article_lsh")]
        assert len(stored) >= 48 * 16
        assert ds._filter is not None and ds._filter.holding(stored) == stored
        assert len(ds._filter.bits) * 8 >= 48 * 16 * storage.LSH_FILTER_BITS_PER_KEY  # it grew
    with Dataset(tmp_path / "t.db") as ds:
        ds._sync_keys(ds.conn.cursor())
        assert ds._filter is not None and ds._filter.holding(stored) == stored
        never = [random.Random(9).getrandbits(63) for _ in range(2000)]
        assert len(ds._filter.holding(never)) < 2000 * 0.05
        # a copy of each of the first bodies, whose keys are in article_lsh: all found through the filter
        ds.upsert_articles([art(f"c{j}", "本报讯 " + bodies[j], "2021-07-22") for j in range(10)], 2)
        assert {u: d for u, d in dup_map(ds).items() if d} == {f"c{j}": f"o{j}" for j in range(10)}


def test_an_update_of_the_oldest_recent_body_keeps_the_others_in_the_writers_copy(ds):
    """Found by a review: updating the article whose keys are the oldest in article_lsh_recent deletes them,
    and the writer's copy was cleared but read again only above the rows it had: the other bodies' keys
    were in neither place, and their copies were not linked."""
    first, second, third = stories(3, seed=10)
    ds.upsert_articles([art("a", first, "2021-07-21"), art("b", second, "2021-07-21")], 1)
    ds.upsert_articles([art("a", third, "2021-07-21")], 1)  # a's first keys (the oldest rows) go
    ds.upsert_articles([art("b2", "本报讯 " + second, "2021-07-22"), art("a2", "本报讯 " + third, "2021-07-22")], 1)
    assert dup_map(ds) == {"a": None, "b": None, "b2": "b", "a2": "a"}


def test_keys_an_older_version_wrote_into_article_lsh_are_added_to_the_filter(tmp_path):
    """A crawl of schema 12 still running after another process upgraded the file writes keys straight into
    article_lsh: the next writer of this version adds the keys of articles newer than the filter's."""
    body = stories(1, seed=11)[0]
    with Dataset(tmp_path / "t.db") as ds:
        ds.upsert_articles([art("o", stories(1, seed=12)[0], "2021-07-20")], 1)
        conn = sqlite3.connect(tmp_path / "t.db")  # what the older version does with a new body
        rowid = conn.execute("INSERT INTO articles (url, site, body, published_at) VALUES ('old', 'lfxww', ?, "
                             "'2021-07-21')", (body,)).lastrowid
        conn.executemany("INSERT INTO article_lsh (key, article) VALUES (?, ?)",
                         [(k, rowid) for k in dedupe.lsh_keys(body)])
        conn.commit()
        conn.close()
        ds.upsert_articles([art("copy", "本报讯 " + body, "2021-07-22")], 1)
        assert dup_map(ds)["copy"] == "old"


def test_a_missing_filter_row_is_made_again_from_article_lsh(tmp_path, monkeypatch):
    """Migration 13 makes the filter's row; should it be gone (deleted by hand), the next writer makes the
    filter again from article_lsh instead of looking up nothing, and copies are still linked."""
    monkeypatch.setattr(storage, "LSH_RECENT_KEYS", 40)
    bodies = stories(4, seed=13)
    with Dataset(tmp_path / "t.db") as ds:
        ds.upsert_articles([art(f"o{i}", body, "2021-07-21") for i, body in enumerate(bodies)], 1)
        assert keys_in(ds, "article_lsh") and not keys_in(ds, "article_lsh_recent")
        with ds.conn:
            ds.conn.execute("DELETE FROM article_lsh_filter")
    with Dataset(tmp_path / "t.db") as ds:
        ds.upsert_articles([art(f"c{i}", "本报讯 " + body, "2021-07-22") for i, body in enumerate(bodies)], 2)
        assert {u: d for u, d in dup_map(ds).items() if d} == {f"c{i}": f"o{i}" for i in range(4)}
        assert ds.conn.execute("SELECT keys FROM article_lsh_filter WHERE id = 1").fetchone()[0] >= 4 * 16
