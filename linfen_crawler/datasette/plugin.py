"""Datasette plugin: Chinese full-text search in the table search box and in SQL.

Registered by ``linfen serve``, and for plain ``datasette`` through the ``datasette`` entry point in
pyproject.toml. On connections to a linfen dataset (one with ``articles_fts`` and ``articles``) it

- replaces Datasette's ``escape_fts()`` — which the table page's search box (``?_search=``) wraps around
  the user's words — with :func:`linfen_crawler.storage.fts_query` for queries containing Chinese, so
  typing 临汾 finds 临汾 (the index stores CJK characters spaced; see storage.py);
- adds the SQL functions ``fts_query(text)`` and ``unspace_cjk(text)`` for canned and hand-written queries:
  ``... WHERE articles_fts MATCH fts_query(:q)`` and ``unspace_cjk(snippet(articles_fts, 1, …))``.

Other databases served by the same Datasette keep Datasette's own behaviour.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl
from datasette.utils import escape_fts as datasette_escape_fts

from linfen_crawler.storage import fts_query, is_dataset, unspace_cjk


def escape_fts(query: str) -> str:
    """Datasette's escape_fts for a linfen dataset: Chinese runs become phrases of spaced characters."""
    expr = fts_query(query)
    return expr if expr else datasette_escape_fts(query)


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, so this escape_fts is the one in force
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    conn.create_function("fts_query", 1, lambda q: fts_query(q or ""), deterministic=True)
    conn.create_function("unspace_cjk", 1, lambda t: unspace_cjk(t) if t is not None else None,
                         deterministic=True)
    if is_dataset(conn):
        conn.create_function("escape_fts", 1, escape_fts, deterministic=True)
