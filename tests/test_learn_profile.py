"""`linfen learn` (issue 13 part 2): a profile inferred from a portal's own pages.

The acceptance test runs the real commands against the offline demo portals: `linfen learn` samples each
site through the Scrapy engine with its bundled profile's selectors removed, and a crawl with the learned
profiles must reproduce the records of the hand-written profiles field by field.
"""

from __future__ import annotations

import re
import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import re2
from conftest import FAST, article_rows, run_linfen

from linfen_crawler.commands.learn import print_report
from linfen_crawler.demo.portal import Portal
from linfen_crawler.demo.server import DemoServer
from linfen_crawler.extract.article import parse_html
from linfen_crawler.extract.encoding import decode_html
from linfen_crawler.extract.infer import ArticleSample, ListSample, infer_profile, list_links, url_pattern
from linfen_crawler.profiles import all_profiles, load_file, parse_bytes

FIELDS = ("title", "published_at", "source", "authors", "editors", "body", "section")


def _selectorless(folder: Path) -> Path:
    """Copies of the bundled profiles with every [list] and [article] rule removed, in ``folder``."""
    folder.mkdir()
    for key, p in all_profiles().items():
        urls = ", ".join(f"'{u}'" for u in p.start_urls)
        domains = ", ".join(f"'{d}'" for d in p.domains)
        (folder / f"{key}.toml").write_text(f"key = '{key}'\nname = '{p.name}'\ndomains = [{domains}]\n"
                                            f"start_urls = [{urls}]\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def portal_server() -> Iterator[DemoServer]:
    with DemoServer() as srv:
        yield srv


def _home(site: str) -> str:
    return f"http://{next(h for h, k in Portal().hosts().items() if k == site)}/"


def test_learned_profiles_reproduce_the_hand_written_records(portal_server: DemoServer, tmp_path: Path) -> None:
    proxy = ["-s", f"LINFEN_PROXY={portal_server.url}", *FAST]
    bare = _selectorless(tmp_path / "bare")
    learned = tmp_path / "learned"
    learned.mkdir()
    for site in Portal().sites():
        proc = run_linfen("learn", _home(site), "--key", site, "--out", str(learned), *proxy,
                          env={"LINFEN_PROFILE_DIRS": str(bare)})
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "title" in proc.stdout and "pages agree" in (learned / f"{site}.toml").read_text(encoding="utf-8")
        profile = load_file(learned / f"{site}.toml")  # the loader accepts a learned profile as it is
        assert profile.article.title and profile.article.body and profile.list.article_url is not None
    hand_db, learned_db = tmp_path / "hand.db", tmp_path / "learned.db"
    for db, env in ((hand_db, {}), (learned_db, {"LINFEN_PROFILE_DIRS": str(learned)})):
        proc = run_linfen("crawl", "--all", "--db", str(db), "--jobs", "1", *proxy, env=env)
        assert proc.returncode == 0, proc.stderr[-2000:]
    hand, mine = article_rows(hand_db), article_rows(learned_db)
    assert len(hand) >= 90
    equal = total = 0
    differences = []
    for url in sorted(hand.keys() | mine.keys()):
        for name in FIELDS:
            total += 1
            a, b = hand.get(url, {}).get(name, "<missing>"), mine.get(url, {}).get(name, "<missing>")
            equal += a == b
            if a != b:
                differences.append(f"{url} {name}: {str(a)[:40]!r} != {str(b)[:40]!r}")
    ratio = equal / total
    print(f"learned vs hand-written profiles: {equal}/{total} fields equal ({ratio:.4f})")  # shown with -s
    assert ratio >= 0.99, f"{equal}/{total} fields equal ({ratio:.4f}); " + "; ".join(differences[:10])
    # a list's sidebar links other sections' articles: the learned article_links rule keeps each in its own
    assert not [d for d in differences if " section: " in d], differences


# -- the parts, without the engine ---------------------------------------------------------------------


@pytest.mark.parametrize(("urls", "other"), [
    (["http://www.lfxww.com/linfen/djll/93512.html", "http://www.lfxww.com/shanxi/245870.html",
      "http://www.lfxww.com/plus/view.php?aid=61877"],
     ["http://www.lfxww.com/linfen/djll/", "http://www.lfxww.com/linfen/djll/index_1.html",
      "http://www.lfxww.com/plus/search.php?q=1", "http://www.example.com/shanxi/245870.html"]),
    (["http://www.jcnews.com.cn/xw/jcxw/202309/t20230918_902281.html",
      "http://www.jcnews.com.cn/xw/sxxw/202209/t20220906_990233.html"],
     ["http://www.jcnews.com.cn/xw/jcxw/", "http://www.jcnews.com.cn/xw/jcxw/index_1.html"]),
    (["http://www.sxycrb.com/2023-10/09/content_512480.html"],
     ["http://www.sxycrb.com/node_5.html", "http://www.sxycrb.com/node_5_2.html"]),
])
def test_url_pattern_generalises_article_urls_and_leaves_lists_out(urls: list[str], other: list[str]) -> None:
    pattern = re2.compile(url_pattern(urls))
    for url in urls:
        assert pattern.search(url), url
    for url in other:
        assert not pattern.search(url), url
    # a new article of the same shape (a longer id, another section) matches too
    first = urlsplit(urls[0])
    longer = first._replace(path=re2.sub(r"(\d+)(\.html)$", r"\g<1>9\2", first.path)).geturl()
    assert pattern.search(longer), longer


def _portal_sample(site: str) -> tuple[list[ListSample], list[ArticleSample]]:
    portal = Portal()
    host = urlsplit(_home(site)).hostname

    def get(url: str) -> bytes:
        parts = urlsplit(url)
        page = portal.get(parts.path + (f"?{parts.query}" if parts.query else ""), host=host)
        assert page is not None
        return page.body

    lists = [ListSample(u, get(u), "要闻" if i == 0 else "经济", 1) for i, u in enumerate(portal.start_urls(site=site))]
    articles = [ArticleSample(r["url"], get(r["url"])) for r in portal.expected_articles(site=site)]
    return lists, articles


def test_infer_profile_writes_selectors_with_their_agreement_and_a_valid_profile() -> None:
    lists, articles = _portal_sample("sxycrb")
    learned = infer_profile("learned_sx", "http://www.sxycrb.com/", lists, articles)
    data = tomllib.loads(learned.toml)
    assert data["article"]["title"] and data["article"]["body"] and data["article"]["meta"]
    for line in learned.toml.splitlines():
        if line.startswith(("title =", "meta =", "body =")):
            assert re2.search(rf"# (\d+)/{learned.articles} pages agree$", line), line
    assert data["start_urls"] == ["http://www.sxycrb.com/node_5.html", "http://www.sxycrb.com/node_7.html"]
    rows = {row.field: row for row in learned.coverage}
    assert rows["title"].agree == rows["title"].pages == learned.articles == len(articles)
    assert rows["body"].agree == learned.articles


def test_a_sidebar_of_other_sections_articles_is_left_out_of_the_list_rule() -> None:
    lists, articles = _portal_sample("lfxww")
    learned = infer_profile("learned_lf", "http://www.lfxww.com/", lists, articles[:12])
    profile = parse_bytes(learned.toml.encode(), "learned_lf.toml")
    assert profile.list.article_links is not None
    for sample in lists:
        doc = parse_html(decode_html(sample.html, None, None)[0])
        assert doc is not None
        hrefs = doc.xpath("//*[@id='contentText']//a/@href")  # the list itself, as the demo renders it
        assert isinstance(hrefs, list)
        own = [urljoin(sample.url, str(h)) for h in hrefs]
        rule = [urljoin(sample.url, str(h)) for h in profile.list.article_links(doc)]
        assert rule == own and len(own) < len(list_links(doc, sample.url, profile.domains)), sample.url


def test_a_selector_that_disagrees_on_some_pages_is_counted_and_its_pages_listed(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lists, articles = _portal_sample("sxycrb")
    banner = "<h1>订阅运城日报　欢迎投稿</h1>".encode()  # a second headline slot on two pages, above the real one
    changed = [ArticleSample(a.url, a.html.replace(b'<div class="detail-h">', b'<div class="detail-h">' + banner, 1))
               if i < 2 else a for i, a in enumerate(articles)]
    assert changed[0].html != articles[0].html and changed[1].html != articles[1].html
    learned = infer_profile("learned_sx", "http://www.sxycrb.com/", lists, changed)
    title_line = next(line for line in learned.toml.splitlines() if line.startswith("title ="))
    assert title_line.endswith(f"# {len(articles) - 2}/{len(articles)} pages agree"), title_line
    assert [(d.url, d.field) for d in learned.disagreements] == [(a.url, "title") for a in articles[:2]]
    assert learned.disagreements[0].learned == "订阅运城日报 欢迎投稿"
    print_report(learned, tmp_path / "learned_sx.toml")
    shown = capsys.readouterr().out
    assert "where the learned profile and the generic extractor disagree" in shown
    assert f"{articles[0].url} title: generic {learned.disagreements[0].generic!r}" in shown
    n = len(articles)
    assert re.search(rf"(?m)^title +{n}/{n} +{n - 2}/{n}  //div", shown), shown  # the coverage table's row


def test_infer_profile_refuses_a_sample_without_list_pages() -> None:
    _, articles = _portal_sample("sxycrb")
    with pytest.raises(ValueError, match="no list page"):
        infer_profile("x1", "http://www.sxycrb.com/", [], articles)


def _save(folder: Path, url: str, body: bytes) -> None:
    path = folder / urlsplit(url).path.lstrip("/")
    if url.endswith("/"):
        path = path / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def test_learn_from_saved_pages_and_refuse_to_overwrite(tmp_path: Path) -> None:
    lists, articles = _portal_sample("jcnews")
    saved = tmp_path / "saved"
    for sample in lists:
        _save(saved / "lists", sample.url, sample.html)
    for article in articles:
        _save(saved / "articles", article.url, article.html)
    home = Portal().get("/", host="www.jcnews.com.cn")
    assert home is not None
    (saved / "index.html").write_bytes(home.body)
    out = tmp_path / "jc.toml"
    proc = run_linfen("learn", "http://www.jcnews.com.cn/", "--key", "jclearned", "--from", str(saved),
                      "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "field" in proc.stdout and "//h1[@id='title']" in proc.stdout  # the coverage table
    profile = load_file(out)
    assert profile.key == "jclearned" and profile.sections == {
        "http://www.jcnews.com.cn/xw/jcxw/": "晋城新闻", "http://www.jcnews.com.cn/xw/sxxw/": "山西新闻"}
    before = out.read_bytes()
    again = run_linfen("learn", "http://www.jcnews.com.cn/", "--key", "jclearned", "--from", str(saved),
                       "--out", str(out))
    assert again.returncode == 2 and again.stderr.strip() == f"Error: {out} exists; add --force to replace it"
    out.write_text("# edited\n", encoding="utf-8")
    forced = run_linfen("learn", "http://www.jcnews.com.cn/", "--key", "jclearned", "--from", str(saved),
                        "--out", str(out), "--force")
    assert forced.returncode == 0 and out.read_bytes() == before
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    unwritable = tmp_path / "a-file" / "jc.toml"  # its folder is a file
    failed = run_linfen("learn", "http://www.jcnews.com.cn/", "--key", "jclearned", "--from", str(saved),
                        "--out", str(unwritable))
    assert failed.returncode == 2 and failed.stderr.strip().startswith(f"Error: cannot write {unwritable}: ")


def test_learn_from_a_folder_without_lists_is_one_line(tmp_path: Path) -> None:
    proc = run_linfen("learn", "http://www.jcnews.com.cn/", "--key", "jc2", "--from", str(tmp_path),
                      "--out", str(tmp_path / "x.toml"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "lists/" in proc.stderr and "Traceback" not in proc.stderr


def test_learn_is_polite_and_samples_as_many_articles_as_asked(tmp_path: Path) -> None:
    with DemoServer() as srv:
        proc = run_linfen("learn", "http://www.sxycrb.com/", "--key", "yc", "--pages", "4", "--out", str(tmp_path),
                          "-s", f"LINFEN_PROXY={srv.url}", *FAST)
        log = [r for r in srv.requests if r.host == "www.sxycrb.com"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "4 article pages" in proc.stdout
    assert log[0].path == "/robots.txt"  # robots.txt first, as for a crawl
    articles = [r for r in log if "/content_" in r.path]
    assert len(articles) == 4
    profile = load_file(tmp_path / "yc.toml")
    assert profile.name == "运城新闻网"  # the start page's <title>
    assert profile.download_delay is None  # politeness stays the project's default unless the profile is edited


def test_learn_a_site_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    # a port held by a socket that does not listen: connections are refused, and no other process can take it
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        proc = run_linfen("learn", f"http://127.0.0.1:{port}/", "--key", "nowhere", "--out", str(tmp_path),
                          "-s", "RETRY_TIMES=0", *FAST)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: cannot fetch http://127.0.0.1:{port}/ (") and "Refused" in last, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "nowhere.toml").exists()
