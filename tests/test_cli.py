"""The CLI on real files: check, export, stats, sites, and one-line errors with exit code 2; what a command loads."""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import REPO, SHARED, run_linfen

from linfen_crawler.cli import main
from linfen_crawler.storage import Dataset

SEED_PAGE = REPO / "linfen_crawler/demo/seed-93512.html"
SEED_EXPECTED = json.loads((REPO / "linfen_crawler/demo/seed-93512.expected.json").read_text("utf-8"))


def invoke(*args: str) -> Result:
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
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
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


# -- issue 12/16: the analyst commands start without the crawl machinery --------------------------------
CRAWL_ONLY = ("scrapy", "twisted", "redis", "scrapy_redis", "linfen_crawler.distributed", "linfen_crawler.runner",
              "linfen_crawler.spiders", "linfen_crawler.pipelines", "linfen_crawler.commands.crawl")

# runs the real group with the given arguments, then writes what it imported to $MODULES_OUT
_RUN_AND_LIST_MODULES = """
import json, os, sys
from linfen_crawler.cli import main
try:
    main(sys.argv[1:], prog_name="linfen")
except SystemExit as exc:
    code = exc.code
with open(os.environ["MODULES_OUT"], "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""


@pytest.mark.parametrize("args", [
    ["stats", "--db", "{db}"],
    ["search", "临汾", "--db", "{db}", "--format", "json"],
    ["export", "--db", "{db}", "-o", "{tmp}/out.csv", "--no-meta"],
    ["dedupe", "--db", "{db}"],
    ["serve", "--db", "{db}", "--metadata-out", "{tmp}/meta.json"],
    ["sites"],
], ids=lambda a: a[0])
def test_analyst_commands_load_neither_scrapy_twisted_nor_distributed(small_db, tmp_path, args):
    out = tmp_path / "modules.json"
    args = [a.format(db=small_db, tmp=tmp_path) for a in args]
    proc = subprocess.run([sys.executable, "-c", _RUN_AND_LIST_MODULES, *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "MODULES_OUT": str(out)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["code"] == 0, proc.stderr  # the command really ran
    loaded = [m for m in result["modules"] if any(m == c or m.startswith(c + ".") for c in CRAWL_ONLY)]
    assert loaded == []


# issue 16: what search, stats and export start with. numpy (dedupe's hashing), pandas (which sqlite-utils imports
# when it is installed) and lxml/re2 (profiles) cost 0.6 s together; these commands use none of them.
ANALYST_NEVER = (*CRAWL_ONLY, "numpy", "pandas", "sqlite_utils", "lxml", "re2", "pyarrow", "matplotlib", "datasette",
                 "xlsxwriter", "linfen_crawler.profiles", "linfen_crawler.extract", "linfen_crawler.report",
                 "tempfile", "bz2", "lzma")  # tempfile brings shutil, bz2 and lzma: 11 ms (XLSX and serve need it)


@pytest.mark.parametrize("args", [
    ["search", "临汾", "--db", "{db}", "--limit", "3"],
    ["stats", "--db", "{db}"],
    ["export", "--db", "{db}", "-o", "{tmp}/out.csv"],
    ["export", "--db", "{db}", "--format", "jsonl", "-o", "-"],
], ids=lambda a: "-".join(a[:1] + a[4:5]))
def test_search_stats_export_import_only_what_they_use(small_db, tmp_path, args):
    """The real command in a fresh interpreter under ``-X importtime``, which lists every module it imported."""
    args = [a.format(db=small_db, tmp=tmp_path) for a in args]
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "linfen_crawler.cli", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "linfen_crawler.storage" in imported and "click" in imported  # the listing is real
    assert sorted(m for m in imported if any(m == c or m.startswith(c + ".") for c in ANALYST_NEVER)) == []


def _imports(path: Path) -> Iterator[tuple[str, bool]]:
    """(module imported, inside a function?) for every import of the package's own modules or click in ``path``."""
    tree = ast.parse(path.read_text("utf-8"))
    local = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
             for n in ast.walk(f)}
    for node in ast.walk(tree):
        names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        for name in names:
            if name.startswith(("linfen_crawler", "click")):
                yield name, id(node) in local


CLI_FILES = [REPO / "linfen_crawler/cli.py", REPO / "linfen_crawler/runner.py",
             *sorted((REPO / "linfen_crawler/commands").glob("*.py"))]


@pytest.mark.parametrize("path", CLI_FILES, ids=lambda p: p.name)
def test_command_modules_import_down_only_and_at_the_top(path):
    imports = list(_imports(path))
    assert imports or path.name == "__init__.py"
    assert [name for name, local in imports if local] == []  # a function-local import hides a cycle
    if path.name != "cli.py":  # commands and the runner never reach up into the group
        assert [name for name, _ in imports if name == "linfen_crawler.cli"] == []
    if path.name == "runner.py":  # starting a crawl needs no command line
        assert [name for name, _ in imports if name.startswith(("linfen_crawler.commands", "click"))] == []


@pytest.mark.parametrize(("content", "reason", "detail"), [
    (b"", "empty_page", "empty"),
    (b" \n\t\n", "empty_page", "white space"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "not_html", "binary"),
    (b"PK\x03\x04\x14\x00\x00\x00" + b"\x00\xff" * 600, "not_html", "binary"),
], ids=["empty", "blank", "png", "zip"])
def test_check_gives_one_record_for_a_page_that_is_no_article(tmp_path, content, reason, detail):
    """Issue 15.7: one record per page, also for an empty or binary file, naming why it is no article."""
    page = tmp_path / "page.html"
    page.write_bytes(content)
    proc = run_linfen("check", str(page), "--json")
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    record = json.loads(line)
    assert record["file"] == str(page)
    assert record["not_article"] == record["reject"] == reason
    assert detail in record["detail"] and record["body"] is None and record["title"] is None
    text = run_linfen("check", str(page))
    assert text.returncode == 0 and text.stdout.startswith(f"== {page}\n"), text.stdout
    assert f"not_article   {reason}\n" in text.stdout


def test_check_of_an_article_says_it_is_one():
    proc = run_linfen("check", str(SEED_PAGE), "--site", "lfxww", "--json")
    record = json.loads(proc.stdout)
    assert record["not_article"] is None and record["reject"] is None and record["detail"] is None
