"""docs/search.md and docs/analysts.md stay true: every SQL block runs on a real crawl and finds rows, the
query-rewriting table matches fts_query(), and every analyst command is documented."""

from __future__ import annotations

import re
import sqlite3

import pytest
from conftest import REPO

from linfen_crawler.commands.analyst import COMMANDS
from linfen_crawler.commands.report import report_cmd
from linfen_crawler.storage import ANALYST_QUERIES, contains_terms, fts_query, in_title, make_snippet

DOCS = {name: (REPO / "docs" / name).read_text("utf-8") for name in ("search.md", "analysts.md")}
SQL_BLOCKS = [(name, block) for name, text in DOCS.items() for block in re.findall(r"```sql\n(.*?)```", text, re.S)]


@pytest.mark.parametrize(("doc", "sql"), SQL_BLOCKS, ids=[f"{d}-{i}" for i, (d, _) in enumerate(SQL_BLOCKS)])
def test_documented_sql_runs_and_finds_rows(crawled, doc, sql):
    _, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    conn = sqlite3.connect(db)
    conn.create_function("fts_query", 1, fts_query)  # what the Datasette plugin registers
    conn.create_function("contains_terms", 3, contains_terms)
    conn.create_function("in_title", 2, in_title)
    conn.create_function("search_snippet", 2, make_snippet)
    try:
        found = conn.execute(sql).fetchall()
    finally:
        conn.close()
    assert found, f"{doc}: no rows for\n{sql}"


def test_rewriting_table_matches_fts_query():
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", DOCS["search.md"], re.M)
    assert len(rows) >= 5
    for typed, expression in rows:
        assert fts_query(typed) == expression


def test_every_analyst_command_and_canned_query_is_documented():
    for command in (*COMMANDS, report_cmd):
        assert f"linfen {command.name}" in DOCS["analysts.md"], command.name
    for name in ANALYST_QUERIES:
        assert f"**{name}**" in DOCS["analysts.md"], name
