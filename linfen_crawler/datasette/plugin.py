"""Datasette plugin: Chinese full-text search in the table search box and in SQL.

Registered by ``linfen serve``, and for plain ``datasette`` through the ``datasette`` entry point in
pyproject.toml. On connections to a linfen dataset (one with ``articles_fts`` and ``articles``) it

- replaces Datasette's ``escape_fts()`` — which the table page's search box (``?_search=``) wraps around
  the user's words — with :func:`linfen_crawler.storage.fts_query` for queries containing Chinese, so
  typing 临汾 finds 临汾 (the index stores pairs of CJK characters; see storage.py);
- adds SQL functions for canned and hand-written queries: ``fts_query(text)`` (``... WHERE articles_fts
  MATCH fts_query(:q)``); ``contains_terms(title, body, q)``, true when the text really contains the query's
  Chinese words (the index also finds the pairs of a longer word apart: this makes a search exact);
  ``in_title(title, q)``, true when the title holds every word (such hits come first); and
  ``search_snippet(body, q)``, the body around the first hit with the hits marked 【】. The index is
  contentless (issue 16), so FTS5's own ``snippet()`` has no text to cut from and returns NULL;
- serves an article's captured pages from the web archive, sandboxed, and links every article ``url`` cell
  to them (:mod:`linfen_crawler.datasette.capture`, issue 19).

Other databases served by the same Datasette keep Datasette's own behaviour.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_fts as datasette_escape_fts
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from linfen_crawler.datasette import capture
from linfen_crawler.storage import contains_terms, fts_query, in_title, is_dataset, make_snippet


def escape_fts(query: str) -> str:
    """Datasette's escape_fts for a linfen dataset: Chinese runs become the index's pairs (storage.fts_query)."""
    expr = fts_query(query)
    return expr if expr else datasette_escape_fts(query)


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, so this escape_fts is the one in force
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    conn.create_function("fts_query", 1, lambda q: fts_query(q or ""), deterministic=True)
    conn.create_function("contains_terms", 3, lambda t, b, q: contains_terms(t, b, q or ""), deterministic=True)
    conn.create_function("in_title", 2, lambda t, q: in_title(t, q or ""), deterministic=True)
    conn.create_function("search_snippet", 2, lambda b, q: make_snippet(b, q or ""), deterministic=True)
    if is_dataset(conn):
        conn.create_function("escape_fts", 1, escape_fts, deterministic=True)


# -- pages: issue 14 item 10 ---------------------------------------------------------------------------------
# Long cells (body, images) are cut by Datasette's truncate_cells_html setting (see SETTINGS in metadata.py) in
# table views; the row page shows them whole, so there the body gets a reading width and the title keeps its own.
CSS = """
details.column-descriptions-box{margin:.5em 0 1em}
details.column-descriptions-box>summary{cursor:pointer;color:#555}
.rows-and-columns td.col-title{min-width:12em}
.rows-and-columns td.col-body{min-width:24em;white-space:normal}
.rows-and-columns td.col-extractor,.rows-and-columns td.col-images{min-width:20em}
body.row .rows-and-columns td.col-body{min-width:36em;white-space:pre-wrap}
"""
CSS_PATH = "/-/linfen.css"

# The table page lists every column description above the search box and facets: fold them into a <details>.
FOLD_DESCRIPTIONS_JS = """
(function () {
  var dl = document.querySelector("dl.column-descriptions");
  if (!dl) { return; }
  var box = document.createElement("details");
  box.className = "column-descriptions-box";
  var summary = document.createElement("summary");
  summary.textContent = "列说明 Column descriptions (" + dl.querySelectorAll("dt").length + ")";
  dl.parentNode.insertBefore(box, dl);
  box.appendChild(summary);
  box.appendChild(dl);
})();
"""

# The database page's SQL box opens on its first table by name (article_versions, usually empty): open it on
# the articles instead. Runs before CodeMirror takes the textarea over (window.onload).
SQL_BOX_SQL = "select url, site_name, section, title, published_at from articles order by published_at desc limit 20"


@hookimpl
def extra_css_urls() -> list[str]:
    return [CSS_PATH]


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    from datasette.utils.asgi import Response

    async def css() -> Any:
        return Response(CSS, content_type="text/css; charset=utf-8")

    return [(r"^/-/linfen\.css$", css), *capture.routes()]


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    # issue 19: an article's url links to its captured pages (linfen_crawler/datasette/capture.py), in a
    # dataset that has an archive (not one crawled with --no-raw, where the link would find nothing)
    cell = capture.captured_page_cell(value, column, table, database)
    if cell is None:
        return None

    async def linked() -> Any:
        key = (id(datasette), database)
        if key not in _HAS_CAPTURES:  # asked again while it has none: a crawl may add some meanwhile
            db = datasette.get_database(database)
            if await db.table_exists("captures") and \
                    (await db.execute("SELECT EXISTS (SELECT 1 FROM captures)")).first()[0]:
                _HAS_CAPTURES.add(key)
        return cell if key in _HAS_CAPTURES else None

    return linked


_HAS_CAPTURES: set[tuple[int, str]] = set()  # (Datasette, database) known to have captured pages


@hookimpl
def extra_body_script(view_name: str, database: str | None, datasette: Any) -> str:
    if view_name == "table":
        return FOLD_DESCRIPTIONS_JS
    if view_name == "database" and database and "articles" in _table_names(datasette, database):
        sql = json.dumps(SQL_BOX_SQL)
        return ('(function () { var t = document.querySelector("textarea#sql-editor"); '
                f'if (t) {{ t.value = {sql}; }} }})();')
    return ""


def _table_names(datasette: Any, database: str) -> set[str]:
    tables = datasette.metadata("tables", database=database) or {}
    return set(tables)


class MonthFacet(Facet):
    """Facet ``{"month": "day"}``: counts per YYYY-MM of a date column, newest month first.

    A dataset spanning a month has 30 day values of a few articles each; months say more. A value links to
    ``?day__startswith=YYYY-MM``.
    """

    type = "month"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        qs_pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            sql = (f"select substr({escape_sqlite(column)}, 1, 7) as value, count(*) as count "
                   f"from ({self.sql}) where {escape_sqlite(column)} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]*' "
                   f"group by value order by value desc limit {size + 1}")
            try:
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                             custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            arg = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = (arg, row["value"]) in qs_pairs
                path = (path_with_removed_args(self.request, {arg: row["value"]}) if selected
                        else path_with_added_args(self.request, {arg: row["value"]}))
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                               "selected": selected})
            results.append({"name": "month", "type": self.type, "hideable": source_and_config["source"] != "metadata",
                            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request,
                                                                                   {"_facet_month": column})),
                            "results": values, "truncated": len(rows.rows) > size})
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type]:
    return [MonthFacet]
