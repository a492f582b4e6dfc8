"""Property tests of the pure parsers: never raise on arbitrary Unicode, idempotent, deterministic."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from linfen_crawler.extract.byline import (
    Byline,
    caption_credit,
    finalize_people,
    is_credit_line,
    lead_byline,
    parse_byline,
    trailing_byline,
)
from linfen_crawler.extract.dates import date_from_url, parse_date
from linfen_crawler.normalize import canonicalize_url, clean_lines, clean_text, fold_width

NOW = datetime(2021, 3, 5, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
VALUE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}\+08:00)?$")

#: Arbitrary text, biased towards the characters the parsers care about.
PIECES = st.sampled_from(
    [
        "来源",
        "作者",
        "记者",
        "编辑",
        "责任编辑",
        "通讯员",
        "摄",
        "文/",
        "：",
        ":",
        "（",
        "）",
        "(",
        ")",
        "【",
        "】",
        "\u3000",
        "\u00a0",
        "\u200b",
        " ",
        "、",
        "，",
        "2011",
        "-10-15",
        "年",
        "月",
        "日",
        "10:19",
        "昨天",
        "3小时前",
        "王长波",
        "张三",
        "临汾新闻网",
        "_NF4425",
        "和",
        "\n",
        "。",
        "０",
        "１",
    ]
)
TEXT = st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=25).map("".join))


@given(TEXT)
def test_fold_width_only_touches_fullwidth_forms(text: str) -> None:
    folded = fold_width(text)
    assert len(folded) == len(text)
    assert fold_width(folded) == folded
    assert not any("\uff01" <= ch <= "\uff5e" or ch in "\u3000\u00a0" for ch in folded)


@given(TEXT)
def test_clean_text_is_idempotent_and_tidy(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned and "\n" not in cleaned and "\u200b" not in cleaned


@given(TEXT)
def test_clean_lines_are_clean_and_non_empty(text: str) -> None:
    lines = clean_lines(text)
    assert all(line and clean_text(line) == line for line in lines)
    assert clean_lines("\n".join(lines)) == lines


@given(st.one_of(st.text(), st.from_regex(r"https?://[A-Za-z.]{1,12}(:\d{1,5})?/[a-z/]{0,10}(\?[a-z_=&]{0,20})?")))
def test_canonicalize_url_is_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


@given(TEXT)
@settings(max_examples=300)
def test_parse_date_never_raises_and_is_well_formed(text: str) -> None:
    found = parse_date(text, now=NOW)
    if found is not None:
        assert VALUE_RE.match(found.value), found
        assert found.text and found.text in fold_width(text)


@given(st.dates(min_value=datetime(1900, 1, 1).date(), max_value=datetime(2099, 12, 31).date()))
def test_parse_date_round_trips_every_date(day: object) -> None:
    assert parse_date(f"发布时间：{day}", now=NOW) is not None
    found = parse_date(f"{day:%Y年%m月%d日}", now=NOW)
    assert found is not None and found.value == f"{day}"


@given(st.one_of(st.text(), st.from_regex(r"http://x\.cn/[0-9/\-_t]{0,20}\.html")))
def test_date_from_url_never_raises(url: str) -> None:
    found = date_from_url(url)
    if found is not None:
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", found.value) and 1995 <= int(found.value[:4]) <= 2035


@given(TEXT)
@settings(max_examples=300)
def test_byline_parsers_never_raise_and_give_clean_unique_names(text: str) -> None:
    for parse in (parse_byline, lead_byline, trailing_byline):
        found = parse(text)
        assert isinstance(found, Byline)
        assert len(set(found.authors)) == len(found.authors)
        assert len(set(found.editors)) == len(found.editors)
        assert all(name and name == name.strip() for name in found.authors + found.editors)
    assert isinstance(is_credit_line(text), bool)
    credited = caption_credit(text + " 摄")
    assert len(set(credited)) == len(credited)
    assert all(name and name == name.strip() for name in credited)


@given(TEXT)
def test_a_line_without_a_person_label_names_no_editor(text: str) -> None:
    if not re.search(r"编|审|校", text):
        assert parse_byline(text).editors == []


@given(st.lists(TEXT, max_size=6), st.lists(TEXT, max_size=6))
def test_finalize_people_is_idempotent(authors: list[str], editors: list[str]) -> None:
    once = finalize_people(authors, editors)
    assert finalize_people(*once) == once


@given(TEXT, TEXT)
def test_merge_keeps_every_name_once(a: str, b: str) -> None:
    first, second = parse_byline(a), parse_byline(b)
    merged = first.merge(second)
    assert merged.source == (first.source or second.source)
    assert set(merged.authors) == set(first.authors) | set(second.authors)
    assert len(set(merged.authors)) == len(merged.authors)
