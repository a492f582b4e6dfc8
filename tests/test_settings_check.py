"""Every LINFEN_ setting is validated before a crawl starts (issue 15 point 5): the table in
linfen_crawler/settings_check.py covers settings.py, refuses bad values in one line, and accepts only what
Scrapy can then read. Through the CLI (-s, --recheck) and through `scrapy crawl` (the spider's from_crawler)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, project_crawler, run_linfen
from scrapy.settings import Settings
from test_cli_errors import assert_one_line_error, files

import linfen_crawler.settings as project_settings
from linfen_crawler.settings_check import RULES, SettingsError, check_setting, check_settings
from linfen_crawler.spiders.portal import PortalSpider
from linfen_crawler.writer import MODES

DEFINED = sorted(name for name in vars(project_settings) if name.startswith("LINFEN_"))


def test_every_linfen_setting_has_a_rule_and_its_default_passes():
    assert DEFINED, "no LINFEN_ settings found"
    assert [name for name in DEFINED if name not in RULES] == [], "add a rule to settings_check.RULES"
    assert [name for name in RULES if name not in DEFINED] == [], "a rule for a setting settings.py lacks"
    for name in DEFINED:
        default = getattr(project_settings, name)
        check_setting(name, default)
        kind = RULES[name].kind
        assert isinstance(default, kind) or (kind is float and isinstance(default, int)), (name, default)


def test_the_choices_are_the_components_own():
    assert set(RULES["LINFEN_STORE_WRITER"].choices) == {"auto", *MODES}


BAD = [
    ("LINFEN_MAX_DEPTH", "1.5", "whole number"),
    ("LINFEN_MAX_DEPTH", "-1", "whole number from 0"),
    ("LINFEN_MAX_DEPTH", "ten", "whole number"),
    ("LINFEN_MAX_DEPTH", 2.5, "whole number"),
    ("LINFEN_MAX_REQUESTS", "1e30", "whole number"),
    ("LINFEN_RECHECK_DAYS", "1000000000000000000000000000000", "to 36_500"),
    ("LINFEN_RECHECK_DAYS", "-3", "from 0"),
    ("LINFEN_STORE_BATCH_SIZE", "0", "from 1"),
    ("LINFEN_COVERAGE_RUNS", "0", "from 1"),
    ("LINFEN_REDIS_WORKERS", "0", "from 1"),
    ("LINFEN_STORE_FLUSH_SECONDS", "-1", "a number from 0"),
    ("LINFEN_STORE_FLUSH_SECONDS", "soon", "a number"),
    ("LINFEN_RETRY_BACKOFF", "nan", "a number"),
    ("LINFEN_RETRY_BACKOFF_MAX", "inf", "a number"),
    ("LINFEN_ANTIBOT_DELAY", "1e9", "to 86_400"),
    ("LINFEN_REDIS_IDLE_TIMEOUT", "", "a number"),
    ("LINFEN_GENERIC_ONLY", "perhaps", "true or false"),
    ("LINFEN_RAW_PAGES", "yes", "true or false"),
    ("LINFEN_REFRESH", "2", "true or false"),
    ("LINFEN_STORE_WRITER", "bogus", "one of auto, process, thread, inline"),
    ("LINFEN_STORE_WRITER", "", "one of auto"),
    ("LINFEN_PROGRESS", "always", "one of auto, on, off"),
    ("LINFEN_PROXY", "notaurl", "http"),
    ("LINFEN_PROXY", "ftp://proxy.lan:21", "scheme must be http or https"),
    ("LINFEN_PROXY", "http://127.0.0.1:99999", "Port out of range"),
    ("LINFEN_PROXY", "http://", "names no host"),
    ("LINFEN_CONTACT_URL", "call me", "space"),
    ("LINFEN_CONTACT_URL", "https://x.test/\r\nX-Evil: 1", "control character"),
    ("LINFEN_CONTACT_URL", "", "not empty"),
    ("LINFEN_REDIS_URL", "http://redis.lan", "redis"),
    ("LINFEN_REDIS_PREFIX", " ", "blank"),
    ("LINFEN_SINCE", "2024-13-01", "not a date"),
    ("LINFEN_SINCE", "yesterday", "not a date"),
    ("LINFEN_LIST_PLANNER", "not a path", "import path"),
    ("LINFEN_LIST_PLANNER", "linfen_crawler.scheduled.plan.NoSuchPlanner", "has no NoSuchPlanner"),
    ("LINFEN_LIST_PLANNER", "no_such_package.Planner", "cannot import no_such_package"),
    ("LINFEN_DB", "", "not empty"),
    ("LINFEN_DB", "data/\x00.db", "NUL"),
    ("LINFEN_MIN_BODY_CHARS", True, "whole number"),
    ("LINFEN_MAX_DEPT", "3", "unknown setting"),
]


@pytest.mark.parametrize(("name", "value", "needle"), BAD)
def test_bad_values_are_refused_in_one_line(name, value, needle):
    with pytest.raises(SettingsError) as exc:
        check_setting(name, value)
    message = str(exc.value)
    assert message.startswith(name) and needle in message and "\n" not in message, message


GOOD = [
    ("LINFEN_MAX_DEPTH", "0"), ("LINFEN_MAX_DEPTH", "7"), ("LINFEN_MAX_DEPTH", 7.0), ("LINFEN_MAX_REQUESTS", "50_000"),
    ("LINFEN_RECHECK_DAYS", "36500"), ("LINFEN_STORE_FLUSH_SECONDS", "0.5"), ("LINFEN_STORE_FLUSH_SECONDS", "2"),
    ("LINFEN_GENERIC_ONLY", "True"), ("LINFEN_GENERIC_ONLY", "false"), ("LINFEN_GENERIC_ONLY", "1"),
    ("LINFEN_RAW_PAGES", False), ("LINFEN_STORE_WRITER", "inline"), ("LINFEN_PROGRESS", "off"),
    ("LINFEN_PROXY", ""), ("LINFEN_PROXY", "http://127.0.0.1:8080"), ("LINFEN_PROXY", "https://user:pw@proxy.lan"),
    ("LINFEN_CONTACT_URL", "mailto:me@example.org"), ("LINFEN_REDIS_URL", "redis://127.0.0.1:6379/0"),
    ("LINFEN_REDIS_URL", ""), ("LINFEN_SINCE", "2024-03-15"), ("LINFEN_SINCE", ""), ("LINFEN_JOBS_DIR", ""),
    ("LINFEN_LIST_PLANNER", "linfen_crawler.distributed.worker.RunPlans"), ("LINFEN_DB", "/tmp/新闻.db"),
]


@pytest.mark.parametrize(("name", "value"), GOOD)
def test_good_values_pass_and_scrapy_reads_them(name, value):
    check_setting(name, value)
    rule = RULES[name]
    getter = {bool: "getbool", int: "getint", float: "getfloat", str: "get"}[rule.kind]
    getattr(Settings({name: value}), getter)(name)  # what the components do in from_crawler: no ValueError


def test_other_names_are_left_to_scrapy():
    check_settings({"DOWNLOAD_DELAY": "whatever", "LOG_LEVEL": "INFO"})


# -- the command line -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "needles"), [
    (["--recheck", "1000000000000000000000000000000"], ("--recheck", "36500")),
    (["-s", "LINFEN_STORE_WRITER=bogus"], ("LINFEN_STORE_WRITER", "'bogus'", "auto, process, thread, inline")),
    (["-s", "LINFEN_MAX_DEPTH=1.5"], ("LINFEN_MAX_DEPTH", "'1.5'", "whole number")),
    (["-s", "LINFEN_PROXY=notaurl"], ("LINFEN_PROXY", "'notaurl'", "http")),
    (["-s", "LINFEN_MAX_DEPT=3"], ("LINFEN_MAX_DEPT", "unknown setting")),
    (["-s", "LINFEN_SINCE=15/03/2024"], ("LINFEN_SINCE", "not a date")),
    (["-s", "LINFEN_LIST_PLANNER=nowhere.Planner"], ("LINFEN_LIST_PLANNER", "cannot import nowhere")),
    (["--redis", "notaurl"], ("--redis 'notaurl'", "redis://")),
    (["--redis", "redis://127.0.0.1:6379/0", "-s", "LINFEN_REDIS_WORKERS=0"], ("LINFEN_REDIS_WORKERS", "from 1")),
])
def test_linfen_crawl_refuses_a_bad_setting_before_anything_starts(tmp_path, args, needles):
    db = tmp_path / "data" / "news.db"
    # a proxy nobody listens on: even a crawl that did start would reach nothing beyond 127.0.0.1
    proxy = [] if any(a.startswith("LINFEN_PROXY") for a in args) else ["-s", "LINFEN_PROXY=http://127.0.0.1:9"]
    proc = run_linfen("crawl", "lfxww", "--db", str(db), *proxy, *args, timeout=120)
    assert_one_line_error(proc, *needles)
    assert files(tmp_path) == []  # no dataset, no lock, no job directory


def test_linfen_demo_checks_its_settings_too(tmp_path):
    db = tmp_path / "demo.db"
    assert_one_line_error(run_linfen("demo", "--db", str(db), "-s", "LINFEN_MAX_TEXT_CHARS=-5", timeout=120),
                          "LINFEN_MAX_TEXT_CHARS", "whole number")


# -- scrapy crawl and Scrapyd: the spider checks at crawler start -------------------------------------------
def test_the_spider_refuses_bad_settings_before_it_opens_the_dataset(tmp_path):
    db = tmp_path / "news.db"
    crawler = project_crawler(LINFEN_DB=str(db), LINFEN_RECHECK_DAYS="1000000000000000000000000000000")
    with pytest.raises(SettingsError, match="LINFEN_RECHECK_DAYS"):
        PortalSpider.from_crawler(crawler, site="lfxww")
    assert files(tmp_path) == []


def test_scrapy_crawl_stops_at_once_on_a_bad_setting(tmp_path):
    db = tmp_path / "news.db"
    scrapy = Path(sys.executable).with_name("scrapy")
    proc = subprocess.run([str(scrapy), "crawl", "lfxww", "-s", f"LINFEN_DB={db}", "-s", "LINFEN_MAX_DEPTH=1.5",
                           "-s", "LINFEN_PROXY=http://127.0.0.1:9", "-s", "LOG_LEVEL=WARNING"],
                          cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ})
    assert proc.returncode == 2  # bad input, as `linfen crawl` exits (the project's own `scrapy crawl`)
    assert "Error: LINFEN_MAX_DEPTH='1.5': expected a whole number" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert files(tmp_path) == []  # stopped before the dataset, the lock or a request
