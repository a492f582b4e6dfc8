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
LINFEN_STORE_WRITER = "auto"  # where batches are written: auto / process / thread / inline (writer.py)
LINFEN_MAX_ARTICLE_PAGES = 30  # pages followed for one multi-page article
LINFEN_MIN_BODY_CHARS = 20  # an article page with less body text (and no image) is rejected
LINFEN_GENERIC_ONLY = False  # ignore profile selectors, use the generic extractor for every field
# site learning during a crawl (issue 13; docs/extraction.md "Site learning"): kept per site in site_state
LINFEN_LEARN = True  # learn each site's templates from its own pages, use them where a page's own evidence fails
LINFEN_LEARN_SAMPLE = 30  # article pages of a site kept (as small samples) to learn from
LINFEN_LEARN_EVERY = 200  # ... learned again about every this many article pages (once the sample is full)

# --- scheduled jobs (issue 4; docs/settings.md, docs/scheduling.md) ---------------------------------
LINFEN_REFRESH = False  # fetch known articles again too (`linfen crawl --refresh`)
LINFEN_SINCE = ""  # YYYY-MM-DD: skip articles published before this day (`--since`)
LINFEN_RECHECK_DAYS = 0  # also re-fetch stored articles published in the last N days (`--recheck N`)
# issue 17: an e-paper's editions from this day (`--from`); empty: since the last stored edition
LINFEN_EDITION_FROM = ""
LINFEN_EDITION_TO = ""  # ... to this day (`--to`); empty: today in the profile's time zone
LINFEN_RAW_PAGES = True  # archive fetched article pages in <db>.archive/ WARC files (`--no-raw` turns it off)
# a WARC file is closed and a new one started past this size (issue 19; 1 GB, as Heritrix and most tools do)
LINFEN_ARCHIVE_FILE_BYTES = 1_000_000_000
# gzip (every WARC tool reads it) or zstd (.warc.zst with a dictionary per site: once a site has one, a third of
# gzip's bytes on the demo; `--archive-compression`, docs/archive.md)
LINFEN_ARCHIVE_COMPRESSION = "gzip"
LINFEN_JOBS_DIR = ""  # root of the per-site Scrapy JOBDIRs; empty: jobs/ beside the dataset
LINFEN_COVERAGE_RUNS = 5  # a field's coverage is compared with its median over this many earlier runs
LINFEN_COVERAGE_MIN_ARTICLES = 5  # ... in runs with at least this many new articles
LINFEN_PROGRESS = "auto"  # live progress line: auto (on a terminal), on, off (plain log lines)
# what the spider asks for each list page's plan (which links are known); distributed mode sets its own
LINFEN_LIST_PLANNER = "linfen_crawler.scheduled.plan.LocalListPlanner"

# --- distributed crawling (issue 7; docs/distributed.md) ---------------------------------------------
LINFEN_REDIS_URL = ""  # redis://host:6379/0: run as a distributed worker (`linfen crawl --redis URL`)
LINFEN_REDIS_PREFIX = "linfen"  # prefix of every Redis key, so deployments can share one Redis
LINFEN_REDIS_IDLE_TIMEOUT = 60.0  # a worker stops after this many seconds without work (0: never)
LINFEN_REDIS_BUSY_TTL = 30  # a worker's heartbeat lifetime: how long a dead worker's run waits for it
LINFEN_REDIS_WORKERS = 1  # workers per site: each one's delay is scaled so the site sees one process's rate

# --- reliability and safety (issue 5; docs/settings.md, docs/reliability.md) -------------------------
LINFEN_RETRY_BACKOFF = 1.0  # seconds before the first retry, doubling for each further one (±25 % jitter)
LINFEN_RETRY_BACKOFF_MAX = 60.0  # ... at most this long
LINFEN_RETRY_AFTER_MAX = 120.0  # a Retry-After longer than this is not waited for: the page fails
LINFEN_ANTIBOT_DELAY = 5.0  # after an anti-bot answer the site's delay is at least this (doubling up to MAX)
LINFEN_ANTIBOT_MAX_DELAY = 60.0  # ... and at most this
LINFEN_ANTIBOT_LIMIT = 5  # this many anti-bot answers among the last 2x this many pages stop the run (0: never)
LINFEN_MAX_DEPTH = 100  # list pages more than this many links from a start URL are not fetched
LINFEN_MAX_REQUESTS = 50_000  # list and article requests per run; beyond, the run ends degraded
LINFEN_MAX_TEXT_CHARS = 500_000  # an article with more text than this is rejected (text_too_long)

# --- politeness ------------------------------------------------------------------------------------
USER_AGENT = f"linfen-crawler/{__version__} (+{LINFEN_CONTACT_URL})"  # rebuilt per crawl from -s LINFEN_CONTACT_URL
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts this many asyncio tasks for every response's output (default 100); our pipelines are
# synchronous, so more than a few only costs task set-up: about a fifth of a bare spider's CPU (issue 8)
CONCURRENT_ITEMS = 8
# Scrapy re-reads and parses a generator callback's source for every response (its cache is keyed by the
# bound method, which each request makes anew): 2 % of a crawl. tests/test_crawl_e2e.py checks ours once.
WARN_ON_GENERATOR_RETURN_VALUE = False
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 3
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"  # issue 14: a page given up on is counted and named; not an error line
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
LOG_LEVEL = "INFO"
COMMANDS_MODULE = "linfen_crawler.scrapy_commands"  # issue 14: `scrapy crawl` exits 1 for a failed/degraded run

DOWNLOADER_MIDDLEWARES = {
    # before HttpProxyMiddleware (750), which reads meta["proxy"]
    "linfen_crawler.middlewares.proxy.ProxyRouteMiddleware": 740,
    # issue 5: guards (linfen_crawler/middlewares/, docs/reliability.md); four replace Scrapy's own
    "linfen_crawler.middlewares.guards.SiteGuardMiddleware": 50,
    "linfen_crawler.middlewares.antibot.ResponseGuardMiddleware": 585,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "linfen_crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "linfen_crawler.middlewares.guards.GuardedMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "linfen_crawler.middlewares.guards.DecompressionGuardMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "linfen_crawler.middlewares.guards.GuardedRedirectMiddleware": 600,
    # issue 4: robots.txt checked for requests that wait for it too (linfen_crawler/middlewares/robots.py)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "linfen_crawler.middlewares.robots.RobotsTxtMiddleware": 100,
}
SPIDER_MIDDLEWARES = {
    "linfen_crawler.middlewares.crawlguard.CrawlGuardSpiderMiddleware": 800,  # issue 5: caps, text cap, parse errors
}
# issue 15: a full disk under the job directory ends the run as failed/disk_full (extensions/jobdir.py)
SCHEDULER = "linfen_crawler.extensions.jobdir.JobdirScheduler"
EXTENSIONS = {
    "scrapy.extensions.spiderstate.SpiderState": None,
    "linfen_crawler.extensions.jobdir.JobdirSpiderState": 0,
    "linfen_crawler.extensions.raw_pages.RawPagesExtension": 500,
    "linfen_crawler.extensions.progress.ProgressExtension": 510,
    "linfen_crawler.extensions.accounting.RunAccounting": 520,  # issue 5: linfen/urls/* outcome counts
}
ADDONS = {
    "linfen_crawler.distributed.worker.DistributedAddon": 0,  # inactive unless LINFEN_REDIS_URL is set
}
ITEM_PIPELINES = {
    "linfen_crawler.pipelines.NormalizePipeline": 100,
    "linfen_crawler.pipelines.ValidatePipeline": 200,
    "linfen_crawler.pipelines.StorePipeline": 900,
}

LOG_FORMATTER = "linfen_crawler.logformatter.LogFormatter"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
REQUEST_FINGERPRINTER_CLASS = "linfen_crawler.fingerprint.CanonicalRequestFingerprinter"  # issue 5
