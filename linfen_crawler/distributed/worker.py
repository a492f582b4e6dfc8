"""A distributed worker's Scrapy components, switched on by :class:`DistributedAddon` (``LINFEN_REDIS_URL``).

The scheduler, the start middleware, the item pipeline and the list-page planner of a crawl whose frontier
is in Redis; see the package's docstring for how they fit together.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.asyncio import sleep

from linfen_crawler.distributed.keys import (
    POLL_SECONDS,
    REDIS_AVAILABLE,
    Keys,
    as_int,
    connect,
    require_redis,
    settings_keys,
    worker_id,
)
from linfen_crawler.items import RUN_META, Article, Reject, Removed
from linfen_crawler.scheduled.plan import CrawlPlan

logger = logging.getLogger(__name__)

# stats that are not counts of work, so they are not summed across workers
_UNSUMMED = ("elapsed_time_seconds", "memusage/", "linfen/run_id", "linfen/status", "linfen/coverage",
             "linfen/new_articles", "start_time", "finish_time", "finish_reason", "log_count/",
             "items_per_minute", "responses_per_minute", "distributed/stopping")

# Pop the best request and mark this worker busy in one step, so that "frontier empty and nobody busy" is
# never seen between the pop and the mark (the writer closes a run on that condition).
_POP_AND_MARK = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
end
return r[1]
"""
_POP_SEEDS_AND_MARK = """
local r = redis.call('LPOP', KEYS[1], ARGV[3])
if r then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2]) end
return r
"""


class DistributedAddon:
    """Switch a crawl into a distributed worker when ``LINFEN_REDIS_URL`` is set (a Scrapy add-on)."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("LINFEN_REDIS_URL")
        if not url:
            return
        require_redis()
        # "spider" priority: above the project's settings.py (which names the local scheduler and
        # pipelines), below -s on the command line
        prio = "spider"
        settings.set("REDIS_URL", url, priority=prio)
        settings.set("SCHEDULER", f"{__name__}.RedisScheduler", priority=prio)
        settings.set("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue", priority=prio)
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority=prio)
        # the writer runs Normalize/Validate/Store; a worker only hands its items over, and keeps no pages
        pipelines = {path: order for path, order in settings.getdict("ITEM_PIPELINES").items()
                     if not str(path).startswith("linfen_crawler.pipelines.")}
        pipelines[f"{__name__}.RedisItemPipeline"] = 900
        settings.set("ITEM_PIPELINES", pipelines, priority=prio)
        settings.set("LINFEN_RAW_PAGES", False, priority=prio)
        # list pages are planned per run, from the plan `linfen seed --db` published in Redis
        settings.set("LINFEN_LIST_PLANNER", f"{__name__}.RunPlans", priority=prio)
        spidermw = settings.getdict("SPIDER_MIDDLEWARES")
        spidermw[f"{__name__}.RedisStartMiddleware"] = 10  # outermost: its start() is what the engine reads
        settings.set("SPIDER_MIDDLEWARES", spidermw, priority=prio)
        # pop only what can be fetched now: fairer sharing, and fewer requests lost if this worker dies
        if (settings.getpriority("CONCURRENT_REQUESTS") or 0) < SETTINGS_PRIORITIES["cmdline"]:
            settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority=prio)
        scale_politeness(settings, settings.getint("LINFEN_REDIS_WORKERS"))


def scale_politeness(settings: BaseSettings, workers: int) -> None:
    """Divide the per-site rate among ``workers`` so the site sees the single-process rate in total.

    Delays apply per worker (scrapy-redis has no shared throttle): N workers fetch N times as fast. Settings
    given on the command line (``-s``) are taken as meant per worker and left alone.
    """
    if workers <= 1:
        return
    cmdline = SETTINGS_PRIORITIES["cmdline"]
    if (settings.getpriority("DOWNLOAD_DELAY") or 0) < cmdline:
        settings.set("DOWNLOAD_DELAY", settings.getfloat("DOWNLOAD_DELAY") * workers, priority="spider")
    if (settings.getpriority("AUTOTHROTTLE_TARGET_CONCURRENCY") or 0) < cmdline:
        settings.set("AUTOTHROTTLE_TARGET_CONCURRENCY",
                     settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") / workers, priority="spider")


def _site(spider: Any) -> str:
    return str(getattr(spider, "site_key", None) or spider.name)


def shared_dupefilter(server: Any, key: str, fingerprinter: Any, *, debug: bool = False) -> Any:
    """scrapy-redis's ``RFPDupeFilter`` on ``key``, fingerprinting with the crawl's own fingerprinter.

    Its built-in fingerprint canonicalises URLs with w3lib only, so links that differ by tracking
    parameters (``?utm_source=…``, ``spm=…``) would count as new in Redis mode; ours
    (``REQUEST_FINGERPRINTER_CLASS``) drops them, and workers must agree with a local crawl.
    """
    from scrapy_redis.dupefilter import RFPDupeFilter

    class CrawlFingerprintDupeFilter(RFPDupeFilter):
        def request_fingerprint(self, request: Request) -> str:
            return str(fingerprinter.fingerprint(request).hex())

    return CrawlFingerprintDupeFilter(server, key=key, debug=debug)


def _scheduler_base() -> type:
    from scrapy_redis.scheduler import Scheduler

    return Scheduler


class RedisScheduler(_scheduler_base() if REDIS_AVAILABLE else object):  # type: ignore[misc]
    """scrapy-redis's Scheduler with per-site keys, without deprecated stats calls, with busy marking.

    The queue (``scrapy_redis.queue.PriorityQueue``) and the fingerprints (``scrapy_redis.dupefilter.
    RFPDupeFilter``) live under ``<prefix>:<site>:requests`` and ``…:dupefilter``; they persist when a
    worker closes (other workers still use them) and are reset by ``linfen seed``. Popping a request and
    marking this worker busy is one atomic step (a Lua script over the same sorted set).
    """

    def __init__(self, crawler: Crawler, server: Any, keys: Keys, busy_ttl: int) -> None:
        s = crawler.settings
        super().__init__(server, persist=True, queue_cls=s.get("SCHEDULER_QUEUE_CLASS"))
        self.crawler = crawler
        self.stats = crawler.stats
        self.keys = keys
        self.busy_ttl = busy_ttl
        self.worker = worker_id()
        self.site = ""
        self._pop = server.register_script(_POP_AND_MARK)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from scrapy_redis.connection import get_redis_from_settings

        server = get_redis_from_settings(crawler.settings)
        server.ping()
        return cls(crawler, server, settings_keys(crawler.settings),
                   max(1, crawler.settings.getint("LINFEN_REDIS_BUSY_TTL")))

    def open(self, spider: Any) -> None:
        self.site = _site(spider)
        self.queue_key = self.keys.requests(self.site)
        self.df = shared_dupefilter(self.server, self.keys.dupefilter(self.site), self.crawler.request_fingerprinter,
                                    debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        super().open(spider)

    def close(self, reason: str) -> None:
        """Keep queue and fingerprints: other workers still use them (``linfen seed`` resets them)."""

    def has_pending_requests(self) -> bool:
        if self.stats.get_value("distributed/stopping"):
            return False  # told to stop: finish what this worker holds, take nothing new
        return len(self.queue) > 0

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            self.stats.inc_value("scheduler/filtered/redis")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        if self.stats.get_value("distributed/stopping"):
            return None
        data = self._pop(keys=[self.queue.key, self.keys.busy(self.site, self.worker)],
                         args=[str(time.time()), self.busy_ttl])
        if not data:
            return None
        self.stats.inc_value("scheduler/dequeued/redis")
        request: Request = self.queue._decode_request(data)
        return request


class RedisStartMiddleware:
    """The worker's start: seeds from Redis, stay up while there is work, stop on request or idle timeout.

    The spider's own start requests (the profile's section pages) are only used as templates: a seed URL
    pushed by ``linfen seed`` becomes the spider's request for that URL, so callbacks and meta are the same
    as in a local crawl. While the worker is busy it keeps a heartbeat key in Redis (TTL
    ``LINFEN_REDIS_BUSY_TTL``); when it falls idle it reports the stats of the work done since its last
    report to the writer.
    """

    def __init__(self, crawler: Crawler, server: Any, keys: Keys, idle_timeout: float, busy_ttl: int) -> None:
        self.crawler = crawler
        self.server = server
        self.keys = keys
        self.idle_timeout = idle_timeout
        self.busy_ttl = busy_ttl
        self.worker = worker_id()
        self.reported: dict[str, float] = {}
        self.stop_mark: int | None = None
        self._pop_seeds = server.register_script(_POP_SEEDS_AND_MARK)
        self.busy = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.get("LINFEN_REDIS_URL"):
            raise NotConfigured("LINFEN_REDIS_URL is empty")
        mw = cls(crawler, connect(s.get("LINFEN_REDIS_URL")), settings_keys(s),
                 s.getfloat("LINFEN_REDIS_IDLE_TIMEOUT"), max(1, s.getint("LINFEN_REDIS_BUSY_TTL")))
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    @property
    def site(self) -> str:
        return _site(self.crawler.spider)

    def run(self) -> int:
        return as_int(self.server.get(self.keys.run(self.site)))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        templates = {}
        async for request in start:
            if isinstance(request, Request):
                templates[request.url] = request
        site = self.site
        self.stop_mark = as_int(self.server.get(self.keys.stop))
        logger.info("worker %s waiting for work on %s (redis prefix %r)", self.worker, site, self.keys.prefix)
        last_work = time.monotonic()
        while True:
            if as_int(self.server.get(self.keys.stop)) != self.stop_mark:
                logger.info("worker %s told to stop: finishing the requests it holds", self.worker)
                self.crawler.stats.set_value("distributed/stopping", 1)
                return
            busy_key = self.keys.busy(site, self.worker)
            seeds = self._pop_seeds(keys=[self.keys.start_urls(site), busy_key],
                                    args=[str(time.time()), self.busy_ttl, 16]) or []
            for raw in seeds:
                data = json.loads(raw)
                url = data["url"]
                template = templates.get(url)
                if template is None:
                    logger.warning("seed %s is not a start URL of %s: ignored", url, site)
                    continue
                self.crawler.stats.inc_value("distributed/seeds")
                yield template.replace(meta={**template.meta, RUN_META: data.get("run") or self.run()})
            local = self._locally_busy()
            queued = self.server.zcard(self.keys.requests(site))
            if seeds or local or queued:
                last_work = time.monotonic()
                self._set_busy(True, busy_key)
                if queued and not local:
                    self._wake_engine()
            else:
                self._set_busy(False, busy_key)
                if self.idle_timeout > 0 and time.monotonic() - last_work >= self.idle_timeout:
                    logger.info("worker %s: no work for %s s, closing", self.worker, self.idle_timeout)
                    return
            await sleep(POLL_SECONDS)

    @staticmethod
    def _pass_run(response: Any, obj: Any) -> Any:
        """What a response yields belongs to the response's run: a request (e.g. the next list page), and
        an item (its ``run`` field), which :class:`RedisItemPipeline` then files under that run even after a new
        one started."""
        run = response.meta.get(RUN_META) if response is not None else None
        if run and isinstance(obj, Request):
            obj.meta.setdefault(RUN_META, run)
        elif run and isinstance(obj, Article | Reject | Removed):
            obj.run = int(run)
        return obj

    def process_spider_output(self, response: Any, result: Iterable[Any]) -> Iterable[Any]:
        for obj in result:
            yield self._pass_run(response, obj)

    async def process_spider_output_async(self, response: Any, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for obj in result:
            yield self._pass_run(response, obj)

    def _locally_busy(self) -> bool:
        engine = self.crawler.engine
        if engine is None:
            return False
        slot = engine.scraper.slot
        return bool(engine.downloader.active) or (slot is not None and not slot.is_idle())

    def _wake_engine(self) -> None:
        # The engine polls the scheduler after each response and on a 5 s heartbeat; an idle worker would
        # otherwise notice requests another worker queued only at the next heartbeat.
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _set_busy(self, busy: bool, key: str) -> None:
        if busy:
            self.server.set(key, str(time.time()), ex=self.busy_ttl)
        elif self.busy:
            self.report(final=False)
            self.server.delete(key)
        self.busy = busy

    def report(self, *, final: bool) -> None:
        """Push the stats of the work since the last report to the writer (before dropping the busy key)."""
        stats = self.crawler.stats.get_stats()
        delta = {}
        for key, value in stats.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or key.startswith(_UNSUMMED):
                continue
            change = value - self.reported.get(key, 0)
            if change:
                delta[key] = change
        self.reported = {k: v for k, v in stats.items() if isinstance(v, int | float)}
        if not delta:
            return
        envelope = {"type": "stats", "site": self.site, "run": self.run(), "worker": self.worker,
                    "final": final, "stats": delta}
        self.server.rpush(self.keys.items, json.dumps(envelope))

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.report(final=True)
        self.server.delete(self.keys.busy(self.site, self.worker))
        stopping = self.crawler.stats.get_value("distributed/stopping")
        status = "interrupted" if stopping or reason in ("shutdown", "cancelled") else (
            "finished" if reason == "finished" else "failed")
        self.crawler.stats.set_value("linfen/status", status)


class RunPlans:
    """A worker's list-page planner (``LINFEN_LIST_PLANNER``, set by :class:`DistributedAddon`): per list page,
    the known links of the page's run, in one round trip.

    ``linfen seed --db`` publishes a run's plan (:func:`~linfen_crawler.distributed.keys.seed`); a run seeded
    without one is a full crawl. The lookup is per request (:data:`~linfen_crawler.items.RUN_META`), never
    cached, so a long-lived worker follows each new run, and it asks Redis only about the page's links
    (``SMISMEMBER``, Redis 6.2+), never loads the set. The verdict is :meth:`CrawlPlan.select`'s, on a plan
    whose ``known`` holds the page's known links. The site is the crawled spider's, found when a page is
    planned (the planner is built while the spider is).
    """

    def __init__(self, server: Any, keys: Keys, crawler: Crawler | None = None, *, site: str | None = None) -> None:
        self.server = server
        self.keys = keys
        self.crawler = crawler
        self._site = site

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.get("LINFEN_REDIS_URL"):
            raise NotConfigured("RunPlans plans the list pages of a distributed worker: LINFEN_REDIS_URL is empty")
        return cls(connect(s.get("LINFEN_REDIS_URL")), settings_keys(s), crawler)

    @property
    def site(self) -> str:
        if self._site is None:
            assert self.crawler is not None and self.crawler.spider is not None  # pages come from a crawl
            self._site = _site(self.crawler.spider)
        return self._site

    def plan(self, base: CrawlPlan, meta: Mapping[str, Any], links: Sequence[str]) -> CrawlPlan:
        """``base`` with the known links among ``links`` and the early stopping of the request's run."""
        run = meta.get(RUN_META)
        if not run or not links:
            return base
        site = self.site
        pipe = self.server.pipeline(transaction=False)  # both commands in one round trip
        pipe.hget(self.keys.run_plan(site, run), "early_stop")
        pipe.smismember(self.keys.known(site, run), list(links))
        try:
            early_stop, found = pipe.execute()
        except require_redis().RedisError as exc:  # this page is crawled in full rather than lost
            logger.warning("no plan for a list page of %s run %s (%s): fetching all its links", site, run, exc)
            return base
        if early_stop is None:  # seeded without --db (or its plan expired): a full crawl
            return base
        known = frozenset(url for url, hit in zip(links, found, strict=True) if hit)
        return replace(base, known=known, early_stop=early_stop == b"1")


class RedisItemPipeline:
    """Hand every Article and Reject to the writer through one Redis list (``<prefix>:items``).

    Items go raw, as the spider made them: the writer normalises and validates them, exactly as the
    pipelines of a local crawl do. Each carries its site, the worker's id and its run: the run of the
    response that yielded it, so items of a run are never filed under the next one a worker started.
    """

    def __init__(self, crawler: Crawler, server: Any, keys: Keys) -> None:
        self.crawler = crawler
        self.server = server
        self.keys = keys
        self.worker = worker_id()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.get("LINFEN_REDIS_URL"):
            raise NotConfigured("LINFEN_REDIS_URL is empty")
        return cls(crawler, connect(s.get("LINFEN_REDIS_URL")), settings_keys(s))

    def _run_of(self, item: Article | Reject, site: str) -> int:
        """The run of the response that yielded ``item`` (:class:`RedisStartMiddleware`); else (an errback's
        reject) the site's current run."""
        return item.run or as_int(self.server.get(self.keys.run(site)))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            kind = "article"
        elif isinstance(item, Reject):
            kind = "reject"
        else:
            return item
        site = _site(self.crawler.spider)
        envelope = {"type": kind, "site": site, "run": self._run_of(item, site), "worker": self.worker,
                    "item": {k: v for k, v in asdict(item).items() if k != "run"}}
        self.server.rpush(self.keys.items, json.dumps(envelope, ensure_ascii=False))
        self.crawler.stats.inc_value(f"distributed/items_pushed/{kind}")
        return item

