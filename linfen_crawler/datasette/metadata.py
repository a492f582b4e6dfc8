"""Datasette metadata for a linfen dataset: descriptions in Chinese and English, facets, search, queries.

``build_metadata(name)`` returns the JSON Datasette reads with ``--metadata`` for the database called
``name`` (the file's stem: data/demo.db → demo). The canned queries' SQL lives in storage.py
(``ANALYST_QUERIES``), so it is the same SQL the docs show for sqlite3.
"""

from __future__ import annotations

from typing import Any

from linfen_crawler.storage import ANALYST_QUERIES

ARTICLE_COLUMN_DOCS = {
    "url": "文章网址（分页文章的第一页）。Canonical URL of the article's first page.",
    "site": "网站代码，如 lfxww。Site profile key, e.g. lfxww.",
    "site_name": "网站名称，如 临汾新闻网。Site name.",
    "section": "栏目，如 时政。Channel or section, e.g. 时政.",
    "title": "标题。Headline as shown in the article heading.",
    "published_at": "发布时间（+08:00）；只有日期时为 YYYY-MM-DD。Publish time with offset, or a date only.",
    "published_text": "页面上显示的原始日期文字。The date exactly as shown on the page.",
    "source": "来源（稿源、出处、转自）。The outlet credited as origin (来源).",
    "authors": "作者、记者、通讯员、摄影（JSON 数组）。Writers and photographers, JSON array.",
    "editors": "责任编辑、编辑、校对、审核（JSON 数组）。Editorial staff, JSON array.",
    "body": "正文，段落以换行分隔。Body text, paragraphs separated by newlines.",
    "images": "图片及说明（JSON 数组）。Images with captions, JSON array of {url, caption}.",
    "content_hash": "标题和正文的哈希，用于发现改动。Hash of title and body, to detect changes.",
    "first_seen_at": "首次抓取时间（UTC）。When the crawler first stored the article (UTC).",
    "crawled_at": "最近抓取时间（UTC）。When the crawler last fetched it (UTC).",
    "run_id": "最近写入该行的抓取批次，见 crawl_runs。The crawl run that last wrote the row.",
    "extractor": "各字段来自站点配置还是通用抽取器。Which fields came from the profile, which from the "
                 "generic extractor.",
    "duplicate_of": "若为转载副本，指向最早一篇的网址；原稿为空。For a syndicated copy, the url of the "
                    "earliest copy; empty for originals.",
    "day": "发布日期 YYYY-MM-DD（由 published_at 生成）。Publish day, derived from published_at.",
}

# issue 17: the e-paper columns, described and faceted only in a dataset holding e-paper articles (portal-only
# datasets look as before)
EDITION_COLUMN_DOCS = {
    "edition_date": "数字报的出版日期（期）。E-paper edition date (YYYY-MM-DD); empty for portal articles.",
    "page_no": "版次，如 A03。Page number in the edition, e.g. A03.",
    "page_name": "版名，如 要闻。Page name, e.g. 要闻.",
    "kicker": "引题（标题上方的引导性标题）。Kicker above the headline.",
    "subtitle": "副题。Subtitle below the headline.",
    "position": "在版面图上的位置（JSON：shape、coords）。Place on the page image, JSON {shape, coords}.",
}
EDITION_FACETS = ["edition_date", "page_name"]

RUN_COLUMN_DOCS = {
    "id": "批次编号。Run id.",
    "site": "网站代码。Site profile key.",
    "started_at": "开始时间（UTC）。Start time (UTC).",
    "finished_at": "结束时间（UTC）。End time (UTC).",
    "status": "状态：running / finished / degraded / interrupted / failed。Run status.",
    "pages": "下载的页面数。Pages downloaded.",
    "articles_new": "新文章数。New articles.",
    "articles_updated": "更新的文章数。Articles whose text changed.",
    "rejects": "被拒页面数。Rejected pages.",
    "errors": "错误数。Errors.",
    "stats": "Scrapy 统计（JSON）。Scrapy stats, JSON.",
}

REJECT_COLUMN_DOCS = {
    "run_id": "抓取批次。Crawl run.",
    "url": "被拒页面。Rejected page.",
    "reason": "原因代码，如 no_title、no_body。Reason code.",
    "detail": "细节，如页面标题。Detail, e.g. the page title.",
    "seen_at": "时间（UTC）。When (UTC).",
}


# Datasette settings for `linfen serve` (`--setting NAME VALUE`).
SETTINGS = {
    # issue 15: every query run for a page, the search box (?_search=), a canned query or the SQL box stops
    # after this long with Datasette's "interrupted" answer, so one huge query cannot tie the server up
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 1000,
    # issue 14: table views cut text cells (body, images) after this many characters; the row page shows all
    "truncate_cells_html": 100,
}


def build_metadata(database: str, editions: bool = False) -> dict[str, Any]:
    """Datasette metadata for the dataset served under the name ``database``; ``editions``: it holds e-paper
    articles, whose edition and page columns are described and faceted too."""
    queries = {
        name: {"title": title, "description": description, "sql": sql}
        for name, (title, description, sql) in ANALYST_QUERIES.items()
    }
    return {
        "title": "linfen-crawler 地方新闻数据集 Local news dataset",
        "description": "临汾新闻网等地方新闻网站的文章。搜索框支持任意长度的中文词（如 临汾）。"
                       "Articles from Chinese local news portals; the search box finds Chinese words of any "
                       "length (e.g. 临汾).",
        "about": "linfen-crawler",
        "databases": {
            database: {
                "description": "文章、抓取批次和被拒页面。Articles, crawl runs and rejected pages.",
                "tables": {
                    "articles": {
                        "description": "每篇文章一行（按网址去重）；转载副本的 duplicate_of 指向最早一篇。"
                                       "One row per article (by url); syndicated copies point duplicate_of "
                                       "at the earliest copy.",
                        "columns": {**ARTICLE_COLUMN_DOCS, **(EDITION_COLUMN_DOCS if editions else {})},
                        "facets": ["site", *(EDITION_FACETS if editions else ()), "section", "source",
                                   {"month": "day"}, {"array": "authors"}],
                        "fts_table": "articles_fts",
                        "fts_pk": "rowid",
                        "sort_desc": "published_at",
                        "label_column": "title",
                    },
                    "crawl_runs": {"description": "每次抓取一行。One row per crawl run.",
                                   "columns": RUN_COLUMN_DOCS, "sort_desc": "id", "facets": ["site", "status"]},
                    "rejects": {"description": "未存为文章的页面及原因。Pages not stored as articles, "
                                               "with the reason.",
                                "columns": REJECT_COLUMN_DOCS, "facets": ["reason"]},
                    "article_versions": {"description": "文章被改动前的旧版本。Earlier versions of articles "
                                                        "whose text changed."},
                    "captures": {"description": "网页存档的指针：每次抓取一行（文件、偏移、摘要）；文章页的"
                                                "「captured page 存档」链接显示存档页面。Pointers into the web "
                                                "archive, one row per fetch; an article url's \"captured page\" "
                                                "link shows the page, sandboxed.",
                                 "sort_desc": "id", "facets": ["site", "record", "status"]},
                    # internal: the search indexes, dedupe's LSH keys, the stored raw pages (the largest table,
                    # listed first on the home page when visible)
                    "articles_fts": {"hidden": True},
                    "articles_title_fts": {"hidden": True},
                    "article_lsh": {"hidden": True},
                    "article_lsh_recent": {"hidden": True},
                    "article_lsh_filter": {"hidden": True},
                    "article_sketch": {"hidden": True},
                    "raw_pages": {"hidden": True},
                },
                "queries": queries,
            }
        },
    }
