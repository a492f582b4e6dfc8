"""`linfen report`: a self-contained HTML page and PNG charts from a real crawl; the time buckets."""

from __future__ import annotations

import html
import re

import pytest
from conftest import article_rows, run_linfen

from linfen_crawler.report import _setup, cjk_font, timeline, timeline_figure
from linfen_crawler.storage import COVERAGE_FIELDS, Dataset

pytest.importorskip("matplotlib")

PNG = b"\x89PNG\r\n\x1a\n"
# the sample crawl spans years: its timeline is per month, and its file says so
CHARTS = ("articles_per_site_per_month.png", "top_sources.png", "top_authors.png")


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
    assert sorted(p.name for p in out.glob("*.png")) == sorted(CHARTS)  # no per-day file, no coverage chart
    page = (out / "index.html").read_text("utf-8")
    assert page.count('src="data:image/png;base64,') == len(CHARTS)
    assert not re.search(r'src="(?!data:)', page)  # nothing to fetch: one file to mail around
    stored = article_rows(db)
    assert f"{len(stored)} 篇文章 articles" in page
    for heading in ("Field coverage", "Top sources", "Top authors", "Syndicated copies", "Articles per site per"):
        assert heading in page
    assert "临汾日报" in page
    assert ("No Chinese font" in page) is (cjk_font() is None)  # .ci/run installs fonts-wqy-microhei
    assert "Articles per site per month" in page


def test_report_links_syndicated_copies_and_marks_low_coverage(crawled, tmp_path):
    _, db, _ = crawled
    out = tmp_path / "report"
    assert run_linfen("report", "--db", str(db), "-o", str(out)).returncode == 0
    page = (out / "index.html").read_text("utf-8")
    stored = article_rows(db)
    copies = [u for u, r in stored.items() if r["duplicate_of"]]
    assert copies
    links = {html.unescape(h) for h in re.findall(r'<a href="([^"]+)"', page)}
    for url in copies:  # every copy and the earliest one it copies are links
        assert url in links and stored[url]["duplicate_of"] in links
    assert links <= set(stored)  # links only to stored articles
    # coverage is a table with the thin fields marked, not a chart repeating it
    with Dataset(db) as ds:
        coverage = ds.field_coverage()
    low = sum(1 for c in coverage for f in COVERAGE_FIELDS if (c[f] or 0) < 0.9)
    assert low and page.count("<td class='low'>") == low
    assert "field_coverage.png" not in page


def test_timeline_legend_names_sites_as_readers_know_them():
    plt, _ = _setup()
    fig = timeline_figure(plt, "day", ["2024-01-01"], {"lfxww": {"2024-01-01": 2}, "jcnews": {"2024-01-01": 1}},
                          {"lfxww": "临汾新闻网", "jcnews": "晋城新闻网"})
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    assert legend == ["晋城新闻网", "临汾新闻网"]


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
