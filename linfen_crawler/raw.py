"""Raw article pages: keep what was fetched, in the web archive beside the dataset (issue 19).

The raw-pages extension (:mod:`linfen_crawler.extensions.raw_pages`) hands every fetched article page (first
pages, later pages of multi-page articles, rechecks) to the crawl's dataset writer as a pending row
(:func:`pending_row`). In the dataset writer, off the reactor thread, :func:`write_raw_pages` writes each
one to the archive's WARC files (:mod:`linfen_crawler.archive.warc`: a response record, or a ``revisit``
record when the payload's digest equals the latest capture of that URL, then the request record) and then
records the pointers in the dataset's ``captures`` table. Every capture is kept; none is overwritten.
``LINFEN_RAW_PAGES = False`` (``linfen crawl --no-raw``) turns it off: no archive is written.
``LINFEN_ARCHIVE_COMPRESSION = "zstd"`` (``--archive-compression zstd``) writes ``.warc.zst`` files with a
dictionary per site, the one of the site's previous zstd file when the archive has one
(:func:`site_dictionary`; docs/archive.md).

Datasets from before issue 19 kept the pages inside, in ``raw_pages``: :func:`move_raw_pages` moves them
into the archive (payload digests read back and checked before the table is dropped).

:mod:`linfen_crawler.reextract` rebuilds ``articles`` rows from the archive (:func:`capture_page`).
"""

from __future__ import annotations

import json
import logging
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linfen_crawler.archive import archive_dir, zstd
from linfen_crawler.archive.warc import (
    ArchiveError,
    Capture,
    Pointer,
    WarcFileWriter,
    is_zstd,
    payload_digest,
    read_record,
    recover,
    resolve,
    warc_date,
)
from linfen_crawler.normalize import canonicalize_url, utcnow
from linfen_crawler.storage import Dataset

if TYPE_CHECKING:  # the dataset writer's process imports this module: it needs no Scrapy
    from scrapy import Request
    from scrapy.http import Response

logger = logging.getLogger(__name__)

PENDING_BYTES = 4 << 20  # uncompressed page bytes buffered before a batch is handed to the writer
RAW_KINDS = ("article", "article_page", "recheck")  # request kinds whose pages are archived

# The archive writers of this process, by key (one per crawl writer; see ArchiveConfig). They live here
# because the dataset writer runs module-level work functions (they must pickle to reach a writer process)
# and a WARC file stays open across a crawl's batches.
_WRITERS: dict[str, WarcFileWriter] = {}


def archive_config(db_path: str, key: str, max_bytes: int, compression: str = "gzip") -> dict[str, Any]:
    """What the dataset writer needs to write a crawl's captures (small: sent with each batch)."""
    return {"dir": str(archive_dir(db_path)), "key": key, "max_bytes": max_bytes, "dataset": Path(db_path).name,
            "compression": compression}


# the latest files of a site looked at for a dictionary (a site's files all carry the same one unless a run
# trained its own: the newest few are enough)
DICTIONARY_FILES = 5


def site_dictionary(folder: str | Path, dataset: Dataset, site: str) -> bytes | None:
    """The dictionary of the site's newest zstd file that has one (None: there is none to reuse).

    The file names start with the time they were begun, so the last names are the newest."""
    names = [n for n in dataset.capture_files(site) if is_zstd(n)][-DICTIONARY_FILES:]
    for name in reversed(names):
        try:
            with open(resolve(folder, name), "rb") as fh:
                found, _ = zstd.read_dictionary(fh)
        except (OSError, zstd.ZstdWarcError):
            continue  # gone or damaged: `linfen archive verify` says so; a new dictionary is trained
        if found is not None:
            return found
    return None


def _headers(headers: Any) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers.items() for v in values]


def pending_row(request: Request, response: Response, site: str, run_id: int | None,
                fetched_at: str | None = None, archive: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """A capture to write for an article page's response, or None for other requests (pure; the digest,
    the compression and the writes happen in the dataset writer)."""
    kind = request.meta.get("kind")
    if kind not in RAW_KINDS:
        return None
    url = canonicalize_url(request.url)
    if kind == "article_page":
        article_url, page = request.meta["first_url"], int(request.meta.get("pages", 1)) + 1
    else:
        article_url, page = canonicalize_url(response.url), 1
    return {"url": url, "article_url": article_url, "page": page, "site": site, "run_id": run_id,
            "fetched_at": fetched_at or utcnow(), "status": response.status, "final_url": response.url,
            "headers": _headers(response.headers), "method": request.method,
            "request_headers": _headers(request.headers), "size": len(response.body), "body": response.body,
            "archive": archive}


def _writer(config: dict[str, Any]) -> WarcFileWriter:
    found = _WRITERS.get(config["key"])
    if found is None:
        found = _WRITERS[config["key"]] = WarcFileWriter(config["dir"], config["max_bytes"],
                                                         {"isPartOf": config["dataset"]},
                                                         compression=config.get("compression", "gzip"))
    return found


def _write(writer: WarcFileWriter, dataset: Dataset, row: dict[str, Any],
           batch_digests: dict[str, str]) -> dict[str, Any]:
    """Write one capture; returns its ``captures`` row."""
    body = row["body"]
    digest = payload_digest(body)
    previous = None if row["url"] in batch_digests else dataset.last_capture(row["url"])
    same = previous is not None and previous["digest"] == digest and previous["status"] == row["status"]
    capture = Capture(url=row["final_url"] or row["url"], fetched_at=row["fetched_at"], status=row["status"],
                      body=body, headers=row["headers"], method=row.get("method") or "GET",
                      request_headers=row.get("request_headers") or [])
    revisit_of = None
    if same:
        assert previous is not None
        revisit_of = (previous["payload_url"] or row["url"], warc_date(previous["payload_fetched_at"]))
    pointer = writer.write_capture(capture, revisit_of, run=(row["run_id"], row["site"]), digest=digest)
    batch_digests[row["url"]] = digest
    return {**{k: row[k] for k in ("url", "article_url", "page", "site", "run_id", "fetched_at", "status",
                                   "final_url", "size")},
            "record": "revisit" if same else "response", "digest": digest,
            "payload_id": previous["payload_id"] if same and previous else None,
            "warc_file": pointer.file, "warc_offset": pointer.offset, "warc_length": pointer.length}


def write_raw_pages(dataset: Dataset, rows: list[dict[str, Any]]) -> int:
    """Write a batch of pending rows to the archive, then their pointers (in the dataset writer, off the
    reactor). The records reach the OS before the pointers are committed: a kill in between leaves records
    no pointer names (harmless), never a pointer to nothing."""
    if not rows:
        return 0
    writer = _writer(rows[0]["archive"])
    writer.find_dictionary = lambda site: site_dictionary(writer.folder, dataset, site)
    digests: dict[str, str] = {}
    captures = [_write(writer, dataset, row, digests) for row in rows]
    return dataset.add_captures(captures)


def close_archive(dataset: Dataset, key: str) -> None:
    """Close a crawl's current WARC file (its final name); a dataset-writer work function."""
    writer = _WRITERS.pop(key, None)
    if writer is not None:
        writer.close()


def prepare_archive(dataset: Dataset, config: dict[str, Any]) -> int:
    """At a crawl's start (a dataset-writer work function): close the WARC files a killed crawl left open,
    dropping a partial last record (:func:`~linfen_crawler.archive.warc.recover`), and move a ``raw_pages``
    table into the archive (:func:`move_raw_pages`). Returns the pages moved."""
    folder = Path(config["dir"])
    if folder.is_dir():
        for name, dropped in recover(folder):
            logger.warning("%s was left open by a crawl that did not finish: closed%s", name,
                           f", {dropped} bytes of a partial last record dropped" if dropped else "")
    return move_raw_pages(dataset, config)


# -- datasets from before issue 19 -------------------------------------------------------------------------
def _legacy_body(row: dict[str, Any]) -> bytes:
    if row.get("compression") == "zlib":
        return zlib.decompress(row["body"])
    return bytes(row["body"] or b"")


def move_raw_pages(dataset: Dataset, config: dict[str, Any]) -> int:
    """Move a dataset's ``raw_pages`` rows into its archive, each read back and its payload digest checked
    before any row goes; then the table is dropped and the file vacuumed. Returns the pages moved."""
    if not dataset.has_raw_pages():
        return 0
    writer = WarcFileWriter(config["dir"], config["max_bytes"], {"isPartOf": config["dataset"],
                                                                 "description": "moved from raw_pages"})

    def archive(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            body = _legacy_body(row)
            headers = list(json.loads(row["headers"] or "{}").items())
            capture = Capture(url=row["final_url"] or row["url"], fetched_at=row["fetched_at"],
                              status=row["status"], body=body, headers=headers, request_headers=[])
            pointer = writer.write_capture(capture, run=(row["run_id"], row["site"]),
                                           extra={"moved_from": "raw_pages"})
            back = read_record(config["dir"], pointer, check_digest=True)  # the record's own digest checked
            if back.body != body:
                raise ArchiveError(f"{row['url']}: the archived copy differs from raw_pages; nothing moved")
            out.append({**{k: row[k] for k in ("url", "article_url", "page", "site", "run_id", "fetched_at",
                                               "status", "final_url")},
                        "size": len(body), "record": "response", "digest": pointer.digest, "payload_id": None,
                        "warc_file": pointer.file, "warc_offset": pointer.offset, "warc_length": pointer.length})
        writer.sync()  # on the disk before the rows (the pages' only other copy) can be dropped
        return out

    try:
        moved = dataset.move_raw_pages(archive)
    finally:
        writer.close()
    if moved:
        logger.info("moved %d raw pages from the dataset into %s", moved, config["dir"])
    return moved


# -- reading -------------------------------------------------------------------------------------------
def capture_page(folder: str | Path, row: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The payload and HTTP headers of a capture row (:meth:`Dataset.capture_articles`), from the archive."""
    record = read_record(folder, Pointer(row["payload_file"], row["payload_offset"], row["payload_length"]))
    return record.body, {k: v for k, v in record.headers}
