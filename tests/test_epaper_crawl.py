"""Issue 17: e-papers crawled by date through the real Scrapy engine, against the sample 临汾日报 on 127.0.0.1.

A range (articles with their edition, page, 引题/副题 and position; the days without an edition recorded in the
run, not as errors), a range stopped by Ctrl-C and resumed (every article fetched once), a scheduled run
without --from (only editions from the last stored one), the CLI's one-line refusals, and the same story on
the portal and in the e-paper linked through duplicate_of.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST, REPO, article_rows, backup, crawl, rows, run_linfen

from linfen_crawler.demo.base import Page
from linfen_crawler.demo.epaper import EDITION_DAYS, MISSING_DAYS, REPRINT, Epaper
from linfen_crawler.demo.server import DemoHandler, DemoServer

PAPER = Epaper()
HOST = PAPER.host
FIELDS = ("title", "edition_date", "page_no", "page_name", "section", "kicker", "subtitle", "position", "body")


def stored(db: Path) -> dict[str, dict[str, object]]:
    out = {}
    for url, row in article_rows(db).items():
        row["position"] = json.loads(row["position"]) if row["position"] else None
        out[url] = {k: row[k] for k in FIELDS}
    return out


def expected(first: date | None = None, last: date | None = None) -> dict[str, dict[str, object]]:
    return {r["url"]: {k: r[k] for k in FIELDS} for r in PAPER.expected_articles(first, last)}


def last_run(db: Path) -> dict[str, Any]:
    (run,) = rows(db, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")
    run["stats"] = json.loads(run["stats"])
    return run


def paths(server: DemoServer) -> list[str]:
    return [r.path for r in server.requests if r.host == HOST]


def test_a_range_stores_every_article_with_its_edition_and_records_days_without_one(server: DemoServer,
                                                                                    tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    proc = crawl(server, db, "--from", "2024-01-10", "--to", "2024-01-21", site="lfrb")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "lfrb: finished, " in proc.stdout and ", 0 errors, 2 days without an edition, " in proc.stdout
    assert stored(db) == expected()  # 40 articles of 10 editions, 3 pages each; the GBK edition too
    # the reporter of the 本报讯 lead (the generic extractor reads the byline; a few leads give it more names)
    authors = {url: r["authors"] for url, r in article_rows(db).items()}
    assert all(r["authors"][0] in authors[r["url"]] for r in PAPER.expected_articles())
    gbk = [r for r in stored(db).values() if r["edition_date"] == "2024-01-16"]
    assert len(gbk) == 4 and all("本报讯" in str(r["body"]) for r in gbk)
    run = last_run(db)
    stats = run["stats"]
    assert run["status"] == "finished" and run["errors"] == 0 and run["rejects"] == 0
    assert stats["linfen/epaper/skipped_days"] == 2
    assert stats["http_errors"] == {}  # 2024-01-14's 404 is a day without an edition, no HTTP error
    assert stats["linfen/epaper/skipped"] == "2024-01-14 http_404, 2024-01-21 no_edition"
    assert stats["linfen/epaper/editions"] == len(EDITION_DAYS) == 10
    assert stats["linfen/epaper/range"] == "2024-01-10..2024-01-21"
    assert set(MISSING_DAYS) == {date(2024, 1, 14), date(2024, 1, 21)}
    assert rows(db, "SELECT * FROM rejects") == []
    # each page of an edition fetched once: the first page is not fetched again from the page list
    assert Counter(p for p in paths(server) if p.endswith(".htm")).most_common(1)[0][1] == 1


def test_without_from_a_scheduled_run_fetches_only_editions_since_the_last_stored(server: DemoServer,
                                                                                 tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    first = crawl(server, db, "--to", "2024-01-12", site="lfrb")  # nothing stored: the latest edition alone
    assert first.returncode == 0, first.stderr[-3000:]
    assert {r["edition_date"] for r in stored(db).values()} == {"2024-01-12"}
    assert [p for p in paths(server) if p.endswith("node_2.htm")] == ["/html/2024-01/12/node_2.htm"]
    server.clear_requests()
    again = crawl(server, db, "--to", "2024-01-16", site="lfrb")  # "today" is 2024-01-16
    assert again.returncode == 0, again.stderr[-3000:]
    assert stored(db) == expected(date(2024, 1, 12), date(2024, 1, 16))
    entries = sorted(p for p in paths(server) if p.endswith("node_2.htm"))
    assert entries == [f"/html/2024-01/{d}/node_2.htm" for d in ("12", "13", "14", "15", "16")]
    # the last stored edition is walked again for pages added late, but its stored articles are not fetched
    assert not [p for p in paths(server) if p.startswith("/html/2024-01/12/content_")]
    run = last_run(db)
    assert run["articles_new"] == 12 and run["status"] == "finished"
    assert "since the last stored edition, 2024-01-12" in again.stderr


def test_after_a_run_that_stopped_early_the_next_run_goes_back_to_where_finished_runs_reached(
        server: DemoServer, tmp_path: Path) -> None:
    """Editions finish out of order: a run killed in the middle of its range may have stored the 20th and not
    the 12th. The next scheduled run starts from the last day a finished run walked, not from the newest
    stored edition, so nothing older is left behind."""
    db = tmp_path / "news.db"
    assert crawl(server, db, "--from", "2024-01-10", "--to", "2024-01-11", site="lfrb").returncode == 0
    assert crawl(server, db, "--from", "2024-01-18", "--to", "2024-01-20", site="lfrb").returncode == 0
    conn = sqlite3.connect(db)  # that second run stands for a killed one: 12 to 17 never fetched
    conn.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE id = (SELECT max(id) FROM crawl_runs)")
    conn.commit()
    conn.close()
    assert {r["edition_date"] for r in stored(db).values()} == {"2024-01-10", "2024-01-11", "2024-01-18",
                                                                  "2024-01-19", "2024-01-20"}
    again = crawl(server, db, "--to", "2024-01-21", site="lfrb")
    assert again.returncode == 0, again.stderr[-3000:]
    assert stored(db) == expected(date(2024, 1, 10), date(2024, 1, 21))
    assert "from 2024-01-11, the last day a finished run reached" in again.stderr


class GatedHandler(DemoHandler):
    """Holds the first page of one edition until the test opens the gate, so the crawl cannot end before it
    is stopped."""

    gate = threading.Event()
    held = "/html/2024-01/18/node_2.htm"
    reached = threading.Event()

    def resolve(self, host: str, path: str) -> tuple[Page, list[tuple[str, str]]]:
        if path == self.held and not self.gate.is_set():
            self.reached.set()
            self.gate.wait(60)
        return super().resolve(host, path)


@pytest.fixture()
def gated() -> Iterator[DemoServer]:
    GatedHandler.gate.clear()
    GatedHandler.reached.clear()
    with DemoServer(handler=GatedHandler) as srv:
        try:
            yield srv
        finally:
            GatedHandler.gate.set()


def test_a_stopped_range_resumes_where_it_stopped_and_fetches_every_article_once(gated: DemoServer,
                                                                                 tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    args = [sys.executable, "-m", "linfen_crawler.cli", "crawl", "lfrb", "--db", str(db), "--from", "2024-01-10",
            "--to", "2024-01-21", "-s", f"LINFEN_PROXY={gated.url}", *FAST, "-s", "CONCURRENT_REQUESTS=2",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "--logfile", str(tmp_path / "crawl.log")]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert GatedHandler.reached.wait(120), "the crawl never reached the held edition"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] >= 4:
                    break
            except Exception:  # the dataset is being created
                pass
            time.sleep(0.05)
        assert proc.poll() is None, "the crawl ended while an edition was held"
        proc.send_signal(signal.SIGINT)
        while "shutting down gracefully" not in (tmp_path / "crawl.log").read_text(encoding="utf-8"):
            assert proc.poll() is None and time.monotonic() < deadline + 60, "the crawl did not take the SIGINT"
            time.sleep(0.05)
        GatedHandler.gate.set()  # the held page answers now that the crawl is stopping; its queue is kept
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "lfrb: interrupted (continue with `linfen crawl lfrb --resume`)" in out, err[-3000:]
    assert last_run(db)["status"] == "interrupted"
    assert 0 < len(stored(db)) < 40
    first_requests = Counter(paths(gated))
    gated.clear_requests()

    resumed = crawl(gated, db, "--resume", site="lfrb")  # no --from: the stopped run's range, kept in its job dir
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "nothing to resume" not in resumed.stderr
    assert stored(db) == expected()
    run = last_run(db)
    assert run["status"] == "finished"
    assert run["stats"]["linfen/epaper/range"] == "2024-01-10..2024-01-21"  # not "since the last stored edition"
    both = first_requests + Counter(paths(gated))
    articles = {p: n for p, n in both.items() if "/content_" in p}
    assert len(articles) == 40 and set(articles.values()) == {1}  # every article fetched once over both runs
    assert not (tmp_path / "news.db.jobs" / "lfrb").exists()


def test_cli_refuses_bad_edition_options_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    cases = [
        (("crawl", "lfxww", "--from", "2024-01-01"), "--from walks an e-paper's editions by date; lfxww is a "
                                                     "portal profile (limit a portal crawl with --since)"),
        (("crawl", "lfrb", "--from", "2024-02-01", "--to", "2024-01-01"), "--from 2024-02-01 is after --to "
                                                                          "2024-01-01"),
        (("crawl", "lfrb", "--from", "2024-13-01"), "--from '2024-13-01' is not a date like 2024-03-15"),
        (("crawl", "lfrb", "--to", "yesterday"), "--to 'yesterday' is not a date"),
        (("crawl", "lfrb", "-s", "LINFEN_EDITION_FROM=2024-02-30"), "LINFEN_EDITION_FROM"),
        # a day in the future, and a range given as settings (both were a traceback and exit 1)
        (("crawl", "lfrb", "--from", "2999-01-01"), "--from 2999-01-01 is in the future"),
        (("crawl", "lfrb", "-s", "LINFEN_EDITION_FROM=2024-02-01", "-s", "LINFEN_EDITION_TO=2024-01-01"),
         "LINFEN_EDITION_FROM='2024-02-01' is after LINFEN_EDITION_TO='2024-01-01'"),
    ]
    for args, message in cases:
        out = run_linfen(*args, "--db", str(db))
        assert out.returncode == 2, (args, out.stderr)
        assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not db.exists()


@pytest.fixture(scope="module")
def mixed(crawled: tuple[DemoServer, Path, object], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's crawl of the sample 临汾新闻网, copied, with the whole sample 临汾日报 crawled into it."""
    _, source, _ = crawled
    db = tmp_path_factory.mktemp("mixed") / "news.db"
    backup(source, db)
    with DemoServer() as srv:
        proc = crawl(srv, db, "--from", "2024-01-10", "--to", "2024-01-21", "--no-raw", site="lfrb")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return db


def test_the_same_story_on_the_portal_and_in_the_epaper_is_linked(mixed: Path) -> None:
    day, portal_id = REPRINT
    portal_url = f"http://www.lfxww.com/linfen/shizheng/{portal_id}.html"
    linked = rows(mixed, "SELECT url, duplicate_of, edition_date FROM articles WHERE site = 'lfrb' "
                         "AND duplicate_of IS NOT NULL")
    assert [(r["duplicate_of"], r["edition_date"]) for r in linked] == [(portal_url, day.isoformat())]
    (portal,) = rows(mixed, "SELECT duplicate_of, edition_date, page_no FROM articles WHERE url = ?", (portal_url,))
    assert portal == {"duplicate_of": None, "edition_date": None, "page_no": None}  # the portal row is unchanged


def export(db: Path, *args: str) -> tuple[list[str], list[dict[str, Any]]]:
    out = run_linfen("export", "--db", str(db), "--format", "jsonl", "-o", "-", *args)
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    return (list(records[0]) if records else []), records


def test_export_filters_by_edition_and_page_and_adds_the_epaper_columns(mixed: Path, crawled: tuple[
        DemoServer, Path, object], tmp_path: Path) -> None:
    columns, records = export(mixed, "--edition-from", "2024-01-15", "--edition-to", "2024-01-16", "--page", "A01")
    assert {r["url"] for r in records} == {r["url"] for r in PAPER.expected_articles(date(2024, 1, 15),
                                                                                      date(2024, 1, 16))
                                           if r["page_no"] == "A01"}
    assert len(records) == 4 and columns[-6:] == ["edition_date", "page_no", "page_name", "kicker", "subtitle",
                                                  "position"]
    assert all(r["position"]["shape"] == "polygon" for r in records)
    by_name = export(mixed, "--page", "时政", "--site", "lfrb")[1]
    assert len(by_name) == 10 and {r["page_no"] for r in by_name} == {"A02"}
    # a portal's export keeps its columns; a dataset's whole export gains the e-paper ones, NULL on portal rows
    portal_columns, portal_rows = export(mixed, "--site", "lfxww")
    assert "edition_date" not in portal_columns and portal_rows
    _, everything = export(mixed)
    assert {r["edition_date"] for r in everything if r["site"] == "lfxww"} == {None}
    _, db, _ = crawled
    assert "edition_date" not in export(db)[0]  # a portal-only dataset exports as before
    target = tmp_path / "front.csv"
    out = run_linfen("export", "--db", str(mixed), "--page", "A01", "--edition-to", "2024-01-11", "-o", str(target))
    assert out.returncode == 0 and out.stderr.startswith("4 articles written"), out.stderr
    meta = json.loads(target.with_name("front.csv.meta.json").read_text(encoding="utf-8"))
    assert meta["filters"]["edition"] == {"first": None, "last": "2024-01-11", "page": "A01"}
    assert meta["columns"][-1] == "position" and meta["rows"] == 4
    bad = run_linfen("export", "--db", str(mixed), "--edition-from", "2024-02-01", "--edition-to", "2024-01-01",
                     "-o", "-")
    assert bad.returncode == 2 and "--edition-from 2024-02-01 is after --edition-to 2024-01-01" in bad.stderr


def test_datasette_metadata_facets_editions_and_pages_when_the_dataset_has_them(
        mixed: Path, crawled: tuple[DemoServer, Path, object], tmp_path: Path) -> None:
    facets: dict[str, list[str]] = {}
    for name, db in (("mixed", mixed), ("portal", crawled[1])):
        out = run_linfen("serve", "--db", str(db), "--metadata-out", str(tmp_path / f"{name}.json"))
        assert out.returncode == 0, out.stderr
        meta = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
        table = meta["databases"]["news"]["tables"]["articles"]
        facets[name] = [f for f in table["facets"] if isinstance(f, str)]
        assert ("edition_date" in table["columns"]) is (name == "mixed")
    assert {"edition_date", "page_name"} <= set(facets["mixed"])
    assert "edition_date" not in facets["portal"] and "page_name" not in facets["portal"]


def test_distributed_mode_refuses_a_named_epaper_and_leaves_it_out_of_all(tmp_path: Path) -> None:
    for command in ("crawl", "seed"):
        out = run_linfen(command, "lfrb", "--redis", "redis://127.0.0.1:1/0")
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
        # one refusal for both commands (commands.distributed.distributed_sites), with what to do instead
        assert ("lfrb is an e-paper: e-papers are not crawled in distributed mode; crawl it with `linfen crawl "
                "lfrb` without --redis") in out.stderr


def test_a_redirect_away_from_the_day_is_a_day_without_an_edition(server: DemoServer, tmp_path: Path) -> None:
    """Without the profile's `missing` rule, 2024-01-21's redirect to /html/noedition.htm still means no edition."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    text = (REPO / "linfen_crawler" / "profiles" / "lfrb.toml").read_text(encoding="utf-8")
    (folder / "lfrb.toml").write_text(text.replace('missing = "//div[@class=\'noedition\']"\n', ""), encoding="utf-8")
    db = tmp_path / "news.db"
    out = run_linfen("crawl", "lfrb", "--db", str(db), "--from", "2024-01-20", "--to", "2024-01-21",
                     "-s", f"LINFEN_PROXY={server.url}", *FAST, env={"LINFEN_PROFILE_DIRS": str(folder)})
    assert out.returncode == 0, out.stderr[-3000:]
    assert last_run(db)["stats"]["linfen/epaper/skipped"] == "2024-01-21 redirected"
    assert {r["edition_date"] for r in stored(db).values()} == {"2024-01-20"}


def test_recheck_fetches_stored_epaper_articles_again_and_keeps_their_edition(server: DemoServer,
                                                                            tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    first = crawl(server, db, "--from", "2024-01-20", "--to", "2024-01-20", site="lfrb")
    assert first.returncode == 0, first.stderr[-3000:]
    before = stored(db)
    server.clear_requests()
    # published 2024-01-20: a recheck of the last 10,000 days reaches them; the range is one edition-less day
    again = crawl(server, db, "--from", "2024-01-21", "--to", "2024-01-21", "--recheck", "10000", site="lfrb")
    assert again.returncode == 0, again.stderr[-3000:]
    assert sorted(p for p in paths(server) if "/content_" in p) == sorted(
        "/" + url.split("/", 3)[3] for url in before)
    assert stored(db) == before  # unchanged pages: every edition field as it was


class SecondPageFails(DemoHandler):
    """Gives the first article of the 2024-01-20 edition a 下一页 link to a second page that answers 404."""

    article = "/" + PAPER.expected_articles(date(2024, 1, 20), date(2024, 1, 20))[0]["url"].split("/", 3)[3]

    def resolve(self, host: str, path: str) -> tuple[Page, list[tuple[str, str]]]:
        page, extra = super().resolve(host, path)
        if host == HOST and path == self.article:
            nxt = self.article.rsplit("/", 1)[1].replace(".htm", "_2.htm")
            link = f'<p><a href="{nxt}">下一页</a></p></founder-content>'.encode()
            page = replace(page, body=page.body.replace(b"</founder-content>", link))
        return page, extra


def test_a_multi_page_article_whose_later_page_fails_keeps_its_edition(tmp_path: Path) -> None:
    """The earlier pages are stored, marked incomplete, with the edition and page they were found on."""
    db = tmp_path / "news.db"
    with DemoServer(handler=SecondPageFails) as srv:
        proc = crawl(srv, db, "--from", "2024-01-20", "--to", "2024-01-20", site="lfrb")
        asked = paths(srv)
    assert proc.returncode == 0, proc.stderr[-3000:]
    url = PAPER.url(SecondPageFails.article)
    assert SecondPageFails.article.replace(".htm", "_2.htm") in asked  # the second page was asked for, and failed
    row = article_rows(db)[url]
    assert "incomplete" in row["extractor"]
    want = expected(date(2024, 1, 20), date(2024, 1, 20))[url]
    got = stored(db)[url]
    assert {k: got[k] for k in FIELDS if k != "body"} == {k: want[k] for k in FIELDS if k != "body"}
    assert row["published_at"]


def test_since_is_the_first_edition_day_of_a_first_run(server: DemoServer, tmp_path: Path) -> None:
    """`--since` used to be ignored for an e-paper (a first run fetched today's edition alone)."""
    db = tmp_path / "news.db"
    proc = crawl(server, db, "--since", "2024-01-19", "--to", "2024-01-20", site="lfrb")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert stored(db) == expected(date(2024, 1, 19), date(2024, 1, 20))
    assert last_run(db)["stats"]["linfen/epaper/range"] == "2024-01-19..2024-01-20"
    server.clear_requests()
    # a later run goes on from the last stored edition; --since keeps days before it out even with --from
    again = crawl(server, db, "--since", "2024-01-19", "--from", "2024-01-15", "--to", "2024-01-19", site="lfrb")
    assert again.returncode == 0, again.stderr[-3000:]
    assert sorted(p for p in paths(server) if p.endswith("node_2.htm")) == ["/html/2024-01/19/node_2.htm"]


def test_out_of_date_selectors_fail_the_run_instead_of_looking_like_holidays(server: DemoServer,
                                                                             tmp_path: Path) -> None:
    """A profile whose article_url and page_links match nothing finds no links in any edition: that is an
    error (the run fails with its cause), not a day without an edition."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    text = (REPO / "linfen_crawler" / "profiles" / "lfrb.toml").read_text("utf-8")
    broken = re.sub(r"(?m)^article_url = .*$", "article_url = 'no-such-article'", text)
    broken = re.sub(r"(?m)^page_url = .*$", "page_url = 'no-such-page'", broken)
    assert broken != text
    (profiles / "lfrb.toml").write_text(broken, "utf-8")
    db = tmp_path / "news.db"
    proc = run_linfen("crawl", "lfrb", "--db", str(db), "-s", f"LINFEN_PROXY={server.url}", *FAST,
                      "--from", "2024-01-10", "--to", "2024-01-12", env={"LINFEN_PROFILE_DIRS": str(profiles)})
    run = last_run(db)
    assert run["status"] == "failed" and proc.returncode != 0, (run["status"], proc.stdout)
    assert run["stats"]["linfen/errors/list/no_links"] == 3
    assert "linfen/epaper/skipped_days" not in run["stats"]
    assert "no page or article link the profile finds" in proc.stderr
