"""`linfen export` on a real crawl: CSV (Excel BOM, lists joined with 、), JSONL and Parquet with the search
filters, --columns, the FILE.meta.json sidecar, streaming, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from conftest import article_rows, rows, run_linfen

from linfen_crawler.output import write_csv
from linfen_crawler.storage import Dataset


def export(db: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_linfen("export", "--db", str(db), "-o", str(out), *args)


def test_csv_excel_has_bom_and_joins_lists_with_dunhao(crawled, tmp_path):
    _, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = tmp_path / "a.csv"
    res = export(db, out, "--excel")
    assert res.returncode == 0, res.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    got = {r["url"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))}
    stored = article_rows(db)
    assert set(got) == set(stored)
    many = next(u for u, r in stored.items() if len(r["authors"] or []) >= 2)
    assert got[many]["authors"] == "、".join(stored[many]["authors"])
    assert got[many]["body"] == stored[many]["body"]  # newlines survive CSV quoting
    assert res.stderr.strip() == f"{len(stored)} articles written to {out}"
    assert not (tmp_path / "a.csv.part").exists()


def test_meta_sidecar_records_query_filters_rows_dataset_runs_and_time(crawled, tmp_path):
    _, db, _ = crawled
    out = tmp_path / "q.jsonl"
    res = export(db, out, "--format", "jsonl", "--query", "临汾", "--since", "2015-01-01", "--columns", "url,title,day")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert lines and all(list(r) == ["url", "title", "day"] and r["day"] >= "2015-01-01" for r in lines)
    meta = json.loads((tmp_path / "q.jsonl.meta.json").read_text("utf-8"))
    runs = sorted({r["run_id"] for r in rows(db, "SELECT run_id FROM articles")})
    assert meta["rows"] == len(lines)
    assert meta["query"] == "临汾" and meta["filters"] == {"site": None, "since": "2015-01-01", "until": None,
                                                           "dedupe": False}
    assert meta["columns"] == ["url", "title", "day"] and meta["format"] == "jsonl"
    assert meta["dataset"] == str(Path(db).resolve()) and meta["crawl_runs"] == runs
    assert meta["exported_at"].endswith("+00:00") and meta["schema_version"] >= 3
    assert "--query 临汾" in meta["command"]


def test_parquet_keeps_lists_and_types(crawled, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    _, db, _ = crawled
    out = tmp_path / "a.parquet"
    res = export(db, out, "--format", "parquet", "--site", "lfxww")
    assert res.returncode == 0, res.stderr
    table = pq.read_table(out)
    stored = article_rows(db)
    assert table.num_rows == len(stored)
    assert pa.types.is_list(table.schema.field("authors").type)
    assert str(table.schema.field("run_id").type) == "int64"
    by_url = {r["url"]: r for r in table.to_pylist()}
    for url, row in stored.items():
        assert by_url[url]["authors"] == row["authors"]
        assert by_url[url]["title"] == row["title"] and by_url[url]["duplicate_of"] == row["duplicate_of"]
    assert json.loads((tmp_path / "a.parquet.meta.json").read_text("utf-8"))["rows"] == len(stored)


def test_stdout_and_no_meta(crawled, tmp_path):
    _, db, _ = crawled
    res = run_linfen("export", "--db", str(db), "-o", "-", "--columns", "url", "--site", "lfxww")
    assert res.returncode == 0
    assert res.stdout.splitlines()[0] == "url" and len(res.stdout.splitlines()) == len(article_rows(db)) + 1
    out = tmp_path / "n.csv"
    assert export(db, out, "--no-meta").returncode == 0
    assert out.exists() and not (tmp_path / "n.csv.meta.json").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--columns", "url,nope"], "unknown column 'nope'"),
    (["--columns", "url,url"], "--columns names a column twice"),
    (["--format", "jsonl", "--excel"], "--excel applies to --format csv only"),
    (["--since", "yesterday"], "--since 'yesterday' is not a date like 2024-03-15"),
    (["--query", "?!"], "has no searchable word"),
])
def test_export_errors_are_one_line_exit_2(crawled, tmp_path, args, message):
    _, db, _ = crawled
    res = export(db, tmp_path / "e.csv", *args)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "e.csv").exists() and not (tmp_path / "e.csv.part").exists()


def test_existing_file_needs_force(crawled, tmp_path):
    _, db, _ = crawled
    out = tmp_path / "x.csv"
    out.write_text("keep")
    res = export(db, out)
    assert res.returncode == 2 and "exists; use --force" in res.stderr and out.read_text() == "keep"
    assert export(db, out, "--force").returncode == 0 and out.read_text("utf-8").startswith("url,")


def test_csv_export_streams_in_constant_memory(tmp_path):
    """Python memory while exporting does not grow with the number of rows (the cursor is streamed)."""
    def peak(n: int) -> int:
        db = tmp_path / f"m{n}.db"
        with Dataset(db) as ds:
            body = "临汾新闻网讯 " + "市委召开会议。" * 40
            ds.upsert_articles([{"url": f"u{i}", "site": "lfxww", "title": f"标题{i}", "body": body + str(i),
                                 "published_at": "2024-01-01", "authors": ["王长波", "李四"]} for i in range(n)], 1)
        with Dataset(db) as ds:
            tracemalloc.start()
            with open(tmp_path / f"m{n}.csv", "wb") as fh:
                for _ in write_csv(ds.iter_article_tuples(columns=["url", "title", "body", "authors"], utf8=True),
                                   fh, ["url", "title", "body", "authors"]):
                    pass
            size = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return size

    small, large = peak(500), peak(5000)
    assert large < small * 1.5 + 200_000, (small, large)


def test_progress_bar_on_a_terminal_only(crawled, tmp_path):
    """Under a pseudo-terminal (util-linux `script`) a progress bar is drawn; piped, it is not (above)."""
    import shlex
    import shutil
    import subprocess
    import sys

    if shutil.which("script") is None:
        pytest.skip("util-linux `script` is not installed")
    _, db, _ = crawled
    out = tmp_path / "tty.csv"
    cmd = shlex.join([sys.executable, "-m", "linfen_crawler.cli", "export", "--db", str(db), "-o", str(out)])
    proc = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "exporting" in proc.stdout and "100%" in proc.stdout
    assert out.exists()
