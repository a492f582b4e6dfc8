"""From extracted pages to an article record: pure functions shared by the spider, the pipelines, `linfen check`,
`linfen reextract` and the distributed writer.

A page's extraction gives a record (typed :class:`~linfen_crawler.extract.article.ExtractedPage`; a plain
dict here, since merging pages extends it). A multi-page article is followed page by page
(:func:`next_page_url`, :func:`follow_pages`) and its records merged (:func:`merge_pages`), made into an
:class:`~linfen_crawler.items.Article` (:func:`make_article`, or :func:`incomplete_article` when a later page
failed), cleaned (:func:`normalize_article`) and judged (:func:`reject_reason`). A closing run's status comes
from its stats (:func:`run_status`). Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from linfen_crawler.diskfull import FAILURE_KEY  # a failed run's cause, "<kind>: <detail>" (docs/reliability.md)
from linfen_crawler.extract.byline import finalize_people
from linfen_crawler.items import Article
from linfen_crawler.normalize import canonicalize_url, clean_lines, clean_text, content_hash, utcnow
from linfen_crawler.profiles import Profile


def next_page_url(record: dict[str, Any], pages: int, max_pages: int) -> str | None:
    """The canonical URL of the page to fetch after the ``pages`` pages merged into ``record``, or None when the
    article is complete: it links no next page, it is no article, or ``max_pages`` pages were followed
    (``LINFEN_MAX_ARTICLE_PAGES``)."""
    nxt = record.get("next_page")
    if nxt and pages < max_pages and not record.get("not_article"):
        return canonicalize_url(nxt)
    return None


def follow_pages(record: dict[str, Any], page: Callable[[str], dict[str, Any] | None],
                 max_pages: int) -> tuple[dict[str, Any], bool]:
    """Follow a multi-page article from its first page's ``record``, as the spider does, where ``page(url)``
    gives a later page's record at once (``linfen reextract``: from the kept pages). The merged record, and
    False when a page it links to is not there (``page`` gives None)."""
    pages = 1
    while (url := next_page_url(record, pages, max_pages)) is not None:
        more = page(url)
        if more is None:
            return record, False
        record = merge_pages(record, more)
        pages += 1
    return record, True


def merge_pages(first: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Append a later page of a multi-page article to the record of its earlier pages."""
    merged = dict(first)
    bodies = [b for b in (first.get("body"), more.get("body")) if b]
    merged["body"] = "\n".join(bodies) or None
    merged["images"] = [*first.get("images", []), *more.get("images", [])]
    for key in ("authors", "editors"):
        merged[key] = list(dict.fromkeys([*first.get(key, []), *more.get(key, [])]))
    for key in ("source", "published_at", "published_text", "title"):
        merged[key] = first.get(key) or more.get(key)
    merged["next_page"] = more.get("next_page")
    return merged


def make_article(record: dict[str, Any], *, url: str, profile: Profile, section: str | None) -> Article:
    """The item for an extracted (and merged) record."""
    return Article(
        url=url, site=profile.key, site_name=profile.name, section=section or record.get("section"),
        title=record.get("title"), published_at=record.get("published_at"),
        published_text=record.get("published_text"), source=record.get("source"),
        authors=list(record.get("authors", [])), editors=list(record.get("editors", [])),
        body=record.get("body"), images=list(record.get("images", [])),
        extractor=dict(record.get("extractor", {})), not_article=record.get("not_article"),
    )


def incomplete_article(record: dict[str, Any], *, url: str, profile: Profile, section: str | None,
                       failed_url: str, reason: str) -> Article:
    """The item for a multi-page article whose page ``failed_url`` could not be had (``reason``): what the
    earlier pages gave, marked ``extractor["incomplete"]``."""
    record = {**record, "extractor": {**record.get("extractor", {}), "incomplete": f"{failed_url} {reason}"}}
    return make_article(record, url=url, profile=profile, section=section)


def normalize_article(item: Article, *, crawled_at: str | None = None) -> Article:
    """Clean every text field, dedupe people, compute the content hash (pure)."""
    title = clean_text(item.title) if item.title else None
    body = "\n".join(clean_lines(item.body)) if item.body else None
    source = clean_text(item.source) if item.source else None
    authors, editors = finalize_people(list(item.authors), list(item.editors))
    return replace(
        item, title=title or None, body=body or None, source=source or None, authors=authors,
        editors=editors, section=clean_text(item.section) if item.section else None,
        content_hash=content_hash(title, body), crawled_at=item.crawled_at or crawled_at or utcnow(),
    )


_SENTENCE_END = re.compile(r"[。！？!?；;…]|\.(\s|$)")
PROSE_MIN_CHARS = 200


def reject_reason(item: Article, min_body_chars: int) -> str | None:
    """Why ``item`` is not a storable article (a reason code), or None when it is.

    ``no_body``: less than ``min_body_chars`` of body text and no image. ``not_prose``: a short body
    without a single sentence-ending mark and no image — the menu, vote form or link list a generic
    extractor finds on an index page, not an article.
    """
    if item.not_article:
        return item.not_article
    if not item.title:
        return "no_title"
    body = item.body or ""
    if item.images:
        return None
    if len(body) < min_body_chars:
        return "no_body"
    if len(body) < PROSE_MIN_CHARS and not _SENTENCE_END.search(body):
        return "not_prose"
    return None


NETWORK_KINDS = ("dns", "refused", "timeout", "tls", "proxy", "network")


def _count(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int)}


# the exception names the spider records for failed downloads (linfen/errors/<page kind>/<name>), by kind
_ERROR_KINDS = {"CannotResolveHostError": "dns", "DNSLookupError": "dns", "DownloadConnectionRefusedError": "refused",
                "ConnectionRefusedError": "refused", "DownloadTimeoutError": "timeout", "TimeoutError": "timeout",
                "TCPTimedOutError": "timeout", "DownloadFailedError": "network", "ResponseDataLossError": "network",
                "ConnectionLost": "network", "ConnectionDone": "network", "TunnelError": "proxy"}


def error_kinds(stats: dict[str, Any]) -> dict[str, int]:
    """A run's errors by kind (``http_404``, ``dns``, ``timeout``, ``robots``, ``store_error`` …), most first."""
    kinds: dict[str, int] = {}
    for key, n in _count(stats, "linfen/errors/").items():
        reason = key.rsplit("/", 1)[-1]
        kind = _ERROR_KINDS.get(reason, reason)
        kinds[kind] = kinds.get(kind, 0) + n
    return dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))


def failure_cause(stats: dict[str, Any]) -> str | None:
    """``"<kind>: <detail>"`` when a run failed before fetching anything of its site, else None (pure).

    A cause already set (``linfen/failure``, e.g. ``disk_full: <path>``) is kept. A run fetched nothing when
    no list or article page was parsed although some failed; the cause is, first found: ``robots``
    (robots.txt disallows the start pages), ``antibot`` (an anti-bot wall), ``http_<status>`` (the most
    frequent status), a network kind (``dns``, ``refused``, ``timeout``, ``tls``, ``proxy``, ``network``:
    the most frequent) or ``error`` (any other reason a page failed).
    """
    if stats.get(FAILURE_KEY):
        return str(stats[FAILURE_KEY])
    parsed = sum(int(stats.get(k, 0)) for k in ("linfen/list_pages", "linfen/article_pages",
                                                  "linfen/article_extra_pages"))
    errors = {k.split("/", 1)[-1]: n for k, n in _count(stats, "linfen/errors/").items()
              if not k.startswith("store/")}
    if parsed or not errors:
        return None
    reasons: dict[str, int] = {}
    for key, n in errors.items():
        reasons[key] = reasons.get(key, 0) + n
    if "robots" in reasons:
        return f"robots: {stats.get('linfen/cause_detail/robots') or 'robots.txt disallows the start pages'}"
    walls = [r for r in reasons if r.startswith("antibot_") or r == "site_blocked"]
    if walls or (stats.get("linfen/degraded") and _count(stats, "linfen/antibot/antibot_")):
        detail = stats.get("linfen/degraded") or f"every page was an anti-bot wall ({', '.join(sorted(walls))})"
        return f"antibot: {detail}"
    http = {r: n for r, n in reasons.items() if r.startswith("http_")}
    if http:
        status, n = max(http.items(), key=lambda kv: (kv[1], kv[0]))
        return f"{status}: the site answered HTTP {status[5:]} ({n} of {sum(reasons.values())} pages failed so)"
    network = {k: n for k, n in _count(stats, "linfen/network/").items() if k in NETWORK_KINDS}
    if network:
        kind, _ = max(network.items(), key=lambda kv: (kv[1], kv[0]))
        return f"{kind}: {stats.get(f'linfen/cause_detail/{kind}') or kind}"
    reason, n = max(reasons.items(), key=lambda kv: (kv[1], kv[0]))
    return f"error: every page failed ({reason}, {n} pages)"


def run_status(finish_reason: str, stats: dict[str, Any], counts: dict[str, int]) -> str:
    """finished / degraded / interrupted / failed for a run that is closing.

    Issue 14: a run that fetched nothing of its site is ``failed`` (:func:`failure_cause` says why).
    """
    if finish_reason in ("shutdown", "cancelled"):
        return "interrupted"
    if failure_cause(stats):
        return "failed"
    # issue 5: a guard that stopped or capped the run (site blocking the crawler, request cap) says why
    if stats.get("linfen/degraded"):
        return "degraded"
    if not int(stats.get("linfen/list_pages", 0)) and any(k.startswith("linfen/errors/list/") for k in stats):
        return "degraded"  # every list page failed: nothing of the site was seen
    if finish_reason != "finished" and not finish_reason.startswith("closespider_"):
        return "failed"
    if any(k.startswith("linfen/errors/store/") for k in stats):
        return "failed"  # a batch could not be written (its articles are recorded as store_error rejects)
    article_pages = int(stats.get("linfen/article_pages", 0))
    stored = counts.get("articles_new", 0) + counts.get("articles_updated", 0) + counts.get(
        "articles_unchanged", 0) + int(stats.get("linfen/skipped/article_before_since", 0))
    if article_pages and not stored:
        return "degraded"
    if int(stats.get("linfen/list_pages", 0)) and not int(stats.get("linfen/article_links", 0)):
        return "degraded"
    return "finished"
