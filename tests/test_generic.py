"""Generic extractor rules (docs/extraction.md), one table per rule."""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from replaced import plain_subtree_totals

from linfen_crawler.extract.body import body_blocks, node_text, xpath_elements
from linfen_crawler.extract.byline import LABEL_ROLES
from linfen_crawler.extract.credits import (
    EDITOR_LABELS,
    EDITOR_LINE_RE,
    editor_lines,
    find_bylines,
    find_footer_credits,
)
from linfen_crawler.extract.meta import closing_citation, find_date, find_meta_text, find_source, name_outlet
from linfen_crawler.extract.scoring import find_body_node, is_unlikely, own_text_blocks, subtree_totals
from linfen_crawler.extract.title import find_title, title_head
from linfen_crawler.extract.tree import ORIGIN_ATTR, SKIP_TAGS
from linfen_crawler.extract.xpaths import EDITOR_KEYS
from linfen_crawler.normalize import clean_text

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
    ("River Notes - 写给刚入行的年轻人", "写给刚入行的年轻人"),  # a Latin site name before a Chinese headline
    ("iPhone发布会前瞻 - River Notes", "iPhone发布会前瞻"),
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
    # T4: a badge glued before the heading's text is dropped when <title> does not open with it
    ("<title>山城秋色正浓_河东网</title>", "<h1><span class='tag'>原创</span>山城秋色正浓</h1>", "山城秋色正浓"),
    ("<title>独家记忆里的小城_河东网</title>", "<h1>独家记忆里的小城</h1>", "独家记忆里的小城"),
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


EDITOR_LINE_CASES = [
    ("<div>正文</div><div class='editor'>责任编辑：杨倩</div>", ["责任编辑:杨倩"]),
    ("<div><p>校对：李铭</p><p>终审：周九</p></div>", ["校对:李铭", "终审:周九"]),
    ("<div><p>本文编辑：王伟</p></div>", ["本文编辑:王伟"]),
    ("<div>责任<b>编辑</b>：<span>张三</span></div>", ["责任编辑:张三"]),  # the parent's text is the line
    ("<p>审<b>核：张三</b></p>", ["审核:张三"]),  # 审 stands alone in its text node
    ("<p>他是一名编辑：负责本版的稿件，也写过很多评论文章，还办过一份小报纸，后来去了北京工作。</p>", []),
    ("<p>编辑部</p>", []),  # no label and colon anywhere: the XPath never runs
    ("<script>var s = '编辑：x';</script><p>x</p>", []),
]


@pytest.mark.parametrize(("body", "expected"), EDITOR_LINE_CASES)
def test_editor_lines(body: str, expected: list[str]) -> None:
    assert list(editor_lines(doc_of(body))) == expected


def test_editor_labels_are_the_parsers() -> None:
    parser_labels = {label for label, role in LABEL_ROLES.items() if role == "editor"}
    assert parser_labels <= set(EDITOR_LABELS) and set(EDITOR_LABELS) - parser_labels == {"本文编辑"}
    assert all(any(key in label for key in EDITOR_KEYS) for label in EDITOR_LABELS)


def plain_editor_lines(doc: etree._Element) -> list[str]:
    """editor_lines without its shortcuts: every text node tested for every key, no look at the page text."""
    test = " or ".join(f"contains(., '{key}')" for key in EDITOR_KEYS)
    found = []
    for el in xpath_elements(etree.XPath(f"//body//text()[{test}]/.."), doc):
        for node in (el, el.getparent()):
            if node is None or node.tag in SKIP_TAGS:
                break
            text = clean_text(node_text(node))
            if len(text) > 40:
                break
            if EDITOR_LINE_RE.match(text):
                found.append(text)
                break
    return found


EDITOR_PIECES = st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<script>", "</script>",
                                 "责任", "编辑", "编", "辑", "校对", "校", "对", "审核", "审", "核", "终审", "：", ":",
                                 " ", "张三", "本文", "\u3000", "<title>编辑：x</title>", "<!-- 编 -->"])


@given(st.lists(EDITOR_PIECES, max_size=20).map("".join))
@settings(max_examples=300)
def test_editor_lines_are_the_plain_rule(body: str) -> None:
    doc = lxml.html.document_fromstring(f"<html><head><title>t</title></head><body>{body}x</body></html>")
    assert list(editor_lines(doc)) == plain_editor_lines(doc)


# ---------------------------------------------------------------- meta text as lines (M4)
META_LINE_CASES = [
    # M4: a block boundary ends a line, so a tag row under the byline is not read as more names
    ("<h1>县里新建三座桥梁</h1><div class='info'>发布于 2023-05-06 | 作者<span>赵明</span></div>"
     "<div class='tags'><a href='/t/1'>交通</a><a href='/t/2'>民生</a></div>",
     "发布于 2023-05-06 | 作者 赵明\n交通 民生"),
    # an element's tail comes after its children's text: 来源:[<a>县报</a>] reads in order
    ("<h1>县里新建三座桥梁</h1><div>来源:<span>[ <a href='/'>河东日报</a> ]</span> 2023-05-06</div>",
     "来源: [ 河东日报 ] 2023-05-06"),
]


@pytest.mark.parametrize(("body", "expected"), META_LINE_CASES)
def test_meta_text_lines(body: str, expected: str) -> None:
    doc = doc_of(body + f"<div class='text'><p>{PARA}</p><p>{PARA}</p></div>")
    title_node = next(doc.iter("h1"))
    assert find_meta_text(doc, title_node, find_body_node(doc, title_node)) == expected


def test_meta_lines_keep_byline_names_apart() -> None:
    meta = "发表于 2023-05-06 12:00 | 作者 赵明\n交通 民生 桥梁 建设"
    assert find_bylines(doc_of("<p>x</p>"), meta, []).authors == ["赵明"]


# ---------------------------------------------------------------- dates D4–D8
LATE_DATE_CASES = [
    # D4: a date-classed element after the headline (a gallery prints the time under the slides)
    ("<h1>秋日山色</h1><div class='slides'>图一</div><span class='pub-time'>2022-10-03 08:15:20</span>",
     [], "", "2022-10-03T08:15:20+08:00"),
    # …but one before the headline (a "today" bar) is not read
    ("<span class='date'>2024-01-01</span><div>" + "首页 要闻 本地 " * 30 + "</div><h1>秋日山色</h1>", [], "", None),
    # D5: a date standing alone in the first body paragraphs (an essay page)
    ("<h1>秋日山色</h1>", ["作者: 钱海", "2006年3月9日", PARA], "", "2006-03-09"),
    ("<h1>秋日山色</h1>", ["发布时间:2006-03-09 07:30", PARA], "", "2006-03-09T07:30:00+08:00"),
    # D6: the URL before a date above the headline
    ("<div>2020年01月02日</div><h1>秋日山色</h1>", [], "http://x.cn/2021/0315/a.html", "2021-03-15"),
    # D7: an edition date printed just above the headline
    ("<div>第A03版:要闻</div><div>2020年01月02日 星期四</div><div>放大 缩小</div><h1>秋日山色</h1>", [], "",
     "2020-01-02"),
    ("<div><b>\n 2020年01月02日\n </b><a href='/old'>往期回顾</a></div><h1>秋日山色</h1>", [], "", "2020-01-02"),
    ("<div>今天是2020年01月02日</div><h1>秋日山色</h1>", [], "", None),  # a "today" bar is no edition date
    # D8: a date-only meta date takes the time the page shows after a publish label for the same day
    ("<h1>秋日山色</h1><div class='foot'>发布于:2020-01-02 16:40</div>", [], "", "2020-01-02T16:40:00+08:00"),
]


@pytest.mark.parametrize(("body", "lead", "url", "expected"), LATE_DATE_CASES)
def test_find_date_late_rules(body: str, lead: list[str], url: str, expected: str | None) -> None:
    doc = doc_of(body)
    title_node = next(doc.iter("h1"))
    meta = "2020-01-02 来源:河东日报" if "发布于" in body else ""
    found = find_date(doc, url, meta, title_node=title_node, lead=lead)
    assert (found.value if found else None) == expected


def test_refined_date_needs_the_same_day() -> None:
    doc = doc_of("<h1>秋日山色</h1><div>发布于:2020-01-05 16:40</div>")
    found = find_date(doc, "", "2020-01-02", title_node=next(doc.iter("h1")))
    assert found is not None and found.value == "2020-01-02"


# ---------------------------------------------------------------- unlabelled outlets and writers
UNLABELLED_CASES = [
    # S2: two outlets joined by a dash stand beside the date
    ("2021年4月1日09:30 河东网—河东晚报\n页面功能", "河东网—河东晚报", None),
    # S2: a word that only ends like an outlet (字号) is skipped, the real one is read
    ("河东通讯社\n2021-04-01 09:30\n字号 大 中 小", "河东通讯社", None),
    # S4/A7: name/outlet without a label
    ("钱海/河东日报\n2021-04-01 09:30", "河东日报", ["钱海"]),
    # a label form (文/…) is no name/outlet pair
    ("文/河东日报\n2021-04-01 09:30", None, None),
]


@pytest.mark.parametrize(("meta", "source", "author"), UNLABELLED_CASES)
def test_unlabelled_outlet_and_writer(meta: str, source: str | None, author: list[str] | None) -> None:
    doc = doc_of("<p>x</p>")
    assert find_source(doc, meta) == source
    if author is not None:
        assert find_bylines(doc, meta, []).authors == author


NAME_OUTLET_CASES = [
    ("钱海/河东日报 2021-04-01", ("钱海", "河东日报")),
    ("钱海 / 河东网", ("钱海", "河东网")),
    ("文/河东日报", None),  # 文 is a label, and one character
    ("今天/河东日报", None),  # no common surname
    ("钱海/小桥流水", None),  # not an outlet
]


@pytest.mark.parametrize(("line", "expected"), NAME_OUTLET_CASES)
def test_name_outlet(line: str, expected: tuple[str, str] | None) -> None:
    assert name_outlet(line) == expected


# ---------------------------------------------------------------- author slot (A5) and captions (A6)
AUTHOR_SLOT_CASES = [
    # A5: the account shown unlabelled in an author-classed element between headline and body
    ("<div class='writer-box'><p class='author-name'>山城旅行家</p><span>发布时间:05-06 12:00</span></div>",
     "山城旅行家\n发布时间:05-06 12:00", [], ["山城旅行家"]),
    # …not its avatar or follow button, and not when a labelled writer exists
    ("<div class='author-avatar'>山城旅行家</div>", "山城旅行家", [], []),
    ("<p class='author'>山城旅行家</p>", "山城旅行家 记者 钱海", [], ["钱海"]),
    # A6: photo credits closing captions anywhere in the body
    ("<p>x</p>", "", [PARA, "新桥通车当天。河东摄影协会 孙雷 摄", PARA, "航拍画面。(通讯员 周琪 摄)", PARA, PARA, PARA],
     ["孙雷", "周琪"]),
]


@pytest.mark.parametrize(("body", "meta", "paragraphs", "authors"), AUTHOR_SLOT_CASES)
def test_author_slot_and_captions(body: str, meta: str, paragraphs: list[str], authors: list[str]) -> None:
    doc = doc_of(f"<div class='head'><div><h1>秋日山色</h1></div>{body}</div>")
    assert find_bylines(doc, meta, paragraphs, next(doc.iter("h1"))).authors == authors


def test_author_slot_is_looked_for_near_the_headline_only() -> None:
    far = "<div><div><div><div><p class='author'>山城旅行家</p></div></div></div></div>"
    doc = doc_of(f"<div><div><div><div><h1>秋日山色</h1></div></div></div></div>{far}")
    assert find_bylines(doc, "山城旅行家", [], next(doc.iter("h1"))).authors == []


# ---------------------------------------------------------------- body: a short article in a bare div (B1)
def test_short_text_in_a_bare_div_is_the_body() -> None:
    text = ("县里今天开通三座新桥，方便了两岸群众出行。新桥全长八百米，历时两年建成；桥面宽阔，设有人行道。"
            "附近村民说，过去绕行要一个小时，如今十分钟就到。")
    html = (f"<div class='page-article'><div class='art-title'>县里新建三座桥梁</div>"
            f"<div class='art-meta'>发布时间: 2023-05-06 浏览 12</div>"
            f"<div class='page_art_content'>{text}<div class='tags'>交通|民生</div></div></div>")
    paragraphs = _body_paragraphs(html)
    assert paragraphs[0] == text.replace("，", ",").replace("；", ";")
    assert "县里新建三座桥梁" not in paragraphs


# ---------------------------------------------------------------- closing citations (S5), footer credits (A8)
CITATION_CASES = [
    ([PARA, "转自《河东科技报》"], "河东科技报"),
    ([PARA, "(原载《河东日报》)"], "河东日报"),
    ([PARA + "——《河东晚报》"], "河东晚报"),
    ([PARA, "摘自《河东文摘》", "(完)"], "河东文摘"),
    ([PARA, "他常读《河东日报》"], None),  # a title mentioned in text is no citation
    ([PARA], None),
]


@pytest.mark.parametrize(("paragraphs", "expected"), CITATION_CASES)
def test_closing_citation(paragraphs: list[str], expected: str | None) -> None:
    assert closing_citation(paragraphs) == expected


def test_footer_credits_under_the_body() -> None:
    doc = doc_of(
        f"<table><tr><td class='text'><p>{PARA}</p><p>{PARA}</p></td></tr></table>"
        "<table><tr><td>编辑:\n 吴娜</td><td>来源:\n 河东日报</td><td>作者:钱海 孙雷</td></tr></table>"
        "<div>我要评论 打印</div><div class='related'>作者: 不是这篇的人</div>"
    )
    body = find_body_node(doc, None)
    found = find_footer_credits(doc, body)
    assert (found.source, found.authors, found.editors) == ("河东日报", ["钱海", "孙雷"], ["吴娜"])


def test_footer_credits_read_only_the_lines_right_under_the_body() -> None:
    doc = doc_of(f"<div class='text'><p>{PARA}</p><p>{PARA}</p></div><p>相关文章</p><p>作者:钱海</p>")
    assert find_footer_credits(doc, find_body_node(doc, None)).authors == []


@pytest.mark.parametrize(("cls", "unlikely"), [
    ("comment-container", True),   # 'con' inside a word is no body hint
    ("share-icon", True),
    ("nav_icon", True),
    ("related-list", True),
    ("related news_con", False),   # a whole 'con' token is
    ("footer art-txt", False),     # ... and so is a whole 'txt' token
    ("main-content", False),
])
def test_rule_b2_body_words_count_only_as_whole_tokens(cls, unlikely):
    assert is_unlikely(lxml.html.fromstring(f'<div class="{cls}">x</div>')) is unlikely




BODY_PIECES = st.sampled_from(["<div>", "</div>", "<p>", "</p>", "<a href='/x'>", "</a>", "<span>", "</span>", "<br>",
                               "<script>var a;</script>", "<!-- c -->", "<img src='a.png'>", PARA, "短句", "，", " ",
                               "<td>", "</td>", "<table>", "</table>"])


@given(st.lists(BODY_PIECES, max_size=25).map("".join))
@settings(max_examples=300)
def test_subtree_totals_are_the_plain_ones(body: str) -> None:
    doc = doc_of(body)
    stats = own_text_blocks(doc)
    plain = plain_subtree_totals(doc, stats)
    totals = subtree_totals(doc, stats)
    assert all(totals.get(el, (0, 0)) == value for el, value in plain.items())
    assert all(value != (0, 0) for value in totals.values())


# ---------------------------------------------------------------- rules of the fourth round (invented pages)
HEADER = "<div class='wrap'><div class='art'><h1>河东新建三座跨河大桥</h1>{meta}</div></div>"
SOURCE_SLOT_CASES = [
    # S6: a source-classed slot beside the date, no label
    ("<div class='info'><span class='cat'>民生</span><span class='art-source'>河东周刊</span>"
     "<span>2023-05-06 08:10</span></div>", "民生 河东周刊 2023-05-06 08:10", "河东周刊"),
    ("<div class='info'><span id='laiyuan'>汾水观察</span> 2023-05-06</div>", "汾水观察 2023-05-06", "汾水观察"),
    # a slot holding a date, or text not standing in the meta text, is not a bare outlet
    ("<div class='info'><span class='source'>2023-05-06</span></div>", "2023-05-06", None),
    ("<div class='info'><span class='source'>河东周刊</span></div>", "2023-05-06 民生", None),
    # a label inside the slot is Rule S1's
    ("<div class='info'><span class='source'>来源：河东周刊</span></div>", "来源:河东周刊", "河东周刊"),
    # a slot opening with a label and a space holds a label, not a bare outlet
    ("<div class='info'><span class='source'>作者 钱海</span></div>", "作者 钱海", None),
    ("<div class='info'><span class='source'>点击 河东</span></div>", "点击 河东", None),
    # …but an outlet whose name only opens like a one-character label is one
    ("<div class='info'><span class='source'>文山晚报</span> 2023-05-06</div>", "文山晚报 2023-05-06", "文山晚报"),
]


@pytest.mark.parametrize(("meta_html", "meta", "expected"), SOURCE_SLOT_CASES)
def test_source_slot(meta_html: str, meta: str, expected: str | None) -> None:
    doc = doc_of(HEADER.format(meta=meta_html))
    assert find_source(doc, meta, next(doc.iter("h1"))) == expected


FOLLOW_BOXES = [
    "<div class='author-card'><a href='/u/1'><img src='a.png'></a><a href='/u/1'>河东晨报</a>"
    "<div class='follow-btn'>关注</div></div>",
    "<div class='social-media'><span>河东晨报</span><a class='follow'>+关注</a></div>",
    "<div class='userbar'><a href='/'>河东晨报</a> <span>关注我们</span></div>",
]


@pytest.mark.parametrize("aside", FOLLOW_BOXES)
def test_follow_box_keeps_the_source(aside: str) -> None:
    # a "follow us" box or account card naming the outlet does not unmake the outlet beside the date
    meta = "河东晨报 2023-05-06 08:10:11"
    doc = doc_of(HEADER.format(meta=f"<div class='sub'>{meta}</div>") + aside)
    assert find_source(doc, meta, next(doc.iter("h1"))) == "河东晨报"


BYLINE_ROUND4_CASES = [
    # A9: names in a bracket right after the date in a meta line
    ("2009年3月2日10:05 [ 钱海 ] 来源:[ 河东晚报 ]", [], ["钱海"]),
    ("2009-03-02 10:05 【王小明 刘一】 来源:河东晚报", [], ["王小明", "刘一"]),
    ("2009-03-02 10:05 [ 金华网 ] 来源:河东晚报", [], []),  # an outlet, not a name
    ("2009-03-02 10:05 [ 组图 ]", [], []),
    ("[ 钱海 ] 来源:河东晚报", [], []),  # not after a date
    ("2009-03-02 10:05 [ 钱海 ] 点击:12", [], ["钱海"]),
    # A9 misfires: a weekday, round brackets, a picture tag, a place, no meta item after the bracket
    ("2023年5月6日（周六） 来源：河东晚报", [], []),
    ("2023-05-07 [ 周日 ] 来源:河东晚报", [], []),
    ("2023-05-07 【星期天】 来源:河东晚报", [], []),
    ("2023-05-06 08:10 （钱海） 来源:河东晚报", [], []),
    ("2023-05-06 08:10 [ 高清 ] 来源:河东晚报", [], []),
    ("2023-05-06 08:10 [ 汾州 ] 来源:河东晚报", [], []),
    ("2023-05-06 08:10 [ 金海 ]", [], []),
    ("2023-05-06 08:10 [ 林海 ] 河东新建三座大桥", [], []),
    # A2b: a byline standing alone after a summary box at the top of the body
    ("", ["要点:", "河东新建三座大桥,总投资十二亿元。", "三座大桥将于明年通车,缓解城区交通压力。",
          "《河东周刊》记者 钱海", PARA], ["钱海"]),
    ("", ["要点:", PARA, "一、记者 调查", PARA, PARA, PARA], []),  # a subheading, not a byline
    ("", [PARA] * 8 + ["作者 钱海"] + [PARA] * 3, []),  # too far down (and not closing the text)
    # A2b misfires: a photo label, a column, a title for a name, a writer already found
    ("", [PARA, PARA, "摄影 高山流水"] + [PARA] * 5, []),
    ("", [PARA, PARA, "图｜王家大院"] + [PARA] * 5, []),
    ("", [PARA, PARA, "文 | 周末特刊"] + [PARA] * 5, []),
    ("", [PARA, PARA, "作者 简介"] + [PARA] * 5, []),
    ("", [PARA, PARA, "记者 钱局长"] + [PARA] * 5, []),
    ("作者:刘一", [PARA, PARA, "记者 钱海"] + [PARA] * 5, ["刘一"]),
]


@pytest.mark.parametrize(("meta", "paragraphs", "authors"), BYLINE_ROUND4_CASES)
def test_dated_bracket_and_byline_paragraph(meta: str, paragraphs: list[str], authors: list[str]) -> None:
    assert find_bylines(doc_of("<p>x</p>"), meta, paragraphs).authors == authors


BRAND_EDITOR_CASES = [
    # A4: a brand or outlet before the editor label
    ("<div>正文</div><span class='who'>abc123编辑：Lena</span>", ["Lena"]),
    ("<div>正文</div><span class='who'>ABC编辑：钱海</span>", ["钱海"]),
    ("<div>正文</div><p>总编辑：钱海</p>", []),  # a masthead title, not a brand before the label
    # misfires: Han text before 编辑 is a sentence, not a brand; a brand's value must be a person
    ("<div>正文</div><p>图为出版社编辑：正在校对书稿</p>", []),
    ("<div>正文</div><p>他曾是汾水网编辑：专跑时政</p>", []),
    ("<div>正文</div><p>学校校报编辑：高三学生刘洋</p>", []),
    ("<div>正文</div><p>汾水新闻网编辑：钱海</p>", []),
    ("<div>正文</div><p>ABC编辑：正在校对书稿</p>", []),
]


@pytest.mark.parametrize(("body", "editors"), BRAND_EDITOR_CASES)
def test_brand_before_editor_label(body: str, editors: list[str]) -> None:
    assert find_bylines(doc_of(body), "", [PARA]).editors == editors


COMMENT_THREAD = "<div id='comments'>" + "".join(
    f"<h4><a href='#c{i}'>#</a> re: 河边散步小记 <span>2005-01-0{i % 9 + 1} 10:00</span> 网友{i}</h4>"
    f"<p>写得真好，支持一下，期待下一篇，谢谢分享。</p>" for i in range(60)) + "</div>"


def test_comment_thread_is_never_the_body() -> None:
    # B5: a long comment thread outscores the short post; the post is the body all the same
    post = f"<div class='entry'><h2><a href='http://blog.example.cn/a/1.html'>河边散步小记</a></h2><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div>"
    doc = doc_of(f"<div id='main'>{post}{COMMENT_THREAD}</div>")
    body = find_body_node(doc, None)
    assert body is not None and body.get("class") == "entry"


@pytest.mark.parametrize(("url", "expected"), [
    ("http://blog.example.cn/a/1.html", "河边散步小记"),  # T3: a headline linking to the page itself
    ("http://blog.example.cn/a/1.html#top", "河边散步小记"),
    ("http://blog.example.cn/a/2.html", None),  # a link elsewhere is a list entry or a logo
])
def test_permalink_headline(url: str, expected: str | None) -> None:
    post = f"<div class='entry'><h2><a href='/a/1.html'>河边散步小记</a></h2>{f'<p>{PARA}</p>' * 3}</div>"
    found = find_title(doc_of(f"<div id='main'>{post}{COMMENT_THREAD}</div>"), url)
    assert (found[0] if found else None) == expected
