"""Which editions an e-paper run walks (issue 17): the days from ``--from`` to ``--to``, or, for a scheduled run
without ``--from``, the days since the last edition stored for the profile, up to today.

An e-paper (数字报) publishes one edition per day at a URL that names the date, so a run is a range of days:

* ``linfen crawl lfrb --from 2024-01-01 --to 2024-03-31``: every day of the range (``LINFEN_EDITION_FROM``,
  ``LINFEN_EDITION_TO``);
* ``linfen crawl lfrb`` from cron: from the newest ``edition_date`` stored for ``lfrb`` (that edition again: a
  page added late is found; its known articles are not fetched) to today in the profile's time zone; today
  alone when nothing is stored yet. ``--to`` alone moves "today". After a run that stopped before walking its
  whole range (killed, interrupted), from the last day a finished run reached instead, so no older day with
  missing articles is left behind (``Dataset.edition_restart``).
* ``--since DAY`` (which limits a portal crawl to articles published from DAY) is a floor: no day before it is
  walked, and a first run without ``--from`` walks every edition from DAY (later runs go on from the last
  stored edition).

A day without an edition (a weekend, a holiday: 404, or a "no edition" page) is skipped and recorded in the
run's stats, never an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from linfen_crawler.scheduled.plan import setting_day
from linfen_crawler.storage import Dataset

__all__ = ["EditionRange", "edition_range", "editions_from_crawler"]


@dataclass(frozen=True)
class EditionRange:
    """The days a run walks, oldest first, and why those (for the log and the run record)."""

    first: date
    last: date
    why: str

    def days(self) -> Iterator[date]:
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)

    def describe(self) -> str:
        return f"editions {self.first.isoformat()} to {self.last.isoformat()} ({self.why})"


def edition_range(first: date | None, last: date | None, restart: tuple[str, str] | None, today: date,
                  since: date | None = None) -> EditionRange:
    """The run's days: ``first``..``last`` when ``first`` is given; else from the last stored edition (or
    ``today``) to ``last`` (default ``today``). A ``first`` after ``last`` is a ValueError.

    ``restart`` is ``(day, why)`` from :meth:`Dataset.edition_restart`: where a run without ``--from`` starts.
    ``since`` (``--since``, which limits a portal crawl to articles published from that day) is the first day
    walked at the earliest: a first run without ``--from`` fetches every edition from ``since``, later runs
    go on from the last stored edition as usual, and no run walks a day before it. A ``since`` after the last
    day leaves the range empty (as it leaves a portal crawl with nothing to store)."""
    end = last or today
    if first is not None and last is not None and first > last:
        raise ValueError(f"--from {first.isoformat()} is after --to {last.isoformat()}")
    # a --from after today (the CLI refuses one after today anywhere on Earth; this is the day in between in
    # the profile's time zone) walks nothing yet: an empty range, not an error
    if first is not None:
        why = "--from"
    elif restart:
        day, why = restart
        first = date.fromisoformat(day)
        first = min(first, end)  # the last stored edition is newer than --to: that day alone
    elif since is not None:
        first, why = since, f"--since {since.isoformat()}"  # a first run with --since: every edition from then
    else:
        first, why = end, "no edition stored yet: the latest only"
    if since is not None and since > first:  # the floor; a --from stays the reason (a resumed run checks it)
        first, why = since, why if why == "--from" else f"--since {since.isoformat()}"
    return EditionRange(first, end, why)


def editions_from_crawler(crawler: Any, site: str, timezone: str, *, now: datetime | None = None) -> EditionRange:
    """The range a crawler's settings ask for (``LINFEN_EDITION_FROM``, ``LINFEN_EDITION_TO``), the last stored
    edition read from ``LINFEN_DB`` when there is no ``--from`` (none in distributed mode, which has no dataset)."""
    s = crawler.settings
    first, last = setting_day(s, "LINFEN_EDITION_FROM"), setting_day(s, "LINFEN_EDITION_TO")
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()
    stored = None
    if first is None and s.get("LINFEN_DB") and not s.get("LINFEN_REDIS_URL"):
        with Dataset(s.get("LINFEN_DB")) as ds:
            stored = ds.edition_restart(site)
    return edition_range(first, last, stored, today, setting_day(s, "LINFEN_SINCE"))
