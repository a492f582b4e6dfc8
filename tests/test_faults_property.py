"""Property tests for what a hostile server controls (issue 5): page bytes, headers and host names never
make the decoder, the extractor or the guards raise, and their fast paths (issue 8) agree with the plain
rules. (tests/test_parsers_property.py covers the text, date and byline parsers.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linfen_crawler.extract.article import extract_article
from linfen_crawler.extract.encoding import decode_html, detect_charset
from linfen_crawler.middlewares.antibot import antibot_reason, not_html_reason
from linfen_crawler.middlewares.guards import is_private_host
from linfen_crawler.middlewares.retry import retry_after_seconds
from linfen_crawler.normalize import _CLEAN_TABLE, _LINE_BREAK_RE, canonicalize_url, clean_lines, clean_text

TAGS = st.sampled_from(["<html>", "<body>", "<div>", "</div>", "<p>", "</p>", "<h1>", "</h1>", "<table><tr><td>",
                        "</td>", "<script>", "</script>", "<!--", "-->", "<meta charset=gbk>", "<title>", "</title>",
                        "<a href='x_2.html'>下一页</a>", "<a href='http://[x/1.html'>坏链接</a>",
                        "<![CDATA[", "<?xml version='1.0'?>", "&#0;", "&nbsp;"])
MARKUP = st.lists(st.one_of(TAGS, st.text(max_size=20)), max_size=40).map("".join)
CHARSETS = st.sampled_from([None, "text/html", "text/html; charset=gbk", "text/html; charset=utf-8",
                            "text/html; charset=bogus", "application/pdf", "text/html; charset="])
NOW = datetime(2024, 3, 15, tzinfo=UTC)


@given(st.binary(max_size=2000), CHARSETS)
def test_decode_html_never_raises(body: bytes, ctype: str | None) -> None:
    text, codec = decode_html(body, ctype)
    assert isinstance(text, str) and codec


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(MARKUP.map(lambda s: s.encode("utf-8")), MARKUP.map(lambda s: s.encode("gb18030")),
                 st.binary(max_size=1500)), CHARSETS)
def test_extract_article_never_raises_on_hostile_pages(body: bytes, ctype: str | None) -> None:
    rec = extract_article(body, "http://www.lfxww.com/linfen/1.html", headers={"Content-Type": ctype or ""},
                          now=NOW)
    assert set(rec) >= {"title", "body", "not_article"}


@given(st.integers(100, 599), st.one_of(st.binary(max_size=3000), MARKUP.map(str.encode)))
def test_guards_never_raise(status: int, body: bytes) -> None:
    assert antibot_reason(status, body) in (None, "antibot_js_challenge", "antibot_captcha")
    not_html_reason("text/html", body)


@given(st.one_of(st.text(max_size=40), st.ip_addresses().map(str)))
def test_host_and_header_checks_never_raise(value: str) -> None:
    is_private_host(value)
    retry_after_seconds(value)
    canonicalize_url(f"http://{value}/a.html")


@given(st.ip_addresses(v=4))
def test_private_ipv4_is_refused_and_public_ipv4_is_not(ip: object) -> None:
    import ipaddress

    addr = ipaddress.ip_address(str(ip))
    if addr.is_private or addr.is_loopback or addr.is_link_local:
        assert is_private_host(str(ip))
    if addr.is_global and not addr.is_multicast:  # multicast is refused too, though Python calls it global
        assert not is_private_host(str(ip))


# issue 8: the guards' fast paths give the verdicts of the plain regexes they replace
_OLD_SCRIPT_STYLE = re.compile(rb"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_OLD_SPACE = re.compile(rb"\s+")
SCRIPTY = st.lists(st.sampled_from([
    "<script>", "<SCRIPT type=x>", "<scripts>", "</script>", "</SCRIPT >", "</script\n>", "</script x>", "</script",
    "<style>", "</style>", "</StYlE\t>", "<", ">", "x", " ", "\n", "</", "<scr", "ipt>", "验证码", "<b>", "</sty",
    "le>"]), max_size=30).map("".join)


@given(st.one_of(SCRIPTY.map(str.encode), SCRIPTY.map(lambda s: s.encode("gb18030")), st.binary(max_size=300)))
def test_visible_text_is_that_of_the_plain_regexes(body: bytes) -> None:
    from linfen_crawler.middlewares.antibot import _TAG, _visible

    assert _visible(body) == _OLD_SPACE.sub(b"", _TAG.sub(b"", _OLD_SCRIPT_STYLE.sub(b"", body)))


@given(st.one_of(st.binary(max_size=2000), MARKUP.map(str.encode), MARKUP.map(lambda s: s.encode("gb18030"))),
       CHARSETS, st.sampled_from([None, "gbk", "utf-8", "big5"]))
def test_detect_charset_is_what_decode_html_picks(body: bytes, ctype: str | None, override: str | None) -> None:
    assert detect_charset(body, ctype, override) == decode_html(body, ctype, override)[1]


@given(st.text(alphabet=st.sampled_from(list("临汾 ab1\t\n\r\x0b\x0c\x1c\x1f\x85\u2028\u3000\u00a0\u200b\u200d"
                                             "\ufeff\uff01\uff0c\uff5e\u2003，。")), max_size=30))
def test_clean_text_fast_path_matches_the_full_rule(text: str) -> None:
    full = re.sub(r"\s+", " ", text.translate(_CLEAN_TABLE)).strip()
    assert clean_text(text) == full
    assert clean_lines(text) == [x for x in (clean_text(p) for p in _LINE_BREAK_RE.split(text)) if x]


def _old_antibot_reason(status: int, body: bytes) -> str | None:
    """antibot_reason before the prefix count (issue 8): the visible text of the first 64 KB, always."""
    from linfen_crawler.middlewares import antibot as m

    head = body[:65536]
    visible = len(m._visible(head)) if len(body) < 200_000 else 10**4
    if status in m.ANTIBOT_STATUSES and (b"<script" in head.lower() or not head.strip()):
        return "antibot_js_challenge"
    if status in (403, 503) and visible < 1500 and m._CHALLENGE_MARKERS.search(head):
        return "antibot_js_challenge"
    if visible >= 600:
        return None
    if m._CAPTCHA_STRONG.search(head):
        return "antibot_captcha"
    text = m._visible(head)
    for codec in ("utf-8", "gb18030"):
        try:
            words = text.decode(codec)
        except UnicodeDecodeError:
            continue
        return "antibot_captcha" if m._CAPTCHA_WORDS.search(words) else None
    return None


# pages around the prefix length, with scripts, styles and tags cut anywhere by it
_PIECES = st.sampled_from([
    "<script>var a=1;", "</script>", "<style>p{}", "</style>", "<SCRIPT src=x>", "<!--", "-->", "<div class='x'>",
    "</div>", "<p>", "<a href='/1.html'>", "</a>", "<", ">", "验证码", "请完成验证", "captcha", "新闻正文第一段。" * 20,
    "x" * 300, " " * 200, "\n", "<input id='captcha'>", "document.cookie=1", "<b>验</b>证码", "</scr", "ipt>"])
LONG_PAGES = st.lists(_PIECES, max_size=200).map("".join).flatmap(
    lambda s: st.sampled_from([s.encode("utf-8"), s.encode("gb18030")]))


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None, max_examples=300)
@given(st.sampled_from([200, 403, 503, 404, 521]), LONG_PAGES, st.integers(0, 20_000))
def test_antibot_verdicts_are_those_of_the_full_count(status: int, body: bytes, pad: int) -> None:
    from linfen_crawler.middlewares.antibot import VISIBLE_PREFIX, _visible, _visible_at_least

    body = b"<html><body>" + b"<div>" * (pad // 5) + body  # moves the prefix's end through the page
    assert antibot_reason(status, body) == _old_antibot_reason(status, body)
    if len(body) > VISIBLE_PREFIX:
        for n in (600, 1500):
            assert _visible_at_least(body, n) == (len(_visible(body)) >= n)


_WORD = "验证码".encode()


@pytest.mark.parametrize("page", [
    # a script that opens before the prefix's end and closes after it: its text is not visible
    b"<html><body>" + b"<div>" * 3000 + b"<script>" + b"x" * 2000 + b"</script><p>" + _WORD + b"</p>",
    # a tag that opens before the prefix's end and closes after it: its attributes are not visible
    b"<html><body>" + b"<div>" * 3100 + b'<a title="' + b"x" * 1500 + b'">' + _WORD + b"</a>",
])
def test_a_captcha_page_is_found_when_the_prefix_cuts_a_script_or_a_tag(page: bytes) -> None:
    from linfen_crawler.middlewares.antibot import VISIBLE_PREFIX

    assert len(page) > VISIBLE_PREFIX
    assert antibot_reason(200, page) == _old_antibot_reason(200, page) == "antibot_captcha"
