"""``linfen archive``: the web archive beside the dataset (issue 19, docs/archive.md).

A click group: ``verify`` and ``migrate`` here, ``pack`` in its own module (commands/archive_pack.py).
"""

from __future__ import annotations

import sys
import zlib

import click

from linfen_crawler.archive import archive_dir
from linfen_crawler.archive.verify import verify as verify_captures
from linfen_crawler.archive.warc import ArchiveError
from linfen_crawler.commands.archive_pack import pack
from linfen_crawler.commands.options import db_option, open_existing, resolve_db
from linfen_crawler.diskfull import DiskFull
from linfen_crawler.raw import archive_config, move_raw_pages
from linfen_crawler.settings import LINFEN_ARCHIVE_FILE_BYTES
from linfen_crawler.storage import Dataset


@click.group()
def archive() -> None:
    """The web archive of fetched pages beside the dataset (data/news.db -> data/news.archive/).

    Example: linfen archive verify
    """


@archive.command()
@db_option()
def verify(db_path: str | None) -> None:
    """Check every capture's pointer and payload digest against the WARC files.

    Prints one line per problem and exits 1 if there is any.

    Example: linfen archive verify --db data/news.db
    """
    path = resolve_db(db_path)
    folder = archive_dir(path)
    checked = problems = 0
    with open_existing(db_path) as ds:
        for row in ds.iter_captures():
            checked += 1
            for line in verify_captures(folder, [row]):
                problems += 1
                click.echo(line)
        legacy = ds.has_raw_pages() and ds.count("raw_pages") > 0
    if legacy:
        click.echo("pages still inside the dataset (raw_pages): run `linfen archive migrate`", err=True)
    click.echo(f"{checked} captures checked in {folder}: {problems} problems", err=True)
    if problems:
        sys.exit(1)


def move_pages(ds: Dataset, path: str, purpose: str) -> int:
    """:func:`move_raw_pages` for a command: a page that cannot be moved (an unreadable row, a copy that
    reads back wrong, a full or unwritable archive folder) is one line and exit 1; nothing was moved."""
    try:
        return move_raw_pages(ds, archive_config(path, purpose, LINFEN_ARCHIVE_FILE_BYTES))
    except (ArchiveError, DiskFull, OSError, zlib.error) as exc:
        cause = exc.failure if isinstance(exc, DiskFull) else str(exc)
        click.echo(f"cannot move the pages kept in {path} into {archive_dir(path)}: {cause}; nothing was moved",
                   err=True)
        sys.exit(1)


@archive.command()
@db_option()
def migrate(db_path: str | None) -> None:
    """Move the pages an older release kept inside the dataset (raw_pages) into the archive.

    Each page is read back and its digest checked before the table is dropped; then the file is vacuumed.
    The next crawl of the dataset does this too.

    Example: linfen archive migrate --db data/news.db
    """
    path = resolve_db(db_path)
    with open_existing(db_path) as ds:
        moved = move_pages(ds, path, "migrate")
    click.echo(f"{moved} pages moved into {archive_dir(path)}" if moved else "no pages inside the dataset to move")


archive.add_command(pack)
