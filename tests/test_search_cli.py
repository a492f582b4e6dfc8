"""`linfen search` on a real crawl of the sample portal: every article containing the word, ranked, with
snippets, in table/json/csv, with the same filters as export; errors in one line with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import article_rows, run_linfen


def search(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_linfen("search", *args, "--db", str(db))


def containing(db: Path, word: str, **where: Any) -> set[str]:
    return {u for u, r in article_rows(db).items()
            if (word in (r["title"] or "") or word in (r["body"] or ""))
            and all(r[k] == v for k, v in where.items())}


@pytest.mark.parametrize("word", ["临汾", "汾", "尧都区", "丰收", "271万吨"])
def test_search_finds_exactly_the_articles_containing_the_word_ranked_with_snippets(crawled, word):
    _, db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = search(db, word, "--format", "json", "--limit", "1000")
    assert res.returncode == 0, res.stderr
    hits = [json.loads(line) for line in res.stdout.splitlines()]
    expected = containing(db, word)
    assert expected, f"the sample portal has articles with {word}"
    assert {h["url"] for h in hits} == expected
    assert [h["rank"] for h in hits] == sorted(h["rank"] for h in hits)  # rank 1 first
    stored = article_rows(db)
    for h in hits:
        if word in (stored[h["url"]]["body"] or ""):
            assert f"【{word}】" in h["snippet"], h


def test_acceptance_linfen_search_linfen_table(crawled):
    _, db, _ = crawled
    res = search(db, "临汾", "--limit", "5")
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == "5 results"
    blocks = res.stdout.rstrip("\n").split("\n")
    assert len(blocks) == 15  # title line, url, snippet per hit
    assert all("临汾" in line for line in blocks[2::3])
    assert "【临汾】" in res.stdout


def test_search_filters_and_csv(crawled):
    _, db, _ = crawled
    stored = article_rows(db)
    res = search(db, "临汾", "--since", "2020-01-01", "--until", "2022-12-31", "--format", "csv", "--limit", "1000")
    assert res.returncode == 0, res.stderr
    got = list(csv.DictReader(io.StringIO(res.stdout)))
    assert got and all("2020-01-01" <= r["published_at"][:10] <= "2022-12-31" for r in got)
    assert {r["url"] for r in got} == {u for u in containing(db, "临汾")
                                       if "2020-01-01" <= (stored[u]["published_at"] or "")[:10] <= "2022-12-31"}
    assert list(got[0]) == ["rank", "published_at", "site", "title", "url", "source", "snippet"]
    none = search(db, "临汾", "--site", "nosuchsite", "--format", "json")
    assert none.returncode == 0 and none.stdout == ""


@pytest.mark.parametrize(("args", "message"), [
    (["临汾", "--since", "2024-13-01"], "--since '2024-13-01' is not a date like 2024-03-15"),
    (["?!"], "has no searchable word"),
    (["临汾", "--format", "xml"], "Invalid value for '--format'"),
])
def test_search_errors_are_one_line_exit_2(crawled, args, message):
    _, db, _ = crawled
    res = search(db, *args)
    assert res.returncode == 2
    assert message in res.stderr


def test_search_without_a_dataset(tmp_path):
    res = run_linfen("search", "临汾", "--db", str(tmp_path / "none.db"))
    assert res.returncode == 2 and "no dataset at" in res.stderr and len(res.stderr.strip().splitlines()) == 1


# -- issue 15: long queries, the empty query, excluded words --------------------------------------------
def export_urls(db: Path, tmp_path: Path, query: str
                ) -> tuple[subprocess.CompletedProcess[str], set[str] | None]:
    out = tmp_path / "q.jsonl"
    res = run_linfen("export", "--format", "jsonl", "--columns", "url", "--query", query, "--no-meta",
                     "-o", str(out), "--db", str(db))
    return res, ({json.loads(line)["url"] for line in out.read_text("utf-8").splitlines()}
                 if res.returncode == 0 else None)


def one_line_error(res: subprocess.CompletedProcess[str], message: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    assert res.stderr.startswith("Error: ") and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(("query", "message"), [
    (" ".join(["临汾"] * 3000), "the query has 8999 characters; at most 500 are allowed"),
    (" ".join(chr(0x4e00 + i) * 2 for i in range(40)), "the query has 40 different words; at most 32 are allowed"),
    ("", "the query '' has no searchable word"),
    ("-临汾", "the query '-临汾' only excludes words (-词); add a word to find"),
])
def test_bad_queries_are_one_line_errors_in_search_and_export(crawled, tmp_path, query, message):
    _, db, _ = crawled
    one_line_error(run_linfen("search", "--db", str(db), "--", query), message)
    res, _ = export_urls(db, tmp_path, query)
    one_line_error(res, message)
    assert not (tmp_path / "q.jsonl").exists()


def test_a_repeated_word_is_searched_once(crawled):
    _, db, _ = crawled
    once = search(db, "临汾", "--format", "json", "--limit", "1000")
    many = search(db, " ".join(["临汾"] * 150), "--format", "json", "--limit", "1000")
    assert many.returncode == 0, many.stderr
    assert many.stdout == once.stdout and many.stdout


def test_minus_excludes_a_word_in_search_and_export(crawled, tmp_path):
    _, db, _ = crawled
    expected = containing(db, "临汾") - containing(db, "新闻")
    assert expected and expected != containing(db, "临汾")  # the sample has articles on both sides
    for args in (["临汾", "-新闻"], ["-新闻", "临汾"], ["临汾 -新闻"], ["--", "临汾", "-新闻"], ["--", "-新闻 临汾"]):
        res = run_linfen("search", "--db", str(db), "--format", "json", "--limit", "1000", *args)
        assert res.returncode == 0, (args, res.stderr)
        assert {json.loads(line)["url"] for line in res.stdout.splitlines()} == expected, args
    res, urls = export_urls(db, tmp_path, "临汾 -新闻")
    assert res.returncode == 0, res.stderr
    assert urls == expected
    # a word inside another: 汾 without 临汾 keeps only the articles with 汾 elsewhere
    res = search(db, "汾", "-临汾", "--format", "json", "--limit", "1000")
    hits = {json.loads(line)["url"] for line in res.stdout.splitlines()}
    assert hits == containing(db, "汾") - containing(db, "临汾")


def test_search_minus_word_alone_is_a_query_error_not_an_unknown_option(crawled):
    _, db, _ = crawled
    for args in (["-临汾"], ["--", "-临汾"]):
        res = run_linfen("search", "--db", str(db), *args)
        one_line_error(res, "only excludes words")
