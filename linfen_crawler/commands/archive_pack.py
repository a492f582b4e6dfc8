"""``linfen archive pack``: the archive's WARC files as one WACZ file (issue 19; the library is archive/wacz.py).

The command belongs to the ``linfen archive`` group (``commands/archive.py``), which attaches :data:`pack`.
"""

from __future__ import annotations

from pathlib import Path

import click

from linfen_crawler.archive import archive_dir
from linfen_crawler.archive.wacz import WaczError
from linfen_crawler.archive.wacz import pack as pack_wacz
from linfen_crawler.commands.options import db_option, fail, human_size, open_existing, resolve_db
from linfen_crawler.commands.profile_arg import profile_or_fail

_SUFFIXES = (".warc", ".warc.gz", ".warc.zst")


@click.command("pack")
@click.argument("warcs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path), metavar="[WARC]...")
@click.option("--site", help="only the archive's WARC files that hold this site's captures (profile key)")
@db_option(help="dataset whose archive folder (data/news.db → data/news.archive/) is packed when no WARC is "
                "named (default: $LINFEN_DB, else data/news.db)")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the WACZ file to write (FILE.wacz)")
@click.option("--title", help="the collection's title shown by viewers (default: the dataset's file name)")
def pack(warcs: tuple[Path, ...], site: str | None, db_path: str | None, output: Path, title: str | None) -> None:
    """Pack the archive's WARC files into one WACZ file, to share or open in ReplayWeb.page.

    The WACZ holds the WARC files (a .warc.zst is rewritten as gzip per record: WACZ readers do not read
    zstd), a CDXJ index of every capture, the list of HTML pages and a manifest with each file's sha256;
    `wacz validate` accepts it. Without WARC arguments, every WARC file in the dataset's archive folder is
    packed; --site keeps the files that hold that site's captures (the dataset's captures table says which).

    Example: linfen archive pack --site lfxww -o lfxww.wacz
    """
    if not output.name.endswith(".wacz"):
        raise fail(f"-o {output}: a WACZ file name ends in .wacz (ReplayWeb.page and pywb go by it)")
    if site:
        profile_or_fail(site)
        if warcs:
            raise fail("--site picks files from the dataset's archive: name no WARC files with it")
    if warcs:
        files = list(warcs)
        source = "the files named"
    else:
        db = resolve_db(db_path)
        folder = archive_dir(db)
        if not folder.is_dir():
            raise fail(f"no archive folder {folder} beside {db}: crawl into that dataset first, or name WARC files")
        # an empty file is one a crawl has just opened: nothing in it yet to pack
        files = sorted(p for p in folder.rglob("*")
                       if p.is_file() and p.name.endswith(_SUFFIXES) and p.stat().st_size > 0)
        source = str(folder)
    if site:
        with open_existing(db_path) as ds:
            held = {folder / name for name in ds.capture_files(site)}
        files = [p for p in files if p in held]
    if not files:
        raise fail(f"no WARC files{f' of {site}' if site else ''} in {source}")
    default_title = Path(resolve_db(db_path)).stem if not warcs else files[0].name.split(".")[0]
    try:
        done = pack_wacz(files, output, title=title or (f"{default_title} {site}" if site else default_title))
    except WaczError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {done.path}: {done.warcs} WARC file{'s' * (done.warcs != 1)}, {done.records} captures, "
               f"{done.pages} pages, {human_size(done.size)}")
