"""The ``linfen`` command line: the click group, and where each command lives.

The commands are in ``linfen_crawler/commands/`` (shared options and helpers in ``commands/options.py``);
the group imports a command's module only when that command runs or its help is shown, so ``linfen stats``
or ``linfen search`` start without loading Scrapy, Twisted or the distributed code (issue 16).

Exit codes: 0 ok, 1 a crawl ended degraded or failed, 2 bad usage or input, 3 another run holds a site's lock.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import click

from linfen_crawler.commands.options import UsageError

# command name -> "module:attribute" of its click command, loaded on demand
COMMANDS = {
    "archive": "linfen_crawler.commands.archive:archive",
    "check": "linfen_crawler.commands.sites:check",
    "crawl": "linfen_crawler.commands.crawl:crawl",
    "dedupe": "linfen_crawler.commands.analyst:dedupe_cmd",
    "demo": "linfen_crawler.commands.crawl:demo",
    "export": "linfen_crawler.commands.analyst:export_cmd",
    "ingest": "linfen_crawler.commands.distributed:ingest",
    "learn": "linfen_crawler.commands.learn:learn",
    "reextract": "linfen_crawler.commands.reextract:reextract",
    "report": "linfen_crawler.commands.report:report_cmd",
    "search": "linfen_crawler.commands.analyst:search_cmd",
    "seed": "linfen_crawler.commands.distributed:seed",
    "serve": "linfen_crawler.commands.analyst:serve_cmd",
    "sites": "linfen_crawler.commands.sites:sites",
    "stats": "linfen_crawler.commands.stats:stats",
    "stop": "linfen_crawler.commands.distributed:stop",
}


# the end of a help text's first sentence: a full stop and a space, not the one of "e.g." or "i.e."
_SENTENCE_END = re.compile(r"(?<!e\.g\.)(?<!i\.e\.)(?<=[.。!?])\s+")


def summary(command: click.Command) -> str:
    """A command's line in ``linfen --help``: its ``short_help``, else the whole first sentence of its help,
    never cut (click's default cuts at a width, mid-sentence); the list wraps it instead."""
    if command.short_help:
        return command.short_help
    paragraph = " ".join((command.help or "").split("\n\n")[0].split())
    return _SENTENCE_END.split(paragraph, maxsplit=1)[0]


class LazyGroup(click.Group):
    """A group whose commands are imported when used (click's documented lazy-loading pattern); usage errors in
    one line like every other error (``Error: … (see `linfen export -h`)``), exit 2."""

    def __init__(self, *args: Any, lazy_commands: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands and cmd_name not in self.commands:
            module_name, attribute = self.lazy_commands[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy_commands[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary(cmd)) for name in self.list_commands(ctx)
                if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            if exc.ctx is None:
                raise
            raise UsageError(f"{exc.format_message()} (see `{exc.ctx.command_path} -h`)") from None


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="linfen-crawler")
def main() -> None:
    """Crawl Chinese local news portals (临汾新闻网 and its kin) into a clean SQLite dataset."""


if __name__ == "__main__":
    main()
