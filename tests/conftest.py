"""Shared fixtures: the sample portal on 127.0.0.1, and real crawls through the `linfen` CLI.

Crawls run in a subprocess (one Twisted reactor per process, as in production) against a DemoServer in
this process, reached through the LINFEN_PROXY route the demo uses; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoServer, Path, Any]]:
    """One full crawl of the sample portal, shared by a module's tests: (server, db, completed process)."""
    db = tmp_path_factory.mktemp("crawl") / "news.db"
    with DemoServer() as srv:
        proc = crawl(srv, db)
        yield srv, db, proc


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
