"""Issue 17: e-paper profiles (kind = "epaper") load and validate like any profile, one-line errors naming the key."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import lxml.html
import pytest
from conftest import REPO, run_linfen
from scrapy.settings import Settings

from linfen_crawler.profiles import ProfileError, load_file, load_profile, render_entry_url
from linfen_crawler.scheduled.editions import edition_range
from linfen_crawler.scheduled.plan import setting_day
from linfen_crawler.spiders.epaper import EpaperSpider, _mentions_day

GOOD = """
key = "paper"
name = "示例日报"
kind = "epaper"
domains = ["epaper.example.cn"]

[epaper]
entry_url = "http://epaper.example.cn/html/{yyyy}-{mm}/{dd}/node_2.htm"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "paper.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_epaper_profile_needs_no_start_urls(tmp_path: Path) -> None:
    p = load_file(write(tmp_path, GOOD))
    assert p.kind == "epaper" and p.start_urls == ()
    assert p.epaper is not None and p.epaper.page_no is None and p.epaper.kicker == ()


@pytest.mark.parametrize(("template", "day", "url"), [
    ("http://e.cn/html/{yyyy}-{mm}/{dd}/node_2.htm", date(2024, 1, 5), "http://e.cn/html/2024-01/05/node_2.htm"),
    ("http://e.cn/%Y%m/%d/node_01.html", date(2024, 3, 9), "http://e.cn/202403/09/node_01.html"),
    ("http://e.cn/epaper?date=%Y-%m-%d&x=100%%", date(2024, 12, 31), "http://e.cn/epaper?date=2024-12-31&x=100%"),
])
def test_entry_url_template_forms(template: str, day: date, url: str) -> None:
    assert render_entry_url(template, day) == url


@pytest.mark.parametrize(("change", "message"), [
    (('kind = "epaper"', 'kind = "paper"'), "paper.toml: kind: 'paper' is not a profile kind (kinds: portal, epaper)"),
    (("entry_url = ", "entry = "), "paper.toml: [epaper] entry: unknown key"),
    (("{dd}", "01"), "paper.toml: [epaper] entry_url: 'http://epaper.example.cn/html/{yyyy}-{mm}/01/node_2.htm' "
                     "names no dd ({dd} or %d)"),
    (("{yyyy}", "{year}"), "paper.toml: [epaper] entry_url: {year} is not a date field"),
    (("{dd}", "%d"), "paper.toml: [epaper] entry_url: 'http://epaper.example.cn/html/{yyyy}-{mm}/%d/node_2.htm' "
                     "mixes {yyyy}/{mm}/{dd} with %d: write the day one way or the other"),
    (("node_2.htm", "node_2.htm?c=%d0"), None),  # percent-encoding beside the fields is not a strftime %d
    (("http://epaper.example.cn", "http://www.other.cn"), "[epaper] entry_url: host 'www.other.cn' is not in domains"),
    (("http://", "ftp://"), "[epaper] entry_url: 'ftp://epaper"),
    (("node_2.htm", "node_2%q.htm"), None),
    (("node_2.htm\"", "node_2.htm\"\npage_links = \"//a[\""), "paper.toml: [epaper] page_links: invalid XPath '//a['"),
    (("node_2.htm\"", "node_2.htm\"\narticle_url = '(?!x)'"), "[epaper] article_url: invalid regular expression"),
    (("node_2.htm\"", "node_2.htm\"\npage_no = ['//td', '[A-Z]+']"), "[epaper] page_no: the regular "
                                                                      "expression '[A-Z]+' needs a (group)"),
    (("node_2.htm\"", "node_2.htm\"\npage_name = 3"), "[epaper] page_name: expected a string or a list, got int"),
    (("node_2.htm\"", "node_2.htm\"\nposition = '//area['"), "[epaper] position: invalid XPath"),
    (("node_2.htm\"", "node_2.htm\"\nkicker = ['//td[@class=\"yt\"]', '']"), "[epaper] kicker: expected a non-empty"),
    (("[epaper]", "[list]\nmax_pages = 3\n[epaper]"), "paper.toml: list: an e-paper profile has no section lists"),
    (('kind = "epaper"', 'start_urls = ["http://epaper.example.cn/"]'),
     'paper.toml: epaper: only a profile with kind = "epaper" has an [epaper] table'),
    (("entry_url = \"http://epaper.example.cn/html/{yyyy}-{mm}/{dd}/node_2.htm\"", ""),
     "paper.toml: [epaper] entry_url: missing (required)"),
])
def test_bad_epaper_profiles_name_file_and_key(tmp_path: Path, change: tuple[str, str], message: str | None) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    if message is None:  # a stray % that strftime passes through is no error
        load_file(write(tmp_path, text))
        return
    with pytest.raises(ProfileError) as caught:
        load_file(write(tmp_path, text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_linfen_crawl_refuses_a_bad_epaper_profile_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "paper.toml").write_text(GOOD.replace("{dd}", "01"), encoding="utf-8")
    out = run_linfen("crawl", "paper", "--db", str(tmp_path / "x.db"), "--from", "2024-01-01",
                     env={"LINFEN_PROFILE_DIRS": str(folder)})
    assert out.returncode == 2
    assert "names no dd" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(("spider", "site", "message"), [
    ("portal", "lfrb", "Error: lfrb is an e-paper profile, which PortalSpider does not crawl: use "
                       "`scrapy crawl lfrb` or `linfen crawl lfrb`"),
    ("epaper", "lfxww", "Error: lfxww is a portal profile, which EpaperSpider does not crawl: use "
                        "`scrapy crawl lfxww` or `linfen crawl lfxww`"),
])
def test_scrapy_crawl_refuses_a_profile_of_the_other_kind_in_one_line(tmp_path: Path, spider: str, site: str,
                                                                      message: str) -> None:
    """`scrapy crawl portal -a site=lfrb` used to end in a traceback from the spider's __init__."""
    scrapy = Path(sys.executable).with_name("scrapy")
    proc = subprocess.run([str(scrapy), "crawl", spider, "-a", f"site={site}", "-s", f"LINFEN_DB={tmp_path / 'x.db'}",
                           "-s", "LINFEN_PROXY=http://127.0.0.1:9", "-s", "LOG_LEVEL=WARNING"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []  # stopped before the dataset, the lock or a request


def test_bundled_lfrb_profile_reads_the_sample_epaper() -> None:
    p = load_profile("lfrb")
    assert p.kind == "epaper" and p.verified_live is False and "Founder" in p.facts
    assert p.epaper is not None
    assert render_entry_url(p.epaper.entry_url, date(2024, 1, 15)) == \
        "http://epaper.lfxww.com/html/2024-01/15/node_2.htm"


def restart(stored: str | None) -> tuple[str, str] | None:
    """What Dataset.edition_restart gives when the newest stored edition is ``stored`` and every run finished."""
    return (stored, f"since the last stored edition, {stored}") if stored else None


@pytest.mark.parametrize(("first", "last", "stored", "today", "expected"), [
    ("2024-01-01", "2024-01-03", "2024-05-01", "2024-06-01", ("2024-01-01", "2024-01-03", "--from")),
    ("2024-01-01", None, None, "2024-01-02", ("2024-01-01", "2024-01-02", "--from")),
    (None, None, "2024-05-30", "2024-06-01",
     ("2024-05-30", "2024-06-01", "since the last stored edition, 2024-05-30")),
    (None, None, None, "2024-06-01", ("2024-06-01", "2024-06-01", "no edition stored yet: the latest only")),
    (None, "2024-05-31", None, "2024-06-01", ("2024-05-31", "2024-05-31", "no edition stored yet: the latest only")),
    (None, "2024-05-01", "2024-05-30", "2024-06-01", ("2024-05-01", "2024-05-01",
                                                      "since the last stored edition, 2024-05-30")),
])
def test_edition_range(first: str | None, last: str | None, stored: str | None, today: str,
                       expected: tuple[str, str, str]) -> None:
    rng = edition_range(date.fromisoformat(first) if first else None, date.fromisoformat(last) if last else None,
                        restart(stored), date.fromisoformat(today))
    assert (rng.first.isoformat(), rng.last.isoformat(), rng.why) == expected
    assert len(list(rng.days())) == (rng.last - rng.first).days + 1


# --since is a floor on the days walked: a first run fetches from it, later runs go on from the last stored edition
@pytest.mark.parametrize(("first", "stored", "since", "expected"), [
    (None, None, "2024-05-20", ("2024-05-20", "2024-06-01", "--since 2024-05-20")),  # a first run: from --since
    (None, "2024-05-30", "2024-05-20", ("2024-05-30", "2024-06-01", "since the last stored edition, 2024-05-30")),
    (None, "2024-05-10", "2024-05-20", ("2024-05-20", "2024-06-01", "--since 2024-05-20")),
    ("2024-05-01", None, "2024-05-20", ("2024-05-20", "2024-06-01", "--from")),
    ("2024-05-25", None, "2024-05-20", ("2024-05-25", "2024-06-01", "--from")),
])
def test_edition_range_since(first: str | None, stored: str | None, since: str,
                             expected: tuple[str, str, str]) -> None:
    rng = edition_range(date.fromisoformat(first) if first else None, None, restart(stored), date(2024, 6, 1),
                        date.fromisoformat(since))
    assert (rng.first.isoformat(), rng.last.isoformat(), rng.why) == expected


def test_edition_range_since_after_the_last_day_walks_nothing() -> None:
    rng = edition_range(None, None, None, date(2024, 6, 1), date(2024, 6, 5))
    assert list(rng.days()) == []


def test_edition_range_refuses_from_after_to() -> None:
    with pytest.raises(ValueError, match="--from 2024-02-01 is after --to 2024-01-01"):
        edition_range(date(2024, 2, 1), date(2024, 1, 1), None, date(2024, 6, 1))


def test_a_from_after_today_walks_nothing_yet() -> None:
    """Tomorrow in the profile's zone (already today somewhere the CLI checks): an empty range, not a crash."""
    rng = edition_range(date(2024, 6, 2), None, None, date(2024, 6, 1))
    assert list(rng.days()) == [] and rng.why == "--from"


@pytest.mark.parametrize(("url", "names_it"), [
    ("http://e.cn/html/2024-01/15/node_2.htm", True),
    ("http://e.cn/20240115/node_01.html", True),
    ("http://e.cn/202401/15/node_01.html", True),
    ("http://e.cn/epaper/?date=2024-01-15", True),
    ("http://e.cn/html/noedition.htm", False),
    ("http://e.cn/html/2024-01/16/node_2.htm", False),  # redirected to the next day's edition
    ("http://e.cn/html/2024-01/150/node_2.htm", False),
])
def test_a_url_names_its_day(url: str, names_it: bool) -> None:
    assert _mentions_day(url, date(2024, 1, 15)) is names_it


def test_linfen_sites_names_the_epaper_kind() -> None:
    out = run_linfen("sites")
    assert out.returncode == 0, out.stderr
    (line,) = [line for line in out.stdout.splitlines() if line.startswith("lfrb ")]
    assert "临汾日报" in line and "e-paper, crawled by date" in line and "not verified live" in line
    as_json = run_linfen("sites", "--json")
    kinds = {json.loads(line)["key"]: json.loads(line)["kind"] for line in as_json.stdout.splitlines()}
    assert kinds["lfrb"] == "epaper" and kinds["lfxww"] == "portal"


@pytest.mark.parametrize(("value", "expected"), [
    ("", None), ("  ", None), (" 2024-01-05 ", date(2024, 1, 5)),
    ("2024-02-30", "LINFEN_EDITION_FROM '2024-02-30' is not a date like 2024-03-15"),
])
def test_day_settings_are_read_by_one_helper(value: str, expected: date | str | None) -> None:
    """LINFEN_SINCE (the portal plan) and LINFEN_EDITION_FROM/TO (the e-paper range) are read alike."""
    settings = Settings({"LINFEN_EDITION_FROM": value})
    if isinstance(expected, str):
        with pytest.raises(ValueError, match=re.escape(expected)):
            setting_day(settings, "LINFEN_EDITION_FROM")
    else:
        assert setting_day(settings, "LINFEN_EDITION_FROM") == expected


def test_epaper_links_are_filtered_as_a_portals_are() -> None:
    """EpaperSpider's page and article links go through PortalSpider.keep_links: canonical, once, on the site,
    matching the profile's pattern."""
    spider = EpaperSpider(site="lfrb")
    doc = lxml.html.fromstring(
        '<a id="pageLink" href="node_3.htm">A02</a><a id="pageLink" href="node_3.htm#top">A02</a>'
        '<a id="pageLink" href="http://elsewhere.cn/html/2024-01/15/node_4.htm">x</a>'
        '<a id="pageLink" href="../../../index.htm">往期</a>'
        '<div id="titleList"><a href="content_1.htm">a</a><a href="content_1.htm">a</a></div>')
    base = "http://epaper.lfxww.com/html/2024-01/15/node_2.htm"
    assert spider.page_links(doc, base) == ["http://epaper.lfxww.com/html/2024-01/15/node_3.htm"]
    assert spider.article_links(doc, base) == ["http://epaper.lfxww.com/html/2024-01/15/content_1.htm"]
    assert spider.keep_links(["http://EPAPER.lfxww.com/a", "http://epaper.lfxww.com/a", "http://x.cn/a"],
                             None) == ["http://epaper.lfxww.com/a"]


def test_a_braced_template_keeps_its_percent_encoding() -> None:
    """strftime only reads a template without {yyyy}/{mm}/{dd}: %E4 in a braced one stays as written."""
    url = "http://e.x.com/{yyyy}{mm}{dd}/node.htm?t=%E4%B8%B4"
    assert render_entry_url(url, date(2024, 1, 15)) == "http://e.x.com/20240115/node.htm?t=%E4%B8%B4"
    assert render_entry_url("http://e.x.com/%Y%m/%d/node.htm", date(2024, 1, 5)) == \
        "http://e.x.com/202401/05/node.htm"
