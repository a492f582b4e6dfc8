"""Scrapy extensions, one per module: :mod:`~linfen_crawler.extensions.accounting` (``linfen/urls/*``: what
became of every fetched article URL), :mod:`~linfen_crawler.extensions.progress` (the live progress line) and
:mod:`~linfen_crawler.extensions.raw_pages` (fetched article pages kept in ``raw_pages``)."""
