"""`linfen crawl --jobs N`: sites crawled in worker processes, one site per process, into one dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST, REPO, rows, run_linfen

from linfen_crawler.demo.portal import Page, Portal
from linfen_crawler.demo.server import DemoHandler, DemoServer
from linfen_crawler.runner import run_sites
from linfen_crawler.writer import auto_mode


def test_the_runner_loads_no_command_module() -> None:
    """A --jobs worker process imports the runner, not the command line (issue 12). (click itself is loaded by
    sqlite-utils, under storage; the runner does not import it: tests/test_cli.py reads its imports.)"""
    code = ("import json, sys, linfen_crawler.runner; "
            "print(json.dumps([m for m in sys.modules if m == 'linfen_crawler.cli' "
            "or m.startswith('linfen_crawler.commands')]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


# -- run_sites with a stand-in runner: scheduling only, no Scrapy -------------------------------------


def _runner(log: Path, fail: str = "") -> Any:
    def run(sites: list[str], db: str, overrides: dict[str, Any], per_site: Any) -> dict[str, str]:
        start = time.monotonic()
        if fail in sites:
            raise RuntimeError("boom")
        time.sleep(0.3)
        with open(log, "a") as fh:
            fh.write(json.dumps({"sites": sites, "pid": os.getpid(), "start": start, "end": time.monotonic(),
                                 "per_site": per_site, "writer": overrides.get("LINFEN_STORE_WRITER")}) + "\n")
        return dict.fromkeys(sites, "finished")

    return run


def _log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_site_runs_in_its_own_worker_at_most_jobs_at_a_time(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    sites = ["a", "b", "c"]
    statuses = run_sites(sites, "x.db", {}, {"b": {"JOBDIR": "jb"}}, jobs=2, runner=_runner(log))
    assert statuses == dict.fromkeys(sites, "finished")
    runs = _log(log)
    assert sorted(r["sites"][0] for r in runs) == sites and all(len(r["sites"]) == 1 for r in runs)
    assert len({r["pid"] for r in runs}) == 3 and os.getpid() not in {r["pid"] for r in runs}
    for r in runs:  # when a crawl starts, at most one other is running
        assert sum(o["start"] <= r["start"] < o["end"] for o in runs) <= 2
    assert next(r for r in runs if r["sites"] == ["b"])["per_site"] == {"b": {"JOBDIR": "jb"}}


def test_a_worker_that_crashes_reports_failed_and_the_others_go_on(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    statuses = run_sites(["a", "b"], "x.db", {}, jobs=2, runner=_runner(log, fail="a"))
    assert statuses == {"a": "failed", "b": "finished"}


def test_one_job_keeps_every_site_in_this_process(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    assert run_sites(["a", "b"], "x.db", {}, jobs=1, runner=_runner(log)) == {"a": "finished", "b": "finished"}
    assert [(r["sites"], r["pid"]) for r in _log(log)] == [(["a", "b"], os.getpid())]


@pytest.mark.parametrize(("sites", "jobs", "configured", "expected"), [
    (2, 2, None, "process"),  # on 4 cores: two workers and two writer processes
    (2, 2, "auto", "process"),
    (2, 3, None, "process"),  # three jobs but two sites: two workers
    (3, 3, None, "inline"),  # three workers: no core left for writer processes
    (2, 2, "thread", "thread"),  # an explicit choice is kept
    (2, 1, None, None),  # one process: its crawlers resolve auto themselves (writer.acquire)
])
def test_workers_get_the_writer_mode_for_their_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sites: int,
                                                      jobs: int, configured: str | None,
                                                      expected: str | None) -> None:
    monkeypatch.setattr("linfen_crawler.writer.usable_cores", lambda: 4)
    log = tmp_path / "log.jsonl"
    overrides = {"LINFEN_STORE_WRITER": configured} if configured else {}
    run_sites(["a", "b", "c"][:sites], "x.db", overrides, jobs=jobs, runner=_runner(log))
    assert {r["writer"] for r in _log(log)} == {expected}


@pytest.mark.parametrize(("processes", "cores", "writers", "mode"), [
    (1, 2, 0, "process"), (2, 2, 0, "inline"), (1, 1, 0, "inline"), (2, 4, 0, "process"), (3, 4, 0, "inline"),
    (4, 4, 0, "inline"), (3, 2, 0, "inline"),
    # several crawlers in one reactor: a writer process each while the cores last, then inline
    (1, 2, 1, "process"), (1, 2, 2, "inline"), (1, 4, 3, "process"), (1, 4, 4, "inline"),
])
def test_auto_mode_keeps_writer_processes_to_spare_cores(processes: int, cores: int, writers: int,
                                                         mode: str) -> None:
    assert auto_mode(processes, cores, writers) == mode


# -- the real CLI: the sample portal and a tiny second site, through one local proxy-style server -----
TINY_HOST = "www.tiny.test"
TINY_PROFILE = f"""key = "tiny"
name = "小站"
domains = ["{TINY_HOST}"]
verified_live = false
start_urls = ["http://{TINY_HOST}/news/"]

[list]
article_links = "//ul/li/a/@href"
article_url = '^http://{TINY_HOST.replace(".", "[.]")}/news/\\d+[.]html$'

[article]
title = "//h1"
body = "//div[@id='text']"
"""


def _tiny_pages() -> dict[str, bytes]:
    links = "".join(f'<li><a href="/news/{i}.html">小站新闻{i}</a></li>' for i in range(1, 4))
    pages = {"/news/": f'<html><head><meta charset="utf-8"><title>新闻</title></head><body><ul>{links}</ul>'
                       "</body></html>".encode()}
    for i in range(1, 4):
        text = "".join(f"<p>这是小站第{i}篇新闻的第{k}段，内容足够长，用来通过正文长度的检查。</p>" for k in range(6))
        pages[f"/news/{i}.html"] = (f'<html><head><meta charset="utf-8"><title>小站新闻{i}</title></head><body>'
                                    f'<h1>小站新闻{i}</h1><p class="meta">2024-03-0{i} 10:00 来源：小站</p>'
                                    f'<div id="text">{text}</div></body></html>').encode()
    return pages


class _TwoSites(DemoHandler):
    """The sample portal's request handler, answering for the tiny site's host too."""

    tiny = _tiny_pages()

    def resolve(self, host: str, path: str) -> tuple[Page, list[tuple[str, str]]]:
        if host == TINY_HOST:
            body = self.tiny.get(path)
            return Page(200 if body else 404, "text/html; charset=utf-8", body or b"404 Not Found"), []
        return super().resolve(host, path)


@pytest.fixture()
def two_sites() -> Iterator[str]:
    """The sample portal (www.lfxww.com) and the tiny site, through one proxy-style server on 127.0.0.1."""
    with DemoServer(handler=_TwoSites) as server:
        yield server.url


def test_jobs_crawl_two_sites_in_two_processes_into_one_dataset(tmp_path: Path, two_sites: str) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "tiny.toml").write_text(TINY_PROFILE, encoding="utf-8")
    db = tmp_path / "news.db"
    proc = run_linfen("crawl", "lfxww", "tiny", "--jobs", "2", "--db", str(db), "-s", f"LINFEN_PROXY={two_sites}",
                      *FAST, env={"LINFEN_PROFILE_DIRS": str(profiles)}, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "locked" not in proc.stderr.lower()
    runs = {r["site"]: r for r in rows(db, "SELECT site, status, pid, articles_new FROM crawl_runs")}
    assert set(runs) == {"lfxww", "tiny"}
    assert all(r["status"] == "finished" for r in runs.values()), runs
    assert runs["lfxww"]["pid"] != runs["tiny"]["pid"]  # one worker process per site
    stored = {r["site"]: r["n"] for r in rows(db, "SELECT site, count(*) AS n FROM articles GROUP BY site")}
    assert stored["tiny"] == 3 == runs["tiny"]["articles_new"]
    assert stored["lfxww"] == runs["lfxww"]["articles_new"] == len(Portal().expected_articles(site="lfxww"))
    assert "lfxww: finished" in proc.stdout and "tiny: finished" in proc.stdout
