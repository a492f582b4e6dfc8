"""Automatic article-link detection (table-driven)."""

from __future__ import annotations

import lxml.html
import pytest

from linfen_crawler.extract.links import (
    detect_article_links,
    looks_like_article_url,
    looks_like_headline,
    on_domains,
)

URL_CASES = [
    ("http://www.lfxww.com/linfen/shizheng/93512.html", True),
    ("http://www.lfxww.com/plus/view.php?aid=93512", True),
    ("http://www.sxycrb.com/2021-03/15/content_123.html", True),
    ("http://www.jcnews.com.cn/xw/202103/t20210315_123456.html", True),
    ("http://www.lfxww.com/linfen/shizheng/", False),
    ("http://www.lfxww.com/linfen/shizheng/index_2.html", False),
    ("http://www.lfxww.com/list_12.html", False),
    ("http://www.lfxww.com/", False),
    ("ftp://www.lfxww.com/1/93512.html", False),
    ("http://www.example.cn/news/20210315/1234.shtml", True),
    ("http://www.example.cn/show.php?id=12", False),  # too short an id
]


@pytest.mark.parametrize(("url", "expected"), URL_CASES)
def test_looks_like_article_url(url: str, expected: bool) -> None:
    assert looks_like_article_url(url) is expected


HEADLINE_CASES = [
    ("市三届党代会胜利闭幕", True),
    ("尧都区：党员干部进村入户访民情", True),
    ("下一页", False),
    ("更多>>", False),
    ("时政", False),
    ("Click here to read more", False),
    ("5G手机促销方式曝光", True),
]


@pytest.mark.parametrize(("text", "expected"), HEADLINE_CASES)
def test_looks_like_headline(text: str, expected: bool) -> None:
    assert looks_like_headline(text) is expected


DOMAIN_CASES = [
    ("http://www.lfxww.com/a/1.html", ["lfxww.com"], True),
    ("http://m.lfxww.com/a/1.html", ["lfxww.com"], True),
    ("http://lfxww.com.evil.cn/a/1.html", ["lfxww.com"], False),
    ("http://www.other.com/a/1.html", ["lfxww.com", "www.lfxww.com"], False),
]


@pytest.mark.parametrize(("url", "domains", "expected"), DOMAIN_CASES)
def test_on_domains(url: str, domains: list[str], expected: bool) -> None:
    assert on_domains(url, domains) is expected


LIST_PAGE = """<html><body>
<div class="menu"><a href="/linfen/shizheng/">时政新闻频道首页</a><a href="/">首页</a></div>
<div id="contentText"><ul>
<li><a href="/linfen/shizheng/93520.html">我市召开转型跨越发展推进会</a></li>
<li><a href="93518.html">洪洞县：设施蔬菜喜获丰收</a></li>
<li><a href="/linfen/shizheng/93520.html#c">我市召开转型跨越发展推进会</a></li>
<li><a href="http://www.other.com/news/93000.html">外站新闻标题不要收录</a></li>
<li><a href="/plus/view.php?aid=93001">临汾一中举行秋季运动会</a></li>
<li><a href="/linfen/shizheng/93517.html">更多</a></li>
</ul>
<div class="pages"><a href="index_2.html">下一页</a><a href="index_3.html">3</a></div></div>
</body></html>"""


def test_detect_article_links() -> None:
    doc = lxml.html.document_fromstring(LIST_PAGE)
    links = detect_article_links(doc, "http://www.lfxww.com/linfen/shizheng/index.html", ["lfxww.com"])
    assert links == [
        "http://www.lfxww.com/linfen/shizheng/93520.html",
        "http://www.lfxww.com/linfen/shizheng/93518.html",
        "http://www.lfxww.com/plus/view.php?aid=93001",
    ]
