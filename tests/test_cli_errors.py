"""Bad input to the CLI and to profiles (issue 5): one line naming the problem, exit code 2, no traceback,
nothing written. Every case runs the real `linfen` in a subprocess."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import crawl, rows, run_linfen

from linfen_crawler.storage import SCHEMA_VERSION, Dataset


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


GOOD = """key = "{key}"
name = "测试网"
domains = ["example.test"]
start_urls = ["http://www.example.test/news/"]
"""


@pytest.mark.parametrize(("toml", "needles"), [
    ('key = "broken"\nname = "坏了\n', ("broken.toml", "malformed TOML")),
    (GOOD.format(key="badxpath") + '[article]\ntitle = "//h1[@class=\'x\'"\n',
     ("badxpath.toml", "[article] title", "invalid XPath")),
    (GOOD.format(key="badregex") + '[list]\narticle_url = "/news/(\\\\d+.html"\n',
     ("badregex.toml", "[list] article_url", "invalid regular expression")),
    (GOOD.format(key="badkey") + 'colour = "red"\n', ("badkey.toml", "colour", "unknown key")),
    (GOOD.format(key="badtz") + 'timezone = "Mars/Olympus"\n', ("badtz.toml", "unknown time zone")),
])
def test_a_bad_profile_is_named_and_nothing_is_written(tmp_path, toml, needles):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    name = needles[0]
    (profiles / name).write_text(toml, encoding="utf-8")
    env = {"LINFEN_PROFILE_DIRS": str(profiles)}
    key = name.removesuffix(".toml")
    db = tmp_path / "data" / "news.db"
    assert_one_line_error(run_linfen("crawl", key, "--db", str(db), env=env), *needles)
    assert_one_line_error(run_linfen("sites", env=env), *needles)
    assert files(tmp_path) == ["profiles", f"profiles/{name}"]


def test_unknown_site(tmp_path):
    db = tmp_path / "news.db"
    assert_one_line_error(run_linfen("crawl", "nosuchsite", "--db", str(db)), "unknown site 'nosuchsite'", "lfxww")
    assert not db.exists()


@pytest.mark.parametrize("content", [b"url,title\nhttp://x,y\n" * 50, b"SQLite format 3\x00" + b"\x07" * 3000])
@pytest.mark.parametrize("command", [["crawl", "lfxww"], ["stats"], ["search", "临汾"],
                                     ["export", "--format", "csv", "-o", "{out}"]])
def test_a_file_that_is_no_dataset_is_refused_and_untouched(tmp_path, content, command):
    db = tmp_path / "notes.db"
    db.write_bytes(content)
    out = tmp_path / "out.csv"
    args = [a.replace("{out}", str(out)) for a in command]
    assert_one_line_error(run_linfen(*args, "--db", str(db)), str(db), "not a linfen dataset")
    assert db.read_bytes() == content
    assert files(tmp_path) == ["notes.db"]


def test_a_newer_dataset_is_refused(tmp_path):
    db = tmp_path / "news.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 7}")
    conn.commit()
    conn.close()
    before = digest(db)
    for args in (["crawl", "lfxww"], ["stats"]):
        assert_one_line_error(run_linfen(*args, "--db", str(db)), f"schema version {SCHEMA_VERSION + 7}",
                              "upgrade linfen-crawler")
    assert digest(db) == before


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """A folder nobody may write in, root included (root ignores modes: use the immutable flag)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: cannot make a read-only folder")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    with read_only_folder(ro):
        proc = run_linfen("crawl", "lfxww", "--db", str(ro / "news.db"))
        listing = files(ro)
    assert_one_line_error(proc, str(ro / "news.db"), "not writable")
    assert listing == []


@pytest.mark.parametrize(("args", "needles"), [
    (["export", "--since", "2024-13-01", "-o", "{out}"], ("--since", "2024-13-01", "not a date")),
    (["export", "--until", "yesterday", "-o", "{out}"], ("--until", "'yesterday'")),
    (["search", "临汾", "--since", "15/03/2024"], ("--since",)),
    (["export", "--format", "xml", "-o", "{out}"], ("'xml'", "linfen_crawler.cli export -h")),
    (["export", "--columns", "url,colour", "-o", "{out}"], ("unknown column 'colour'",)),
    (["export", "--format", "jsonl", "--excel", "-o", "{out}"], ("--excel",)),
    (["search", "临汾", "--limit", "0"], ("--limit",)),
    (["crawl", "lfxww", "-s", "DOWNLOAD_TIMEOUT=soon"], ("DOWNLOAD_TIMEOUT", "a number")),
    (["crawl", "lfxww", "-s", "ROBOTSTXT_OBEY=perhaps"], ("ROBOTSTXT_OBEY", "true or false")),
    (["crawl", "lfxww", "-s", "NOEQUALSSIGN"], ("NAME=VALUE",)),
    (["crawl"], ("name at least one site",)),
    (["nosuchcommand"], ("No such command",)),
])
def test_bad_options_and_values(tmp_path, args, needles):
    db = tmp_path / "news.db"
    Dataset(db).close()
    before = files(tmp_path)
    out = tmp_path / "out.csv"
    proc = run_linfen(*[a.replace("{out}", str(out)) for a in args], "--db", str(db))
    assert_one_line_error(proc, *needles)
    assert files(tmp_path) == before  # no export file, no new dataset, no lock left behind


def test_export_never_overwrites_without_force(tmp_path):
    db = tmp_path / "news.db"
    with Dataset(db) as ds:
        ds.upsert_articles([{"url": "http://www.lfxww.com/a/1.html", "site": "lfxww", "title": "临汾新闻",
                             "body": "正文" * 20}], None)
    out = tmp_path / "articles.csv"
    out.write_text("my precious spreadsheet\n", encoding="utf-8")
    assert_one_line_error(run_linfen("export", "-o", str(out), "--db", str(db)), str(out), "--force")
    assert out.read_text(encoding="utf-8") == "my precious spreadsheet\n"
    assert files(tmp_path) == ["articles.csv", "news.db"]
    ok = run_linfen("export", "-o", str(out), "--force", "--db", str(db))
    assert ok.returncode == 0, ok.stderr
    assert "临汾新闻" in out.read_text(encoding="utf-8")


def test_a_missing_folder_is_created_and_the_crawl_runs(tmp_path, server):
    """Issue 15.6: `--db nodir/news.db` is not an error: the folder is created at once, as Dataset does, and
    the crawl runs (what took 45 s in the report was the unreachable site, not the path)."""
    db = tmp_path / "nodir" / "deeper" / "news.db"
    proc = crawl(server, db, site="sxycrb")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] > 0
    names = {p.name for p in db.parent.iterdir()}
    assert "news.db" in names and names <= {"news.db", "news.db-wal", "news.db-shm", "news.db.locks", "news.db.jobs",
                                            "news.archive"}  # issue 19: the web archive beside the dataset
    assert [p for p in tmp_path.iterdir()] == [tmp_path / "nodir"]  # everything went where --db said


@pytest.mark.parametrize(("db", "env", "needles"), [
    ("", None, ("--db", "empty")),
    ("nodir/", None, ("--db", "'nodir/' is a folder", "nodir/news.db")),
    (".", None, ("--db", "'.' is a folder")),
    (None, "nodir/", ("$LINFEN_DB", "'nodir/' is a folder")),
])
def test_a_dataset_path_that_names_no_file_is_refused_at_once(tmp_path, db, env, needles):
    """Issue 15.6: a --db (or $LINFEN_DB) that cannot be a dataset file fails in one line before anything is
    written: `--db ''` crawled into data/news.db, `--db nodir/` made a *file* named nodir."""
    args = ["crawl", "sxycrb", "-s", "LINFEN_PROXY=http://127.0.0.1:9", *([] if db is None else ["--db", db])]
    proc = run_linfen(*args, cwd=tmp_path, env={"LINFEN_DB": env} if env is not None else {"LINFEN_DB": ""},
                      timeout=120)
    assert_one_line_error(proc, *needles)
    assert files(tmp_path) == []
