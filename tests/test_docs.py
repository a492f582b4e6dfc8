"""Docs stay true: every LINFEN_ setting is documented, docs/cli.md is the CLI's current --help, and every
command has help text with an example (as sqlite-utils' tests/test_docs.py checks its commands)."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest
from conftest import REPO

import linfen_crawler.settings as settings
from linfen_crawler.cli import COMMANDS, main


def test_every_linfen_setting_is_documented():
    documented = set(re.findall(r"`(LINFEN_[A-Z_]+)`", (REPO / "docs/settings.md").read_text("utf-8")))
    defined = {name for name in vars(settings) if name.startswith("LINFEN_")}
    assert defined, "no LINFEN_ settings found"
    assert defined <= documented, f"undocumented: {sorted(defined - documented)}"


def test_cli_reference_is_generated_from_help():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from gen_cli_docs import render
    finally:
        sys.path.pop(0)
    assert (REPO / "docs/cli.md").read_text("utf-8") == render(), "run `make docs` to refresh docs/cli.md"


@pytest.mark.parametrize("first", sorted({target.split(":")[0] for target in COMMANDS.values()}))
def test_cli_reference_does_not_depend_on_what_was_imported_first(first):
    """Importing a command module before the group (test_export_cli imports commands.analyst) once left its
    commands off `linfen`, so the test above failed after test_export_cli only. In a fresh interpreter that
    imports each command module first, the reference is the same."""
    code = (f"import sys, {first}; sys.path.insert(0, 'scripts'); from gen_cli_docs import render; "
            "sys.stdout.write(render())")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == (REPO / "docs/cli.md").read_text("utf-8"), f"importing {first} first changes the CLI"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_an_example(name):
    ctx = click.Context(main, info_name="linfen")
    command = main.get_command(ctx, name)
    assert isinstance(command, click.Command)
    assert command.help and len(command.help.split("\n\n")[0].strip()) > 10, f"`linfen {name}` has no help text"
    examples = [line.strip() for line in command.help.splitlines() if line.strip().startswith("Example:")]
    assert examples and all(e.startswith(f"Example: linfen {name}") for e in examples), \
        f"`linfen {name}` needs an `Example: linfen {name} …` line in its help"
    assert f"## linfen {name}\n" in (REPO / "docs/cli.md").read_text("utf-8")


def test_the_group_lists_every_command_module_s_commands():
    """A command defined in commands/ but not named in cli.COMMANDS would never run (a group's subcommand may
    live in a module of its own, `archive_pack.py`: the group that attaches it names it)."""
    listed = {target.split(":")[0] for target in COMMANDS.values()}
    for name in COMMANDS:
        command = main.get_command(click.Context(main), name)
        if isinstance(command, click.Group):
            listed |= {sub.callback.__module__ for sub in command.commands.values() if sub.callback}
    modules = {f"linfen_crawler.commands.{p.stem}" for p in (REPO / "linfen_crawler/commands").glob("*.py")
               if p.stem not in ("__init__", "options", "profile_arg")}  # helpers, no commands
    assert listed == modules
