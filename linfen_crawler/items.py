"""Items: one stored article, or one recorded reject (itemadapter-compatible dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar


@dataclass
class Article:
    """One article as it goes to the ``articles`` table (lists still lists; Store serialises them)."""

    url: str
    site: str
    site_name: str | None = None
    section: str | None = None
    title: str | None = None
    published_at: str | None = None
    published_text: str | None = None
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    body: str | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    content_hash: str | None = None
    crawled_at: str | None = None
    extractor: dict[str, str] = field(default_factory=dict)
    # issue 17: an e-paper article's edition and page (版面), 引题/副题 and place on the page image; None for portals
    edition_date: str | None = None
    page_no: str | None = None
    page_name: str | None = None
    kicker: str | None = None
    subtitle: str | None = None
    position: dict[str, Any] | None = None
    # not stored as columns: why extraction thinks this is no article (Validate turns it into a reject)
    not_article: str | None = None
    # distributed mode (issue 7): the Redis run this item belongs to; set by the worker, never stored
    run: int | None = None


@dataclass
class Reject:
    """A fetched page that gives no article, with the reason; Store writes it to ``rejects``."""

    url: str
    reason: str
    detail: str | None = None
    # distributed mode (issue 7): the Redis run this item belongs to; set by the worker, never stored
    run: int | None = None


@dataclass
class Removed:
    """A known article that a recheck found gone (404/410); Store sets its ``removed_at`` (issue 4)."""

    url: str
    reason: str
    # distributed mode (issue 7): the Redis run this item belongs to; set by the worker, never stored
    run: int | None = None


RunItem = TypeVar("RunItem", Article, Reject, Removed)
RUN_META = "linfen_run"  # distributed mode (issue 7): the request meta key of the run a request belongs to


def with_run_of(item: RunItem, request: Any) -> RunItem:
    """``item`` with the distributed run of ``request`` (its ``run`` field) when it has one: an errback's item
    (a failed download) does not pass through the spider middleware that files the others."""
    run = request.meta.get(RUN_META) if request is not None else None
    if run:
        item.run = int(run)
    return item
