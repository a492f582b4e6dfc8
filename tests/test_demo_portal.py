"""The offline sample portal (linfen_crawler.demo) and its local HTTP server."""

from __future__ import annotations

import ast
import hashlib
import http.client
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html as lxml_html

from linfen_crawler.demo import lfxww, portal
from linfen_crawler.demo.base import fold
from linfen_crawler.demo.recording import request_target
from linfen_crawler.demo.server import DemoServer, RequestRecord
from linfen_crawler.demo.synthetic import FileServer, Site, article_path, build_portal

SEED_PAGE = Path(__file__).resolve().parents[2] / "shared" / "seed-page.html"
SEED_EXPECTED = Path(__file__).resolve().parents[2] / "shared" / "seed-article.expected.json"
PACKAGE_SEED = Path(lfxww.__file__).with_name("seed-93512.html")
ORIGIN = "http://www.lfxww.com"


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as srv:
        yield srv


def proxy_get(srv: DemoServer, url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A request the way Scrapy sends it through meta['proxy']: absolute URL in the request line."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request(method, url)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def host_get(srv: DemoServer, path: str, host: str = "www.lfxww.com") -> tuple[int, dict[str, str], bytes]:
    """A plain request with a Host header, through urllib."""
    req = urllib.request.Request(srv.url + path, headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def article_id(url: str) -> int:
    match = re.search(r"(\d+)(?:\.html)?$", url)
    assert match, url
    return int(match.group(1))


def charset_of(content_type: str) -> str:
    match = re.search(r"charset=([\w-]+)", content_type)
    assert match, content_type
    return match.group(1).lower()


def meta_charset(body: bytes) -> str:
    match = re.search(rb"charset=\"?([\w-]+)", body[:600])
    assert match, body[:600]
    return match.group(1).decode().lower()


def decode(body: bytes, charset: str) -> str:
    return body.decode("gbk" if charset in ("gb2312", "gbk") else charset)


def parse(body: bytes, charset: str, url: str) -> lxml_html.HtmlElement:
    doc = lxml_html.fromstring(decode(body, charset), base_url=url)
    return doc


# ------------------------------------------------------------------------------------ the data


def test_enough_articles_over_all_sections_and_years() -> None:
    records = portal.expected_articles(site="lfxww")
    assert len(records) >= 70
    sections = Counter(r["section"] for r in records)
    assert set(sections) == {name for _, name in lfxww.SECTIONS.values()}
    years = {int(r["published_at"][:4]) for r in records}
    assert min(years) == 2011 and max(years) == 2024
    assert len({r["url"] for r in records}) == len(records)
    for r in records:
        assert list(r) == ["url", "site", "section", "title", "published_at", "source", "authors", "editors", "body"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", r["published_at"])
        assert r["body"] and r["title"]
        assert r["url"].startswith(ORIGIN + "/")


def test_expected_records_are_width_folded() -> None:
    for r in portal.expected_articles():
        for text in [r["title"], *r["body"].split("\n")]:
            assert text == text.strip() and "  " not in text
            assert not re.search("[\u3000\u00a0\uff01-\uff5e]", text), text
        body = r["body"]
        assert "来源:" not in body and "浏览次数" not in body
        assert not re.search(r"(责任编辑|责编|编辑|校对)\s*[:：]", body), body[-80:]
        for name in r["editors"]:
            assert "_" not in name


def test_seed_record_is_the_shared_expectation() -> None:
    seed = json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))
    record = next(r for r in portal.expected_articles() if r["url"] == seed["url"])
    assert record["section"] == "党建"
    for key in ("title", "published_at", "source", "authors", "editors", "body"):
        assert record[key] == seed[key]


def test_role_rules_in_expectations() -> None:
    by_url = {r["url"]: r for r in portal.expected_articles(site="lfxww")}
    lead = by_url[ORIGIN + "/linfen/djll/93431.html"]
    assert lead["authors"] == ["王长波", "李四"] and lead["editors"] == ["付基恒"]
    assert lead["body"].startswith("临汾新闻网讯 (记者 王长波 通讯员 李四)")
    signoff = by_url[ORIGIN + "/linfen/djll/93513.html"]
    assert signoff["authors"][-1] == "张巨峰" and signoff["body"].endswith("(张巨峰)")
    photo = by_url[ORIGIN + "/linfen/kjww/93517.html"]
    assert "刘通" in photo["authors"] and "(刘通 摄)" in photo["body"]
    coded = by_url[ORIGIN + "/linfen/glps/180233.html"]
    assert coded["editors"] == ["杨倩"]
    assert any(r["source"] is None for r in by_url.values())  # 来源：网络
    assert any(not r["editors"] for r in by_url.values())
    both = [r for r in by_url.values() if set(r["authors"]) & set(r["editors"])]
    assert both  # the 作者：X 编辑：X case
    for r in by_url.values():
        if r not in both:
            assert not set(r["authors"]) & set(r["editors"]), r["url"]


# ------------------------------------------------------------------------------------ the server


def test_plain_request_with_host_header_serves_seed_bytes(server: DemoServer) -> None:
    status, headers, body = host_get(server, "/linfen/djll/93512.html")
    assert status == 200
    assert charset_of(headers["content-type"]) == "gb2312"
    assert body == SEED_PAGE.read_bytes() == PACKAGE_SEED.read_bytes()


def test_proxy_style_request(server: DemoServer) -> None:
    status, headers, body = proxy_get(server, ORIGIN + "/linfen/djll/93512.html")
    assert status == 200 and body == SEED_PAGE.read_bytes()
    assert int(headers["content-length"]) == len(body)
    status, _, body = proxy_get(server, ORIGIN + "/plus/view.php?aid=61877")
    assert status == 200
    assert "浮山县春耕备耕工作全面展开" in body.decode("gbk")


def test_unknown_host_and_path_are_404(server: DemoServer) -> None:
    assert proxy_get(server, "http://www.example.com/")[0] == 404
    assert host_get(server, "/", host="m.lfxww.com")[0] == 404
    status, headers, body = proxy_get(server, ORIGIN + "/linfen/djll/1.html")
    assert status == 404 and "text/html" in headers["content-type"] and b"404" in body
    assert proxy_get(server, ORIGIN + "/about/")[0] == 404
    assert proxy_get(server, ORIGIN + "/plus/view.php?aid=1")[0] == 404


def test_bare_domain_redirects_to_www(server: DemoServer) -> None:
    status, headers, _ = proxy_get(server, "http://lfxww.com/shanxi/")
    assert status == 301 and headers["location"] == ORIGIN + "/shanxi/"


def test_head_has_headers_but_no_body(server: DemoServer) -> None:
    _, get_headers, body = proxy_get(server, ORIGIN + "/linfen/shizheng/")
    status, headers, head_body = proxy_get(server, ORIGIN + "/linfen/shizheng/", method="HEAD")
    assert status == 200 and head_body == b""
    assert headers["content-length"] == get_headers["content-length"] == str(len(body))


def test_robots_txt(server: DemoServer) -> None:
    status, headers, body = proxy_get(server, ORIGIN + "/robots.txt")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert body.decode().splitlines() == ["User-agent: *", "Disallow: /plus/search.php"]


def test_article_pages_match_their_records(server: DemoServer) -> None:
    """Every expected record is visibly on its page; header and meta charsets agree except on one page."""
    charsets: Counter[str] = Counter()
    liars = []
    for record in portal.expected_articles(site="lfxww"):
        status, headers, body = proxy_get(server, record["url"])
        assert status == 200, record["url"]
        header, meta = charset_of(headers["content-type"]), meta_charset(body)
        if header != meta:
            liars.append(record["url"])
        charsets[meta] += 1
        doc = parse(body, meta, record["url"])
        assert doc.findtext(".//title") == f"{doc.xpath('string(//h2)')}_临汾新闻网"
        assert fold(doc.xpath("string(//h2)")) == record["title"]
        page_text = fold(" ".join(doc.xpath("//body//text()")))
        assert record["published_at"][:10] in page_text
        first, last = record["body"].split("\n")[0], record["body"].split("\n")[-1]
        assert first in page_text, record["url"]
        if len(record["body"].split("\n")) < 5:  # multi-page bodies end on a later page
            assert last in page_text, record["url"]
        if record["source"]:
            assert f"来源:{record['source']}" in page_text
    assert charsets["utf-8"] >= 5 and charsets["gb2312"] + charsets["gbk"] >= 40
    assert liars == [ORIGIN + "/linfen/kjww/201455.html"]


def test_page_with_lying_charset_header(server: DemoServer) -> None:
    status, headers, body = proxy_get(server, ORIGIN + "/linfen/kjww/201455.html")
    assert status == 200
    assert charset_of(headers["content-type"]) == "utf-8"
    assert meta_charset(body) == "gb2312"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "我市隆重庆祝第35个教师节" in body.decode("gbk")


def test_utf8_and_gbk_pages_both_exist(server: DemoServer) -> None:
    _, headers, body = proxy_get(server, ORIGIN + "/linfen/glps/180233.html")
    assert charset_of(headers["content-type"]) == meta_charset(body) == "utf-8"
    assert "壶口瀑布现冰挂奇观" in body.decode("utf-8")
    _, headers, body = proxy_get(server, ORIGIN + "/linfen/shizheng/")
    assert charset_of(headers["content-type"]) == meta_charset(body) == "gb2312"
    body.decode("gbk")


# ------------------------------------------------------------------------------------ lists


def list_links(srv: DemoServer, url: str) -> tuple[list[str], dict[str, str]]:
    """(article links from #contentText, pager links by label) of one list page."""
    status, headers, body = proxy_get(srv, url)
    assert status == 200, url
    doc = parse(body, charset_of(headers["content-type"]), url)
    articles = [urljoin(url, h) for h in doc.xpath("//*[@id='contentText']//ul/li/a/@href")]
    pager = {a.text_content().strip(): urljoin(url, a.get("href")) for a in doc.xpath("//div[@class='pages']//a")}
    return articles, pager


def test_list_pagination_trs_style(server: DemoServer) -> None:
    start = ORIGIN + "/linfen/shizheng/"
    first, pager = list_links(server, start)
    assert len(first) == lfxww.PER_PAGE
    assert pager["下一页"] == start + "index_1.html"
    assert proxy_get(server, start + "index.html")[2] == proxy_get(server, start)[2]
    second, pager2 = list_links(server, pager["下一页"])
    assert second and not set(first) & set(second)
    assert pager2["上一页"] == start + "index.html"
    url, seen = start, 0
    while True:
        links, pager = list_links(server, url)
        seen += len(links)
        if "下一页" not in pager:
            break
        url = pager["下一页"]
    n_expected = sum(1 for r in portal.expected_articles() if r["section"] == "时政")
    assert seen == n_expected
    assert proxy_get(server, url.rsplit("/", 1)[0] + "/index_9.html")[0] == 404


def test_list_items_have_dates_and_are_newest_first(server: DemoServer) -> None:
    _, _, body = proxy_get(server, ORIGIN + "/linfen/djll/")
    doc = parse(body, "gb2312", ORIGIN + "/linfen/djll/")
    dates = doc.xpath("//*[@id='contentText']//li/span/text()")
    assert dates == sorted(dates, reverse=True) and all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in dates)
    sidebar = doc.xpath("//div[contains(@class,'n-c-Focus')]//a/@href")
    assert sidebar and not any(h.startswith("/linfen/djll/") for h in sidebar)


def bfs(srv: DemoServer) -> set[str]:
    """Article URLs reachable from the section start URLs via list links and list pagination only."""
    queue = deque(portal.start_urls(site="lfxww"))
    seen_lists = set(queue)
    found: set[str] = set()
    while queue:
        url = queue.popleft()
        links, pager = list_links(srv, url)
        found.update(links)
        for label, href in pager.items():
            if href not in seen_lists and (label in ("下一页", "上一页", "首页", "尾页") or label.isdigit()):
                seen_lists.add(href)
                queue.append(href)
    return found


def test_every_expected_article_is_reachable_from_the_lists(server: DemoServer) -> None:
    found = bfs(server)
    expected = {r["url"] for r in portal.expected_articles(site="lfxww")}
    assert expected <= found
    assert set(portal.non_article_urls()) <= found
    assert found - expected == set(portal.non_article_urls())
    assert ORIGIN + "/plus/view.php?aid=61877" in found
    assert not any(re.search(r"_\d+\.html$", u) for u in found)  # continuation pages are not listed


def test_home_and_channel_pages_link_sections(server: DemoServer) -> None:
    for path in ("/", "/index.html", "/linfen/"):
        status, _, body = proxy_get(server, ORIGIN + path)
        assert status == 200
        doc = lxml_html.fromstring(body.decode("gbk"))
        hrefs = {a.get("href") for a in doc.iter("a")}
        assert "/linfen/shizheng/" in hrefs and "/linfen/djll/" in hrefs


# ------------------------------------------------------------------------------------ special pages


def test_multi_page_article(server: DemoServer) -> None:
    urls = portal.default_portal().multipage_urls()
    assert [u.rsplit("/", 1)[1] for u in urls] == ["152360.html", "152360_2.html", "152360_3.html"]
    heads, bodies = set(), []
    for i, url in enumerate(urls, 1):
        status, _, body = proxy_get(server, url)
        assert status == 200
        doc = parse(body, "gb2312", url)
        heads.add((doc.xpath("string(//h2)"), doc.xpath("string(//h3)")))
        pager = {a.text_content(): urljoin(url, a.get("href")) for a in doc.xpath("//div[@class='pages']//a")}
        assert {"1", "2", "3"} <= set(pager)
        assert ("下一页" in pager) == (i < 3) and ("上一页" in pager) == (i > 1)
        if i < 3:
            assert pager["下一页"] == urls[i]
        bodies.append(fold(doc.xpath("string(//div[contains(@class,'jcontent')])")))
        other = 3 if i == 2 else 2
        assert doc.xpath(f"//div[@class='pages']//a[text()='{other}']/@href") == [f"152360_{other}.html"]
    assert len(heads) == 1
    record = next(r for r in portal.expected_articles() if r["url"] == urls[0])
    lines = record["body"].split("\n")
    assert lines[0][:30] in bodies[0] and lines[-1] in bodies[2]
    assert lines[-1] not in bodies[0] and lines[0][:30] not in bodies[2]
    assert "付基恒" not in bodies[2] and "王丽" in bodies[2]  # editor line on the last page only
    assert "王丽" not in bodies[0]


def test_photo_story_layout(server: DemoServer) -> None:
    url = ORIGIN + "/linfen/glps/180233.html"
    _, _, body = proxy_get(server, url)
    doc = parse(body, "utf-8", url)
    assert not doc.xpath("//div[contains(@class,'jcontent')]")
    assert doc.xpath("string(//div[@class='piccontext']/h2)") == "壶口瀑布现冰挂奇观"
    assert "来源：临汾新闻网" in doc.xpath("string(//div[@class='piccontext']/div[@class='info'])")
    imgs = doc.xpath("//div[@class='picshow']/img/@src")
    assert len(imgs) == 4 and all(src.startswith("/uploads/") for src in imgs)
    assert proxy_get(server, ORIGIN + imgs[0])[1]["content-type"] == "image/gif"
    record = next(r for r in portal.expected_articles() if r["url"] == url)
    captions = [fold(p) for p in doc.xpath("//div[@class='picshow']/p/text()")]
    assert record["body"].split("\n") == captions
    assert record["authors"] == ["刘通", "吉瑞"]


def test_non_article_pages(server: DemoServer) -> None:
    urls = portal.non_article_urls()
    assert any("/linfen/ft/" in u for u in urls)
    for url in urls:
        status, headers, body = proxy_get(server, url)
        assert status == 200
        doc = parse(body, charset_of(headers["content-type"]), url)
        assert not doc.xpath("//div[contains(@class,'jcontent')]") and not doc.xpath("//div[@class='picshow']")
        assert re.fullmatch(r"http://www\.lfxww\.com/[a-z/]+/\d+\.html", url)  # looks like an article URL
        assert url not in {r["url"] for r in portal.expected_articles()}
    notfound = [u for u in urls if "页面不存在" in proxy_get(server, u)[2].decode("gbk")]
    assert len(notfound) == 1


def test_republished_pair() -> None:
    records = portal.expected_articles(site="lfxww")
    bodies = Counter(r["body"] for r in records)
    dupes = [r for r in records if bodies[r["body"]] > 1]
    assert len(dupes) == 2
    a, b = dupes
    assert a["url"] != b["url"] and a["section"] != b["section"]
    assert a["source"] == b["source"] == "山西日报"
    hours = abs(int(a["published_at"][11:13]) - int(b["published_at"][11:13]))
    assert a["published_at"][:10] == b["published_at"][:10] and 1 <= hours <= 6


# ------------------------------------------------------------------------------------ the other sample sites

OTHER_SITES = ("sxycrb", "jcnews", "changzhinews")


def test_portal_serves_a_sample_site_per_bundled_profile() -> None:
    from linfen_crawler.profiles import all_profiles

    served = portal.default_portal().sites()
    assert served == sorted(["lfxww", *OTHER_SITES])
    assert set(served) <= set(all_profiles())
    records = portal.expected_articles()
    assert {r["site"] for r in records} == set(served)
    assert len({r["url"] for r in records}) == len(records)


@pytest.mark.parametrize("site", OTHER_SITES)
def test_sample_site_records_follow_the_profile(site: str) -> None:
    from linfen_crawler.profiles import load_profile

    profile = load_profile(site)
    records = portal.expected_articles(site=site)
    assert 8 <= len(records) <= 12
    assert {r["section"] for r in records} <= set(profile.sections.values())
    assert profile.list.article_url is not None
    for r in records:
        assert list(r) == ["url", "site", "section", "title", "published_at", "source", "authors", "editors", "body"]
        assert profile.allows(urlsplit(r["url"]).hostname or "")
        assert profile.list.article_url.search(r["url"]), r["url"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", r["published_at"])
        assert r["title"] and r["body"] and r["authors"] is not None
        assert r["published_at"][:10].replace("-", "") in r["url"].replace("-", "").replace("/", "")  # dated URLs


@pytest.mark.parametrize("site", OTHER_SITES)
def test_sample_site_is_served_under_its_host(server: DemoServer, site: str) -> None:
    records = portal.expected_articles(site=site)
    origin = f"http://{urlsplit(records[0]['url']).hostname}"
    for r in records:
        status, headers, body = proxy_get(server, r["url"])
        assert status == 200, r["url"]
        meta = meta_charset(body)
        assert charset_of(headers["content-type"]) == meta
        doc = parse(body, meta, r["url"])
        page_text = fold(" ".join(doc.xpath("//body//text()")))
        assert r["title"] in page_text and r["body"].split("\n")[0] in page_text
    bare = origin.replace("http://www.", "http://")
    status, headers, _ = proxy_get(server, bare + "/")
    assert status == 301 and headers["location"] == origin + "/"
    assert proxy_get(server, origin + "/no/such/page.html")[0] == 404
    assert proxy_get(server, origin + "/robots.txt")[0] == 200
    # the sample 临汾新闻网's paths are not served on another host
    assert proxy_get(server, origin + "/linfen/djll/93512.html")[0] == 404


def test_sample_sites_mix_gbk_and_utf8(server: DemoServer) -> None:
    charsets: Counter[str] = Counter()
    for site in OTHER_SITES:
        for r in portal.expected_articles(site=site):
            charsets[meta_charset(proxy_get(server, r["url"])[2])] += 1
    assert charsets["utf-8"] >= 10 and charsets["gbk"] + charsets["gb2312"] >= 5


def site_bfs(srv: DemoServer, site: str) -> tuple[set[str], int]:
    """(article URLs the profile's article_url matches, list pages seen) from the start URLs via 下一页."""
    from linfen_crawler.profiles import load_profile

    profile = load_profile(site)
    assert profile.list.article_url is not None
    queue, seen, found = deque(profile.start_urls), set(profile.start_urls), set()
    while queue:
        url = queue.popleft()
        status, _, body = proxy_get(srv, url)
        assert status == 200, url
        doc = parse(body, meta_charset(body), url)
        for href in doc.xpath("//a/@href"):
            absolute = urljoin(url, href)
            if profile.list.article_url.search(absolute):
                found.add(absolute)
        for href in doc.xpath("//a[normalize-space()='下一页']/@href"):
            nxt = urljoin(url, href)
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return found, len(seen)


@pytest.mark.parametrize("site", OTHER_SITES)
def test_sample_site_lists_paginate_and_reach_every_article(server: DemoServer, site: str) -> None:
    found, list_pages = site_bfs(server, site)
    from linfen_crawler.profiles import load_profile

    assert found == {r["url"] for r in portal.expected_articles(site=site)}
    assert list_pages > len(load_profile(site).start_urls)  # at least one section has a second page


def test_story_republished_by_two_sites() -> None:
    """One 山西日报 story on two sites, a few hours apart: issue 6's duplicate detection must link them."""
    by_body: dict[str, list[dict[str, object]]] = {}
    for r in portal.expected_articles():
        by_body.setdefault(r["body"], []).append(r)
    cross = [group for group in by_body.values() if len({r["site"] for r in group}) > 1]
    assert len(cross) == 1
    a, b = cross[0]
    assert a["url"] != b["url"] and a["title"] == b["title"]
    assert a["source"] == b["source"] == "山西日报"
    hours = abs(int(str(a["published_at"])[11:13]) - int(str(b["published_at"])[11:13]))
    assert str(a["published_at"])[:10] == str(b["published_at"])[:10] and 1 <= hours <= 6


# ------------------------------------------------------------------------------------ log, publish, process


def test_request_log_records_method_host_path_status() -> None:
    with DemoServer() as srv:
        proxy_get(srv, ORIGIN + "/shanxi/index_1.html")
        host_get(srv, "/nope.html")
        proxy_get(srv, ORIGIN + "/robots.txt", method="HEAD")
        expected = [
            RequestRecord("GET", "www.lfxww.com", "/shanxi/index_1.html", 200),
            RequestRecord("GET", "www.lfxww.com", "/nope.html", 404),
            RequestRecord("HEAD", "www.lfxww.com", "/robots.txt", 200),
        ]
        assert srv.requests == expected
        with urllib.request.urlopen(srv.url + "/__log", timeout=10) as resp:
            log = json.loads(resp.read())
        assert [tuple(e.values()) for e in log] == [tuple(r) for r in expected]
        assert list(log[0]) == ["method", "host", "path", "status"]
        srv.clear_requests()
        assert srv.requests == []


def test_log_is_thread_safe_under_concurrent_requests() -> None:
    import threading

    with DemoServer() as srv:

        def worker(i: int) -> None:
            for j in range(10):
                proxy_get(srv, f"{ORIGIN}/linfen/djll/?t={i}-{j}")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(srv.requests) == 80 and all(r.status == 200 for r in srv.requests)


def test_publish_adds_new_articles_at_the_top() -> None:
    before = portal.expected_articles(site="lfxww")
    with DemoServer() as srv:
        old_ids = {article_id(r["url"]) for r in before}
        new_urls = srv.publish(2)
        with urllib.request.urlopen(srv.url + "/__publish?n=1", timeout=10) as resp:
            new_urls += json.loads(resp.read())["published"]
        assert len(set(new_urls)) == 3
        new_ids = [article_id(u) for u in new_urls]
        assert min(new_ids) > max(old_ids) and new_ids == sorted(new_ids)
        after = srv.portal.expected_articles(site="lfxww")
        assert len(after) == len(before) + 3
        assert {r["url"] for r in after} - {r["url"] for r in before} == set(new_urls)
        for url in new_urls:
            record = next(r for r in after if r["url"] == url)
            section_start = next(ORIGIN + path for path, name in lfxww.SECTIONS.values() if name == record["section"])
            links, _ = list_links(srv, section_start)
            assert links[0] == url or url in links[:3]
            status, _, body = proxy_get(srv, url)
            assert status == 200 and record["body"].split("\n")[1] in fold(body.decode("gbk"))
        assert bfs(srv) >= {r["url"] for r in after}
        # deterministic: another portal published the same way yields the same records
        again = portal.Portal(published=3).expected_articles(site="lfxww")
        assert again == after
    assert portal.expected_articles(site="lfxww") == before  # the default portal is untouched


def test_publish_rejects_bad_n(server: DemoServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server.url + "/__publish?n=x", timeout=10)
    assert err.value.code == 400


def test_server_runs_as_a_module_in_its_own_process(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    proc = subprocess.Popen(
        [sys.executable, "-m", "linfen_crawler.demo.server", "--port-file", str(port_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "server did not write its port file"
            time.sleep(0.05)
        port = int(port_file.read_text())
        assert proc.stdout is not None and proc.stdout.readline().strip() == str(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", ORIGIN + "/linfen/djll/93512.html")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == SEED_PAGE.read_bytes()
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert proc.stderr is not None and proc.stderr.read() == ""  # quiet: no line per request


def test_urls_look_like_the_real_site() -> None:
    for r in portal.expected_articles(site="lfxww"):
        path = urlsplit(r["url"]).path + ("?" + urlsplit(r["url"]).query if urlsplit(r["url"]).query else "")
        assert re.fullmatch(r"/(shanxi|linfen/[a-z]+)/\d+\.html|/plus/view\.php\?aid=\d+", path), path


_SCRAPY_FETCH = r"""
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

got = []

class Fetch(scrapy.Spider):
    name = "fetch"
    start_urls = json.loads(sys.argv[1])

    def parse(self, response):
        got.append([response.url, response.status, response.xpath("string(//h2)").get()])

process = CrawlerProcess({"LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False})
process.crawl(Fetch)
process.start()
print(json.dumps(got, ensure_ascii=False))
"""


def test_scrapy_reaches_the_portal_as_an_http_proxy(tmp_path: Path) -> None:
    """A real Scrapy crawl (own process) with the server as http_proxy, robots.txt included."""
    import os

    urls = [ORIGIN + "/linfen/djll/93512.html", "http://lfxww.com/shanxi/", ORIGIN + "/plus/search.php?q=x"]
    with DemoServer() as srv:
        env = {**os.environ, "http_proxy": srv.url, "no_proxy": ""}
        done = subprocess.run(
            [sys.executable, "-c", _SCRAPY_FETCH, json.dumps(urls)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        got = json.loads(done.stdout.strip().splitlines()[-1])
        log = srv.requests
    assert [ORIGIN + "/linfen/djll/93512.html", 200, "走在最前列\u3000争当排头兵"] in got
    assert [ORIGIN + "/shanxi/", 200, ""] in got  # followed the 301 from the bare domain
    assert RequestRecord("GET", "www.lfxww.com", "/robots.txt", 200) in log
    assert not any(r.path.startswith("/plus/search.php") for r in log)  # disallowed by robots.txt


@pytest.mark.parametrize(("raw", "host_header", "expected"), [
    ("http://www.lfxww.com/linfen/1.html?a=1", None, ("www.lfxww.com", "/linfen/1.html?a=1")),  # proxy form
    ("http://WWW.LFXWW.COM", "ignored.example", ("www.lfxww.com", "/")),
    ("/linfen/1.html", "www.lfxww.com:8080", ("www.lfxww.com", "/linfen/1.html")),  # origin form + Host
    ("/x", None, ("", "/x")),
])
def test_request_target(raw, host_header, expected):
    assert request_target(raw, host_header) == expected


# -- the package's shape (issue 12): imports point one way, nothing private crosses a module --------------

DEMO_DIR = Path(lfxww.__file__).parent


def _own_imports(path: Path) -> list[tuple[str, list[str], bool]]:
    """(module, imported names, inside a function?) of each import of the package's own modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nested = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
              for n in ast.walk(f) if n is not f}
    out: list[tuple[str, list[str], bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("linfen_crawler"):
            names = [a.name for a in node.names]
            if node.module == "linfen_crawler.demo":  # from linfen_crawler.demo import portal
                out += [(f"linfen_crawler.demo.{n}", [], id(node) in nested) for n in names]
            else:
                out.append((node.module or "", names, id(node) in nested))
        elif isinstance(node, ast.Import):
            out += [(a.name, [], id(node) in nested) for a in node.names if a.name.startswith("linfen_crawler")]
    return out


def test_demo_modules_import_downwards_without_private_names() -> None:
    graph: dict[str, set[str]] = {}
    for path in sorted(DEMO_DIR.glob("*.py")):
        name = f"linfen_crawler.demo.{path.stem}"
        graph[name] = set()
        for module, names, local in _own_imports(path):
            assert not local, f"{path.name}: function-local import of {module}"
            assert not [n for n in names if n.startswith("_")], f"{path.name}: private names from {module}"
            if module.startswith("linfen_crawler.demo."):
                graph[name].add(module)
    # no cycle: repeatedly drop modules that import no remaining module
    left = dict(graph)
    while left:
        leaves = [m for m, deps in left.items() if not deps & left.keys()]
        assert leaves, f"import cycle among {sorted(left)}"
        for m in leaves:
            del left[m]
    assert "linfen_crawler.demo.lfxww" in graph["linfen_crawler.demo.sites"]
    assert "linfen_crawler.demo.sites" not in graph["linfen_crawler.demo.lfxww"]
    assert graph["linfen_crawler.demo.base"] == set()


# -- the crawl benchmark's synthetic portal (linfen_crawler.demo.synthetic) -----------------------------------

# sha256 over (relative path, bytes) of every file of a 40-article portal, as benchmarks/crawl.py generated it
# before the generator moved out of the benchmark: the benchmark's pages must stay byte for byte the same
SYNTHETIC_40 = "b34ef8410ef61c7742d4c835163b4b0d44b7f047449e8128aca814defb9b3d43"


def test_synthetic_portal_bytes_are_pinned_and_served_for_any_host(tmp_path: Path) -> None:
    root = tmp_path / "portal"
    build_portal(root, 40, {"main": 40})
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".complete")
    digest = hashlib.sha256()
    for p in files:
        digest.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    assert len(files) == 48 and digest.hexdigest() == SYNTHETIC_40

    site = Site("bencha", "main", 40)
    with FileServer(root) as srv:
        def get(url: str) -> tuple[int, bytes, str | None]:
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            conn.request("GET", url, headers={"Host": urlsplit(url).hostname or ""})  # proxy form
            resp = conn.getresponse()
            try:
                return resp.status, resp.read(), resp.getheader("Content-Type")
            finally:
                conn.close()

        status, body, ctype = get(f"http://{site.host}{article_path(7)}?x=1")
        assert (status, ctype) == (200, "text/html")
        assert body == (root / article_path(7).lstrip("/")).read_bytes()
        status, body, _ = get(site.start_urls()[0])  # a folder answers with its index.html
        assert status == 200 and body == (root / "lists/main/shizheng/index.html").read_bytes()
        assert get(f"http://{site.host}/news/shizheng/999.html")[:2] == (404, b"not found")
        assert get(f"http://{site.host}/lists/../news/")[:2] == (200, b"")
