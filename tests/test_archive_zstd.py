"""zstd WARC files with a per-site dictionary (archive/zstd.py): the IIPC proposal's layout, read back by warcio.

The pages are the demo's sample 运城新闻网 (GBK and UTF-8 article pages of one template), written as warcio
response records; every test works in its own tmp dir.
"""

from __future__ import annotations

import io
import re
import struct
import sys
from pathlib import Path

import pytest
import zstandard
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from linfen_crawler.archive import zstd as archive_zstd
from linfen_crawler.archive.zstd import (
    DICT_FRAME_MAGIC,
    PartialRecordError,
    ZstdWarcError,
    ZstdWarcWriter,
    drop_partial_record,
    iter_frames,
    open_warc_zst,
    read_dictionary,
    read_record,
    train_site_dictionary,
)
from linfen_crawler.demo.sites import Sxycrb, sample_sites

REPO = Path(__file__).resolve().parents[1]


def site_pages() -> list[tuple[str, bytes]]:
    site = Sxycrb.load()
    return [(site.origin + site.article_path(a), site.pages[site.article_path(a)].body) for a in site.articles]


def write(writer: object, pages: list[tuple[str, bytes]]) -> list[tuple[int, int]]:
    out = []
    for url, body in pages:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        rec = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)  # type: ignore[attr-defined]
        out.append(writer.write_record(rec))  # type: ignore[attr-defined]
    return out


def plain(pages: list[tuple[str, bytes]]) -> list[bytes]:
    """Uncompressed records of the pages (training samples)."""
    out = []
    for url, body in pages:
        buf = io.BytesIO()
        w = WARCWriter(buf, gzip=False)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
        out.append(buf.getvalue())
    return out


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes]]:
    return site_pages()


@pytest.fixture(scope="module")
def dictionary(pages: list[tuple[str, bytes]]) -> bytes:
    return train_site_dictionary(plain(pages[:4]))


def test_records_read_back_with_warcio(tmp_path: Path, pages: list[tuple[str, bytes]], dictionary: bytes) -> None:
    path = tmp_path / "site.warc.zst"
    with ZstdWarcWriter(path, dictionary) as w:
        write(w, pages)
    with open_warc_zst(path) as stream:
        got = [(r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
               for r in ArchiveIterator(stream)]
    assert got == pages


def test_file_layout_follows_the_iipc_proposal(tmp_path: Path, pages: list[tuple[str, bytes]],
                                               dictionary: bytes) -> None:
    path = tmp_path / "site.warc.zst"
    with ZstdWarcWriter(path, dictionary) as w:
        pointers = write(w, pages)
    data = path.read_bytes()
    # a dictionary frame first: skippable magic 0x184D2A5D, then its size
    assert struct.unpack_from("<I", data)[0] == DICT_FRAME_MAGIC
    assert data[:4] == b"\x5d\x2a\x4d\x18"
    dict_end = 8 + struct.unpack_from("<I", data, 4)[0]
    assert pointers[0][0] == dict_end
    dict_id = struct.unpack_from("<I", dictionary, 4)[0]
    assert 32768 <= dict_id <= 2**31 - 1
    # then one frame per record, back to back, each with content size, checksum and the dictionary's ID
    for (offset, length), nxt in zip(pointers, [*pointers[1:], (len(data), 0)], strict=True):
        assert offset + length == nxt[0]
        params = zstandard.get_frame_parameters(data[offset : offset + length])
        assert params.content_size > 0
        assert params.has_checksum
        assert params.dict_id == dict_id
    # and with the dictionary alone, a plain zstd decoder reads the frames as one uncompressed WARC file
    whole = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(dictionary)).decompressobj(
        read_across_frames=True).decompress(data[dict_end:])
    assert whole.count(b"WARC/1.0\r\n") == len(pages)


def test_dictionary_shrinks_records(tmp_path: Path, pages: list[tuple[str, bytes]], dictionary: bytes) -> None:
    """Held-out pages of the site compress far smaller with the site's dictionary than without, and than gzip."""
    held_out = pages[4:]
    sizes = {}
    for name, dict_or_none in (("dict", dictionary), ("none", None)):
        buf = io.BytesIO()
        w = ZstdWarcWriter(buf, dict_or_none)
        start = buf.tell()
        write(w, held_out)
        sizes[name] = buf.tell() - start
    gz = io.BytesIO()
    write(WARCWriter(gz, gzip=True), held_out)
    assert sizes["dict"] < 0.6 * sizes["none"]
    assert sizes["dict"] < 0.6 * len(gz.getvalue())


def test_one_record_from_its_pointer(tmp_path: Path, pages: list[tuple[str, bytes]], dictionary: bytes) -> None:
    path = tmp_path / "site.warc.zst"
    with ZstdWarcWriter(path, dictionary) as w:
        pointers = write(w, pages)
    offset, length = pointers[3]
    record = next(iter(ArchiveIterator(io.BytesIO(read_record(path, offset, length)))))
    assert record.rec_headers.get_header("WARC-Target-URI") == pages[3][0]
    assert record.content_stream().read() == pages[3][1]
    with pytest.raises(ZstdWarcError, match="no whole zstd frame"):
        read_record(path, offset + 1, length)


def test_appending_keeps_one_dictionary(tmp_path: Path, pages: list[tuple[str, bytes]], dictionary: bytes) -> None:
    path = tmp_path / "site.warc.zst"
    with ZstdWarcWriter(path, dictionary) as w:
        write(w, pages[:3])
    with ZstdWarcWriter(path, dictionary) as w:  # a restarted crawl appends to its open file
        write(w, pages[3:])
    with open(path, "rb") as f:
        assert read_dictionary(f)[0] == dictionary
    assert len(list(iter_frames(open(path, "rb")))) == len(pages)  # noqa: SIM115
    other = train_site_dictionary(plain(pages[4:]))
    assert other != dictionary
    with pytest.raises(ZstdWarcError, match="another zstd dictionary"):
        ZstdWarcWriter(path, other)


def test_partial_last_record_is_named(tmp_path: Path, pages: list[tuple[str, bytes]], dictionary: bytes) -> None:
    """A crawl killed mid-write leaves a cut frame: the complete ones are read, then the cut one is named."""
    path = tmp_path / "site.warc.zst"
    with ZstdWarcWriter(path, dictionary) as w:
        pointers = write(w, pages)
    last_offset, last_length = pointers[-1]
    with open(path, "r+b") as f:
        f.truncate(last_offset + last_length // 2)
    frames = []
    with pytest.raises(ZstdWarcError, match=f"inside the frame at offset {last_offset}"), open(path, "rb") as f:
        for frame in iter_frames(f):
            frames.append(frame)
    assert [(fr.offset, fr.length) for fr in frames] == pointers[:-1]


def test_a_partial_last_record_is_dropped_and_the_file_appended_to(
        tmp_path: Path, pages: list[tuple[str, bytes]], dictionary: bytes) -> None:
    path = tmp_path / "site.warc.zst"
    with ZstdWarcWriter(path, dictionary) as w:
        pointers = write(w, pages[:4])
    assert drop_partial_record(path) == 0  # a whole file is left as it is
    whole = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(whole - 3)  # killed while writing the last frame's checksum
    with pytest.raises(PartialRecordError) as cut:
        list(iter_frames(open(path, "rb")))  # noqa: SIM115
    assert cut.value.offset == pointers[-1][0]
    assert drop_partial_record(path) == pointers[-1][1] - 3
    assert path.stat().st_size == pointers[-1][0]
    with ZstdWarcWriter(path, dictionary) as w:  # the next start appends after the last whole record
        write(w, pages[3:])
    with open_warc_zst(path) as stream:
        assert [r.content_stream().read() for r in ArchiveIterator(stream)] == [body for _, body in pages]


def test_a_file_cut_in_its_dictionary_frame_starts_again(tmp_path: Path, dictionary: bytes,
                                                          pages: list[tuple[str, bytes]]) -> None:
    path = tmp_path / "site.warc.zst"
    with ZstdWarcWriter(path, dictionary) as w:
        write(w, pages[:1])
    with open(path, "r+b") as f:
        f.truncate(100)
    with pytest.raises(PartialRecordError):
        ZstdWarcWriter(path, dictionary)
    assert drop_partial_record(path) == 100
    with ZstdWarcWriter(path, dictionary) as w:
        write(w, pages[:1])
    assert [f.data.count(b"WARC/1.0") for f in iter_frames(open(path, "rb"))] == [1]  # noqa: SIM115


def test_a_corrupt_record_is_not_dropped(tmp_path: Path, pages: list[tuple[str, bytes]], dictionary: bytes) -> None:
    """Damage inside the file (a checksum that does not match) is reported, never cut away like a crash's trace."""
    path = tmp_path / "site.warc.zst"
    with ZstdWarcWriter(path, dictionary) as w:
        pointers = write(w, pages)
    data = bytearray(path.read_bytes())
    offset, length = pointers[2]
    data[offset + length - 2] ^= 0xFF  # a byte of the frame's checksum
    path.write_bytes(bytes(data))
    with pytest.raises(ZstdWarcError, match=f"the frame at offset {offset} is corrupt") as err:
        drop_partial_record(path)
    assert not isinstance(err.value, PartialRecordError)
    assert path.read_bytes() == bytes(data)


def test_extension_frames_are_skipped(tmp_path: Path, pages: list[tuple[str, bytes]], dictionary: bytes) -> None:
    buf = io.BytesIO()
    w = ZstdWarcWriter(buf, dictionary)
    write(w, pages[:1])
    buf.write(struct.pack("<II", 0x184D2A50, 5) + b"12345")  # a skippable frame another tool might add
    write(w, pages[1:2])
    buf.seek(0)
    got = [r.content_stream().read() for r in ArchiveIterator(open_warc_zst(buf))]
    assert got == [pages[0][1], pages[1][1]]


def test_not_a_zstd_warc(tmp_path: Path) -> None:
    gz = tmp_path / "a.warc.gz"
    gz.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    with pytest.raises(ZstdWarcError, match="neither a zstd frame nor a dictionary frame"), open(gz, "rb") as f:
        read_dictionary(f)


def test_training_is_repeatable_and_refuses_nothing() -> None:
    samples = plain(site_pages()[:3])
    assert train_site_dictionary(samples) == train_site_dictionary(iter(samples))  # any iterable, same bytes
    with pytest.raises(ZstdWarcError, match="no pages"):
        train_site_dictionary([])


def test_a_single_page_makes_a_dictionary_too_little_does_not() -> None:
    """A site's first page alone makes a usable dictionary (its template); a few bytes make none."""
    pages = site_pages()
    dictionary = train_site_dictionary(plain(pages[:1]))
    held_out = plain(pages[5:6])[0]
    with_dict = zstandard.ZstdCompressor(level=9, dict_data=zstandard.ZstdCompressionDict(dictionary))
    assert len(with_dict.compress(held_out)) < 0.7 * len(zstandard.ZstdCompressor(level=9).compress(held_out))
    with pytest.raises(ZstdWarcError, match="too few bytes to make a zstd dictionary of"):
        train_site_dictionary([b"<html></html>"])


def test_the_dictionary_is_the_records_with_tables_for_new_pages() -> None:
    """The dictionary's content is the samples themselves, the last written last, behind entropy tables made
    for pages it does not hold; its ID fits a frame header's 2-byte field, within the proposal's range."""
    samples = plain(site_pages()[:4])
    dictionary = train_site_dictionary(samples)
    assert dictionary[:4] == b"\x37\xa4\x30\xec"  # zstd's dictionary format (RFC 8878 section 5), not raw content
    assert dictionary.endswith(b"".join(samples))
    assert 32_768 <= struct.unpack_from("<I", dictionary, 4)[0] <= 65_535
    assert len(dictionary) - len(b"".join(samples)) < 1_000  # the tables: a few hundred bytes
    # at most `size` bytes of content: the last ones written
    assert train_site_dictionary(samples, size=5_000).endswith(b"".join(samples)[-5_000:])
    assert len(train_site_dictionary(samples, size=5_000)) < 6_000
    # a frame compressed with it names it in 2 bytes (Frame_Header_Descriptor's Dictionary_ID_Flag 2)
    frame = zstandard.ZstdCompressor(dict_data=zstandard.ZstdCompressionDict(dictionary),
                                     write_dict_id=True).compress(plain(site_pages()[5:6])[0])
    assert frame[4] & 0b11 == 2


def test_tables_made_on_new_pages_compress_new_pages_better() -> None:
    """Entropy tables made by compressing the later samples against the earlier ones (as new pages meet the
    dictionary) beat zstd's own trainer and tables made on the samples themselves (which all match)."""
    stdlib_zstd = archive_zstd._zstd_stdlib  # compression.zstd, or its backport before Python 3.14

    pages = [(url, body) for site in sample_sites() if site.key == "lfxww" for url, body in
             ((site.origin + site.article_path(a), site.pages[site.article_path(a)].body) for a in site.articles)]
    train, held_out = plain(pages[:16]), plain(pages[40:60])

    def size(dictionary: bytes) -> int:
        c = zstandard.ZstdCompressor(level=9, dict_data=zstandard.ZstdCompressionDict(dictionary))
        return sum(len(c.compress(r)) for r in held_out)

    content = b"".join(train)
    self_tables = stdlib_zstd.finalize_dict(stdlib_zstd.ZstdDict(content, is_raw=True), train,
                                            len(content) + 8192, 9).dict_content
    pieces: list[bytes | bytearray | memoryview] = list(train)
    cover = zstandard.train_dictionary(len(content), pieces, k=2048, d=8, level=9).as_bytes()
    ours = size(train_site_dictionary(train))
    assert ours < 0.98 * size(self_tables)  # 3 % fewer bytes (December 2026)
    assert ours < 0.97 * size(cover)  # 4.5 %


def test_benchmark_prints_the_summary_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """benchmarks/archive.py on the demo's portals and a site folder made here: one line per site, the summary."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import archive as bench
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    site = tmp_path / "sites" / "sample"
    site.mkdir(parents=True)
    for k, (_, body) in enumerate(site_pages()):
        (site / f"{k}.html").write_bytes(body)
    bench.main(["--corpus", str(tmp_path / "sites"), "--cpu-pages", "10"])
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:-2]] == ["sample", *(f"demo/{s.key}" for s in sample_sites())]
    # the CPU of archive writing, as the crawl's writer does it, in µs per page for both compressions
    assert re.fullmatch(r"archive writing \(raw\.write_raw_pages, 10 synthetic pages of \d+ KB\): gzip \d+ µs CPU "
                        r"per page \(\d+ B/page\), zstd \d+ µs \(\d+ B/page\)", out[-2])
    assert out[-1].startswith("archive: sites=5 gzip_bytes_per_page=")
    fields = dict(kv.split("=") for kv in out[-1].split()[1:])
    assert float(fields["ratio"]) == pytest.approx(int(fields["zstd_bytes_per_page"]) /
                                                   int(fields["gzip_bytes_per_page"]), abs=0.01)
    assert float(fields["ratio"]) < 0.45
