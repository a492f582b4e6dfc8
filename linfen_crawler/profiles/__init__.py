"""Site profiles: one TOML file per portal, loaded and validated into :class:`Profile`.

A profile is data: domains, start URLs, list-page rules and article selectors. Every selector is optional;
the generic extractor fills what a profile does not give. A bad profile raises :class:`ProfileError` whose
message names the file and the key. A profile of ``kind = "epaper"`` (issue 17) has no start URLs or list
rules but an ``[epaper]`` table (:class:`EpaperRules`): the date-addressed entry URL of each day's edition
and how to find its pages and articles.

Profiles ship inside the package (``linfen_crawler/profiles/*.toml``, read as package resources so they
travel in wheels and Scrapyd eggs alike). Extra directories can be given with the ``LINFEN_PROFILE_DIRS``
environment variable (``os.pathsep``-separated); a profile there overrides a bundled one of the same key.

Profiles are user input, so loading one never runs anything that could take unbounded time or raise
anything but :class:`ProfileError`: regular expressions are compiled with RE2 (:mod:`.patterns`, linear-time
matching), and unreadable files, invalid UTF-8 and folders named ``*.toml`` are one-line errors.
"""

from __future__ import annotations

import math
import os
import re
import string
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

from linfen_crawler.profiles.patterns import Pattern, PatternError, compile_pattern

__all__ = ["KINDS", "ArticleRules", "EpaperRules", "ListRules", "Pattern", "Profile", "ProfileError", "Selector",
           "all_profiles", "load_file", "load_profile", "parse_bytes", "parse_profile", "render_entry_url"]

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
KINDS = ("portal", "epaper")  # a portal: section lists and their paging; an e-paper (数字报): editions by date


class ProfileError(ValueError):
    """A profile file is missing, unreadable or invalid; the message names the file and key."""


@dataclass(frozen=True)
class Selector:
    """An XPath kept with its source text (for messages and for `linfen sites`)."""

    expr: str
    xpath: etree.XPath

    def __call__(self, node: Any) -> Any:
        return self.xpath(node)


@dataclass(frozen=True)
class ListRules:
    article_links: Selector | None = None  # hrefs of article links on a list page
    article_url: Pattern | None = None  # which URLs are articles (RE2: linear-time matching)
    next_pages: str | None = None  # "index_{n}.html" template, or an XPath to the next-page href
    max_pages: int = 50


@dataclass(frozen=True)
class ArticleRules:
    title: tuple[Selector, ...] = ()
    meta: tuple[Selector, ...] = ()
    body: tuple[Selector, ...] = ()
    drop: tuple[Selector, ...] = ()
    byline: tuple[Selector, ...] = ()  # credit lines outside the body (e.g. a template 责任编辑 line)
    section: Selector | None = None  # breadcrumb link naming the section
    url_template: str | None = None  # recover a saved page's own URL: "{section}{aid}.html"
    url_parts: dict[str, tuple[Selector, Pattern | None]] = field(default_factory=dict)


# An e-paper's entry URL names the day: {yyyy} {mm} {dd} fields, or strftime's %Y %m %d (issue 17)
DATE_FIELDS = {"yyyy": "%Y", "mm": "%m", "dd": "%d"}
_STRFTIME_DIRECTIVE = re.compile(r"%(.)")


def render_entry_url(template: str, day: date) -> str:
    """An e-paper's entry URL for ``day``: a template with ``{yyyy}``/``{mm}``/``{dd}`` has them filled in and is
    otherwise left as written (a percent-encoded ``%E4`` stays); one without them is a strftime pattern
    (``%Y``, ``%m``, ``%d``, ``%%`` for a literal %)."""
    if not any("{" + name + "}" in template for name in DATE_FIELDS):
        return day.strftime(template)
    url = template
    for name, directive in DATE_FIELDS.items():
        url = url.replace("{" + name + "}", day.strftime(directive))
    return url


@dataclass(frozen=True)
class EpaperRules:
    """How an e-paper (数字报) is walked: one edition per day at ``entry_url``; the edition's first page links
    its other pages (版面); each page links its articles, often through an image map (``<area coords>``)."""

    entry_url: str  # date template: {yyyy} {mm} {dd} or %Y %m %d
    page_links: tuple[Selector, ...] = ()  # hrefs of the edition's pages, on its first page
    page_url: Pattern | None = None  # which URLs are pages (RE2)
    article_links: tuple[Selector, ...] = ()  # hrefs of a page's articles; default: every link matching article_url
    article_url: Pattern | None = None  # which URLs are articles (RE2)
    page_no: tuple[Selector, Pattern | None] | None = None  # "A3": XPath, or [XPath, RE2 with one group]
    page_name: tuple[Selector, Pattern | None] | None = None  # "要闻", likewise
    position: Selector | None = None  # elements with href and coords (<area>) placing articles on the page image
    missing: Selector | None = None  # matches on a "no edition today" page answered 200
    kicker: tuple[Selector, ...] = ()  # 引题, on the article page
    subtitle: tuple[Selector, ...] = ()  # 副题


@dataclass(frozen=True)
class Profile:
    key: str
    name: str
    domains: tuple[str, ...]
    start_urls: tuple[str, ...]
    sections: dict[str, str]  # start URL -> section name
    timezone: str = "Asia/Shanghai"
    encoding: str = ""
    download_delay: float | None = None
    concurrency: int | None = None
    verified_live: bool = True
    facts: str = ""  # where the profile's facts come from
    list: ListRules = field(default_factory=ListRules)
    article: ArticleRules = field(default_factory=ArticleRules)
    path: str = ""
    kind: str = "portal"  # issue 17: "epaper" profiles are crawled by date (spiders/epaper.py)
    epaper: EpaperRules | None = None

    def allows(self, host: str) -> bool:
        """True when ``host`` is one of the profile's domains or a subdomain of one."""
        host = host.lower().split(":")[0]
        return any(host == d or host.endswith("." + d) for d in self.domains)


class _Reader:
    """Typed access to a TOML table that reports problems as `file: [table] key: problem`."""

    def __init__(self, path: str, table: dict[str, Any], name: str = "") -> None:
        self.path, self.table, self.name = path, table, name

    def fail(self, key: str, problem: str) -> ProfileError:
        where = f"[{self.name}] " if self.name else ""
        return ProfileError(f"{self.path}: {where}{key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        if key not in self.table:
            if required:
                raise self.fail(key, "missing (required)")
            return default
        value = self.table[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool) and kind in (int, float)):
            raise self.fail(key, f"expected {_kind_name(kind)}, got {type(value).__name__}")
        return value

    def strings(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.get(key, (str, list), required=required)
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not all(isinstance(v, str) and v.strip() for v in items):
            raise self.fail(key, "expected a non-empty string or a list of them")
        return tuple(items)

    def selector(self, expr: str, key: str) -> Selector:
        try:
            return Selector(expr, etree.XPath(expr))
        except (etree.XPathError, ValueError) as exc:  # ValueError: control characters, NUL
            raise self.fail(key, f"invalid XPath {expr!r} ({_one_line(exc)})") from None

    def selectors(self, key: str) -> tuple[Selector, ...]:
        return tuple(self.selector(e, key) for e in self.strings(key))

    def regex(self, expr: str, key: str) -> Pattern:
        try:
            return compile_pattern(expr)
        except PatternError as exc:
            raise self.fail(key, f"invalid regular expression {expr!r} ({exc}; patterns are RE2 syntax: "
                                 "no backreferences or lookaround)") from None

    def template(self, template: str, key: str, fields: set[str], unknown: str) -> None:
        """Check a ``str.format`` template whose only fields are plain names from ``fields``."""
        try:
            parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
        except ValueError as exc:
            raise self.fail(key, f"invalid template {template!r} ({exc})") from None
        for name, spec, conv in parsed:
            if name not in fields:
                raise self.fail(key, f"{{{name}}} {unknown}")
            if spec or conv:
                raise self.fail(key, f"{{{name}}} takes no format spec or conversion")

    def sub(self, key: str) -> _Reader:
        table = self.get(key, dict, default={})
        return _Reader(self.path, table, key if not self.name else f"{self.name}.{key}")

    def unknown(self, known: set[str]) -> None:
        extra = sorted(set(self.table) - known)
        if extra:
            raise self.fail(extra[0], f"unknown key (known: {', '.join(sorted(known))})")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", list: "a list", dict: "a table", int: "an integer", float: "a number",
             bool: "true or false"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


TOP_KEYS = {"key", "name", "domains", "start_urls", "sections", "timezone", "encoding", "download_delay",
            "concurrency", "verified_live", "facts", "list", "article", "kind", "epaper"}
EPAPER_KEYS = {"entry_url", "page_links", "page_url", "article_links", "article_url", "page_no", "page_name",
               "position", "missing", "kicker", "subtitle"}
LIST_KEYS = {"article_links", "article_url", "next_pages", "max_pages"}
ARTICLE_KEYS = {"title", "meta", "body", "drop", "byline", "section", "url_template", "url_parts"}


def parse_profile(data: dict[str, Any], path: str) -> Profile:
    """Validate a parsed TOML document and build the :class:`Profile` (raises :class:`ProfileError`)."""
    top = _Reader(path, data)
    top.unknown(TOP_KEYS)
    key = top.get("key", str, required=True)
    if not KEY_RE.match(key):
        raise top.fail("key", f"{key!r} must be 2-32 lower-case letters, digits or _, starting with a letter")
    kind = top.get("kind", str, default="portal")
    if kind not in KINDS:
        raise top.fail("kind", f"{kind!r} is not a profile kind (kinds: {', '.join(KINDS)})")
    domains = tuple(d.lower() for d in top.strings("domains", required=True))
    # an e-paper is entered by date ([epaper] entry_url), not from start URLs
    start_urls = top.strings("start_urls", required=kind == "portal")
    for url in start_urls:
        if not re.match(r"^https?://", url):
            raise top.fail("start_urls", f"{url!r} is not an absolute http(s) URL")
    sections_raw = top.get("sections", dict, default={})
    sections: dict[str, str] = {}
    for url, name in sections_raw.items():
        if not isinstance(name, str):
            raise top.fail(f"sections.{url}", "expected a string (the section name)")
        sections[url] = name
    tz = top.get("timezone", str, default="Asia/Shanghai")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder ("Asia"), a name too long
        raise top.fail("timezone", f"unknown time zone {tz!r}") from None
    encoding = top.get("encoding", str, default="")
    if encoding:
        try:
            "".encode(encoding)
        except (LookupError, ValueError):  # ValueError: NUL in the name; UnicodeError: "undefined"
            raise top.fail("encoding", f"unknown encoding {encoding!r}") from None
    delay = top.get("download_delay", (int, float))
    if delay is not None and not (math.isfinite(delay) and delay >= 0):
        raise top.fail("download_delay", f"must be a number of seconds, 0 or more (got {delay})")
    concurrency = top.get("concurrency", int)
    if concurrency is not None and concurrency < 1:
        raise top.fail("concurrency", "must be at least 1")

    lst = top.sub("list")
    lst.unknown(LIST_KEYS)
    links = lst.get("article_links", str)
    url_re = lst.get("article_url", str)
    next_pages = lst.get("next_pages", str)
    if next_pages and "{n}" in next_pages:
        lst.template(next_pages, "next_pages", {"n"}, "is not {n} (the page number)")
    elif next_pages:
        lst.selector(next_pages, "next_pages")  # an XPath: check it compiles
    max_pages = lst.get("max_pages", int, default=50)
    if max_pages < 1:
        raise lst.fail("max_pages", "must be at least 1")
    list_rules = ListRules(
        article_links=lst.selector(links, "article_links") if links else None,
        article_url=lst.regex(url_re, "article_url") if url_re else None,
        next_pages=next_pages,
        max_pages=max_pages,
    )

    art = top.sub("article")
    art.unknown(ARTICLE_KEYS)
    section = art.get("section", str)
    parts_raw = art.get("url_parts", dict, default={})
    parts: dict[str, tuple[Selector, Pattern | None]] = {}
    for name, spec in parts_raw.items():
        k = f"url_parts.{name}"
        if isinstance(spec, str):
            parts[name] = (art.selector(spec, k), None)
        elif isinstance(spec, list) and len(spec) == 2 and all(isinstance(s, str) for s in spec):
            parts[name] = (art.selector(spec[0], k), art.regex(spec[1], k))
        else:
            raise art.fail(k, "expected an XPath, or [XPath, regex with one group]")
    template = art.get("url_template", str)
    if template:
        art.template(template, "url_template", set(parts), "has no entry in url_parts")
    article_rules = ArticleRules(
        title=art.selectors("title"),
        meta=art.selectors("meta"),
        body=art.selectors("body"),
        drop=art.selectors("drop"),
        byline=art.selectors("byline"),
        section=art.selector(section, "section") if section else None,
        url_template=template,
        url_parts=parts,
    )
    epaper = None
    if kind == "epaper":
        epaper = _epaper_rules(top, domains)
        if "list" in data:
            raise top.fail("list", "an e-paper profile has no section lists; its pages are found from "
                                   "[epaper] page_links")
    elif "epaper" in data:
        raise top.fail("epaper", 'only a profile with kind = "epaper" has an [epaper] table')
    return Profile(
        key=key, name=top.get("name", str, required=True), domains=domains, start_urls=start_urls,
        sections=sections, timezone=tz, encoding=encoding,
        download_delay=float(delay) if delay is not None else None, concurrency=concurrency,
        verified_live=top.get("verified_live", bool, default=True), facts=top.get("facts", str, default=""),
        list=list_rules, article=article_rules, path=path, kind=kind, epaper=epaper,
    )


def _part(reader: _Reader, key: str) -> tuple[Selector, Pattern | None] | None:
    """``key`` as (XPath, optional RE2 with one group): an XPath, or [XPath, regex] (as ``url_parts``)."""
    spec = reader.get(key, (str, list))
    if spec is None:
        return None
    if isinstance(spec, str) and spec.strip():
        return reader.selector(spec, key), None
    if isinstance(spec, list) and len(spec) == 2 and all(isinstance(s, str) and s.strip() for s in spec):
        pattern = reader.regex(spec[1], key)
        if not re.search(r"\((?!\?)|\(\?P<", spec[1]):
            raise reader.fail(key, f"the regular expression {spec[1]!r} needs a (group): the part to keep")
        return reader.selector(spec[0], key), pattern
    raise reader.fail(key, "expected an XPath, or [XPath, regex with one group]")


def _epaper_rules(top: _Reader, domains: tuple[str, ...]) -> EpaperRules:
    """The ``[epaper]`` table of an e-paper profile (issue 17)."""
    ep = top.sub("epaper")
    ep.unknown(EPAPER_KEYS)
    entry = ep.get("entry_url", str, required=True)
    if not re.match(r"^https?://[^/{}%]+", entry):
        raise ep.fail("entry_url", f"{entry!r} is not an absolute http(s) URL template")
    if "{" in entry:
        ep.template(entry, "entry_url", set(DATE_FIELDS), "is not a date field ({yyyy}, {mm}, {dd})")
        # render_entry_url fills the fields and leaves the rest as written (a percent-encoded %E4 or %d0)
        mixed = re.search(r"%[Ymd](?![0-9a-fA-F])", entry)
        if mixed:
            raise ep.fail("entry_url", f"{entry!r} mixes {{yyyy}}/{{mm}}/{{dd}} with {mixed.group()}: write the "
                                       "day one way or the other")
    for name, directive in DATE_FIELDS.items():
        if "{" + name + "}" not in entry and directive not in entry:
            raise ep.fail("entry_url", f"{entry!r} names no {name} ({{{name}}} or {directive}): each day's "
                                       "edition needs its own URL")
    try:
        sample = render_entry_url(entry, date(2024, 1, 15))
    except ValueError as exc:  # a stray % strftime cannot read
        raise ep.fail("entry_url", f"invalid strftime pattern in {entry!r} ({exc}; write a literal % as %%)") from None
    host = (urlsplit(sample).hostname or "").lower()
    if not any(host == d or host.endswith("." + d) for d in domains):
        raise ep.fail("entry_url", f"host {host!r} is not in domains ({', '.join(domains)})")
    page_url = ep.get("page_url", str)
    article_url = ep.get("article_url", str)
    position = ep.get("position", str)
    missing = ep.get("missing", str)
    return EpaperRules(
        entry_url=entry,
        page_links=ep.selectors("page_links"),
        page_url=ep.regex(page_url, "page_url") if page_url else None,
        article_links=ep.selectors("article_links"),
        article_url=ep.regex(article_url, "article_url") if article_url else None,
        page_no=_part(ep, "page_no"),
        page_name=_part(ep, "page_name"),
        position=ep.selector(position, "position") if position else None,
        missing=ep.selector(missing, "missing") if missing else None,
        kicker=ep.selectors("kicker"),
        subtitle=ep.selectors("subtitle"),
    )


def parse_bytes(raw: bytes, path: str) -> Profile:
    """Decode, parse and validate the bytes of a profile file; anything wrong is a :class:`ProfileError`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ProfileError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
                           "save the profile as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: malformed TOML ({_one_line(exc)})") from None
    except RecursionError:
        raise ProfileError(f"{path}: malformed TOML (arrays or tables nested too deeply)") from None
    return parse_profile(data, path)


def load_file(path: str | Path) -> Profile:
    """Load one profile from a TOML file path."""
    path = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such profile file") from None
    except IsADirectoryError:
        raise ProfileError(f"{path}: is a folder, not a profile file; rename or move it") from None
    except OSError as exc:  # permissions, a FIFO that cannot be read, ...
        raise ProfileError(f"{path}: cannot read the profile file ({exc.strerror or _one_line(exc)})") from None
    return parse_bytes(raw, path)


def _bundled() -> Iterator[tuple[str, bytes]]:
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            yield f"linfen_crawler/profiles/{entry.name}", entry.read_bytes()


def _extra_dirs() -> list[Path]:
    raw = os.environ.get("LINFEN_PROFILE_DIRS", "")
    return [Path(p) for p in raw.split(os.pathsep) if p]


def all_profiles() -> dict[str, Profile]:
    """Every profile by key: bundled ones, then those in ``LINFEN_PROFILE_DIRS`` (which override)."""
    found: dict[str, Profile] = {}
    for name, raw in _bundled():
        profile = parse_bytes(raw, name)
        found[profile.key] = profile
    for folder in _extra_dirs():
        for path in sorted(folder.glob("*.toml")):
            profile = load_file(path)
            found[profile.key] = profile
    return found


def load_profile(key_or_path: str) -> Profile:
    """A profile by key (``lfxww``) or by the path of a TOML file."""
    if key_or_path.endswith(".toml") or os.sep in key_or_path:
        return load_file(key_or_path)
    profiles = all_profiles()
    try:
        return profiles[key_or_path]
    except KeyError:
        known = ", ".join(sorted(profiles)) or "none"
        raise ProfileError(f"unknown site {key_or_path!r} (known: {known})") from None
