"""`linfen demo`: the README's first command, run twice into one dataset."""

from __future__ import annotations

from conftest import article_rows, rows, run_linfen

from linfen_crawler.demo.portal import expected_articles


def test_demo_twice_same_rows_and_one_run_per_site_each_time(tmp_path):
    db = tmp_path / "demo.db"
    first = run_linfen("demo", "--db", str(db))
    assert first.returncode == 0, first.stderr[-2000:]
    assert "articles in the dataset" in first.stdout
    stored = article_rows(db)
    assert set(stored) == {e["url"] for e in expected_articles()}
    sites = {r["site"] for r in stored.values()}

    second = run_linfen("demo", "--db", str(db))
    assert second.returncode == 0, second.stderr[-2000:]
    again = article_rows(db)
    assert set(again) == set(stored)
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == len(stored)
    assert all(again[u]["content_hash"] == stored[u]["content_hash"] for u in stored)
    runs = rows(db, "SELECT site, status, articles_new FROM crawl_runs ORDER BY id")
    assert len(runs) == 2 * len(sites)
    assert {r["status"] for r in runs} == {"finished"}
    assert sum(r["articles_new"] for r in runs[len(sites):]) == 0
