"""Raw article pages: keep what was fetched, so records can be rebuilt without the network.

The raw-pages extension (:mod:`linfen_crawler.extensions.raw_pages`) keeps every fetched article page
(first pages, later pages of multi-page articles, rechecks) in the dataset's ``raw_pages`` table:
zlib-compressed bytes, HTTP status, final URL, headers and the detected charset, the latest fetch per page
URL. ``LINFEN_RAW_PAGES = False`` (``linfen crawl --no-raw``) turns it off. The rows are made here
(:func:`pending_row`); charset detection, compression (zlib level 1) and the inserts (:func:`write_raw_pages`)
run in the crawl's dataset writer (``writer.py``), off the reactor thread.

:func:`reextract` rebuilds ``articles`` rows from those pages with the current extractor
(``linfen reextract``): a changed record is updated (the old one kept in ``article_versions``).
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scrapy import Request
from scrapy.http import Response

from linfen_crawler.extract.encoding import detect_charset
from linfen_crawler.normalize import canonicalize_url, utcnow
from linfen_crawler.storage import Dataset

logger = logging.getLogger(__name__)

KEPT_HEADERS = ("Content-Type", "Content-Encoding", "Last-Modified", "ETag", "Date", "Server", "Location")
ZLIB_LEVEL = 1  # level 6 took about 2.4x as long on the synthetic portal's pages for a 2 % smaller blob
PENDING_BYTES = 4 << 20  # uncompressed page bytes buffered before a batch is handed to the writer
RAW_KINDS = ("article", "article_page", "recheck")  # request kinds whose pages are kept in raw_pages


def pending_row(request: Request, response: Response, site: str, run_id: int | None,
                fetched_at: str | None = None) -> dict[str, Any] | None:
    """The ``raw_pages`` row for an article page's response without its costly parts (charset and
    compression, done by :func:`finish_row` in the dataset writer), or None for other requests (pure)."""
    kind = request.meta.get("kind")
    if kind not in RAW_KINDS:
        return None
    url = canonicalize_url(request.url)
    if kind == "article_page":
        article_url, page = request.meta["first_url"], int(request.meta.get("pages", 1)) + 1
    else:
        article_url, page = canonicalize_url(response.url), 1
    headers = {}
    for name in KEPT_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            headers[name] = value.decode("latin-1")
    return {"url": url, "article_url": article_url, "page": page, "site": site, "run_id": run_id,
            "fetched_at": fetched_at or utcnow(), "status": response.status, "final_url": response.url,
            "headers": json.dumps(headers, ensure_ascii=False), "charset": None, "compression": "zlib",
            "size": len(response.body), "body": response.body}


def finish_row(row: dict[str, Any]) -> dict[str, Any]:
    """Fill in a pending row's charset (the one ``decode_html`` picks) and compress its body (in place)."""
    body = row["body"]
    if body and row["status"] == 200:
        row["charset"] = detect_charset(body, json.loads(row["headers"]).get("Content-Type"))
    row["body"] = zlib.compress(body, ZLIB_LEVEL)
    return row


def write_raw_pages(dataset: Dataset, rows: list[dict[str, Any]]) -> int:
    """Finish and insert a batch of pending rows (in the dataset writer, off the reactor)."""
    return dataset.add_raw_pages([finish_row(row) for row in rows])


def raw_body(row: dict[str, Any]) -> bytes:
    """The page bytes of a ``raw_pages`` row."""
    if row.get("compression") == "zlib":
        return zlib.decompress(row["body"])
    return bytes(row["body"] or b"")


# -- re-extraction --------------------------------------------------------------------------------------
@dataclass
class ReextractResult:
    articles: int = 0  # articles rebuilt from raw pages
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0  # pages the current extractor does not take for an article (rows left as they are)
    missing_pages: int = 0  # multi-page articles with a later page not kept

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def rebuild(article_url: str, pages: dict[str, dict[str, Any]], profile: Any, section: str | None,
            max_pages: int = 30) -> tuple[Any, bool]:
    """The normalised Article for a kept article (first page, then its 下一页 chain as the spider follows it);
    the flag is False when a later page it links to was not kept."""
    from linfen_crawler.extract.article import extract_article
    from linfen_crawler.records import make_article, merge_pages, normalize_article

    def extract(row: dict[str, Any]) -> dict[str, Any]:
        headers = json.loads(row["headers"] or "{}")
        now = datetime.fromisoformat(row["fetched_at"])
        return extract_article(raw_body(row), row["final_url"] or row["url"], profile=profile,
                               headers={"Content-Type": headers.get("Content-Type", "")}, now=now)

    first = pages.get(article_url) or next(iter(pages.values()))
    record = extract(first)
    complete = True
    count = 1
    while record.get("next_page") and count < max_pages and not record.get("not_article"):
        nxt = pages.get(canonicalize_url(record["next_page"]))
        if nxt is None or nxt["status"] != 200:
            complete = False
            break
        record = merge_pages(record, extract(nxt))
        count += 1
    article = make_article(record, url=article_url, profile=profile, section=section)
    return normalize_article(article, crawled_at=first["fetched_at"]), complete


def reextract(dataset: Dataset, *, site: str | None = None, min_body_chars: int = 20,
              batch_size: int = 200) -> Iterator[tuple[str, ReextractResult]]:
    """Rebuild the records of every article with kept pages (of ``site``); yields (site, counts) per site.

    Each site's rewrite is recorded as a ``crawl_runs`` row whose stats say ``linfen/mode: reextract``.
    """
    from linfen_crawler.profiles import load_profile
    from linfen_crawler.records import reject_reason

    current: str | None = None
    result = ReextractResult()
    run_id = 0
    batch: list[dict[str, Any]] = []
    profile: Any = None

    def flush() -> None:
        nonlocal batch
        if batch:
            res = dataset.upsert_articles(batch, run_id, compare_fields=True)
            result.new += res.new
            result.updated += res.updated
            result.unchanged += res.unchanged
            batch = []

    def close_site() -> tuple[str, ReextractResult]:
        flush()
        dataset.finish_run(run_id, "finished", {"articles_new": result.new, "articles_updated": result.updated},
                           {"linfen/mode": "reextract", **{f"linfen/reextract/{k}": v
                                                           for k, v in result.as_dict().items()}})
        return str(current), result

    for article_url, pages in dataset.raw_articles(site):
        first = pages.get(article_url)
        if first is None or first["status"] != 200:
            continue
        if first["site"] != current:
            if current is not None:
                yield close_site()
            current, result = first["site"], ReextractResult()
            profile = load_profile(str(current))
            run_id = dataset.start_run(str(current))
        meta = dataset.article_meta(article_url)
        article, complete = rebuild(article_url, pages, profile, meta["section"] if meta else None)
        result.missing_pages += not complete
        if reject_reason(article, min_body_chars):
            result.rejected += 1
            continue
        result.articles += 1
        batch.append({k: v for k, v in article.__dict__.items() if k != "not_article"})
        if len(batch) >= batch_size:
            flush()
    if current is not None:
        yield close_site()
