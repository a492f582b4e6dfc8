"""Run monitoring: which reject reasons are worth retrying, field coverage of new articles and its alerts,
HTTP errors of a run.

:func:`field_coverage` and :func:`coverage_alerts` flag a run whose new articles lack a field much more
often than the site's recent runs (an extractor broken by a redesign).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TRANSIENT_PREFIXES = ("antibot_", "site_blocked", "parse_error", "store_error", "too_large", "bad_encoding")
# The fields of :data:`~linfen_crawler.storage.COVERAGE_FIELDS` a run's coverage watches: those the extractor
# finds on the page and a redesign can lose. Title and body are not watched (an article without them is
# rejected, so stored ones always have them), section comes from the list page, and images vary from story
# to story (a photo-heavy day is no broken extractor).
WATCHED_FIELDS = ("published_at", "source", "authors", "editors")


def is_transient(reason: str | None) -> bool:
    """True for a reject reason worth retrying on the next run (server errors, throttling, network errors).

    Extraction verdicts (``no_body``, ``not_prose``, ``error_page``) and client errors (``http_404``) are
    permanent: the page is known and not fetched again. Exception names (``TimeoutError``), anti-bot walls
    (``antibot_captcha``) and crashed callbacks (``parse_error``) are transient.
    """
    if not reason:
        return True
    if reason.startswith(TRANSIENT_PREFIXES):
        return True
    if reason.startswith("http_"):
        code = reason[5:]
        return code.startswith("5") or code in ("408", "429")
    return any(c.isupper() for c in reason)


def has_value(value: Any) -> bool:
    return value not in (None, "", [], "[]", {})


@dataclass
class CoverageCounter:
    """Counts, over new articles, how many have each of :data:`WATCHED_FIELDS`."""

    articles: int = 0
    present: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WATCHED_FIELDS, 0))

    def add(self, row: Mapping[str, Any]) -> None:
        self.articles += 1
        for name in WATCHED_FIELDS:
            self.present[name] += has_value(row.get(name))

    def coverage(self) -> dict[str, float]:
        if not self.articles:
            return {}
        return {name: round(n / self.articles, 4) for name, n in self.present.items()}


def field_coverage(rows: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Share of ``rows`` having each coverage field (empty dict for no rows)."""
    counter = CoverageCounter()
    for row in rows:
        counter.add(row)
    return counter.coverage()


@dataclass(frozen=True)
class CoverageAlert:
    field: str
    coverage: float
    median: float

    def message(self, site: str) -> str:
        return (f"{site}: {self.field} found in {self.coverage:.0%} of new articles, below half the median "
                f"{self.median:.0%} of the last runs; the site may have changed its layout")


def coverage_alerts(current: Mapping[str, float], history: Sequence[Mapping[str, float]], *,
                    articles: int, min_articles: int = 5) -> list[CoverageAlert]:
    """Fields whose coverage among this run's ``articles`` new articles fell below half their median over
    ``history`` (coverage of earlier runs, newest first). Runs with fewer than ``min_articles`` new articles
    are too small to judge."""
    if articles < max(1, min_articles) or not history:
        return []
    alerts = []
    for name in WATCHED_FIELDS:
        past = [h[name] for h in history if name in h]
        if name not in current or not past:
            continue
        median = statistics.median(past)
        if current[name] < median / 2:
            alerts.append(CoverageAlert(name, current[name], median))
    return alerts


def coverage_from_stats(stats: Mapping[str, Any]) -> dict[str, float]:
    """The coverage a finished run recorded in its ``crawl_runs.stats``."""
    prefix = "linfen/coverage/"
    return {k[len(prefix):]: float(v) for k, v in stats.items() if k.startswith(prefix)}


def http_errors(stats: Mapping[str, Any]) -> dict[str, int]:
    """HTTP responses with an error status, by status (from Scrapy's downloader stats), less the e-paper days
    without an edition that answered it (issue 17: ``linfen/epaper/skipped/http_404``; a missing day is never
    an error)."""
    prefix = "downloader/response_status_count/"
    out = {}
    for key, value in sorted(stats.items()):
        status = key[len(prefix):]
        if key.startswith(prefix) and status.isdigit() and int(status) >= 400:
            n = int(value) - int(stats.get(f"linfen/epaper/skipped/http_{status}", 0))
            if n > 0:
                out[status] = n
    return out
