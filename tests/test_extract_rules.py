"""Issue 13's kinds of miss on unseen pages, fixed as general rules (docs/extraction.md): one table per rule.

Every example is invented; none is copied from a corpus page.
"""

from __future__ import annotations

import pytest

from linfen_crawler.extract.article import extract_page
from linfen_crawler.extract.byline import Byline, credit_block_line, parse_byline, plausible_source, trailing_byline
from linfen_crawler.extract.dates import parse_date
from linfen_crawler.extract.title import is_banner_text, strip_comment_count, strip_glued_site, title_head
from linfen_crawler.extract.tree import split_glued_meta

# ------------------------------------------------------------------ source values (Rule S7)
SOURCE_VALUE_CASES = [
    # an outlet's own title marks and place tag belong to it
    ("来源：河东网-《河东日报》", "河东网-《河东日报》"),
    ("来源：河东晚报（运城） 作者：钱海", "河东晚报(运城)"),
    ("来源：晋南商报(临汾) 2023-05-06", "晋南商报(临汾)"),
    # a bracket the value did not open still ends it
    ("来源：【河东日报】 编辑：李铭", "河东日报"),
    ("来源：[ 河东晚报 ] 点击：20", "河东晚报"),
    # leaked markup and a person's name are no outlet
    ('来源：size="20" 作者：钱海', None),
    ("来源：钱海", None),
    ("来源：周小梅 编辑：李铭", None),
    # an outlet led by a surname character keeps its organisation ending
    ("来源：金城网", "金城网"),
    ("来源：黄河新闻", "黄河新闻"),
    ("来源：Techweb", "Techweb"),
]


@pytest.mark.parametrize(("line", "expected"), SOURCE_VALUE_CASES)
def test_source_value(line: str, expected: str | None) -> None:
    assert parse_byline(line).source == expected


@pytest.mark.parametrize(("value", "ok"), [
    ("河东日报", True), ("size=\"20\"", False), ("<font", False), ("钱海", False), ("欧阳明月", False),
    ("金城网", True), ("王家大院管理处", True), ("CSDN", True),
])
def test_plausible_source(value: str, ok: bool) -> None:
    assert plausible_source(value) is ok


# ------------------------------------------------------------------ writers (Rules A10, A11)
WRITER_CASES = [
    # A10: photo and text credits with the labels 文字/图片/供图 (before a colon, bar or slash) and 名/摄
    ("文字：钱海 摄影：周小梅", ["钱海", "周小梅"]),
    ("文字/钱海 图片/周小梅", ["钱海", "周小梅"]),
    ("供图：周小梅", ["周小梅"]),
    ("摄影报道：周小梅", ["周小梅"]),
    ("图片报道 周小梅 钱海", ["周小梅", "钱海"]),
    ("文字报道：钱海", ["钱海"]),
    ("周小梅/摄", ["周小梅"]),
    # … but the same words as plain words credit nobody
    ("图片 新闻 视频", []),
    ("文字 直播", []),
    # A11: a periodical or news agency on a writer's line is an outlet, never a writer
    ("文/河东周刊 记者 钱海", ["钱海"]),
    ("作者：晋南生活周刊", []),
    ("图：新华社 记者 周小梅", ["周小梅"]),
    ("作者：某某杂志社", []),
    # A12: names, a slash and the role after them
    ("钱海 周小梅/文", ["钱海", "周小梅"]),
    ("钱海/文 周小梅/图", ["钱海", "周小梅"]),
    ("本报记者/文", []),
    ("今天天气很好/文", []),
    # lists stay whole
    ("记者 钱海、周小梅和欧阳明月", ["钱海", "周小梅", "欧阳明月"]),
]


@pytest.mark.parametrize(("line", "authors"), WRITER_CASES)
def test_writer_credits(line: str, authors: list[str]) -> None:
    assert parse_byline(line).authors == authors


def test_photo_credit_with_a_slash_closes_a_body() -> None:
    assert trailing_byline("（周小梅/摄）") == Byline(authors=["周小梅"])
    assert trailing_byline("（周小梅/图）") == Byline(authors=["周小梅"])


# ------------------------------------------------------------------ dates (Rules D8–D13)

#: long enough to be a real paragraph (the meta text ends before it)
_PARA = ("<p>市里今天召开会议，部署冬季供暖工作，要求各部门认真落实责任，加强巡查检修，及时回应群众诉求，"
         "确保群众温暖过冬。会议还通报了去年供暖季的投诉情况和整改结果。</p>")
_BODY = _PARA * 3
_RELATED = ("<div class='related'><h3>相关新闻</h3><ul>"
            + "".join(f"<li><a href='/n/{i}.html'>另一条新闻标题第{i}条</a></li>" for i in range(6)) + "</ul></div>")
_URL = "http://news.example.cn/a/1.html"


def _page(body: str, head: str = "") -> str:
    return f"<html><head><title>冬季供暖工作会议召开_某某新闻网</title>{head}</head><body>{body}</body></html>"


PARSE_DATE_CASES = [
    # D10: a compact date after a date or publish label, or as the whole text
    ("发布日期：20231201", "2023-12-01", "20231201"),
    ("发布时间：20231201 10:20", "2023-12-01T10:20:00+08:00", "20231201 10:20"),
    ("20231201", "2023-12-01", "20231201"),
    ("编号20231201", None, None),  # an id, not a date
    ("电话13920231201", None, None),
    ("日期：20231341", None, None),  # no such day
    # D12: a weekday between the date and the time
    ("2023年12月1日 星期五 10:20 来源：某某日报", "2023-12-01T10:20:00+08:00", "2023年12月1日 星期五 10:20"),
    ("2023-12-01（周五）10:20", "2023-12-01T10:20:00+08:00", "2023-12-01(周五)10:20"),
    ("2023-12-01 周五 来源：某某日报", "2023-12-01", "2023-12-01"),
]


@pytest.mark.parametrize(("text", "value", "shown"), PARSE_DATE_CASES)
def test_parse_date_general_forms(text: str, value: str | None, shown: str | None) -> None:
    found = parse_date(text)
    assert (found.value, found.text) == (value, shown) if found else (value is None)


@pytest.mark.parametrize(("text", "value"), [
    ("2023年12月 第5期", "2023-12"),
    ("发布时间：2023-12", "2023-12"),
    ("2023.12", "2023-12"),
    ("2023年12月5日", "2023-12-05"),  # a full date is never cut to its month
    ("共2023人", None),
])
def test_year_and_month_only(text: str, value: str | None) -> None:
    """D11: with ``partial`` a year and a month give ``YYYY-MM``; without it, nothing (callers that need a day)."""
    found = parse_date(text, partial=True)
    assert (found.value if found else None) == value
    if value and len(value) == 7:
        assert parse_date(text) is None


PAGE_DATE_CASES = [
    # D9: a publish label in a copyright box far below the text
    (_page(f"<div id='main'><h1>冬季供暖工作会议召开</h1><div class='content'>{_BODY}</div></div>{_RELATED}"
           "<table class='copyright'><tr><td>发布日期：2023-12-01 主办：某某市政府办公室</td></tr></table>"),
     "2023-12-01", "2023-12-01"),
    # D9: a blog post's footer, labelled …
    (_page(f"<div class='post'><h2>冬季供暖工作会议召开</h2><div class='body'>{_BODY}</div></div>{_RELATED}"
           "<div class='postfoot'>posted @ 2008-03-01 10:20 钱海 阅读(12) 评论(3)</div>"),
     "2008-03-01T10:20:00+08:00", "2008-03-01 10:20"),
    # … or a date and time followed by the post's counters
    (_page(f"<div class='post'><h2>冬季供暖工作会议召开</h2><div class='body'>{_BODY}</div></div>{_RELATED}"
           "<p class='postfoot'>2008-03-01 10:20 | 阅读(12) | 评论(3)</p>"),
     "2008-03-01T10:20:00+08:00", "2008-03-01 10:20"),
    # D9 reads only labelled dates: a bare date in a footer is not the article's
    (_page(f"<div id='main'><h1>冬季供暖工作会议召开</h1><div class='content'>{_BODY}</div></div>{_RELATED}"
           "<div class='footer'>2023-12-01 某某市政府办公室</div>"),
     None, None),
    # D10 and D11 through the page: a compact date, a year and month only (given at that precision)
    (_page(f"<h1>冬季供暖工作会议召开</h1><div>发布日期：20231201</div><div class='content'>{_BODY}</div>"),
     "2023-12-01", "20231201"),
    (_page(f"<h1>冬季供暖工作会议召开</h1><div>2023年12月 第5期</div><div class='content'>{_BODY}</div>"),
     "2023-12", "2023年12月"),
    # D11: a meta tag's full date of the shown month is more precise; one of another month is not the shown date
    (_page(f"<h1>冬季供暖工作会议召开</h1><div>2023年12月 第5期</div><div class='content'>{_BODY}</div>",
           "<meta name='pubdate' content='2023-12-05'>"),
     "2023-12-05", "2023-12-05"),
    (_page(f"<h1>冬季供暖工作会议召开</h1><div>2023年12月 第5期</div><div class='content'>{_BODY}</div>",
           "<meta name='pubdate' content='2024-02-05'>"),
     "2023-12", "2023年12月"),
    # D13: a meta tag's naive UTC time gives way to the local time the page shows
    (_page(f"<h1>冬季供暖工作会议召开</h1><div class='content'>{_BODY}</div>{_RELATED}"
           "<div class='info'><span class='time'>2023-12-01 10:20</span></div>",
           "<meta property='article:published_time' content='2023-12-01 02:20:00'>"),
     "2023-12-01T10:20:00+08:00", "2023-12-01 10:20"),
    # … but not a time that differs by other than whole hours (another moment, not another zone)
    (_page(f"<h1>冬季供暖工作会议召开</h1><div class='content'>{_BODY}</div>{_RELATED}"
           "<div class='info'><span class='time'>2023-12-01 10:25</span></div>",
           "<meta property='article:published_time' content='2023-12-01 02:20:00'>"),
     "2023-12-01T02:20:00+08:00", "2023-12-01 02:20:00"),
    # D8: a date shown without a time takes the time a date-classed element shows for the same day …
    (_page(f"<h1>冬季供暖工作会议召开</h1><div class='info'>2023-12-01 来源：某某日报</div>"
           f"<div class='content'>{_BODY}</div>{_RELATED}<div class='pubtime'>2023-12-01 10:20</div>"),
     "2023-12-01T10:20:00+08:00", "2023-12-01 10:20"),
    # … never one of another day
    (_page(f"<h1>冬季供暖工作会议召开</h1><div class='info'>2023-12-01 来源：某某日报</div>"
           f"<div class='content'>{_BODY}</div>{_RELATED}<div class='pubtime'>2023-12-02 10:20</div>"),
     "2023-12-01", "2023-12-01"),
]


@pytest.mark.parametrize(("html", "published_at", "published_text"), PAGE_DATE_CASES)
def test_page_date(html: str, published_at: str | None, published_text: str | None) -> None:
    page = extract_page(html, _URL)
    assert (page["published_at"], page["published_text"]) == (published_at, published_text)


# ------------------------------------------------------------------ headline (Rules T5–T10)
@pytest.mark.parametrize(("title", "expected"), [
    # T5: a site name glued on with a bare dash, a channel before it going too
    ("冬季供暖工作会议召开-某某新闻网", "冬季供暖工作会议召开"),
    ("冬季供暖工作会议召开-国内-某某网", "冬季供暖工作会议召开"),
    ("冬季供暖工作会议召开－某某日报", "冬季供暖工作会议召开"),
    ("冬季供暖工作会议召开-news.example.cn", "冬季供暖工作会议召开"),
    # … a dash inside a headline stays
    ("COVID-19疫情下的供暖保障", "COVID-19疫情下的供暖保障"),
    ("京津冀-雄安新区供暖规划发布", "京津冀-雄安新区供暖规划发布"),
    ("2023-2024供暖季正式开始", "2023-2024供暖季正式开始"),
    ("主标题——副标题-某某网", "主标题——副标题"),
])
def test_glued_site_suffix(title: str, expected: str) -> None:
    assert title_head(title) == expected
    assert strip_glued_site(expected) == expected  # idempotent


@pytest.mark.parametrize(("text", "expected"), [
    # T6: a comment count is no part of a headline; the title marks a comment box puts round it go too
    ("《冬季供暖工作会议召开》已有1件评论", "冬季供暖工作会议召开"),
    ("冬季供暖工作会议召开 评论(3)", "冬季供暖工作会议召开"),
    ("冬季供暖工作会议召开 12条回复", "冬季供暖工作会议召开"),
    ("冬季供暖工作会议召开（共5条留言）", "冬季供暖工作会议召开"),
    ("《读书》杂志举办读者见面会", "《读书》杂志举办读者见面会"),
    ("网友评论3件事", "网友评论3件事"),  # too little would be left
])
def test_comment_count(text: str, expected: str) -> None:
    assert strip_comment_count(text) == expected


@pytest.mark.parametrize(("text", "head", "meta"), [
    # T7: a meta line glued after the headline in one element
    ("冬季供暖工作会议召开 2023-12-01 10:20 来源:某某日报", "冬季供暖工作会议召开", "2023-12-01 10:20 来源:某某日报"),
    ("冬季供暖工作会议召开 来源:某某日报 作者:钱海", "冬季供暖工作会议召开", "来源:某某日报 作者:钱海"),
    # … a date inside the headline is part of it
    ("关于2023年12月1日起调整供暖价格的通知", "关于2023年12月1日起调整供暖价格的通知", ""),
    ("2023年12月1日 起调整供暖价格", "2023年12月1日 起调整供暖价格", ""),
])
def test_split_glued_meta(text: str, head: str, meta: str) -> None:
    assert split_glued_meta(text) == (head, meta)


@pytest.mark.parametrize(("text", "banner"), [
    ("欢迎访问某某市人民政府网", True),
    ("某某新闻网欢迎您", True),
    ("设为首页", True),
    ("您好，欢迎来到某某网", True),
    ("当前位置：首页 > 要闻", True),
    ("注册制改革全面落地", False),  # a headline that opens with a button's word
    ("返回家乡的年轻人", False),
    ("欢迎来到冰雪大世界", False),
])
def test_banner_and_button_text(text: str, banner: bool) -> None:
    """T9: banner, greeting and button text is never a headline; a headline opening with such a word is."""
    assert is_banner_text(text) is banner


def _title_page(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


TITLE_PAGE_CASES = [
    # T7 through the page: the headline and its meta line in one cell; the meta line is still read (M5)
    (_title_page("冬季供暖工作会议召开_某某网",
                 "<h1>冬季供暖工作会议召开 <span>2023-12-01 10:20</span> <span>来源：某某日报</span></h1>"
                 f"<div class='content'>{_BODY}</div>"),
     ("冬季供暖工作会议召开", "2023-12-01T10:20:00+08:00", "某某日报")),
    # T8: a headline element holding a dek on its own line gives its first line
    (_title_page("冬季供暖工作会议召开_某某网",
                 "<div class='title'>冬季供暖工作会议召开<br><span class='sub'>全市将新增供暖面积两百万平方米并加快老旧"
                 f"管网改造</span></div><div class='content'>{_BODY}</div>"),
     ("冬季供暖工作会议召开", None, None)),
    # … unless <title> holds the dek too
    (_title_page("冬季供暖工作会议召开 新增供暖面积两百万平方米_某某网",
                 "<div class='title'>冬季供暖工作会议召开<br><span class='sub'>新增供暖面积两百万平方米</span></div>"
                 f"<div class='content'>{_BODY}</div>"),
     ("冬季供暖工作会议召开新增供暖面积两百万平方米", None, None)),
    # T5 through the page: no heading, the <title> with a glued site name
    (_title_page("冬季供暖工作会议召开-某某新闻网", f"<div class='content'>{_BODY}</div>"),
     ("冬季供暖工作会议召开", None, None)),
    # T9 + T10: a <title> that is only the site name, a greeting banner, the headline in a plain cell
    (_title_page("某某市人民政府网", "<h1>欢迎访问某某市人民政府网</h1><table><tr><td>冬季供暖工作会议召开</td></tr>"
                 f"<tr><td class='bd'>{_BODY}</td></tr></table>"),
     ("冬季供暖工作会议召开", None, None)),
    (_title_page("某某市人民政府网", "<div class='title'>设为首页</div><table><tr><td><font size='4'>冬季供暖工作会议"
                 f"召开</font></td></tr><tr><td class='bd'>{_BODY}</td></tr></table>"),
     ("冬季供暖工作会议召开", None, None)),
    # T10 passes over a date line, a breadcrumb and a part of the <title> (the site's name)
    (_title_page("某某市人民政府网", "<table><tr><td>冬季供暖工作会议召开</td></tr>"
                 "<tr><td>当前位置：首页 &gt; 要闻</td></tr><tr><td>某某市人民政府</td></tr>"
                 "<tr><td>2023-12-01</td></tr>"
                 f"<tr><td class='bd'>{_BODY}</td></tr></table>"),
     ("冬季供暖工作会议召开", "2023-12-01", None)),
]


@pytest.mark.parametrize(("html", "expected"), TITLE_PAGE_CASES)
def test_page_title(html: str, expected: tuple[str, str | None, str | None]) -> None:
    page = extract_page(html, _URL)
    assert (page["title"], page["published_at"], page["source"]) == expected


# ------------------------------------------------------------------ outlet link beside the date (Rule S8)
def _meta_page(meta: str) -> str:
    return (f"<html><head><title>冬季供暖工作会议召开_某某网</title></head><body><div class='art'>"
            f"<h1>冬季供暖工作会议召开</h1><div class='info'>{meta}</div><div class='content'>{_BODY}</div>"
            "</div></body></html>")


@pytest.mark.parametrize(("meta", "source"), [
    ("2023-12-01 10:20 <a href='http://ent.example.com/'>某某娱乐</a>", "某某娱乐"),
    ("<a href='http://ent.example.com/'>某某娱乐</a> 2023-12-01 10:20", "某某娱乐"),
    ("2023-12-01 10:20 <a href='http://www.example.com/ent/'>某某娱乐</a> <a href='#'>分享</a>", "某某娱乐"),
    # an article link, a control, a person's page are no outlet
    ("2023-12-01 10:20 <a href='http://ent.example.com/2023/12/01/1.html'>某某娱乐</a>", None),
    ("2023-12-01 10:20 <a href='http://www.example.com/'>评论</a>", None),
    ("2023-12-01 10:20 <a href='http://user.example.com/'>钱海</a>", None),
    # an unlinked word beside the date that is no outlet-shaped name stays unread
    ("2023-12-01 10:20 某某娱乐", None),
])
def test_outlet_link_beside_the_date(meta: str, source: str | None) -> None:
    assert extract_page(_meta_page(meta), _URL)["source"] == source


# ------------------------------------------------------------------ closing credit block (Rule A3b)
@pytest.mark.parametrize(("line", "expected"), [
    ("文字：钱海", Byline(authors=["钱海"])),
    ("【摄影 | 周小梅 欧阳明月】", Byline(authors=["周小梅", "欧阳明月"])),
    ("责任编辑：李铭", Byline(editors=["李铭"])),
    ("作者：某某生活周刊", Byline()),  # no person
    ("图为市民在公园锻炼", Byline()),  # a caption, no label first
    ("记者：钱海。他说", Byline()),  # a sentence
])
def test_credit_block_line(line: str, expected: Byline) -> None:
    assert credit_block_line(line) == expected


def test_closing_credit_block_is_read_past_three_lines() -> None:
    team = ("策划：王强", "文字：周小梅 欧阳明月", "摄影：李铭", "视频：张丽", "设计：赵敏")
    lines = "".join(f"<p>{x}</p>" for x in team)
    html = _title_page("冬季供暖工作会议召开_某某网",
                       f"<h1>冬季供暖工作会议召开</h1><div class='content'>{_BODY}{lines}</div>")
    assert set(extract_page(html, _URL)["authors"]) == {"周小梅", "欧阳明月", "李铭"}


# ------------------------------------------------------------------ the site itself, a copyright box (S9, S10)
def _source_page(meta: str, tail: str = "", head: str = "", title: str = "冬季供暖工作会议召开_某某新闻网") -> str:
    return (f"<html><head><title>{title}</title>{head}</head><body><div class='art'><h1>冬季供暖工作会议召开</h1>"
            f"<div class='info'>{meta}</div><div class='content'>{_BODY}</div></div>{tail}</body></html>")


@pytest.mark.parametrize(("html", "source"), [
    # S10: a page crediting the site itself gives the site's name: the <title>'s outlet-shaped suffix …
    (_source_page("2023-12-01 来源：本站原创"), "某某新闻网"),
    (_source_page("2023-12-01 本网原创"), "某某新闻网"),
    # … or og:site_name
    (_source_page("2023-12-01 来源：本站", head="<meta property='og:site_name' content='某某新闻网'>",
                  title="冬季供暖工作会议召开"), "某某新闻网"),
    # … and nothing when the page does not name the site
    (_source_page("2023-12-01 来源：本站原创", title="冬季供暖工作会议召开"), None),
    # other placeholders still give nothing
    (_source_page("2023-12-01 来源：网络"), None),
    # S9: a labelled source in a copyright or statement box under the text
    (_source_page("2023-12-01", tail="<div class='copyright'>版权声明：本文来源：某某日报，转载请注明出处。</div>"),
     "某某日报"),
    (_source_page("2023-12-01", tail="<p id='statement'>（文章来源：某某晚报）</p>"), "某某晚报"),
    # … not the site's footer copyright line, which has no source label
    (_source_page("2023-12-01", tail="<div id='footer' class='copyright'>版权所有 某某新闻网 备案号12345</div>"), None),
    # … and never over a source beside the headline
    (_source_page("2023-12-01 来源：某某商报", tail="<div class='copyright'>本文来源：某某日报</div>"), "某某商报"),
])
def test_own_site_and_copyright_box(html: str, source: str | None) -> None:
    assert extract_page(html, _URL)["source"] == source
