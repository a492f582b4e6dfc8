"""Generic extractor rules (docs/extraction.md), one table per rule."""

from __future__ import annotations

import lxml.html
import pytest
from lxml import etree

from linfen_crawler.extract.body import body_blocks
from linfen_crawler.extract.generic import (
    ORIGIN_ATTR,
    find_body_node,
    find_bylines,
    find_date,
    find_meta_text,
    find_source,
    find_title,
    title_head,
)

PARA = "市直机关基层党组织要牢固确立大局意识、服务意识和职能意识，采取多种形式把广大党员的思想凝聚到中心任务上来。"


def doc_of(body: str, head: str = "") -> etree._Element:
    return lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


# ---------------------------------------------------------------- title
TITLE_HEAD_CASES = [
    ("走在最前列　争当排头兵_临汾新闻网", "走在最前列 争当排头兵"),
    ("市三届党代会胜利闭幕 - 临汾新闻网", "市三届党代会胜利闭幕"),
    ("拿起跨界“指挥棒”成长--大河网", "拿起跨界“指挥棒”成长"),
    ("标题一|网易新闻", "标题一"),
    ("主标题——副标题_政府网", "主标题——副标题"),  # —— joins headline and subtitle, it is no separator
    ("新闻 - 我市召开转型跨越发展推进会", "我市召开转型跨越发展推进会"),  # short channel prefix
]


@pytest.mark.parametrize(("title", "expected"), TITLE_HEAD_CASES)
def test_title_head(title: str, expected: str) -> None:
    assert title_head(title) == expected


TITLE_CASES = [
    # T1: the heading that matches <title>, not the site's logo h1
    ("<title>走在最前列　争当排头兵_临汾新闻网</title>",
     "<h1><a href='/'>临汾新闻网</a></h1><h2 class='xb-h2'>走在最前列　争当排头兵</h2>", "走在最前列 争当排头兵"),
    # T1: a title-classed div counts as a heading
    ("<title>书记市长这一周 | 奋马扬鞭</title>", "<div class='tit2'>书记市长这一周 | 奋马扬鞭</div>",
     "书记市长这一周 | 奋马扬鞭"),
    # T1: og:title is a reference too
    ("<title>网易</title><meta property='og:title' content='龙湖集团暗伤曝露'>",
     "<h1>龙湖集团暗伤曝露</h1>", "龙湖集团暗伤曝露"),
    # T1b: no heading matches, an element whose whole text is the <title> head does
    ("<title>土豆不土 土豆无土_光明网</title>", "<td class='font01'>土豆不土 土豆无土</td>", "土豆不土 土豆无土"),
    # T2: markup inside og:title is dropped
    ("<title>x</title><meta name='ArticleTitle' content='主标题<div>——副标题</div>'>", "<p>无关</p>",
     "主标题——副标题"),
    # T3: <title> is only the site name: the heading right before the body text
    ("<title>北医新闻网</title>",
     f"<div class='nav'>首页</div><td class='bt_title'>李简——新外科运动向我们走来</td><div><p>{PARA}</p>"
     f"<p>{PARA}</p></div>", "李简——新外科运动向我们走来"),
]


@pytest.mark.parametrize(("head", "body", "expected"), TITLE_CASES)
def test_find_title(head: str, body: str, expected: str) -> None:
    found = find_title(doc_of(body, head))
    assert found is not None
    assert found[0] == expected


# ---------------------------------------------------------------- body
def _body_paragraphs(html: str) -> list[str]:
    doc = doc_of(html)
    node = find_body_node(doc, None)
    assert node is not None
    return body_blocks(node, "http://example.cn/")[0]


BODY_CASES = [
    # B1: the container with the punctuated text wins over a long link list
    (
        "<div class='nav'>" + "".join(f"<a href='/{i}'>栏目名称{i}</a>" for i in range(30)) + "</div>"
        f"<div class='article'><p>{PARA}</p><p>{PARA}</p></div>",
        [PARA.replace("，", ","), PARA.replace("，", ",")],
    ),
    # B2: a comment box with text loses by its class
    (
        f"<div class='content'><p>{PARA}</p><p>{PARA}</p></div>"
        f"<div class='comment-list'><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div>",
        [PARA.replace("，", ","), PARA.replace("，", ",")],
    ),
    # B4: paragraphs beside a related list in one table cell: the list is trimmed away
    (
        "<table><tr><td><b>标题</b><p>" + PARA + "</p><p>" + PARA + "</p><p>来源：新闻晨报</p>"
        "<ul>" + "".join(f"<li><a href='/{i}.html'>相关新闻标题很长很长{i}</a></li>" for i in range(8)) + "</ul>"
        "<div>" + "".join(f"<a href='/x{i}'>广告链接文字{i}</a>" for i in range(8)) + "</div></td></tr></table>",
        [PARA.replace("，", ","), PARA.replace("，", ","), "来源:新闻晨报"],
    ),
]


@pytest.mark.parametrize(("html", "expected"), BODY_CASES)
def test_find_body_node(html: str, expected: list[str]) -> None:
    assert _body_paragraphs(html) == expected


def test_trimmed_body_names_its_origin() -> None:
    html = BODY_CASES[2][0]
    doc = doc_of(html)
    node = find_body_node(doc, None)
    assert node is not None and node.get(ORIGIN_ATTR)


# ---------------------------------------------------------------- meta text
def test_meta_text_between_headline_and_body() -> None:
    doc = doc_of(
        "<div class='top'>今天是：2024年1月1日</div><h2>标题在此处</h2>"
        "<h3>2011-10-15 10:19:00　来源：临汾新闻网</h3>"
        f"<div class='c'><p>{PARA}</p><p>{PARA}</p></div><div class='foot'>2023-01-01 版权所有</div>"
    )
    found = find_title(doc_of("<h2>标题在此处</h2>", "<title>标题在此处_网</title>"))
    assert found is not None
    title_node = next(el for el in doc.iter("h2"))
    body = find_body_node(doc, title_node)
    assert find_meta_text(doc, title_node, body) == "2011-10-15 10:19:00 来源:临汾新闻网"


# ---------------------------------------------------------------- date
DATE_CASES = [
    # D1: the meta text wins over everything else
    ("<meta name='PubDate' content='2020-01-01 08:00'>", "2011-10-15 10:19:00 来源:临汾新闻网",
     "http://x.cn/2019-01/01/content_1.html", "2011-10-15T10:19:00+08:00"),
    # D2: meta tags when the meta text has no date
    ("<meta name='PubDate' content='2022-02-11 09:52'>", "来源:巴彦淖尔日报", "", "2022-02-11T09:52:00+08:00"),
    ("<meta property='article:published_time' content='2019-09-07T13:43:45+08:00'>", "", "",
     "2019-09-07T13:43:45+08:00"),
    # D3: JSON-LD
    ('<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2021-03-05"}</script>', "", "",
     "2021-03-05"),
    # D4: the URL last
    ("", "", "http://www.sxycrb.com/2021-03/15/content_1.html", "2021-03-15"),
    # nothing anywhere
    ("", "浏览次数:12", "http://x.cn/a.html", None),
]


@pytest.mark.parametrize(("head", "meta", "url", "expected"), DATE_CASES)
def test_find_date(head: str, meta: str, url: str, expected: str | None) -> None:
    found = find_date(doc_of("<p>x</p>", head), url, meta, now=None, tz="Asia/Shanghai")
    assert (found.value if found else None) == expected


# ---------------------------------------------------------------- source
SOURCE_CASES = [
    ("", "2011-10-15 10:19:00 来源:临汾新闻网 浏览次数:", "临汾新闻网"),  # S1 labelled
    ("", "2019-09-07 13:43:45 来源: 证券市场红周刊", "证券市场红周刊"),
    ("", "2022-02-13 09:57 光明网 分享到 微信", "光明网"),  # S2 unlabelled outlet beside the date
    ("", "2022-02-13 09:57 分享到 微信", None),
    ("", "来源:网络 2020-01-01", None),  # placeholder
    ("<meta name='ContentSource' content='巴彦淖尔日报'>", "2022-02-11 09:52", "巴彦淖尔日报"),  # S3 meta tag
]


@pytest.mark.parametrize(("head", "meta", "expected"), SOURCE_CASES)
def test_find_source(head: str, meta: str, expected: str | None) -> None:
    assert find_source(doc_of("<p>x</p>", head), meta) == expected


# ---------------------------------------------------------------- bylines
BYLINE_CASES = [
    # A1 meta text
    ("<p>x</p>", "出处:快科技 作者:宪瑞 编辑:宪瑞", [], ["宪瑞"], ["宪瑞"]),
    # A2 lead byline (in the first two paragraphs: a kicker may come first)
    ("<p>x</p>", "", ["【新春走基层】", "光明日报记者 王建宏 张文攀", PARA], ["王建宏", "张文攀"], []),
    # A3 trailing byline
    ("<p>x</p>", "", [PARA, "(作者系市直工委副书记 王文生)"], ["王文生"], []),
    # A4 an editor line standing alone in the page
    ("<div>正文</div><div class='editor'>责任编辑:杨倩_NF4425</div>", "", [PARA], [], ["杨倩"]),
]


@pytest.mark.parametrize(("body", "meta", "paragraphs", "authors", "editors"), BYLINE_CASES)
def test_find_bylines(body: str, meta: str, paragraphs: list[str], authors: list[str], editors: list[str]) -> None:
    byline = find_bylines(doc_of(body), meta, paragraphs)
    assert (byline.authors, byline.editors) == (authors, editors)
    assert byline.source is None  # the source is find_source's job
