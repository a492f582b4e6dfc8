"""Site learning (extract/learn.py, ``linfen check DIR --learn``) on tiny invented sites.

Every site here is made up: a few pages of one template with a banner, a navigation bar and a footer on
all of them, the headline in a plain table cell, and so on. Each test states what the per-page extractor
gives alone, so it shows what learning changes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from linfen_crawler.extract.article import extract_page, parse_html
from linfen_crawler.extract.learn import (
    FieldRule,
    SiteState,
    Template,
    element_path,
    extract_site,
    group_pages,
    learn_site,
    skeleton,
)

REPO = Path(__file__).resolve().parents[1]

HEADLINES = ["示例市举办春季农产品展销会", "城区新建三座口袋公园迎客", "示例市第一中学开展消防演练",
             "高速公路南段今日通车运行", "老街改造工程进入收尾阶段"]


def body(h: str) -> str:
    """Two paragraphs of their own for each page (no paragraph repeats across pages)."""
    return (f"<p>记者从有关部门获悉，{h}一事受到市民广泛关注，现场秩序井然，参与群众纷纷点赞。</p>"
            f"<p>据介绍，{h}相关工作自今年年初启动，经过数月准备，各项任务已经全部落实到位。</p>")


def cell_page(i: int, *, title: str = "", banner: str = '<div class="banner">欢迎访问示例市新闻网</div>',
              meta: str = "") -> str:
    """A table-layout page: the headline in a plain cell, the body in the next row, a footer below."""
    h = HEADLINES[i]
    return (f"<html><head><title>{title}</title></head><body>{banner}"
            '<div class="nav"><a href="/">首页</a> <a href="/bd/">本地新闻</a></div>'
            f"<table><tr><td>{h}</td></tr>{meta}"
            f'<tr><td class="bd">{body(h)}</td></tr></table>'
            '<div class="foot">版权所有 示例市新闻网 联系电话：0000-1234567</div></body></html>')


def site(pages: list[str]) -> list[tuple[bytes | str, str]]:
    return [(html, f"http://news.example.cn/a/{100 + i}.html") for i, html in enumerate(pages)]


def doc_of(html: str) -> etree._Element:
    doc = parse_html(html)
    assert doc is not None
    return doc


# --- element paths and skeletons -------------------------------------------------------------------------

@pytest.mark.parametrize(("html", "xpath", "expected"), [
    ('<div id="main"><div class="newst">标题</div></div>', "//div[@class='newst']", "/html/body/div#main/div.newst"),
    # classes sorted; a class or id with a digit is page-specific and left out; no positions
    ('<div class="b a post-93512"><p>一</p><p id="p7">二</p></div>', "//p[@id='p7']", "/html/body/div.a.b/p"),
    ("<table><tr><td>甲</td><td>乙</td></tr></table>", "//td[2]", "/html/body/table/tr/td"),
])
def test_element_path(html: str, xpath: str, expected: str) -> None:
    doc = doc_of(html)
    nodes = doc.xpath(xpath)
    assert isinstance(nodes, list) and isinstance(nodes[0], etree._Element)
    assert element_path(nodes[0]) == expected


def test_pages_are_grouped_by_skeleton() -> None:
    """Three table-layout articles and three photo stories of another layout are two templates."""
    photo = ('<html><body><div class="gallery"><h2 class="pt">{h}</h2><ul class="slides"><li><img src="1.jpg">'
             '</li></ul><div class="caption"><p>{h}现场。</p></div></div></body></html>')
    pages = [cell_page(0), photo.format(h=HEADLINES[1]), cell_page(2), photo.format(h=HEADLINES[3]),
             cell_page(4), photo.format(h=HEADLINES[0])]
    assert group_pages([skeleton(doc_of(p)) for p in pages]) == [[0, 2, 4], [1, 3, 5]]


# --- template text and the headline slot -----------------------------------------------------------------

def test_headline_in_a_plain_cell_is_learned_from_the_site() -> None:
    """Empty <title>, the headline in a plain cell: the page alone gives no headline; five pages do."""
    pages = site([cell_page(i) for i in range(5)])
    assert [extract_page(html, url)["title"] for html, url in pages] == [None] * 5
    state, records = extract_site(pages)
    assert [r["title"] for r in records] == HEADLINES
    assert all(r["extractor"]["title"] == "learned" for r in records)
    (template,) = state.templates
    assert ("/html/body/div.banner", "欢迎访问示例市新闻网") in template.template_text


def test_banner_repeated_on_every_page_is_never_the_headline() -> None:
    """<title> is only the site name and the banner is the only heading: alone, the banner is not taken
    (Rule T9: greeting text) and the plain cell above the text is the headline (Rule T10); learning agrees."""
    banner = '<h1 class="logo">欢迎访问示例市新闻网</h1>'
    pages = site([cell_page(i, title="示例市新闻网", banner=banner) for i in range(5)])
    assert [extract_page(html, url)["title"] for html, url in pages] == HEADLINES
    _, records = extract_site(pages)
    assert [r["title"] for r in records] == HEADLINES


def test_a_headline_listed_in_other_pages_sidebars_stays_a_headline() -> None:
    """Template text is a text at a place: a story listed in the sidebar of every other page is still the
    headline of its own page."""
    side = f'<div class="hot"><a href="/a/100.html">{HEADLINES[0]}</a></div>'
    pages = [cell_page(i, title=f"{HEADLINES[i]}_示例市新闻网", banner=side) for i in range(5)]
    records = [extract_page(html, url) for html, url in site(pages)]
    assert [r["title"] for r in records] == HEADLINES
    state, learned = extract_site(site(pages))
    assert ("/html/body/div.hot/a", HEADLINES[0]) in state.templates[0].template_text
    assert [r["title"] for r in learned] == HEADLINES


def test_too_few_pages_learn_nothing_and_change_nothing() -> None:
    pages = site([cell_page(i) for i in range(2)])
    state, records = extract_site(pages)
    assert all(not t.fields for t in state.templates)
    assert records == [extract_page(html, url) for html, url in pages]


def test_a_line_repeated_on_most_pages_leaves_the_body() -> None:
    """A 'follow us' line in the body cell of four pages out of five is template text, not a paragraph."""
    notice = "<p>关注示例市新闻网微信公众号，获取更多本地资讯。</p>"
    pages = [cell_page(i).replace('<td class="bd">', f'<td class="bd">{notice if i else ""}') for i in range(5)]
    assert all("关注示例市新闻网" in (extract_page(h, u)["body"] or "") for h, u in site(pages)[1:])
    _, records = extract_site(site(pages))
    assert not any("关注示例市新闻网" in (r["body"] or "") for r in records)
    assert all(HEADLINES[i] in (r["body"] or "") for i, r in enumerate(records))


# --- field paths -----------------------------------------------------------------------------------------

def test_field_paths_are_the_ones_most_pages_agree_on() -> None:
    meta = '<tr><td class="info">2023-05-0{n} 08:30 来源：示例日报</td></tr>'
    pages = site([cell_page(i, meta=meta.format(n=i + 1)) for i in range(5)])
    state = learn_site(pages)
    fields = state.templates[0].fields
    assert fields["published_at"] == FieldRule("/html/body/table/tr/td.info", 5, 5)
    assert fields["source"].path == "/html/body/table/tr/td.info"
    assert fields["body"].path == "/html/body/table/tr/td.bd"
    assert fields["title"].path == "/html/body/table/tr/td"


TOP = "/html/body/div.top/span.riqi"
NAV = '<div class="nav">' + "".join(f'<a href="/c{i}/">栏目名称第{i}个频道</a>' for i in range(30)) + "</div>"


def odd_page(date: str, credit: str = "") -> str:
    """The date and a credit line in a bar above a long menu, where the page alone never reads (a date far
    above the headline is often "today", a credit there often the site's)."""
    return (f"<html><head><title>{HEADLINES[0]}_示例市新闻网</title></head><body>"
            f'<div class="top"><span class="riqi">{date}</span><span class="zz">{credit}</span></div>{NAV}'
            f'<h1>{HEADLINES[0]}</h1><div class="bd">{body(HEADLINES[0])}</div></body></html>')


def state_with(fields: dict[str, FieldRule], page: str) -> SiteState:
    return SiteState([Template(skeleton=sorted(skeleton(doc_of(page))), pages=5, fields=fields)])


@pytest.mark.parametrize(("date", "expected", "extractor"), [
    ("2023-05-01 10:20", "2023-05-01T10:20:00+08:00", "learned"),
    ("暂无日期", None, "generic"),  # the learned place holds no date on this page: nothing is invented
])
def test_learned_date_path_fills_a_page_without_a_date(date: str, expected: str | None, extractor: str) -> None:
    page = odd_page(date)
    assert extract_page(page, "http://news.example.cn/a/1.html")["published_at"] is None
    state = state_with({"published_at": FieldRule(TOP, 5, 5)}, page)
    record = extract_page(page, "http://news.example.cn/a/1.html", site=state)
    assert (record["published_at"], record["extractor"]["published_at"]) == (expected, extractor)


@pytest.mark.parametrize(("credit", "authors", "source"), [
    ("作者：张建国　来源：示例日报", ["张建国"], "示例日报"),
    ("分享到：微信 微博", [], None),  # no byline there on this page: nothing taken
])
def test_learned_credit_paths_fill_only_from_a_byline(credit: str, authors: list[str], source: str | None) -> None:
    page = odd_page("", credit)
    alone = extract_page(page, "http://news.example.cn/a/1.html")
    assert (alone["authors"], alone["source"]) == ([], None)
    path = "/html/body/div.top/span.zz"
    state = state_with({"authors": FieldRule(path, 4, 5), "source": FieldRule(path, 4, 5)}, page)
    record = extract_page(page, "http://news.example.cn/a/1.html", site=state)
    assert (record["authors"], record["source"]) == (authors, source)
    assert (record["extractor"]["authors"] == "learned") == bool(authors)


def test_a_page_of_another_template_gets_no_hints() -> None:
    page = odd_page("2023-05-01")
    state = state_with({"title": FieldRule("/html/body/table/tr/td", 5, 5)}, cell_page(0))
    assert state.for_page(doc_of(page)) is None
    assert extract_page(page, "http://x.cn/1.html", site=state) == extract_page(page, "http://x.cn/1.html")


def test_state_is_plain_serialisable_data() -> None:
    state = learn_site(site([cell_page(i) for i in range(5)]))
    again = SiteState.from_dict(json.loads(json.dumps(state.to_dict(), ensure_ascii=False)))
    assert again == state
    assert again.templates[0].fields["title"].path == "/html/body/table/tr/td"


# --- the command line, through a pseudo-terminal ---------------------------------------------------------

def run_in_pty(*args: str) -> tuple[int, str]:
    """Run `linfen ARGS` with a pseudo-terminal as stdout and stderr; its exit status and what it printed."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "linfen_crawler.cli", *args], cwd=REPO, stdin=subprocess.DEVNULL,
                            stdout=secondary, stderr=secondary, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_check_learn_prints_records_with_learned_fields(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"{100 + i}.html").write_text(cell_page(i), encoding="utf-8")
    status, out = run_in_pty("check", str(tmp_path), "--learn")
    assert status == 0, out
    titles = [line.split(None, 1)[1] for line in out.splitlines() if line.startswith("title ")]
    assert titles == HEADLINES
    assert out.count("learned       title") == 5
    status, out = run_in_pty("check", str(tmp_path), "--learn", "--json")
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [r["extractor"]["title"] for r in records] == ["learned"] * 5
    status, out = run_in_pty("check", str(tmp_path / "100.html"), "--learn")
    assert status == 0
    assert "note: nothing learned: no template has 3 pages that agree (1 page given)" in out
    assert "title         None" in out


# --- the benchmark's per-site comparison -----------------------------------------------------------------

#: a stand-in for the shared eval/score.py with its interface (load_gold, score, the --json command line),
#: scoring the headline only, so the benchmark's plumbing is tested without the shared corpus
TITLE_SCORER = '''
import json, sys
from pathlib import Path
from typing import Any

def load_gold(dirs, split):
    return {f"{Path(d).name}/{f.stem}": json.loads(f.read_text("utf-8")) for d in dirs for f in Path(d).glob("*.json")}

def score(gold, preds):
    right = sum(lab["title"] == preds.get(gid, {}).get("title") for gid, lab in gold.items())
    return {"pages": len(gold), "title": round(right / len(gold), 3) if gold else None}

if __name__ == "__main__":
    pred = sys.argv[sys.argv.index("--pred") + 1]
    dirs = [a for a in sys.argv[1:sys.argv.index("--pred")]]
    preds = {o["id"]: o for o in map(json.loads, Path(pred).read_text("utf-8").splitlines())}
    print(json.dumps(score(load_gold(dirs, "all"), preds)))
'''


def load_benchmark() -> object:
    spec = importlib.util.spec_from_file_location("linfen_bench_extraction", REPO / "benchmarks" / "extraction.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_compares_per_page_and_learn_site_by_site(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    site_dir = tmp_path / "corpus" / "sites" / "invented"
    site_dir.mkdir(parents=True)
    for i in range(5):
        (site_dir / f"{i}.html").write_text(cell_page(i), encoding="utf-8")
        (site_dir / f"{i}.json").write_text(json.dumps({"kind": "article", "title": HEADLINES[i]}), encoding="utf-8")
    (tmp_path / "score.py").write_text(TITLE_SCORER, encoding="utf-8")
    bench: Any = load_benchmark()
    status = bench.main(["--corpus", str(tmp_path / "corpus" / "sites"), "--tools", "ours",
                         "--scorer", str(tmp_path / "score.py"), "--out", str(tmp_path / "out")])
    assert status == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["invented", "per-page", "5", "0.0"] in [r[:4] for r in rows]
    assert ["invented", "learn", "5", "1.0"] in [r[:4] for r in rows]
    assert (tmp_path / "out" / "ours-learn.jsonl").exists()


@pytest.mark.parametrize(("page_id", "url", "expected"), [
    ("gne/163__1", "https://news.163.com/19/0918/a.html", "news.163.com"),
    ("invented/3", "", "invented"),  # a folder inside sites/: one site
    ("cwced/7", "", None),  # no URL, not a site folder: unknown
])
def test_benchmark_site_of_a_page(page_id: str, url: str, expected: str | None) -> None:
    bench: Any = load_benchmark()
    dirs = [Path("/c/cwced"), Path("/c/sites/invented")]
    assert bench.site_of(page_id, url, dirs) == expected
