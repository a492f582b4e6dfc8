"""Shared fixtures: the sample portal on 127.0.0.1, and real crawls through the `linfen` CLI.

Crawls run in a subprocess (one Twisted reactor per process, as in production) against a DemoServer in
this process, reached through the LINFEN_PROXY route the demo uses; nothing leaves 127.0.0.1.

- ``server``: a fresh sample portal per test.
- ``crawled``: one real crawl of the sample 临汾新闻网, made once per session and shared read-only by every
  module (the session fails if a test changed it); ``dataset``: a test's own copy of it, to write to.
- ``free_port()``: a free port on 127.0.0.1 for a server a test starts (redis-server, scrapyd, datasette).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linfen_crawler.archive import archive_dir
from linfen_crawler.demo.server import DemoServer

REPO = Path(__file__).resolve().parents[1]
# The shared folder (seed page, labelled corpus in corpus/ with its scorer in eval/): $LINFEN_SHARED, or ../shared
SHARED = Path(os.environ.get("LINFEN_SHARED") or REPO.parent / "shared")

# Crawls against the local portal: no politeness delay, no AutoThrottle (explicit test overrides).
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s", "LOG_LEVEL=INFO", "-s", "LINFEN_STORE_FLUSH_SECONDS=0.5"]


def run_linfen(*args: str, cwd: Path | None = None, timeout: float = 300, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    """Run the real `linfen` CLI in a subprocess."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "linfen_crawler.cli", *args], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=timeout, env=full_env)


def crawl(server: DemoServer, db: Path, *extra: str, site: str = "lfxww") -> subprocess.CompletedProcess[str]:
    return run_linfen("crawl", site, "--db", str(db), "-s", f"LINFEN_PROXY={server.url}", *FAST, *extra)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for a server a test starts in another process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def article_rows(db: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for r in rows(db, "SELECT * FROM articles"):
        for key in ("authors", "editors", "images", "extractor"):
            r[key] = json.loads(r[key]) if r[key] else r[key]
        out[r["url"]] = r
    return out


@pytest.fixture()
def server() -> Iterator[DemoServer]:
    """A fresh sample portal per test (tests may publish articles or read the request log)."""
    with DemoServer() as srv:
        yield srv


def old_dataset(path: Path, version: int) -> sqlite3.Connection:
    """An open connection to a new dataset at ``path`` with the tables of schema ``version`` (migrations 1 to
    ``version`` applied as `Dataset` applies them), for a test that stores rows as an older release did and
    then sets ``PRAGMA user_version`` itself."""
    from linfen_crawler.storage import _MIGRATIONS

    conn = sqlite3.connect(path)
    for target in range(1, version + 1):
        for step in _MIGRATIONS[target]:
            if callable(step):
                step(conn)
            else:
                conn.execute(step)
    return conn


Crawled = tuple[DemoServer, Path, subprocess.CompletedProcess[str]]


def content_digest(db: Path) -> str:
    """A digest of every row of every table (not the file's bytes, which a reader's checkpoint may touch) and
    of every file of its web archive."""
    digest = hashlib.sha256()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]
        for table in tables:
            digest.update(table.encode())
            for row in sorted(repr(r) for r in conn.execute(f'SELECT * FROM "{table}"')):
                digest.update(row.encode())
    finally:
        conn.close()
    archive = archive_dir(db)  # issue 19: and the pages beside it
    for path in sorted(archive.rglob("*")) if archive.is_dir() else []:
        digest.update(str(path.relative_to(archive)).encode())
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """One full crawl of the sample 临汾新闻网 by the real `linfen crawl`, made once and shared by the whole
    session: (server, db, completed process). The server's request log holds that crawl's requests only.
    Read-only: a test that writes to the dataset (`linfen dedupe`, an UPDATE) takes ``dataset`` instead."""
    db = tmp_path_factory.mktemp("crawl") / "news.db"
    with DemoServer() as srv:
        proc = crawl(srv, db)
        before = content_digest(db) if proc.returncode == 0 else ""
        yield srv, db, proc
    if before:
        assert content_digest(db) == before, "a test wrote to the shared `crawled` dataset: use `dataset`"


def backup(source: Path, target: Path) -> None:
    """``target`` becomes a copy of the dataset ``source`` (SQLite's backup API: consistent while WAL readers
    or a checkpoint are about)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture()
def dataset(crawled: Crawled, tmp_path: Path) -> Path:
    """A copy of the ``crawled`` dataset in the test's tmp dir (SQLite's backup API), to write to."""
    _, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    copy = tmp_path / db.name
    backup(db, copy)
    archive = archive_dir(db)  # issue 19: the pages live beside the dataset
    if archive.exists():
        shutil.copytree(archive, archive_dir(copy))
    return copy


# -- CI runs every test ----------------------------------------------------------------------------------
# Some tests skip when an optional tool is missing (redis-server, chromium, scrapyd, the shared corpus), so a
# developer without them still gets a useful run. CI installs all of them and sets LINFEN_NO_SKIPS=1: there a
# skip means a broken install, and the session fails instead of going green.
_SKIPPED: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("LINFEN_NO_SKIPS") and _SKIPPED:
        print(f"\nLINFEN_NO_SKIPS: {len(_SKIPPED)} skipped test(s) count as failures: {_SKIPPED[:5]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def project_crawler(**settings: Any) -> Any:
    """A bare crawler (``scrapy.utils.test.get_crawler``) with the project's settings (``linfen_crawler.settings``,
    where every default lives) and ``settings`` over them, for components tested without a crawl."""
    from scrapy.utils.test import get_crawler

    from linfen_crawler import settings as project

    return get_crawler(settings_dict={**{k: getattr(project, k) for k in dir(project) if k.isupper()}, **settings})


# -- issue 14: tests write only under temporary folders ----------------------------------------------------
# A session-wide check: the files and folders of the working tree (tool caches aside) are listed when the
# session starts and again when it ends; anything new fails the session. For the session the dataset default
# of the `linfen` CLI ($LINFEN_DB) points into a temporary folder, so a command run without --db cannot
# write data/news.db either.
_TOOL_CACHES = frozenset({".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
                          ".hypothesis"})


def working_tree(root: Path = REPO) -> set[str]:
    """Every file and folder under ``root`` (relative paths), tool caches and build metadata aside."""
    found: set[str] = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _TOOL_CACHES and not d.endswith(".egg-info")]
        rel = Path(folder).relative_to(root)
        found.update(str(rel / name) for name in (*dirs, *files))
    return found


@pytest.fixture(scope="session", autouse=True)
def tests_leave_the_working_tree_alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("linfen-home")
    saved = os.environ.get("LINFEN_DB")
    os.environ["LINFEN_DB"] = str(home / "news.db")
    before = working_tree()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("LINFEN_DB", None)
        else:
            os.environ["LINFEN_DB"] = saved
    new = sorted(working_tree() - before)
    if new:
        pytest.fail(f"the tests wrote into the working tree {REPO}: {', '.join(new[:10])}"
                    f"{' …' if len(new) > 10 else ''} (write under tmp_path)", pytrace=False)
