"""`linfen serve` shows an article's captured pages beside its record, sandboxed (issue 19).

A real crawl of the sample portal, whose article pages carry (only for this test) a script that would change
the page's title and DOM, and an image, a stylesheet, a script and a meta refresh pointing back at the demo
server; a real `linfen serve` over the dataset and its archive; headless Chromium opening the captured page:
the script does not run and the demo server sees no request from the browser."""

from __future__ import annotations

import json
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import article_rows, crawl, rows
from test_datasette import CHROMIUM, Browser, needs_chromium, serve

from linfen_crawler.demo.base import Page
from linfen_crawler.demo.server import DemoHandler, DemoServer

pytest.importorskip("datasette")

PROBE = "/__probe"  # paths the injected page asks the demo server for: any request for them leaked


def injected(port: int) -> bytes:
    origin = f"http://127.0.0.1:{port}{PROBE}"
    return (f'<script>document.title = "SCRIPT RAN"; document.body.setAttribute("data-ran", "1"); '
            f'new Image().src = "{origin}/script-ran.png";</script>'
            f'<script src="{origin}/script.js"></script><img src="{origin}/image.png" alt="probe">'
            f'<link rel="stylesheet" href="{origin}/style.css"><div style="background:url({origin}/bg.png)">'
            f'</div><meta http-equiv="refresh" content="0;url={origin}/refresh">').encode()


class InjectingHandler(DemoHandler):
    """The sample portal, with the probe markup at the end of every page (not the control paths)."""

    def resolve(self, host: str, path: str) -> tuple[Page, list[tuple[str, str]]]:
        page, extra = super().resolve(host, path)
        if not path.startswith("/__") and page.status == 200 and b"</body>" in page.body:
            probe = injected(self.server.server_address[1])
            page = Page(page.status, page.content_type, page.body.replace(b"</body>", probe + b"</body>", 1),
                        page.headers)
        return page, extra


@pytest.fixture(scope="module")
def portal() -> Iterator[DemoServer]:
    with DemoServer(handler=InjectingHandler) as srv:
        yield srv


@pytest.fixture(scope="module")
def served(portal: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(server base URL, db) of `linfen serve` over a crawl and a recheck of the probed portal."""
    db = tmp_path_factory.mktemp("capture") / "news.db"
    for extra in ((), ("--recheck", "36500")):  # the recheck of the unchanged pages writes revisit records
        proc = crawl(portal, db, *extra)
        assert proc.returncode == 0, proc.stderr[-2000:]
    assert db.with_name("news.archive").is_dir()
    with serve(db, db.with_name("serve.log")) as base:
        yield base, db


def fetch(url: str) -> tuple[int, Any, bytes]:
    """(status, headers (names in any case), body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def nfkc(text: str) -> str:
    """Text as the records keep it (full-width digits and punctuation of the page made half-width)."""
    return unicodedata.normalize("NFKC", text)


def q(**args: Any) -> str:
    return "?" + urllib.parse.urlencode(args)


def test_captured_page_is_served_as_captured_with_a_strict_policy(served):
    base, db = served
    articles = article_rows(db)
    url, record = next((u, r) for u, r in articles.items() if r["title"] and r["body"])
    status, headers, body = fetch(base + "/-/linfen/capture" + q(url=url))
    assert status == 200, body[:300]
    csp = headers["Content-Security-Policy"]
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";")}
    assert directives["sandbox"] == "sandbox"  # no allow-scripts, no allow-same-origin
    assert directives["default-src"] == "default-src 'none'"
    assert directives["img-src"] == "img-src data:"
    assert "script-src" not in directives and "connect-src" not in directives
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    text = nfkc(body.decode("utf-8"))
    assert nfkc(record["title"]) in text and nfkc(record["body"].split("\n")[0][:20]) in text
    assert "SCRIPT RAN" in text  # served as captured: the sandbox, not a rewrite, keeps it from running


def test_gbk_pages_are_decoded_as_the_crawl_decoded_them(served):
    base, db = served
    found = 0
    for r in rows(db, "SELECT a.url, a.title FROM articles a"):
        status, _, body = fetch(base + "/-/linfen/capture" + q(url=r["url"]))
        assert status == 200
        text = nfkc(body.decode("utf-8"))  # always UTF-8, whatever the page was
        assert nfkc(r["title"]) in text, r["url"]
        if 'charset=gb' in text.lower() or "charset=\"gb" in text.lower():
            found += 1
    assert found, "the sample portal serves some article pages in GBK: none seen"


def test_captures_list_and_links(served):
    base, db = served
    url = next(iter(article_rows(db)))
    status, _, body = fetch(base + "/-/linfen/captures.json" + q(url=url))
    assert status == 200
    data = json.loads(body)
    expected = rows(db, "SELECT id, fetched_at, status, digest, record FROM captures WHERE article_url = ? "
                        "ORDER BY page, id", (url,))
    assert [(c["id"], c["fetched_at"], c["status"], c["digest"], c["record"]) for c in data["captures"]] == \
        [(e["id"], e["fetched_at"], e["status"], e["digest"], e["record"]) for e in expected]
    # the HTML page: the record's title, the capture list, the page in a sandboxed frame
    status, headers, body = fetch(base + "/-/linfen/captures" + q(url=url))
    html = body.decode("utf-8")
    assert status == 200 and article_rows(db)[url]["title"] in html
    assert '<iframe sandbox=""' in html and "default-src 'none'" in headers["Content-Security-Policy"]
    for c in data["captures"]:
        assert c["digest"] in html
    # the article's row page links to it
    from datasette.utils import tilde_encode

    row_html = fetch(f"{base}/{db.stem}/articles/{tilde_encode(url)}")[2].decode("utf-8")
    link = f'href="/-/linfen/captures?{urllib.parse.urlencode({"url": url, "db": db.stem})}"'.replace("&", "&amp;")
    assert link in row_html
    # and so do the search query's results, one link per hit
    hits = fetch(f"{base}/{db.stem}/search.json" + q(q="临汾", _shape="array"))[2]
    search_html = fetch(f"{base}/{db.stem}/search" + q(q="临汾"))[2].decode("utf-8")
    assert search_html.count('class="linfen-capture"') == len(json.loads(hits)) > 0
    # the captures table is described
    meta = json.loads(fetch(base + "/-/metadata.json")[2])
    assert "captured page" in meta["databases"][db.stem]["tables"]["captures"]["description"]


def test_a_revisit_points_at_the_capture_it_repeats(served):
    base, db = served
    revisits = rows(db, "SELECT id, url, article_url, payload_id FROM captures WHERE record = 'revisit'")
    assert revisits, "a recrawl of unchanged pages writes revisit records"
    rv = revisits[0]
    data = json.loads(fetch(base + "/-/linfen/captures.json" + q(url=rv["article_url"]))[2])
    listed = {c["id"]: c for c in data["captures"]}
    assert listed[rv["id"]]["revisit_of"] == rv["payload_id"]
    assert listed[rv["payload_id"]]["revisit_of"] is None
    # the revisit's page is the bytes of the response it repeats
    same = [fetch(base + "/-/linfen/capture" + q(url=rv["url"], id=i))[2] for i in (rv["id"], rv["payload_id"])]
    assert same[0] == same[1] and same[0]


def test_unknown_url_capture_or_database_is_a_one_line_404(served):
    base, db = served
    for path in ("/-/linfen/capture" + q(url="http://www.lfxww.com/nowhere.html"),
                 "/-/linfen/captures" + q(url="http://www.lfxww.com/nowhere.html"),
                 "/-/linfen/capture" + q(url=next(iter(article_rows(db))), id="999999")):
        status, headers, body = fetch(base + path)
        assert status == 404, path
        assert headers["Content-Type"].startswith("text/plain")
        assert body.decode().count("\n") == 1 and "no capture of" in body.decode(), body
    status, _, body = fetch(base + "/-/linfen/capture")
    assert status == 400 and body.decode().count("\n") == 1
    url = next(iter(article_rows(db)))
    status, _, body = fetch(base + "/-/linfen/capture" + q(url=url, db="nosuch"))
    assert (status, body.decode()) == (404, "no database named nosuch\n")
    assert fetch(base + "/-/linfen/capture" + q(url=url, db=db.stem))[0] == 200


@needs_chromium
def test_the_sandbox_runs_no_script_and_fetches_nothing(served, portal, tmp_path):
    base, db = served
    assert CHROMIUM
    url = next(iter(article_rows(db)))
    assert not [r for r in portal.requests if r.path.startswith(PROBE)]  # the crawl never asked for them
    browser = Browser(CHROMIUM, tmp_path / "profile", 1200, 900)
    try:
        browser.open(base + "/-/linfen/capture" + q(url=url))
        assert browser.js("document.title") != "SCRIPT RAN"
        assert browser.js('document.body.getAttribute("data-ran")') is None
        assert browser.js('document.querySelector("img[alt=probe]").complete')  # settled (blocked), not pending
        time.sleep(1)  # the meta refresh (0 s) would fire right after the load
        assert "/-/linfen/capture" in browser.js("location.href")  # it did not navigate away
        # the captures page, with the page in its <iframe>
        browser.open(base + "/-/linfen/captures" + q(url=url))
        time.sleep(1)
        assert browser.js('document.querySelector("iframe").contentDocument') is None  # opaque origin
        leaked = sorted({r.path for r in portal.requests if r.path.startswith(PROBE)})
        assert leaked == [], leaked
        # the probe works: the same page opened from the portal itself runs its script and fetches (waited
        # for by polling the portal's log, not for a fixed time: the machine may be slow)
        browser.open(portal.url + urllib.parse.urlsplit(url).path)
        wanted = {f"{PROBE}/script-ran.png", f"{PROBE}/image.png", f"{PROBE}/style.css"}
        deadline = time.monotonic() + 60
        while not wanted <= {r.path for r in portal.requests} and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        browser.close()
    fetched = {r.path for r in portal.requests if r.path.startswith(PROBE)}
    assert wanted <= fetched, fetched
