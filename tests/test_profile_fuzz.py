"""Fuzzing the profile loader (issue 15): profiles are user input, so whatever a profile file holds, loading
it gives a Profile or one ProfileError, never another exception; and whatever pattern it declares, matching
returns. The time bound is structural, not measured: patterns are compiled by RE2, whose matching is linear
in the text, so the pathological patterns below are run on texts where Python's ``re`` would need longer
than the age of the universe."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linfen_crawler.profiles import Profile, ProfileError, parse_bytes, parse_profile

# no deadline (nothing here may depend on timing); no example database (nothing written outside tmp dirs)
FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

GOOD = """key = "demo"
name = "示例新闻网"
domains = ["example.cn"]
start_urls = ["http://www.example.cn/news/"]
"""

# Regex building blocks: the constructs behind catastrophic backtracking, and those RE2 refuses.
REGEX_ATOMS = st.sampled_from(["a", "b", ".", r"\d", r"\w", r"\s", "[a-z]", "[^/]", "(", ")", "(?:", "|", "+", "*",
                               "?", "{2,}", "{1000}", "{3,5}", "^", "$", r"\1", "(?=", "(?!", "(?<=", "(?P<n>",
                               r"\b", "\\", "[", "]", "aid=", r"\.html", "(a+)+", "(a|aa)+", "(.*a){20}"])
REGEXES = st.lists(REGEX_ATOMS, max_size=12).map("".join)
XPATH_ATOMS = st.sampled_from(["//", "/", "div", "a", "@href", "[", "]", "@class='x'", "contains(", ")", ",",
                               "'", "*", "text()", "last()", "|", "..", "x:y", "\x01", "\x00", "$v", "()"])
XPATHS = st.lists(XPATH_ATOMS, max_size=10).map("".join)
SCALARS = st.one_of(st.text(max_size=20), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.booleans(),
                    REGEXES, XPATHS, st.sampled_from(["Asia", "Asia/Shanghai", "../etc", "x" * 300, "gbk",
                                                      "undefined", "rot13", "{n}", "{aid}", "{0}", "{", "{x!r}"]))
VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                     st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)

TEMPLATES = st.one_of(st.sampled_from(["{aid}.html", "{section}{aid}.html", "index_{n}.html", "{n}{m}", "{n:x}",
                                       "{aid!r}", "{0}", "{}", "{", "}", "{aid:>5}", "{aid.x}", "{aid[0]}"]),
                      st.text(alphabet="{}!:.[]0naid", max_size=10))
HOSTILE: dict[str, st.SearchStrategy[Any]] = {
    "key": st.one_of(st.text(max_size=40), VALUES),
    "timezone": st.one_of(st.sampled_from(["Asia", "Asia/", "../etc/passwd", "x" * 300, "UTC\x00", "", "Etc/GMT+8"]),
                          st.text(max_size=30), VALUES),
    "encoding": st.one_of(st.sampled_from(["undefined", "rot13", "hex", "idna", "utf\x00", "x" * 300, "gb18030"]),
                          st.text(max_size=20), VALUES),
    "download_delay": st.one_of(st.floats(allow_nan=True, allow_infinity=True), VALUES),
    "concurrency": st.one_of(st.integers(-(2**70), 2**70), VALUES),
    "start_urls": st.one_of(st.lists(st.text(max_size=30), max_size=3), VALUES),
    "sections": VALUES,
    "list.article_url": st.one_of(REGEXES, VALUES),
    "list.article_links": st.one_of(XPATHS, VALUES),
    "list.next_pages": st.one_of(TEMPLATES, XPATHS, VALUES),
    "list.max_pages": st.one_of(st.integers(-(2**70), 2**70), VALUES),
    "article.title": st.one_of(XPATHS, st.lists(XPATHS, max_size=3), VALUES),
    "article.section": st.one_of(XPATHS, VALUES),
    "article.url_template": st.one_of(TEMPLATES, VALUES),
    "article.url_parts": st.one_of(st.dictionaries(st.sampled_from(["aid", "section", "n", "0", ""]),
                                                   st.one_of(XPATHS, st.tuples(XPATHS, REGEXES).map(list), VALUES),
                                                   max_size=3), VALUES),
    "article.url_parts.aid": st.one_of(st.tuples(XPATHS, REGEXES).map(list), XPATHS, VALUES),
    "article.unknown": VALUES,
    "unknown": VALUES,
}


def _valid() -> dict[str, Any]:
    return {"key": "demo", "name": "示例新闻网", "domains": ["example.cn"], "start_urls": ["http://www.example.cn/n/"],
            "sections": {"http://www.example.cn/n/": "新闻"}, "timezone": "Asia/Shanghai", "encoding": "gbk",
            "download_delay": 1.0, "concurrency": 2, "verified_live": False, "facts": "",
            "list": {"article_links": "//ul/li/a/@href", "article_url": r"/\d+\.html$",
                     "next_pages": "index_{n}.html", "max_pages": 5},
            "article": {"title": ["//h1"], "body": ["//div[@id='content']"], "section": "//div[@class='pos']/a",
                        "url_template": "{section}{aid}.html",
                        "url_parts": {"section": "//div[@class='pos']/a/@href",
                                      "aid": ["//script/@src", r"aid=(\d+)"]}}}


@st.composite
def _profiles(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document with one to three values made hostile, so every check down the validator is reached."""
    doc = _valid()
    for path in draw(st.lists(st.sampled_from(sorted(HOSTILE)), min_size=1, max_size=3, unique=True)):
        *tables, last = path.split(".")
        table = doc
        for name in tables:
            if not isinstance(table.get(name), dict):
                table[name] = {}
            table = table[name]
        table[last] = draw(HOSTILE[path])
    return doc


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string, except lone surrogates: those are malformed TOML
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _load(data: bytes) -> Profile | None:
    try:
        return parse_bytes(data, "fuzz.toml")
    except ProfileError as exc:
        message = str(exc)
        assert message.startswith("fuzz.toml: ") and "\n" not in message, message
        return None


def _exercise(profile: Profile) -> None:
    """What a crawl does with a loaded profile's patterns: every search returns."""
    texts = ["http://www.example.cn/n/12345.html", "a" * 20_000 + "!", "aid=" + "1" * 20_000 + "x", "", "\u4e34\u6c7e"]
    if profile.list.article_url is not None:
        for text in texts:
            profile.list.article_url.search(text)
    for _, regex in profile.article.url_parts.values():
        if regex is not None:
            for text in texts:
                m = regex.search(text)
                if m is not None:
                    m.group(0), m.groups()


@FUZZ
@given(_profiles())
def test_generated_profiles_load_or_fail_with_one_profile_error(doc: dict[str, Any]) -> None:
    text = "\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in doc.items())
    profile = _load(text.encode("utf-8", "surrogatepass"))
    if profile is not None:
        _exercise(profile)
    try:
        direct = parse_profile(doc, "fuzz.toml")  # the validator on data TOML itself could not express
    except ProfileError:
        return
    _exercise(direct)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_load_or_fail_with_one_profile_error(data: bytes) -> None:
    _load(data)


@FUZZ
@given(st.lists(st.one_of(st.binary(max_size=6), st.sampled_from([b"[", b"]", b"{", b"}", b"=", b'"', b"'", b"\n",
                                                                  b"[[list]]", b"[list]", b"\\u", b"\xff", b"\x00"])),
                max_size=12), st.integers(0, len(GOOD.encode())))
def test_damaged_profile_files_load_or_fail_with_one_profile_error(chunks: list[bytes], at: int) -> None:
    good = GOOD.encode()
    _load(good[:at] + b"".join(chunks) + good[at:])


@FUZZ
@given(REGEXES)
def test_any_declared_pattern_is_refused_at_load_or_matched(pattern: str) -> None:
    profile = _load((GOOD + f"[list]\narticle_url = {json.dumps(pattern)}\n").encode())
    if profile is not None:
        assert (profile.list.article_url is not None) is (pattern != "")  # an empty pattern is no rule
        _exercise(profile)


@pytest.mark.parametrize(("pattern", "text"), [
    ("(a+)+$", "a" * 200_000 + "!"),  # re: 2**200000 steps
    ("(a|aa)+$", "a" * 200_000 + "!"),  # re: Fibonacci(200000)
    ("(.*a){20}$", "a" * 200_000 + "!"),  # re: ~ n**20
    ("^(\\w+\\s?)*$", "word " * 40_000 + "!"),
    ("(x+x+)+y", "x" * 200_000),
])
def test_pathological_patterns_return_on_long_text(pattern: str, text: str) -> None:
    profile = _load((GOOD + f"[list]\narticle_url = {json.dumps(pattern)}\n"
                     "[article]\nurl_template = '{aid}.html'\n"
                     f"url_parts.aid = ['//a/@href', {json.dumps(pattern)}]\n").encode())
    assert profile is not None and profile.list.article_url is not None
    assert profile.list.article_url.search(text) is None
    _, regex = profile.article.url_parts["aid"]
    assert regex is not None and regex.search(text) is None
