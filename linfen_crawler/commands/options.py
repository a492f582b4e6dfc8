"""What every ``linfen`` command shares: the one-line error, option decorators and input helpers.

Command modules import from here, never from ``cli.py`` (which only builds the group). Nothing here imports
Scrapy or Twisted at start: the analyst commands load this module too. Defaults come from
``linfen_crawler.settings`` (a plain module), where they are written once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import click

from linfen_crawler import settings as project_settings
from linfen_crawler.profiles import Profile, ProfileError, load_profile
from linfen_crawler.storage import Dataset, StorageError

DEMO_DB = "data/demo.db"
LIST_SEPARATOR = "、"


class UsageError(click.ClickException):
    """One-line error, exit code 2."""

    exit_code = 2


def fail(message: str) -> UsageError:
    return UsageError(message)


def db_option(default: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--db PATH``; without it the dataset is ``$LINFEN_DB`` or the LINFEN_DB setting (:func:`resolve_db`)."""
    return click.option("--db", "db_path", default=default, show_default=True,
                        help=f"dataset path (default: $LINFEN_DB or {project_settings.LINFEN_DB})")


def settings_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-s NAME=VALUE`` (repeatable), read with :func:`parse_overrides`."""
    return click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
                        help="override a Scrapy setting")(func)


def resolve_db(db_path: str | None) -> str:
    return db_path or os.environ.get("LINFEN_DB") or project_settings.LINFEN_DB


def open_existing(db_path: str | None) -> Dataset:
    path = resolve_db(db_path)
    try:
        return Dataset(path, create=False)
    except StorageError as exc:
        raise fail(str(exc)) from None


def create_dataset(path: str) -> None:
    """Create or migrate the dataset now, so a bad ``--db`` fails before a crawl starts."""
    try:
        Dataset(path).close()
    except StorageError as exc:
        raise fail(str(exc)) from None


def iso_day(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise fail(f"{name} {value!r} is not a date like 2024-03-15") from None


def profile_or_fail(key: str) -> Profile:
    try:
        return load_profile(key)
    except ProfileError as exc:
        raise fail(str(exc)) from None


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise fail(f"-s {pair!r}: expected NAME=VALUE")
        name, value = pair.split("=", 1)
        out[name.strip()] = value
    check_override_types(out)
    return out


def check_override_types(overrides: dict[str, str]) -> None:
    """Fail in one line on ``-s NAME=VALUE`` whose value cannot be what the setting's default is (issue 5)."""
    if not overrides:
        return
    from scrapy.settings import Settings  # only crawl commands take -s; analyst commands never load Scrapy

    known = Settings()
    known.setmodule(project_settings, priority="project")
    for name, value in overrides.items():
        default = known.get(name)
        probe = Settings({name: value})
        # int defaults accept decimals too: Scrapy reads several of them (DOWNLOAD_TIMEOUT) as floats
        for kind, getter, wanted in ((bool, probe.getbool, "true or false"), (int | float, probe.getfloat, "a number")):
            if isinstance(default, kind):
                try:
                    getter(name)
                except ValueError:
                    raise fail(f"-s {name}={value!r}: expected {wanted}") from None
                break
