"""Fuzzing the search query parser (issue 15): `linfen search` arguments and `storage.fts_query` on generated
input never give a traceback, and the work a query can cause is bounded.

The bound is deterministic, not a stopwatch: the query has at most ``MAX_QUERY_TERMS`` words, and its FTS5
expression at most ``MAX_QUERY_CHARS`` phrases (a Chinese word of n characters is its n-1 pairs) of at most
twice ``MAX_QUERY_CHARS`` characters in all (FTS5 ranks and snips each hit once per phrase, which is what made a
9,000-character query run past a minute; that work is inside FTS5, where VM steps do not see it), and the
SQLite VM steps a search takes (rows visited) are counted with ``set_progress_handler`` and bounded too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linfen_crawler.cli import main
from linfen_crawler.storage import MAX_QUERY_CHARS, MAX_QUERY_TERMS, Dataset, QueryError, fts_query

# pieces a query is made of, FTS5 syntax included, so the generator reaches the interesting cases quickly
PIECES = ["临汾", "汾", "尧都区", "新闻", "太原", "2024", "OK", "-", "－", "--", "-临汾", "-2024", "-OK", '"', "'",
          "*", "^", "(", ")", ":", "+", "AND", "OR", "NOT", "NEAR", "title:", "{", "}", "\x00", "\t", "　", "ｏｋ"]
word = st.one_of(st.sampled_from(PIECES), st.text(max_size=12),
                 st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join))
query = st.one_of(st.lists(word, max_size=60).map(" ".join), st.text(max_size=700))
STEP = 100  # progress handler granularity (VM instructions per call)
# `linfen` as the CLI runs it: the group imports a command's module when it is used (cli.COMMANDS, issue 12),
# so no import order (commands.analyst before linfen_crawler.cli, as test_search_docs does) leaves `search` off
linfen = main


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("fuzz") / "news.db"
    with Dataset(path) as ds:
        ds.upsert_articles([
            {"url": f"http://www.lfxww.com/{i}.html", "site": "lfxww", "title": title, "body": body,
             "published_at": "2024-03-05", "authors": [], "editors": []}
            for i, (title, body) in enumerate([
                ("临汾市召开转型发展推进会", "会议在临汾举行。参会人员100人, OK。"),
                ("太原新闻", "2024年太原与临汾的合作。"),
                ("尧都区丰收", "尧都区2024年粮食丰收,临汾新闻网讯。" * 20),
            ])], run_id=1)
    yield path


def phrases(expr: str) -> list[str]:
    return re.findall(r'"([^"]*)"', expr)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=query)
def test_fts_query_is_bounded_and_always_valid_fts5(db, q):
    try:
        expr = fts_query(q)
    except QueryError as exc:
        msg = str(exc)
        assert "\n" not in msg
        assert f"at most {MAX_QUERY_CHARS}" in msg or f"at most {MAX_QUERY_TERMS}" in msg or "only excludes" in msg
        return
    if not expr:
        return
    parts = phrases(expr)
    assert 1 <= len(set(parts)) <= MAX_QUERY_CHARS
    assert sum(len(p) for p in parts) <= 2 * MAX_QUERY_CHARS  # spaced CJK characters at most double
    with Dataset(db, create=False) as ds:
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        ds.conn.set_progress_handler(count, STEP)
        ds.search(q, limit=50)  # raises sqlite3.OperationalError on an invalid FTS5 expression
        ds.conn.set_progress_handler(None, STEP)
    assert steps * STEP <= 20_000, (q, expr, steps)


args_strategy = st.lists(st.one_of(word, query), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=args_strategy)
def test_linfen_search_never_gives_a_traceback(db, args):
    expressions: list[str] = []
    real_fts_query = fts_query

    def spy(q: str) -> str:
        expr = real_fts_query(q)
        expressions.append(expr)
        return expr

    with mock.patch("linfen_crawler.storage.fts_query", spy):
        result = CliRunner().invoke(linfen, ["search", "--db", str(db), "--format", "json", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # shows the traceback a user would have seen
    assert result.exit_code in (0, 2), (args, result.output)
    if result.exit_code == 2:
        assert result.output.startswith("Error: ") or result.output.startswith("Usage: "), result.output
        assert "Traceback" not in result.output and "No such command" not in result.output
    for expr in expressions:  # at most 32 words, each of at most as many pairs as the query has characters
        assert len(set(phrases(expr))) <= MAX_QUERY_CHARS


def test_a_long_chinese_word_counts_once_however_many_pairs_it_has(db):
    """docs/search.md: the limit is 32 different words; a pasted sentence is one word of many pairs (the fuzz
    test once counted the pairs: 33 phrases of 30 words)."""
    sentence = "临汾市召开全市经济工作会议部署明年重点任务"  # 21 characters, 20 pairs
    words = [f"w{i}" for i in range(31)]
    expr = fts_query(" ".join([sentence, *words]))
    assert len(set(phrases(expr))) == 20 + 31
    with pytest.raises(QueryError, match="at most 32"):
        fts_query(" ".join([sentence, *words, "w31"]))


@pytest.mark.parametrize(("args", "expr"), [
    (["临汾", "-太原"], '"临汾" NOT "太原"'),
    (["-太原", "临汾", "-2024"], '"临汾" NOT ("太原" OR "2024")'),
    (["--", "临汾", "-OK"], '"临汾" NOT "OK"'),
    (["临汾 -临汾2024"], '"临汾" NOT ("临汾" AND "2024")'),
    ([" ".join(["临汾"] * 150)], '"临汾"'),
])
def test_search_arguments_become_this_expression(db, args, expr):
    seen: list[str] = []

    def recorded(q: str) -> str:
        seen.append(fts_query(q))
        return seen[-1]

    with mock.patch("linfen_crawler.storage.fts_query", recorded):
        result = CliRunner().invoke(linfen, ["search", "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    assert seen[0] == expr  # then, when there are hits, the words to find, for the title index



def test_a_minus_value_of_an_option_stays_that_options_value(db):
    result = CliRunner().invoke(linfen, ["search", "--db", str(db), "临汾", "--limit", "-5"])
    assert result.exit_code == 2 and "Invalid value for '--limit': -5" in result.output, result.output
    result = CliRunner().invoke(linfen, ["search", "--db", str(db), "--site", "-太原", "临汾", "--format", "json"])
    assert result.exit_code == 0 and result.output == "", result.output  # no site is called -太原
