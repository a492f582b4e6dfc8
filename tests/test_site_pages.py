"""Saved pages of the other Shanxi portals (tests/pages/<key>/), each with its expected record.

The pages are written for the tests in each site's structure (see the profile's ``facts``): GBK and UTF-8,
TRS_Editor bodies, ``div.source`` and ``table.fywzzz`` meta lines, bylines in leads, editor lines, and one
page per site after a "redesign" where profile selectors find nothing and the generic extractor fills in.
``<name>.expected.json`` holds ``url``, ``record`` (the fields the page must give) and optionally
``generic_fills`` (the fields a stale profile selector leaves to the generic extractor).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from linfen_crawler.extract.article import extract_article, parse_html
from linfen_crawler.extract.encoding import decode_html
from linfen_crawler.profiles import all_profiles, load_profile
from linfen_crawler.spiders.portal import PortalSpider

PAGES = Path(__file__).parent / "pages"
SITES = ("sxycrb", "jcnews", "changzhinews")
FIELDS = ("title", "published_at", "source", "authors", "editors", "body")


def article_pages() -> list[tuple[str, Path]]:
    return [(site, path) for site in SITES for path in sorted((PAGES / site).glob("*.html")) if path.stem != "list"]


def expected_for(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    return data


def mismatches(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    return [f"{k}: got {got[k]!r}, want {want[k]!r}" for k in FIELDS if got[k] != want[k]]


def test_every_site_has_pages_in_both_encodings_and_a_redesign() -> None:
    for site in SITES:
        pages = [p for s, p in article_pages() if s == site]
        assert len(pages) >= 4, site
        assert (PAGES / site / "list.html").exists() and (PAGES / site / "list.expected.json").exists()
        charsets = {decode_html(p.read_bytes(), None, None)[1] for p in pages}
        assert "utf-8" in charsets and charsets & {"gbk", "gb2312", "gb18030"}, (site, charsets)
        assert any(expected_for(p).get("generic_fills") for p in pages), f"{site}: no redesigned page"


@pytest.mark.parametrize(("site", "path"), article_pages(), ids=lambda v: v if isinstance(v, str) else v.stem)
def test_page_gives_its_record_with_the_profile(site: str, path: Path) -> None:
    expected = expected_for(path)
    got = extract_article(path.read_bytes(), expected["url"], profile=load_profile(site))
    assert got["not_article"] is None
    assert not mismatches(got, expected["record"]), "\n".join(mismatches(got, expected["record"]))
    fills = set(expected.get("generic_fills", []))
    for field in ("title", "body", "published_at"):
        assert got["extractor"][field] == ("generic" if field in fills else "profile"), field


@pytest.mark.parametrize(("site", "path"), article_pages(), ids=lambda v: v if isinstance(v, str) else v.stem)
def test_page_gives_its_record_with_the_generic_extractor_alone(site: str, path: Path) -> None:
    expected = expected_for(path)
    got = extract_article(path.read_bytes(), expected["url"], profile=load_profile(site), generic_only=True)
    assert not mismatches(got, expected["record"]), "\n".join(mismatches(got, expected["record"]))
    assert set(got["extractor"].values()) == {"generic"}


@pytest.mark.parametrize("site", SITES)
def test_list_page_yields_the_article_links(site: str) -> None:
    expected = json.loads((PAGES / site / "list.expected.json").read_text(encoding="utf-8"))
    raw = (PAGES / site / "list.html").read_bytes()
    doc = parse_html(decode_html(raw, None, None)[0])
    assert doc is not None
    spider = PortalSpider(site=site)
    assert spider.article_links(doc, expected["url"]) == expected["article_links"]
    profile = spider.profile
    assert profile.list.article_url is not None
    assert all(profile.list.article_url.search(u) for u in expected["article_links"])


@pytest.mark.parametrize("site", SITES)
def test_new_profiles_load_and_say_they_are_not_verified_live(site: str) -> None:
    profile = all_profiles()[site]
    assert profile.verified_live is False
    assert profile.facts and "public" in profile.facts.lower()
    assert profile.start_urls and set(profile.sections) == set(profile.start_urls)
    assert all(profile.allows(u.split("/")[2]) for u in profile.start_urls)


def test_sites_command_shows_verified_live() -> None:
    from linfen_crawler.cli import main

    result = CliRunner().invoke(main, ["sites", "--json"])
    assert result.exit_code == 0, result.output
    shown = {info["key"]: info for info in map(json.loads, result.output.splitlines())}
    for site in SITES:
        assert shown[site]["verified_live"] is False and shown[site]["facts"]
    plain = CliRunner().invoke(main, ["sites"]).output
    assert all(f"{site}" in plain for site in SITES) and "not verified live" in plain
