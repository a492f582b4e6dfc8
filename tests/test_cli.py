"""The CLI on real files: check, export, stats, sites, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from conftest import REPO, SHARED, run_linfen

from linfen_crawler.cli import main
from linfen_crawler.storage import Dataset

SEED_PAGE = REPO / "linfen_crawler/demo/seed-93512.html"
SEED_EXPECTED = json.loads((REPO / "linfen_crawler/demo/seed-93512.expected.json").read_text("utf-8"))


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_seed_page_prints_the_expected_record():
    # the exact acceptance command, through the installed entry point
    page = SHARED / "seed-page.html" if (SHARED / "seed-page.html").exists() else SEED_PAGE
    proc = run_linfen("check", str(page), "--site", "lfxww", "--json")
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    record = json.loads(line)
    assert {k: record[k] for k in SEED_EXPECTED} == SEED_EXPECTED
    assert record["file"] == str(page) and record["section"] == "党建"


def test_check_generic_mode_and_directories(tmp_path):
    (tmp_path / "a.html").write_bytes(SEED_PAGE.read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.htm").write_bytes(SEED_PAGE.read_bytes())
    (tmp_path / "notes.txt").write_text("not a page")
    result = invoke("check", str(tmp_path), "--generic", "--site", "lfxww", "--json")
    records = [json.loads(x) for x in result.output.splitlines()]
    assert [r["file"].rsplit("/", 1)[-1] for r in records] == ["a.html", "b.htm"]
    for r in records:
        assert set(r["extractor"].values()) == {"generic"}
        assert {k: r[k] for k in ("title", "published_at", "authors", "editors", "body")} == {
            k: SEED_EXPECTED[k] for k in ("title", "published_at", "authors", "editors", "body")}


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "news.db"
    with Dataset(path) as ds:
        ds.upsert_articles([
            {"url": f"http://www.lfxww.com/linfen/shizheng/{i}.html", "site": "lfxww", "title": f"临汾新闻{i}",
             "body": "第一段,临汾。\n第二段", "published_at": f"2024-03-{i:02d}", "authors": ["王长波", "李四"],
             "editors": ["付基恒"]} for i in range(1, 11)], run_id=None)
    return path


def test_export_csv_excel_has_bom_and_all_rows(small_db, tmp_path):
    out = tmp_path / "a.csv"
    result = invoke("export", "--db", str(small_db), "--format", "csv", "--excel", "-o", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    with Dataset(small_db) as ds:
        assert len(table) == ds.count("articles") == 10
    assert table[0]["authors"] == "王长波、李四" and table[0]["body"] == "第一段,临汾。\n第二段"


def test_export_jsonl_with_filters_and_columns(small_db, tmp_path):
    out = tmp_path / "a.jsonl"
    result = invoke("export", "--db", str(small_db), "--format", "jsonl", "--since", "2024-03-03",
                    "--until", "2024-03-05", "--columns", "url,authors", "-o", str(out))
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert [x["url"].rsplit("/", 1)[1] for x in lines] == ["3.html", "4.html", "5.html"]
    assert lines[0] == {"url": "http://www.lfxww.com/linfen/shizheng/3.html", "authors": ["王长波", "李四"]}


def test_export_refuses_to_overwrite_without_force(small_db, tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("precious")
    result = invoke("export", "--db", str(small_db), "-o", str(out))
    assert result.exit_code == 2 and "exists; use --force" in result.output
    assert out.read_text() == "precious"
    assert invoke("export", "--db", str(small_db), "-o", str(out), "--force").exit_code == 0
    assert out.read_text("utf-8").startswith("url,site")


@pytest.mark.parametrize(("args", "message"), [
    (["crawl", "nosuchsite"], "unknown site 'nosuchsite'"),
    (["crawl"], "name at least one site"),
    (["export", "--db", "{missing}", "-o", "{out}"], "no dataset at"),
    (["export", "--db", "{db}", "--since", "2024-13-01", "-o", "{out}"], "--since '2024-13-01' is not a date"),
    (["export", "--db", "{db}", "--columns", "url,nope", "-o", "{out}"], "unknown column 'nope'"),
    (["export", "--db", "{db}", "--format", "jsonl", "--excel", "-o", "{out}"], "--excel applies to"),
    (["stats", "--db", "{junk}"], "is not a linfen dataset"),
    (["check", "{missing}"], "no such file"),
])
def test_bad_input_is_one_line_exit_2_no_traceback(small_db, tmp_path, args, message):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00not sqlite" * 300)
    args = [a.format(missing=tmp_path / "missing.db", out=tmp_path / "o.csv", db=small_db, junk=junk) for a in args]
    proc = run_linfen(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "missing.db").exists()


def test_stats_and_sites(small_db):
    result = invoke("stats", "--db", str(small_db))
    assert result.exit_code == 0
    assert "lfxww" in result.output and "100%" in result.output
    # articles per site and day: the latest 7 publish days of the 10 (one article each)
    days = [line.split() for line in result.output.splitlines() if line.startswith("2024-03-")]
    assert days == [[f"2024-03-{d:02d}", "1"] for d in range(4, 11)]
    assert len([x for x in invoke("stats", "--db", str(small_db), "--days", "2").output.splitlines()
                if x.startswith("2024-03-")]) == 2
    sites = [json.loads(x) for x in invoke("sites", "--json").output.splitlines()]
    assert any(s["key"] == "lfxww" and s["name"] == "临汾新闻网" for s in sites)
