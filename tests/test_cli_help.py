"""Help that agrees with behaviour (issue 14 point 12): the command list in a real 80-column terminal, the shared
option types, `linfen demo` and $LINFEN_DB, human sizes in `linfen stats`, and the [analyst] extra."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import tomllib
import zlib
from typing import Any

import click
import pytest
from click.testing import CliRunner
from conftest import REPO, run_linfen

import linfen_crawler.commands.crawl as crawl_module
from linfen_crawler.cli import COMMANDS, main, summary
from linfen_crawler.commands.options import human_size
from linfen_crawler.storage import Dataset


def run_in_terminal(*args: str, columns: int = 80, env: dict[str, str] | None = None) -> str:
    """Run `linfen ARGS` with its output on a pseudo-terminal of ``columns`` columns; what it printed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    clean = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([sys.executable, "-m", "linfen_crawler.cli", *args], stdin=slave, stdout=slave,
                            stderr=slave, cwd=REPO, env={**clean, **(env or {})}, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def commands() -> dict[str, click.Command]:
    ctx = click.Context(main, info_name="linfen")
    out = {}
    for name in sorted(COMMANDS):
        cmd = main.get_command(ctx, name)
        assert cmd is not None
        out[name] = cmd
    return out


def test_the_command_list_never_cuts_a_help_line_in_80_columns():
    text = run_in_terminal("--help")
    listing = text.split("Commands:\n", 1)[1]
    assert "..." not in listing
    assert max(len(line) for line in listing.splitlines()) <= 80
    entries: dict[str, str] = {}
    name = ""
    for line in listing.splitlines():
        if m := re.match(r"  (\w+)\s+(.*)", line):
            name = m.group(1)
            entries[name] = m.group(2)
        elif line.strip():
            entries[name] += " " + line.strip()
    for name, cmd in commands().items():
        first = " ".join(cmd.help.split("\n\n")[0].split()) if cmd.help else ""
        assert entries[name] == summary(cmd), name
        assert first.startswith(entries[name]) and entries[name].endswith((".", "。")), (name, entries[name])
    assert "e.g. 临汾), ranked, with snippets." in entries["search"]


def test_every_option_has_help_and_shared_options_look_the_same():
    db_types = set()
    for name, cmd in commands().items():
        ctx = click.Context(cmd, info_name=name)
        for param in cmd.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            assert param.help, f"linfen {name} {param.opts[0]} has no help"
            metavar = param.make_metavar(ctx)
            if "--db" in param.opts:
                assert metavar == "PATH", (name, metavar)
                db_types.add(type(param.type))
            if param.opts[0] in ("--since", "--until"):
                assert metavar == "YYYY-MM-DD", (name, param.opts, metavar)
    assert len(db_types) == 1


@pytest.mark.parametrize(("args", "needles"), [
    (["search", "临汾", "--since", "2024-02-30"], ("--since '2024-02-30' is not a date",)),
    (["export", "--until", "yesterday", "-o", "-"], ("--until", "'yesterday'")),
    (["stats", "--db", ""], ("--db", "empty")),
    (["stats", "--db", "nodir/"], ("--db", "'nodir/' is a folder", "nodir/news.db")),
])
def test_shared_option_types_refuse_in_one_line(tmp_path, args, needles):
    proc = run_linfen(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.strip()]
    assert all(n in line for n in needles), line
    assert list(tmp_path.iterdir()) == []


def test_demo_help_is_true_and_demo_ignores_linfen_db(tmp_path, monkeypatch):
    demo = commands()["demo"]
    # under the group's context, as the CLI runs it: a bare context would leave click's cached help option
    # without -h on the command, and docs/cli.md rendered later in this process would differ
    group = click.Context(main, info_name="linfen", **main.context_settings)
    help_text = " ".join(demo.get_help(click.Context(demo, info_name="demo", parent=group)).split())
    assert "$LINFEN_DB is not used" in help_text and "[default: data/demo.db]" in help_text
    elsewhere = tmp_path / "mine" / "news.db"
    used: list[str] = []

    class FakeServer:
        url = "http://127.0.0.1:9"

        class portal:
            @staticmethod
            def sites() -> list[str]:
                return ["lfxww"]

        def __enter__(self) -> FakeServer:
            return self

        def __exit__(self, *exc: Any) -> None:
            return None

    def fake_run_crawls(sites: list[str], db_path: str, overrides: dict[str, Any]) -> dict[str, str]:
        used.append(db_path)
        return {"lfxww": "finished"}

    monkeypatch.setattr(crawl_module, "DemoServer", FakeServer)
    monkeypatch.setattr(crawl_module, "run_crawls", fake_run_crawls)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LINFEN_DB", str(elsewhere))
    result = CliRunner().invoke(main, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert used == ["data/demo.db"] and (tmp_path / "data" / "demo.db").exists()
    assert not elsewhere.parent.exists()


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 bytes"), (999, "999 bytes"), (1000, "1.0 KB"), (8_400, "8.4 KB"), (999_949, "999.9 KB"),
    (999_950, "1.0 MB"), (12_000_000, "12.0 MB"), (1_300_000_000, "1.3 GB"), (5e15, "5000.0 TB"),
])
def test_human_size(size, text):
    assert human_size(size) == text


def test_stats_shows_a_small_site_s_raw_pages_in_kb(tmp_path):
    db = tmp_path / "news.db"
    page = b"<html><body>" + "临汾新闻".encode() * 2000 + b"</body></html>"
    with Dataset(db) as ds:
        ds.add_raw_pages([{"url": "http://www.lfxww.com/a/1.html", "article_url": "http://www.lfxww.com/a/1.html",
                           "page": 1, "site": "lfxww", "status": 200, "compression": "zlib", "size": len(page),
                           "fetched_at": "2024-03-15T08:00:00+00:00", "headers": "{}",
                           "body": zlib.compress(page)}])
    proc = run_linfen("stats", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("raw pages")]
    assert line == f"raw pages lfxww: 1 pages, {len(zlib.compress(page))} bytes stored (24.0 KB before compression)"


def test_the_analyst_extra_has_what_the_docs_use(tmp_path):
    extras = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    names = {re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].lower() for req in extras["analyst"]}
    docs = (REPO / "docs/analysts.md").read_text("utf-8") + (REPO / "docs/search.md").read_text("utf-8")
    for library in ("pandas", "datasette", "pyarrow", "matplotlib"):
        if library in docs:
            assert library in names, f"docs use {library}: add it to the [analyst] extra"
    import pandas  # the [analyst] extra, which `make test` installs
    db = tmp_path / "news.db"
    with Dataset(db) as ds:
        ds.upsert_articles([{"url": "http://www.lfxww.com/a/1.html", "site": "lfxww", "title": "临汾新闻",
                             "body": "正文" * 20}], None)
    out = tmp_path / "a.parquet"
    proc = run_linfen("export", "--db", str(db), "--format", "parquet", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert pandas.read_parquet(out)["title"].tolist() == ["临汾新闻"]  # as docs/analysts.md says
