"""`linfen serve`: a real Datasette process on 127.0.0.1 over a real crawl — canned queries, Chinese search
through the JSON API (canned query and the table's search box), facets (month, not day), metadata in Chinese
and English, the query time limit — and headless Chromium measuring what the first 1400x1000 view shows."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, article_rows, free_port, run_linfen

from linfen_crawler.storage import ANALYST_QUERIES

pytest.importorskip("datasette")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def serve(db: Path, log_path: Path) -> Iterator[str]:
    """`linfen serve --db db` on a free port of 127.0.0.1 until the block ends; yields its base URL.

    The server's log goes to ``log_path``: a pipe nobody reads fills up after a few hundred requests (the
    Chromium tests make many) and then blocks the server's every answer."""
    port = free_port()
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen([sys.executable, "-m", "linfen_crawler.cli", "serve", "--db", str(db), "--port",
                                   str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True,
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
                        pytest.fail(f"datasette did not start: {log_path.read_text('utf-8')[-2000:]}")
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="module")
def served(crawled: tuple[Any, Path, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`linfen serve` on the crawled dataset: (base url with the database name, db path)."""
    _, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    with serve(db, log_path) as base:
        yield f"{base}/{db.stem}", db


def get(url: str, timeout: float = 120, **params: str) -> Any:
    full = url + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(full, timeout=timeout) as resp:
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
    assert {"site", "section", "source", "month"} <= set(facets)
    assert facets["site"]["results"][0]["value"] == "lfxww"
    meta = get(base.rsplit("/", 1)[0] + "/-/metadata.json")
    cols = next(iter(meta["databases"].values()))["tables"]["articles"]["columns"]
    assert "来源" in cols["source"] and "outlet" in cols["source"]  # Chinese and English


# -- headless Chromium (issue 14 item 10: what a person sees in the first 1400x1000 view) ---------------------
class Browser:
    """Headless Chromium driven through the DevTools protocol over --remote-debugging-pipe: NUL-framed JSON on
    the child's fds 3 (commands) and 4 (answers); no websocket client or driver package needed."""

    def __init__(self, chromium: str, profile: Path, width: int, height: int) -> None:
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def fds() -> None:  # in the child: the pipe ends on fds 3 and 4, where Chromium looks for them
            r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--remote-debugging-pipe",
             f"--window-size={width},{height}", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.enable", session=True)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buf:
            chunk = os.read(self._r, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return dict(json.loads(msg))

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            got = self._read()
            if got.get("id") == self._id:
                if "error" in got:
                    raise RuntimeError(f"{method}: {got['error']}")
                return dict(got["result"])
            self.events.append(got)

    def open(self, url: str) -> None:
        """Load url and wait for its load event (scripts at the end of the body have run)."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read())

    def js(self, expr: str) -> Any:
        res = self.call("Runtime.evaluate", session=True, expression=expr, returnByValue=True)
        return res["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.call("Browser.close")
        os.close(self._w)
        os.close(self._r)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


VIEW_W, VIEW_H = 1400, 1000
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless chromium is not installed (.ci/run "
                                                               "installs it)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    assert CHROMIUM
    b = Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"), VIEW_W, VIEW_H)
    try:
        yield b
    finally:
        b.close()


def box(b: Browser, selector: str) -> dict[str, float] | None:
    """The bounding box of the first element matching selector, in CSS pixels of the viewport, or None."""
    return b.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null; "
                "const r = e.getBoundingClientRect(); return {top: r.top, left: r.left, bottom: r.bottom, "
                "width: r.width, height: r.height}; })()")


def in_first_view(r: dict[str, float] | None) -> bool:
    return r is not None and r["width"] > 0 and r["height"] > 0 and r["top"] >= 0 and r["bottom"] <= VIEW_H \
        and r["left"] >= 0


@needs_chromium
def test_articles_page_shows_search_and_facets_in_the_first_view(served, browser, tmp_path):
    base, db = served
    browser.open(base + "/articles")
    browser.screenshot(tmp_path / "articles.png")
    assert (tmp_path / "articles.png").read_bytes().startswith(b"\x89PNG")
    assert in_first_view(box(browser, 'input[name="_search"]'))
    # every facet's heading and its first value are on the first screen
    for name in ("site", "section", "source", "month"):
        assert in_first_view(box(browser, f'.facet-info[data-column="{name}"] .facet-info-name')), name
        assert in_first_view(box(browser, f'.facet-info[data-column="{name}"] li')), name
    # the 19 column descriptions are folded away, one click from view
    assert browser.js('document.querySelector("details.column-descriptions-box").open') is False
    assert browser.js('document.querySelectorAll("details.column-descriptions-box dl dt").length') == 19
    assert browser.js('document.querySelector("details summary").textContent').startswith("列说明")
    # long text is cut in the table: no row as tall as a body printed in full
    tallest = browser.js('Math.max(...[...document.querySelectorAll("table.rows-and-columns tbody tr")]'
                         '.map(r => r.getBoundingClientRect().height))')
    assert 0 < tallest < 200, tallest
    cells = browser.js('[...document.querySelectorAll("td.col-body")].map(td => td.textContent.trim())')
    longest = max(len(r["body"] or "") for r in article_rows(db).values())
    assert cells and longest > 200 and max(len(c) for c in cells) <= 101


@needs_chromium
def test_row_page_gives_the_title_its_width(served, browser, tmp_path):
    base, db = served
    from datasette.utils import tilde_encode

    url = max(article_rows(db).items(), key=lambda kv: len(kv[1]["body"] or ""))[0]
    browser.open(f"{base}/articles/{tilde_encode(url)}")
    browser.screenshot(tmp_path / "row.png")
    title = box(browser, "td.col-title")
    assert title is not None and title["width"] >= 150, title  # was one character wide beside the full body
    body = browser.js('document.querySelector("td.col-body").textContent')
    assert len(body) >= len(article_rows(db)[url]["body"]) - 5  # the row page still shows the whole body


@needs_chromium
def test_home_and_database_pages_leave_internal_tables_out(served, browser):
    base, _ = served
    browser.open(base.rsplit("/", 1)[0] + "/")
    listed = browser.js('[...document.querySelectorAll("a")].map(a => a.textContent)')
    assert "articles" in listed
    assert not {"raw_pages", "article_lsh", "article_lsh_recent", "article_lsh_filter", "article_sketch",
                "articles_fts", "articles_title_fts"} & set(listed)
    browser.open(base)
    sql = browser.js('document.querySelector("textarea#sql-editor").value')
    assert "from articles" in sql and "article_versions" not in sql
    shown = browser.js('[...document.querySelectorAll("h3 a, h2 a")].map(a => a.textContent)')
    assert "articles" in shown and "raw_pages" not in shown


def test_day_facet_is_by_month(served):
    base, db = served
    data = get(base + "/articles.json", _size="0", _extra="facet_results")
    facets = data["facet_results"]
    month = facets.get("results", facets)["month"]
    assert "day" not in facets.get("results", facets)
    stored = [r["published_at"][:7] for r in article_rows(db).values() if r["published_at"]]
    values = {v["value"]: v["count"] for v in month["results"]}
    assert all(len(v) == 7 and v[4] == "-" for v in values)
    assert values == {m: stored.count(m) for m in values}
    assert sorted(values, reverse=True) == list(values)  # newest month first
    first = month["results"][0]
    assert "day__startswith=" in first["toggle_url"]
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(first["toggle_url"]).query))
    picked = get(base + "/articles.json", **{**params, "_shape": "array", "_size": "max"})
    assert len(picked) == first["count"] and all(r["day"].startswith(first["value"]) for r in picked)


# issue 15: anyone who can reach `linfen serve` could tie it up with one huge query. An endless query (a
# recursive CTE with no bound, far more VM steps than any time limit allows) can only end by being interrupted.
ENDLESS = "(with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c)"


def get_error(url: str, **params: str) -> tuple[int, Any]:
    try:
        # a generous bound: several limited queries run per page, each up to its limit on a busy machine
        return 200, get(url, timeout=300, **params)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read().decode("utf-8"))


def test_queries_run_for_datasette_are_time_limited(served):
    from linfen_crawler.datasette.metadata import SETTINGS

    base, _ = served
    settings = get(base.rsplit("/", 1)[0] + "/-/settings.json")
    assert settings["sql_time_limit_ms"] == SETTINGS["sql_time_limit_ms"] <= 5000
    status, answer = get_error(base + ".json", sql=f"select {ENDLESS}")  # the SQL box / JSON API
    assert status == 400 and answer["title"] == "SQL Interrupted", answer
    # the table page's search box query, with a condition that never ends
    status, answer = get_error(base + "/articles.json", _search="临汾", _where=f"{ENDLESS} > 0", _timelimit="200")
    assert status == 400 and answer["title"] == "SQL Interrupted", answer


def test_metadata_out_and_errors(tmp_path, crawled):
    _, db, _ = crawled
    out = tmp_path / "meta.json"
    res = run_linfen("serve", "--db", str(db), "--metadata-out", str(out))
    assert res.returncode == 0, res.stderr
    meta = json.loads(out.read_text("utf-8"))
    assert meta["databases"][db.stem]["tables"]["articles"]["fts_table"] == "articles_fts"
    res = run_linfen("serve", "--db", str(tmp_path / "none.db"))
    assert res.returncode == 2 and "no dataset at" in res.stderr
