"""The "captured page" link beside an article's url (issue 19) appears only in a dataset that has captured
pages: one crawled with `--no-raw` has none, and the link would find nothing. Real Datasette, in-process
(its own ASGI client), on a real dataset."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from linfen_crawler.storage import Dataset

pytest.importorskip("datasette")

URL = "http://www.lfxww.com/a/1.html"


def row_page(db: Path) -> str:
    from datasette.app import Datasette
    from datasette.plugins import pm
    from datasette.utils import tilde_encode

    from linfen_crawler.datasette import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="linfen_crawler")

    async def get() -> str:
        response = await Datasette([str(db)]).client.get(f"/{db.stem}/articles/{tilde_encode(URL)}")
        assert response.status_code == 200
        return str(response.text)

    return asyncio.run(get())


def test_the_link_appears_once_the_dataset_has_captured_pages(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    with Dataset(db) as ds:
        ds.upsert_articles([{"url": URL, "site": "lfxww", "title": "临汾新闻", "body": "正文。"}], 1)
    assert URL in row_page(db) and "linfen-capture" not in row_page(db)  # as after `--no-raw`
    with Dataset(db) as ds:
        ds.add_captures([{"url": URL, "article_url": URL, "page": 1, "site": "lfxww", "fetched_at": "t",
                          "status": 200, "record": "response", "digest": "d", "size": 1,
                          "warc_file": "f.warc.gz", "warc_offset": 0, "warc_length": 1}])
    assert 'class="linfen-capture"' in row_page(db)
