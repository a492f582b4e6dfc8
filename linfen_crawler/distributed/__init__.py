"""Distributed crawling on scrapy-redis: N workers share one frontier in Redis, one writer owns SQLite.

Turned on by the ``LINFEN_REDIS_URL`` setting (``linfen crawl SITE --redis URL``). The package has one module
per side of a deployment (imports point from the worker and the writer down to the keys):

* :mod:`~linfen_crawler.distributed.keys`: the Redis key layout (:class:`~.keys.Keys`), :func:`~.keys.connect`,
  and the control plane of ``linfen seed`` / ``linfen stop``: runs, their published plans, the frontier.
* :mod:`~linfen_crawler.distributed.worker`: the Scrapy components of a worker, switched on by
  :class:`~.worker.DistributedAddon`:

  - :class:`~.worker.RedisScheduler` (scrapy-redis's Scheduler, with its priority queue and ``RFPDupeFilter``)
    keeps every list and article request of a site, and the fingerprints of the run, in Redis, so any number
    of worker processes on any number of hosts share one frontier and no URL is fetched twice in a run.
  - :class:`~.worker.RedisStartMiddleware` replaces the spider's start with a loop that takes the seeds pushed
    by ``linfen seed`` from Redis, keeps the worker alive while there is work anywhere, and ends it on
    ``linfen stop`` or after ``LINFEN_REDIS_IDLE_TIMEOUT`` seconds without work; it files every item under
    the run of the response that yielded it (``Article.run``).
  - :class:`~.worker.RedisItemPipeline` pushes the raw items to one Redis list instead of writing SQLite.
  - :class:`~.worker.RunPlans`, the spider's list-page planner in this mode (``LINFEN_LIST_PLANNER``), makes a
    run incremental when ``linfen seed --db`` published its plan: the known URLs of the run in a Redis set,
    asked about once per list page, and the same verdict as a local crawl (``CrawlPlan.select``).

* :mod:`~linfen_crawler.distributed.ingest`: ``linfen ingest`` (:class:`~.ingest.Ingester`) is the single
  writer: it moves a batch of items to its own processing list, makes records of them with the same pure
  functions as a local crawl's pipelines (:mod:`linfen_crawler.records`), commits, and only then deletes that
  list, and keeps one ``crawl_runs`` row per seeded run.

Why not scrapy-redis's ``RedisSpider`` and ``RedisPipeline``: ``RedisSpider`` feeds itself through
``start_requests()``, which Scrapy 2.16 removed, so on current Scrapy it only starts on the first
``spider_idle`` poll; and both call APIs with the ``spider`` argument Scrapy deprecated (stats, pipelines).
The scheduler queue and the dupefilter are used as they are.

This module documents the package only; import from its modules.
"""
