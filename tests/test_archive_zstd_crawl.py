"""``--archive-compression zstd`` (issue 19): the crawl's archive written as ``.warc.zst`` files.

The first tests drive the crawl's writer (:class:`~linfen_crawler.archive.warc.WarcFileWriter`) in a tmp dir:
a dictionary trained on a site's first pages, or reused from the site's previous file; rotation; recovery of
a partial last frame. The others run the real `linfen crawl` against the sample portal on 127.0.0.1 and read
what it wrote with warcio (through :func:`~linfen_crawler.archive.zstd.open_warc_zst`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import article_rows, crawl, rows, run_linfen
from test_archive import COMPARED, capture
from warcio.archiveiterator import ArchiveIterator

from linfen_crawler.archive import archive_dir
from linfen_crawler.archive.warc import (
    OPEN_SUFFIX,
    RETRAIN_PAGES,
    TRAIN_PAGES,
    ArchiveError,
    Pointer,
    WarcFileWriter,
    iter_records,
    read_record,
    recover,
)
from linfen_crawler.archive.zstd import open_warc_zst, read_dictionary, train_site_dictionary
from linfen_crawler.demo.server import DemoServer


def dictionary_of(path: Path) -> bytes | None:
    with path.open("rb") as fh:
        return read_dictionary(fh)[0]


def zstd_records(folder: Path) -> list[tuple[str, str, bytes]]:
    """(type, target URI, payload) of every record of every .warc.zst file, read by warcio."""
    out = []
    for path in sorted(folder.glob("*.warc.zst")):
        with open_warc_zst(path) as stream:
            for record in ArchiveIterator(stream):
                out.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI") or "",
                            record.content_stream().read()))
    return out


# -- the writer ---------------------------------------------------------------------------------------------
def test_a_site_s_first_pages_train_its_dictionary_and_the_next_file_starts_with_it(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=10**9, compression="zstd")
    writer.find_dictionary = lambda site: None  # nothing to reuse: a first crawl
    pointers = [writer.write_capture(capture(n), run=(1, "lfxww")) for n in range(TRAIN_PAGES + 4)]
    writer.close()
    files = sorted(tmp_path.iterdir())
    assert [p.name.endswith(".warc.zst") for p in files] == [True, True]
    first, second = files
    assert dictionary_of(first) is None and dictionary_of(second) is not None
    assert [p.file for p in pointers] == [first.name] * TRAIN_PAGES + [second.name] * 4
    for n, pointer in enumerate(pointers):
        record = read_record(tmp_path, pointer, check_digest=True)
        assert (record.type, record.uri, record.body) == ("response", capture(n).url, capture(n).body)
    # iter_records gives each record's frame: the response frames are where the pointers say
    framed = {(file.name, offset, length) for file in files for offset, length, _ in iter_records(file)}
    assert {(p.file, p.offset, p.length) for p in pointers} <= framed
    kinds = Counter(kind for kind, _, _ in zstd_records(tmp_path))
    assert kinds == {"warcinfo": 2, "metadata": 2, "response": TRAIN_PAGES + 4, "request": TRAIN_PAGES + 4}
    # the dictionary pays: a page written with it is much smaller than one written without
    with_dict = pointers[-1].length
    without = pointers[TRAIN_PAGES - 1].length
    assert with_dict < without / 2


def test_a_second_dictionary_trained_on_more_pages_replaces_the_first(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=10**9, compression="zstd")
    writer.find_dictionary = lambda site: None
    pointers = [writer.write_capture(capture(n), run=(1, "lfxww")) for n in range(RETRAIN_PAGES + 2)]
    writer.close()
    files = sorted(tmp_path.iterdir())
    dictionaries = [dictionary_of(p) for p in files]
    assert len(files) == 3 and dictionaries[0] is None and None not in dictionaries[1:]
    assert dictionaries[1] != dictionaries[2]
    assert Counter(p.file for p in pointers) == {files[0].name: TRAIN_PAGES,
                                                 files[1].name: RETRAIN_PAGES - TRAIN_PAGES, files[2].name: 2}
    assert writer._samples == []  # nothing more held in memory once the second is trained
    for n, pointer in enumerate(pointers):
        assert read_record(tmp_path, pointer, check_digest=True).body == capture(n).body


def test_the_site_s_previous_dictionary_is_reused_and_rotation_keeps_it(tmp_path):
    dictionary = train_site_dictionary([capture(n).body for n in range(50, 60)])
    asked: list[str] = []
    writer = WarcFileWriter(tmp_path, max_bytes=1, compression="zstd")  # a file per capture

    def find(site: str) -> bytes:
        asked.append(site)
        return dictionary

    writer.find_dictionary = find
    pointers = [writer.write_capture(capture(n), run=(1, "lfxww")) for n in range(6)]
    writer.close()
    files = sorted(tmp_path.iterdir())
    assert len(files) == 6 and asked == ["lfxww"]  # rotated; looked up once
    assert all(dictionary_of(p) == dictionary for p in files)
    for n, pointer in enumerate(pointers):
        assert read_record(tmp_path, pointer, check_digest=True).body == capture(n).body
    # a pointer that misses its frame is one line, as with gzip
    p = pointers[0]
    for bad in (Pointer(p.file, p.offset + 1, p.length), Pointer(p.file, p.offset, p.length - 1),
                Pointer(p.file, p.offset, p.length + 20)):  # off its frame, cut short, running into the next
        with pytest.raises(ArchiveError) as err:
            read_record(tmp_path, bad)
        assert "\n" not in str(err.value) and f"{p.file}@{bad.offset}" in str(err.value)


def test_recovery_drops_a_partial_last_zstd_frame_and_closes_the_file(tmp_path):
    writer = WarcFileWriter(tmp_path, max_bytes=10**9, compression="zstd")
    writer.find_dictionary = lambda site: train_site_dictionary([capture(n).body for n in range(9)])
    pointers = [writer.write_capture(capture(n), run=(1, "lfxww")) for n in range(3)]
    assert writer.name is not None
    opened = tmp_path / (writer.name + OPEN_SUFFIX)
    size = opened.stat().st_size
    with opened.open("ab") as fh:  # a kill in the middle of the next record's write
        fh.write((tmp_path / (writer.name + OPEN_SUFFIX)).read_bytes()[pointers[1].offset:][:300])
    killed, writer._fh = writer._fh, None  # the killed writer: its lock goes with its process
    assert killed is not None
    killed.close()
    done = recover(tmp_path)
    assert done == [(writer.name, 300)]
    final = tmp_path / writer.name
    assert not opened.exists() and final.stat().st_size == size
    assert [r[0] for r in zstd_records(tmp_path)].count("response") == 3
    for n, pointer in enumerate(pointers):
        assert read_record(tmp_path, pointer, check_digest=True).body == capture(n).body


# -- crawls ------------------------------------------------------------------------------------------------
def captures(db: Path) -> list[dict]:
    return rows(db, "SELECT * FROM captures ORDER BY id")


def test_a_zstd_crawl_reads_back_verifies_reextracts_offline_and_reuses_its_dictionary(tmp_path, crawled):
    _, gzip_db, gzip_proc = crawled
    assert gzip_proc.returncode == 0
    db = tmp_path / "news.db"
    with DemoServer() as server:
        proc = crawl(server, db, "--archive-compression", "zstd")
        assert proc.returncode == 0, proc.stderr[-3000:]
        folder = archive_dir(db)
        first_files = sorted(folder.iterdir())
        first = captures(db)
        # a second run (every article fetched again) reuses the dictionary the first trained
        proc = crawl(server, db, "--recheck", "36500", "-s", "LINFEN_ARCHIVE_COMPRESSION=zstd")
        assert proc.returncode == 0, proc.stderr[-3000:]
    # the server is stopped: what follows has no network
    assert first_files and all(p.name.endswith(".warc.zst") for p in first_files)
    assert not list(folder.glob("*.warc.gz*")) and not list(folder.glob(f"*{OPEN_SUFFIX}"))
    dictionaries = [dictionary_of(p) for p in first_files]
    # the first pages' file has none, then one trained on 8 pages, then one on 32, which later runs reuse
    assert dictionaries[0] is None and len(set(dictionaries[1:])) == 2 and None not in dictionaries[1:]
    later = [p for p in sorted(folder.iterdir()) if p not in first_files]
    assert later and all(dictionary_of(p) == dictionaries[-1] for p in later)

    records = zstd_records(folder)
    responses = {uri: body for kind, uri, body in records if kind == "response"}
    kinds = Counter(kind for kind, _, _ in records)
    assert kinds["request"] == kinds["response"] + kinds["revisit"] > 0
    caps = captures(db)
    assert len(caps) > len(first) and {c["record"] for c in caps[len(first):]} >= {"revisit"}
    for c in first:
        assert responses[c["final_url"]], c["url"]
        record = read_record(folder, Pointer(c["warc_file"], c["warc_offset"], c["warc_length"]), check_digest=True)
        assert record.body == responses[c["final_url"]]

    check = run_linfen("archive", "verify", "--db", str(db))
    assert check.returncode == 0, check.stdout + check.stderr
    proc = run_linfen("reextract", "--db", str(db))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert " 0 updated" in proc.stdout and " 0 new" in proc.stdout
    # the same records as the gzip crawl of the same portal (the shared `crawled` dataset)
    zstd_articles = {u: {k: r[k] for k in COMPARED} for u, r in article_rows(db).items()}
    gzip_articles = {u: {k: r[k] for k in COMPARED} for u, r in article_rows(gzip_db).items()}
    assert zstd_articles == gzip_articles and zstd_articles
    # and smaller: the first responses' frames against the same pages' gzip members
    gzip_first = {c["url"]: c["warc_length"] for c in captures(gzip_db) if c["record"] == "response"}
    assert sum(c["warc_length"] for c in first) < 0.8 * sum(gzip_first[c["url"]] for c in first)


def test_a_partial_zstd_record_left_by_a_killed_crawl_is_dropped_on_the_next_start(tmp_path):
    db = tmp_path / "news.db"
    with DemoServer() as server:
        assert crawl(server, db, "--archive-compression", "zstd").returncode == 0
        folder = archive_dir(db)
        c = captures(db)[-1]
        last = folder / c["warc_file"]
        size = last.stat().st_size
        data = last.read_bytes()
        opened = last.with_name(last.name + OPEN_SUFFIX)  # as a crawl killed mid-write leaves it
        last.rename(opened)
        with opened.open("ab") as fh:
            fh.write(data[c["warc_offset"]:c["warc_offset"] + c["warc_length"] // 2])
        assert run_linfen("archive", "verify", "--db", str(db)).returncode == 0  # the .open file is found
        proc = crawl(server, db, "--archive-compression", "zstd")  # starts again
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert not opened.exists() and last.stat().st_size == size
    zstd_records(folder)  # every file reads through to its end
    check = run_linfen("archive", "verify", "--db", str(db))
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_bad_compression_is_refused_in_one_line_with_exit_2(tmp_path):
    db = tmp_path / "news.db"
    proc = run_linfen("crawl", "lfxww", "--db", str(db), "-s", "LINFEN_ARCHIVE_COMPRESSION=lz4")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "LINFEN_ARCHIVE_COMPRESSION" in lines[0] and "zstd" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and not db.exists()
    proc = run_linfen("crawl", "lfxww", "--db", str(db), "--archive-compression", "lz4")
    assert proc.returncode == 2 and "--archive-compression" in proc.stderr and "Traceback" not in proc.stderr
