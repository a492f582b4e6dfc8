"""WACZ packing (archive/wacz.py, ``linfen archive pack``): py-wacz's own validator accepts what we write.

WARC files are written here with warcio (gzip per record, as the crawl's archive) and with our zstd writer;
everything happens in the test's tmp dir. ``wacz validate`` runs as py-wacz installs it (the ``wacz`` script
beside this Python: ``python -m wacz`` always exits 0).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from linfen_crawler.archive import archive_dir
from linfen_crawler.archive.wacz import PageEntry, WaczError, pack
from linfen_crawler.archive.zstd import ZstdWarcWriter
from linfen_crawler.commands.archive_pack import pack as pack_cmd
from linfen_crawler.storage import Dataset

PAGES = [
    ("http://www.lfxww.com/linfen/djll/93512.html", "text/html; charset=gbk", "临汾市召开会议".encode("gbk")),
    ("http://www.lfxww.com/linfen/djll/93513.html", "text/html; charset=utf-8", "尧都区推进项目建设".encode()),
    ("http://www.lfxww.com/images/a.gif", "image/gif", b"GIF89a\x01\x00\x01\x00"),
]


def write_records(writer: WARCWriter | ZstdWarcWriter, pages: list[tuple[str, str, bytes]]) -> None:
    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "linfen-crawler tests"}))
    for url, ctype, body in pages:
        http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        resp = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
        req = writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=StatusAndHeaders(
            "GET / HTTP/1.1", [("Host", "www.lfxww.com")], is_http_request=True))
        writer.write_request_response_pair(req, resp)


def gzip_warc(path: Path, pages: list[tuple[str, str, bytes]] = PAGES) -> Path:
    with open(path, "wb") as f:
        write_records(WARCWriter(f, gzip=True), pages)
    return path


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    wacz = Path(sys.executable).with_name("wacz")
    return subprocess.run([str(wacz), "validate", "-f", str(path)], capture_output=True, text=True, timeout=120)


def test_wacz_validate_accepts_the_packed_file(tmp_path: Path) -> None:
    later = [("http://www.lfxww.com/linfen/djll/93514.html", "text/html; charset=utf-8", "汾河".encode())]
    warcs = [gzip_warc(tmp_path / "lfxww-00000.warc.gz"), gzip_warc(tmp_path / "lfxww-00001.warc.gz", later)]
    done = pack(warcs, tmp_path / "out.wacz", title="临汾新闻网")
    assert (done.warcs, done.records, done.pages) == (2, 4, 3)  # 4 responses; 3 HTML pages
    result = validate(done.path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


def test_validator_notices_a_wrong_digest(tmp_path: Path) -> None:
    """The validator run above is a real check: the same package with one file changed after its digest fails."""
    done = pack([gzip_warc(tmp_path / "a.warc.gz")], tmp_path / "out.wacz", title="t")
    bad = tmp_path / "bad.wacz"
    with zipfile.ZipFile(done.path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                data += b'{"url": "http://example.org/", "ts": "2026-01-01T00:00:00Z"}\n'
            dst.writestr(info, data)
    result = validate(bad)
    assert result.returncode == 1
    assert "pages.jsonl" in result.stdout
    assert "Validation failed" in result.stdout


def test_layout_manifest_and_index(tmp_path: Path) -> None:
    when = datetime(2026, 12, 5, 8, 30, tzinfo=UTC)
    done = pack([gzip_warc(tmp_path / "a.warc.gz")], tmp_path / "out.wacz", title="临汾", created=when)
    with zipfile.ZipFile(done.path) as zf:
        names = zf.namelist()
        assert names == ["archive/a.warc.gz", "indexes/index.cdx", "pages/pages.jsonl", "datapackage.json",
                         "datapackage-digest.json"]
        assert zf.getinfo("archive/a.warc.gz").compress_type == zipfile.ZIP_STORED  # readers seek into it
        package = json.loads(zf.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1"
        assert package["title"] == "临汾"
        assert package["created"] == "2026-12-05T08:30:00Z"
        for res in package["resources"]:
            data = zf.read(res["path"])
            assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert res["bytes"] == len(data)
        assert [r["path"] for r in package["resources"]] == names[:3]
        digest = json.loads(zf.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest()
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]
        assert pages[0]["format"] == "json-pages-1.0"
        assert [p["url"] for p in pages[1:]] == [u for u, ctype, _ in PAGES if ctype.startswith("text/html")]
        warc = zf.read("archive/a.warc.gz")
        index = zf.read("indexes/index.cdx").decode().splitlines()
    assert index == sorted(index)
    assert len(index) == len(PAGES)
    for line in index:
        key, ts, blob = line.split(" ", 2)
        entry = json.loads(blob)
        assert key.startswith("com,lfxww)/")
        assert len(ts) == 14
        # offset and length point at the record itself, inside the stored WARC
        start, length = int(entry["offset"]), int(entry["length"])
        record = next(iter(ArchiveIterator(io.BytesIO(warc[start : start + length]))))
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
        body = dict((u, b) for u, _, b in PAGES)[entry["url"]]
        assert record.content_stream().read() == body
        assert entry["status"] == "200"
        assert entry["filename"] == "a.warc.gz"
        assert entry["digest"].startswith("sha1:")


def test_records_without_a_url_are_not_indexed(tmp_path: Path) -> None:
    """A metadata record of the crawl itself (run id, profile) has no target URL: it is kept, not indexed."""
    path = tmp_path / "a.warc.gz"
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        write_records(w, PAGES[:1])
        w.write_record(w.create_warc_record("", "metadata", payload=io.BytesIO(b'{"run": 1}'),
                                            warc_content_type="application/json"))
    done = pack([path], tmp_path / "out.wacz", title="t")
    assert done.records == 1
    with zipfile.ZipFile(done.path) as zf:
        warc = zf.read("archive/a.warc.gz")
    assert [r.rec_type for r in ArchiveIterator(io.BytesIO(warc))][-1] == "metadata"


@pytest.mark.filterwarnings("ignore:pkg_resources is deprecated")  # cdxj-indexer's pyamf, not ours
def test_index_matches_webrecorders_indexer(tmp_path: Path) -> None:
    """Our CDXJ lines carry the same key, time, offset and length as cdxj-indexer's (py-wacz's own)."""
    from cdxj_indexer.main import CDXJIndexer

    warc = gzip_warc(tmp_path / "a.warc.gz")
    done = pack([warc], tmp_path / "out.wacz", title="t")
    with zipfile.ZipFile(done.path) as zf:
        ours = zf.read("indexes/index.cdx").decode().splitlines()
    out = io.StringIO()
    CDXJIndexer(output=out, inputs=[str(warc)], sort=True).process_all()
    theirs = out.getvalue().splitlines()

    def essentials(lines: list[str]) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for line in lines:
            key, ts, blob = line.split(" ", 2)
            e = json.loads(blob)
            rows.append((key, ts, e["url"], e["mime"], e["status"], e["digest"], e["offset"], e["length"]))
        return rows

    assert essentials(ours) == essentials(theirs)


def test_zstd_warcs_are_packed_as_gzip(tmp_path: Path) -> None:
    src = tmp_path / "lfxww-00000.warc.zst"
    with ZstdWarcWriter(src) as w:  # plain zstd frames, no dictionary: the packer reads both kinds
        write_records(w, PAGES)
    done = pack([src], tmp_path / "out.wacz", title="t", pages=[PageEntry(PAGES[0][0], "2026-12-05T08:30:00Z",
                                                                          "临汾市召开会议")])
    with zipfile.ZipFile(done.path) as zf:
        assert "archive/lfxww-00000.warc.gz" in zf.namelist()
        warc = zf.read("archive/lfxww-00000.warc.gz")
        pages = zf.read("pages/pages.jsonl").decode().splitlines()
    assert warc[:2] == b"\x1f\x8b"
    got = [(r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
           for r in ArchiveIterator(io.BytesIO(warc)) if r.rec_type == "response"]
    assert got == [(u, b) for u, _, b in PAGES]
    assert json.loads(pages[1])["title"] == "临汾市召开会议"
    assert done.pages == 1
    assert validate(done.path).returncode == 0


@pytest.mark.parametrize(("files", "message"), [
    ([], "no WARC files to pack"),
    (["missing.warc.gz"], "no such WARC file"),
    (["notes.txt"], "not a WARC file"),
    (["a.warc.gz", "sub/a.warc.gz"], "two WARC files would be archive/a.warc.gz"),
    (["junk.warc.gz"], "not a readable WARC file"),
    (["empty.warc.gz"], "empty.warc.gz: holds no WARC records"),
])
def test_refusals_leave_no_file(tmp_path: Path, files: list[str], message: str) -> None:
    (tmp_path / "sub").mkdir()
    gzip_warc(tmp_path / "a.warc.gz")
    gzip_warc(tmp_path / "sub" / "a.warc.gz")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "junk.warc.gz").write_bytes(b"hello world\r\n\r\n")
    (tmp_path / "empty.warc.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(WaczError, match=message):
        pack([tmp_path / f for f in files], tmp_path / "out.wacz", title="t")
    assert not (tmp_path / "out.wacz").exists()
    assert not (tmp_path / "out.wacz.part").exists()


def test_command_packs_named_warcs(tmp_path: Path) -> None:
    warc = gzip_warc(tmp_path / "lfxww-00000.warc.gz")
    out = tmp_path / "lfxww.wacz"
    result = CliRunner().invoke(pack_cmd, [str(warc), "-o", str(out), "--title", "临汾新闻网"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out}: 1 WARC file, 3 captures, 2 pages, ")
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("datapackage.json"))["title"] == "临汾新闻网"


def test_command_packs_one_sites_archive_dir(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    folder = archive_dir(db)
    assert folder == tmp_path / "news.archive"
    (folder / "lfxww").mkdir(parents=True)
    gzip_warc(folder / "lfxww" / "a.warc.gz")
    gzip_warc(folder / "linfen-1-00000.warc.gz", PAGES[1:2])
    gzip_warc(folder / "linfen-2-00000.warc.gz", PAGES[:1])
    (folder / "linfen-2-00001.warc.gz").touch()  # just opened by a running crawl: left out
    with Dataset(db) as ds:  # which file holds which site's captures: the dataset's pointers say
        ds.add_captures([{"url": f"http://s/{n}", "article_url": f"http://s/{n}", "page": 1, "site": site,
                          "fetched_at": "t", "status": 200, "record": "response", "digest": "d", "size": 1,
                          "warc_file": name, "warc_offset": 0, "warc_length": 1} for n, (site, name) in enumerate(
                              [("sxycrb", "linfen-1-00000.warc.gz"), ("jcnews", "linfen-2-00000.warc.gz")])])
    out = tmp_path / "all.wacz"
    result = CliRunner().invoke(pack_cmd, ["--db", str(db), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 WARC files" in result.output
    result = CliRunner().invoke(pack_cmd, ["--db", str(db), "--site", "sxycrb", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        assert [n for n in zf.namelist() if n.startswith("archive/")] == ["archive/linfen-1-00000.warc.gz"]
        assert json.loads(zf.read("datapackage.json"))["title"] == "news sxycrb"
    result = CliRunner().invoke(pack_cmd, ["--db", str(db), "--site", "sxycrb", "-o", str(out), "x.warc.gz"])
    assert result.exit_code == 2 and "name no WARC files with it" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "x.zip"], "a WACZ file name ends in .wacz"),
    (["-o", "x.wacz"], "no archive folder"),
    (["-o", "x.wacz", "--site", "nosuchsite"], "nosuchsite"),
    (["-o", "x.wacz", "missing.warc.gz"], "no such WARC file"),
])
def test_command_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(pack_cmd, [*args, "--db", str(tmp_path / "news.db")])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
