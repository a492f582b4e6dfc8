"""Issue 13's kinds of miss on unseen pages, fixed as general rules (docs/extraction.md): one table per rule.

Every example is invented; none is copied from a corpus page.
"""

from __future__ import annotations

import pytest

from linfen_crawler.extract.byline import Byline, parse_byline, plausible_source, trailing_byline

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
    ("周小梅/摄", ["周小梅"]),
    # … but the same words as plain words credit nobody
    ("图片 新闻 视频", []),
    ("文字 直播", []),
    # A11: a periodical or news agency on a writer's line is an outlet, never a writer
    ("文/河东周刊 记者 钱海", ["钱海"]),
    ("作者：晋南生活周刊", []),
    ("图：新华社 记者 周小梅", ["周小梅"]),
    ("作者：某某杂志社", []),
    # lists stay whole
    ("记者 钱海、周小梅和欧阳明月", ["钱海", "周小梅", "欧阳明月"]),
]


@pytest.mark.parametrize(("line", "authors"), WRITER_CASES)
def test_writer_credits(line: str, authors: list[str]) -> None:
    assert parse_byline(line).authors == authors


def test_photo_credit_with_a_slash_closes_a_body() -> None:
    assert trailing_byline("（周小梅/摄）") == Byline(authors=["周小梅"])
