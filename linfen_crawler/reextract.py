"""Rebuild article records from the kept raw pages with the current extractor (``linfen reextract``).

:func:`reextract` rebuilds ``articles`` rows from ``raw_pages`` (:mod:`linfen_crawler.raw`): a changed record
is updated (the old one kept in ``article_versions``). No network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from linfen_crawler import settings as defaults
from linfen_crawler.extract.article import extract_article
from linfen_crawler.profiles import load_profile
from linfen_crawler.raw import raw_body
from linfen_crawler.records import follow_pages, make_article, normalize_article, reject_reason
from linfen_crawler.storage import Dataset


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
            max_pages: int = defaults.LINFEN_MAX_ARTICLE_PAGES) -> tuple[Any, bool]:
    """The normalised Article for a kept article (first page, then its 下一页 chain as the spider follows it);
    the flag is False when a later page it links to was not kept."""
    def extract(row: dict[str, Any]) -> dict[str, Any]:
        headers = json.loads(row["headers"] or "{}")
        now = datetime.fromisoformat(row["fetched_at"])
        return extract_article(raw_body(row), row["final_url"] or row["url"], profile=profile,
                               headers={"Content-Type": headers.get("Content-Type", "")}, now=now)

    def kept(url: str) -> dict[str, Any] | None:
        row = pages.get(url)
        return extract(row) if row is not None and row["status"] == 200 else None

    first = pages.get(article_url) or next(iter(pages.values()))
    record, complete = follow_pages(extract(first), kept, max_pages)
    article = make_article(record, url=article_url, profile=profile, section=section)
    return normalize_article(article, crawled_at=first["fetched_at"]), complete


def reextract(dataset: Dataset, *, site: str | None = None, min_body_chars: int = defaults.LINFEN_MIN_BODY_CHARS,
              batch_size: int = defaults.LINFEN_STORE_BATCH_SIZE) -> Iterator[tuple[str, ReextractResult]]:
    """Rebuild the records of every article with kept pages (of ``site``); yields (site, counts) per site.

    Each site's rewrite is recorded as a ``crawl_runs`` row whose stats say ``linfen/mode: reextract``.
    """
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
