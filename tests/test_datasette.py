"""`linfen serve`: a real Datasette process on 127.0.0.1 over a real crawl — canned queries, Chinese search
through the JSON API (canned query and the table's search box), facets, metadata in Chinese and English —
and headless Chromium loading the articles page and finding the facets."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, article_rows, run_linfen

from linfen_crawler.storage import ANALYST_QUERIES

pytest.importorskip("datasette")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(crawled: tuple[Any, Path, Any]) -> Iterator[tuple[str, Path]]:
    """`linfen serve` on the crawled dataset: (base url with the database name, db path)."""
    _, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "linfen_crawler.cli", "serve", "--db", str(db), "--port",
                               str(port)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    out = server.stdout.read() if server.stdout else ""
                    pytest.fail(f"datasette did not start: {out[-2000:]}")
                time.sleep(0.2)
        yield f"{base}/{db.stem}", db
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def get(url: str, **params: str) -> Any:
    full = url + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(full, timeout=30) as resp:
        return json.loads(resp.read().decode("utf-8"))


def test_canned_queries_are_listed_and_run(served):
    base, db = served
    listed = {q["name"]: q for q in get(base + ".json")["queries"]}
    assert set(ANALYST_QUERIES) <= set(listed)
    assert "Articles per site per day" in listed["articles_per_site_day"]["title"]
    per_day = get(base + "/articles_per_site_day.json", _shape="array")
    assert sum(r["articles"] for r in per_day) == sum(1 for r in article_rows(db).values() if r["published_at"])
    sources = get(base + "/top_sources.json", _shape="array")
    assert sources[0]["articles"] >= sources[-1]["articles"] and sources[0]["source"]
    missing = get(base + "/articles_missing_a_field.json", field="source", _shape="array")
    assert {r["url"] for r in missing} == {u for u, r in article_rows(db).items() if r["source"] is None}
    copies = get(base + "/syndicated_copies.json", _shape="array")
    assert copies and all(r["duplicate_of"] for r in copies)


def test_chinese_search_through_the_json_api(served):
    base, db = served
    expected = {u for u, r in article_rows(db).items() if "临汾" in (r["title"] or "") + (r["body"] or "")}
    hits = get(base + "/search.json", q="临汾", _shape="array")
    assert {h["url"] for h in hits} == expected
    assert all("【临汾】" in h["snippet"] for h in hits if "临汾" in (article_rows(db)[h["url"]]["body"] or ""))
    assert [h["rank"] for h in hits] == sorted(h["rank"] for h in hits)
    # the articles table's search box (?_search=) understands Chinese too
    boxed = get(base + "/articles.json", _search="临汾", _shape="array", _size="max", _col="title")
    assert {r["url"] for r in boxed} == expected
    assert get(base + "/articles.json", _search="汾临", _shape="array") == []


def test_table_metadata_and_facets(served):
    base, _ = served
    data = get(base + "/articles.json", _size="0", _extra="facet_results")
    facets = data["facet_results"]
    facets = facets.get("results", facets)
    assert {"site", "section", "source", "day"} <= set(facets)
    assert facets["site"]["results"][0]["value"] == "lfxww"
    meta = get(base.rsplit("/", 1)[0] + "/-/metadata.json")
    cols = next(iter(meta["databases"].values()))["tables"]["articles"]["columns"]
    assert "来源" in cols["source"] and "outlet" in cols["source"]  # Chinese and English


@pytest.mark.skipif(CHROMIUM is None, reason="headless chromium is not installed (.ci/run installs it)")
def test_browser_loads_articles_page_with_facets(served, tmp_path):
    base, _ = served
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", base + "/articles"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    dom = proc.stdout
    assert "<html" in dom, proc.stderr[-2000:]
    for column in ("site", "section", "source", "day"):
        assert f'data-column="{column}"' in dom, column
    assert "临汾新闻网" in dom and 'name="_search"' in dom


def test_metadata_out_and_errors(tmp_path, crawled):
    _, db, _ = crawled
    out = tmp_path / "meta.json"
    res = run_linfen("serve", "--db", str(db), "--metadata-out", str(out))
    assert res.returncode == 0, res.stderr
    meta = json.loads(out.read_text("utf-8"))
    assert meta["databases"][db.stem]["tables"]["articles"]["fts_table"] == "articles_fts"
    res = run_linfen("serve", "--db", str(tmp_path / "none.db"))
    assert res.returncode == 2 and "no dataset at" in res.stderr
