"""Scheduled crawl jobs, by concern: :mod:`~linfen_crawler.scheduled.plan` (incremental crawling, list-page
dates, ``--since``, recovery, list planners), :mod:`~linfen_crawler.scheduled.monitor` (transient reasons,
field coverage and its alerts, HTTP errors) and :mod:`~linfen_crawler.scheduled.locks` (per-site locks, Scrapy
job directories). See docs/scheduling.md."""
