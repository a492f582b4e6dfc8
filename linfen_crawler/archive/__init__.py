"""The web archive beside the dataset (issue 19): every fetched article page kept in WARC files.

``data/news.db`` keeps its pages in ``data/news.archive/`` (:func:`archive_dir`): WARC 1.1 files
(ISO 28500) written and read with warcio, so Heritrix-era tools, pywb and ReplayWeb.page open them. The
dataset keeps only pointers (the ``captures`` table: file, offset, length, payload digest per capture).

* :mod:`.warc`: the writer (request, response and revisit records, one gzip member each, files rotating at
  ``LINFEN_ARCHIVE_FILE_BYTES``), the reader of one record at a pointer, and the recovery of a file a
  killed crawl left with a partial last record.
* :mod:`.zstd`: WARC records as zstd frames with a per-site dictionary (the IIPC WARC zstd proposal).
* :mod:`.wacz`: a WACZ package of WARC files, for ReplayWeb.page and sharing (`linfen archive pack`).

The crawl side (what to capture, the pointers) is :mod:`linfen_crawler.raw`; docs/archive.md says why.
"""

from __future__ import annotations

from pathlib import Path

ARCHIVE_SUFFIX = ".archive"


def archive_dir(db_path: str | Path) -> Path:
    """The archive folder of a dataset: ``data/news.db`` -> ``data/news.archive``."""
    db = Path(db_path).absolute()
    return db.with_name(db.stem + ARCHIVE_SUFFIX)
