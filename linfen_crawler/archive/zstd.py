"""Zstandard-compressed WARC files with a per-site dictionary (``--archive-compression zstd``).

Why: the pages of one news portal share almost everything but the article text: the template, the menus, the
footer, the HTTP and WARC headers. gzip compresses each record alone, so it pays for that shared part in every
record. A zstd *dictionary* made from a site's first pages holds the shared part once, and every later record
is compressed against it (``benchmarks/archive.py`` measures how much smaller; docs/archive-formats.md).

The file format is the IIPC's proposed "Zstandard Compression for WARC Files 1.0"
(iipc.github.io/warc-specifications/specifications/warc-zstd/):

* the file starts with a *dictionary frame*: a zstd skippable frame with the magic number ``0x184D2A5D`` whose
  user data is the dictionary (in the zstd dictionary format, magic ``0xEC30A437``), here itself compressed as
  one plain zstd frame, which the proposal allows;
* then every WARC record is exactly one zstd frame, compressed with that dictionary, carrying
  ``Frame_Content_Size``, ``Content_Checksum`` and the ``Dictionary_ID`` (all required by the proposal);
* other skippable frames ("extension frames") may appear between records and are ignored when reading.

Decompressing every frame and concatenating the results gives a plain, uncompressed WARC file, which is how
the reader here hands records to warcio (:func:`open_warc_zst`). A record is also readable on its own from its
offset and length (:func:`read_record`), as the capture pointer table needs: load the dictionary from the start
of the file, seek, decompress one frame.

The writer, :class:`ZstdWarcWriter`, is a warcio ``BaseWARCWriter``: records are built with warcio's own
``create_warc_record`` / ``create_warcinfo_record`` and written with ``write_record`` exactly as with warcio's
``WARCWriter``; only the compression differs. This module is pure: no Scrapy, no dataset.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

import zstandard
from warcio.warcwriter import BaseWARCWriter

# zstd's dictionary builder (ZDICT_finalizeDictionary) is in the standard library from Python 3.14 and in its
# backport before (a dependency of Scrapy too); the `zstandard` package, which compresses, offers only COVER
if sys.version_info >= (3, 14):
    from compression import zstd as _zstd_stdlib
else:
    from backports import zstd as _zstd_stdlib

__all__ = [
    "DICT_FRAME_MAGIC",
    "SUFFIX",
    "Frame",
    "PartialRecordError",
    "ZstdWarcError",
    "ZstdWarcWriter",
    "compressor",
    "dictionary_frame",
    "drop_partial_record",
    "iter_frames",
    "open_warc_zst",
    "read_dictionary",
    "read_record",
    "train_site_dictionary",
]

#: The file suffix the proposal asks for.
SUFFIX = ".warc.zst"
#: Magic number of the skippable frame that carries the dictionary (little-endian on disk: 5D 2A 4D 18).
DICT_FRAME_MAGIC = 0x184D2A5D
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_DICT_MAGIC = b"\x37\xa4\x30\xec"
_SKIPPABLE_LOW, _SKIPPABLE_HIGH = 0x184D2A50, 0x184D2A5F
_LE32 = struct.Struct("<I")

#: Compression level of the records. With a site's dictionary, most of the gain is the dictionary's, not the
#: level's: on the dev sites level 9 wrote 1-2 % more bytes than level 19 for a fifth of the CPU, about what
#: gzip costs (benchmarks/archive.py --level). Issue 19 allows archive writing 10 % of a crawl's CPU per page.
DEFAULT_LEVEL = 9
#: The dictionary frame is written once per file: it gets the best ordinary level.
_DICT_FRAME_LEVEL = 19
#: Largest dictionary made, in bytes of content (zstd's own default, 110 KB). A site's first records are
#: usually less; when they are more, the last written are kept. The dictionary is stored once per file (compressed:
#: a fifth to a tenth of this), and benchmarks/archive.py shows that frame apart.
DEFAULT_DICT_SIZE = 112_640
#: The proposal suggests random dictionary IDs between 32,768 and 2**31 - 1; ours are derived from the
#: training samples (the same samples give the same dictionary, byte for byte, which tests and re-runs need),
#: and kept below 65,536: a frame stores its dictionary's ID in 2 bytes instead of 4, 4 bytes less per page
#: (a response and a request frame). The ID only has to tell dictionaries apart inside one file, which holds one.
_DICT_ID_LOW, _DICT_ID_HIGH = 32_768, 65_535
#: Room for the entropy tables in front of the content (they take 100-400 bytes).
_TABLES_ROOM = 8_192
#: Fewer bytes than this make no dictionary worth a frame of its own.
_MIN_CONTENT = 256


class ZstdWarcError(ValueError):
    """A file that is not a zstd WARC as the proposal defines it, or does not match the writer's dictionary."""


class PartialRecordError(ZstdWarcError):
    """The file ends inside a frame: what a crawl killed mid-write leaves. ``offset``: where that frame starts
    (every record before it is whole; :func:`drop_partial_record` cuts the file there)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


# ------------------------------------------------------------------------------------------- training


def _halves(samples: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    """The samples cut in two at half their bytes: the earlier ones and the later ones (never empty)."""
    total, acc = sum(map(len, samples)), 0
    for i, sample in enumerate(samples[:-1]):
        acc += len(sample)
        if acc >= total / 2:
            return samples[: i + 1], samples[i + 1 :]
    return samples[:-1], samples[-1:]


def _entropy_tables(content: bytes, samples: list[bytes], level: int) -> bytes:
    """The head of a formatted dictionary (magic, ID, entropy tables, repeat offsets) made for ``content``:
    zstd's ZDICT_finalizeDictionary compresses ``samples`` against ``content`` and keeps the statistics."""
    try:
        made = _zstd_stdlib.finalize_dict(_zstd_stdlib.ZstdDict(content, is_raw=True), samples,
                                          len(content) + _TABLES_ROOM, level).dict_content
    except _zstd_stdlib.ZstdError as e:
        raise ZstdWarcError(f"cannot make a zstd dictionary of {len(content)} bytes: {e}") from e
    if not made.endswith(content):  # the content is placed last, whole, when the size allows it
        raise ZstdWarcError("zstd did not keep the dictionary's content whole")
    return made[: len(made) - len(content)]


def train_site_dictionary(
    samples: Iterable[bytes], *, size: int = DEFAULT_DICT_SIZE, level: int = DEFAULT_LEVEL
) -> bytes:
    """A zstd dictionary (zstd's dictionary format, with entropy tables) made from one site's first records.

    ``samples`` are what will later be compressed: whole uncompressed WARC records (headers included), in the
    order they were written, are best; page bodies work too. One way to make it, for the crawl and for
    ``benchmarks/archive.py`` alike:

    * **Content: the records themselves.** The dictionary's content is the samples, concatenated, the last
      written last (the end of a dictionary is the cheapest to refer to), at most ``size`` bytes (the last
      ones). A site's first pages are few (8 to 32 in a crawl, 4 to 37 on the dev sites); with so few, a
      dictionary of the records themselves (with the tables below) wrote 0-21 % fewer bytes per page than
      one of the segments zstd's trainer (COVER) picks among them (benchmarks/archive.py, December 2026: all
      sites 0.267 of gzip's bytes against 0.315).
    * **Statistics: as the dictionary will be used.** A formatted dictionary carries entropy tables (the
      literals' Huffman codes, the offset and length codes) that frames reuse instead of sending their own.
      zstd derives them by compressing samples against the content; the samples' own bytes would then all
      be matches, and the tables would fit no new page. So they are made on the later half of the samples
      compressed against the earlier half: new pages against a dictionary of older ones, what the crawl
      does. The tables are then put in front of the whole content (a dictionary's tables and content are
      independent parts of the format, RFC 8878 section 5; the only tie, repeat offsets no longer than the
      content, holds: they are zstd's defaults 1, 4 and 8, and the content is at least 256 bytes).

    The dictionary ID is derived from the samples, within the range the proposal suggests. A single sample
    makes a dictionary too (content and statistics from it). Raises :class:`ZstdWarcError` when there is
    nothing to make one of.
    """
    kept = [bytes(s) for s in samples if s]
    if not kept:
        raise ZstdWarcError("no pages to make a zstd dictionary of")
    if sum(map(len, kept)) < _MIN_CONTENT:
        raise ZstdWarcError(f"too few bytes to make a zstd dictionary of ({sum(map(len, kept))}, at least "
                            f"{_MIN_CONTENT})")
    digest = hashlib.sha256()
    for sample in kept:
        digest.update(hashlib.sha256(sample).digest())
    dict_id = _DICT_ID_LOW + int.from_bytes(digest.digest()[:4], "little") % (_DICT_ID_HIGH - _DICT_ID_LOW + 1)
    content = b"".join(kept)[-size:]
    if len(kept) > 1:
        earlier, later = _halves(kept)
        head = _entropy_tables(b"".join(earlier)[-size:], later, level)
    else:
        head = _entropy_tables(content, kept, level)
    return head[:4] + _LE32.pack(dict_id) + head[8:] + content


def _dict_id(dictionary: bytes) -> int:
    if dictionary[:4] != _DICT_MAGIC or len(dictionary) < 8:
        raise ZstdWarcError("not a zstd dictionary (it must start with the magic bytes 37 A4 30 EC)")
    return int(_LE32.unpack_from(dictionary, 4)[0])


def dictionary_frame(dictionary: bytes) -> bytes:
    """The skippable frame (magic ``0x184D2A5D``) that carries ``dictionary`` at the start of a file.

    The dictionary is stored zstd-compressed (one plain frame with content size and checksum), as the
    proposal allows; the dictionary is mostly the site's pages and shrinks to a fifth or less.
    """
    _dict_id(dictionary)
    packed = zstandard.ZstdCompressor(level=_DICT_FRAME_LEVEL, write_checksum=True, write_content_size=True).compress(
        dictionary
    )
    return _LE32.pack(DICT_FRAME_MAGIC) + _LE32.pack(len(packed)) + packed


# ------------------------------------------------------------------------------------------- writing


def compressor(dictionary: bytes | None, level: int = DEFAULT_LEVEL) -> zstandard.ZstdCompressor:
    """The compressor of a file's records: one frame per ``compress`` call, with the content size, checksum and
    dictionary ID the proposal requires (the crawl's writer, ``archive/warc.py``, uses it as this module's)."""
    if dictionary:
        _dict_id(dictionary)
    dict_data = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
    return zstandard.ZstdCompressor(
        level=level, dict_data=dict_data, write_checksum=True, write_content_size=True, write_dict_id=True
    )


class ZstdWarcWriter(BaseWARCWriter):
    """warcio's ``WARCWriter``, with each record one zstd frame compressed with a site's dictionary.

    ``out`` is a path (opened for appending: a new file gets the dictionary frame first; an existing one
    must carry the same dictionary, else :class:`ZstdWarcError`) or a binary file object positioned at the
    end of what is already written (an empty one gets the dictionary frame). ``dictionary`` is the bytes of
    :func:`train_site_dictionary`, or None for plain zstd frames without one.

    A file left by a crawl killed mid-write may end in a partial frame: call :func:`drop_partial_record` on
    it before appending (the writer refuses a file whose first frame is cut, with :class:`PartialRecordError`).

    ``write_record(record)`` returns ``(offset, length)``: where the record's frame starts in the file and
    how many bytes it has, which is what the capture pointer table keeps. Other keyword arguments go to
    warcio (``warc_version``, ``header_filter``).
    """

    def __init__(
        self,
        out: str | os.PathLike[str] | BinaryIO,
        dictionary: bytes | None = None,
        *,
        level: int = DEFAULT_LEVEL,
        **kwargs: Any,
    ) -> None:
        super().__init__(gzip=False, **kwargs)
        self.dictionary = dictionary
        self._cctx = compressor(dictionary, level)
        self._owned = isinstance(out, str | os.PathLike)
        if isinstance(out, str | os.PathLike):
            existing = os.path.getsize(out) if os.path.exists(out) else 0
            if existing:
                with open(out, "rb") as f:
                    found, _ = read_dictionary(f)
                if found != (dictionary or None):
                    raise ZstdWarcError(f"{os.fspath(out)} was written with another zstd dictionary")
            self.out: BinaryIO = open(out, "ab")  # noqa: SIM115 (closed by close())
        else:
            self.out = out
            existing = out.tell()
        if not existing and dictionary:
            self.out.write(dictionary_frame(dictionary))

    def write_record(self, record: Any, params: Any = None) -> tuple[int, int]:
        """Write one warcio record as one zstd frame; return ``(offset, length)`` of that frame."""
        buf = io.BytesIO()
        self._write_warc_record(buf, record)
        frame = self._cctx.compress(buf.getvalue())
        offset = self.out.tell()
        self.out.write(frame)
        self.out.flush()
        return offset, len(frame)

    def _do_write_req_resp(self, req: Any, resp: Any, params: Any) -> None:
        self.write_record(resp)
        self.write_record(req)

    def close(self) -> None:
        """Close the file if this writer opened it (a file object passed in stays the caller's)."""
        if self._owned:
            self.out.close()

    def __enter__(self) -> ZstdWarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------------------- reading


def read_dictionary(f: IO[bytes]) -> tuple[bytes | None, int]:
    """The dictionary at the start of a zstd WARC (None if it has none) and where the first record starts.

    Reads from the current position, which must be the start of the file. Raises :class:`ZstdWarcError` if
    the file starts with neither a dictionary frame nor a zstd frame.
    """
    head = f.read(8)
    if not head or head[:4] == _ZSTD_MAGIC:
        return None, 0  # an empty file holds no records yet
    if len(head) < 8 and (_LE32.pack(DICT_FRAME_MAGIC).startswith(head[:4]) or _ZSTD_MAGIC.startswith(head)):
        raise PartialRecordError("the file ends inside its first frame header", 0)
    if len(head) < 8 or _LE32.unpack_from(head)[0] != DICT_FRAME_MAGIC:
        raise ZstdWarcError("not a zstd WARC: it starts with neither a zstd frame nor a dictionary frame")
    size = _LE32.unpack_from(head, 4)[0]
    data = f.read(size)
    if len(data) < size:
        raise PartialRecordError("the dictionary frame is cut short", 0)
    if data[:4] == _ZSTD_MAGIC:
        data = zstandard.ZstdDecompressor().decompress(data)
    _dict_id(data)
    return data, 8 + size


@dataclass(frozen=True)
class Frame:
    """One record's frame: its offset and length in the file, and the uncompressed WARC record."""

    offset: int
    length: int
    data: bytes


def _decompressor(dictionary: bytes | None) -> zstandard.ZstdDecompressor:
    return zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(dictionary) if dictionary else None)


_CHUNK = 1 << 16


def iter_frames(f: IO[bytes]) -> Iterator[Frame]:
    """Every record frame of a zstd WARC, in order, decompressed and checksum-checked; extension frames skipped.

    Streams: at most one frame and a read chunk are held in memory. A file cut short inside its last frame
    (a crawl killed mid-write) raises :class:`PartialRecordError` naming the offset where the partial frame
    starts, after every complete frame before it has been yielded; a corrupt frame (its checksum does not
    match) raises :class:`ZstdWarcError`.
    """
    dictionary, pos = read_dictionary(f)
    f.seek(pos)
    dctx = _decompressor(dictionary)
    buf = b""
    eof = False

    def fill(n: int) -> None:
        nonlocal buf, eof
        while len(buf) < n and not eof:
            chunk = f.read(_CHUNK)
            eof = not chunk
            buf += chunk

    while True:
        fill(8)
        if not buf:
            return
        if len(buf) < 4:
            raise PartialRecordError(f"the file ends inside a frame header at offset {pos}", pos)
        magic = _LE32.unpack_from(buf)[0]
        if _SKIPPABLE_LOW <= magic <= _SKIPPABLE_HIGH:
            if len(buf) < 8:
                raise PartialRecordError(f"the file ends inside a frame header at offset {pos}", pos)
            if magic == DICT_FRAME_MAGIC:
                raise ZstdWarcError(f"a second dictionary frame at offset {pos}")
            skip = 8 + _LE32.unpack_from(buf, 4)[0]
            fill(skip)
            if len(buf) < skip:
                raise PartialRecordError(f"the file ends inside an extension frame at offset {pos}", pos)
            buf, pos = buf[skip:], pos + skip
            continue
        if buf[:4] != _ZSTD_MAGIC:
            raise ZstdWarcError(f"no zstd frame at offset {pos}")
        dobj = dctx.decompressobj()
        out = []
        used = 0
        while True:
            try:
                out.append(dobj.decompress(buf))
            except zstandard.ZstdError as e:
                raise ZstdWarcError(f"the frame at offset {pos} is corrupt: {e}") from e
            if dobj.eof:
                used += len(buf) - len(dobj.unused_data)
                buf = dobj.unused_data
                break
            used += len(buf)
            buf = b""
            fill(1)
            if not buf:
                raise PartialRecordError(
                    f"the file ends inside the frame at offset {pos} (a partial last record)", pos
                )
        yield Frame(pos, used, b"".join(out))
        pos += used


class _Concatenated(io.RawIOBase):
    """The decompressed frames of a zstd WARC as one readable stream (a plain WARC file)."""

    def __init__(self, frames: Iterator[Frame], owned: IO[bytes] | None) -> None:
        self._frames = frames
        self._owned = owned
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._left:
            frame = next(self._frames, None)
            if frame is None:
                return 0
            self._left = memoryview(frame.data)
        n = min(len(b), len(self._left))
        b[:n] = self._left[:n]
        self._left = self._left[n:]
        return n

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
        super().close()


def open_warc_zst(source: str | os.PathLike[str] | IO[bytes]) -> io.BufferedReader:
    """A zstd WARC as a readable stream of the plain WARC it holds: hand it to warcio's ``ArchiveIterator``.

    warcio reads gzip and plain WARC files but not zstd ones; this decompresses frame by frame as it is read.
    """
    f: IO[bytes] = open(source, "rb") if isinstance(source, str | os.PathLike) else source  # noqa: SIM115
    return io.BufferedReader(_Concatenated(iter_frames(f), f if f is not source else None))


def drop_partial_record(path: str | os.PathLike[str]) -> int:
    """Cut a partial last frame off a zstd WARC (a crawl killed mid-write); return how many bytes were dropped.

    Every complete frame is read and checked first; a file that is whole is left as it is (0). Only a frame
    cut short at the end is dropped: a corrupt frame inside the file raises :class:`ZstdWarcError`, as that is
    damage to look at, not the trace of a crash.
    """
    with open(path, "rb") as f:
        try:
            for _ in iter_frames(f):
                pass
            return 0
        except PartialRecordError as e:
            offset = e.offset
    size = os.path.getsize(path)
    os.truncate(path, offset)
    return size - offset


def read_record(path: str | os.PathLike[str], offset: int, length: int) -> bytes:
    """One uncompressed WARC record from its frame's offset and length (as ``write_record`` returned them).

    The bytes must be exactly one whole frame: a length too short or too long raises :class:`ZstdWarcError`."""
    with open(path, "rb") as f:
        dictionary, _ = read_dictionary(f)
        f.seek(offset)
        frame = f.read(length)
    if len(frame) < length or frame[:4] != _ZSTD_MAGIC:
        raise ZstdWarcError(f"{os.fspath(path)}: no whole zstd frame of {length} bytes at offset {offset}")
    dobj = _decompressor(dictionary).decompressobj()
    try:
        data = dobj.decompress(frame)
    except zstandard.ZstdError as e:
        raise ZstdWarcError(f"{os.fspath(path)}: the frame at offset {offset} is corrupt: {e}") from e
    if not dobj.eof or dobj.unused_data:  # a length that is not the frame's: the pointer is wrong
        raise ZstdWarcError(f"{os.fspath(path)}: the frame at offset {offset} does not end at its length {length}")
    return bytes(data)
