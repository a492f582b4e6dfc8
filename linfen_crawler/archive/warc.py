"""WARC files: write captures, read one record back at a pointer, recover a file a killed crawl left behind.

warcio (the Webrecorder project's WARC library, also used by pywb) makes and parses every record: the format
has enough corners (digests, header folding, record lengths) that a hand-written one would sooner or later
write files that other tools reject.

Layout and guarantees (docs/archive.md):

* A file is written as ``<name>.warc.gz.open`` and renamed to ``<name>.warc.gz`` when it is closed (at the
  end of a crawl, or when it reaches the size limit); the ``.open`` file is held with an exclusive ``flock``
  while it is written. Pointers name the final file; :func:`resolve` finds either.
* Each record is one gzip member, made in memory and handed to the OS in one write: a crawl killed mid-write
  leaves at most one partial member at the end of its ``.open`` file. :func:`recover` (run by every writer
  before it starts) finds the end of the last complete member of each ``.open`` file no live writer holds,
  truncates what follows and renames the file.
* A write that fails for a full disk is undone (the file truncated back) and raises
  :class:`~linfen_crawler.diskfull.DiskFull` naming the archive folder.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import io
import json
import os
import secrets
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from linfen_crawler import __version__
from linfen_crawler.diskfull import FULL_ERRNOS, DiskFull

WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
WARC_VERSION = "WARC/1.1"
# warcio gzips at level 9; on the corpus's real article pages level 3 takes a third of its CPU for a record
# 8 % bigger (0.82 against 2.56 ms per page; level 6: 1.51 ms, the same size as 9). The archive's CPU budget
# is 10 % of the crawl's per page (issue 19), and zstd with a dictionary is the option for size.
GZIP_LEVEL = 3
# headers that describe the bytes on the wire, not the payload kept: Scrapy hands us the decoded body
DROPPED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def payload_digest(body: bytes) -> str:
    """The ``WARC-Payload-Digest`` warcio writes for ``body``: ``sha1:`` and the base32 SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(iso: str) -> str:
    """``2026-12-05T19:30:00+00:00`` (the dataset's times) -> ``2026-12-05T19:30:00Z`` (WARC-Date)."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Capture:
    """One fetch to archive: the request and the response as the crawl saw them (body decoded)."""
    url: str  # the URL fetched (after redirects): WARC-Target-URI
    fetched_at: str  # ISO 8601 UTC, as in the dataset
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)  # response headers
    method: str = "GET"
    request_headers: list[tuple[str, str]] = field(default_factory=list)  # None: no request record


@dataclass
class Pointer:
    """Where a record is: file name (in the archive folder), byte offset and length of its gzip member."""
    file: str
    offset: int
    length: int
    digest: str = ""  # the payload digest of a response or revisit


@dataclass
class Record:
    """A record read back (:func:`read_record`)."""
    type: str
    uri: str
    date: str
    digest: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _kept_headers(headers: Sequence[tuple[str, str]], size: int) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
    return [*kept, ("Content-Length", str(size))]


class WarcFileWriter:
    """Appends records to the archive folder's current file, rotating at ``max_bytes``.

    One per crawl writer (its files are its own: ``linfen-<time>-<pid>-<random>-<n>.warc.gz``). ``info``
    goes into each file's warcinfo record (dataset, software). Not thread-safe: the crawl's dataset writer
    calls it from one thread.
    """

    def __init__(self, folder: str | os.PathLike[str], max_bytes: int, info: dict[str, str] | None = None) -> None:
        self.folder = Path(folder)
        self.max_bytes = max(1, max_bytes)
        self.info = dict(info or {})
        self.name_stem = (f"linfen-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}-{os.getpid()}-"
                          f"{secrets.token_hex(3)}")
        self.sequence = 0
        self.name: str | None = None  # the current file's final name
        self._fh: IO[bytes] | None = None
        self._warc = WARCWriter(None, gzip=False, warc_version=WARC_VERSION)  # gzipped by _append
        self._metadata_written: set[tuple[Any, ...]] = set()  # (run_id, site) with a metadata record in this file

    # -- files ---------------------------------------------------------------------------------------
    def _open(self) -> IO[bytes]:
        if self._fh is not None:
            return self._fh
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            recover(self.folder)
            self.name = f"{self.name_stem}-{self.sequence:05d}{WARC_SUFFIX}"
            self.sequence += 1
            fh = open(self.folder / (self.name + OPEN_SUFFIX), "xb", buffering=0)  # noqa: SIM115 (kept open)
        except OSError as exc:
            if exc.errno in FULL_ERRNOS:
                raise DiskFull(self.folder) from exc
            raise
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fh = fh
        self._metadata_written = set()
        info = {"software": f"linfen-crawler/{__version__} (warcio)", "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                **self.info}
        self._append(self._warc.create_warcinfo_record(self.name, info))
        return fh

    def close(self) -> None:
        """Close the current file and give it its final name (a later write starts a new file)."""
        if self._fh is None:
            return
        fh, self._fh = self._fh, None
        assert self.name is not None
        try:
            os.replace(self.folder / (self.name + OPEN_SUFFIX), self.folder / self.name)
        finally:
            fh.close()  # after the rename: no recovery may take the file for abandoned in between

    def _append(self, record: Any) -> Pointer:
        """Write one record as one gzip member in one write; a failed write is undone."""
        fh = self._fh
        assert fh is not None and self.name is not None
        buf = io.BytesIO()
        self._warc._write_warc_record(buf, record)  # the record alone, into memory
        packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # one gzip member
        data = packer.compress(buf.getvalue()) + packer.flush()
        offset = fh.seek(0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                written = fh.write(view)
                view = view[written or 0:]
        except OSError as exc:
            with contextlib.suppress(OSError):
                fh.truncate(offset)
            if exc.errno in FULL_ERRNOS:
                raise DiskFull(self.folder) from exc
            raise
        digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
        return Pointer(self.name, offset, len(data), digest)

    def _rotate_if_full(self) -> None:
        if self._fh is not None and self._fh.seek(0, os.SEEK_END) >= self.max_bytes:
            self.close()

    # -- records -------------------------------------------------------------------------------------
    def write_metadata(self, run_id: int | None, site: str, extra: dict[str, Any] | None = None) -> None:
        """A ``metadata`` record naming the run and profile of the captures that follow (once per file)."""
        key = (run_id, site)
        self._open()
        if key in self._metadata_written:
            return
        payload = json.dumps({"run_id": run_id, "site": site, "profile": site, **(extra or {})},
                             ensure_ascii=False).encode()
        record = self._warc.create_warc_record(
            f"urn:linfen:run:{run_id}:{site}", "metadata", payload=io.BytesIO(payload),
            length=len(payload), warc_content_type="application/json")
        self._append(record)
        self._metadata_written.add(key)

    def write_capture(self, capture: Capture, revisit_of: tuple[str, str] | None = None,
                      run: tuple[int | None, str] | None = None, extra: dict[str, Any] | None = None) -> Pointer:
        """The response (or, with ``revisit_of = (uri, date)`` of the earlier capture of the same payload,
        a ``revisit`` record: headers only) and then its request record; the pointer is the response's.
        ``run = (run id, profile)``: the file gets that run's metadata record first (once per file)."""
        self._rotate_if_full()
        self._open()
        if run is not None:
            self.write_metadata(run[0], run[1], extra)
        date = warc_date(capture.fetched_at)
        http = StatusAndHeaders(_status_line(capture.status), _kept_headers(capture.headers, len(capture.body)),
                                protocol="HTTP/1.1")
        digest = payload_digest(capture.body)
        if revisit_of is None:
            record = self._warc.create_warc_record(  # the digest given: warcio hashes the block only
                capture.url, "response", payload=io.BytesIO(capture.body), length=len(capture.body),
                http_headers=http, warc_headers_dict={"WARC-Date": date, "WARC-Payload-Digest": digest})
        else:
            record = self._warc.create_revisit_record(
                capture.url, digest, revisit_of[0], revisit_of[1], http_headers=http,
                warc_headers_dict={"WARC-Date": date})
        pointer = self._append(record)
        pointer.digest = digest
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        path = capture.url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        request = self._warc.create_warc_record(
            capture.url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"{capture.method} {path} HTTP/1.1", list(capture.request_headers),
                                          is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id})
        self._append(request)
        return pointer


# -- reading -------------------------------------------------------------------------------------------
def resolve(folder: str | os.PathLike[str], name: str) -> Path:
    """The file a pointer names: ``name``, or ``name.open`` while it is being written (or was left so)."""
    path = Path(folder) / name
    if not path.exists() and (opened := path.with_name(name + OPEN_SUFFIX)).exists():
        return opened
    return path


class ArchiveError(Exception):
    """A pointer that does not lead to a sound record; the message says what is wrong, in one line."""


def read_record(folder: str | os.PathLike[str], pointer: Pointer, *, check_digest: bool = False) -> Record:
    """The record at ``pointer``: exactly one complete gzip member of ``length`` bytes holding one WARC
    record (else :class:`ArchiveError`); with ``check_digest``, its payload's SHA-1 must match."""
    path = resolve(folder, pointer.file)
    try:
        with open(path, "rb") as fh:
            fh.seek(pointer.offset)
            data = fh.read(pointer.length)
    except OSError as exc:
        raise ArchiveError(f"{pointer.file}: cannot read ({exc.strerror})") from None
    where = f"{pointer.file}@{pointer.offset}"
    if len(data) < pointer.length:
        raise ArchiveError(f"{where}: file ends {pointer.length - len(data)} bytes before the record's end")
    member = zlib.decompressobj(31)
    try:
        member.decompress(data)
    except zlib.error as exc:
        raise ArchiveError(f"{where}: not a gzip member ({exc})") from None
    if not member.eof or member.unused_data:
        raise ArchiveError(f"{where}: the gzip member does not end at the pointer's length {pointer.length}")
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(data))))
        body = record.content_stream().read()
    except Exception as exc:  # warcio raises several kinds for a broken record
        raise ArchiveError(f"{where}: not a WARC record ({exc})") from None
    headers = record.http_headers.headers if record.http_headers else []
    status = int(record.http_headers.get_statuscode() or 0) if record.http_headers else 0
    found = Record(type=record.rec_type, uri=record.rec_headers.get_header("WARC-Target-URI") or "",
                   date=record.rec_headers.get_header("WARC-Date") or "",
                   digest=record.rec_headers.get_header("WARC-Payload-Digest") or "", status=status,
                   headers=list(headers), body=body)
    if check_digest and found.type == "response" and payload_digest(body) != found.digest:
        raise ArchiveError(f"{where}: payload digest {payload_digest(body)} does not match its header "
                           f"{found.digest}")
    return found


def iter_records(path: str | os.PathLike[str]) -> Iterator[tuple[int, int, Any]]:
    """(offset, length, warcio record) of every record in a WARC file (content read and discarded)."""
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            record.content_stream().read()
            yield it.get_record_offset(), it.get_record_length(), record


# -- recovery ------------------------------------------------------------------------------------------
def complete_length(fh: IO[bytes], chunk: int = 1 << 20) -> int:
    """The length of the run of complete gzip members at the start of ``fh`` (where a partial or broken
    last member begins, or the file's end)."""
    fh.seek(0)
    pos = good = 0
    member = zlib.decompressobj(31)
    while data := fh.read(chunk):
        while data:
            try:
                member.decompress(data, 1 << 16)
                while member.unconsumed_tail and not member.eof:  # bounded memory on a big record
                    member.decompress(member.unconsumed_tail, 1 << 16)
            except zlib.error:
                return good
            if member.eof:
                used = len(data) - len(member.unused_data)
                pos += used
                good = pos
                data = member.unused_data
                member = zlib.decompressobj(31)
            else:
                pos += len(data)
                data = b""
    return good


def recover(folder: str | os.PathLike[str]) -> list[tuple[str, int]]:
    """Close the ``.open`` files no live writer holds (a killed crawl's): drop a partial last record
    and rename. Returns (file, bytes dropped) per file recovered."""
    done: list[tuple[str, int]] = []
    for path in sorted(Path(folder).glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        try:
            fh = open(path, "r+b")  # noqa: SIM115 (closed below, after the rename)
        except FileNotFoundError:  # another writer recovered it meanwhile
            continue
        with fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a live writer's
                continue
            if not path.exists():  # renamed by the writer or another recovery before we locked it
                continue
            size = path.stat().st_size
            good = complete_length(fh)
            if good < size:
                fh.truncate(good)
            os.replace(path, path.with_name(path.name[: -len(OPEN_SUFFIX)]))
            done.append((path.name[: -len(OPEN_SUFFIX)], size - good))
    return done
