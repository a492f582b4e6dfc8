"""`linfen report`: a self-contained HTML page and PNG charts from a real crawl; the time buckets."""

from __future__ import annotations

import re

import pytest
from conftest import article_rows, run_linfen

from linfen_crawler.report import cjk_font, timeline
from linfen_crawler.storage import Dataset

pytest.importorskip("matplotlib")

PNG = b"\x89PNG\r\n\x1a\n"
CHARTS = ("articles_per_site_per_day.png", "field_coverage.png", "top_sources.png", "top_authors.png")


def test_report_writes_self_contained_html_and_pngs(crawled, tmp_path):
    _, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = tmp_path / "report"
    res = run_linfen("report", "--db", str(db), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == f"report written to {out / 'index.html'}"
    for name in CHARTS:
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, name
    page = (out / "index.html").read_text("utf-8")
    assert page.count('src="data:image/png;base64,') == len(CHARTS)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing to fetch: one file to mail around
    stored = article_rows(db)
    assert f"{len(stored)} 篇文章 articles" in page
    for heading in ("Field coverage", "Top sources", "Top authors", "Syndicated copies", "Articles per site per"):
        assert heading in page
    assert "临汾日报" in page
    assert ("No Chinese font" in page) is (cjk_font() is None)  # .ci/run installs fonts-wqy-microhei
    dup = next(r for r in stored.values() if r["duplicate_of"])
    assert dup["duplicate_of"] in page


@pytest.mark.parametrize(("rows", "unit", "keys", "series"), [
    ([("a", "2024-01-01", 2), ("b", "2024-01-03", 1), ("a", "2024-01-03", 1)], "day",
     ["2024-01-01", "2024-01-02", "2024-01-03"], {"a": {"2024-01-01": 2, "2024-01-03": 1}, "b": {"2024-01-03": 1}}),
    ([("a", "2023-11-30", 1), ("a", "2024-02-01", 3), ("a", "2024-02-20", 1)], "day", None, None),
    ([("a", "2011-03-21", 1), ("a", "2011-06-01", 2), ("a", "2011-08-15", 1)], "month",
     ["2011-03", "2011-04", "2011-05", "2011-06", "2011-07", "2011-08"], {"a": {"2011-03": 1, "2011-06": 2,
                                                                              "2011-08": 1}}),
    ([("a", "bad", 1)], "day", [], {}),
])
def test_timeline_buckets_fill_the_gaps(rows, unit, keys, series):
    got_unit, got_keys, got_series = timeline(rows)
    assert got_unit == unit
    if keys is not None:
        assert got_keys == keys and got_series == series
    else:
        assert len(got_keys) == 83  # 2023-11-30 .. 2024-02-20, every day


def test_report_on_an_empty_dataset_is_a_one_line_error(tmp_path):
    Dataset(tmp_path / "empty.db").close()
    res = run_linfen("report", "--db", str(tmp_path / "empty.db"), "-o", str(tmp_path / "r"))
    assert res.returncode == 2 and "has no articles yet" in res.stderr
