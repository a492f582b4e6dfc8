"""The ``linfen`` commands, one module per area; ``cli.py`` names them and loads a module when its command runs.

- ``options``: what every command shares (the one-line error, ``--db``, ``-s``, dates)
- ``profile_arg``: reading a site profile (kept out of ``options``: profiles load lxml, which the analyst
  commands should not pay for at start)
- ``crawl``: ``crawl`` and ``demo``, the only commands that start Scrapy (through ``runner.py``)
- ``distributed``: ``seed``, ``ingest``, ``stop`` (workers are ``linfen crawl --redis URL``)
- ``reextract``: rebuilding articles from the kept raw pages
- ``sites``: ``sites`` and ``check`` (profiles and what they extract)
- ``stats``, ``analyst``: reading the dataset (search, export, dedupe, serve, report); no Scrapy
"""
