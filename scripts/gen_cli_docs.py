"""Print docs/cli.md: the CLI reference generated from the commands' --help (a test keeps it in step)."""

from __future__ import annotations

import click

from linfen_crawler.cli import main


def render() -> str:
    out = ["# `linfen` command reference", "",
           "Generated from `--help` by `make docs` (`scripts/gen_cli_docs.py`); `tests/test_docs.py` fails when",
           "this page and the code disagree.", "",
           "Exit codes: 0 ok, 1 a crawl ended `degraded` or `failed`, 2 bad usage or input, 3 another run of the",
           "same site holds its lock.", ""]
    # the group's context_settings (help_option_names = -h, --help) apply as when the CLI runs
    ctx = click.Context(main, info_name="linfen", terminal_width=100, max_content_width=100, **main.context_settings)
    assert isinstance(main, click.Group)
    for name in main.list_commands(ctx):
        cmd = main.get_command(ctx, name)
        assert cmd is not None
        sub = click.Context(cmd, info_name=name, parent=ctx)
        out += [f"## linfen {name}", "", "```text", cmd.get_help(sub).replace("Usage: linfen ", "Usage: linfen "),
                "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
