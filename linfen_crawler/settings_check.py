"""What each ``LINFEN_*`` setting may hold (type, range, choices), in one table, and the check that uses it.

The defaults live in :mod:`linfen_crawler.settings`, once; this module only says which values are valid.
Three places check a crawl's settings with it before anything starts (issue 15):

* ``-s NAME=VALUE`` on the command line (:func:`linfen_crawler.commands.options.parse_overrides`);
* ``linfen crawl`` / ``linfen demo`` on the merged overrides, before the dataset is touched;
* every crawler at start (``PortalSpider.from_crawler``), so ``scrapy crawl`` and Scrapyd runs refuse a bad
  value too, with the same one-line :class:`SettingsError`.

Values are checked the way Scrapy later reads them (``getint`` is ``int(value)``, ``getbool`` accepts
``True``/``False``/``1``/``0``), so a value that passes here cannot raise there. A ``LINFEN_`` name that is
neither in the table nor in ``settings.py`` is refused as unknown (a typo would otherwise be ignored).
Pure: no Scrapy import, so the analyst commands can load it.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from linfen_crawler import settings as project_settings

__all__ = ["RULES", "Rule", "SettingsError", "check_setting", "check_settings"]

DAY = 86_400.0  # a duration longer than a day is a mistake (seconds given as milliseconds …)
BIG = 1_000_000_000  # counts: beyond this a value is a typo, and C-level code (timedelta, sqlite) would overflow


class SettingsError(ValueError):
    """A setting's value is not valid; the message is one line naming the setting, the value and what is wanted."""


@dataclass(frozen=True)
class Rule:
    """What one setting may hold: ``kind`` bool/int/float/str; ``low``..``high`` for numbers; ``choices`` for
    strings; ``check`` a further test of a non-empty string (returns what is wrong, or None); ``empty`` whether
    the empty string is allowed (it means "off" for several settings)."""

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[str], str | None] | None = None
    empty: bool = False
    wants: str = ""  # how the check describes a valid value ("an http(s) URL")

    def describe(self) -> str:
        if self.kind is bool:
            return "true or false"
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind in (int, float):
            what = "a whole number" if self.kind is int else "a number"
            if self.low is not None and self.high is not None:
                return f"{what} from {_num(self.low)} to {_num(self.high)}"
            if self.low is not None:
                return f"{what} ≥ {_num(self.low)}"
            return what
        text = self.wants or "text"
        return f"{text} or empty" if self.empty else text


def _num(x: float) -> str:
    return f"{x:,.0f}".replace(",", "_") if float(x).is_integer() else str(x)


def _http_url(value: str, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    if any(c.isspace() or ord(c) < 32 for c in value):
        return "it contains a space or control character"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or out of range
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in schemes:
        return f"the scheme must be {' or '.join(schemes)}"
    if parts.scheme != "unix" and parts.scheme != "mailto" and not parts.hostname:
        return "it names no host"
    return None


def _contact(value: str) -> str | None:
    return _http_url(value, ("http", "https", "mailto"))


def _redis_url(value: str) -> str | None:
    return _http_url(value, ("redis", "rediss", "unix"))


def _day(value: str) -> str | None:
    try:
        date.fromisoformat(value)
    except ValueError:
        return "it is not a date like 2024-03-15"
    return None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else "write it as YYYY-MM-DD"


def _path(value: str) -> str | None:
    return "it contains a NUL character" if "\x00" in value else None


def _import_path(value: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", value):
        return "it is no import path like package.module.Class"
    module, _, name = value.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError as exc:
        return f"cannot import {module}: {exc}"
    return None if found is not None else f"{module} has no {name}"


def _nonempty(value: str) -> str | None:
    return None if value.strip() else "it is blank"


SECONDS = Rule(float, 0, DAY)
COUNT = Rule(int, 0, BIG)
POSITIVE = Rule(int, 1, BIG)
FLAG = Rule(bool)

# One entry per LINFEN_ setting of settings.py (tests/test_settings_check.py walks them); defaults live there.
RULES: dict[str, Rule] = {
    "LINFEN_DB": Rule(str, check=_path, wants="a file path"),
    "LINFEN_CONTACT_URL": Rule(str, check=_contact, wants="an http(s) or mailto URL"),
    "LINFEN_PROXY": Rule(str, check=_http_url, empty=True, wants="an http(s) proxy URL like http://127.0.0.1:8080"),
    "LINFEN_STORE_BATCH_SIZE": POSITIVE,
    "LINFEN_STORE_FLUSH_SECONDS": SECONDS,
    "LINFEN_STORE_WRITER": Rule(str, choices=("auto", "process", "thread", "inline")),
    "LINFEN_MAX_ARTICLE_PAGES": POSITIVE,
    "LINFEN_MIN_BODY_CHARS": COUNT,
    "LINFEN_GENERIC_ONLY": FLAG,
    "LINFEN_LEARN": FLAG,
    "LINFEN_LEARN_SAMPLE": Rule(int, 3, 10_000),  # fewer than 3 pages never agree (learn.MIN_PAGES)
    "LINFEN_LEARN_EVERY": POSITIVE,
    "LINFEN_REFRESH": FLAG,
    "LINFEN_SINCE": Rule(str, check=_day, empty=True, wants="a day YYYY-MM-DD"),
    "LINFEN_RECHECK_DAYS": Rule(int, 0, 36_500),  # a century: beyond, the first day to recheck is before year 1
    "LINFEN_EDITION_FROM": Rule(str, check=_day, empty=True, wants="a day YYYY-MM-DD"),  # issue 17
    "LINFEN_EDITION_TO": Rule(str, check=_day, empty=True, wants="a day YYYY-MM-DD"),
    "LINFEN_RAW_PAGES": FLAG,
    "LINFEN_ARCHIVE_FILE_BYTES": POSITIVE,  # issue 19
    "LINFEN_ARCHIVE_COMPRESSION": Rule(str, choices=("gzip", "zstd")),  # issue 19
    "LINFEN_JOBS_DIR": Rule(str, check=_path, empty=True, wants="a folder path"),
    "LINFEN_COVERAGE_RUNS": POSITIVE,
    "LINFEN_COVERAGE_MIN_ARTICLES": COUNT,
    "LINFEN_PROGRESS": Rule(str, choices=("auto", "on", "off")),
    "LINFEN_LIST_PLANNER": Rule(str, check=_import_path, wants="an import path like package.module.Class"),
    "LINFEN_REDIS_URL": Rule(str, check=_redis_url, empty=True, wants="a redis:// URL"),
    "LINFEN_REDIS_PREFIX": Rule(str, check=_nonempty, wants="a key prefix"),
    "LINFEN_REDIS_IDLE_TIMEOUT": SECONDS,
    "LINFEN_REDIS_BUSY_TTL": Rule(int, 1, DAY),
    "LINFEN_REDIS_WORKERS": Rule(int, 1, 10_000),
    "LINFEN_RETRY_BACKOFF": SECONDS,
    "LINFEN_RETRY_BACKOFF_MAX": SECONDS,
    "LINFEN_RETRY_AFTER_MAX": SECONDS,
    "LINFEN_ANTIBOT_DELAY": SECONDS,
    "LINFEN_ANTIBOT_MAX_DELAY": SECONDS,
    "LINFEN_ANTIBOT_LIMIT": COUNT,
    "LINFEN_MAX_DEPTH": COUNT,
    "LINFEN_MAX_REQUESTS": COUNT,
    "LINFEN_MAX_TEXT_CHARS": COUNT,
}


def _as_number(value: Any, kind: type) -> float | int | None:
    """The number Scrapy's getint/getfloat would read, or None when it would fail or read nonsense."""
    if isinstance(value, bool):
        return None
    if kind is int:
        if isinstance(value, float):
            return int(value) if value.is_integer() else None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _problem(rule: Rule, value: Any) -> str | None:
    """What is wrong with ``value`` under ``rule`` (a short clause), or None."""
    if rule.kind is bool:
        ok = isinstance(value, bool) or value in (0, 1) or value in ("True", "true", "False", "false", "1", "0")
        return None if ok else "expected true or false"
    if rule.kind in (int, float):
        number = _as_number(value, rule.kind)
        if number is None or (rule.low is not None and number < rule.low) or (
                rule.high is not None and number > rule.high):
            return f"expected {rule.describe()}"
        return None
    if not isinstance(value, str):
        return f"expected {rule.describe()}"
    if value == "":
        return None if rule.empty else f"expected {rule.describe()}, not empty"
    if rule.choices and value not in rule.choices:
        return f"expected {rule.describe()}"
    why = rule.check(value) if rule.check else None
    return f"expected {rule.describe()} ({why})" if why else None


def known_names() -> set[str]:
    """Every LINFEN_ setting: the table's and settings.py's (a new setting without a rule is not refused here;
    tests/test_settings_check.py fails instead)."""
    return set(RULES) | {name for name in vars(project_settings) if name.startswith("LINFEN_")}


def check_setting(name: str, value: Any) -> None:
    """Raise :class:`SettingsError` when ``value`` is not valid for the LINFEN_ setting ``name``."""
    if name not in known_names():
        raise SettingsError(f"{name}: unknown setting (the LINFEN_ settings are listed in docs/settings.md)")
    rule = RULES.get(name)
    why = _problem(rule, value) if rule else None
    if why:
        raise SettingsError(f"{name}={value!r}: {why}")


def check_settings(settings: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
    """Check every ``LINFEN_`` name in ``settings`` (a dict, Scrapy ``Settings`` or pairs); other names pass."""
    pairs = list(settings.items() if isinstance(settings, Mapping) else settings)
    for name, value in pairs:
        if isinstance(name, str) and name.startswith("LINFEN_"):
            check_setting(name, value)
    days = {name: value for name, value in pairs if name in ("LINFEN_EDITION_FROM", "LINFEN_EDITION_TO") and value}
    if len(days) == 2 and str(days["LINFEN_EDITION_FROM"]) > str(days["LINFEN_EDITION_TO"]):  # issue 17
        raise SettingsError(f"LINFEN_EDITION_FROM={days['LINFEN_EDITION_FROM']!r} is after "
                            f"LINFEN_EDITION_TO={days['LINFEN_EDITION_TO']!r}")
