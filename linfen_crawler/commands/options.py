"""What every ``linfen`` command shares: the one-line error, option decorators and input helpers.

Command modules import from here, never from ``cli.py`` (which only builds the group). Nothing here imports
Scrapy, Twisted or the profiles (lxml, re2) at start: the analyst commands load this module too
(``profile_arg.py`` reads profiles for the commands that need them). Defaults come from
``linfen_crawler.settings`` (a plain module), where they are written once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import click

from linfen_crawler import settings as project_settings
from linfen_crawler.settings_check import SettingsError, check_settings
from linfen_crawler.storage import Dataset, StorageError

DEMO_DB = "data/demo.db"


class UsageError(click.ClickException):
    """One-line error, exit code 2."""

    exit_code = 2


def fail(message: str) -> UsageError:
    return UsageError(message)


class DatasetPath(click.ParamType):
    """``--db PATH``: a dataset file. A missing folder is created when a command writes the dataset (as
    :class:`~linfen_crawler.storage.Dataset` does); an empty value or a folder path (``nodir/``) is refused
    at once, in one line."""

    name = "path"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "PATH"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
        if not text.strip():
            self.fail("empty: name the dataset file, e.g. data/news.db", param, ctx)
        if text.endswith(("/", os.sep)) or os.path.isdir(text):
            self.fail(f"{text!r} is a folder: name the dataset file in it, e.g. {os.path.join(text, 'news.db')}",
                      param, ctx)
        if "\x00" in text:
            self.fail("contains a NUL character", param, ctx)
        return text


DATASET_PATH = DatasetPath()


def db_option(default: str | None = None, help: str | None = None, creates: bool = False
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--db PATH``, the same type and metavar in every command; without it the dataset is ``$LINFEN_DB`` or
    the LINFEN_DB setting (:func:`resolve_db`). A command with its own ``default`` says so in ``help``;
    ``creates``: the command creates the dataset (and a missing folder)."""
    text = help or f"dataset file (default: $LINFEN_DB, else {project_settings.LINFEN_DB})"
    if creates:
        text += "; created with its folder when missing"
    return click.option("--db", "db_path", type=DATASET_PATH, default=default, show_default=default is not None,
                        help=text)


def settings_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-s NAME=VALUE`` (repeatable), read with :func:`parse_overrides`."""
    return click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
                        help="override a Scrapy setting")(func)


def resolve_db(db_path: str | None) -> str:
    """``--db``, else ``$LINFEN_DB`` (checked as ``--db`` is), else the LINFEN_DB setting."""
    if db_path is not None:
        return db_path
    env = os.environ.get("LINFEN_DB")
    if env:  # set and not empty
        try:
            return DATASET_PATH.convert(env, None, None)
        except click.BadParameter as exc:
            raise fail(f"$LINFEN_DB: {exc.message}") from None
    return project_settings.LINFEN_DB


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


class Day(click.ParamType):
    """A publish day option (``--since``, ``--until``): shown as ``YYYY-MM-DD`` in help, read as an ISO date
    string; anything else is a one-line error naming the option."""

    name = "day"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        name = param.opts[0] if param is not None and param.opts else "date"
        return str(iso_day(str(value), name))  # the same one line as before: --since '…' is not a date like …


DAY = Day()


def human_size(n: float) -> str:
    """Bytes for people: ``512 bytes``, ``8.4 KB``, ``12.0 MB``, ``1.3 GB`` (decimal units, as ``ls -h --si``)."""
    if n < 1000:
        return f"{n:.0f} bytes"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1000
        if n < 999.95 or unit == "TB":
            return f"{n:.1f} {unit}"
    raise AssertionError("unreachable")


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise fail(f"-s {pair!r}: expected NAME=VALUE")
        name, value = pair.split("=", 1)
        out[name.strip()] = value
    check_override_types(out)
    try:
        check_settings(out)  # LINFEN_ settings: type, range, choices (linfen_crawler/settings_check.py)
    except SettingsError as exc:
        raise fail(f"-s {exc}") from None
    return out


def check_crawl_settings(overrides: dict[str, Any]) -> None:
    """Check the LINFEN_ settings a crawl command built (its options and ``-s``) before anything starts."""
    try:
        check_settings(overrides)
    except SettingsError as exc:
        raise fail(str(exc)) from None


def check_override_types(overrides: dict[str, str]) -> None:
    """Fail in one line on ``-s NAME=VALUE`` of a Scrapy setting whose value cannot be what its default is
    (issue 5); LINFEN_ settings are checked against their rules instead (:func:`parse_overrides`)."""
    if not overrides:
        return
    from scrapy.settings import Settings  # only crawl commands take -s; analyst commands never load Scrapy

    known = Settings()
    known.setmodule(project_settings, priority="project")
    for name, value in overrides.items():
        if name.startswith("LINFEN_"):
            continue  # ours: settings_check.RULES says more (range, choices) in check_settings
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
