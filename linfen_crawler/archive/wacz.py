"""Pack WARC files into one WACZ file, to share a crawl's archive as one file (``linfen archive pack``).

Why: a folder of WARC files is what archive tools write, but not what a researcher can open with a double
click. WACZ (Webrecorder's "Web Archive Collection Zipped", specs.webrecorder.net/wacz/1.1.1/) is a ZIP file
holding the WARCs with an index, a page list and a manifest with a digest of every file; ReplayWeb.page opens
it in a browser, pywb and py-wacz read it, and ``wacz validate`` checks it. The layout written here:

* ``archive/NAME.warc.gz``: the WARC files, *stored* (not deflated) so that a reader can seek to a record's
  offset inside the ZIP. A zstd WARC (``.warc.zst``, :mod:`.zstd`) is rewritten as gzip per record on the
  way in: WACZ readers do not read zstd WARCs yet.
* ``indexes/index.cdx``: a CDXJ line per response, revisit and resource record, sorted: the URL's SURT key
  (the ``surt`` package, as pywb and the Wayback Machine compute it), the 14-digit capture time, then JSON
  with url, mime, status, digest, length, offset and filename, as Webrecorder's cdxj-indexer writes it.
* ``pages/pages.jsonl``: a header line ``{"format": "json-pages-1.0", ...}``, then one line per page (url,
  ts, title): the pages a viewer lists first. By default every HTML response with status 200; a caller that
  knows which captures are articles (and their headlines) passes them as ``pages``.
* ``datapackage.json``: the Frictionless data package manifest: every file's path, size and ``sha256:``
  digest, ``wacz_version`` 1.1.1, title, creation time; ``datapackage-digest.json`` holds its own digest.

The module is pure: it reads the WARC files it is given and writes one ZIP; nothing of Scrapy or the dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import surt as surt_lib
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_timestamp, timestamp_to_iso_date

from linfen_crawler import __version__
from linfen_crawler.archive.zstd import SUFFIX as ZSTD_SUFFIX
from linfen_crawler.archive.zstd import ZstdWarcError, iter_frames

__all__ = ["WACZ_VERSION", "Packed", "PageEntry", "WaczError", "cdxj_lines", "pack"]

#: The version of the WACZ format written (what ``wacz validate`` 0.5+ checks against).
WACZ_VERSION = "1.1.1"
_WARC_SUFFIXES = (".warc", ".warc.gz", ZSTD_SUFFIX)
_INDEXED = ("response", "revisit", "resource", "metadata")
_COPY_CHUNK = 1 << 20
_ZipTime = tuple[int, int, int, int, int, int]


class WaczError(ValueError):
    """A WARC file that cannot be packed (missing, not a WARC, two of one name), said in one line."""


@dataclass(frozen=True)
class PageEntry:
    """One line of ``pages/pages.jsonl``: a page a viewer lists (``ts`` as ``2026-12-05T08:30:00Z``)."""

    url: str
    ts: str
    title: str | None = None


@dataclass(frozen=True)
class Packed:
    """What :func:`pack` wrote: the file, how many WARCs, indexed records and pages, and its size."""

    path: Path
    warcs: int
    records: int
    pages: int
    size: int


def _zst_to_gzip(src: Path, dst: Path) -> None:
    """A zstd WARC rewritten as gzip per record (one gzip member per record, WARC 1.1 Annex D)."""
    with open(src, "rb") as f, open(dst, "wb") as out:
        for frame in iter_frames(f):
            gz = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
            out.write(gz.compress(frame.data) + gz.flush())


def _mime(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip()


def cdxj_lines(f: IO[bytes], filename: str, pages: list[PageEntry] | None = None) -> Iterator[str]:
    """The CDXJ index lines of one WARC file (gzip or plain), unsorted; HTML 200 responses go to ``pages``.

    Raises :class:`WaczError` for a file without a single record (gzip that holds no WARC, an empty file)."""
    it = ArchiveIterator(f)
    seen = 0
    for record in it:
        seen += 1
        kind = record.rec_type
        headers = record.rec_headers
        ctype = headers.get_header("Content-Type") or ""
        url = headers.get_header("WARC-Target-URI")
        if (kind not in _INDEXED or not url
                or (kind in ("resource", "metadata") and ctype == "application/warc-fields")):
            it.read_to_end(record)  # a record nobody replays: warcinfo, request, a run's own metadata
            continue
        date = headers.get_header("WARC-Date")
        entry: dict[str, Any] = {"url": url}
        status = None
        if kind == "revisit":
            entry["mime"] = "warc/revisit"
        elif record.http_headers is not None and kind == "response":
            entry["mime"] = _mime(record.http_headers.get_header("Content-Type"))
        else:
            entry["mime"] = _mime(ctype)
        if record.http_headers is not None and kind in ("response", "revisit"):
            status = record.http_headers.get_statuscode()
            entry["status"] = status
        digest = headers.get_header("WARC-Payload-Digest")
        if digest:
            entry["digest"] = digest
        it.read_to_end(record)
        entry["length"] = str(it.get_record_length())
        entry["offset"] = str(it.get_record_offset())
        entry["filename"] = filename
        timestamp = iso_date_to_timestamp(date)
        if pages is not None and kind == "response" and status == "200" and entry["mime"] in (
                "text/html", "application/xhtml+xml"):
            pages.append(PageEntry(url, timestamp_to_iso_date(timestamp)))
        yield f"{surt_lib.surt(url)} {timestamp} {json.dumps(entry, ensure_ascii=False)}"
    if not seen:
        raise WaczError("holds no WARC records")


def _name(path: Path) -> str:
    name = path.name
    return name[: -len(ZSTD_SUFFIX)] + ".warc.gz" if name.endswith(ZSTD_SUFFIX) else name


def _pages_jsonl(pages: Iterable[PageEntry]) -> bytes:
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    seen = set()
    for page in pages:
        if (page.url, page.ts) in seen:
            continue
        seen.add((page.url, page.ts))
        entry = {"id": hashlib.sha1(f"{page.url} {page.ts}".encode()).hexdigest()[:22], "url": page.url,
                 "ts": page.ts}
        if page.title:
            entry["title"] = page.title
        lines.append(json.dumps(entry, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


class _HashingWriter:
    """Counts and hashes what passes to the ZIP entry (one read of each WARC: copied and digested at once)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.out.write(data)


def pack(
    warc_files: Iterable[str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
    *,
    title: str,
    description: str | None = None,
    pages: Iterable[PageEntry] | None = None,
    created: datetime | None = None,
) -> Packed:
    """Write a WACZ of the given WARC files (``.warc``, ``.warc.gz`` or ``.warc.zst``) to ``out_path``.

    ``pages``: the page list (default: every HTML response with status 200, in the order of the WARCs).
    The file appears whole or not at all: it is written beside ``out_path`` and renamed when complete.
    Raises :class:`WaczError` for no files, a missing file, a file that is not a WARC, or two WARCs of one name.
    """
    sources = [Path(p) for p in warc_files]
    if not sources:
        raise WaczError("no WARC files to pack")
    names: dict[str, Path] = {}
    for src in sources:
        if not src.is_file():
            raise WaczError(f"{src}: no such WARC file")
        if not src.name.endswith(_WARC_SUFFIXES):
            raise WaczError(f"{src}: not a WARC file (expected .warc, .warc.gz or .warc.zst)")
        name = _name(src)
        if name in names:
            raise WaczError(f"two WARC files would be archive/{name} in the WACZ: {names[name]} and {src}")
        names[name] = src
    out = Path(out_path)
    created = created or datetime.now(UTC)
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    t = created.astimezone(UTC)
    zip_time = (t.year, t.month, t.day, t.hour, t.minute, t.second)
    partial = out.with_name(out.name + ".part")
    found_pages: list[PageEntry] = []
    index: list[str] = []
    resources: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="wacz-", dir=out.parent) as tmp, \
                zipfile.ZipFile(partial, "w", allowZip64=True) as zf:
            for name, src in names.items():
                path = src
                if src.name.endswith(ZSTD_SUFFIX):
                    path = Path(tmp) / name
                    try:
                        _zst_to_gzip(src, path)
                    except ZstdWarcError as e:
                        raise WaczError(f"{src}: {e}") from e
                with open(path, "rb") as f:
                    try:
                        index.extend(cdxj_lines(f, name, found_pages))
                    except WaczError as e:
                        raise WaczError(f"{src}: {e}") from e
                    except Exception as e:  # warcio raises plain Exceptions on a file that is not a WARC
                        raise WaczError(f"{src}: not a readable WARC file ({e})") from e
                info = zipfile.ZipInfo(f"archive/{name}", zip_time)
                info.compress_type = zipfile.ZIP_STORED  # readers seek into it by the index's offsets
                size = path.stat().st_size
                with open(path, "rb") as f, zf.open(info, "w", force_zip64=size > 2**31) as entry:
                    hashing = _HashingWriter(entry)
                    shutil.copyfileobj(f, hashing, _COPY_CHUNK)
                resources.append(_resource(info.filename, hashing.sha.hexdigest(), hashing.size))
            index.sort()
            page_list = _pages_jsonl(found_pages if pages is None else pages)
            for arcname, data in (("indexes/index.cdx", "".join(line + "\n" for line in index).encode("utf-8")),
                                  ("pages/pages.jsonl", page_list)):
                _write_bytes(zf, arcname, data, zip_time)
                resources.append(_resource(arcname, hashlib.sha256(data).hexdigest(), len(data)))
            package: dict[str, Any] = {"profile": "data-package", "resources": resources, "title": title}
            if description:
                package["description"] = description
            package.update(created=stamp, wacz_version=WACZ_VERSION, software=f"linfen-crawler {__version__}")
            manifest = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
            _write_bytes(zf, "datapackage.json", manifest, zip_time)
            digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(manifest).hexdigest()}
            _write_bytes(zf, "datapackage-digest.json", json.dumps(digest, indent=2).encode("utf-8"), zip_time)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    n_pages = page_list.count(b"\n") - 1
    return Packed(out, len(names), len(index), n_pages, out.stat().st_size)


def _resource(path: str, sha256: str, size: int) -> dict[str, Any]:
    return {"name": os.path.basename(path).lower(), "path": path, "hash": f"sha256:{sha256}", "bytes": size}


def _write_bytes(zf: zipfile.ZipFile, arcname: str, data: bytes, zip_time: _ZipTime) -> None:
    info = zipfile.ZipInfo(arcname, zip_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)
