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
* ``compression="zstd"`` (``LINFEN_ARCHIVE_COMPRESSION``) writes ``.warc.zst`` files instead: one zstd frame
  per record, after a dictionary frame (:mod:`linfen_crawler.archive.zstd`, the IIPC proposal). Everything
  above holds for them too: the reader, the recovery and the rotation look at the file's suffix.

Where a zstd file's dictionary comes from (docs/archive.md, "zstd"): the site's previous zstd file in the
archive (``find_dictionary``), so a site's later runs need no training; a site with none yet starts a file
without a dictionary and keeps its records (as written) as samples; after the first :data:`TRAIN_PAGES`
pages it trains a dictionary on them and closes that file: the next file of the run starts with the
dictionary. After :data:`RETRAIN_PAGES` pages it trains a better one on all of them and starts a file with
that, which later runs reuse. Nothing is held back: every record reaches the OS before its pointer is
committed, as with gzip. A run that ends before enough pages has written dictionary-less zstd frames only.
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import zstandard
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from linfen_crawler import __version__
from linfen_crawler.archive import zstd
from linfen_crawler.diskfull import FULL_ERRNOS, DiskFull

WARC_SUFFIX = ".warc.gz"
ZSTD_SUFFIX = zstd.SUFFIX  # ".warc.zst"
SUFFIXES = {"gzip": WARC_SUFFIX, "zstd": ZSTD_SUFFIX}  # LINFEN_ARCHIVE_COMPRESSION -> file suffix
# Pages of a site written without a dictionary before one is made of their records (zstd, when the archive
# holds no earlier zstd file of the site). Fewer pages start the dictionary sooner; more make a better one, so
# the run makes one again of its first RETRAIN_PAGES pages (their records held in memory until then), and that
# dictionary is the one later runs reuse. Demo lfxww in benchmarks/archive.py's order, its pages 65-79 (an
# older design) against warcio's gzip, zstd level 3 (December 2026): a dictionary of 8 pages 0.575, 16: 0.573,
# 32: 0.312, 64: 0.271 (pages 9-32 with the dictionary of 8: 0.307).
TRAIN_PAGES = 8
RETRAIN_PAGES = 32
# zstd level of the crawl's records. With a site's dictionary the level matters little for size and much for
# CPU (December 2026, benchmarks/archive.py): all sites 0.294 of gzip's bytes at level 3 against 0.267 at 9 and
# 0.264 at 19, for a quarter and a tenth of their CPU; on the synthetic 51 KB pages of benchmarks/crawl.py
# (little shared text) level 3 compresses in 0.23 ms per page, level 2 in 0.14 ms (1.4 % more bytes), level 1
# in 0.10 ms (16 % more). `linfen archive pack` or a re-write can go further.
ZSTD_LEVEL = 3
OPEN_SUFFIX = ".open"
WARC_VERSION = "WARC/1.1"
# The gzip members are deflated with ISA-L (Intel's compression library, `isal`), whose fast levels take a
# quarter to a fifth of zlib's CPU for the same bytes: per page (December 2026), the synthetic 52 KB pages of
# benchmarks/crawl.py 83 us and 14.9 KB at ISA-L level 2 against zlib level 3's 359 us and 14.9 KB (zlib level 1:
# 300 us, 14.8 KB); the corpus's real article pages 172 us and 28.6 KB against 806 us and 27.2 KB (warcio's zlib
# level 9: 2.6 ms, 25.0 KB). Any gzip reader reads the result: it is the same format. The archive's CPU budget
# is 10 % of the crawl's per page (issue 19), and zstd with a dictionary is the option for size.
GZIP_LEVEL = 2
_deflate_lib: ModuleType
try:  # ISA-L where it has wheels (x86-64, ARM64: pyproject's marker); elsewhere zlib, the same format
    from isal import isal_zlib

    _deflate_lib, DEFLATE_LEVEL = isal_zlib, GZIP_LEVEL
except ImportError:  # pragma: no cover - tested in a subprocess without isal (tests/test_archive.py)
    _deflate_lib, DEFLATE_LEVEL = zlib, 1  # zlib's fastest: 300 us a synthetic page (ISA-L: 83 us)
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


class _GzipMember:
    """What warcio's record writer writes to: deflated as it comes (no copy of the record in between) into
    one gzip member, :meth:`finish` returns it."""

    def __init__(self) -> None:
        self._deflate = _deflate_lib.compressobj(DEFLATE_LEVEL, _deflate_lib.DEFLATED, 31)
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(self._deflate.compress(data))
        return len(data)

    def flush(self) -> None:
        """warcio flushes after each record; the member is completed by :meth:`finish`."""

    def finish(self) -> bytes:
        self._parts.append(self._deflate.flush())
        return b"".join(self._parts)


def _block_digest(http: StatusAndHeaders, body: bytes) -> str:
    """The ``WARC-Block-Digest`` of a response or request record: the SHA-1 of its block, the HTTP header
    bytes (as warcio serialises them) and then the body. Computed here from the body in memory, it spares
    warcio reading the payload stream back in pieces to compute it."""
    http.compute_headers_buffer()
    block = hashlib.sha1(http.headers_buff)
    block.update(body)
    return "sha1:" + base64.b32encode(block.digest()).decode("ascii")


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

    One per crawl writer (its files are its own: ``linfen-<time>-<pid>-<random>-<n>.warc.gz``, or
    ``.warc.zst`` with ``compression="zstd"``; module docstring for its dictionaries). ``info``
    goes into each file's warcinfo record (dataset, software). Not thread-safe: the crawl's dataset writer
    calls it from one thread.
    """

    def __init__(self, folder: str | os.PathLike[str], max_bytes: int, info: dict[str, str] | None = None,
                 compression: str = "gzip") -> None:
        if compression not in SUFFIXES:
            raise ValueError(f"unknown archive compression {compression!r} (gzip or zstd)")
        self.folder = Path(folder)
        self.max_bytes = max(1, max_bytes)
        self.info = dict(info or {})
        self.compression = compression
        self.suffix = SUFFIXES[compression]
        # zstd: the dictionary of the site being written (None: none yet), where to look for the one of the
        # site's previous zstd file (site -> dictionary bytes or None; the crawl's dataset knows the files),
        # and the records kept to train one when there is none
        self.site: str | None = None
        self.dictionary: bytes | None = None
        self.find_dictionary: Callable[[str], bytes | None] | None = None
        self._samples: list[bytes] = []
        self._sampled_pages = 0
        self._sampling = False  # a site without a dictionary to reuse: its first records are kept to train one
        self._zstd: zstandard.ZstdCompressor | None = None
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
            self.name = f"{self.name_stem}-{self.sequence:05d}{self.suffix}"
            self.sequence += 1
            # made under a name recover() does not look at, locked, then named .open: another crawl's
            # recover() never sees an .open file before its writer holds the lock (it took it for abandoned)
            fresh = self.folder / (self.name + ".new")
            fh = open(fresh, "xb", buffering=0)  # noqa: SIM115 (kept open)
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(fresh, self.folder / (self.name + OPEN_SUFFIX))
        except OSError as exc:
            if exc.errno in FULL_ERRNOS:
                raise DiskFull(self.folder) from exc
            raise
        self._fh = fh
        if self.compression == "zstd":
            # the dictionary frame first (one write, undone on a full disk as a record is)
            self._zstd = zstd.compressor(self.dictionary, ZSTD_LEVEL)
            if self.dictionary is not None:
                self._write_bytes(zstd.dictionary_frame(self.dictionary))
        self._metadata_written = set()
        info = {"software": f"linfen-crawler/{__version__} (warcio)", "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                **self.info}
        self._append(self._warc.create_warcinfo_record(self.name, info))
        return fh

    def sync(self) -> None:
        """Put what was written so far on the disk (the file and the folder's entry for it): before the
        only other copy of the pages goes (``raw_pages`` moved into the archive)."""
        if self._fh is not None:
            os.fsync(self._fh.fileno())
            folder = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def close(self) -> None:
        """Close the current file and give it its final name (a later write starts a new file)."""
        if self._fh is None:
            return
        fh, self._fh = self._fh, None
        self._zstd = None
        assert self.name is not None
        try:
            os.fsync(fh.fileno())  # a closed file is complete on the disk (once per file: rotation, a run's end)
            os.replace(self.folder / (self.name + OPEN_SUFFIX), self.folder / self.name)
        finally:
            fh.close()  # after the rename: no recovery may take the file for abandoned in between

    def _append(self, record: Any) -> Pointer:
        """Write one record as one gzip member (or zstd frame) in one write; a failed write is undone."""
        assert self.name is not None
        if self._zstd is not None:
            buf = io.BytesIO()
            self._warc._write_warc_record(buf, record)  # the record alone, into memory
            data = self._zstd.compress(buf.getvalue())  # one frame, with the file's dictionary
            if self._sampling:
                self._samples.append(buf.getvalue())  # to train the site's dictionary on
        else:
            member = _GzipMember()  # warcio writes the record into one gzip member, in memory
            self._warc._write_warc_record(member, record)
            data = member.finish()
        offset, length = self._write_bytes(data)
        digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
        return Pointer(self.name, offset, length, digest)

    def _write_bytes(self, data: bytes) -> tuple[int, int]:
        """Append ``data`` in one write (the OS may take it in parts); undone if it fails."""
        fh = self._fh
        assert fh is not None
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
        return offset, len(data)

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
                      run: tuple[int | None, str] | None = None, extra: dict[str, Any] | None = None,
                      digest: str | None = None) -> Pointer:
        """The response (or, with ``revisit_of = (uri, date)`` of the earlier capture of the same payload,
        a ``revisit`` record: headers only) and then its request record; the pointer is the response's.
        ``run = (run id, profile)``: the file gets that run's metadata record first (once per file).
        ``digest``: the body's :func:`payload_digest`, when the caller has it already."""
        if self.compression == "zstd" and run is not None:
            self._use_site(run[1])
        self._rotate_if_full()
        self._open()
        if run is not None:
            self.write_metadata(run[0], run[1], extra)
        date = warc_date(capture.fetched_at)
        http = StatusAndHeaders(_status_line(capture.status), _kept_headers(capture.headers, len(capture.body)),
                                protocol="HTTP/1.1")
        digest = digest or payload_digest(capture.body)
        if revisit_of is None:
            record = self._warc.create_warc_record(
                capture.url, "response", payload=io.BytesIO(capture.body), length=len(capture.body),
                http_headers=http, warc_headers_dict={"WARC-Date": date, "WARC-Payload-Digest": digest})
            # both digests given: warcio hashes nothing again (added where warcio would add it)
            record.rec_headers.add_header("WARC-Block-Digest", _block_digest(http, capture.body))
        else:
            record = self._warc.create_revisit_record(
                capture.url, digest, revisit_of[0], revisit_of[1], http_headers=http,
                warc_headers_dict={"WARC-Date": date})
        pointer = self._append(record)
        pointer.digest = digest
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        path = capture.url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        request_http = StatusAndHeaders(f"{capture.method} {path} HTTP/1.1", list(capture.request_headers),
                                        is_http_request=True)
        request = self._warc.create_warc_record(
            capture.url, "request", payload=io.BytesIO(b""), length=0, http_headers=request_http,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id})
        request.rec_headers.add_header("WARC-Block-Digest", _block_digest(request_http, b""))
        self._append(request)
        if self._sampling:
            self._sampled_pages += revisit_of is None
            if self._sampled_pages in (TRAIN_PAGES, RETRAIN_PAGES):
                self._train()
        return pointer

    # -- zstd dictionaries -----------------------------------------------------------------------------
    def _use_site(self, site: str) -> None:
        """Captures of ``site`` follow: use its dictionary (the previous zstd file's, if the archive has one).
        A file holds one dictionary, so a change of site, or a dictionary found for a file started without
        one, closes the current file."""
        if site == self.site:
            return
        self.site, self._samples, self._sampled_pages = site, [], 0
        found = self.find_dictionary(site) if self.find_dictionary is not None else None
        if found != self.dictionary:
            self.close()
        self.dictionary = found
        self._sampling = found is None

    def _train(self) -> None:
        """Train the site's dictionary on the records written so far and close the current file (the next
        record starts a file with the new dictionary). Samples too poor to train on: go on as before."""
        try:
            trained = zstd.train_site_dictionary(self._samples, level=ZSTD_LEVEL)
        except zstd.ZstdWarcError:
            trained = None
        if self._sampled_pages >= RETRAIN_PAGES:
            self._sampling, self._samples = False, []  # done: this dictionary stays
        if trained is not None:
            self.dictionary = trained
            self.close()


# -- reading -------------------------------------------------------------------------------------------
def resolve(folder: str | os.PathLike[str], name: str) -> Path:
    """The file a pointer names: ``name``, or ``name.open`` while it is being written (or was left so)."""
    path = Path(folder) / name
    if not path.exists() and (opened := path.with_name(name + OPEN_SUFFIX)).exists():
        return opened
    return path


class ArchiveError(Exception):
    """A pointer that does not lead to a sound record; the message says what is wrong, in one line."""


def is_zstd(name: str | os.PathLike[str]) -> bool:
    """Whether a WARC file (final or ``.open`` name) is a zstd one (else gzip per record)."""
    name = os.fspath(name)
    return name.removesuffix(OPEN_SUFFIX).endswith(ZSTD_SUFFIX)


def _read_zstd(path: Path, pointer: Pointer) -> bytes:
    where = f"{pointer.file}@{pointer.offset}"
    try:
        return zstd.read_record(path, pointer.offset, pointer.length)
    except OSError as exc:
        raise ArchiveError(f"{pointer.file}: cannot read ({exc.strerror})") from None
    except zstd.ZstdWarcError as exc:
        raise ArchiveError(f"{where}: not a whole zstd frame of {pointer.length} bytes "
                           f"({str(exc).rsplit(': ', 1)[-1]})") from None


def read_record(folder: str | os.PathLike[str], pointer: Pointer, *, check_digest: bool = False) -> Record:
    """The record at ``pointer``: exactly one complete gzip member (or, in a ``.warc.zst`` file, one zstd
    frame) of ``length`` bytes holding one WARC record (else :class:`ArchiveError`); with ``check_digest``,
    its payload's SHA-1 must match."""
    path = resolve(folder, pointer.file)
    if is_zstd(pointer.file):
        return _parse_record(_read_zstd(path, pointer), pointer, check_digest)
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
    return _parse_record(data, pointer, check_digest)


def _parse_record(data: bytes, pointer: Pointer, check_digest: bool) -> Record:
    """One WARC record (gzipped, or plain as a zstd frame holds it) as a :class:`Record`."""
    where = f"{pointer.file}@{pointer.offset}"
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
    """(offset, length, warcio record) of every record in a WARC file (content read and discarded); for a
    ``.warc.zst`` file, the offset and length of each record's frame."""
    if is_zstd(path):
        with open(path, "rb") as fh:
            for frame in zstd.iter_frames(fh):
                record = next(iter(ArchiveIterator(io.BytesIO(frame.data))))
                record.content_stream().read()
                yield frame.offset, frame.length, record
        return
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


def zstd_complete_length(fh: IO[bytes]) -> int:
    """The length of the run of whole frames at the start of a zstd WARC (where a partial last frame begins,
    or the file's end). A corrupt frame inside the file is damage, not the trace of a kill: nothing is cut
    there (``linfen archive verify`` names the captures it holds)."""
    fh.seek(0)
    try:
        for _ in zstd.iter_frames(fh):
            pass
    except zstd.PartialRecordError as exc:
        return exc.offset
    except zstd.ZstdWarcError:
        pass
    return fh.seek(0, os.SEEK_END)


def recover(folder: str | os.PathLike[str]) -> list[tuple[str, int]]:
    """Close the ``.open`` files no live writer holds (a killed crawl's): drop a partial last record
    (gzip member or zstd frame) and rename. Returns (file, bytes dropped) per file recovered."""
    done: list[tuple[str, int]] = []
    opened = [p for suffix in SUFFIXES.values() for p in Path(folder).glob(f"*{suffix}{OPEN_SUFFIX}")]
    for path in sorted(opened):
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
            good = zstd_complete_length(fh) if is_zstd(path) else complete_length(fh)
            if good < size:
                fh.truncate(good)
            os.replace(path, path.with_name(path.name[: -len(OPEN_SUFFIX)]))
            done.append((path.name[: -len(OPEN_SUFFIX)], size - good))
    return done
