"""The dataset: schema, migrations, upserts and queries. The only module that writes SQL.

One SQLite file (WAL mode, so sqlite3 and Datasette can read while a crawl writes) with the tables of the
data contract in DESIGN.md: ``articles``, ``crawl_runs``, ``rejects``, ``article_versions`` and the
full-text index ``articles_fts``.

Chinese search: FTS5's tokenizers see a run of Chinese characters as one token (unicode61) or need three
characters (trigram), so neither finds 临汾 inside 临汾市. The index therefore stores title and body with a
space around every CJK character; a query is rewritten the same way into phrase queries (``临汾`` → ``"临 汾"``),
which match exactly the character sequence, for queries of any length, mixed with Latin words and numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils


ARTICLE_COLUMNS = (
    "url", "site", "site_name", "section", "title", "published_at", "published_text", "source", "authors",
    "editors", "body", "images", "content_hash", "first_seen_at", "crawled_at", "run_id", "extractor",
)
JSON_COLUMNS = ("authors", "editors", "images", "extractor")
RUN_STATUSES = ("running", "finished", "degraded", "interrupted", "failed")

_CJK_CHAR = re.compile(r"([\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
# whitespace next to a CJK character, CJK punctuation or a snippet marker (【】), removed by unspace_cjk
_CJK_GAP = re.compile(r"\s+(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])|(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])\s+")
_CJK_RANGES = "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_QUERY_TOKEN = re.compile(f"[{_CJK_RANGES}]+|[^\\W{_CJK_RANGES}]+")


class StorageError(RuntimeError):
    """The dataset cannot be opened or used; the message says why and what to do."""


def utcnow() -> str:
    """Now, ISO 8601 in UTC to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def content_hash(title: str | None, body: str | None) -> str:
    """Hash of the normalised title and body: equal for the same text, different when it changes."""
    data = f"{title or ''}\n{body or ''}".encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def fts_text(text: str | None) -> str:
    """Text as stored in ``articles_fts``: a space around every CJK character."""
    return _CJK_CHAR.sub(r" \1 ", text or "")


def fts_query(query: str) -> str:
    """A user query as an FTS5 expression: each CJK run a phrase of its characters, words as phrases, ANDed.

    >>> fts_query("临汾 新闻 2024")
    '"临 汾" AND "新 闻" AND "2024"'
    """
    parts = []
    for token in _QUERY_TOKEN.findall(query):
        phrase = " ".join(token) if _CJK_CHAR.match(token) else token
        parts.append('"' + phrase.replace('"', "") + '"')
    return " AND ".join(parts)


def unspace_cjk(text: str) -> str:
    """Undo :func:`fts_text` in a snippet."""
    return re.sub(r"\s{2,}", " ", _CJK_GAP.sub("", text)).strip()


_MIGRATIONS: dict[int, Sequence[str]] = {
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
}


# Each schema change is one entry: version -> statements, applied in order in one transaction each.
SCHEMA_VERSION = max(_MIGRATIONS)


@dataclass
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


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
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path} is not a linfen dataset (SQLite says: {exc})") from None
        if version > SCHEMA_VERSION:
            conn.close()
            raise StorageError(
                f"{self.path} has schema version {version}, newer than this linfen-crawler knows "
                f"({SCHEMA_VERSION}); upgrade linfen-crawler to open it")
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        try:
            if version < SCHEMA_VERSION:
                self._migrate(version)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as exc:
            conn.close()
            raise StorageError(f"cannot write to {self.path}: {exc}") from None

    # -- lifecycle ---------------------------------------------------------------------------------
    def _migrate(self, version: int) -> None:
        if version == 0 and self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StorageError(f"{self.path} is an SQLite file but not a linfen dataset (it has other tables)")
        for target in sorted(v for v in _MIGRATIONS if v > version):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for sql in _MIGRATIONS[target]:
                    self.conn.execute(sql)
                self.conn.execute(f"PRAGMA user_version = {target}")
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ------------------------------------------------------------------------------------
    def upsert_articles(self, rows: Sequence[dict[str, Any]], run_id: int | None) -> UpsertResult:
        """Insert or update articles by url in one transaction; keep replaced versions; sync the index."""
        result = UpsertResult()
        if not rows:
            return result
        now = utcnow()
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for row in rows:
                rec = {k: row.get(k) for k in ARTICLE_COLUMNS}
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
                    cols = ", ".join(ARTICLE_COLUMNS)
                    marks = ", ".join("?" for _ in ARTICLE_COLUMNS)
                    cur.execute(f"INSERT INTO articles ({cols}) VALUES ({marks})",
                                [rec[c] for c in ARTICLE_COLUMNS])
                    rowid = cur.lastrowid
                    result.new += 1
                elif old[1] == rec["content_hash"]:
                    cur.execute("UPDATE articles SET crawled_at = ?, run_id = ? WHERE url = ?",
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
                    cols = [c for c in ARTICLE_COLUMNS if c not in ("url", "first_seen_at")]
                    cur.execute(f"UPDATE articles SET {', '.join(c + ' = ?' for c in cols)} WHERE url = ?",
                                [rec[c] for c in cols] + [rec["url"]])
                    cur.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
                    result.updated += 1
                cur.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                            (rowid, fts_text(rec["title"]), fts_text(rec["body"])))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return result

    def add_rejects(self, rows: Iterable[tuple[str, str, str | None]], run_id: int | None) -> int:
        """Record rejected pages ``(url, reason, detail)``; returns how many."""
        now = utcnow()
        data = [(run_id, url, reason, detail, now) for url, reason, detail in rows]
        if data:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT INTO rejects (run_id, url, reason, detail, seen_at) VALUES (?, ?, ?, ?, ?)", data)
            self.conn.execute("COMMIT")
        return len(data)

    def start_run(self, site: str) -> int:
        """Open a ``crawl_runs`` row (status running) for this process; mark dead earlier runs interrupted."""
        self.mark_interrupted(site)
        cur = self.conn.execute(
            "INSERT INTO crawl_runs (site, started_at, status, pid, host) VALUES (?, ?, 'running', ?, ?)",
            (site, utcnow(), os.getpid(), os.uname().nodename))
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
    def known_urls(self, site: str | None = None) -> set[str]:
        sql = "SELECT url FROM articles" + (" WHERE site = ?" if site else "")
        return {r[0] for r in self.conn.execute(sql, (site,) if site else ())}

    def count(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        if table not in ("articles", "crawl_runs", "rejects", "article_versions"):
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT count(*) FROM {table} {where}", params).fetchone()[0])

    def _filters(self, site: str | None, since: str | None, until: str | None,
                 query: str | None, alias: str = "articles") -> tuple[str, list[Any], str]:
        clauses, params, join = [], [], ""
        if site:
            clauses.append(f"{alias}.site = ?")
            params.append(site)
        if since:
            clauses.append(f"substr({alias}.published_at, 1, 10) >= ?")
            params.append(since)
        if until:
            clauses.append(f"substr({alias}.published_at, 1, 10) <= ?")
            params.append(until)
        if query:
            expr = fts_query(query)
            if not expr:
                raise StorageError(f"the query {query!r} has no searchable word")
            join = f" JOIN articles_fts ON articles_fts.rowid = {alias}.rowid"
            clauses.append("articles_fts MATCH ?")
            params.append(expr)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return join + where, params, join

    def iter_articles(self, *, site: str | None = None, since: str | None = None, until: str | None = None,
                      query: str | None = None, columns: Sequence[str] = ARTICLE_COLUMNS
                      ) -> Iterator[dict[str, Any]]:
        """Stream articles (JSON columns decoded) ordered by site, publish time and url."""
        bad = [c for c in columns if c not in ARTICLE_COLUMNS]
        if bad:
            raise StorageError(f"unknown column {bad[0]!r} (columns: {', '.join(ARTICLE_COLUMNS)})")
        where, params, _ = self._filters(site, since, until, query)
        cols = ", ".join(f"articles.{c}" for c in columns)
        cur = self.conn.execute(
            f"SELECT {cols} FROM articles{where} ORDER BY articles.site, articles.published_at, articles.url",
            params)
        for row in cur:
            rec = dict(zip(columns, row, strict=True))
            for key in JSON_COLUMNS:
                if key in rec and isinstance(rec[key], str):
                    rec[key] = json.loads(rec[key])
            yield rec

    def search(self, query: str, *, site: str | None = None, since: str | None = None,
               until: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search ranked by bm25 (title weighted 5×), with a snippet of the body."""
        where, params, _ = self._filters(site, since, until, query)
        sql = (
            "SELECT articles.url, articles.site, articles.title, articles.published_at, articles.source, "
            "snippet(articles_fts, 1, '【', '】', '…', 24), bm25(articles_fts, 5.0, 1.0) AS rank "
            f"FROM articles{where} ORDER BY rank LIMIT ?")
        out = []
        for url, site_, title, published_at, source, snip, rank in self.conn.execute(sql, [*params, limit]):
            out.append({"url": url, "site": site_, "title": title, "published_at": published_at,
                        "source": source, "snippet": unspace_cjk(snip or ""), "rank": round(rank, 3)})
        return out

    def site_stats(self) -> list[dict[str, Any]]:
        """Per site: articles, first/last publish date, and the share of articles having each field."""
        sql = """SELECT site, count(*), min(substr(published_at,1,10)), max(substr(published_at,1,10)),
                   avg(published_at IS NOT NULL), avg(source IS NOT NULL),
                   avg(authors IS NOT NULL AND authors != '[]'), avg(editors IS NOT NULL AND editors != '[]')
                 FROM articles GROUP BY site ORDER BY site"""
        keys = ("site", "articles", "first", "last", "published_at", "source", "authors", "editors")
        return [dict(zip(keys, row, strict=True)) for row in self.conn.execute(sql)]

    def last_runs(self, limit: int = 10, site: str | None = None) -> list[dict[str, Any]]:
        sql = ("SELECT id, site, started_at, finished_at, status, pages, articles_new, articles_updated, "
               "rejects, errors FROM crawl_runs" + (" WHERE site = ?" if site else "") + " ORDER BY id DESC LIMIT ?")
        cur = self.conn.execute(sql, (site, limit) if site else (limit,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    def rejects_of(self, run_id: int) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT url, reason, detail FROM rejects WHERE run_id = ? ORDER BY id", (run_id,))
        return [{"url": u, "reason": r, "detail": d} for u, r, d in cur]


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
