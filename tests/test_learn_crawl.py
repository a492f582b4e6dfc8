"""Site learning during a crawl, through the real engine: a small invented portal hard for per-page extraction.

Every article page of ``www.shili-news.cn`` is built from one table template: the ``<title>`` and a banner
in a table cell above the headline hold the site's welcome line (a per-page extractor takes it for the
headline: the ``<title>`` names no headline and nothing on the page looks more like one), and the headline
is in a plain cell. Crawled once, the first pages are stored as the page alone gives them and the later pages with the
headline the site's pages agree on; the learned state is kept in the dataset; crawled again, every page
gets its headline from the start, and ``extractor`` says ``learned`` for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FAST, article_rows, rows, run_linfen

from linfen_crawler.demo.recording import RecordingHandler, RecordingHTTPServer, RecordingServer
from linfen_crawler.extract.article import extract_page
from linfen_crawler.extract.learn import STATE_VERSION, SiteState
from linfen_crawler.storage import Dataset

HOST = "www.shili-news.cn"
SITE_NAME = "示例市新闻网"
BANNER = "欢迎访问示例市新闻网"
PLACES = ["城东新区", "南湖公园", "第一中学", "人民医院", "高速南段", "老街片区", "北山林场", "西河大桥"]
EVENTS = ["春季植树活动启动", "便民服务中心开门迎客"]
#: sixteen headlines, each its own
HEADLINES = [f"{place}{event}" for event in EVENTS for place in PLACES]


def article_url(i: int) -> str:
    return f"http://{HOST}/news/{1001 + i}.html"


def article_page(i: int) -> str:
    h = HEADLINES[i]
    return (f"<html><head><title>{BANNER}</title></head><body>"
            f'<table class="top"><tr><td class="logo"><b>{BANNER}</b></td></tr></table>'
            '<div class="nav"><a href="/">首页</a> <a href="/news/">本地新闻</a></div>'
            f"<table class='main'><tr><td>{h}</td></tr>"
            f"<tr><td class='bd'><p>记者从有关部门获悉，{h}一事受到市民广泛关注，现场秩序井然。</p>"
            f"<p>据介绍，{h}相关工作自今年年初启动，各项任务已经落实到位，第{i + 1}期工作顺利。</p></td></tr>"
            "</table><div class='foot'>版权所有 示例市新闻网 联系电话：0000-1234567</div></body></html>")


def list_page() -> str:
    links = "".join(f'<li><a href="{article_url(i)}">{h}</a></li>' for i, h in enumerate(HEADLINES))
    return f"<html><head><title>本地新闻_{SITE_NAME}</title></head><body><ul>{links}</ul></body></html>"


class _Handler(RecordingHandler):
    def do_GET(self) -> None:
        host, path = self.target()
        self.server.record(path)
        pages = {f"/news/{1001 + i}.html": article_page(i) for i in range(len(HEADLINES))}
        pages["/news/"] = list_page()
        if host != HOST or path not in pages:
            self.send_body(404, "text/html; charset=utf-8", b"<html><body>404</body></html>")
            return
        self.send_body(200, "text/html; charset=utf-8", pages[path].encode("utf-8"))


PROFILE = f'''key = "shili"
name = "{SITE_NAME}"
domains = ["{HOST}"]
verified_live = false
start_urls = ["http://{HOST}/news/"]
'''


@pytest.fixture()
def portal(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The portal's proxy URL and the environment that finds its profile."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "shili.toml").write_text(PROFILE, encoding="utf-8")
    httpd: RecordingHTTPServer[str] = RecordingHTTPServer(("127.0.0.1", 0), _Handler)
    with RecordingServer(httpd) as server:
        yield server.url, {"LINFEN_PROFILE_DIRS": str(folder)}


def crawl(portal: tuple[str, dict[str, str]], db: Path, *extra: str) -> None:
    url, env = portal
    proc = run_linfen("crawl", "shili", "--db", str(db), "-s", f"LINFEN_PROXY={url}", *FAST,
                      "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", *extra, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_the_pages_alone_take_the_banner_for_the_headline() -> None:
    """What the test below relies on: per page, the banner is the headline."""
    assert {extract_page(article_page(i), article_url(i))["title"] for i in range(len(HEADLINES))} == {BANNER}


def test_a_crawl_learns_the_site_and_the_next_crawl_starts_from_it(portal: tuple[str, dict[str, str]],
                                                                   tmp_path: Path) -> None:
    db = tmp_path / "learn.db"
    crawl(portal, db)
    first = article_rows(db)
    assert len(first) == len(HEADLINES)
    right = {u for u, r in first.items() if r["title"] == HEADLINES[int(u.rsplit("/", 1)[1][:4]) - 1001]}
    # the first pages (before the site was learned) as the page alone gives them, never worse; the later
    # pages of the same run already with the headline the site's pages agree on
    assert all(first[u]["title"] == BANNER and first[u]["extractor"]["title"] == "generic"
               for u in set(first) - right)
    assert len(right) >= len(HEADLINES) - 10
    assert all(first[u]["extractor"]["title"] == "learned" for u in right)
    (kept,) = rows(db, "SELECT * FROM site_state")
    assert (kept["site"], kept["version"]) == ("shili", STATE_VERSION)
    state = SiteState.from_dict(json.loads(kept["state"]))
    assert state.templates[0].fields["title"].path == "/html/body/table.main/tr/td"

    crawl(portal, db, "--refresh")
    second = article_rows(db)
    assert {u: r["title"] for u, r in second.items()} == {article_url(i): h for i, h in enumerate(HEADLINES)}
    assert all(r["extractor"]["title"] == "learned" for r in second.values())
    assert all(r["body"] == first[u]["body"] for u, r in second.items())


def test_learning_off_stores_what_the_pages_alone_give(portal: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    db = tmp_path / "off.db"
    crawl(portal, db, "-s", "LINFEN_LEARN=False")
    assert {r["title"] for r in article_rows(db).values()} == {BANNER}
    assert rows(db, "SELECT * FROM site_state") == []


@pytest.mark.parametrize(("version", "state"), [
    (STATE_VERSION, "{not json"),  # a damaged row
    (STATE_VERSION + 1, '{"templates": []}'),  # kept by a later release, in a format this one does not read
])
def test_a_kept_state_that_cannot_be_used_is_learned_again(portal: tuple[str, dict[str, str]], tmp_path: Path,
                                                          version: int, state: str) -> None:
    db = tmp_path / "bad.db"
    with Dataset(db) as ds:
        ds.save_site_state("shili", version, state, 30)
    url, env = portal
    proc = run_linfen("crawl", "shili", "--db", str(db), "-s", f"LINFEN_PROXY={url}", *FAST,
                      "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "the learned state kept in the dataset is not used" in proc.stderr
    assert len(article_rows(db)) == len(HEADLINES)
    (kept,) = rows(db, "SELECT * FROM site_state")
    assert kept["version"] == STATE_VERSION
    assert SiteState.from_dict(json.loads(kept["state"])).templates[0].fields["title"]


def test_reextract_applies_the_kept_state_as_a_crawl_would(portal: tuple[str, dict[str, str]],
                                                           tmp_path: Path) -> None:
    """`linfen reextract` rebuilds from the archive with the site's kept state: the learned headlines stay."""
    _, env = portal
    db = tmp_path / "re.db"
    crawl(portal, db)
    crawl(portal, db, "--refresh")  # every page stored with the learned headline
    before = article_rows(db)
    assert all(r["extractor"]["title"] == "learned" for r in before.values())
    proc = run_linfen("reextract", "--db", str(db), env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = article_rows(db)
    assert {u: (r["title"], r["extractor"]) for u, r in after.items()} == \
        {u: (r["title"], r["extractor"]) for u, r in before.items()}
