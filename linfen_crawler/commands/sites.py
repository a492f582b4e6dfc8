"""Site profile commands: ``linfen sites`` lists the profiles, ``linfen check`` shows what one extracts."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from linfen_crawler import settings as project_settings
from linfen_crawler.commands.options import fail
from linfen_crawler.commands.profile_arg import profile_or_fail
from linfen_crawler.extract.article import SiteHints, extract_article
from linfen_crawler.extract.learn import MIN_PAGES, learn_site
from linfen_crawler.profiles import Profile, ProfileError, all_profiles
from linfen_crawler.records import make_article, normalize_article, reject_reason
from linfen_crawler.storage import ARTICLE_COLUMNS


@click.command()
@click.option("--json", "as_json", is_flag=True, help="one JSON object per profile")
def sites(as_json: bool) -> None:
    """List the site profiles.

    Example: linfen sites --json
    """
    try:
        profiles = all_profiles()
    except ProfileError as exc:
        raise fail(str(exc)) from None
    for p in profiles.values():
        info = {"key": p.key, "name": p.name, "kind": p.kind, "domains": list(p.domains), "sections": len(p.start_urls),
                "verified_live": p.verified_live, "facts": p.facts, "path": p.path}
        if as_json:
            click.echo(json.dumps(info, ensure_ascii=False))
        else:
            live = "verified live" if p.verified_live else "not verified live"
            what = "e-paper, crawled by date" if p.kind == "epaper" else f"{len(p.start_urls)} start URLs"
            click.echo(f"{p.key:10} {p.name}  {', '.join(p.domains)}  {what}  ({live})")


def _check_inputs(targets: Iterable[str]) -> Iterator[tuple[str, bytes, dict[str, str], str | None]]:
    """(label, bytes, headers, url) for each file, every *.htm(l) in a directory, or URL."""
    for target in targets:
        if target.startswith(("http://", "https://")):
            try:
                with urllib.request.urlopen(target, timeout=30) as resp:  # a URL the user gave
                    yield target, resp.read(), dict(resp.headers.items()), resp.geturl()
            except OSError as exc:
                raise fail(f"cannot fetch {target}: {exc}") from None
            continue
        path = Path(target)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".html", ".htm", ".shtml"))
        elif path.is_file():
            files = [path]
        else:
            raise fail(f"{target}: no such file, directory or URL")
        for f in files:
            yield str(f), f.read_bytes(), {}, None


def _not_a_page(body: bytes) -> tuple[str, str] | None:
    """(reason, detail) for input that is no web page at all, before extraction: an empty or blank file, or
    binary data (NUL bytes, as in images, PDFs and archives); the crawl names the same cases ``not_html``."""
    if not body.strip():
        return "empty_page", "the file is empty" if not body else "the file holds only white space"
    head = body[:1024]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM is text
        return "not_html", "binary data (NUL bytes), not an HTML page"
    return None


@click.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--site", "site", help="profile key whose selectors to use (default: generic only)")
@click.option("--generic", is_flag=True, help="ignore profile selectors: generic extractor for every field")
@click.option("--json", "as_json", is_flag=True, help="one JSON line per page")
@click.option("--learn", is_flag=True,
              help="the pages are one site's: learn its templates from all of them first (extractor says "
                   "\"learned\" for the fields that came from it)")
def check(targets: tuple[str, ...], site: str | None, generic: bool, as_json: bool, learn: bool) -> None:
    """Extract pages (files, directories or URLs) and print their records.

    Every page gives one record, also a page that is no article: its `not_article` names why (`empty_page`,
    `not_html`, `error_page` …) and `reject` the reason a crawl would record, with a `detail`.

    Example: linfen check page.html --site lfxww --json

    Example: linfen check saved/one-site/ --learn
    """
    profile = profile_or_fail(site) if site else None
    inputs: Iterable[tuple[str, bytes, dict[str, str], str | None]] = _check_inputs(targets)
    state: SiteHints | None = None
    if learn:
        inputs = list(inputs)
        learned = learn_site([(body, fetched or Path(label).resolve().as_uri()) for label, body, _, fetched in inputs],
                             profile=profile, generic_only=generic)
        if not any(t.fields for t in learned.templates):
            click.echo(f"note: nothing learned: no template has {MIN_PAGES} pages that agree "
                       f"({len(inputs)} page{'' if len(inputs) == 1 else 's'} given)", err=True)
        state = learned
    for label, body, headers, fetched_url in inputs:
        base = fetched_url or Path(label).resolve().as_uri()
        blank = _not_a_page(body)
        # A fetched page is dated now; a saved file's fetch time is unknown, so 昨天/3小时前 stay unresolved.
        now = datetime.now(UTC) if fetched_url else None
        rec = extract_article(b"" if blank else body, base, profile=profile, headers=headers, now=now,
                              generic_only=generic, site=state)
        if blank:
            rec["not_article"] = blank[0]
        url = fetched_url or rec["own_url"] or base
        art = normalize_article(make_article(rec, url=url, profile=profile or _NO_PROFILE, section=None))
        out: dict[str, Any] = {"file" if fetched_url is None else "fetched": label}
        out.update({k: getattr(art, k, None) for k in ARTICLE_COLUMNS})
        out["site"] = profile.key if profile else None
        out["site_name"] = profile.name if profile else None
        out["reject"] = reject_reason(art, project_settings.LINFEN_MIN_BODY_CHARS)
        out["not_article"] = art.not_article
        out["detail"] = blank[1] if blank else None
        if as_json:
            click.echo(json.dumps(out, ensure_ascii=False))
        else:
            click.echo(f"== {label}")
            for key in ("url", "title", "published_at", "source", "authors", "editors", "section", "reject",
                        "not_article", "detail"):
                value = out[key]
                click.echo(f"{key:13} {json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value}")
            if learn:
                click.echo(f"{'learned':13} {', '.join(k for k, v in out['extractor'].items() if v == 'learned')}")
            click.echo((out["body"] or "")[:300])


_NO_PROFILE = Profile(key="generic", name="", domains=(), start_urls=(), sections={})
