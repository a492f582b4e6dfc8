"""Scheduled jobs, the pure parts: list-page verdicts, reject reasons, coverage alerts, locks, job dirs."""

from __future__ import annotations

import multiprocessing
import tracemalloc
from datetime import UTC, datetime
from typing import Any

import lxml.html
import pytest
from conftest import old_dataset

from linfen_crawler.scheduled import locks, monitor
from linfen_crawler.scheduled.locks import SiteLock, SiteLocked
from linfen_crawler.scheduled.monitor import CoverageAlert
from linfen_crawler.scheduled.plan import CrawlPlan, known_to_run, link_dates, parse_day
from linfen_crawler.storage import COVERAGE_FIELDS, SCHEMA_VERSION, Dataset


@pytest.mark.parametrize(("reason", "transient"), [
    ("no_body", False), ("not_prose", False), ("error_page", False), ("http_404", False), ("http_410", False),
    ("http_500", True), ("http_503", True), ("http_429", True), ("TimeoutError", True),
    ("ConnectionRefusedError", True), ("", True), (None, True), ("antibot_captcha", True),
    ("antibot_js_challenge", True), ("parse_error", True), ("offsite", False), ("not_html", False),
])
def test_is_transient(reason, transient):
    assert monitor.is_transient(reason) is transient


@pytest.mark.parametrize(("text", "day"), [
    ("2024-03-05", "2024-03-05"), ("2017-12-30 09:23:58 来源：临汾新闻网", "2017-12-30"),
    ("2024年3月5日", "2024-03-05"), ("2024/3/5", "2024-03-05"), ("2024-02-30", None), ("3小时前", None),
    (None, None), ("", None),
])
def test_parse_day(text, day):
    assert parse_day(text) == day


A, B, C, D, E = (f"http://www.lfxww.com/linfen/shizheng/{n}.html" for n in (4, 3, 2, 1, 5))


@pytest.mark.parametrize(("plan", "links", "dates", "fetch", "go_on"), [
    # nothing known: fetch all, page on
    (CrawlPlan(), [A, B], {}, [A, B], True),
    # some known: fetch the new, page on (the next page may hold more new ones)
    (CrawlPlan(known=frozenset({B})), [A, B], {}, [A], True),
    # all known: nothing to fetch, stop paging (early stopping)
    (CrawlPlan(known=frozenset({A, B})), [A, B], {}, [], False),
    # after an unfinished run early stopping is off: walk on
    (CrawlPlan(known=frozenset({A, B}), early_stop=False), [A, B], {}, [], True),
    # --refresh fetches known ones again and walks every page
    (CrawlPlan(known=frozenset({A, B}), refresh=True), [A, B], {}, [A, B], True),
    # --since: links dated before it are skipped; a page all older stops paging
    (CrawlPlan(since="2024-03-01"), [A, B], {A: "2024-03-02", B: "2024-02-28"}, [A], True),
    (CrawlPlan(since="2024-03-01", early_stop=False), [C, D], {C: "2024-02-01", D: "2024-01-01"}, [], False),
    # undated links are fetched (the article's own date decides)
    (CrawlPlan(since="2024-03-01"), [A], {}, [A], True),
    # known + too old on one page: nothing wanted there, stop
    (CrawlPlan(known=frozenset({A}), since="2024-03-01"), [A, B], {B: "2024-01-01"}, [], False),
    # an empty page never pages on
    (CrawlPlan(early_stop=False), [], {}, [], False),
])
def test_plan_select(plan, links, dates, fetch, go_on):
    verdict = plan.select(links, dates)
    assert verdict.fetch == fetch
    assert verdict.go_on is go_on
    assert verdict.known + verdict.too_old + len(verdict.fetch) == len(links)


@pytest.mark.parametrize(("since", "published_at", "old"), [
    ("2024-03-01", "2024-02-29T10:00:00+08:00", True), ("2024-03-01", "2024-03-01", False),
    ("2024-03-01", None, False), (None, "2000-01-01", False),
])
def test_plan_too_old(since, published_at, old):
    assert CrawlPlan(since=since).too_old(published_at) is old


def test_link_dates_reads_the_date_beside_each_link():
    doc = lxml.html.document_fromstring(
        '<div id="contentText"><ul><li><a href="/linfen/shizheng/2.html">甲</a><span>2024-03-05</span></li>'
        '<li><a href="3.html">乙</a> 2024年3月4日</li><li><a href="4.html">丙</a></li></ul></div>')
    got = link_dates(doc, "http://www.lfxww.com/linfen/shizheng/")
    assert got == {"http://www.lfxww.com/linfen/shizheng/2.html": "2024-03-05",
                   "http://www.lfxww.com/linfen/shizheng/3.html": "2024-03-04"}


@pytest.mark.parametrize(("reason", "detail", "since", "known"), [
    ("before_since", "2024-01-05", "2024-02-01", True),  # still before this run's --since
    ("before_since", "2024-01-05", "2024-01-01", False),  # an earlier --since takes it in
    ("before_since", "2024-01-05", None, False),  # a run without --since stores it
    ("before_since", None, "2024-02-01", False),  # no day recorded: fetch it again
    ("no_body", None, None, True),  # a permanent verdict
    ("http_503", None, "2024-02-01", False),  # a transient one
])
def test_known_to_run(reason, detail, since, known):
    assert known_to_run(reason, detail, since) is known


def test_plan_load_reads_known_pages_previous_status_and_recheck_window(tmp_path):
    with Dataset(tmp_path / "d.db") as ds:
        run = ds.start_run("lfxww")
        ds.upsert_articles([
            {"url": A, "site": "lfxww", "title": "t", "body": "b", "published_at": "2024-03-05T10:00:00+08:00"},
            {"url": B, "site": "lfxww", "title": "t", "body": "b", "published_at": "2024-01-05"},
            {"url": "http://other/1.html", "site": "other", "title": "t", "body": "b"},
        ], run)
        ds.add_rejects([(C, "no_body", None), (D, "http_503", None)], run)
        ds.conn.execute("UPDATE crawl_runs SET pid = 999999999 WHERE id = ?", (run,))  # a dead process
        plan = CrawlPlan.load(ds, "lfxww", recheck_days=10, now=datetime(2024, 3, 10, tzinfo=UTC))
        assert plan.known == {A, B, C}  # the transient reject is tried again; the other site's is not ours
        assert plan.previous_status == "interrupted" and not plan.early_stop
        assert [u for u, _ in plan.recheck] == [A]
        ds.finish_run(ds.start_run("lfxww"), "finished", {}, {})
        assert CrawlPlan.load(ds, "lfxww").early_stop
        ds.add_rejects([(E, "before_since", "2024-01-05")], run)
        assert E in CrawlPlan.load(ds, "lfxww", since="2024-02-01").known
        assert E not in CrawlPlan.load(ds, "lfxww").known


@pytest.mark.parametrize(("current", "history", "articles", "fields"), [
    # editors vanished from 20 new articles while the last runs had 90 %: alert
    ({"published_at": 1.0, "editors": 0.0}, [{"published_at": 1.0, "editors": 0.9}] * 3, 20, ["editors"]),
    # a small dip is normal
    ({"editors": 0.6}, [{"editors": 0.9}, {"editors": 0.8}, {"editors": 0.2}], 20, []),
    # below half of the median (0.8), not of the mean
    ({"source": 0.35}, [{"source": 0.9}, {"source": 0.8}, {"source": 0.1}], 20, ["source"]),
    # too few new articles to judge, or no history yet
    ({"editors": 0.0}, [{"editors": 0.9}], 3, []),
    ({"editors": 0.0}, [], 50, []),
])
def test_coverage_alerts(current, history, articles, fields):
    alerts = monitor.coverage_alerts(current, history, articles=articles, min_articles=5)
    assert [a.field for a in alerts] == fields


def test_coverage_alert_message_names_site_and_field():
    msg = CoverageAlert("editors", 0.0, 0.9).message("lfxww")
    assert "lfxww" in msg and "editors" in msg and "0%" in msg and "90%" in msg


def test_field_coverage_counts_non_empty_values():
    rows: list[dict[str, Any]] = [
        {"published_at": "2024-01-01", "source": "临汾日报", "authors": ["王"], "editors": []},
        {"published_at": None, "source": "", "authors": '["李"]', "editors": ["张"]}]
    assert monitor.field_coverage(rows) == {"published_at": 0.5, "source": 0.5, "authors": 1.0, "editors": 0.5}
    assert monitor.field_coverage([]) == {}


def test_http_errors_by_status():
    stats = {"downloader/response_status_count/200": 50, "downloader/response_status_count/404": 2,
             "downloader/response_status_count/503": 1, "downloader/response_count": 53}
    assert monitor.http_errors(stats) == {"404": 2, "503": 1}


def _hold_lock(db: str, ready: multiprocessing.synchronize.Event, done: multiprocessing.synchronize.Event) -> None:
    with SiteLock(db, "lfxww"):
        ready.set()
        done.wait(30)


def test_site_lock_refuses_another_process_and_is_reentrant_in_one(tmp_path):
    db = str(tmp_path / "news.db")
    ctx = multiprocessing.get_context("fork")
    ready, done = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(db, ready, done))
    proc.start()
    try:
        assert ready.wait(10)
        with pytest.raises(SiteLocked, match=r"another run of lfxww is active on .*news.db \(pid \d+"):
            SiteLock(db, "lfxww").acquire()
        with SiteLock(db, "other"):  # other sites are free
            pass
    finally:
        done.set()
        proc.join(10)
    first = SiteLock(db, "lfxww").acquire()
    second = SiteLock(db, "lfxww").acquire()  # the spider re-takes what the CLI holds
    second.release()
    assert locks.lock_path(db, "lfxww") in SiteLock._held
    first.release()
    assert locks.lock_path(db, "lfxww") not in SiteLock._held


def test_prepare_jobdir(tmp_path):
    jobdir = tmp_path / "jobs" / "lfxww"
    assert locks.prepare_jobdir(jobdir, resume=False) == "fresh" and jobdir.is_dir()
    (jobdir / "requests.seen").write_text("x")
    assert locks.prepare_jobdir(jobdir, resume=True) == "not_resumable"  # a hard kill saves no queue
    assert not (jobdir / "requests.seen").exists()
    (jobdir / "requests.queue").mkdir()
    (jobdir / "requests.queue" / "active.json").write_text("[]")
    assert locks.prepare_jobdir(jobdir, resume=True) == "resumed"
    assert (jobdir / "requests.queue" / "active.json").exists()
    locks.finish_jobdir(jobdir, "interrupted")
    assert jobdir.exists()
    locks.finish_jobdir(jobdir, "finished")
    assert not jobdir.exists()


def test_version_1_dataset_upgrades_without_loss(tmp_path):
    """A dataset written before the raw_pages/removed_at migration opens and keeps its rows."""
    path = tmp_path / "old.db"
    conn = old_dataset(path, 1)
    conn.execute("INSERT INTO articles (url, site, title) VALUES ('http://x/1.html', 'lfxww', '旧')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Dataset(path) as ds:
        assert ds.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert ds.conn.execute("SELECT title, removed_at FROM articles").fetchall() == [("旧", None)]
        assert ds.conn.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 0


def test_progress_counts_and_text():
    from linfen_crawler.extensions.progress import progress_counts, progress_text

    stats = {"downloader/response_count": 120, "linfen/articles_new": 30, "linfen/rejects/no_body": 2,
             "linfen/errors/article/http_404": 1, "linfen/errors/list/TimeoutError": 2}
    counts = progress_counts(stats)
    assert counts == {"pages": 120, "new": 30, "rejects": 2, "errors": 3}
    assert progress_text("lfxww", counts) == "lfxww: 120 pages, 30 new, 2 rejected, 3 errors"


def test_watched_fields_are_coverage_fields():
    """The run monitor watches some of the dataset's coverage fields (storage.COVERAGE_FIELDS, the one list)."""


    assert set(monitor.WATCHED_FIELDS) <= set(COVERAGE_FIELDS)
    assert set(monitor.CoverageCounter().present) == set(monitor.WATCHED_FIELDS)


def test_plan_load_holds_the_known_urls_once(tmp_path):
    """Issue 16: a plan of many known URLs peaks at little more than what it keeps (the URLs and one frozen
    set): the stored URLs and the rejects go into one set, frozen once, with no union copied in between."""
    n = 40_000
    with Dataset(tmp_path / "d.db") as ds:
        run = ds.start_run("lfxww")
        with ds.transaction() as cur:  # plain inserts: the plan reads url and site only
            cur.executemany("INSERT INTO articles (url, site) VALUES (?, 'lfxww')",
                            ((f"http://www.lfxww.com/linfen/shizheng/{100000 + i}.html",) for i in range(n)))
        ds.add_rejects([(f"http://www.lfxww.com/linfen/tp/{i}.html", "no_body", None) for i in range(n // 4)], run)
        ds.finish_run(run, "finished", {}, {})
        tracemalloc.start()
        try:
            plan = CrawlPlan.load(ds, "lfxww")
            held, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(plan.known) == n + n // 4
    assert peak < 1.6 * held, (peak, held)  # 1.5 times; a union and a second copy made it 1.8 times
