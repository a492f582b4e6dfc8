"""The web archive beside the dataset (issue 19): WARC files written, read back, recovered and verified.

The first tests drive :mod:`linfen_crawler.archive.warc` directly on files in a tmp dir; the others run the
real `linfen` (crawl, demo, reextract, archive verify/migrate) against the sample portal on 127.0.0.1 and
read what it wrote with warcio itself.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest
from conftest import article_rows, crawl, old_dataset, rows, run_linfen
from test_disk_full import QUIET, assert_failed_disk_full, fill, last_run, needs_mount
from test_disk_full import small_fs as small_fs  # the fixture, shared
from test_jobs_e2e import edit_article, lfxww_expected
from warcio.archiveiterator import ArchiveIterator
from warcio.recordbuilder import RecordBuilder

from linfen_crawler.archive import archive_dir, warc
from linfen_crawler.archive.warc import (
    GZIP_LEVEL,
    OPEN_SUFFIX,
    ArchiveError,
    Capture,
    Pointer,
    WarcFileWriter,
    complete_length,
    payload_digest,
    read_record,
    recover,
)
from linfen_crawler.demo.server import DemoServer
from linfen_crawler.storage import Dataset

COMPARED = ("url", "site", "section", "title", "published_at", "source", "authors", "editors", "body",
            "images", "content_hash")


def capture(n: int, body: bytes | None = None) -> Capture:
    return Capture(url=f"http://www.example.test/a/{n}.html", fetched_at="2026-12-05T10:00:00+00:00", status=200,
                   body=body if body is not None else f"<html>第{n}篇 {'正文' * 200}</html>".encode(),
                   headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                   request_headers=[("User-Agent", "linfen-test")])


def warc_records(folder: Path) -> list[tuple[str, str, bytes]]:
    """(type, target URI, payload) of every record of every WARC file, read by warcio alone."""
    out = []
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                out.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI") or "",
                            record.content_stream().read()))
    return out


# -- the WARC writer and reader ---------------------------------------------------------------------------
def test_files_rotate_at_the_size_limit_and_every_record_reads_back(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=2000, info={"isPartOf": "news.db"})
    pointers = [writer.write_capture(capture(n), run=(7, "lfxww")) for n in range(6)]
    writer.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) > 1 and all(name.endswith(".warc.gz") for name in files)  # rotated, all closed
    assert len({p.file for p in pointers}) == len(files)
    for n, pointer in enumerate(pointers):
        record = read_record(tmp_path, pointer, check_digest=True)
        assert (record.type, record.uri, record.body) == ("response", capture(n).url, capture(n).body)
        assert record.digest == pointer.digest == payload_digest(capture(n).body)
        assert record.date == "2026-12-05T10:00:00Z"
        # the body is stored decoded: the header that said otherwise is dropped, the length is the body's
        assert record.header("Content-Encoding") is None
        assert record.header("Content-Length") == str(len(capture(n).body))
    kinds = Counter(kind for kind, _, _ in warc_records(tmp_path))
    assert kinds == {"warcinfo": len(files), "metadata": len(files), "response": 6, "request": 6}


def test_a_revisit_record_holds_no_payload_and_names_the_earlier_capture(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=1 << 20)
    page = capture(1, os.urandom(20_000))  # a real page compresses to kilobytes; random bytes stay as big
    first = writer.write_capture(page)
    again = writer.write_capture(page, revisit_of=(page.url, "2026-12-05T10:00:00Z"))
    writer.close()
    revisit = read_record(tmp_path, again)
    assert revisit.type == "revisit" and revisit.body == b""
    assert revisit.digest == first.digest
    assert again.length < 1000 < 20_000 < first.length  # bytes, not kilobytes
    with (tmp_path / again.file).open("rb") as fh:
        fh.seek(again.offset)
        record = next(iter(ArchiveIterator(fh)))
        assert record.rec_headers.get_header("WARC-Refers-To-Target-URI") == capture(1).url
        assert record.rec_headers.get_header("WARC-Refers-To-Date") == "2026-12-05T10:00:00Z"


def test_records_are_isa_l_gzip_members_whose_digests_warcio_checks(tmp_path):
    """Each record is one gzip member deflated by ISA-L at GZIP_LEVEL (a fifth of zlib's CPU, the same
    format), and the digests the writer computes itself are the ones warcio checks."""
    writer = WarcFileWriter(tmp_path, max_bytes=1 << 20)
    pointers = [writer.write_capture(capture(n)) for n in range(3)]
    pointers.append(writer.write_capture(capture(0), revisit_of=(capture(0).url, "2026-12-05T10:00:00Z")))
    writer.close()
    path = tmp_path / pointers[0].file
    with path.open("rb") as fh:  # every record's block (and payload) digest recomputed by warcio
        checked = [(r.rec_type, r.digest_checker.passed) for r in ArchiveIterator(fh, check_digests="raise")
                   if r.content_stream().read() is not None]
    assert Counter(kind for kind, _ in checked) == {"warcinfo": 1, "response": 3, "revisit": 1, "request": 4}
    assert all(passed is not False for _, passed in checked)
    assert [passed for kind, passed in checked if kind in ("response", "request")] == [True] * 7
    data = path.read_bytes()
    for pointer in pointers:
        member = data[pointer.offset:pointer.offset + pointer.length]
        record = zlib.decompress(member, 31)
        deflate = warc._deflate_lib.compressobj(warc.DEFLATE_LEVEL, zlib.DEFLATED, 31)
        assert member == deflate.compress(record) + deflate.flush()
    # ISA-L where pyproject installs python-isal; the module imports without it (tested below in a subprocess)
    if platform.machine() in ("x86_64", "AMD64", "aarch64", "arm64"):
        assert warc._deflate_lib.__name__ == "isal.isal_zlib" and warc.DEFLATE_LEVEL == GZIP_LEVEL


WITHOUT_ISAL = """
import sys
sys.modules["isal"] = None  # as on a machine python-isal has no wheel for: pyproject installs it only where it has
from warcio.archiveiterator import ArchiveIterator
from linfen_crawler.archive.warc import DEFLATE_LEVEL, Capture, WarcFileWriter
assert DEFLATE_LEVEL == 1
writer = WarcFileWriter(sys.argv[1], max_bytes=1 << 20)
page = Capture(url="http://www.example.test/a/1.html", fetched_at="2026-12-05T10:00:00+00:00", status=200,
               body="<html>第1篇 正文</html>".encode(), headers=[("Content-Type", "text/html; charset=utf-8")])
pointer = writer.write_capture(page)
writer.close()
with open(sys.argv[1] + "/" + pointer.file, "rb") as fh:
    kinds = [r.rec_type for r in ArchiveIterator(fh, check_digests="raise") if r.content_stream().read() is not None]
print(" ".join(kinds))
"""


def test_without_isal_zlib_writes_the_same_format(tmp_path):
    """Where python-isal is not installed, the writer deflates with zlib: records warcio reads and checks."""
    proc = subprocess.run([sys.executable, "-c", WITHOUT_ISAL, str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(proc.stdout.split()) == ["request", "response", "warcinfo"]


def test_warcio_reads_a_page_s_body_once_to_write_its_record(tmp_path, monkeypatch):
    """Both digests are given to warcio (the payload's by the caller, the block's computed from the body in
    memory), so it reads the payload stream only to write it, not once more to hash it."""
    reads = []
    original = RecordBuilder._iter_stream  # a static method: warcio reads every stream through it

    def counted(stream):
        reads.append(stream.getvalue())
        return original(stream)

    monkeypatch.setattr(RecordBuilder, "_iter_stream", staticmethod(counted))
    writer = WarcFileWriter(tmp_path, max_bytes=1 << 20)
    writer.write_capture(capture(1))
    reads.clear()
    writer.write_capture(capture(2))  # a response and its request
    writer.close()
    assert reads.count(capture(2).body) == 1  # the page's body, once, as its record is written


def test_a_pointer_that_misses_its_record_is_an_archive_error(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=1 << 20)
    pointer = writer.write_capture(capture(1))
    writer.close()
    with pytest.raises(ArchiveError, match="does not end"):
        read_record(tmp_path, Pointer(pointer.file, pointer.offset, pointer.length + 10))
    with pytest.raises(ArchiveError, match="not a gzip member"):
        read_record(tmp_path, Pointer(pointer.file, pointer.offset + 1, pointer.length))
    with pytest.raises(ArchiveError, match="cannot read"):
        read_record(tmp_path, Pointer("missing.warc.gz", 0, 10))


def test_recovery_drops_a_partial_last_record_and_closes_the_file(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=1 << 20)
    kept = [writer.write_capture(capture(n)) for n in range(3)]
    cut = writer.write_capture(capture(3))
    assert writer._fh is not None
    opened = tmp_path / (kept[0].file + OPEN_SUFFIX)
    complete = cut.offset
    writer._fh.truncate(cut.offset + cut.length // 2)  # killed in the middle of a record
    writer._fh.close()  # the process is gone: its lock with it
    writer._fh = None
    assert opened.exists()
    assert recover(tmp_path) == [(kept[0].file, cut.length // 2)]
    assert not opened.exists()
    final = tmp_path / kept[0].file
    assert final.stat().st_size == complete
    for n, pointer in enumerate(kept):
        assert read_record(tmp_path, pointer, check_digest=True).body == capture(n).body
    assert [kind for kind, _, _ in warc_records(tmp_path)][-2:] == ["response", "request"]  # warcio reads it through


def test_recovery_leaves_a_live_writer_s_file_alone(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=1 << 20)
    pointer = writer.write_capture(capture(1))
    assert recover(tmp_path) == []  # it holds the lock
    assert (tmp_path / (pointer.file + OPEN_SUFFIX)).exists()
    assert read_record(tmp_path, pointer).body == capture(1).body  # readable while open
    writer.close()
    assert (tmp_path / pointer.file).exists()


def test_another_crawl_s_recovery_never_takes_a_file_its_writer_is_still_locking(tmp_path, monkeypatch):
    """Two crawls share the folder (`crawl --all --jobs N`): the other one's recover() may run between this
    writer creating its file and locking it. The file only gets its .open name once it is locked."""
    import fcntl

    from linfen_crawler.archive import warc

    real_flock = fcntl.flock
    recovered: list[list[tuple[str, int]]] = []

    def flock_after_another_recovery(fd: int, op: int) -> None:
        if not recovered:  # the writer's own lock (recover()'s own locks pass straight through)
            recovered.append([])
            recovered[0] = recover(tmp_path)  # the other crawl, in the gap
        real_flock(fd, op)

    monkeypatch.setattr(warc.fcntl, "flock", flock_after_another_recovery)
    writer = WarcFileWriter(tmp_path, max_bytes=1 << 20)
    pointer = writer.write_capture(capture(1))
    monkeypatch.setattr(warc.fcntl, "flock", real_flock)
    writer.close()
    assert recovered and recovered[0] == []
    assert read_record(tmp_path, pointer).body == capture(1).body


def test_complete_length_reads_members_bigger_than_its_buffers(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=1 << 30)
    big = os.urandom(300_000)  # does not compress: many chunks per member
    pointer = writer.write_capture(capture(1, big))
    writer.close()
    with (tmp_path / pointer.file).open("rb") as fh:
        assert complete_length(fh, chunk=4096) == pointer.offset + pointer.length + _request_length(tmp_path, pointer)


def _request_length(folder: Path, pointer: Pointer) -> int:
    return (folder / pointer.file).stat().st_size - pointer.offset - pointer.length


# -- crawls ------------------------------------------------------------------------------------------------
def verify(db: Path) -> subprocess.CompletedProcess[str]:
    return run_linfen("archive", "verify", "--db", str(db))


def captures(db: Path) -> list[dict]:
    return rows(db, "SELECT * FROM captures ORDER BY id")


def assert_every_article_has_a_readable_capture(db: Path) -> None:
    folder = archive_dir(db)
    with Dataset(db) as ds:
        pages = {url: group for url, group in ds.capture_articles()}
    stored = article_rows(db)
    assert stored
    for url in stored:
        row = pages[url][url]
        record = read_record(folder, Pointer(row["payload_file"], row["payload_offset"], row["payload_length"]),
                             check_digest=True)
        assert record.status == 200 and len(record.body) > 500, url


def test_after_linfen_demo_the_pages_are_in_the_archive_not_the_dataset_and_reextract_keeps_every_record(
        tmp_path):
    db = tmp_path / "demo.db"
    proc = run_linfen("demo", "--db", str(db))
    assert proc.returncode == 0, proc.stderr[-3000:]
    # the server is stopped when demo returns: what follows has no network
    conn = sqlite3.connect(db)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    blobs = [(t, c) for t in tables for (_, c, kind, *_rest) in conn.execute(f'PRAGMA table_info("{t}")')
             if kind.upper() == "BLOB" and not t.startswith(("articles_fts_", "articles_title_fts_"))  # FTS5 blocks
             # 256-byte MinHash signatures of bodies and the Bloom filter of their keys (issue 16), not pages
             and t not in ("article_sketch", "article_lsh_filter")]
    conn.close()
    assert "raw_pages" not in tables and blobs == []  # no page bytes in the dataset

    folder = archive_dir(db)
    assert folder == tmp_path / "demo.archive"
    assert not list(folder.glob(f"*{OPEN_SUFFIX}"))  # every file closed
    records = warc_records(folder)
    responses = {uri: body for kind, uri, body in records if kind == "response"}
    kinds = Counter(kind for kind, _, _ in records)
    assert kinds["request"] == kinds["response"] > 0 and kinds["metadata"] > 0 and kinds["warcinfo"] > 0
    stored = article_rows(db)
    caps = captures(db)
    for url in stored:
        page_urls = [c["final_url"] for c in caps if c["article_url"] == url]
        assert page_urls and all(responses.get(u) for u in page_urls), url
        assert len(responses[next(c["final_url"] for c in caps if c["url"] == url)]) > 500, url
    assert any(c["page"] > 1 for c in caps)  # later pages of multi-page articles too
    meta = [json.loads(body) for kind, _, body in records if kind == "metadata"]
    assert {m["site"] for m in meta} == {a["site"] for a in stored.values()}
    assert all(m["run_id"] for m in meta)

    check = verify(db)
    assert check.returncode == 0, check.stdout + check.stderr
    before = {u: {k: r[k] for k in COMPARED} for u, r in stored.items()}
    proc = run_linfen("reextract", "--db", str(db))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert " 0 updated" in proc.stdout and " 0 new" in proc.stdout
    assert {u: {k: r[k] for k in COMPARED} for u, r in article_rows(db).items()} == before


def test_a_recheck_adds_revisits_for_unchanged_pages_and_keeps_both_captures_of_an_edited_one(tmp_path):
    db = tmp_path / "news.db"
    with DemoServer() as server:
        assert crawl(server, db, "-s", "LINFEN_ARCHIVE_FILE_BYTES=40000").returncode == 0
        first = captures(db)
        assert first and {c["record"] for c in first} == {"response"}
        # the size limit reaches the writer: one crawl, several closed files
        assert len({c["warc_file"] for c in first}) == len(list(archive_dir(db).glob("*.warc.gz"))) > 2
        stored = article_rows(db)
        edited = ""
        for record in (e for e in lfxww_expected(server) if e["url"] in stored):
            try:
                edit_article(server, record)  # pages whose first line is plain text in the HTML
            except AssertionError:
                continue
            edited = record["url"]
            break
        assert edited
        proc = crawl(server, db, "--recheck", "36500")
        assert proc.returncode == 0, proc.stderr[-3000:]
    added = captures(db)[len(first):]
    assert added == [c for c in added if c["run_id"] != first[0]["run_id"]]
    by_kind = Counter(c["record"] for c in added)
    assert by_kind["revisit"] >= len(stored) - 1
    changed = [c for c in added if c["record"] == "response"]
    assert [c["url"] for c in changed] == [edited]
    # both captures of the edited page are kept and readable, with their own payloads
    folder = archive_dir(db)
    versions = [c for c in captures(db) if c["url"] == edited]
    bodies = [read_record(folder, Pointer(c["warc_file"], c["warc_offset"], c["warc_length"])).body
              for c in versions]
    assert len(versions) >= 2 and bodies[0] != bodies[-1]
    assert any("改写:".encode(codec) in bodies[-1] for codec in ("utf-8", "gb18030"))
    assert not any("改写:".encode(codec) in bodies[0] for codec in ("utf-8", "gb18030"))
    revisits = [c for c in added if c["record"] == "revisit"]
    assert all(c["payload_id"] for c in revisits)
    assert sum(c["warc_length"] for c in revisits) < sum(c["warc_length"] for c in first) / 3
    check = verify(db)
    assert check.returncode == 0, check.stdout + check.stderr
    # reextract reads a revisit's payload from the response it refers to
    proc = run_linfen("reextract", "--db", str(db))
    assert proc.returncode == 0 and " 0 updated" in proc.stdout, proc.stdout + proc.stderr


def test_a_partial_record_left_by_a_killed_crawl_is_dropped_on_the_next_start(tmp_path):
    db = tmp_path / "news.db"
    with DemoServer() as server:
        assert crawl(server, db).returncode == 0
        folder = archive_dir(db)
        (last,) = sorted(folder.glob("*.warc.gz"))[-1:]
        size = last.stat().st_size
        data = last.read_bytes()
        c = captures(db)[-1]
        # as a crawl killed mid-write leaves it: still .open, the last record cut in the middle
        opened = last.with_name(last.name + OPEN_SUFFIX)
        last.rename(opened)
        with opened.open("ab") as fh:
            fh.write(data[c["warc_offset"]:c["warc_offset"] + c["warc_length"] // 2])
        assert verify(db).returncode == 0  # pointers find the .open file meanwhile
        proc = crawl(server, db)  # starts again
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert not opened.exists() and last.stat().st_size == size
    assert_every_article_has_a_readable_capture(db)
    warc_records(folder)  # warcio reads every file through
    check = verify(db)
    assert check.returncode == 0, check.stdout + check.stderr


def test_verify_reports_each_broken_pointer_in_one_line_and_exits_1(dataset):
    db = dataset
    caps = captures(db)
    folder = archive_dir(db)
    victim = caps[0]
    path = folder / victim["warc_file"]
    data = bytearray(path.read_bytes())
    data[victim["warc_offset"] + victim["warc_length"] // 2] ^= 0xFF  # one flipped byte in a payload
    path.write_bytes(bytes(data))
    conn = sqlite3.connect(db)
    conn.execute("UPDATE captures SET digest = 'sha1:WRONG' WHERE id = ?", (caps[1]["id"],))
    conn.commit()
    conn.close()
    proc = verify(db)
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2, proc.stdout
    assert lines[0].startswith(f"capture {victim['id']} ({victim['url']}): {victim['warc_file']}@")
    assert "sha1:WRONG" in lines[1]
    assert "Traceback" not in proc.stderr


def test_an_old_dataset_s_raw_pages_move_into_the_archive_with_nothing_lost(tmp_path):
    db = tmp_path / "old.db"
    conn = old_dataset(db, 4)
    pages = {f"http://www.lfxww.com/a/{n}.html": f"<html><title>第{n}篇</title>{'内容' * 300}</html>".encode("gb18030")
             for n in range(5)}
    for n, (url, body) in enumerate(pages.items()):
        conn.execute(
            "INSERT INTO raw_pages (url, article_url, page, site, run_id, fetched_at, status, final_url, headers, "
            "charset, compression, size, body) VALUES (?, ?, 1, 'lfxww', 1, ?, 200, ?, ?, 'gb18030', ?, ?, ?)",
            (url, url, f"2026-01-0{n + 1}T08:00:00+00:00", url,
             json.dumps({"Content-Type": "text/html; charset=gb2312"}),
             "zlib" if n % 2 == 0 else "none", len(body), zlib.compress(body) if n % 2 == 0 else body))
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()

    proc = run_linfen("archive", "migrate", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    assert "5 pages moved" in proc.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'raw_pages'").fetchone()[0] == 0
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # vacuumed: the table's pages given back
    conn.close()
    folder = archive_dir(db)
    for c in captures(db):
        record = read_record(folder, Pointer(c["warc_file"], c["warc_offset"], c["warc_length"]),
                             check_digest=True)
        assert record.body == pages[c["url"]]
        assert record.header("Content-Type") == "text/html; charset=gb2312"
        assert c["fetched_at"].startswith("2026-01-0") and record.date.startswith(c["fetched_at"][:19])
    assert sorted(c["url"] for c in captures(db)) == sorted(pages)
    assert verify(db).returncode == 0
    again = run_linfen("archive", "migrate", "--db", str(db))
    assert again.returncode == 0 and "no pages" in again.stdout


def with_damaged_raw_page(db: Path, url: str, run_id: int | None) -> None:
    """A schema-4 dataset at ``db`` whose one ``raw_pages`` row says zlib but is not: a page that cannot move."""
    conn = old_dataset(db, 4)
    conn.execute("INSERT INTO raw_pages (url, article_url, page, site, run_id, fetched_at, status, final_url, "
                 "headers, charset, compression, size, body) VALUES (?, ?, 1, 'lfxww', ?, "
                 "'2026-01-01T08:00:00+00:00', 200, NULL, '{}', 'utf-8', 'zlib', 10, x'00010203')",
                 (url, url, run_id))
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()


def test_a_crawl_over_an_old_page_that_cannot_be_moved_warns_and_stores_every_article(tmp_path):
    db = tmp_path / "news.db"
    with_damaged_raw_page(db, "http://www.lfxww.com/old.html", None)
    with DemoServer() as server:
        proc = crawl(server, db)
        expected = lfxww_expected(server)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "were not moved into the archive" in proc.stderr and "Traceback" not in proc.stderr
    assert set(article_rows(db)) == {r["url"] for r in expected}
    assert rows(db, "SELECT url FROM raw_pages") == [{"url": "http://www.lfxww.com/old.html"}]


@pytest.mark.parametrize("command", [("archive", "migrate"), ("reextract",)])
def test_a_page_that_cannot_be_moved_is_one_line_and_nothing_moves(tmp_path, command):
    db = tmp_path / "old.db"
    with_damaged_raw_page(db, "http://www.lfxww.com/a/1.html", 1)
    proc = run_linfen(*command, "--db", str(db))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"cannot move the pages kept in {db}") and line.endswith("nothing was moved")
    assert rows(db, "SELECT url FROM raw_pages") == [{"url": "http://www.lfxww.com/a/1.html"}]


@needs_mount
def test_a_full_disk_in_the_archive_folder_fails_the_run_like_a_full_dataset_disk(small_fs, tmp_path):
    db = tmp_path / "data" / "news.db"
    db.parent.mkdir()
    folder = archive_dir(db)
    folder.symlink_to(small_fs, target_is_directory=True)  # only the archive is on the small filesystem
    filler = fill(small_fs, 96 << 10)  # room for a few pages
    with DemoServer() as server:
        first = crawl(server, db, *QUIET, "-s", "LINFEN_STORE_BATCH_SIZE=5")
        assert_failed_disk_full(first, folder)
        run = last_run(db)
        assert run["status"] == "failed" and run["stats"]["linfen/failure"].startswith(f"disk_full: {folder}")
        assert captures(db)  # some pages were archived before the disk filled
        assert_every_article_has_a_readable_capture(db)  # and no article was stored without its page
        filler.unlink()
        second = crawl(server, db, *QUIET)
    assert second.returncode == 0, second.stderr[-3000:]
    assert_every_article_has_a_readable_capture(db)
    assert set(article_rows(db)) == {e["url"] for e in lfxww_expected(server)}
    check = verify(db)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_crawl_moves_an_old_dataset_s_raw_pages_into_the_archive_before_it_writes(tmp_path):
    db = tmp_path / "news.db"
    with DemoServer() as server:
        url = lfxww_expected(server)[0]["url"]
        page = server.portal.home.pages[url.split("www.lfxww.com", 1)[1]]
        conn = old_dataset(db, 4)  # as a release before issue 19 left it: the page inside, zlib-compressed
        conn.execute(
            "INSERT INTO raw_pages (url, article_url, page, site, run_id, fetched_at, status, final_url, headers, "
            "charset, compression, size, body) VALUES (?, ?, 1, 'lfxww', NULL, '2026-01-01T08:00:00+00:00', 200, ?, "
            "?, NULL, 'zlib', ?, ?)",
            (url, url, url, json.dumps({"Content-Type": page.content_type}), len(page.body),
             zlib.compress(page.body)))
        conn.execute("PRAGMA user_version = 4")
        conn.commit()
        conn.close()
        proc = crawl(server, db)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = rows(db, "SELECT stats FROM crawl_runs")
    assert json.loads(run["stats"])["linfen/archive/moved_raw_pages"] == 1
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'raw_pages'").fetchone()[0] == 0
    conn.close()
    caps = [c for c in captures(db) if c["url"] == url]
    # the moved capture first; the crawl fetched the same bytes again: a revisit of the moved one
    assert [c["record"] for c in caps] == ["response", "revisit"]
    assert caps[1]["payload_id"] == caps[0]["id"] and caps[0]["fetched_at"] == "2026-01-01T08:00:00+00:00"
    assert verify(db).returncode == 0
