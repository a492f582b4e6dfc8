"""The dataset: schema, migrations, upserts and queries. The only module that writes SQL.

One SQLite file (WAL mode, so sqlite3 and Datasette can read while a crawl writes) with the tables of the
data contract in DESIGN.md: ``articles``, ``crawl_runs``, ``rejects``, ``article_versions`` and the
full-text index ``articles_fts``.

Chinese search: FTS5's tokenizers see a run of Chinese characters as one token (unicode61) or need three
characters (trigram), so neither finds 临汾 inside 临汾市. The index therefore indexes title and body as the
*pairs* of neighbouring characters of every CJK run, plus the run's last character (临汾市 → ``临汾 汾市 市``,
:func:`fts_text`): a two-character word is one token, a longer word the AND of its pairs, and one character
the prefix query ``汾*`` (every character of a run starts a token). Latin words and numbers stay whole.

The index is *contentless* (``content=''``, issue 16: no second, spaced copy of the text) and keeps no
positions (``detail=none``: rowids only, a third of the per-character index it replaced, migration 10).
Consequences, handled here:

- an article's old tokens are removed with FTS5's ``'delete'`` command, given the very values that were
  indexed: ``fts_text`` of the stored title and body (so :func:`fts_text` may only change together with a
  migration that indexes everything again);
- FTS5's ``snippet()``, ``bm25()`` and column filters (``title : …``) need positions or text: snippets are
  cut from ``articles.body`` (:func:`make_snippet`), title hits come from a second, small index of titles
  alone (``articles_title_fts``), and :meth:`Dataset.search` orders hits itself (title hits first, newest
  first);
- the pairs of a longer word may occur apart (尧都 … 都区 for 尧都区), so every hit is checked against the
  stored text (``instr``) and results are exact.
"""

from __future__ import annotations

import json
import logging
import operator
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linfen_crawler import dedupe
from linfen_crawler.diskfull import DiskFull, is_disk_full
from linfen_crawler.normalize import content_hash, utcnow

if TYPE_CHECKING:  # imported on use: sqlite-utils imports pandas when installed, 0.4 s of every start (issue 16)
    import sqlite_utils

logger = logging.getLogger(__name__)

ARTICLE_COLUMNS = (
    "url", "site", "site_name", "section", "title", "published_at", "published_text", "source", "authors",
    "editors", "body", "images", "content_hash", "first_seen_at", "crawled_at", "run_id", "extractor",
)
# issue 17: an e-paper article's edition and page; NULL on portal rows (migration 11)
EDITION_COLUMNS = ("edition_date", "page_no", "page_name", "kicker", "subtitle", "position")
STORED_COLUMNS = (*ARTICLE_COLUMNS, *EDITION_COLUMNS)
JSON_COLUMNS = ("authors", "editors", "images", "extractor", "position")
INTEGER_COLUMNS = ("run_id",)  # the one column of articles not declared TEXT
# columns one can read and export: the stored ones, the url of the earliest copy, and the publish day
READ_COLUMNS = (*ARTICLE_COLUMNS, "duplicate_of", "day", *EDITION_COLUMNS)
RUN_STATUSES = ("running", "finished", "degraded", "interrupted", "failed")

# Chinese (and Japanese kana, zhuyin) characters, paired by fts_text: only those unicode61 keeps in tokens
# (letters and numbers: 々〆〇, kana, zhuyin, the CJK ideographs and their extensions). Left out: the radicals'
# blocks (U+2E80–2FDF), the kana sound marks (U+3099–309C), ゠ and ・, which unicode61 treats as separators,
# so a pair holding one would be an empty term (tests/test_storage_fts.py checks every character here).
_CJK_RANGES = ("\u3005-\u3007\u3040-\u3098\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3100-\u312f"
               "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f")
_CJK_CHAR = re.compile(f"([{_CJK_RANGES}])")
_CJK_RUN = re.compile(f"([{_CJK_RANGES}]+)")
# a Latin word or number as unicode61 cuts it: letters and digits, not the underscore (punctuation to it)
_QUERY_TOKEN = re.compile(f"[{_CJK_RANGES}]+|[^\\W_{_CJK_RANGES}]+")


# A field "is there" when this SQL condition holds (field coverage in stats, report and Datasette).
COVERAGE_FIELDS = {
    "title": "title IS NOT NULL AND title != ''",
    "published_at": "published_at IS NOT NULL",
    "section": "section IS NOT NULL",
    "source": "source IS NOT NULL",
    "authors": "authors IS NOT NULL AND authors != '[]'",
    "editors": "editors IS NOT NULL AND editors != '[]'",
    "body": "body IS NOT NULL AND body != ''",
    "images": "images IS NOT NULL AND images != '[]'",
}

# Canned queries for Datasette (datasette/metadata.py) and for sqlite3 users (docs/search.md): name ->
# (title, description, SQL). `fts_query()`, `contains_terms()`, `in_title()` and `search_snippet()` are SQL
# functions the linfen Datasette plugin registers (datasette/plugin.py); its window of 2,000 is SEARCH_WINDOW.
ANALYST_QUERIES: dict[str, tuple[str, str, str]] = {
    "search": (
        "全文检索 Full-text search",
        "任意长度的中文词、英文词和数字：标题命中优先，再按入库时间从新到旧，附摘要。"
        "Chinese words of any length, Latin words and numbers, among the 2,000 most recently stored hits: "
        "those with the words in the title first, then newest first; with a snippet.",
        "SELECT url, site, section, title, published_at, source, search_snippet(body, :q) AS snippet, rank\n"
        "FROM (SELECT a.url, a.site, a.section, a.title, a.published_at, a.source, a.body,\n"
        "    row_number() OVER (ORDER BY in_title(a.title, :q) DESC, h.rowid DESC) AS rank\n"
        "  FROM (SELECT rowid FROM articles_fts WHERE articles_fts MATCH fts_query(:q)\n"
        "        ORDER BY rowid DESC LIMIT 2000) AS h\n"
        "  JOIN articles a ON a.rowid = h.rowid WHERE contains_terms(a.title, a.body, :q))\n"
        "WHERE rank <= 100 ORDER BY rank",
    ),
    "articles_per_site_day": (
        "每日文章数 Articles per site per day",
        "每个网站每天发布的文章数（按发布日期）。Articles per site and publish day, newest first.",
        "SELECT site, day, count(*) AS articles,\n  sum(duplicate_of IS NOT NULL) AS duplicates\n"
        "FROM articles WHERE day IS NOT NULL\nGROUP BY site, day ORDER BY day DESC, site",
    ),
    "top_sources": (
        "主要来源 Top sources",
        "最常见的来源（来源：…），以及其中转载副本的数量。The outlets most often credited as source.",
        "SELECT source, count(*) AS articles, count(DISTINCT site) AS sites,\n"
        "  sum(duplicate_of IS NOT NULL) AS duplicates, min(day) AS first, max(day) AS last\n"
        "FROM articles WHERE source IS NOT NULL\nGROUP BY source ORDER BY articles DESC LIMIT 100",
    ),
    "articles_missing_a_field": (
        "缺字段的文章 Articles missing a field",
        "缺少某个字段的文章：field 取 published_at、section、source、authors、editors、body 或 images。"
        "Articles without the given field (published_at, section, source, authors, editors, body, images).",
        "SELECT url, site, section, title, published_at, source, authors, editors FROM articles\n"
        "WHERE CASE :field\n"
        + "".join(f"  WHEN '{k}' THEN NOT ({v})\n" for k, v in COVERAGE_FIELDS.items() if k != "title")
        + "  ELSE 0 END\nORDER BY day DESC LIMIT 1000",
    ),
    "syndicated_copies": (
        "转载副本 Syndicated copies",
        "同一篇稿件在其他栏目或网站的转载副本，duplicate_of 指向最早的一篇。Near-duplicate copies of a "
        "story, each linked to the earliest copy.",
        "SELECT d.url, d.site, d.section, d.title, d.published_at, d.source, d.duplicate_of,\n"
        "  o.section AS original_section, o.published_at AS original_published_at\n"
        "FROM articles d JOIN articles o ON o.url = d.duplicate_of\nORDER BY d.day DESC, d.url",
    ),
}


LSH_PER_KEY = 8  # candidates read per LSH band key when linking a new body (Dataset._lsh_candidates)
# LSH keys gathered in `article_lsh_recent`, in the order they came, before they move into `article_lsh` in key
# order (Dataset._move_recent_keys; issue 16). Each of a body's 16 keys landed on a random page of `article_lsh`:
# at a million articles, 16 pages written per article, twice (WAL and checkpoint). Moved 262,144 keys (16,000
# bodies) at a time, about three keys share a page: 110 instead of 205 KB written an article at 1.2M
# (docs/performance.md), and the writer holds the recent keys in memory (about 20 MB) for its lookups.
LSH_RECENT_KEYS = 1 << 18
# A Bloom filter of the keys in `article_lsh` (`article_lsh_filter`, 4 bits set per key, at least 8 bits per
# key: under 3 % false positives): a key it does not hold is not looked up. At a million articles the 16
# lookups of a new body read 16 random pages of a 600 MB table, and almost every key is new (issue 16).
LSH_FILTER_PROBES = 4
LSH_FILTER_BITS_PER_KEY = 8
LSH_FILTER_MIN_BITS = 1 << 22  # 512 KB: a first move's keys at 8 bits and a quarter more
# SQLite's page cache per connection, in KiB (its default is 2 MB): the url index and the full-text index's
# upper levels stay in memory while a large dataset grows (issue 16), and a search finds them there
CACHE_KIB = 65536


class StorageError(RuntimeError):
    """The dataset cannot be opened or used; the message says why and what to do."""


class DatasetDiskFull(StorageError, DiskFull):
    """The dataset cannot be opened: its disk is full (SQLite cannot make or grow its ``-shm`` file)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        DiskFull.__init__(self, path)
        self.args = (f"cannot open {path}: the disk is full (disk_full); free space and run again",)

    def __reduce__(self) -> tuple[type[DatasetDiskFull], tuple[str]]:  # the writer process sends it back
        return type(self), (self.path,)


def fts_text(text: str | None) -> str:
    """Text as indexed in ``articles_fts``: each run of CJK characters as its overlapping pairs and its last
    character, space-separated (``临汾市`` → `` 临汾 汾市 市 ``); everything else as it is.

    Every CJK character of the text starts a token, so one character is found with a prefix query (``汾*``)
    and a two-character word is exactly one token (no phrase, so no positions need be kept). The
    contentless index removes an article's tokens by being given this text again ('delete'): changing this
    function needs a schema migration that indexes every article again (as migration 10 does).
    """
    parts = _CJK_RUN.split(text or "")
    for i in range(1, len(parts), 2):
        run = parts[i]  # its pairs are each character added to the next one (map runs in C: 7 % faster)
        parts[i] = " " + " ".join(map(operator.add, run, run[1:])) + " " + run[-1] + " "
    return "".join(parts)


# Bounds of a search query (issue 15): FTS5 works through every hit once per term of the expression, so the
# work grows with terms × hits, and a long query could tie up a reader for a minute.
MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 32
_NEGATION = ("-", "\uff0d")  # "-" and full-width "－" before a word exclude it


class QueryError(StorageError):
    """A search query that cannot be run: too long, too many words, or only excluded words."""


@contextmanager
def _fts_errors(query: str | None) -> Iterator[None]:
    """FTS5 refusing a query as one line naming it (:class:`QueryError`), not a traceback. A word of letters
    Python counts as one word but SQLite's Unicode 6.1 tables cut in two (U+19B0…) would be a phrase, which
    an index without positions refuses."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if query is None or not str(exc).startswith("fts5:"):
            raise
        raise QueryError(f"the query {query!r} cannot be searched ({exc}); leave out the unusual characters") from exc


def _cjk_expr(run: str) -> str:
    """The FTS5 expression of one run of CJK characters over :func:`fts_text`'s tokens: one character is a
    prefix query, two one token, a longer run the AND of its distinct pairs (checked against the text later)."""
    if len(run) == 1:
        return f'"{run}"*'
    pairs = " AND ".join(f'"{p}"' for p in dict.fromkeys(map(operator.add, run, run[1:])))
    return pairs if len(run) == 2 else f"({pairs})"


def _phrases(word: str) -> list[str]:
    """The FTS5 terms of one space-separated word: each CJK run (:func:`_cjk_expr`) and each Latin/number run."""
    return [_cjk_expr(t) if _CJK_CHAR.match(t) else f'"{t}"' for t in _QUERY_TOKEN.findall(word)]


def fts_query(query: str) -> str:
    """A user query as an FTS5 expression over :func:`fts_text`'s tokens, every word required (AND); a word
    written ``-词`` excludes the articles containing it (FTS5 ``NOT``). Repeated words count once.

    >>> fts_query("临汾 新闻 2024")
    '"临汾" AND "新闻" AND "2024"'
    >>> fts_query("尧都区 汾")
    '("尧都" AND "都区") AND "汾"*'
    >>> fts_query("临汾 -太原 -2024")
    '"临汾" NOT ("太原" OR "2024")'

    Returns ``""`` when the query has no searchable word; raises :class:`QueryError` (one line naming the
    limit) for a query longer than ``MAX_QUERY_CHARS`` characters, with more than ``MAX_QUERY_TERMS``
    different words (each run of Chinese characters, Latin letters or digits in a word counts once, however many
    pairs it has), or made only of excluded words.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query has {len(query)} characters; at most {MAX_QUERY_CHARS} are allowed")
    include: dict[str, None] = {}  # ordered sets: a repeated word is one term, not one more pass per row
    exclude: dict[str, int] = {}  # expression -> the words it excludes
    for word in query.split():
        negated = word.startswith(_NEGATION)
        phrases = _phrases(word[1:] if negated else word)
        if not phrases:
            continue
        if negated:
            exclude[phrases[0] if len(phrases) == 1 else "(" + " AND ".join(phrases) + ")"] = len(phrases)
        else:
            include.update(dict.fromkeys(phrases))
    terms = len(include) + sum(exclude.values())
    if terms > MAX_QUERY_TERMS:
        raise QueryError(f"the query has {terms} different words; at most {MAX_QUERY_TERMS} are allowed")
    if not include:
        if exclude:
            raise QueryError(f"the query {query!r} only excludes words (-词); add a word to find")
        return ""
    expr = " AND ".join(include)
    if exclude:
        keep = next(iter(include)) if len(include) == 1 else f"({expr})"
        drop = next(iter(exclude)) if len(exclude) == 1 else "(" + " OR ".join(exclude) + ")"
        expr = f"{keep} NOT {drop}"
    return expr


def query_terms(query: str) -> list[str]:
    """The runs of CJK characters and the Latin words/numbers a query asks for (not the excluded ones), in
    order, each once: what every hit must contain, and what a snippet marks.

    >>> query_terms("临汾市 271万吨 -太原 OK")
    ['临汾市', '271', '万吨', 'OK']
    """
    terms: dict[str, None] = {}
    for word in query.split():
        if not word.startswith(_NEGATION):
            terms.update(dict.fromkeys(_QUERY_TOKEN.findall(word)))
    return list(terms)


def _phrase_runs(query: str) -> list[str]:
    """The CJK runs of two or more characters among :func:`query_terms`: the index finds the pairs of a longer
    run also where they occur apart (尧都 … 都区), so each hit is checked to contain them as written."""
    return [t for t in query_terms(query) if len(t) > 1 and _CJK_CHAR.match(t)]


def contains_terms(title: str | None, body: str | None, query: str) -> bool:
    """Whether the title or the body contains each multi-character CJK run of the query as it is written
    (the exactness check of a full-text hit; registered as ``contains_terms()`` in Datasette)."""
    return all(run in (title or "") or run in (body or "") for run in _phrase_runs(query))


def in_title(title: str | None, query: str) -> bool:
    """Whether the title holds every term of the query (Latin words regardless of case): the Datasette
    ``search`` query lists these hits first (registered as ``in_title()``)."""
    low = (title or "").lower()
    return all(t.lower() in low for t in query_terms(query))


# `search` orders the most recently stored this many hits (Dataset.search explains why)
SEARCH_WINDOW = 2000
SNIPPET_CHARS = 64  # characters of body around the first hit (the old FTS snippet had 24 tokens)
_SNIPPET_LEAD = 16  # of them before the hit
_BLANKS = re.compile(r"\s+")


def make_snippet(body: str | None, query: str, chars: int = SNIPPET_CHARS) -> str:
    """About ``chars`` characters of ``body`` around the first occurrence of a query term, every occurrence
    marked 【like this】, ``…`` where the body is cut, blank runs shown as one space.

    >>> make_snippet("今天，临汾市召开会议。", "临汾 会议")
    '今天，【临汾】市召开【会议】。'

    The index keeps no text (it is contentless), so FTS5's ``snippet()`` has nothing to cut from: this reads
    the stored body. Latin words match regardless of case; a body without any term gives its beginning.
    """
    text = _BLANKS.sub(" ", body or "").strip()
    terms = sorted(query_terms(query), key=len, reverse=True)
    # a Latin word or number is a whole token, as in the index: "ok" is not marked inside "book"
    alts = [re.escape(t) if _CJK_CHAR.match(t) else f"(?<![^\\W{_CJK_RANGES}]){re.escape(t)}(?![^\\W{_CJK_RANGES}])"
            for t in terms]
    pattern = re.compile("|".join(alts), re.IGNORECASE) if alts else None
    first = pattern.search(text) if pattern else None
    start = max(0, first.start() - _SNIPPET_LEAD) if first else 0
    end = min(len(text), max(start + chars, first.end() if first else 0))
    part = text[start:end]
    if pattern:
        part = pattern.sub(lambda m: f"【{m.group(0)}】", part).replace("】【", "")
    return ("…" if start > 0 else "") + part + ("…" if end < len(text) else "")


def is_dataset(conn: sqlite3.Connection) -> bool:
    """Whether ``conn`` (any connection: Datasette's, read-only) holds a linfen dataset: the ``articles``
    table and its ``articles_fts`` index."""
    try:
        names = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE name IN ('articles', 'articles_fts')")}
    except sqlite3.Error:
        return False
    return names == {"articles", "articles_fts"}


def _rekey_lsh(conn: sqlite3.Connection) -> None:
    """Migration 4: the LSH keys of the indexed bodies under dedupe.py's current shingle hash.

    Schema 3 hashed shingles with blake2b; keys of the old hash never meet keys of the new one, so every
    body in ``article_lsh`` is keyed again (``duplicate_of`` links stay as they are).
    """
    urls = [u for (u,) in conn.execute("SELECT DISTINCT url FROM article_lsh")]
    conn.execute("DELETE FROM article_lsh")
    for url in urls:
        found = conn.execute("SELECT body FROM articles WHERE url = ?", (url,)).fetchone()
        keys = dedupe.lsh_keys(found[0]) if found else []
        conn.executemany("INSERT OR IGNORE INTO article_lsh (key, url) VALUES (?, ?)", [(k, url) for k in keys])


# The full-text index of title and body, and the small one of titles alone (the order of a search puts title
# hits first: FTS5 refuses column filters without positions). Contentless, without positions: fts_text's
# tokens and the rowids holding them, nothing else (migration 10).
FTS_SCHEMA = ("CREATE VIRTUAL TABLE {name} USING fts5(title, body, content='', detail=none, "
              "tokenize='unicode61 remove_diacritics 0')")
TITLE_FTS_SCHEMA = ("CREATE VIRTUAL TABLE {name} USING fts5(title, content='', detail=none, "
                    "tokenize='unicode61 remove_diacritics 0')")
# FTS5 merges segments once this many of one size have gathered (its default is 4). Each merge rewrites the
# tokens, so the rewrites an article gets grow with the number of levels, log_N of the dataset: with 16,
# half as many levels, and appending cost 0.93 ms an article at 10k and at 100k articles where 4 gave
# 1.07 -> 1.23 ms (docs/performance.md). A search visits a few more segments (up to 15 a level): no slower.
FTS_AUTOMERGE = 16
# ... and merges a size in one go, inside one write, once this many have gathered (default 16). Above
# FTS_AUTOMERGE, so that merges stay incremental: with 16 and 16 a batch now and then waited for a whole
# level's merge (390 ms at 30,000 articles, growing with the level); with 64 the slowest batch took 62 ms.
FTS_CRISISMERGE = 64


def _contentless_fts(conn: sqlite3.Connection) -> None:
    """Migration 5 (issue 16): the old ``articles_fts`` kept a spaced copy of every title and body
    (``articles_fts_content``, more than the articles themselves); it is dropped and replaced by an empty
    contentless index, which migration 10 fills (indexing once, not once per migration). Its pages go to
    the file's free list, reused by the next writes; ``VACUUM`` gives them back to the disk (docs/schema.md).
    """
    conn.execute("DROP TABLE IF EXISTS articles_fts")  # absent when re-indexing by hand (docs/schema.md)
    conn.execute(FTS_SCHEMA.format(name="articles_fts"))


def _pair_fts(conn: sqlite3.Connection) -> None:
    """Migration 10 (issue 16): ``articles_fts`` indexes pairs of characters without positions, and
    ``articles_title_fts`` the titles alone, both filled anew from ``articles``.

    The per-character index with positions (migrations 5–9) was nearly the size of the text itself; this one
    is about a third of it (docs/performance.md, tokenization table). Both are filled from the stored text
    through :func:`fts_text`, so they hold exactly the tokens a later 'delete' gives back, then merged into
    one segment each ('optimize'); later writes merge in steps of :data:`FTS_AUTOMERGE`. At a million
    articles this reads every title and body once (minutes, once per dataset).
    """
    conn.execute("DROP TABLE IF EXISTS articles_fts_new")
    conn.execute("DROP TABLE IF EXISTS articles_title_fts")
    conn.execute(FTS_SCHEMA.format(name="articles_fts_new"))
    conn.execute(TITLE_FTS_SCHEMA.format(name="articles_title_fts"))
    for name in ("articles_fts_new", "articles_title_fts"):  # kept in the table's config, renamed with it
        conn.execute(f"INSERT INTO {name} ({name}, rank) VALUES ('automerge', {FTS_AUTOMERGE})")
        conn.execute(f"INSERT INTO {name} ({name}, rank) VALUES ('crisismerge', {FTS_CRISISMERGE})")
    rows = conn.execute("SELECT rowid, title, body FROM articles ORDER BY rowid")
    while chunk := rows.fetchmany(2000):
        titles = [(rowid, fts_text(title)) for rowid, title, _ in chunk]
        bodies = [fts_text(body) for _, _, body in chunk]
        conn.executemany("INSERT INTO articles_fts_new (rowid, title, body) VALUES (?, ?, ?)",
                         [(rowid, title, body) for (rowid, title), body in zip(titles, bodies, strict=True)])
        conn.executemany("INSERT INTO articles_title_fts (rowid, title) VALUES (?, ?)", titles)
    for name in ("articles_fts_new", "articles_title_fts"):
        conn.execute(f"INSERT INTO {name} ({name}) VALUES ('optimize')")
    conn.execute("DROP TABLE IF EXISTS articles_fts")
    conn.execute("ALTER TABLE articles_fts_new RENAME TO articles_fts")


def _lsh_by_rowid(conn: sqlite3.Connection) -> None:
    """Migration 6 (issue 16): ``article_lsh(key, article)`` with the article's rowid instead of its url.

    The url was stored twice per key (primary key and the url index), 16 keys per body: 1.9 KB per article,
    13 % of a dataset. Rowids of articles never change (articles are never deleted). Skipped when the table
    has its new shape already (re-indexing by hand from schema 4, docs/schema.md).
    """
    if "url" not in {row[1] for row in conn.execute("PRAGMA table_info(article_lsh)")}:
        return
    conn.execute("CREATE TABLE article_lsh_new (key INTEGER NOT NULL, article INTEGER NOT NULL, "
                 "PRIMARY KEY (key, article)) WITHOUT ROWID")
    conn.execute("INSERT OR IGNORE INTO article_lsh_new SELECT l.key, a.rowid FROM article_lsh l "
                 "JOIN articles a ON a.url = l.url")
    conn.execute("DROP TABLE article_lsh")
    conn.execute("ALTER TABLE article_lsh_new RENAME TO article_lsh")
    conn.execute("CREATE INDEX article_lsh_article ON article_lsh(article)")


def _article_sketches(conn: sqlite3.Connection) -> None:
    """Migration 12 (issue 16): ``article_sketch``, the packed MinHash signature of each body indexed in
    ``article_lsh`` (``dedupe.sketch``), computed here for the bodies stored before (about 0.1 ms each)."""
    conn.execute("CREATE TABLE IF NOT EXISTS article_sketch (article INTEGER PRIMARY KEY, sketch BLOB NOT NULL)")
    rows = conn.execute("SELECT rowid, body FROM articles WHERE rowid IN (SELECT article FROM article_lsh) "
                        "AND rowid NOT IN (SELECT article FROM article_sketch) ORDER BY rowid")
    while batch := rows.fetchmany(1000):
        sketches = [(rowid, dedupe.sketch(body)[1]) for rowid, body in batch]
        conn.executemany("INSERT INTO article_sketch (article, sketch) VALUES (?, ?)", [s for s in sketches if s[1]])


def _rebuild_lsh_filter(cur: sqlite3.Cursor | sqlite3.Connection) -> _KeyFilter:
    """Make ``article_lsh_filter`` again from every key in ``article_lsh`` (migration 13, 16 s for 1.1 million
    articles; `linfen dedupe`; a move that would leave fewer than :data:`LSH_FILTER_BITS_PER_KEY` bits a key):
    a power of two of bits, at least that many a key and a quarter more (8 to 16 a key; 32 MB at a million
    articles). Returns the writer's copy of what it stored."""
    import numpy as np

    count = cur.execute("SELECT count(*) FROM article_lsh").fetchone()[0]
    bits = LSH_FILTER_MIN_BITS
    while bits < count * LSH_FILTER_BITS_PER_KEY * 5 // 4:
        bits *= 2
    row = cur.execute("SELECT generation FROM article_lsh_filter WHERE id = 1").fetchone()
    flt = _KeyFilter()
    flt.generation = row[0] if row else 0
    flt.bits = np.zeros(bits // 8, dtype=np.uint8)
    flt.max_article = cur.execute("SELECT coalesce(max(article), 0) FROM article_lsh").fetchone()[0]
    rows = cur.execute("SELECT key FROM article_lsh")
    while chunk := rows.fetchmany(1 << 16):
        flt.add(np.fromiter((k for (k,) in chunk), dtype=np.int64, count=len(chunk)))
    flt.save(cur)
    return flt


def _edition_columns(conn: sqlite3.Connection) -> None:
    """Issue 17: e-paper articles' edition date, page (版面) number and name, 引题, 副题 and position on the
    page image, as nullable columns (portal rows keep NULL), and the index behind an e-paper's next
    scheduled run (its last stored edition) and the edition filters. Can run twice."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
    for column in EDITION_COLUMNS:
        if column not in have:
            conn.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT")
    conn.execute("CREATE INDEX IF NOT EXISTS articles_site_edition ON articles(site, edition_date)")


_MIGRATIONS: dict[int, Sequence[str | Callable[[sqlite3.Connection], object]]] = {
    1: (
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
    ),
    # issue 4 (scheduled jobs): raw article pages for `linfen reextract`, takedowns found by --recheck
    2: (
        """CREATE TABLE raw_pages (
            url TEXT PRIMARY KEY, article_url TEXT NOT NULL, page INTEGER NOT NULL DEFAULT 1,
            site TEXT NOT NULL, run_id INTEGER, fetched_at TEXT NOT NULL, status INTEGER NOT NULL,
            final_url TEXT, headers TEXT, charset TEXT, compression TEXT NOT NULL DEFAULT 'zlib',
            size INTEGER NOT NULL DEFAULT 0, body BLOB)""",
        "CREATE INDEX raw_pages_article ON raw_pages(site, article_url, page)",
        "ALTER TABLE articles ADD COLUMN removed_at TEXT",
    ),
    # issue 6 (analysts): syndicated duplicates, and the publish day as a column for facets and GROUP BY
    3: (
        "ALTER TABLE articles ADD COLUMN duplicate_of TEXT",
        "CREATE INDEX articles_duplicate_of ON articles(duplicate_of)",
        "ALTER TABLE articles ADD COLUMN day TEXT GENERATED ALWAYS AS (substr(published_at, 1, 10)) VIRTUAL",
        # LSH band keys of each body's MinHash signature (dedupe.py): bodies sharing a key are candidates
        "CREATE TABLE article_lsh (key INTEGER NOT NULL, url TEXT NOT NULL, PRIMARY KEY (key, url)) WITHOUT ROWID",
        "CREATE INDEX article_lsh_url ON article_lsh(url)",
    ),
    # issue 8: shingles hashed with numpy (dedupe.text_signature) instead of blake2b: new LSH keys
    4: (_rekey_lsh,),
    # issue 16: a contentless full-text index (no second, spaced copy of every title and body)
    5: (_contentless_fts,),
    # issue 16: LSH keys point at the article's rowid instead of repeating its url twice per key
    6: (_lsh_by_rowid,),
    # issue 16: `linfen stats` and an incremental crawl's plan read an index, never the article rows (300k
    # articles, warm: stats 1.57 s -> 0.10 s, one site's 15k known URLs 42 -> 4 ms; the two cost ~1.3 % of the file)
    7: (
        "CREATE INDEX IF NOT EXISTS articles_site_url ON articles(site, url)",
        # it starts with (site, published_at), so it replaces that index; `day` is a virtual column, which an
        # index cannot cover for SQLite 3.40, so queries take substr(published_at, 1, 10) themselves
        "CREATE INDEX IF NOT EXISTS articles_site_stats "
        "ON articles(site, published_at, duplicate_of, source, authors, editors)",
        "DROP INDEX IF EXISTS articles_site_published",
    ),
    # issue 19: pages live in WARC files beside the dataset (linfen_crawler/archive); one pointer per capture.
    # ``raw_pages`` rows move there (raw.move_raw_pages, run by the next crawl or `linfen archive migrate`)
    8: (
        """CREATE TABLE IF NOT EXISTS captures (
            id INTEGER PRIMARY KEY, url TEXT NOT NULL, article_url TEXT NOT NULL, page INTEGER NOT NULL DEFAULT 1,
            site TEXT NOT NULL, run_id INTEGER, fetched_at TEXT NOT NULL, status INTEGER NOT NULL, final_url TEXT,
            record TEXT NOT NULL, digest TEXT NOT NULL, payload_id INTEGER, size INTEGER NOT NULL DEFAULT 0,
            warc_file TEXT NOT NULL, warc_offset INTEGER NOT NULL, warc_length INTEGER NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS captures_url ON captures(url, id)",
        "CREATE INDEX IF NOT EXISTS captures_article ON captures(site, article_url, page)",
    ),
    # issue 13: what site learning learned of each site (extract/learn.py SiteState as JSON), for later runs
    9: (
        """CREATE TABLE IF NOT EXISTS site_state (
            site TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL,
            pages INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)""",
    ),
    # issue 16: pairs of characters without positions (a third of the size), and a title index for the order
    10: (_pair_fts,),
    # issue 17: e-paper editions (数字报): edition date, page, kicker, subtitle, position
    11: (_edition_columns,),
    # issue 16: each indexed body's MinHash signature, so that a candidate sharing one band by chance is
    # dropped without reading its body (dedupe.SKETCH_MARGIN); computed for the bodies indexed before
    12: (_article_sketches,),
    # issue 16: new LSH keys gather in the order they come and move into article_lsh in key order, many at
    # a time (LSH_RECENT_KEYS): at a million articles, random writes into article_lsh were the write cost's growth
    13: (
        """CREATE TABLE IF NOT EXISTS article_lsh_recent (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, key INTEGER NOT NULL, article INTEGER NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS article_lsh_recent_article ON article_lsh_recent(article)",
        """CREATE TABLE IF NOT EXISTS article_lsh_filter (
            id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL, keys INTEGER NOT NULL,
            max_article INTEGER NOT NULL, bits BLOB NOT NULL)""",
        _rebuild_lsh_filter,
    ),
}


# Each schema change is one entry: version -> statements, applied in order in one transaction each.
SCHEMA_VERSION = max(_MIGRATIONS)


@dataclass(frozen=True)
class EditionFilter:
    """Issue 17: e-paper rows of editions ``first`` to ``last`` (``YYYY-MM-DD``, inclusive) and of one page,
    by number or name (``A3``, ``要闻``); portal rows have no edition, so any of these leaves them out."""

    first: str | None = None
    last: str | None = None
    page: str | None = None


_PAGE_NO = re.compile(r"([A-Za-z]*)0*(\d{1,3})")


def page_forms(page: str) -> list[str]:
    """The ways an e-paper writes page number ``page``: ``A3`` is also ``A03`` and ``A003`` (``a3`` too), as
    the issue's example has it and papers print it; anything else as written.

    >>> page_forms("a3")
    ['A3', 'A03', 'A003']
    """
    found = _PAGE_NO.fullmatch(page.strip())
    if not found:
        return [page]
    letters, number = found.group(1).upper(), found.group(2)
    return list(dict.fromkeys(letters + number.zfill(width) for width in (1, 2, 3) if width >= len(number)))


@dataclass
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_urls: list[str] = field(default_factory=list)  # issue 4: per-field coverage of new articles


@dataclass
class BatchResult:
    """What :meth:`Dataset.write_batch` wrote."""
    upsert: UpsertResult | None = None  # None: no articles, or their transaction failed
    removed: int = 0
    rejected: int = 0
    store_errors: int = 0  # articles recorded as store_error rejects instead


class _KeyFilter:
    """The writer's copy of ``article_lsh_filter``: a Bloom filter of the keys in ``article_lsh``.

    Bits ``(h1 + i * h2) mod m`` for ``i`` < :data:`LSH_FILTER_PROBES`, ``h1`` and ``h2`` the key's two 31-bit
    halves (the keys are hashes already). Keys only enter ``article_lsh`` by a move (or a rebuild), which sets
    their bits in the same transaction and counts a ``generation``; a writer reads the filter again when the
    generation it holds is not the stored one. Keys deleted by an update keep their bits: a false positive
    costs one lookup, a false negative would lose a copy, so bits are never cleared but by a rebuild.
    ``max_article`` is the newest article whose keys it holds: keys of newer articles in ``article_lsh`` were
    written by something else (a crawl of an older version still running after the upgrade), and
    :meth:`sync` adds them.
    """

    def __init__(self) -> None:
        import numpy as np  # not at the top: the analyst commands import this module (issue 16)

        self.np = np
        self.generation: int | None = None
        self.keys = 0
        self.max_article = 0
        self.bits = np.zeros(0, dtype=np.uint8)

    def sync(self, cur: sqlite3.Cursor) -> None:
        """Read the filter again if another writer changed it (its generation; the bits only then)."""
        row = cur.execute("SELECT generation FROM article_lsh_filter WHERE id = 1").fetchone()
        if row is None:  # made by migration 13; a missing row means a rebuild
            _rebuild_lsh_filter(cur)
            row = cur.execute("SELECT generation FROM article_lsh_filter WHERE id = 1").fetchone()
        if row[0] != self.generation:
            self.generation, self.keys, self.max_article, bits = cur.execute(
                "SELECT generation, keys, max_article, bits FROM article_lsh_filter WHERE id = 1").fetchone()
            self.bits = self.np.frombuffer(bits, dtype=self.np.uint8).copy()
        newest = cur.execute("SELECT max(article) FROM article_lsh").fetchone()[0]  # its index: one lookup
        if newest is not None and newest > self.max_article:
            outside = [k for (k,) in cur.execute("SELECT key FROM article_lsh WHERE article > ?", (self.max_article,))]
            self.add(outside)
            self.max_article = newest
            self.save(cur)

    def _positions(self, keys: Any) -> Any:
        np = self.np
        keys = np.asarray(keys, dtype=np.int64).astype(np.uint64)
        h1 = keys & np.uint64(0x7FFFFFFF)
        h2 = (keys >> np.uint64(31)) | np.uint64(1)
        probes = np.arange(LSH_FILTER_PROBES, dtype=np.uint64)
        return (h1[:, None] + probes[None, :] * h2[:, None]) & np.uint64(len(self.bits) * 8 - 1)

    def holding(self, keys: Sequence[int]) -> list[int]:
        """The keys that may be in ``article_lsh`` (all of them while no filter is loaded). A body's 16 keys
        in plain Python, the bits of :meth:`_positions` (numpy's set-up cost twice as much for so few)."""
        if not len(self.bits):
            return list(keys)
        bits, mask = self.bits, len(self.bits) * 8 - 1
        held = []
        for key in keys:
            h1, h2 = key & 0x7FFFFFFF, (key >> 31) | 1  # < 2**31 and < 2**32: no wrap, as in uint64
            for i in range(LSH_FILTER_PROBES):
                p = (h1 + i * h2) & mask
                if not bits[p >> 3] >> (p & 7) & 1:
                    break
            else:
                held.append(key)
        return held

    def add(self, keys: Any) -> None:
        if len(keys):
            pos = self._positions(keys).ravel()
            self.np.bitwise_or.at(self.bits, pos >> self.np.uint64(3),
                                  (self.np.uint8(1) << (pos & self.np.uint64(7)).astype(self.np.uint8)))
            self.keys += len(keys)

    def save(self, cur: sqlite3.Cursor | sqlite3.Connection) -> None:
        self.generation = (self.generation or 0) + 1
        cur.execute("INSERT OR REPLACE INTO article_lsh_filter (id, generation, keys, max_article, bits) "
                    "VALUES (1, ?, ?, ?, ?)", (self.generation, self.keys, self.max_article, self.bits.tobytes()))


def _seq_range(cur: sqlite3.Cursor) -> tuple[int | None, int | None]:
    """The first and last ``seq`` of ``article_lsh_recent`` (two index lookups: min and max in one SELECT
    would read the whole table)."""
    return cur.execute("SELECT (SELECT min(seq) FROM article_lsh_recent), "
                       "(SELECT max(seq) FROM article_lsh_recent)").fetchone()


class _RecentKeys:
    """A writer's copy of ``article_lsh_recent``: LSH key -> rowids of the articles holding it.

    Duplicate linking looks a new body's keys up in ``article_lsh`` with SQL and here in memory, so the
    recent keys cost no lookups of their own. The table only grows at its end (``seq``, AUTOINCREMENT) and
    is emptied when its keys move to ``article_lsh``, so :meth:`sync`, run under the write lock, reads what
    other writers added since this copy last looked, and reads it all again once rows it holds are gone.
    A key that an update deleted may stay here: it brings a candidate the exact comparison turns down.
    """

    def __init__(self) -> None:
        # the first article holding a key, and the others in the rare case of several (half the memory of a
        # list per key: about 20 MB at LSH_RECENT_KEYS)
        self.article: dict[int, int] = {}
        self.others: dict[int, list[int]] = {}
        self.first: int | None = None  # the smallest seq held, None when empty
        self.last = 0  # every row up to this seq is held

    def clear(self) -> None:
        self.article.clear()
        self.others.clear()
        self.first = None

    def reset(self) -> None:
        """Forget everything: the next :meth:`sync` reads the whole table (after a rollback)."""
        self.clear()
        self.last = 0

    def sync(self, cur: sqlite3.Cursor) -> None:
        low, high = _seq_range(cur)
        if low is None or (self.first is not None and low > self.first):
            # moved, or its oldest rows deleted by an update (the others stay): read it all again
            self.reset()
        if high is not None and high > self.last:
            self.first = low if self.first is None else self.first
            for key, article in cur.execute("SELECT key, article FROM article_lsh_recent WHERE seq > ?",
                                            (self.last,)):
                self._put(key, article)
        self.last = max(self.last, high or 0)

    def _put(self, key: int, article: int) -> None:
        held = self.article.setdefault(key, article)
        if held != article:
            self.others.setdefault(key, []).append(article)

    def add(self, keys: Sequence[int], article: int) -> None:
        for key in keys:
            self._put(key, article)

    def find(self, keys: Sequence[int], article: int) -> list[int]:
        """Articles other than ``article`` holding one of ``keys``, at most :data:`LSH_PER_KEY` per key."""
        found: list[int] = []
        for key in keys:
            held = self.article.get(key)
            if held is not None:
                found.extend([a for a in (held, *self.others.get(key, ())) if a != article][:LSH_PER_KEY])
        return found


class Dataset:
    """An open dataset. ``Dataset(path)`` creates or migrates the file; use as a context manager."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StorageError(f"no dataset at {self.path} (run `linfen crawl` or `linfen demo` first)")
        if self.path.is_dir():
            raise StorageError(f"{self.path} is a directory, not a dataset file")
        if create:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the folder for {self.path}: {exc.strerror}") from None
        try:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.OperationalError as exc:  # issue 5: a folder or file we may not write is not "no dataset"
            if is_disk_full(exc, self.path):  # issue 15: nor is a full disk (SQLite cannot make its -shm file)
                raise DatasetDiskFull(self.path) from None
            if "unable to open" not in str(exc):
                raise StorageError(f"{self.path} is not a linfen dataset (SQLite says: {exc})") from None
            if self.path.exists():
                why = "SQLite cannot open it, or cannot create its -wal/-shm files beside it"
            else:
                why = f"the folder {self.path.parent} is not writable"
            raise StorageError(f"cannot open {self.path}: {why} (check permissions, or use --db elsewhere)"
                               ) from None
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path} is not a linfen dataset (SQLite says: {exc})") from None
        if version > SCHEMA_VERSION:
            conn.close()
            raise StorageError(
                f"{self.path} has schema version {version}, newer than this linfen-crawler knows "
                f"({SCHEMA_VERSION}); upgrade linfen-crawler to open it")
        self.conn = conn
        self._recent = _RecentKeys()
        self._filter: _KeyFilter | None = None  # made on the first write (numpy: not for the analyst commands)
        try:
            if version < SCHEMA_VERSION:
                self._migrate(version)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as exc:
            conn.close()
            raise StorageError(f"cannot write to {self.path}: {exc}") from None

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils' view of the connection, made on use (its import costs every command 0.4 s)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # -- lifecycle ---------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled back when it
        raises, so a failed write never leaves the connection inside an open transaction."""
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            # SQLite has rolled back already after some errors (a full disk): a ROLLBACK would then raise
            # "no transaction is active" and hide the error that matters (issue 15)
            if self.conn.in_transaction:
                cur.execute("ROLLBACK")
            raise

    def _migrate(self, version: int) -> None:
        for target in sorted(v for v in _MIGRATIONS if v > version):
            with self.transaction() as cur:
                # read again under the write lock: a concurrent first run may have migrated meanwhile
                current = cur.execute("PRAGMA user_version").fetchone()[0]
                if current >= target:
                    continue
                if current == 0 and cur.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    raise StorageError(
                        f"{self.path} is an SQLite file but not a linfen dataset (it has other tables)")
                for step in _MIGRATIONS[target]:
                    if callable(step):
                        step(self.conn)
                    else:
                        cur.execute(step)
                cur.execute(f"PRAGMA user_version = {target}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ------------------------------------------------------------------------------------
    def upsert_articles(self, rows: Sequence[dict[str, Any]], run_id: int | None, *,
                        compare_fields: bool = False) -> UpsertResult:
        """Insert or update articles by url in one transaction; keep replaced versions; sync the index.

        A row counts as changed when its content hash differs; with ``compare_fields`` (``linfen reextract``)
        also when title, date, source, authors, editors or body differ under the same hash.
        """
        result = UpsertResult()
        if not rows:
            return result
        now = utcnow()
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            self._sync_keys(cur)
            for row in rows:
                rec = {k: row.get(k) for k in STORED_COLUMNS}
                for key in JSON_COLUMNS:
                    if not isinstance(rec[key], str | type(None)):
                        rec[key] = json.dumps(rec[key], ensure_ascii=False)
                rec["content_hash"] = rec["content_hash"] or content_hash(rec["title"], rec["body"])
                rec["crawled_at"] = rec["crawled_at"] or now
                rec["run_id"] = run_id
                old = cur.execute(
                    "SELECT rowid, content_hash, title, published_at, source, authors, editors, body, "
                    "crawled_at, run_id FROM articles WHERE url = ?", (rec["url"],)).fetchone()
                if old is None:
                    rec["first_seen_at"] = now
                    cols = ", ".join(STORED_COLUMNS)
                    marks = ", ".join("?" for _ in STORED_COLUMNS)
                    cur.execute(f"INSERT INTO articles ({cols}) VALUES ({marks})",
                                [rec[c] for c in STORED_COLUMNS])
                    rowid = cur.lastrowid
                    result.new += 1
                    result.new_urls.append(str(rec["url"]))
                elif old[1] == rec["content_hash"] and not (compare_fields and tuple(old[2:8]) != tuple(
                        rec[c] for c in ("title", "published_at", "source", "authors", "editors", "body"))):
                    cur.execute("UPDATE articles SET crawled_at = ?, run_id = ?, removed_at = NULL WHERE url = ?",
                                (rec["crawled_at"], run_id, rec["url"]))
                    result.unchanged += 1
                    continue
                else:
                    rowid = old[0]
                    cur.execute(
                        "INSERT INTO article_versions (url, content_hash, title, published_at, source, "
                        "authors, editors, body, crawled_at, run_id, replaced_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (rec["url"], old[1], old[2], old[3], old[4], old[5], old[6], old[7], old[8], old[9],
                         now))
                    changed = [c for c in ARTICLE_COLUMNS if c not in ("url", "first_seen_at")]
                    # issue 17: a record without edition fields (`linfen reextract` reads the article page
                    # alone) keeps the stored ones
                    sets = [c + " = ?" for c in changed] + [f"{c} = coalesce(?, {c})" for c in EDITION_COLUMNS]
                    cur.execute(f"UPDATE articles SET {', '.join(sets)}, removed_at = NULL WHERE url = ?",
                                [rec[c] for c in (*changed, *EDITION_COLUMNS)] + [rec["url"]])
                    # contentless index: its old tokens go by giving back the text that was indexed
                    old_title = fts_text(old[2])
                    cur.execute("INSERT INTO articles_fts (articles_fts, rowid, title, body) "
                                "VALUES ('delete', ?, ?, ?)", (rowid, old_title, fts_text(old[7])))
                    cur.execute("INSERT INTO articles_title_fts (articles_title_fts, rowid, title) "
                                "VALUES ('delete', ?, ?)", (rowid, old_title))
                    result.updated += 1
                title = fts_text(rec["title"])
                cur.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                            (rowid, title, fts_text(rec["body"])))
                cur.execute("INSERT INTO articles_title_fts (rowid, title) VALUES (?, ?)", (rowid, title))
                self._link_duplicates(cur, str(rec["url"]), rec["body"], fresh=old is None, rowid=rowid)
            self._move_recent_keys(cur)
            cur.execute("COMMIT")
        except BaseException:
            self._forget_keys()
            if self.conn.in_transaction:  # not after SQLite rolled back itself (a full disk, issue 15)
                cur.execute("ROLLBACK")
            raise
        return result

    # -- syndicated duplicates (dedupe.py) ----------------------------------------------------------
    def _link_duplicates(self, cur: sqlite3.Cursor, url: str, body: str | None,
                         threshold: float = dedupe.THRESHOLD, *, fresh: bool = False, rowid: int | None = None
                         ) -> int:
        """Link ``url`` with its near-duplicates (inside a transaction); returns how many bodies it compared.

        Every copy of a story points ``duplicate_of`` at the earliest copy, which has NULL. Only earliest
        copies (and former ones) are indexed in ``article_lsh``, so a new article is compared with at most a
        few members of each candidate group, however many copies a story has. ``article_lsh`` holds the
        article's rowid (schema 6), ``rowid`` when the caller has it.
        """
        if rowid is None:
            rowid = int(cur.execute("SELECT rowid FROM articles WHERE url = ?", (url,)).fetchone()[0])
        if not fresh:  # a row inserted just now has no keys and no duplicate_of yet (articles are never deleted)
            cur.execute("DELETE FROM article_lsh WHERE article = ?", (rowid,))
            cur.execute("DELETE FROM article_lsh_recent WHERE article = ?", (rowid,))
            cur.execute("DELETE FROM article_sketch WHERE article = ?", (rowid,))
            cur.execute("UPDATE articles SET duplicate_of = NULL WHERE url = ?", (url,))
        keys, sketch = dedupe.sketch(body)
        if not keys:
            return 0
        candidates = self._lsh_candidates(cur, keys, rowid, sketch, threshold)
        roots: set[str] = set()
        tried: dict[str, int] = {}
        # exact sets only for candidates, as hashes (issue 16: at 1M articles the candidates' string sets cost
        # 1 ms per article, most of the write cost's growth)
        mine = dedupe.shingle_hashes(body) if candidates else None
        for cand, root in candidates:
            if root in roots or tried.get(root, 0) >= 3:
                continue
            tried[root] = tried.get(root, 0) + 1
            found = cur.execute("SELECT body FROM articles WHERE url = ?", (cand,)).fetchone()
            if found and dedupe.hashed_jaccard(mine, dedupe.shingle_hashes(found[0])) >= threshold:
                roots.add(root)
        compared = sum(tried.values())
        if len(roots) == 1:
            (root,) = roots
            both = cur.execute("SELECT url, published_at, first_seen_at FROM articles WHERE url IN (?, ?)",
                               (root, url)).fetchall()
            if dedupe.earliest(both) == root:  # the common case: a later copy of a known story
                cur.execute("UPDATE articles SET duplicate_of = ? WHERE url = ?", (root, url))
                return compared
        # one statement for the 16 keys instead of 16 round trips through the sqlite3 module
        # OR IGNORE: a statement that could fail halfway opens a savepoint, and FTS5 writes its pending tokens
        # out at every savepoint, as a segment of one article (most of a write's cost when it did)
        cur.execute("INSERT OR IGNORE INTO article_lsh_recent (key, article) VALUES "
                    + ", ".join("(?, ?)" for _ in keys),
                    [v for k in keys for v in (k, rowid)])
        self._recent.add(keys, rowid)
        cur.execute("INSERT OR REPLACE INTO article_sketch (article, sketch) VALUES (?, ?)", (rowid, sketch))
        if roots:  # an earlier copy than the known ones, or a story that joins groups
            self._set_group(cur, {url, *roots})
        return compared

    def _lsh_candidates(self, cur: sqlite3.Cursor, keys: Sequence[int], rowid: int, sketch: bytes | None = None,
                        threshold: float = dedupe.THRESHOLD) -> list[tuple[str, str]]:
        """``(url, url of its earliest copy)`` of indexed bodies sharing an LSH key with article ``rowid``'s,
        at most :data:`LSH_PER_KEY` per key: a lookup in the writer's copy of ``article_lsh_recent``
        (:class:`_RecentKeys`), and an index lookup on ``article_lsh``'s primary key for the keys its Bloom
        filter holds (:class:`_KeyFilter`: almost every key of a new body is new).

        Given the body's ``sketch``, a candidate whose stored sketch agrees with it in a share of its values
        more than :data:`dedupe.SKETCH_MARGIN` below ``threshold`` is left out before its row is read: at a
        million articles most candidates share a single band by chance, and reading and hashing their bodies
        was the largest part of the write cost's growth (issue 16). A candidate without a sketch (stored before
        schema 12) stays, and is compared exactly.

        The bound keeps the cost of an insert flat: a band shared by thousands of unrelated bodies (a
        boilerplate notice) would otherwise bring thousands of rows into every insert that has it. A real
        copy shares several bands (at similarity 0.7 each band matches with probability 0.24, so 4 of 16 on
        average), so a crowded band rarely hides it.
        """
        one = f"SELECT * FROM (SELECT article FROM article_lsh WHERE key = ? AND article != ? LIMIT {LSH_PER_KEY})"
        assert self._filter is not None  # synced at the start of the write (_sync_keys)
        probed = self._filter.holding(keys)
        recent = self._recent.find(keys, rowid)
        if not probed and not recent:
            return []
        lookups = " UNION ALL ".join([one] * len(probed) + ["SELECT ? AS article"] * len(recent))
        found = cur.execute(
            f"SELECT DISTINCT l.article, s.sketch FROM ({lookups}) AS l "
            "LEFT JOIN article_sketch s ON s.article = l.article", [v for k in probed for v in (k, rowid)] + recent
        ).fetchall()
        floor = threshold - dedupe.SKETCH_MARGIN
        kept = [article for article, theirs in found if not sketch or not theirs
                or dedupe.sketch_similarity(sketch, theirs) >= floor]
        if not kept:
            return []
        return cur.execute(f"SELECT url, coalesce(duplicate_of, url) FROM articles WHERE rowid IN "
                           f"({', '.join('?' for _ in kept)})", kept).fetchall()

    def _sync_keys(self, cur: sqlite3.Cursor) -> None:
        """Read what other writers changed in ``article_lsh_recent`` and ``article_lsh_filter`` (under the
        write lock, before linking)."""
        if self._filter is None:
            self._filter = _KeyFilter()
        self._filter.sync(cur)
        self._recent.sync(cur)

    def _forget_keys(self) -> None:
        """After a rollback: the copies may hold keys of rolled-back rows and bits of a rolled-back move; the
        next write reads both again."""
        self._recent.reset()
        self._filter = None

    def _move_recent_keys(self, cur: sqlite3.Cursor) -> None:
        """Move ``article_lsh_recent`` into ``article_lsh`` in key order once it holds :data:`LSH_RECENT_KEYS`
        (inside the caller's transaction); in any case, note that this writer's copy holds every row."""
        low, high = _seq_range(cur)
        if low is not None and high is not None and high - low + 1 >= LSH_RECENT_KEYS:
            import numpy as np

            flt = self._filter
            assert flt is not None  # synced at the start of the transaction
            moved = np.array([k for (k,) in cur.execute("SELECT key FROM article_lsh_recent")], dtype=np.int64)
            newest = cur.execute("SELECT max(article) FROM article_lsh_recent").fetchone()[0]
            cur.execute("INSERT OR IGNORE INTO article_lsh (key, article) "
                        "SELECT key, article FROM article_lsh_recent ORDER BY key, article")
            cur.execute("DELETE FROM article_lsh_recent")
            if (flt.keys + len(moved)) * LSH_FILTER_BITS_PER_KEY > len(flt.bits) * 8:
                # twice the size, from article_lsh (which holds the moved keys now)
                self._filter = _rebuild_lsh_filter(cur)
            else:
                flt.add(moved)
                flt.max_article = max(flt.max_article, newest)
                flt.save(cur)
            self._recent.clear()
        elif self._recent.first is None:
            self._recent.first = low
        self._recent.last = max(self._recent.last, high or 0)

    def _set_group(self, cur: sqlite3.Cursor, roots: set[str]) -> None:
        """Merge the groups whose earliest copies are ``roots``: all point at the earliest of them."""
        marks = ", ".join("?" for _ in roots)
        members = cur.execute(
            f"SELECT url, published_at, first_seen_at FROM articles WHERE url IN ({marks}) "
            f"OR duplicate_of IN ({marks})", [*roots, *roots]).fetchall()
        first = dedupe.earliest(members)
        cur.executemany("UPDATE articles SET duplicate_of = ? WHERE url = ?",
                        [(None if u == first else first, u) for u, _, _ in members])

    def dedupe_all(self, threshold: float = dedupe.THRESHOLD) -> dict[str, int]:
        """Recompute ``duplicate_of`` (and the LSH index) for every article from scratch (``linfen dedupe``).

        Articles are taken earliest first, so each is compared with the earlier stories only. Returns
        ``{"articles", "compared", "groups", "duplicates"}``. Needed once for datasets stored before schema 3,
        or to apply another ``threshold``; crawls link copies as they store articles.
        """
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            cur.execute("DELETE FROM article_lsh")
            cur.execute("DELETE FROM article_lsh_recent")
            cur.execute("DELETE FROM article_sketch")
            self._recent.reset()
            self._filter = _rebuild_lsh_filter(cur)  # empty, at its smallest
            cur.execute("UPDATE articles SET duplicate_of = NULL WHERE duplicate_of IS NOT NULL")
            n = compared = 0
            # a second connection streams the articles (WAL: it reads the snapshot before this transaction)
            reader = sqlite3.connect(self.path)
            try:
                for rowid, url, body in reader.execute(
                        "SELECT rowid, url, body FROM articles "
                        "ORDER BY published_at IS NULL, published_at, first_seen_at, url"):
                    n += 1
                    compared += self._link_duplicates(cur, url, body, threshold, rowid=rowid)
                    if n % 1000 == 0:
                        self._move_recent_keys(cur)
            finally:
                reader.close()
            self._move_recent_keys(cur)
            groups, duplicates = cur.execute(
                "SELECT count(DISTINCT duplicate_of), count(duplicate_of) FROM articles").fetchone()
            cur.execute("COMMIT")
        except BaseException:
            self._forget_keys()
            if self.conn.in_transaction:  # not after SQLite rolled back itself (a full disk, issue 15)
                cur.execute("ROLLBACK")
            raise
        return {"articles": n, "compared": compared, "groups": groups, "duplicates": duplicates}

    def duplicate_groups(self, limit: int = 100) -> list[dict[str, Any]]:
        """Groups of copies, largest first: the earliest copy's url, title and site, and each copy's url."""
        sql = ("SELECT o.url, o.title, o.site, o.published_at, group_concat(d.url, ' ') FROM articles d "
               "JOIN articles o ON o.url = d.duplicate_of GROUP BY o.url ORDER BY count(*) DESC, o.url LIMIT ?")
        return [{"url": u, "title": t, "site": s, "published_at": p, "copies": (c or "").split()}
                for u, t, s, p, c in self.conn.execute(sql, (limit,))]

    def add_rejects(self, rows: Iterable[tuple[str, str, str | None]], run_id: int | None) -> int:
        """Record rejected pages ``(url, reason, detail)``; returns how many."""
        now = utcnow()
        data = [(run_id, url, reason, detail, now) for url, reason, detail in rows]
        if data:
            with self.transaction() as cur:
                cur.executemany(
                    "INSERT INTO rejects (run_id, url, reason, detail, seen_at) VALUES (?, ?, ?, ?, ?)", data)
        return len(data)

    def write_batch(self, articles: Sequence[dict[str, Any]], removed: Sequence[str],
                    rejects: Sequence[tuple[str, str, str | None]], run_id: int | None) -> BatchResult:
        """One flush of a crawl: its rejects, its takedowns, then its articles, each in a transaction.

        Rejects go first, so a failing article batch cannot take them down with it. When the articles'
        transaction fails (and rolls back), each of them is recorded as a ``store_error`` reject instead:
        a transient reason, so the next run fetches them again.
        """
        out = BatchResult()
        out.rejected = self.add_rejects(rejects, run_id) if rejects else 0
        out.removed = self.mark_removed(removed, run_id) if removed else 0
        if not articles:
            return out
        try:
            out.upsert = self.upsert_articles(articles, run_id)
        except sqlite3.Error as exc:
            if is_disk_full(exc, self.path):  # issue 15: the run ends; no store_error rejects to fill it further
                raise
            logger.error("storing %d articles failed: %s", len(articles), exc)
            failed = [(str(row["url"]), "store_error", f"{type(exc).__name__}: {exc}") for row in articles]
            out.rejected += self.add_rejects(failed, run_id)
            out.store_errors = len(failed)
        return out

    def start_run(self, site: str, pid: int | None = None) -> int:
        """Open a ``crawl_runs`` row (status running) for process ``pid`` (default: this one); mark dead
        earlier runs interrupted."""
        self.mark_interrupted(site)
        cur = self.conn.execute(
            "INSERT INTO crawl_runs (site, started_at, status, pid, host) VALUES (?, ?, 'running', ?, ?)",
            (site, utcnow(), pid or os.getpid(), os.uname().nodename))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, counts: dict[str, int], stats: dict[str, Any]) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        self.conn.execute(
            "UPDATE crawl_runs SET finished_at = ?, status = ?, pages = ?, articles_new = ?, "
            "articles_updated = ?, rejects = ?, errors = ?, stats = ? WHERE id = ?",
            (utcnow(), status, counts.get("pages", 0), counts.get("articles_new", 0),
             counts.get("articles_updated", 0), counts.get("rejects", 0), counts.get("errors", 0),
             json.dumps(stats, ensure_ascii=False, sort_keys=True, default=str), run_id))

    def mark_interrupted(self, site: str) -> int:
        """Runs of ``site`` still 'running' on this host whose process is gone become 'interrupted'."""
        host = os.uname().nodename
        rows = self.conn.execute(
            "SELECT id, pid FROM crawl_runs WHERE site = ? AND status = 'running' AND host = ?",
            (site, host)).fetchall()
        dead = [rid for rid, pid in rows if not _alive(pid)]
        for rid in dead:
            self.conn.execute("UPDATE crawl_runs SET status = 'interrupted', finished_at = ? WHERE id = ?",
                              (utcnow(), rid))
        return len(dead)

    # -- reads -------------------------------------------------------------------------------------
    def count(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        if table not in ("articles", "crawl_runs", "rejects", "article_versions"):
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT count(*) FROM {table} {where}", params).fetchone()[0])

    def _filters(self, site: str | None, since: str | None, until: str | None,
                 query: str | None, alias: str = "articles", dedupe: bool = False, exact: bool = True,
                 edition: EditionFilter | None = None) -> tuple[str, list[Any], str]:
        """``(join + WHERE clause, its parameters, the join)`` for these filters; with a ``query``, the rows
        also contain its words as written unless ``exact`` is False (:meth:`search` checks them itself)."""
        clauses, params, join = [], [], ""
        if edition is not None:  # issue 17: e-paper editions and pages
            if edition.first:
                clauses.append(f"{alias}.edition_date >= ?")
                params.append(edition.first)
            if edition.last:
                clauses.append(f"{alias}.edition_date <= ?")
                params.append(edition.last)
            if edition.page:
                forms = page_forms(edition.page)
                marks = ", ".join("?" * len(forms))
                clauses.append(f"({alias}.page_no IN ({marks}) OR {alias}.page_name = ?)")
                params += [*forms, edition.page]
        if dedupe:
            clauses.append(f"{alias}.duplicate_of IS NULL")
        if site:
            clauses.append(f"{alias}.site = ?")
            params.append(site)
        if since:
            clauses.append(f"substr({alias}.published_at, 1, 10) >= ?")
            params.append(since)
        if until:
            clauses.append(f"substr({alias}.published_at, 1, 10) <= ?")
            params.append(until)
        if query is not None:
            expr = fts_query(query)
            if not expr:
                raise StorageError(f"the query {query!r} has no searchable word")
            join = f" JOIN articles_fts ON articles_fts.rowid = {alias}.rowid"
            clauses.append("articles_fts MATCH ?")
            params.append(expr)
            for run in _phrase_runs(query) if exact else ():  # the word as written, not its pairs apart
                clauses.append(f"(instr({alias}.title, ?) > 0 OR instr({alias}.body, ?) > 0)")
                params += [run, run]
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return join + where, params, join

    def iter_articles(self, *, site: str | None = None, since: str | None = None, until: str | None = None,
                      query: str | None = None, columns: Sequence[str] = ARTICLE_COLUMNS, dedupe: bool = False,
                      edition: EditionFilter | None = None) -> Iterator[dict[str, Any]]:
        """Stream articles as dicts (JSON columns decoded), ordered by site, publish time and url.

        ``dedupe`` leaves out copies of a story stored earlier elsewhere (rows with ``duplicate_of``).
        """
        json_keys = [c for c in JSON_COLUMNS if c in columns]
        for row in self.iter_article_tuples(site=site, since=since, until=until, query=query, columns=columns,
                                            dedupe=dedupe, edition=edition):
            rec = dict(zip(columns, row, strict=True))
            for key in json_keys:
                if isinstance(rec[key], str):
                    rec[key] = json.loads(rec[key])
            yield rec

    def iter_article_tuples(self, *, site: str | None = None, since: str | None = None, until: str | None = None,
                            query: str | None = None, columns: Sequence[str] = ARTICLE_COLUMNS, dedupe: bool = False,
                            edition: EditionFilter | None = None, utf8: bool = False) -> Iterator[tuple[Any, ...]]:
        """Like :meth:`iter_articles`, as tuples in ``columns`` order with JSON columns as stored (fastest).

        ``utf8``: text comes as the stored UTF-8 bytes instead of ``str`` (``run_id`` stays an int, NULL None),
        for a writer that writes UTF-8 anyway: decoding the text was half the time of reading a row (issue 16).
        In a file whose text is not stored as UTF-8 (``PRAGMA encoding``, fixed when the file was made; linfen
        makes UTF-8) text comes as ``str`` all the same.
        """
        bad = [c for c in columns if c not in READ_COLUMNS]
        if bad:
            raise StorageError(f"unknown column {bad[0]!r} (columns: {', '.join(READ_COLUMNS)})")
        utf8 = utf8 and self.conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"
        where, params, _ = self._filters(site, since, until, query, dedupe=dedupe, edition=edition)
        cols = ", ".join(f"articles.{c}" if not utf8 or c in INTEGER_COLUMNS else f"CAST(articles.{c} AS BLOB)"
                         for c in columns)
        with _fts_errors(query):
            rows = self.conn.execute(
                f"SELECT {cols} FROM articles{where} ORDER BY articles.site, articles.published_at, articles.url",
                params)
            yield from rows

    def count_articles(self, *, site: str | None = None, since: str | None = None, until: str | None = None,
                       query: str | None = None, dedupe: bool = False, edition: EditionFilter | None = None) -> int:
        """How many articles :meth:`iter_articles` yields with these filters."""
        where, params, _ = self._filters(site, since, until, query, dedupe=dedupe, edition=edition)
        with _fts_errors(query):
            return int(self.conn.execute(f"SELECT count(*) FROM articles{where}", params).fetchone()[0])

    def search(self, query: str, *, site: str | None = None, since: str | None = None,
               until: str | None = None, limit: int = 20, dedupe: bool = False,
               window: int | None = None) -> list[dict[str, Any]]:
        """Full-text search, best ``limit`` hits first, each with a snippet and its ``rank`` (1 = first).

        The order: among the ``window`` most recently stored hits (default :data:`SEARCH_WINDOW`), those with
        every word in the title first, then the others, each newest stored first; then the next ``window``
        hits in the same way, while fewer than ``limit`` exact hits were found. Why: the index keeps no
        positions (a third of the size, docs/performance.md), so FTS5 has no bm25 to offer; and weighing
        every hit would read every hit, which for a frequent word (中国: most of a million articles) costs
        seconds. The index hands out hits newest first at no cost, and the title index finds title hits
        among them. Every hit contains the query's words as written (docs/search.md).
        """
        window = max(limit, window or SEARCH_WINDOW)
        clause, params, join = self._filters(site, since, until, query, dedupe=dedupe, exact=False)
        if site or since or until or dedupe:
            source, where = "articles" + join, clause[len(join):] + " AND articles_fts.rowid < ?"
        else:  # the index alone: no article row is read to choose the hits
            source, where = "articles_fts", " WHERE articles_fts MATCH ? AND articles_fts.rowid < ?"
            params = params[-1:]
        include = fts_query(" ".join(w for w in query.split() if not w.startswith(_NEGATION)))
        # the title index finds the pairs of a longer word also apart: such title hits are checked
        loose = any(len(run) > 2 for run in _phrase_runs(query))
        out: list[dict[str, Any]] = []
        below = (1 << 63) - 1  # the largest rowid SQLite has
        with _fts_errors(query):
            while True:
                ids = [r for (r,) in self.conn.execute(
                    f"SELECT articles_fts.rowid FROM {source}{where} ORDER BY articles_fts.rowid DESC LIMIT ?",
                    [*params, below, window])]
                if not ids:
                    return out
                # within the window's rowids: FTS5 skips the older ones, so this costs the window
                window_ids = set(ids)
                titled = [r for (r,) in self.conn.execute(
                    "SELECT rowid FROM articles_title_fts WHERE articles_title_fts MATCH ? AND rowid >= ? "
                    "AND rowid < ? ORDER BY rowid DESC", (include, ids[-1], below)) if r in window_ids]
                if loose and titled:
                    marks = ", ".join("?" * len(titled))
                    exact = {r for r, t in self.conn.execute(
                        f"SELECT rowid, title FROM articles WHERE rowid IN ({marks})", titled) if in_title(t, query)}
                    titled = [r for r in titled if r in exact]
                first = set(titled)
                # in that order, each checked against the text (the pairs of a longer word may occur apart):
                # only the bodies of the hits shown, and of the rare false hits among them, are read
                for rowid in titled + [r for r in ids if r not in first]:
                    url, site_, title, published_at, source_, body = self.conn.execute(
                        "SELECT url, site, title, published_at, source, body FROM articles WHERE rowid = ?",
                        (rowid,)).fetchone()
                    if not contains_terms(title, body, query):
                        continue
                    out.append({"url": url, "site": site_, "title": title, "published_at": published_at,
                                "source": source_, "snippet": make_snippet(body, query), "rank": len(out) + 1})
                    if len(out) == limit:
                        return out
                if len(ids) < window:
                    return out
                below = ids[-1]

    def site_stats(self, dedupe: bool = False) -> list[dict[str, Any]]:
        """Per site: articles, first/last publish date, the share of articles having each field, and how
        many are copies of a story stored earlier (``duplicates``; with ``dedupe`` those are left out)."""
        fields = ("published_at", "source", "authors", "editors")
        shares = ", ".join(f"avg({COVERAGE_FIELDS[f]})" for f in fields)
        # every column read is in articles_site_stats (migration 7): the query never touches the article rows
        # (the first and last day are the prefixes of the first and last published_at, as the order of
        # strings keeps). Copies are counted over the whole site, also when --dedupe leaves them out.
        sql = f"""SELECT site, count(*), substr(min(published_at), 1, 10), substr(max(published_at), 1, 10), {shares},
                   (SELECT count(*) FROM articles AS d INDEXED BY articles_site_stats
                    WHERE d.site = a.site AND d.duplicate_of IS NOT NULL)
                 FROM articles AS a INDEXED BY articles_site_stats {"WHERE duplicate_of IS NULL" if dedupe else ""}
                 GROUP BY site ORDER BY site"""
        keys = ("site", "articles", "first", "last", "published_at", "source", "authors", "editors", "duplicates")
        return [dict(zip(keys, row, strict=True)) for row in self.conn.execute(sql)]

    # -- analyst views (report.py, Datasette canned queries) -----------------------------------------
    def per_site_day(self, dedupe: bool = False) -> list[tuple[str, str, int]]:
        """(site, day, articles) for every day with articles, oldest first."""
        where = "WHERE published_at IS NOT NULL" + (" AND duplicate_of IS NULL" if dedupe else "")
        # substr(published_at, 1, 10) is the `day` column, read from the stats index (migration 7)
        sql = (f"SELECT site, substr(published_at, 1, 10) AS d, count(*) FROM articles INDEXED BY articles_site_stats"
               f" {where} GROUP BY site, d ORDER BY d, site")
        return [(s, d, n) for s, d, n in self.conn.execute(sql)]

    def recent_days(self, days: int, dedupe: bool = False) -> list[tuple[str, str, int]]:
        """:meth:`per_site_day` for the ``days`` most recent days with articles only (`linfen stats`): each
        site's index is read backwards from its newest article, so the cost follows the days shown, not the
        dataset (at 1M articles 0.46 s for every day -> a few ms)."""
        if days <= 0:
            return []
        dup = " AND duplicate_of IS NULL" if dedupe else ""
        sites = [r[0] for r in self.conn.execute("SELECT DISTINCT site FROM articles INDEXED BY articles_site_stats")]
        found: set[str] = set()
        for site in sites:  # each site's latest `days` days: together they hold the latest `days` of all
            mine: set[str] = set()
            cur = self.conn.execute(
                "SELECT substr(published_at, 1, 10) FROM articles INDEXED BY articles_site_stats WHERE site = ? "
                f"AND published_at IS NOT NULL{dup} ORDER BY published_at DESC", (site,))
            for (day,) in cur:
                if day not in mine and len(mine) == days:
                    break
                mine.add(day)
            cur.close()
            found |= mine
        latest = sorted(found)[-days:]
        if not latest:
            return []
        out = []
        for site in sites:
            out += [(site, d, n) for d, n in self.conn.execute(
                "SELECT substr(published_at, 1, 10) AS d, count(*) FROM articles INDEXED BY articles_site_stats "
                f"WHERE site = ? AND published_at >= ?{dup} GROUP BY d", (site, latest[0]))
                if d in latest]
        return sorted(out, key=lambda r: (r[1], r[0]))

    def top_values(self, column: str, limit: int = 20, dedupe: bool = False) -> list[tuple[str, int]]:
        """The most frequent values of ``source``, ``section`` or a JSON list column (``authors``, ``editors``)."""
        where = "WHERE duplicate_of IS NULL" if dedupe else ""
        if column in ("authors", "editors"):
            sql = (f"SELECT j.value, count(*) FROM articles, json_each(articles.{column}) AS j {where} "
                   "GROUP BY j.value ORDER BY count(*) DESC, j.value LIMIT ?")
        elif column in ("source", "section", "site"):
            cond = f"{where} {'AND' if where else 'WHERE'} {column} IS NOT NULL"
            sql = f"SELECT {column}, count(*) FROM articles {cond} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?"
        else:
            raise ValueError(column)
        return [(v, n) for v, n in self.conn.execute(sql, (limit,))]

    def field_coverage(self, dedupe: bool = False) -> list[dict[str, Any]]:
        """Per site, the share (0–1) of articles having each field of :data:`COVERAGE_FIELDS`."""
        shares = ", ".join(f"avg({cond})" for cond in COVERAGE_FIELDS.values())
        where = "WHERE duplicate_of IS NULL" if dedupe else ""
        sql = f"SELECT site, count(*), {shares} FROM articles {where} GROUP BY site ORDER BY site"
        keys = ("site", "articles", *COVERAGE_FIELDS)
        return [dict(zip(keys, row, strict=True)) for row in self.conn.execute(sql)]

    def run_sites(self) -> list[str]:
        """Every site that has a crawl run, sorted."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT site FROM crawl_runs ORDER BY site")]

    def last_runs(self, limit: int = 10, site: str | None = None) -> list[dict[str, Any]]:
        sql = ("SELECT id, site, started_at, finished_at, status, pages, articles_new, articles_updated, "
               "rejects, errors FROM crawl_runs" + (" WHERE site = ?" if site else "") + " ORDER BY id DESC LIMIT ?")
        cur = self.conn.execute(sql, (site, limit) if site else (limit,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    # -- scheduled jobs (issue 4): incremental state, run history, takedowns, raw pages --------------------
    def seen_pages(self, site: str) -> tuple[set[str], list[tuple[str, str, str | None]]]:
        """(urls of the site's stored articles, ``(url, reason, detail)`` of its rejected pages): what a
        run may skip."""
        articles = {r[0] for r in self.conn.execute("SELECT url FROM articles WHERE site = ?", (site,))}
        rejects = self.conn.execute(
            "SELECT DISTINCT rejects.url, rejects.reason, rejects.detail FROM rejects JOIN crawl_runs ON "
            "crawl_runs.id = rejects.run_id WHERE crawl_runs.site = ?", (site,)).fetchall()
        return articles, [(u, r, d) for u, r, d in rejects]

    def last_run(self, site: str) -> dict[str, Any] | None:
        """The site's most recent ``crawl_runs`` row (stats decoded), or None."""
        runs = self.run_history(site, limit=1, statuses=RUN_STATUSES)
        return runs[0] if runs else None

    def run_history(self, site: str, *, limit: int = 5, statuses: Sequence[str] = ("finished", "degraded"),
                    before_id: int | None = None) -> list[dict[str, Any]]:
        """The site's last ``limit`` runs with one of ``statuses``, newest first, ``stats`` decoded."""
        marks = ", ".join("?" for _ in statuses)
        sql = (f"SELECT * FROM crawl_runs WHERE site = ? AND status IN ({marks})"
               + (" AND id < ?" if before_id is not None else "") + " ORDER BY id DESC LIMIT ?")
        params: list[Any] = [site, *statuses, *([before_id] if before_id is not None else []), limit]
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        out = []
        for row in cur.fetchall():
            rec = dict(zip(names, row, strict=True))
            try:
                rec["stats"] = json.loads(rec["stats"]) if rec["stats"] else {}
            except ValueError:
                rec["stats"] = {}
            out.append(rec)
        return out

    def has_editions(self, site: str | None = None) -> bool:
        """Whether any (or ``site``'s) stored article is an e-paper's, with an edition date (issue 17). Asked
        site by site (the sites that ran), so the (site, edition_date) index answers without a scan."""
        sql = "SELECT 1 FROM articles WHERE site = ? AND edition_date IS NOT NULL LIMIT 1"
        return any(self.conn.execute(sql, (s,)).fetchone() for s in ([site] if site else self.run_sites()))

    def edition_restart(self, site: str) -> tuple[str, str] | None:
        """The day a scheduled run of an e-paper ``site`` starts from and why (issue 17), or None when nothing
        is stored.

        The newest stored edition, unless a run stopped before it had walked its range (killed, interrupted,
        failed): editions finish out of order, so an older day may still miss articles. Then it is the last
        day a *finished* run walked up to (its ``linfen/epaper/range``), or, if no run ever finished, the oldest
        stored edition. Known articles are not fetched again, so walking a day twice costs its pages only.
        """
        last, oldest = self.conn.execute(
            "SELECT max(edition_date), min(edition_date) FROM articles WHERE site = ?", (site,)).fetchone()
        if last is None:
            return None
        done = self.conn.execute(  # "YYYY-MM-DD..YYYY-MM-DD": the end is from the 13th character on
            "SELECT max(substr(json_extract(stats, '$.\"linfen/epaper/range\"'), 13)) FROM crawl_runs "
            "WHERE site = ? AND status = 'finished' AND json_valid(stats)", (site,)).fetchone()[0]
        if done is None:
            return oldest, "no run has finished its range yet: from the oldest stored edition"
        if done < last:
            return done, f"an unfinished run: from {done}, the last day a finished run reached"
        return last, f"since the last stored edition, {last}"

    def recent_articles(self, site: str, since_day: str) -> list[tuple[str, str | None]]:
        """``(url, section)`` of the site's articles published on or after ``since_day`` and not removed."""
        return [(u, s) for u, s in self.conn.execute(
            "SELECT url, section FROM articles WHERE site = ? AND substr(published_at, 1, 10) >= ? "
            "AND removed_at IS NULL ORDER BY published_at DESC", (site, since_day))]

    def mark_removed(self, urls: Iterable[str], run_id: int | None) -> int:
        """Articles that answered 404/410 on a recheck keep their row and get ``removed_at`` (once)."""
        now = utcnow()
        data = [(now, run_id, url) for url in urls]
        if not data:
            return 0
        n = 0
        with self.transaction() as cur:
            for row in data:
                n += cur.execute(
                    "UPDATE articles SET removed_at = ?, run_id = ? WHERE url = ? AND removed_at IS NULL",
                    row).rowcount
        return n

    # -- pages: WARC captures (issue 19) and the raw_pages table they replace --------------------------------
    CAPTURE_COLUMNS = ("url", "article_url", "page", "site", "run_id", "fetched_at", "status", "final_url",
                       "record", "digest", "payload_id", "size", "warc_file", "warc_offset", "warc_length")

    def _insert_captures(self, cur: sqlite3.Cursor, rows: Sequence[dict[str, Any]]) -> None:
        cols = self.CAPTURE_COLUMNS
        cur.executemany(f"INSERT INTO captures ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                        [[r.get(c) for c in cols] for r in rows])

    def capture_files(self, site: str) -> list[str]:
        """The archive's WARC files (names inside the archive folder) that hold captures of ``site``."""
        return [f for (f,) in self.conn.execute(
            "SELECT DISTINCT warc_file FROM captures WHERE site = ? ORDER BY warc_file", (site,))]

    def add_captures(self, rows: Sequence[dict[str, Any]]) -> int:
        """Record pointers to captures already written to the archive (every capture kept: rows are only
        ever added)."""
        if not rows:
            return 0
        with self.transaction() as cur:
            self._insert_captures(cur, rows)
        return len(rows)

    def last_capture(self, url: str) -> dict[str, Any] | None:
        """The latest capture of a page URL with its payload's capture (``payload_*``: itself, or the
        response a revisit refers to), or None."""
        cur = self.conn.execute(
            "SELECT c.id, c.digest, c.status, coalesce(c.payload_id, c.id), p.final_url, p.fetched_at "
            "FROM captures c JOIN captures p ON p.id = coalesce(c.payload_id, c.id) "
            "WHERE c.url = ? ORDER BY c.id DESC LIMIT 1", (url,))
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip(("id", "digest", "status", "payload_id", "payload_url", "payload_fetched_at"), row,
                        strict=True))

    def iter_captures(self) -> Iterator[dict[str, Any]]:
        """Every capture with the pointer of its payload (``payload_file``/``_offset``/``_length``/``_digest``:
        its own record's, or for a revisit the response it refers to), in the order written."""
        cur = self.conn.execute(
            "SELECT c.*, p.warc_file AS payload_file, p.warc_offset AS payload_offset, "
            "p.warc_length AS payload_length, p.digest AS payload_digest, p.record AS payload_record "
            "FROM captures c LEFT JOIN captures p ON p.id = coalesce(c.payload_id, c.id) ORDER BY c.id")
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row, strict=True))

    def capture_articles(self, site: str | None = None) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
        """Per article URL: ``(article_url, {page url: its latest capture})``, pages in order; each row
        carries the pointer of its payload (a revisit's is the response it refers to)."""
        sql = ("SELECT c.url, c.article_url, c.page, c.site, c.fetched_at, c.status, c.final_url, "
               "p.warc_file AS payload_file, p.warc_offset AS payload_offset, p.warc_length AS payload_length "
               "FROM captures c JOIN captures p ON p.id = coalesce(c.payload_id, c.id) "
               "WHERE c.id IN (SELECT max(id) FROM captures GROUP BY url)" + (" AND c.site = ?" if site else "")
               + " ORDER BY c.site, c.article_url, c.page")
        cur = self.conn.execute(sql, (site,) if site else ())
        names = [d[0] for d in cur.description]
        current: str | None = None
        group: dict[str, dict[str, Any]] = {}
        for row in cur:
            rec = dict(zip(names, row, strict=True))
            if rec["article_url"] != current:
                if current is not None:
                    yield current, group
                current, group = rec["article_url"], {}
            group[rec["url"]] = rec
        if current is not None:
            yield current, group

    @staticmethod
    def article_captures(conn: sqlite3.Connection, url: str) -> list[dict[str, Any]]:
        """Every capture of the article ``url`` (its first page's URL; or of the single page ``url``), oldest
        first, each with the pointer of its payload (``payload_*``, as :meth:`iter_captures`). A static
        method on a plain connection: `linfen serve` runs it on Datasette's own read connection."""
        cur = conn.execute(
            "SELECT c.*, p.warc_file AS payload_file, p.warc_offset AS payload_offset, "
            "p.warc_length AS payload_length, p.record AS payload_record "
            "FROM captures c LEFT JOIN captures p ON p.id = coalesce(c.payload_id, c.id) "
            "WHERE c.id IN (SELECT id FROM captures WHERE url = :u UNION SELECT id FROM captures "
            "WHERE site IN (SELECT site FROM captures WHERE url = :u) AND article_url = :u) "
            "ORDER BY c.page, c.id", {"u": url})  # both halves by index: captures_url, captures_article
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    def has_raw_pages(self) -> bool:
        """Whether the table of pages kept inside the dataset (before issue 19) is still there."""
        return self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'raw_pages'").fetchone() is not None

    def add_raw_pages(self, rows: Sequence[dict[str, Any]]) -> int:
        """Rows of the ``raw_pages`` table as releases before issue 19 kept them (tests build old datasets
        with it); a crawl writes captures (:meth:`add_captures`)."""
        cols = ("url", "article_url", "page", "site", "run_id", "fetched_at", "status", "final_url", "headers",
                "charset", "compression", "size", "body")
        if not rows:
            return 0
        with self.transaction() as cur:
            cur.executemany(
                f"INSERT OR REPLACE INTO raw_pages ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                [[r.get(c) for c in cols] for r in rows])
        return len(rows)

    def move_raw_pages(self, archive: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
                       batch_size: int = 200) -> int:
        """Move the ``raw_pages`` rows out: ``archive(rows)`` writes a batch to the archive, checks it and
        returns their capture rows; the captures are inserted and the table dropped in one transaction (an
        error leaves the table as it was), then VACUUM gives the space back. Returns the rows moved."""
        if not self.has_raw_pages():
            return 0
        moved = 0
        with self.transaction() as cur:
            if not self.has_raw_pages():  # moved by a concurrent crawl meanwhile
                return 0
            last = 0
            while True:
                got = cur.execute("SELECT rowid AS rowid_, * FROM raw_pages WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                  (last, batch_size))
                names = [d[0] for d in got.description]
                rows = [dict(zip(names, r, strict=True)) for r in got.fetchall()]
                if not rows:
                    break
                self._insert_captures(cur, archive(rows))
                moved += len(rows)
                last = rows[-1]["rowid_"]
            cur.execute("DROP TABLE raw_pages")
        if moved:
            try:
                self.conn.execute("VACUUM")
            except sqlite3.OperationalError as exc:  # the move is committed: only the space is not given back
                logger.warning("%s: pages moved, but VACUUM failed (%s): run `sqlite3 %s VACUUM` later",
                               self.path, exc, self.path)
        return moved

    def article_meta(self, url: str) -> dict[str, Any] | None:
        """``site``, ``section`` and ``run_id`` of a stored article, or None."""
        row = self.conn.execute("SELECT site, section, run_id FROM articles WHERE url = ?", (url,)).fetchone()
        return {"site": row[0], "section": row[1], "run_id": row[2]} if row else None

    def raw_stats(self) -> list[dict[str, Any]]:
        """Per site: pages kept (captures, and rows of a ``raw_pages`` table not yet moved), their stored
        (compressed) and original sizes in bytes."""
        sql = ("SELECT site, count(*), coalesce(sum(warc_length), 0), coalesce(sum(size), 0) FROM captures "
               "GROUP BY site")
        if self.has_raw_pages():
            sql += (" UNION ALL SELECT site, count(*), coalesce(sum(length(body)), 0), coalesce(sum(size), 0) "
                    "FROM raw_pages GROUP BY site")
        found: dict[str, dict[str, Any]] = {}
        for s, n, b, o in self.conn.execute(sql):
            row = found.setdefault(s, {"site": s, "pages": 0, "stored_bytes": 0, "original_bytes": 0})
            row["pages"] += n
            row["stored_bytes"] += b
            row["original_bytes"] += o
        return [found[s] for s in sorted(found)]


    # -- site learning (issue 13): one learned state per site ----------------------------------------------
    def load_site_state(self, site: str) -> tuple[int, str] | None:
        """``(version, state JSON)`` kept for ``site`` by :meth:`save_site_state`, or None."""
        row = self.conn.execute("SELECT version, state FROM site_state WHERE site = ?", (site,)).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def save_site_state(self, site: str, version: int, state: str, pages: int) -> None:
        """Keep ``site``'s learned state (JSON of its format ``version``, learned from ``pages`` pages),
        replacing the one kept before."""
        with self.transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO site_state (site, version, state, pages, updated_at) "
                        "VALUES (?, ?, ?, ?, ?)", (site, version, state, pages, utcnow()))


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
