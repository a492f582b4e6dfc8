"""Scrapy settings for linfen-crawler.

Polite defaults for live portals. Every ``LINFEN_*`` setting is documented in ``docs/settings.md``; a test
keeps that page and this module in step.
"""

from linfen_crawler import __version__

BOT_NAME = "linfen_crawler"
SPIDER_MODULES = ["linfen_crawler.spiders"]
NEWSPIDER_MODULE = "linfen_crawler.spiders"

# --- our settings -----------------------------------------------------------------------------------
LINFEN_DB = "data/news.db"  # dataset path; `--db` and the LINFEN_DB environment variable override it
LINFEN_CONTACT_URL = "https://github.com/linfen-crawler/linfen-crawler"  # named in the User-Agent
LINFEN_PROXY = ""  # send every request through this HTTP proxy (the demo portal uses it); empty: direct
LINFEN_STORE_BATCH_SIZE = 200  # articles per write transaction
LINFEN_STORE_FLUSH_SECONDS = 2.0  # ... or at least this often
LINFEN_MAX_ARTICLE_PAGES = 30  # pages followed for one multi-page article
LINFEN_MIN_BODY_CHARS = 20  # an article page with less body text (and no image) is rejected
LINFEN_GENERIC_ONLY = False  # ignore profile selectors, use the generic extractor for every field

# --- politeness ------------------------------------------------------------------------------------
USER_AGENT = f"linfen-crawler/{__version__} (+{LINFEN_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 3
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    # before HttpProxyMiddleware (750), which reads meta["proxy"]
    "linfen_crawler.middlewares.ProxyRouteMiddleware": 740,
}
ITEM_PIPELINES = {
    "linfen_crawler.pipelines.NormalizePipeline": 100,
    "linfen_crawler.pipelines.ValidatePipeline": 200,
    "linfen_crawler.pipelines.StorePipeline": 900,
}

LOG_FORMATTER = "linfen_crawler.logformatter.LogFormatter"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
