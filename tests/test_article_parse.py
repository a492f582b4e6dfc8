"""The hot-path helpers of extract/article.py, each against the plain code it stands for.

``parse_html`` checks for XML-incompatible characters on UTF-8 bytes and hands lxml bytes; ``has_text``
stops at the first visible text; ``_canonical_urls`` walks the link and meta elements instead of two XPaths.
Each must give exactly what the plain version gives.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from linfen_crawler.extract.article import (
    ExtractedPage,
    _canonical_urls,
    extract_article,
    extract_page,
    has_text,
    node_text,
    parse_html,
    xml_compatible,
)
from linfen_crawler.extract.body import xpath_elements, xpath_strings

_OLD_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_OLD_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_OLD_HREFS = etree.XPath("//*[@href]")


def plain_parse_html(text: str) -> etree._Element | None:
    """parse_html as it was: one regex pass over the str, the str handed to lxml, every href tried."""
    text = _OLD_XML_DECL.sub("", text, count=1)
    text = _OLD_XML_INCOMPATIBLE.sub("", text)
    if not text.strip():
        return None
    try:
        doc = etree.fromstring(text, etree.HTMLParser())
    except (etree.ParserError, ValueError):
        return None
    if doc is not None:
        for el in xpath_elements(_OLD_HREFS, doc):
            try:
                urlsplit(el.get("href") or "")
            except ValueError:
                del el.attrib["href"]
    return doc


def serialized(doc: etree._Element | None) -> str | None:
    return None if doc is None else etree.tostring(doc, encoding=str)


XML_COMPATIBLE_CASES = [
    ("临汾新闻网", "临汾新闻网"),
    ("", ""),
    ("a\x00b\x01c", "abc"),
    ("tab\tnewline\ncr\r", "tab\tnewline\ncr\r"),  # the three controls XML allows stay
    ("临汾\x0b\x0c新闻\x1f", "临汾新闻"),
    ("\x7f\x85", "\x7f\x85"),  # DEL and C1 controls are XML characters
    ("x\ufffey\uffff", "xy"),
    ("\ufffd\uffef", "\ufffd\uffef"),  # U+FFFD and the other U+FFxx are fine
    ("lone \ud800 surrogate \udfff", "lone  surrogate "),
    ("emoji \U0001f600 \x08", "emoji \U0001f600 "),
]


@pytest.mark.parametrize(("text", "expected"), XML_COMPATIBLE_CASES)
def test_xml_compatible(text: str, expected: str) -> None:
    cleaned, data = xml_compatible(text)
    assert cleaned == expected
    assert data == expected.encode("utf-8")


#: HTML-ish text, biased towards what parse_html treats specially
PIECES = st.sampled_from([
    "<p>", "</p>", "<div class='x'>", "</div>", "<a href='http://[x'>", "<a href='93600_2.html'>", "</a>",
    "<script>var a = '<p>';</script>", "<?xml version='1.0'?>", "<?xml version='1.0' encoding='gbk'?>",
    "<?xml version='1.0' encoding='utf-8'>", "<meta charset='gbk'>", "<meta http-equiv='Content-Type' "
    "content='text/html; charset=iso-8859-1'>", "<!-- c -->", "&amp;", "&#32534;", "&nbsp;", "\ufeff", " ",
    "\n", "临汾", "é", "\U0001f600", "\x00", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800", "<br>", "<title>",
])
HTML = st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=30).map("".join))


@given(st.one_of(HTML, st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0xFFFF))))
def test_xml_compatible_is_the_regex(text: str) -> None:
    assert xml_compatible(text)[0] == _OLD_XML_INCOMPATIBLE.sub("", text)


@given(HTML)
@settings(max_examples=500)
def test_parse_html_gives_the_tree_of_the_plain_version(text: str) -> None:
    assert serialized(parse_html(text)) == serialized(plain_parse_html(text))


PARSE_CASES = [
    "",
    "  \n ",
    "\x00\x01",
    "<p>临汾</p>",
    "<?xml version='1.0' encoding='utf-8'?><html><body><p>x</p></body></html>",
    "<?xml version='1.0'?><?xml version='1.0' encoding='gbk'?><p>x</p>",  # lxml refuses a str like this
    "<?xml version='1.0' encoding='gbk'><p>x</p>",
    "<meta charset='gbk'><p>临汾新闻网</p>",
    "\ufeff<p>a</p>",
    "<a href='http://[x'>bad</a><a href='/ok'>ok</a><a href='http://例子.中国/'>idn</a>",
]


@pytest.mark.parametrize("text", PARSE_CASES)
def test_parse_html_cases(text: str) -> None:
    assert serialized(parse_html(text)) == serialized(plain_parse_html(text))


def test_parse_html_drops_a_malformed_href_only() -> None:
    doc = parse_html("<a href='http://[x'>bad</a><a href='http://例子.中国/'>idn</a><a href='/ok'>ok</a>")
    assert doc is not None
    assert [a.get("href") for a in doc.iter("a")] == [None, "http://例子.中国/", "/ok"]


HAS_TEXT_CASES = [
    ("<div><p>正文</p></div>", True),
    ("<div></div>", False),
    ("<div> \n\u3000\u00a0\u200b </div>", False),  # only what clean_text drops
    ("<div><script>var a = 1;</script><style>p {}</style></div>", False),
    ("<div><script>var a = 1;</script>正文</div>", True),  # a script's tail is visible text
    ("<div><!-- 注释 --></div>", False),  # a comment's text is no text node
    ("<div><!-- 注释 -->尾</div>", True),
    ("<div><span><b> </b></span><i>x</i></div>", True),
]


@pytest.mark.parametrize(("html", "expected"), HAS_TEXT_CASES)
def test_has_text(html: str, expected: bool) -> None:
    doc = parse_html(f"<html><body>{html}</body></html>")
    assert doc is not None
    div = next(doc.iter("div"))
    assert has_text(div) is expected is bool(node_text(div))


def test_has_text_of_an_element_inside_a_script_is_false() -> None:
    script = etree.Element("script")
    inner = etree.SubElement(script, "p")
    inner.text = "正文"
    assert has_text(inner) is False is bool(node_text(inner))


TREE_PIECES = st.sampled_from([
    "<div>", "</div>", "<p>", "</p>", "<span>", "</span>", "<script>x=1</script>", "<style>p{}</style>",
    "<!-- c -->", "<br>", " ", "\u3000", "\u200b", "\u00a0", "\n", "字", "x", "&nbsp;", "<script>", "</script>",
])


@given(st.lists(TREE_PIECES, max_size=25).map("".join))
@settings(max_examples=300)
def test_has_text_is_bool_of_node_text(body: str) -> None:
    doc = parse_html(f"<html><body>{body}</body></html>")
    if doc is None:
        return
    for el in doc.iter(etree.Element):
        assert has_text(el) is bool(node_text(el)), etree.tostring(el, encoding=str)


_OLD_CANONICAL = etree.XPath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content")

CANONICAL_CASES = [
    ("<head><link rel='canonical' href='http://a.cn/1.html'></head>", ["http://a.cn/1.html"]),
    ("<head><meta property='og:url' content='https://a.cn/2.html'><link rel='canonical' href='/3.html'></head>",
     ["https://a.cn/2.html", "/3.html"]),
    ("<head><link rel='stylesheet' href='a.css'><meta name='og:url' content='x'></head>", []),
    ("<head><link rel='canonical'></head><body><link rel='canonical' href=''></body>", [""]),
]


@pytest.mark.parametrize(("html", "expected"), CANONICAL_CASES)
def test_canonical_urls(html: str, expected: list[str]) -> None:
    doc = parse_html(f"<html>{html}<body><p>x</p></body></html>")
    assert doc is not None
    assert list(_canonical_urls(doc)) == expected == xpath_strings(_OLD_CANONICAL, doc)


CANONICAL_PIECES = st.sampled_from([
    "<link rel='canonical' href='http://a.cn/1.html'>", "<link rel='canonical'>", "<link rel='Canonical' href='x'>",
    "<meta property='og:url' content='http://a.cn/2.html'>", "<meta property='og:url'>",
    "<meta name='og:url' content='y'>",
    "<link href='z' rel='canonical'>", "<p>", "</p>", "<div>", "</div>", "<head>", "</head>", "<body>", "x",
])


@given(st.lists(CANONICAL_PIECES, max_size=12).map("".join))
def test_canonical_urls_are_the_xpaths(html: str) -> None:
    doc = parse_html(f"<html>{html}</html>")
    if doc is not None:
        assert list(_canonical_urls(doc)) == xpath_strings(_OLD_CANONICAL, doc)



_ARTICLE = ("<html><head><title>临汾召开会议_临汾新闻网</title></head><body><h1>临汾召开会议</h1>"
            "<div class='info'>2021-03-05 10:00 来源：临汾日报 作者：张三</div><div class='content'>"
            + "<p>市直机关基层党组织要牢固确立大局意识、服务意识和职能意识，采取多种形式凝聚党员。</p>" * 4
            + "<p>责任编辑：李四</p></div></body></html>")


@pytest.mark.parametrize("html", [_ARTICLE.encode(), _ARTICLE, b"", b"<html><body></body></html>"])
def test_extracted_page_holds_exactly_the_typed_keys(html: bytes | str) -> None:
    """The record has every key ExtractedPage declares and no other, on an article and on empty pages."""
    rec = extract_page(html, "http://www.lfxww.com/news/1.html")
    assert list(rec) == list(ExtractedPage.__annotations__)


def test_extract_article_is_extract_page_untyped() -> None:
    rec = extract_page(_ARTICLE.encode(), "http://www.lfxww.com/news/1.html")
    assert extract_article(_ARTICLE.encode(), "http://www.lfxww.com/news/1.html") == rec
    assert rec["title"] == "临汾召开会议"
    assert rec["source"] == "临汾日报"
    assert rec["authors"] == ["张三"] and rec["editors"] == ["李四"]
    assert rec["published_at"] is not None and rec["published_at"].startswith("2021-03-05")
