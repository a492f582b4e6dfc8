"""Charset decoding: BOM, valid UTF-8, declared charsets, lying headers, mojibake repair."""

from __future__ import annotations

import pytest

from linfen_crawler.extract.encoding import declared_charsets, decode_html, normalize_charset, repair_mojibake

TEXT = "临汾新闻网讯 尧都区召开会议，“争当排头兵”。"


def page(charset: str) -> str:
    return f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head>' \
           f"<body><p>{TEXT}</p></body></html>"


@pytest.mark.parametrize(("body", "header", "override", "codec"), [
    (page("utf-8").encode("utf-8"), "text/html; charset=utf-8", None, "utf-8"),
    (page("gb2312").encode("gb18030"), "text/html; charset=gb2312", None, "gb18030"),
    (page("gbk").encode("gbk"), None, None, "gb18030"),  # no header: the <meta> decides
    (page("gb2312").encode("gb18030"), "text/html; charset=utf-8", None, "gb18030"),  # header lies
    (page("utf-8").encode("utf-8"), "text/html; charset=gbk", None, "utf-8"),  # header lies the other way
    (page("gb2312").encode("utf-8"), None, None, "utf-8"),  # <meta> lies
    (page("").encode("gb18030"), None, None, "gb18030"),  # nothing declared, not UTF-8
    (b"\xef\xbb\xbf" + page("gbk").encode("utf-8"), "text/html; charset=gbk", None, "utf-8"),  # BOM wins
    (page("utf-8").encode("gb18030"), None, "gbk", "gb18030"),  # profile override
])
def test_decoding_finds_the_real_charset(body, header, override, codec):
    text, used = decode_html(body, header, override)
    assert used == codec
    assert TEXT in text


def test_invalid_gbk_bytes_never_raise_and_keep_the_rest():
    body = page("gbk").encode("gbk").replace("会议".encode("gbk"), b"\xff\xfe\x81")
    text, used = decode_html(body, "text/html; charset=gbk")
    assert used == "gb18030"
    assert "临汾新闻网讯" in text and "排头兵" in text


def test_gbk_read_as_latin1_is_repaired():
    broken = TEXT.encode("gbk").decode("latin-1")
    assert repair_mojibake(broken) == TEXT
    text, _ = decode_html(page("utf-8").replace(TEXT, broken).encode("utf-8"), "text/html; charset=utf-8")
    assert TEXT in text
    assert repair_mojibake("Café crème brûlée") == "Café crème brûlée"  # real Latin-1 text stays


@pytest.mark.parametrize(("name", "codec"), [
    ("GB2312", "gb18030"), ("gbk", "gb18030"), ("x-gbk", "gb18030"), ("UTF-8", "utf-8"), ("utf8", "utf-8"),
    ("big5", "big5"), ("nonsense", None), ("", None), (None, None)])
def test_normalize_charset(name, codec):
    assert normalize_charset(name) == codec


def test_declared_charsets_reads_header_and_meta():
    assert declared_charsets(b'<meta charset="GBK">', "text/html; charset=UTF-8") == ("utf-8", "gb18030")
    assert declared_charsets(b"<p>no meta</p>", None) == (None, None)
