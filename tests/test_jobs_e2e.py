"""Scheduled jobs end to end: real `linfen crawl` processes against the sample portal on 127.0.0.1.

Incremental re-crawls, recovery after SIGKILL and SIGINT, run monitoring, site locks, concurrent sites in
one dataset, --since, --recheck, raw pages and `linfen reextract`, the HTTP cache.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import FAST, REPO, Crawled, article_rows, crawl, rows, run_linfen

from linfen_crawler.demo.lfxww import HOST, Page
from linfen_crawler.demo.server import DemoServer

ARTICLE_PATH = re.compile(r"^/(linfen/)?[a-z]+/\d+(_\d+)?\.html$")
COMPARED = ("url", "site", "section", "title", "published_at", "source", "authors", "editors", "body",
            "images", "content_hash")


def article_fetches(server: DemoServer) -> list[str]:
    return [r.path for r in server.requests if r.host == HOST and ARTICLE_PATH.match(r.path)]


def comparable(db: Path) -> dict[str, dict]:
    return {u: {k: r[k] for k in COMPARED} for u, r in article_rows(db).items()}


def run_row(db: Path, run_id: int | None = None) -> dict:
    sql = "SELECT * FROM crawl_runs " + ("WHERE id = ?" if run_id else "ORDER BY id DESC LIMIT 1")
    (run,) = rows(db, sql, (run_id,) if run_id else ())
    run["stats"] = json.loads(run["stats"]) if run["stats"] else {}
    return run


def count(db: Path, sql: str) -> int:
    return int(next(iter(rows(db, sql)[0].values())))


def path_of(url: str) -> str:
    return url.split(HOST, 1)[1]


def lfxww_expected(server: DemoServer) -> list[dict]:
    """The sample portal's expected records for www.lfxww.com (it serves other portals too)."""
    return [e for e in server.portal.expected_articles() if e["url"].startswith(f"http://{HOST}/")]


def edit_article(server: DemoServer, record: dict) -> str:
    """Change the first body line of an article page on the portal; returns the new line."""
    old = record["body"].split("\n")[0][:10]
    new = "改写:" + old[3:]
    path = path_of(record["url"])
    page = server.portal.home.pages[path]
    for codec in ("gb18030", "utf-8"):
        if old.encode(codec) in page.body:
            body = page.body.replace(old.encode(codec), new.encode(codec))
            server.portal.home.pages[path] = Page(page.status, page.content_type, body, page.headers)
            return new
    raise AssertionError(f"{old!r} not found in {path}")


# -- 1. incremental crawling ----------------------------------------------------------------------------
def test_second_crawl_fetches_only_the_newly_published_articles(server, tmp_path):
    db = tmp_path / "news.db"
    first = crawl(server, db)
    assert first.returncode == 0, first.stderr[-2000:]
    before = article_rows(db)
    assert before

    server.clear_requests()  # an unchanged site: a second run fetches no article page
    quiet = crawl(server, db)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert article_fetches(server) == []
    assert run_row(db)["status"] == "finished" and run_row(db)["articles_new"] == 0

    new_urls = server.publish(3)
    server.clear_requests()
    again = crawl(server, db)
    assert again.returncode == 0, again.stderr[-2000:]
    assert sorted(article_fetches(server)) == sorted(path_of(u) for u in new_urls)
    after = article_rows(db)
    assert set(after) - set(before) == set(new_urls)
    assert all(after[u]["run_id"] == before[u]["run_id"] for u in before)  # old rows untouched
    run = run_row(db)
    assert (run["status"], run["articles_new"], run["articles_updated"]) == ("finished", 3, 0)
    assert run["stats"]["linfen/early_stops"] >= 1
    expected = {e["url"]: e for e in lfxww_expected(server)}
    for url in new_urls:
        assert after[url]["title"] == expected[url]["title"] and after[url]["body"] == expected[url]["body"]


def test_refresh_fetches_known_articles_again_and_keeps_versions(server, tmp_path):
    db = tmp_path / "news.db"
    assert crawl(server, db).returncode == 0
    record = next(e for e in lfxww_expected(server)[5:] if e["url"] in article_rows(db))
    target = record["url"]
    new_line = edit_article(server, record)
    server.clear_requests()
    proc = crawl(server, db, "--refresh")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(article_fetches(server)) >= len(article_rows(db))
    run = run_row(db)
    assert (run["articles_new"], run["articles_updated"]) == (0, 1)
    (version,) = rows(db, "SELECT * FROM article_versions")
    assert version["url"] == target and version["body"] == record["body"]
    assert article_rows(db)[target]["body"].startswith(new_line)


def undate_list_pages(server: DemoServer, section: str) -> None:
    """Drop the dates shown beside the links of a section's list pages (the crawl must open each article)."""
    for path, page in list(server.portal.home.pages.items()):
        if path.startswith(section) and not ARTICLE_PATH.match(path):
            body = re.sub(rb"<span>\d{4}-\d{2}-\d{2}</span>", b"", page.body)
            server.portal.home.pages[path] = Page(page.status, page.content_type, body, page.headers)


def test_since_limits_a_first_crawl_to_recent_articles(server, tmp_path):
    db = tmp_path / "news.db"
    undate_list_pages(server, "/linfen/shizheng/")
    expected = lfxww_expected(server)
    days = sorted({e["published_at"][:10] for e in expected if e["published_at"]})
    since = days[len(days) // 2]
    proc = crawl(server, db, "--since", since)
    assert proc.returncode == 0, proc.stderr[-2000:]
    want = {e["url"] for e in expected if not e["published_at"] or e["published_at"][:10] >= since}
    assert set(article_rows(db)) == want
    assert len(want) < len(expected)
    stats = run_row(db)["stats"]
    assert stats["linfen/skipped/before_since"] > 0
    # the skipped ones were never fetched (their list-page date was enough)
    fetched = set(article_fetches(server))
    assert len(fetched) < len(expected)
    # an old article fetched anyway (its link shows no date) is a recorded reject with its day...
    old = {r["url"]: r["detail"] for r in rows(db, "SELECT url, detail FROM rejects WHERE reason = 'before_since'")}
    assert old and all(day < since for day in old.values())
    assert stats["linfen/skipped/article_before_since"] == len(old) == stats["linfen/rejects/before_since"]
    # ...which the next --since run does not fetch again, and a run without --since stores
    server.clear_requests()
    assert crawl(server, db, "--since", since).returncode == 0
    assert not set(article_fetches(server)) & {urlsplit(u).path for u in old}
    assert crawl(server, db).returncode == 0
    assert set(old) <= set(article_rows(db))
    bad = run_linfen("crawl", "lfxww", "--db", str(db), "--since", "2024-13-01")
    assert bad.returncode == 2 and "--since '2024-13-01' is not a date" in bad.stderr


# -- 2. recovery ----------------------------------------------------------------------------------------
SLOW = ["-s", "DOWNLOAD_DELAY=0.08", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"]


def start_crawl(server: DemoServer, db: Path, *extra: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "linfen_crawler.cli", "crawl", "lfxww", "--db", str(db), "-s",
            f"LINFEN_PROXY={server.url}", *FAST, *SLOW, *extra]
    return subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_for_articles(db: Path, proc: subprocess.Popen[str], n: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the crawl ended before it could be stopped"
        try:
            have = count(db, "SELECT count(*) FROM articles")
        except sqlite3.OperationalError:
            have = 0
        if have >= n:
            return have
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} articles stored after {timeout}s")


@pytest.fixture(scope="module")
def reference(crawled: Crawled) -> dict[str, dict]:
    """An uninterrupted crawl of the unchanged portal (the session's), for comparison."""
    _, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    return comparable(db)


def test_sigkill_midway_then_rerun_equals_an_uninterrupted_crawl(server, tmp_path, reference):
    db = tmp_path / "news.db"
    proc = start_crawl(server, db)
    try:
        stored = wait_for_articles(db, proc, 12)
    finally:
        proc.kill()  # SIGKILL: no close, no run record, no saved queue
        proc.communicate(timeout=30)
    assert stored < len(reference)
    (killed,) = rows(db, "SELECT * FROM crawl_runs")
    assert killed["status"] == "running"

    rerun = crawl(server, db)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "nothing to resume" not in rerun.stderr
    assert comparable(db) == reference  # identical articles, each stored once (url is the key)
    runs = rows(db, "SELECT id, status FROM crawl_runs ORDER BY id")
    assert [r["status"] for r in runs] == ["interrupted", "finished"]
    assert "early stopping off (the last run was interrupted)" in rerun.stderr
    # the killed run's raw pages are re-fetched only where missing: nothing fetched twice but list pages
    assert count(db, "SELECT count(DISTINCT url) FROM captures") >= len(reference)
    # issue 19: the WARC file the killed crawl left open was closed by the rerun, cut after its last whole
    # record, and every pointer leads to a sound record
    archive = tmp_path / "news.archive"
    assert list(archive.glob("*.warc.gz")) and not list(archive.glob("*.open"))
    verify = run_linfen("archive", "verify", "--db", str(db))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_sigint_stops_gracefully_and_resume_continues(server, tmp_path, reference):
    db = tmp_path / "news.db"
    proc = start_crawl(server, db)
    try:
        wait_for_articles(db, proc, 12)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "lfxww: interrupted (continue with `linfen crawl lfxww --resume`)" in out, err[-2000:]
    assert run_row(db)["status"] == "interrupted"
    assert (tmp_path / "news.db.jobs" / "lfxww" / "requests.queue").is_dir()
    first_requests = {r.path for r in server.requests}
    server.clear_requests()

    resumed = crawl(server, db, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert comparable(db) == reference
    assert run_row(db)["status"] == "finished"
    # it went on from the saved queue: start pages seen by the first run were not fetched again
    again = {r.path for r in server.requests} & first_requests
    assert "/linfen/shizheng/" not in again
    assert not (tmp_path / "news.db.jobs" / "lfxww").exists()  # a finished run leaves no job directory


# -- 3. run records and monitoring ----------------------------------------------------------------------
def test_run_record_holds_counts_errors_duration_and_coverage(crawled_twice):
    _, db = crawled_twice
    first, second = rows(db, "SELECT * FROM crawl_runs ORDER BY id")
    stats = json.loads(first["stats"])
    assert first["pages"] > first["articles_new"] > 0
    assert stats["duration_s"] > 0 and stats["http_errors"] == {}
    assert set(stats) >= {f"linfen/coverage/{f}" for f in ("published_at", "source", "authors", "editors")}
    assert 0.5 < stats["linfen/coverage/published_at"] <= 1
    assert stats["linfen/new_articles"] == first["articles_new"]
    assert second["status"] == "finished" and second["articles_new"] == 0  # quiet is not degraded


@pytest.fixture(scope="module")
def crawled_twice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoServer, Path]]:
    from linfen_crawler.demo.server import DemoServer

    db = tmp_path_factory.mktemp("twice") / "news.db"
    with DemoServer() as srv:
        for _ in range(2):
            proc = crawl(srv, db)
            assert proc.returncode == 0, proc.stderr[-2000:]
        yield srv, db


def test_stats_command_shows_runs_per_site_and_raw_size(crawled_twice):
    _, db = crawled_twice
    out = run_linfen("stats", "--db", str(db), "--runs", "1")
    assert out.returncode == 0, out.stderr
    runs = [line for line in out.stdout.splitlines() if re.match(r"^\d+\s+lfxww\s", line)]
    assert len(runs) == 1 and runs[0].split()[2] == "finished"
    size = r"[\d.]+ (bytes|KB|MB|GB)"  # human sizes (issue 14.12)
    assert re.search(rf"raw pages lfxww: \d+ pages, {size} stored \({size} before compression\)", out.stdout)


def test_coverage_drop_among_new_articles_degrades_the_run(server, tmp_path):
    db = tmp_path / "news.db"
    assert crawl(server, db).returncode == 0
    new_urls = server.publish(8)
    for url in new_urls:  # a "redesign": the editor line of new articles is gone
        page = server.portal.home.pages[path_of(url)]
        body = re.sub("责任编辑[:：][^<）)]*".encode("gb18030"), b"", page.body)
        body = re.sub(r"\xe8\xb4\xa3\xe4\xbb\xbb\xe7\xbc\x96\xe8\xbe\x91[:\xef\xbc\x9a][^<]*".encode("latin-1"),
                      b"", body)
        server.portal.home.pages[path_of(url)] = Page(page.status, page.content_type, body, page.headers)
    proc = crawl(server, db)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "lfxww: degraded" in proc.stdout
    assert re.search(r"WARNING: lfxww: editors found in 0% of new articles", proc.stderr)
    run = run_row(db)
    assert run["status"] == "degraded" and run["articles_new"] >= 6
    assert run["stats"]["linfen/coverage/editors"] == 0


def test_list_pages_without_article_links_degrade_the_run(server, tmp_path):
    db = tmp_path / "news.db"
    pages = server.portal.home.pages
    for path in list(pages):
        if path.endswith("/") or "index" in path:  # a redesign moved every link out of #contentText
            pages[path] = Page(200, "text/html; charset=utf-8",
                               "<html><body><div>改版中</div></body></html>".encode(), ())
    proc = crawl(server, db)
    assert proc.returncode == 1 and run_row(db)["status"] == "degraded"


# -- 4. locks -------------------------------------------------------------------------------------------
def test_second_run_of_a_site_is_refused_with_exit_3(server, tmp_path):
    db = tmp_path / "news.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from linfen_crawler.scheduled.locks import SiteLock; "
         f"SiteLock({str(db)!r}, 'lfxww').acquire(); print('held', flush=True); time.sleep(60)"],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        proc = crawl(server, db)
        assert proc.returncode == 3, proc.stderr[-2000:]
        assert re.search(r"lfxww: refused: another run of lfxww is active on .*news.db \(pid \d+ on ",
                         proc.stderr)
        assert not [r for r in server.requests if r.path != "/robots.txt"]
    finally:
        holder.kill()
        holder.wait()
    assert crawl(server, db).returncode == 0  # the lock died with its holder


def split_profiles(tmp_path: Path) -> Path:
    """Two profiles over the sample portal's sections, so two sites crawl disjoint articles."""
    text = (REPO / "linfen_crawler/profiles/lfxww.toml").read_text("utf-8")
    start = re.search(r"start_urls = \[(.*?)\]", text, re.S)
    assert start
    urls = re.findall(r'"(http[^"]+)"', start.group(1))
    folder = tmp_path / "profiles"
    folder.mkdir()
    for key, part in (("lfa", urls[:4]), ("lfb", urls[4:])):
        body = text.replace('key = "lfxww"', f'key = "{key}"').replace(
            start.group(0), "start_urls = [" + ", ".join(f'"{u}"' for u in part) + "]")
        (folder / f"{key}.toml").write_text(body, "utf-8")
    return folder


def test_concurrent_runs_of_two_sites_share_one_dataset(server, tmp_path):
    db = tmp_path / "news.db"
    env = {**os.environ, "LINFEN_PROFILE_DIRS": str(split_profiles(tmp_path)), "PYTHONUNBUFFERED": "1"}
    contention = ["-s", "LINFEN_STORE_BATCH_SIZE=1", "-s", "LINFEN_STORE_FLUSH_SECONDS=0.05"]
    procs = [subprocess.Popen([sys.executable, "-m", "linfen_crawler.cli", "crawl", key, "--db", str(db), "-s",
                               f"LINFEN_PROXY={server.url}", *FAST, *contention],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for key in ("lfa", "lfb")]
    outs = [p.communicate(timeout=240) for p in procs]
    for proc, (_, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err[-3000:]
        assert "database is locked" not in err
    both = article_rows(db)
    assert {r["site"] for r in both.values()} == {"lfa", "lfb"}
    assert set(both) == {e["url"] for e in lfxww_expected(server)}
    assert [r["status"] for r in rows(db, "SELECT status FROM crawl_runs")] == ["finished", "finished"]
    # and two sites in one process (one `linfen crawl a b`), into the same dataset again
    again = run_linfen("crawl", "lfa", "lfb", "--db", str(db), "--refresh", "-s", f"LINFEN_PROXY={server.url}",
                       *FAST, *contention, env={"LINFEN_PROFILE_DIRS": env["LINFEN_PROFILE_DIRS"]})
    assert again.returncode == 0 and "database is locked" not in again.stderr, again.stderr[-2000:]


# -- 5. politeness --------------------------------------------------------------------------------------
def user_agent_for(db: Path, **settings: str) -> str:
    """The User-Agent a crawl of lfxww into ``db`` sends with these command-line settings."""
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    from linfen_crawler.spiders.portal import PortalSpider

    base = Settings()
    base.setmodule("linfen_crawler.settings", priority="project")
    base.setdict({"LINFEN_DB": str(db), **settings}, priority="cmdline")  # the spider locks and reads its dataset
    crawler = Crawler(PortalSpider, base)
    PortalSpider.from_crawler(crawler, site="lfxww")
    return str(crawler.settings["USER_AGENT"])


def test_robots_txt_is_read_first_and_user_agent_names_a_contact(server, tmp_path):
    import linfen_crawler.settings as settings

    assert settings.ROBOTSTXT_OBEY and settings.AUTOTHROTTLE_ENABLED
    assert settings.LINFEN_CONTACT_URL in settings.USER_AGENT
    ua_db = tmp_path / "ua.db"  # the spiders built here keep its lock: the crawl below uses another dataset
    assert "https://example.org/crawler-contact" in user_agent_for(ua_db, LINFEN_CONTACT_URL="https://example.org/crawler-contact")
    # an explicit User-Agent wins
    assert user_agent_for(ua_db, LINFEN_CONTACT_URL="https://x.test", USER_AGENT="my-agent") == "my-agent"
    db = tmp_path / "news.db"
    server.portal.home.pages["/robots.txt"] = Page(
        200, "text/plain", b"User-agent: *\nDisallow: /linfen/fzsh/\n", ())
    assert crawl(server, db).returncode == 0
    paths = [r.path for r in server.requests]
    assert paths[0] == "/robots.txt"
    assert not [p for p in paths if p.startswith("/linfen/fzsh/")]


def test_httpcache_flag_serves_a_refresh_from_the_cache(server, tmp_path):
    db = tmp_path / "news.db"
    cache = ["--httpcache", "-s", f"HTTPCACHE_DIR={tmp_path / 'cache'}"]
    assert crawl(server, db, *cache).returncode == 0
    server.clear_requests()
    proc = crawl(server, db, "--refresh", *cache)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert article_fetches(server) == []
    assert run_row(db)["stats"]["httpcache/hit"] > 0


# -- 6. raw pages and reextract; 7. recheck -------------------------------------------------------------
def test_reextract_rebuilds_records_from_the_archive_without_network(dataset, tmp_path):
    from linfen_crawler.demo.server import DemoServer

    db = dataset  # a copy of the session's crawl, with its archive
    good = comparable(db)
    second = rows(db, "SELECT * FROM captures WHERE page = 2")
    assert second and second[0]["status"] == 200 and second[0]["record"] == "response"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE articles SET title = '坏标题', authors = '[]' WHERE rowid % 3 = 0")
    conn.commit()
    conn.close()
    broken = sum(1 for r in article_rows(db).values() if r["title"] == "坏标题")
    proc = run_linfen("reextract", "--db", str(db))  # the portal is gone: no network
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"{broken} updated" in proc.stdout
    assert comparable(db) == good
    assert count(db, "SELECT count(*) FROM article_versions") == broken

    db2 = tmp_path / "noraw.db"
    with DemoServer() as srv:
        assert crawl(srv, db2, "--no-raw").returncode == 0
    assert count(db2, "SELECT count(*) FROM captures") == 0
    assert not (tmp_path / "noraw.archive").exists()


def test_recheck_updates_edited_articles_and_marks_takedowns(server, tmp_path):
    db = tmp_path / "news.db"
    assert crawl(server, db).returncode == 0
    stored_before = article_rows(db)
    expected = [e for e in lfxww_expected(server) if e["url"] in stored_before]
    edited, gone = expected[2]["url"], expected[3]["url"]
    new_line = edit_article(server, expected[2])
    del server.portal.home.pages[path_of(gone)]
    server.clear_requests()
    proc = crawl(server, db, "--recheck", "36500")
    assert proc.returncode == 0, proc.stderr[-2000:]
    stored = article_rows(db)
    assert stored[gone]["removed_at"] and stored[gone]["title"] == expected[3]["title"]  # kept, marked
    assert stored[edited]["body"].startswith(new_line) and not stored[edited]["removed_at"]
    (version,) = rows(db, "SELECT url FROM article_versions")
    assert version["url"] == edited
    run = run_row(db)
    assert run["articles_updated"] == 1 and run["stats"]["articles_removed"] == 1
    assert len(article_fetches(server)) >= len([e for e in expected if e["published_at"]])


# -- 9. progress ----------------------------------------------------------------------------------------
def test_progress_line_on_a_terminal_and_log_lines_without(server, tmp_path):
    live = crawl(server, tmp_path / "a.db", "-s", "LINFEN_PROGRESS=on")  # as on a terminal
    assert live.returncode == 0, live.stderr[-2000:]
    # issue 14: rich's display (it hides the cursor while drawing), one line per site
    assert "\x1b[?25l" in live.stderr
    assert re.search(r"lfxww: \d+ pages, \d+ new, \d+ rejected, \d+ errors", live.stderr)
    plain = crawl(server, tmp_path / "b.db")  # stderr is a pipe: plain log lines
    assert "\x1b[" not in plain.stderr
    assert re.search(r"INFO: progress lfxww: \d+ pages, \d+ new, \d+ rejected, \d+ errors \(done\)", plain.stderr)
