"""Issue 17: e-paper columns on `articles` (migration 11), kept on update, and the edition/page filters."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import old_dataset, rows

from linfen_crawler.storage import EDITION_COLUMNS, SCHEMA_VERSION, Dataset, EditionFilter


def test_migration_adds_nullable_edition_columns_to_an_older_dataset(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = old_dataset(db, 9)  # the schema before issue 17, with a portal article stored by that release
    conn.execute("INSERT INTO articles (url, site, title, body, content_hash) VALUES "
                 "('http://www.lfxww.com/linfen/1.html', 'lfxww', '标题', '正文', 'h')")
    conn.execute("PRAGMA user_version = 9")
    conn.commit()
    conn.close()
    with Dataset(db) as ds:
        assert ds.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 11
        assert ds.edition_restart("lfxww") is None
    (row,) = rows(db, "SELECT * FROM articles")
    assert row["title"] == "标题" and all(row[c] is None for c in EDITION_COLUMNS)  # portal rows keep NULL
    indexes = {r["name"] for r in rows(db, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "articles_site_edition" in indexes


def _paper(url: str, day: str, page_no: str, page_name: str, **extra: object) -> dict[str, object]:
    return {"url": url, "site": "lfrb", "title": f"标题{url[-1]}", "body": "正文" * 20, "edition_date": day,
            "page_no": page_no, "page_name": page_name, "kicker": "引题", "subtitle": None,
            "position": {"shape": "rect", "coords": [1, 2, 3, 4]}, **extra}


def test_edition_fields_are_stored_kept_on_update_and_filtered(tmp_path: Path) -> None:
    with Dataset(tmp_path / "d.db") as ds:
        ds.upsert_articles([_paper("http://e/1", "2024-01-10", "A01", "要闻"),
                            _paper("http://e/2", "2024-01-11", "A02", "时政"),
                            {"url": "http://p/3", "site": "lfxww", "title": "门户", "body": "正文" * 20}], 1)
        # a changed body read again without its page (`linfen reextract`): the edition fields stay
        ds.upsert_articles([{"url": "http://e/1", "site": "lfrb", "title": "标题1", "body": "新的正文" * 20}], 2,
                           compare_fields=True)
        assert ds.edition_restart("lfrb") == (  # no crawl run recorded: from the oldest stored edition
            "2024-01-10", "no run has finished its range yet: from the oldest stored edition")
        first = next(ds.iter_articles(columns=("url", *EDITION_COLUMNS, "body"),
                                      edition=EditionFilter(first="2024-01-10", last="2024-01-10")))
        assert first["body"].startswith("新的正文") and first["page_name"] == "要闻"
        assert first["position"] == {"shape": "rect", "coords": [1, 2, 3, 4]}
        by_page = [r["url"] for r in ds.iter_articles(columns=("url",), edition=EditionFilter(page="A02"))]
        by_name = [r["url"] for r in ds.iter_articles(columns=("url",), edition=EditionFilter(page="时政"))]
        assert by_page == by_name == ["http://e/2"]
        for page in ("A2", "a02", "A002"):  # the page as the issue writes it (A3), whatever the paper prints
            assert [r["url"] for r in ds.iter_articles(columns=("url",), edition=EditionFilter(page=page))] == [
                "http://e/2"], page
        assert ds.count_articles(edition=EditionFilter(first="2024-01-01")) == 2  # the portal row has no edition
        assert ds.count_articles() == 3
    stored = rows(tmp_path / "d.db", "SELECT position FROM articles WHERE url = 'http://e/2'")
    assert json.loads(stored[0]["position"])["coords"] == [1, 2, 3, 4]
