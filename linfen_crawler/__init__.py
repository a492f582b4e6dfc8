"""linfen-crawler: crawl Chinese local news portals into a clean SQLite dataset."""

__version__ = "0.1.0"
