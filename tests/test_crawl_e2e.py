"""End-to-end: the real Scrapy engine crawls the sample portal on 127.0.0.1 into a real SQLite file."""

from __future__ import annotations

import json

from conftest import REPO, SHARED, article_rows, crawl, rows, run_linfen

FIELDS = ("title", "published_at", "source", "authors", "editors", "body", "section")


def test_crawl_stores_every_sample_article_field_for_field(crawled):
    server, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-3000:]
    stored = article_rows(db)
    expected = server.portal.expected_articles(site="lfxww")
    assert len(expected) >= 60
    missing = [e["url"] for e in expected if e["url"] not in stored]
    assert not missing, f"not stored: {missing}"
    wrong = []
    for exp in expected:
        got = stored[exp["url"]]
        for field in FIELDS:
            if got[field] != exp[field]:
                wrong.append((exp["url"], field, got[field], exp[field]))
    assert not wrong, "\n".join(f"{u} {f}: got {g!r}, want {w!r}" for u, f, g, w in wrong[:10])
    # nothing but the expected articles, each exactly once, with provenance
    assert set(stored) == {e["url"] for e in expected}
    assert all(r["site"] == "lfxww" and r["site_name"] == "临汾新闻网" and r["run_id"] for r in stored.values())
    assert all(r["content_hash"] and r["crawled_at"] and r["first_seen_at"] for r in stored.values())


def test_seed_article_row_equals_the_expected_record(crawled):
    _, db, _ = crawled
    expected = json.loads((REPO / "linfen_crawler/demo/seed-93512.expected.json").read_text("utf-8"))
    if (SHARED / "seed-article.expected.json").exists():
        assert expected == json.loads((SHARED / "seed-article.expected.json").read_text("utf-8"))
    row = article_rows(db)[expected["url"]]
    assert {k: row[k] for k in expected} == expected


def test_non_article_pages_are_rejected_with_a_reason_not_stored(crawled):
    server, db, _ = crawled
    urls = server.portal.non_article_urls()
    assert urls
    rejects = {r["url"]: r for r in rows(db, "SELECT * FROM rejects")}
    for url in urls:
        assert url in rejects, f"{url} neither stored nor rejected"
        assert rejects[url]["reason"] in ("no_body", "not_prose", "no_title", "error_page", "empty_page")
    assert not set(urls) & set(article_rows(db))


def test_run_record_counts_the_crawl(crawled):
    server, db, _ = crawled
    (run,) = rows(db, "SELECT * FROM crawl_runs")
    assert run["status"] == "finished" and run["site"] == "lfxww" and run["finished_at"]
    assert run["articles_new"] == len(server.portal.expected_articles(site="lfxww"))
    assert run["rejects"] == len(rows(db, "SELECT * FROM rejects"))
    fetched = [r for r in server.requests if r.status == 200 and not r.path.startswith("/__")]
    assert run["pages"] >= len(fetched) > run["articles_new"]
    stats = json.loads(run["stats"])
    assert stats["linfen/article_pages"] >= run["articles_new"] + run["rejects"]


def test_multi_page_article_is_merged_into_one_row(crawled):
    server, db, _ = crawled
    stored = article_rows(db)
    assert not [u for u in stored if u.rsplit("/", 1)[-1].count("_")], "a later page stored as its own row"
    paths = {r.path for r in server.requests}
    assert any(p.endswith("_3.html") for p in paths), "the third page of the multi-page article was not fetched"


def test_crawl_stays_on_the_profile_domains(crawled):
    server, _, _ = crawled
    assert {r.host.split(":")[0] for r in server.requests} <= {"www.lfxww.com", "lfxww.com"}


def test_recrawl_updates_in_place_and_adds_a_run(server, tmp_path):
    db = tmp_path / "news.db"
    first = crawl(server, db)
    assert first.returncode == 0, first.stderr[-2000:]
    before = article_rows(db)
    second = crawl(server, db, "--refresh")  # without --refresh a re-run skips known articles (issue 4)
    assert second.returncode == 0, second.stderr[-2000:]
    after = article_rows(db)
    assert set(after) == set(before)
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == len(before)
    runs = rows(db, "SELECT * FROM crawl_runs ORDER BY id")
    assert [r["status"] for r in runs] == ["finished", "finished"]
    assert runs[1]["articles_new"] == 0
    assert all(after[u]["first_seen_at"] == before[u]["first_seen_at"] for u in after)
    assert all(after[u]["run_id"] == runs[1]["id"] for u in after)


def test_scrapy_crawl_alias_writes_the_same_dataset(server, tmp_path):
    import subprocess
    import sys

    db = tmp_path / "scrapy.db"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "lfxww", "-s", f"LINFEN_DB={db}", "-s",
         f"LINFEN_PROXY={server.url}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
         "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stored = article_rows(db)
    assert set(stored) == {e["url"] for e in server.portal.expected_articles(site="lfxww")}


def test_demo_command_builds_the_demo_dataset(tmp_path):
    db = tmp_path / "demo.db"
    proc = run_linfen("demo", "--db", str(db))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "articles in the dataset" in proc.stdout
    from linfen_crawler.demo.portal import expected_articles

    assert set(article_rows(db)) == {e["url"] for e in expected_articles()}


def test_shared_seed_page_is_served_unchanged(server):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "http://www.lfxww.com/linfen/djll/93512.html")  # as the crawler asks, through the proxy
    served = conn.getresponse().read()
    conn.close()
    packaged = (REPO / "linfen_crawler/demo/seed-93512.html").read_bytes()
    assert served == packaged
    page = SHARED / "seed-page.html"
    if page.exists():  # ../shared is beside the clone in CI; the packaged copy must be the same bytes
        assert served == page.read_bytes()


def test_no_spider_callback_is_a_generator_returning_a_value():
    """WARN_ON_GENERATOR_RETURN_VALUE is off in settings.py (Scrapy re-parses the source for every response);
    this is the check it made, once, for every callback of our spiders."""
    import inspect

    from scrapy.utils.misc import is_generator_with_return_value

    import linfen_crawler.settings as settings
    from linfen_crawler.spiders.portal import PortalSpider

    assert settings.WARN_ON_GENERATOR_RETURN_VALUE is False
    callbacks = [f for name, f in inspect.getmembers(PortalSpider, inspect.isfunction)
                 if name.startswith(("parse", "on_", "continue_"))]
    assert len(callbacks) >= 4
    for func in callbacks:
        assert not is_generator_with_return_value(func), func.__name__
