"""Scrapyd: the project deploys as an egg (with its TOML profiles) to a real scrapyd process on 127.0.0.1, and
a job scheduled through its HTTP API crawls the sample portal into the dataset."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, article_rows, free_port, rows

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "scrapyd").exists() or not (BIN / "scrapyd-deploy").exists(),
                                reason="scrapyd / scrapyd-client not installed (pip install -e '.[scheduled]')")


def api(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{path}", data=body, timeout=30) as resp:  # 127.0.0.1 only
        return json.loads(resp.read())


@pytest.fixture()
def scrapyd(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.5\nmax_proc = 2\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\nitems_dir =\n")
    log = open(home / "scrapyd.out", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(BIN / "scrapyd"), "--nodaemon", "--pidfile="], cwd=home, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (home / "scrapyd.out").read_text()
            time.sleep(0.2)
        yield base, home
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_deploy_egg_to_scrapyd_and_schedule_a_crawl(scrapyd, server, tmp_path):
    base, home = scrapyd
    # deploy from a copy of the project (scrapyd-deploy builds in place), aimed at this scrapyd
    proj = tmp_path / "proj"
    proj.mkdir()
    for name in ("linfen_crawler", "setup.py", "pyproject.toml", "README.md"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, proj / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, proj / name)
    cfg = (REPO / "scrapy.cfg").read_text()
    assert "[deploy]" in cfg and "project = linfen_crawler" in cfg
    (proj / "scrapy.cfg").write_text(cfg.replace("http://127.0.0.1:6800/", base + "/"))
    egg = tmp_path / "linfen.egg"
    built = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)], cwd=proj,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    names = zipfile.ZipFile(egg).namelist()
    assert "linfen_crawler/profiles/lfxww.toml" in names, "the egg lacks the site profiles"
    assert "settings = linfen_crawler.settings" in zipfile.ZipFile(egg).read("EGG-INFO/entry_points.txt").decode()

    deployed = subprocess.run([str(BIN / "scrapyd-deploy", ), "-v", "r1"], cwd=proj, capture_output=True,
                              text=True, timeout=300)
    assert deployed.returncode == 0 and '"status": "ok"' in deployed.stdout + deployed.stderr, deployed.stderr
    spiders = api(base, "listspiders.json?project=linfen_crawler")["spiders"]
    assert "lfxww" in spiders

    db = tmp_path / "scrapyd.db"
    job = api(base, "schedule.json", [
        ("project", "linfen_crawler"), ("spider", "lfxww"),
        ("setting", f"LINFEN_DB={db}"), ("setting", f"LINFEN_PROXY={server.url}"),
        ("setting", "AUTOTHROTTLE_ENABLED=False"), ("setting", "DOWNLOAD_DELAY=0"),
        ("setting", "CONCURRENT_REQUESTS_PER_DOMAIN=8"),
    ])
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 180
    while True:
        jobs = api(base, "listjobs.json?project=linfen_crawler")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    log = next((home / "logs" / "linfen_crawler" / "lfxww").glob("*.log")).read_text("utf-8")
    stored = article_rows(db)
    expected = {e["url"] for e in server.portal.expected_articles() if e["url"].startswith("http://www.lfxww.com/")}
    assert set(stored) == expected, log[-3000:]
    (run,) = rows(db, "SELECT * FROM crawl_runs")
    assert run["status"] == "finished"  # under Scrapyd the run record carries the outcome
    assert "progress lfxww:" in log  # no terminal: plain progress lines
