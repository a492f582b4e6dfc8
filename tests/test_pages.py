"""Multi-page articles: the next page of the same article, never another article."""

from __future__ import annotations

import lxml.html
import pytest

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
