"""Multi-page articles: the next page of the same article, never another article."""

from __future__ import annotations

import html

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from replaced import plain_next_page

from linfen_crawler.extract.pages import next_page, page_number

BASE = "http://www.lfxww.com/linfen/shizheng/93600.html"


@pytest.mark.parametrize(("url", "expected"), [
    (BASE, ("http://www.lfxww.com/linfen/shizheng/93600", 1)),
    ("http://www.lfxww.com/linfen/shizheng/93600_3.html", ("http://www.lfxww.com/linfen/shizheng/93600", 3)),
    ("http://www.lfxww.com/plus/view.php?aid=12", None),
])
def test_page_number(url, expected):
    assert page_number(url) == expected


@pytest.mark.parametrize(("html", "url", "expected"), [
    ('<div class="pages"><a href="93600.html">1</a><a href="93600_2.html">2</a><a href="93600_2.html">下一页</a></div>',
     BASE, "http://www.lfxww.com/linfen/shizheng/93600_2.html"),
    ('<a href="93600.html">上一页</a><a href="93600_3.html">下一页</a>',
     "http://www.lfxww.com/linfen/shizheng/93600_2.html", "http://www.lfxww.com/linfen/shizheng/93600_3.html"),
    ('<a href="93600_2.html">上一页</a>', "http://www.lfxww.com/linfen/shizheng/93600_3.html", None),  # last page
    ('<a href="/linfen/shizheng/93601.html">下一篇：另一篇文章</a>', BASE, None),  # another article
    ('<a href="93600_2.html">2</a>', BASE, "http://www.lfxww.com/linfen/shizheng/93600_2.html"),  # bare number
    ('<a href="93600_5.html">下一页</a>', BASE, None),  # not the next number
    ("<p>no pager</p>", BASE, None),
])
def test_next_page(html, url, expected):
    assert next_page(lxml.html.fromstring(html), url) == expected




HREF_PIECES = st.sampled_from(["93600", "_2", "_3", ".html", "/", "../", "./", "?a=1", "#top", "\t", "\n", " ",
                               "http://www.lfxww.com/linfen/shizheng/", "//www.lfxww.com", "_", "9", "%5F", ".shtml"])
PAGE_HREF = st.tuples(
    st.sampled_from(["", "./", "../shizheng/", "/linfen/shizheng/", "http://www.lfxww.com/linfen/shizheng/", "\t"]),
    st.sampled_from(["93600", "9", "936\t00", "93601"]),
    st.sampled_from(["_2", "_3", "", "_", "\t_2", "_\n3", "_02"]),
    st.sampled_from([".html", ".shtml", ".html?x=1", ".html#a", "/", ""]),
).map("".join)
ANCHOR = st.tuples(st.one_of(PAGE_HREF, st.lists(HREF_PIECES, max_size=6).map("".join)),
                   st.sampled_from(["下一页", "2", "下一篇", ""]))
PAGE_URL = st.sampled_from([BASE, "http://www.lfxww.com/linfen/shizheng/93600_2.html",
                            "http://www.lfxww.com/linfen/shizheng/_2.html", "http://www.lfxww.com/a/9.shtml"])


@given(st.lists(ANCHOR, max_size=6), PAGE_URL)
@settings(max_examples=300)
def test_next_page_finds_what_the_plain_xpath_finds(anchors: list[tuple[str, str]], url: str) -> None:
    body = "".join(f"<a href='{html.escape(href, quote=True)}'>{text}</a>" for href, text in anchors)
    doc = lxml.html.fromstring(f"<html><body><p>x</p>{body}<a>no href</a></body></html>")
    assert next_page(doc, url) == plain_next_page(doc, url)
