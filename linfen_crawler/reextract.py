"""Rebuild article records from the archived pages with the current extractor (``linfen reextract``).

:func:`reextract` rebuilds ``articles`` rows from the latest capture of each page in the dataset's web archive
(``captures`` pointers into ``<db>.archive/``, :mod:`linfen_crawler.raw`): the same extraction and
normalisation a crawl runs, on the bytes the crawl fetched, so an unchanged extractor gives unchanged records.
A changed record is updated (the old one kept in ``article_versions``). No network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from linfen_crawler import settings as defaults
from linfen_crawler.archive import archive_dir
from linfen_crawler.extract.article import extract_article
from linfen_crawler.extract.learn import LazySite, SiteState
from linfen_crawler.profiles import load_profile
from linfen_crawler.raw import capture_page
from linfen_crawler.records import follow_pages, make_article, normalize_article, reject_reason
from linfen_crawler.storage import Dataset


@dataclass
class ReextractResult:
    articles: int = 0  # articles rebuilt from archived pages
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0  # pages the current extractor does not take for an article (rows left as they are)
    missing_pages: int = 0  # multi-page articles with a later page not kept

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def learned_site(dataset: Dataset, site: str) -> LazySite | None:
    """What site learning kept for ``site`` (issue 13), as the spider uses it; None when nothing usable was
    kept (a state in another format or damaged is left, as a crawl leaves it)."""
    kept = dataset.load_site_state(site)
    if kept is None:
        return None
    version, text = kept
    try:
        state = SiteState.from_dict({**json.loads(text), "version": version})
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return LazySite(state) if state.templates else None


def rebuild(article_url: str, pages: dict[str, dict[str, Any]], profile: Any, section: str | None,
            archive: Path, max_pages: int = defaults.LINFEN_MAX_ARTICLE_PAGES,
            site: LazySite | None = None) -> tuple[Any, bool]:
    """The normalised Article for an archived article (first page, then its 下一页 chain as the spider
    follows it); the flag is False when a later page it links to was not kept. ``site`` is the site's
    learned state, applied to every page as a crawl starting from it applies it."""
    def extract(row: dict[str, Any]) -> dict[str, Any]:
        body, headers = capture_page(archive, row)
        now = datetime.fromisoformat(row["fetched_at"])
        return extract_article(body, row["final_url"] or row["url"], profile=profile,
                               headers={"Content-Type": headers.get("Content-Type", "")}, now=now, site=site)

    def kept(url: str) -> dict[str, Any] | None:
        row = pages.get(url)
        return extract(row) if row is not None and row["status"] == 200 else None

    first = pages.get(article_url) or next(iter(pages.values()))
    record, complete = follow_pages(extract(first), kept, max_pages)
    article = make_article(record, url=article_url, profile=profile, section=section)
    return normalize_article(article, crawled_at=first["fetched_at"]), complete


def reextract(dataset: Dataset, *, site: str | None = None, min_body_chars: int = defaults.LINFEN_MIN_BODY_CHARS,
              batch_size: int = defaults.LINFEN_STORE_BATCH_SIZE) -> Iterator[tuple[str, ReextractResult]]:
    """Rebuild the records of every article with archived pages (of ``site``); yields (site, counts) per site.

    Each site's rewrite is recorded as a ``crawl_runs`` row whose stats say ``linfen/mode: reextract``.
    """
    current: str | None = None
    result = ReextractResult()
    run_id = 0
    batch: list[dict[str, Any]] = []
    profile: Any = None
    learned: LazySite | None = None
    archive = archive_dir(dataset.path)

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

    for article_url, pages in dataset.capture_articles(site):
        first = pages.get(article_url)
        if first is None or first["status"] != 200:
            continue
        if first["site"] != current:
            if current is not None:
                yield close_site()
            current, result = first["site"], ReextractResult()
            profile = load_profile(str(current))
            learned = learned_site(dataset, str(current))
            run_id = dataset.start_run(str(current))
        meta = dataset.article_meta(article_url)
        article, complete = rebuild(article_url, pages, profile, meta["section"] if meta else None, archive,
                                    site=learned)
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
