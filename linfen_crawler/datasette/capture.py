"""`linfen serve`: an article's captured pages from the web archive, beside its record, sandboxed (issue 19).

Two routes, registered by the plugin (plugin.py):

``/-/linfen/captures?url=ARTICLE`` (``.json`` for the same as JSON)
    The article's record (title, site, time) beside its captured first page in a sandboxed ``<iframe>``, and
    the list of every capture of its pages: time, status, payload digest, and for a ``revisit`` the capture
    whose bytes it repeats. The article table's ``url`` cells and the search query's results link here.
``/-/linfen/capture?url=PAGE[&id=N]``
    One captured page (the latest capture of the page URL, or capture ``N``) as the crawl fetched it: the
    body from the archive (a revisit's from the response it refers to), decoded as the crawl decoded it
    (:func:`~linfen_crawler.extract.encoding.decode_html` with the profile's charset override) and served
    as UTF-8.

Why the sandbox: a captured page is someone else's HTML, served from the analyst's own Datasette origin.
Its scripts would run with access to that origin (the SQL API, the dataset), and its images, styles and
scripts would fetch from the news site, telling it who reads the page and when, or fail offline. So every
page is served with ``Content-Security-Policy: sandbox; default-src 'none'; img-src data:; ...``: the
``sandbox`` directive gives the page an opaque origin and no scripts, forms, pop-ups or top navigation;
``default-src 'none'`` stops every fetch (images but inline ``data:`` ones, styles, fonts, frames,
``fetch``); only inline styles stay, so the text keeps some of its layout. ``X-Content-Type-Options:
nosniff`` keeps the browser from reading the bytes as anything but the type served. Without the site's
stylesheets and images the page shows its text, which is what the record was extracted from.

With several databases served, ``db=NAME`` picks one; by default the one database with a ``captures``
table. Errors answer with one line of plain text: 400 for a missing argument, 404 for an unknown URL or
capture, 500 for an archive record that cannot be read (``linfen archive verify`` says more).
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from linfen_crawler.archive import archive_dir
from linfen_crawler.archive.warc import ArchiveError, Pointer, read_record
from linfen_crawler.extract.encoding import decode_html
from linfen_crawler.storage import Dataset

CAPTURES_PATH = "/-/linfen/captures"
CAPTURE_PATH = "/-/linfen/capture"

# What a captured page may do: nothing but show its text, inline images and inline styles (module docstring).
PAGE_CSP = ("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; "
            "base-uri 'none'; frame-ancestors 'self'")
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN",  # shown in the captures page's <iframe>, never in another site's
}
# The captures page itself is ours: no scripts, no requests beyond this server either.
LIST_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src 'self'"


class _Failure(Exception):
    """An answer of one line: ``status`` and the text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _one_line(status: int, message: str) -> Any:
    from datasette.utils.asgi import Response

    return Response.text(message + "\n", status=status, headers={"X-Content-Type-Options": "nosniff"})


def capture_link(url: str, database: str | None = None) -> str:
    """The captures page of the article ``url`` (what the ``url`` cells link to)."""
    return CAPTURES_PATH + "?" + urlencode({"url": url, **({"db": database} if database else {})})


def page_link(url: str, capture_id: int | None = None, database: str | None = None) -> str:
    """The captured page ``url`` (its latest capture, or capture ``capture_id``)."""
    args: dict[str, Any] = {"url": url}
    if capture_id is not None:
        args["id"] = capture_id
    if database:
        args["db"] = database
    return CAPTURE_PATH + "?" + urlencode(args)


async def _database(datasette: Any, request: Any) -> tuple[str, Any]:
    """(name, Database) named by ``db=`` or the one served database with a ``captures`` table."""
    name = request.args.get("db")
    if name:
        if name not in datasette.databases:
            raise _Failure(404, f"no database named {name}")
        db = datasette.databases[name]
        if not await db.table_exists("captures"):
            raise _Failure(404, f"database {name} has no captures (crawled with --no-raw, or before issue 19)")
        return name, db
    found = [(n, d) for n, d in datasette.databases.items()
             if not n.startswith("_") and getattr(d, "path", None) and await d.table_exists("captures")]
    if not found:
        raise _Failure(404, "no served database has captures (crawled with --no-raw, or before issue 19)")
    if len(found) > 1:
        raise _Failure(400, "several databases have captures: say which with db=NAME")
    return found[0]


async def _captures(db: Any, url: str) -> list[dict[str, Any]]:
    return list(await db.execute_fn(lambda conn: Dataset.article_captures(conn, url)))


def _url_arg(request: Any) -> str:
    url = (request.args.get("url") or "").strip()
    if not url:
        raise _Failure(400, "url= is missing: the URL of an article or page")
    return url


@lru_cache(maxsize=64)
def _charset_override(site: str) -> str | None:
    """The profile's ``encoding`` (the crawl decoded with it), None without one or without the profile."""
    from linfen_crawler.profiles import load_profile

    try:
        return load_profile(site).encoding or None
    except Exception:  # a site whose profile is not installed here: decode as the bytes declare
        return None


def _render_page(body: bytes, headers: list[tuple[str, str]], site: str) -> tuple[str, str]:
    """(text, content type to serve) of a captured body."""
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    text, _ = decode_html(body, content_type or None, _charset_override(site))
    mime = content_type.split(";", 1)[0].strip().lower()
    served = "text/html" if mime in ("", "text/html", "application/xhtml+xml") else "text/plain"
    return text, f"{served}; charset=utf-8"


async def capture_page(datasette: Any, request: Any) -> Any:
    """``/-/linfen/capture?url=PAGE[&id=N][&db=NAME]``: one captured page, sandboxed."""
    from datasette.utils.asgi import Response

    try:
        name, db = await _database(datasette, request)
        url = _url_arg(request)
        rows = [r for r in await _captures(db, url) if r["url"] == url]
        wanted = request.args.get("id")
        if wanted is not None:
            rows = [r for r in rows if str(r["id"]) == wanted.strip()]
        if not rows:
            raise _Failure(404, f"no capture of {url}" + (f" with id {wanted}" if wanted is not None else "")
                           + f" in {name}")
        row = rows[-1]
        if not row["payload_file"]:
            raise _Failure(500, f"capture {row['id']}: the capture it repeats ({row['payload_id']}) is missing")
        pointer = Pointer(row["payload_file"], row["payload_offset"], row["payload_length"])
        try:
            record = read_record(archive_dir(db.path), pointer)
        except ArchiveError as exc:
            raise _Failure(500, f"capture {row['id']} ({url}): {exc}") from None
    except _Failure as failure:
        return _one_line(failure.status, str(failure))
    text, content_type = _render_page(record.body, record.headers, row["site"])
    return Response(text, status=200, content_type=content_type, headers=dict(PAGE_HEADERS))


def _capture_json(row: dict[str, Any], database: str) -> dict[str, Any]:
    return {"id": row["id"], "url": row["url"], "page": row["page"], "fetched_at": row["fetched_at"],
            "status": row["status"], "record": row["record"], "digest": row["digest"], "size": row["size"],
            "revisit_of": row["payload_id"] if row["record"] == "revisit" else None,
            "final_url": row["final_url"], "page_url": page_link(row["url"], row["id"], database)}


async def captures_page(datasette: Any, request: Any, format: str = "") -> Any:
    """``/-/linfen/captures[.json]?url=ARTICLE[&db=NAME]``: the record beside its captured page, and the
    list of captures."""
    from datasette.utils.asgi import Response

    try:
        name, db = await _database(datasette, request)
        url = _url_arg(request)
        rows = await _captures(db, url)
        if not rows:
            raise _Failure(404, f"no capture of {url} in {name}")
    except _Failure as failure:
        return _one_line(failure.status, str(failure))
    captures = [_capture_json(r, name) for r in rows]
    if format == "json":
        return Response.json({"database": name, "url": url, "captures": captures})
    record = (await db.execute("SELECT title, site_name, published_at FROM articles WHERE url = ?",
                               [url])).first() if await db.table_exists("articles") else None
    first = rows[0]["url"]
    latest = next(c for c in reversed(captures) if c["url"] == first)
    row_link = datasette.urls.row(name, "articles", _tilde(url)) if record else ""
    e = html.escape
    items = "".join(
        f"<tr><td>{c['id']}</td><td>{c['page']}</td><td>{e(c['fetched_at'])}</td><td>{c['status']}</td>"
        f"<td>{e(c['record'])}" + (f" → <a href=\"#capture-{c['revisit_of']}\">{c['revisit_of']}</a>"
                                   if c["revisit_of"] else "")
        + f"</td><td><code>{e(c['digest'])}</code></td>"
        f"<td id=\"capture-{c['id']}\"><a href=\"{e(c['page_url'])}\">{e(c['url'])}</a></td></tr>"
        for c in captures)
    title = e(record["title"]) if record and record["title"] else e(url)
    meta = (f"<p>{e(record['site_name'] or '')} · {e(record['published_at'] or '')} · "
            f"<a href=\"{e(row_link)}\">record</a></p>") if record else "<p>no record in the articles table</p>"
    body = f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>captured: {title}</title>
<style>body{{font-family:sans-serif;margin:1em}}.cols{{display:flex;gap:1em;align-items:flex-start}}
.cols>div{{flex:1;min-width:0}}iframe{{width:100%;height:80vh;border:1px solid #999}}
td{{padding:.2em .5em;vertical-align:top}}code{{font-size:85%}}</style></head>
<body class="linfen-captures"><h1>{title}</h1>{meta}
<div class="cols"><div><h2>Captures 抓取存档</h2>
<p>Each fetch of the article's pages kept in the web archive; a revisit repeats the bytes of the capture
it points to. Pages are shown sandboxed: no scripts run, nothing is fetched from the site.</p>
<table><thead><tr><th>id</th><th>page</th><th>fetched (UTC)</th><th>status</th><th>record</th><th>digest</th>
<th>page</th></tr></thead><tbody>{items}</tbody></table></div>
<div><h2>Captured page 存档页面 <a href="{e(latest['page_url'])}">(open)</a></h2>
<iframe sandbox="" referrerpolicy="no-referrer" src="{e(latest['page_url'])}"
 title="captured page"></iframe></div></div></body></html>
"""
    return Response.html(body, headers={"Content-Security-Policy": LIST_CSP, "X-Content-Type-Options": "nosniff"})


def _tilde(value: str) -> str:
    from datasette.utils import tilde_encode

    return str(tilde_encode(value))


def captured_page_cell(value: Any, column: str, table: str | None, database: str) -> Any:
    """``render_cell`` for an article's ``url`` (articles table and row pages, query results such as the
    ``search`` query): the URL as Datasette links it, and a "captured page" link to the captures page."""
    from markupsafe import Markup

    if column != "url" or table not in (None, "articles") or not isinstance(value, str) \
            or not value.startswith(("http://", "https://")):
        return None
    e = html.escape
    return Markup(f'<a href="{e(value)}">{e(value)}</a> '
                  f'<a class="linfen-capture" href="{e(capture_link(value, database))}">captured page 存档</a>')


def routes() -> list[tuple[str, Any]]:
    async def captures(datasette: Any, request: Any) -> Any:
        return await captures_page(datasette, request, request.url_vars.get("format") or "")

    return [(r"^/-/linfen/captures(\.(?P<format>json))?$", captures), (r"^/-/linfen/capture$", capture_page)]

