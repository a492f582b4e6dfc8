"""Issue 14: failures say what happened, quiet cron runs, a progress display that fits the terminal.

Real failures on 127.0.0.1 (tests/netfaults.py; no DNS query leaves the machine) crawled through the real
CLI; terminal behaviour through a pseudo-terminal of 80 columns.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from conftest import FAST, REPO, rows, run_linfen
from netfaults import NetFaults

from linfen_crawler.demo.server import DemoServer
from linfen_crawler.records import failure_cause, run_status

NO_LOG_LEVEL = [a for pair in zip(FAST[::2], FAST[1::2], strict=True) if not pair[1].startswith("LOG_LEVEL")
                for a in pair]
QUICK = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LINFEN_RETRY_BACKOFF=0",
         "-s", "DOWNLOAD_TIMEOUT=1"]


def stats_of(db: Path) -> dict:
    import json

    (run,) = rows(db, "SELECT status, stats FROM crawl_runs")
    return {"status": run["status"], **json.loads(run["stats"])}


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory):
    with NetFaults(tmp_path_factory.mktemp("netfaults")) as f:
        yield f


@pytest.mark.parametrize(("site", "kind", "detail", "extra"), [
    ("nodns", "dns", "DNS lookup failed for www.nowhere.invalid", []),
    ("refused", "refused", "connection to www.refused.test:", []),
    ("timeout", "timeout", "no answer from www.timeout.test:", ["-s", "RETRY_TIMES=0"]),
    ("tls", "tls", "TLS handshake with www.tls.test:", ["-s", "RETRY_TIMES=0"]),
    ("forbidden", "http_403", "the site answered HTTP 403", []),
    ("robots", "robots", "robots.txt of www.robots.test:", []),
])
def test_a_run_that_fetched_nothing_fails_with_its_cause_in_one_line(faults, tmp_path, site, kind, detail, extra):
    db = tmp_path / "f.db"
    proc = run_linfen("crawl", site, "--quiet", "--db", str(db), "-s", f"TWISTED_DNS_RESOLVER={faults.RESOLVER}",
                      *QUICK, *extra, env=faults.env, timeout=120)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()  # ONE line on stderr, no traceback, no banner
    assert line.startswith(f"{site}: failed: {kind}: {detail}"), line
    stats = stats_of(db)
    assert stats["status"] == "failed"
    assert stats["linfen/failure"] == line.removeprefix(f"{site}: failed: ")


def test_a_dns_failure_is_retried_once_and_logs_no_traceback(faults, tmp_path):
    db, log = tmp_path / "f.db", tmp_path / "crawl.log"
    proc = run_linfen("crawl", "nodns", "--db", str(db), "--logfile", str(log), "--log-level", "DEBUG",
                      "-s", f"TWISTED_DNS_RESOLVER={faults.RESOLVER}", *QUICK, env=faults.env, timeout=120)
    assert proc.returncode == 1
    stats = stats_of(db)
    # robots.txt and the two start pages: each tried twice (RETRY_TIMES is 3)
    assert stats["downloader/exception_type_count/scrapy.exceptions.CannotResolveHostError"] == 6
    text = log.read_text("utf-8")
    assert "robots.txt not downloaded: DNS lookup failed for www.nowhere.invalid" in text
    assert "Traceback" not in text and "Traceback" not in proc.stderr


def test_scrapy_crawl_exits_non_zero_with_the_cause(faults, tmp_path):
    shutil.copy(REPO / "scrapy.cfg", tmp_path / "scrapy.cfg")
    env = {**os.environ, **faults.env}
    proc = subprocess.run([sys.executable, "-m", "scrapy.cmdline", "crawl", "refused", "--nolog",
                           "-s", f"LINFEN_DB={tmp_path / 'f.db'}", "-s", f"TWISTED_DNS_RESOLVER={faults.RESOLVER}",
                           *QUICK], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert proc.stderr.strip().startswith("refused: failed: refused: connection to www.refused.test:")


@pytest.mark.parametrize(("stats", "cause"), [
    ({"linfen/list_pages": 3, "linfen/errors/list/CannotResolveHostError": 1}, None),  # something was fetched
    ({}, None),  # nothing failed either
    ({"linfen/errors/list/CannotResolveHostError": 2, "linfen/network/dns": 4,
      "linfen/cause_detail/dns": "DNS lookup failed for a.test"}, "dns: DNS lookup failed for a.test"),
    ({"linfen/errors/list/http_403": 2, "linfen/errors/list/http_404": 1}, "http_403: the site answered HTTP 403"),
    ({"linfen/errors/list/robots": 2, "linfen/cause_detail/robots": "robots.txt of a.test disallows /"},
     "robots: robots.txt of a.test disallows /"),
    ({"linfen/errors/list/antibot_js_challenge": 2, "linfen/degraded": "a: the site is blocking the crawler"},
     "antibot: a: the site is blocking the crawler"),
    ({"linfen/failure": "disk_full: /data", "linfen/list_pages": 2}, "disk_full: /data"),  # a cause set is kept
    ({"linfen/errors/list/WeirdError": 2}, "error: every page failed (WeirdError, 2 pages)"),
])
def test_failure_cause(stats, cause):
    found = failure_cause(stats)
    assert (found if cause is None else (found or "")[:len(cause)]) == cause
    assert (run_status("finished", stats, {}) == "failed") == (cause is not None)


# -- the terminal ---------------------------------------------------------------------------------------
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_terminal(*args: str, cwd: Path, columns: int = 80) -> tuple[int, str]:
    """Run `linfen` with stdin/stdout/stderr on a pseudo-terminal of ``columns``; exit code and output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([sys.executable, "-m", "linfen_crawler.cli", *args], stdin=slave, stdout=slave,
                            stderr=slave, cwd=cwd, env={**env, "TERM": "xterm"}, close_fds=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=300), out.decode("utf-8", "replace")


def screen_lines(out: str) -> list[str]:
    """Every piece of text the terminal shows on one line (between line feeds and carriage returns)."""
    return [ANSI.sub("", s) for s in re.split(r"\r\n|\r|\n", out)]


@pytest.mark.parametrize("jobs", ["1", "2"])  # sites in one process; in worker processes (one display)
def test_progress_fits_80_columns_with_log_lines_above_it(tmp_path, jobs):
    with DemoServer() as server:
        code, out = on_terminal("crawl", "lfxww", "jcnews", "sxycrb", "--jobs", jobs, "--log-level", "INFO",
                                "--db", str(tmp_path / "t.db"), "-s", f"LINFEN_PROXY={server.url}", *FAST,
                                cwd=tmp_path)
    assert code == 0, out[-3000:]
    lines = screen_lines(out)
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    progress = [line for line in lines if re.search(r"\w+: \d+ pages, \d+ new, \d+ rejected, \d+ errors", line)]
    assert {m.group(1) for line in progress if (m := re.search(r"(\w+): \d+ pages", line))} == {
        "lfxww", "jcnews", "sxycrb"}
    # nothing glued: no log text on a progress line, no two progress lines on one
    assert not [line for line in progress if re.search(r"INFO|WARNING|\[scrapy", line) or line.count(" pages,") > 1]
    assert "Dumping Scrapy stats" in out  # --log-level INFO: the log is there, above the display
    for site in ("lfxww", "jcnews", "sxycrb"):  # the summary, one line per site
        assert re.search(rf"^{site}: finished, \d+ pages, \d+ new, 0 updated, \d+ rejected, 0 errors, [\d.]+ s$",
                         "\n".join(lines), re.M)


def test_the_terminal_shows_no_banner_and_no_stats_dump_by_default(tmp_path):
    with DemoServer() as server:
        code, out = on_terminal("crawl", "jcnews", "--db", str(tmp_path / "t.db"), "-s", f"LINFEN_PROXY={server.url}",
                                *NO_LOG_LEVEL, cwd=tmp_path)
    assert code == 0, out[-3000:]
    assert "Scrapy 2." not in out and "Dumping Scrapy stats" not in out and "Disabled" not in out
    assert re.search(r"jcnews: finished, 14 pages, 10 new, 0 updated, 0 rejected, 0 errors, [\d.]+ s", out)


def test_quiet_prints_nothing_when_all_went_well_and_logfile_takes_the_log(tmp_path):
    log = tmp_path / "crawl.log"
    with DemoServer() as server:
        proc = run_linfen("crawl", "jcnews", "--quiet", "--logfile", str(log), "--db", str(tmp_path / "t.db"),
                          "-s", f"LINFEN_PROXY={server.url}", *FAST)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (proc.stdout, proc.stderr) == ("", "")
    text = log.read_text("utf-8")
    assert "Scrapy 2." in text and "Dumping Scrapy stats" in text


def test_an_unreachable_site_on_a_terminal_shows_its_cause_and_no_log_noise(faults, tmp_path, monkeypatch):
    for name, value in faults.env.items():  # on_terminal passes this process's environment on
        monkeypatch.setenv(name, value)
    code, out = on_terminal("crawl", "nodns", "--db", str(tmp_path / "t.db"),
                            "-s", f"TWISTED_DNS_RESOLVER={faults.RESOLVER}", *QUICK, cwd=tmp_path)
    assert code == 1, out[-3000:]
    lines = [line.strip() for line in screen_lines(out) if line.strip()]
    assert "nodns: failed: dns: DNS lookup failed for www.nowhere.invalid" in lines
    assert [line for line in lines if line.startswith("nodns: failed,")]  # the summary line
    assert "Traceback" not in out and "WARNING" not in out and "Gave up retrying" not in out
    assert max(len(line) for line in screen_lines(out)) <= 80
