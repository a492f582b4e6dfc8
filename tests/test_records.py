"""records.py: following a multi-page article, and the article a failed later page leaves (pure, table-driven)."""

from __future__ import annotations

import pytest

from linfen_crawler.profiles import load_profile
from linfen_crawler.records import follow_pages, incomplete_article, next_page_url

NEXT = "http://www.lfxww.com/linfen/djll/93512_2.html"


@pytest.mark.parametrize(("record", "pages", "expected"), [
    ({"next_page": NEXT}, 1, NEXT),
    ({"next_page": NEXT + "?utm_source=x#top"}, 1, NEXT),  # followed as the dupefilter sees it: canonical
    ({"next_page": NEXT}, 30, None),  # LINFEN_MAX_ARTICLE_PAGES pages followed
    ({"next_page": NEXT, "not_article": "error_page"}, 1, None),
    ({"next_page": None}, 1, None),
    ({}, 1, None),
])
def test_next_page_url(record, pages, expected):
    assert next_page_url(record, pages, 30) == expected


def page(n: int, last: int) -> dict:
    nxt = f"http://www.lfxww.com/a/1_{n + 1}.html" if n < last else None
    return {"body": f"第{n}页。", "images": [], "authors": [], "editors": [], "next_page": nxt, "title": "标题"}


@pytest.mark.parametrize(("kept", "max_pages", "body", "complete"), [
    ({2, 3}, 30, "第1页。\n第2页。\n第3页。", True),
    ({3}, 30, "第1页。", False),  # page 2 was not kept: the article is incomplete
    ({2}, 30, "第1页。\n第2页。", False),
    ({2, 3}, 2, "第1页。\n第2页。", True),  # capped like the spider: not a missing page
])
def test_follow_pages(kept, max_pages, body, complete):
    later = {f"http://www.lfxww.com/a/1_{n}.html": page(n, 3) for n in kept}
    record, whole = follow_pages(page(1, 3), later.get, max_pages)
    assert (record["body"], whole) == (body, complete)


def test_an_incomplete_article_keeps_the_earlier_pages_and_says_which_failed():
    record = {**page(1, 2), "extractor": {"body": "generic"}}
    article = incomplete_article(record, url="http://www.lfxww.com/a/1.html", profile=load_profile("lfxww"),
                                 section="时政", failed_url="http://www.lfxww.com/a/1_2.html", reason="http_503")
    assert article.body == "第1页。" and article.section == "时政"
    assert article.extractor == {"body": "generic", "incomplete": "http://www.lfxww.com/a/1_2.html http_503"}
    assert "incomplete" not in record["extractor"]  # the request's record is not changed
