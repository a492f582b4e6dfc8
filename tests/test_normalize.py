"""Table-driven tests of linfen_crawler.normalize (width folding, cleaning, canonical URLs)."""

from __future__ import annotations

import pytest

from linfen_crawler.normalize import canonicalize_url, clean_lines, clean_text, fold_width


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("，：（）", ",:()"),
        ("０１２３４５６７８９", "0123456789"),
        ("ＡＢＣａｂｃ", "ABCabc"),
        ("！～", "!~"),
        ("临汾\u3000新闻网", "临汾 新闻网"),
        ("临汾\u00a0新闻网", "临汾 新闻网"),
        # nothing outside U+FF01–FF5E is folded (this is not NFKC)
        ("①㎡²。、“”《》【】", "①㎡²。、“”《》【】"),
        ("\uff5f\uff00", "\uff5f\uff00"),  # just outside the range
        ("【责任编辑：付基恒】", "【责任编辑:付基恒】"),
        ("", ""),
    ],
)
def test_fold_width(text: str, expected: str) -> None:
    assert fold_width(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("　　（作者系市直工委副书记 王文生）", "(作者系市直工委副书记 王文生)"),
        ("&nbsp;", "&nbsp;"),  # entities are the HTML parser's business
        ("\u00a0\u00a0【责任编辑: 付基恒】", "【责任编辑: 付基恒】"),
        ("临汾\u200b新闻\u200c网\u200d讯\ufeff", "临汾新闻网讯"),
        ("a \t\n b", "a b"),
        ("  一、紧贴发展大局  ", "一、紧贴发展大局"),
        ("2011-10-15 10:19:00　来源：临汾新闻网　　浏览次数：", "2011-10-15 10:19:00 来源:临汾新闻网 浏览次数:"),
        ("\u3000\u00a0 \n", ""),
    ],
)
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("第一段\n\n　　第二段\r\n第三段 ", ["第一段", "第二段", "第三段"]),
        ("\u3000\n \n", []),
        ("一行", ["一行"]),
        ("a\rb\u2028c", ["a", "b", "c"]),
    ],
)
def test_clean_lines(text: str, expected: list[str]) -> None:
    assert clean_lines(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.LFXWW.COM/linfen/djll/93512.html", "http://www.lfxww.com/linfen/djll/93512.html"),
        ("http://www.lfxww.com:80/a.html", "http://www.lfxww.com/a.html"),
        ("https://www.lfxww.com:443/a.html", "https://www.lfxww.com/a.html"),
        ("http://www.lfxww.com:8080/a.html", "http://www.lfxww.com:8080/a.html"),
        ("http://www.lfxww.com/a.html#comments", "http://www.lfxww.com/a.html"),
        ("http://x.cn/a?utm_source=wx&utm_medium=m&id=3", "http://x.cn/a?id=3"),
        ("http://x.cn/a?spm=1.2&from=timeline&share=1&fbclid=abc", "http://x.cn/a"),
        ("http://x.cn/a?b=2&a=1&c=", "http://x.cn/a?a=1&b=2&c="),
        ("http://x.cn/plus/view.php?aid=93512", "http://x.cn/plus/view.php?aid=93512"),
        ("http://x.cn/a?UTM_Campaign=x&aid=1", "http://x.cn/a?aid=1"),
        # the path and the remaining query keep their bytes (case, encoding)
        ("http://X.cn/News/A.HTML?q=%C1%D9%B7%DA", "http://x.cn/News/A.HTML?q=%C1%D9%B7%DA"),
        ("http://x.cn", "http://x.cn/"),
        ("/relative/path.html", "/relative/path.html"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected
