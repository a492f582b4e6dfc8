"""Distributed crawling on scrapy-redis: N workers share one frontier in Redis, one writer owns SQLite.

Turned on by the ``LINFEN_REDIS_URL`` setting (``linfen crawl SITE --redis URL``). :class:`DistributedAddon`
then switches a crawl into a *worker*:

* :class:`RedisScheduler` (scrapy-redis's Scheduler, with its priority queue and ``RFPDupeFilter``) keeps
  every list and article request of a site, and the fingerprints of the run, in Redis, so any number of
  worker processes on any number of hosts share one frontier and no URL is fetched twice in a run.
* :class:`RedisStartMiddleware` replaces the spider's start with a loop that takes the seeds pushed by
  ``linfen seed`` from Redis, keeps the worker alive while there is work anywhere, and ends it on
  ``linfen stop`` or after ``LINFEN_REDIS_IDLE_TIMEOUT`` seconds without work.
* :class:`RedisItemPipeline` pushes the raw items to one Redis list instead of writing SQLite.
* :class:`RunPlans` makes a run incremental when ``linfen seed --db`` published its plan: the known URLs
  of the run in a Redis set, asked about once per list page, and the same verdict as a local crawl
  (:meth:`~linfen_crawler.scheduled.plan.CrawlPlan.select`).

``linfen ingest`` (:class:`Ingester`) is the single writer: it moves a batch of items to its own processing
list, runs them through the same Normalize → Validate → Store code as a local crawl, commits, and only then
deletes that list, and keeps one ``crawl_runs`` row per seeded run.

Why not scrapy-redis's ``RedisSpider`` and ``RedisPipeline``: ``RedisSpider`` feeds itself through
``start_requests()``, which Scrapy 2.16 removed, so on current Scrapy it only starts on the first
``spider_idle`` poll; and both call APIs with the ``spider`` argument Scrapy deprecated (stats, pipelines).
The scheduler queue and the dupefilter are used as they are.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.asyncio import sleep

from linfen_crawler.items import RUN_META, Article, Reject
from linfen_crawler.pipelines import NormalizePipeline, ValidatePipeline
from linfen_crawler.records import run_status
from linfen_crawler.scheduled.plan import CrawlPlan

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
PLAN_TTL = 7 * 24 * 3600  # a run's published plan expires after a week if no writer closes the run before
SUPERSEDED_PLAN_TTL = 3600  # ... and an hour after a run closed because a new one was seeded (--restart)
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
# Fill the writer's processing list (KEYS[2]) up to ARGV[1] items from the head of the queue (KEYS[1]) and
# return all of it, in one step. Returning the whole list, not just what moved, means the writer commits
# everything that is in it (even an item moved by a command whose reply was lost), so deleting the list
# after the commit can never drop an item that was not written. LPOP with a count needs Redis 6.2, like
# LMOVE; RPUSH goes in chunks because Lua's unpack() has a stack limit.
_TAKE = """
local n = tonumber(ARGV[1]) - redis.call('LLEN', KEYS[2])
if n > 0 then
  local r = redis.call('LPOP', KEYS[1], n)
  if r then
    for i = 1, #r, 1000 do
      redis.call('RPUSH', KEYS[2], unpack(r, i, math.min(i + 999, #r)))
    end
  end
end
return redis.call('LRANGE', KEYS[2], 0, -1)
"""
# Put a processing list back at the head of the queue, in its order, and drop it, in one step.
_REQUEUE = """
local r = redis.call('LRANGE', KEYS[1], 0, -1)
for i = #r, 1, -1 do
  redis.call('LPUSH', KEYS[2], r[i])
end
redis.call('DEL', KEYS[1])
return #r
"""


class DistributedError(RuntimeError):
    """Distributed mode cannot work as configured; the message says what to do."""


try:
    import scrapy_redis  # noqa: F401

    _REDIS_AVAILABLE = True
except ImportError:  # the [distributed] extra is not installed: every entry point says so
    _REDIS_AVAILABLE = False


def _require_redis() -> Any:
    try:
        import redis
        import scrapy_redis  # noqa: F401
    except ImportError:
        raise DistributedError(
            "distributed mode needs scrapy-redis and redis: pip install 'linfen-crawler[distributed]'") from None
    return redis


def connect(url: str) -> Any:
    """A Redis client for ``url`` that answers, or :class:`DistributedError` naming the URL."""
    redis = _require_redis()
    client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30, retry_on_timeout=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise DistributedError(f"cannot reach Redis at {url}: {exc}") from None
    return client


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one deployment (``LINFEN_REDIS_PREFIX``)."""

    prefix: str = "linfen"

    def start_urls(self, site: str) -> str:
        return f"{self.prefix}:{site}:start_urls"

    def requests(self, site: str) -> str:
        return f"{self.prefix}:{site}:requests"

    def dupefilter(self, site: str) -> str:
        return f"{self.prefix}:{site}:dupefilter"

    def run(self, site: str) -> str:
        return f"{self.prefix}:{site}:run"

    def busy(self, site: str, worker: str) -> str:
        return f"{self.prefix}:{site}:busy:{worker}"

    def run_info(self, site: str, run: int) -> str:
        return f"{self.prefix}:{site}:run:{run}"

    def run_plan(self, site: str, run: int) -> str:
        """Hash of an incremental run's plan (``early_stop``, ``known``: how many), set by ``seed --db``."""
        return f"{self.prefix}:{site}:run:{run}:plan"

    def known(self, site: str, run: int) -> str:
        """Set of the URLs an incremental run does not fetch (its plan's known pages)."""
        return f"{self.prefix}:{site}:run:{run}:known"

    @property
    def items(self) -> str:
        return f"{self.prefix}:items"

    @property
    def processing(self) -> str:
        """Base of the writers' processing lists; also the one shared list of earlier versions."""
        return f"{self.prefix}:items:processing"

    def processing_of(self, writer: str) -> str:
        """The processing list of one writer: the batch it is committing, nothing else."""
        return f"{self.processing}:{writer}"

    @property
    def processing_pattern(self) -> str:
        """SCAN pattern matching every writer's processing list (the prefix's glob characters escaped)."""
        return "".join("\\" + c if c in "*?[]\\" else c for c in self.processing) + "*"

    @property
    def open_runs(self) -> str:
        return f"{self.prefix}:open_runs"

    @property
    def stop(self) -> str:
        return f"{self.prefix}:stop"

    @property
    def writer_lock(self) -> str:
        return f"{self.prefix}:writer"


def _int(value: Any, default: int = 0) -> int:
    return int(value) if value is not None else default


# -- control: seed, stop, status ------------------------------------------------------------------------
@dataclass
class Frontier:
    seeds: int
    requests: int
    busy_workers: int
    run: int

    @property
    def active(self) -> bool:
        return bool(self.seeds or self.requests or self.busy_workers)


def frontier(client: Any, keys: Keys, site: str) -> Frontier:
    busy = sum(1 for _ in client.scan_iter(match=keys.busy(site, "*"), count=100))
    return Frontier(seeds=client.llen(keys.start_urls(site)), requests=client.zcard(keys.requests(site)),
                    busy_workers=busy, run=_int(client.get(keys.run(site))))


def seed(client: Any, keys: Keys, site: str, start_urls: Iterable[str], *, restart: bool = False,
         plan: CrawlPlan | None = None) -> int:
    """Start a new run of ``site``: fresh fingerprints, the start URLs queued. Returns the run number.

    Refuses (``DistributedError``) while the site's previous run still has work, unless ``restart``: then
    the old run's queue is dropped; the workers' in-flight pages, and what they lead to, stay the old run's.

    ``plan`` (``CrawlPlan.load`` on the dataset) makes the run incremental: its known URLs become the set
    :meth:`Keys.known` and its ``early_stop`` the hash :meth:`Keys.run_plan`, both for this run only,
    deleted by the writer when it closes the run (else they expire after :data:`PLAN_TTL`). The set is
    filled under a temporary name first and renamed in the transaction that queues the seeds, so workers
    never see a run without its whole plan. Without a plan the run is a full crawl.
    """
    state = frontier(client, keys, site)
    if state.active and not restart:
        raise DistributedError(
            f"{site} run {state.run} is in progress ({state.seeds + state.requests} requests queued, "
            f"{state.busy_workers} workers busy); wait for it, or seed with --restart to start over")
    urls = list(start_urls)
    staging = None
    if plan is not None and plan.known:
        staging = f"{keys.prefix}:{site}:known:staging:{uuid.uuid4().hex}"
        known = sorted(plan.known)
        pipe = client.pipeline(transaction=False)
        for i in range(0, len(known), 10_000):
            pipe.sadd(staging, *known[i:i + 10_000])
        pipe.expire(staging, 3600)
        pipe.execute()

    def start(pipe: Any) -> int:  # under WATCH of the run counter: retried if another seed got there first
        run = _int(pipe.get(keys.run(site))) + 1
        if staging and not pipe.exists(staging):  # expired or evicted: refuse before anything is changed
            raise DistributedError(f"{site}: the run's known-URL set vanished from Redis before the seed "
                                   "(expired or evicted); seed again")
        pipe.multi()
        pipe.delete(keys.dupefilter(site), keys.requests(site), keys.start_urls(site), keys.run_plan(site, run),
                    keys.known(site, run))
        pipe.set(keys.run(site), run)
        if plan is not None:
            pipe.hset(keys.run_plan(site, run), mapping={"early_stop": int(plan.early_stop),
                                                         "known": len(plan.known)})
            pipe.expire(keys.run_plan(site, run), PLAN_TTL)
            if staging:
                pipe.rename(staging, keys.known(site, run))
                pipe.expire(keys.known(site, run), PLAN_TTL)
        pipe.rpush(keys.start_urls(site), *[json.dumps({"url": u, "run": run}) for u in urls])
        return run

    return int(client.transaction(start, keys.run(site), value_from_callable=True))


def request_stop(client: Any, keys: Keys) -> int:
    """Tell every running worker and writer to stop (they finish what they hold); returns the stop number."""
    return int(client.incr(keys.stop))


# -- worker side ---------------------------------------------------------------------------------------
class DistributedAddon:
    """Switch a crawl into a distributed worker when ``LINFEN_REDIS_URL`` is set (a Scrapy add-on)."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("LINFEN_REDIS_URL")
        if not url:
            return
        _require_redis()
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
        spidermw = settings.getdict("SPIDER_MIDDLEWARES")
        spidermw[f"{__name__}.RedisStartMiddleware"] = 10  # outermost: its start() is what the engine reads
        settings.set("SPIDER_MIDDLEWARES", spidermw, priority=prio)
        # pop only what can be fetched now: fairer sharing, and fewer requests lost if this worker dies
        if (settings.getpriority("CONCURRENT_REQUESTS") or 0) < SETTINGS_PRIORITIES["cmdline"]:
            settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority=prio)
        scale_politeness(settings, settings.getint("LINFEN_REDIS_WORKERS", 1))


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
                     settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY", 1.0) / workers, priority="spider")


def _site(spider: Any) -> str:
    return str(getattr(spider, "site_key", None) or spider.name)


def _settings_keys(settings: BaseSettings) -> Keys:
    return Keys(settings.get("LINFEN_REDIS_PREFIX") or "linfen")


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


class RedisScheduler(_scheduler_base() if _REDIS_AVAILABLE else object):  # type: ignore[misc]
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
        return cls(crawler, server, _settings_keys(crawler.settings),
                   max(1, crawler.settings.getint("LINFEN_REDIS_BUSY_TTL", 30)))

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
        mw = cls(crawler, connect(s.get("LINFEN_REDIS_URL")), _settings_keys(s),
                 s.getfloat("LINFEN_REDIS_IDLE_TIMEOUT", 60.0), max(1, s.getint("LINFEN_REDIS_BUSY_TTL", 30)))
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    @property
    def site(self) -> str:
        return _site(self.crawler.spider)

    def run(self) -> int:
        return _int(self.server.get(self.keys.run(self.site)))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        templates = {}
        async for request in start:
            if isinstance(request, Request):
                templates[request.url] = request
        site = self.site
        self.stop_mark = _int(self.server.get(self.keys.stop))
        logger.info("worker %s waiting for work on %s (redis prefix %r)", self.worker, site, self.keys.prefix)
        last_work = time.monotonic()
        while True:
            if _int(self.server.get(self.keys.stop)) != self.stop_mark:
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
        an item, which :class:`RedisItemPipeline` then files under that run even after a new one started."""
        run = response.meta.get(RUN_META) if response is not None else None
        if run and isinstance(obj, Request):
            obj.meta.setdefault(RUN_META, run)
        elif run and isinstance(obj, Article | Reject):
            setattr(obj, RUN_META, run)
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
    """A worker's incremental plans: per list page, the known links of the page's run, in one round trip.

    ``linfen seed --db`` publishes a run's plan (:func:`seed`); a run seeded without one is a full crawl.
    The lookup is per request (:data:`RUN_META`), never cached, so a long-lived worker follows each new
    run, and it asks Redis only about the page's links (``SMISMEMBER``, Redis 6.2+), never loads the set.
    The verdict is :meth:`CrawlPlan.select`'s, on a plan whose ``known`` holds the page's known links.
    """

    def __init__(self, server: Any, keys: Keys, site: str) -> None:
        self.server = server
        self.keys = keys
        self.site = site

    @classmethod
    def from_crawler(cls, crawler: Crawler, site: str) -> Self:
        s = crawler.settings
        return cls(connect(s.get("LINFEN_REDIS_URL")), _settings_keys(s), site)

    def plan(self, base: CrawlPlan, meta: Mapping[str, Any], links: Sequence[str]) -> CrawlPlan:
        """``base`` with the known links among ``links`` and the early stopping of the request's run."""
        run = meta.get(RUN_META)
        if not run or not links:
            return base
        pipe = self.server.pipeline(transaction=False)  # both commands in one round trip
        pipe.hget(self.keys.run_plan(self.site, run), "early_stop")
        pipe.smismember(self.keys.known(self.site, run), list(links))
        try:
            early_stop, found = pipe.execute()
        except _require_redis().RedisError as exc:  # this page is crawled in full rather than lost
            logger.warning("no plan for a list page of %s run %s (%s): fetching all its links", self.site, run, exc)
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
        return cls(crawler, connect(s.get("LINFEN_REDIS_URL")), _settings_keys(s))

    def _run_of(self, item: Any, site: str) -> int:
        """The run of the response that yielded ``item`` (:class:`RedisStartMiddleware`); else (an errback's
        reject) the site's current run."""
        return int(getattr(item, RUN_META, 0)) or _int(self.server.get(self.keys.run(site)))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            kind = "article"
        elif isinstance(item, Reject):
            kind = "reject"
        else:
            return item
        site = _site(self.crawler.spider)
        envelope = {"type": kind, "site": site, "run": self._run_of(item, site), "worker": self.worker,
                    "item": asdict(item)}
        self.server.rpush(self.keys.items, json.dumps(envelope, ensure_ascii=False))
        self.crawler.stats.inc_value(f"distributed/items_pushed/{kind}")
        return item


# -- writer side ---------------------------------------------------------------------------------------
def article_from_dict(data: dict[str, Any]) -> Article:
    names = {f.name for f in fields(Article)}
    return Article(**{k: v for k, v in data.items() if k in names})


def reject_from_dict(data: dict[str, Any]) -> Reject:
    return Reject(data["url"], data["reason"], data.get("detail"))


@dataclass
class Batch:
    """One batch of envelopes decoded and validated, grouped by run: what one commit writes."""

    articles: dict[tuple[str, int], list[dict[str, Any]]]
    rejects: dict[tuple[str, int], list[tuple[str, str, str | None]]]
    stats: dict[tuple[str, int], dict[str, float]]
    workers: dict[tuple[str, int], dict[str, str]]


def prepare(envelopes: Iterable[dict[str, Any]], min_body_chars: int) -> Batch:
    """Normalize and validate a batch of worker envelopes (pure: the local crawl's pipeline code)."""
    normalize, validate = NormalizePipeline(), ValidatePipeline(min_body_chars)
    batch = Batch({}, {}, {}, {})
    for env in envelopes:
        run = (str(env["site"]), int(env["run"]))
        stats = batch.stats.setdefault(run, {})
        workers = batch.workers.setdefault(run, {})
        if env["type"] == "stats":
            for key, value in env["stats"].items():
                stats[key] = stats.get(key, 0) + value
            pages = f"distributed/pages/{env['worker']}"
            stats[pages] = stats.get(pages, 0) + env["stats"].get("downloader/response_count", 0)
            workers[env["worker"]] = "reported"
            continue
        workers[env["worker"]] = "active"
        if env["type"] == "reject":
            rej = reject_from_dict(env["item"])
            batch.rejects.setdefault(run, []).append((rej.url, rej.reason, rej.detail))
            continue
        art = normalize.process_item(article_from_dict(env["item"]))
        try:
            validate.process_item(art)
        except DropItem as exc:
            reason = str(exc) or "DropItem"
            batch.rejects.setdefault(run, []).append((art.url, reason, art.title))
            stats[f"linfen/rejects/{reason}"] = stats.get(f"linfen/rejects/{reason}", 0) + 1
            continue
        batch.articles.setdefault(run, []).append({k: v for k, v in art.__dict__.items() if k != "not_article"})
    return batch


class WriterBusy(DistributedError):
    """Another writer holds the lock."""


class Ingester:
    """The single writer: drains ``<prefix>:items`` into the dataset and keeps the runs' records.

    Reliable queue: a batch is moved from the head of ``<prefix>:items`` to this writer's own list
    ``<prefix>:items:processing:<writer>:<token>`` (one Lua step; on an empty queue a blocking ``BLMOVE``
    waits for the first item), written in SQLite transactions, and acknowledged only after they commit, by deleting
    that list in the transaction that also records the batch's counts: one ``DEL`` per batch, no item sent
    back to Redis. The list holds exactly the batch in flight, so deleting it removes nothing else. A
    writer that starts puts every processing list it finds (``SCAN``: dead writers', and the shared
    ``<prefix>:items:processing`` of earlier versions) back at the head of the queue first. Delivery is
    therefore at least once: an item whose commit succeeded just before a crash is written again (an
    unchanged upsert, a second reject row).
    """

    def __init__(self, client: Any, keys: Keys, db_path: str, *, batch_size: int = 200,
                 idle_timeout: float = 60.0, min_body_chars: int = 20, lock_ttl: int = 60) -> None:
        from linfen_crawler.storage import Dataset

        self.client = client
        self.keys = keys
        self.dataset = Dataset(db_path)
        self.batch_size = max(1, batch_size)
        self.idle_timeout = idle_timeout
        self.min_body_chars = min_body_chars
        self.lock_ttl = lock_ttl
        self.me = worker_id()
        # the random part keeps two writers apart even with the same host name and pid (containers): a
        # writer that lost its lock while stalled can only ever delete its own batch
        self.inflight = keys.processing_of(f"{self.me}:{os.urandom(4).hex()}")
        self._take = client.register_script(_TAKE)
        self._requeue = client.register_script(_REQUEUE)
        self.consumed = 0
        self.closing: dict[tuple[str, int], int] = {}
        self.closed: list[dict[str, Any]] = []

    # lock -------------------------------------------------------------------------------------------
    def acquire(self) -> None:
        if not self.client.set(self.keys.writer_lock, self.me, nx=True, ex=self.lock_ttl):
            holder = self.client.get(self.keys.writer_lock)
            raise WriterBusy(f"another writer ({holder.decode() if holder else '?'}) is ingesting from this "
                             f"Redis; run one writer per deployment")

    def refresh(self) -> None:
        holder = self.client.get(self.keys.writer_lock)
        if holder is not None and holder.decode() != self.me:
            raise WriterBusy(f"lost the writer lock to {holder.decode()}")
        self.client.set(self.keys.writer_lock, self.me, ex=self.lock_ttl)

    def release(self) -> None:
        holder = self.client.get(self.keys.writer_lock)
        if holder is not None and holder.decode() == self.me:
            self.client.delete(self.keys.writer_lock)

    # main loop ------------------------------------------------------------------------------------------
    def run(self) -> list[dict[str, Any]]:
        """Ingest until told to stop, or until idle for ``idle_timeout`` s; returns the runs it closed.

        Idle: no item came and no open run has a busy worker. Runs still open at the end (their frontier
        waits in Redis) are recorded ``interrupted`` and stay open: a later writer resumes them.
        """
        self.acquire()
        try:
            requeued = self.requeue()
            if requeued:
                logger.info("put back %d items a previous writer had not committed", requeued)
            stop_mark = _int(self.client.get(self.keys.stop))
            last_work = time.monotonic()
            last_check = 0.0
            while True:
                stopping = _int(self.client.get(self.keys.stop)) != stop_mark
                n = self.ingest_once(block=not stopping)
                now = time.monotonic()
                if n:
                    last_work = now
                states: dict[str, Frontier] | None = None  # the sites' frontiers read in this pass
                if now - last_check >= POLL_SECONDS or stopping:
                    last_check = now
                    self.refresh()
                    states = self.check_runs()
                    if any(state.busy_workers for state in states.values()):
                        last_work = now
                if (stopping and not n) or (
                        self.idle_timeout > 0 and not n and now - last_work >= self.idle_timeout):
                    self.close_open_runs(states)
                    return self.closed
        finally:
            self.release()
            self.dataset.close()

    def requeue(self) -> int:
        """Put back at the head of the queue, in order, every processing list: what dead writers held."""
        n = 0
        for key in list(self.client.scan_iter(match=self.keys.processing_pattern, count=1000, _type="list")):
            n += int(self._requeue(keys=[key, self.keys.items]))
        return n

    def take(self, block: bool) -> list[bytes]:
        """Move the next batch to this writer's processing list and return the whole list.

        One Lua step when items are queued; when none are and ``block``, the first item is awaited with
        ``BLMOVE`` (Lua cannot block) and the rest follows in a second Lua step. Whatever the list already
        held (the batch of an ``ingest_once`` that failed before acknowledging) is part of the batch
        returned, so it is retried, not dropped.
        """
        keys = [self.keys.items, self.inflight]
        raws = list(self._take(keys=keys, args=[self.batch_size]))
        if raws or not block:
            return raws
        if self.client.blmove(self.keys.items, self.inflight, POLL_SECONDS, "LEFT", "RIGHT") is None:
            return []
        return list(self._take(keys=keys, args=[self.batch_size]))

    def ingest_once(self, block: bool = True) -> int:
        raws = self.take(block)
        if not raws:
            return 0
        batch = prepare((json.loads(raw) for raw in raws), self.min_body_chars)
        counts: dict[tuple[str, int], dict[str, int]] = {}
        for run in {*batch.articles, *batch.rejects, *batch.stats}:
            db_run = self.db_run_id(*run)
            c = counts.setdefault(run, {})
            if batch.articles.get(run):
                result = self.dataset.upsert_articles(batch.articles[run], db_run)
                c.update(articles_new=result.new, articles_updated=result.updated,
                         articles_unchanged=result.unchanged)
            if batch.rejects.get(run):
                c["rejects"] = self.dataset.add_rejects(batch.rejects[run], db_run)
        # committed: account for it and acknowledge
        pipe = self.client.pipeline()
        for run, c in counts.items():
            info = self.keys.run_info(*run)
            for key, value in c.items():
                if value:
                    pipe.hincrby(info, f"count:{key}", value)
            for key, amount in batch.stats.get(run, {}).items():
                pipe.hincrbyfloat(info, f"stat:{key}", amount)
            for worker, state in batch.workers.get(run, {}).items():
                pipe.hset(info, f"worker:{worker}", state)
        pipe.delete(self.inflight)  # the acknowledgement: the list holds this batch and nothing else
        pipe.execute()
        self.consumed += len(raws)
        for run in counts:  # late items of a closed run (a worker's last report): update its record
            closed = self.client.hget(self.keys.run_info(*run), "closed")
            if closed is not None:
                self.close_run(*run, complete=closed == b"complete")
        return len(raws)

    # runs -------------------------------------------------------------------------------------------
    def db_run_id(self, site: str, run: int) -> int:
        info = self.keys.run_info(site, run)
        found = self.client.hget(info, "db_run_id")
        if found is not None:
            return int(found)
        db_run = self.dataset.start_run(site)
        self.client.hset(info, mapping={"db_run_id": db_run, "started": time.time()})
        self.client.sadd(self.keys.open_runs, f"{site}\t{run}")
        logger.info("run %d of %s is crawl_runs row %d", run, site, db_run)
        return db_run

    def open_runs(self) -> list[tuple[str, int]]:
        out = []
        for member in self.client.smembers(self.keys.open_runs):
            site, run = member.decode().split("\t")
            out.append((site, int(run)))
        return sorted(out)

    def check_runs(self) -> dict[str, Frontier]:
        """Close each run whose work is done, once the items queued before that was seen are ingested.

        Returns the frontier of each site that still has an open run, read once per site in this pass:
        the caller uses the same reading for its idle check and for :meth:`close_open_runs` rather than
        scanning Redis again a few milliseconds later (workers change it at any time, so a second reading
        would be no more current; only this writer opens or closes runs, so the set of open runs is known).
        """
        pending = self.client.llen(self.keys.items)
        states: dict[str, Frontier] = {}
        still_open: set[str] = set()
        for site, run in self.open_runs():
            if site not in states:
                states[site] = frontier(self.client, self.keys, site)
            state = states[site]
            done = state.run != run or not state.active
            if not done:
                self.closing.pop((site, run), None)
                still_open.add(site)
                continue
            mark = self.closing.setdefault((site, run), self.consumed + pending)
            if self.consumed >= mark:
                self.close_run(site, run, complete=state.run == run)
            else:
                still_open.add(site)
        return {site: states[site] for site in still_open}

    def close_open_runs(self, states: dict[str, Frontier] | None = None) -> None:
        """Close every open run on the way out: complete when its work is done, else interrupted and kept.

        ``states``: frontiers already read in this pass (:meth:`check_runs`); other sites are read now.
        """
        states = dict(states or {})
        for site, run in self.open_runs():
            if site not in states:
                states[site] = frontier(self.client, self.keys, site)
            state = states[site]
            if state.run == run and not state.active:
                self.close_run(site, run, complete=True)
            else:  # its frontier waits in Redis: a later writer resumes and closes it
                self.close_run(site, run, complete=False, keep_open=True)

    def close_run(self, site: str, run: int, *, complete: bool, keep_open: bool = False) -> dict[str, Any]:
        info = self.keys.run_info(site, run)
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(info).items()}
        counts = {k[6:]: int(v) for k, v in raw.items() if k.startswith("count:")}
        stats: dict[str, Any] = {}
        for key, value in raw.items():
            if key.startswith("stat:"):
                number = float(value)
                stats[key[5:]] = int(number) if number.is_integer() else number
        workers = {k[7:]: v for k, v in raw.items() if k.startswith("worker:")}
        lost = sorted(w for w, state in workers.items() if state != "reported")
        stats.update({"distributed/run": run, "distributed/workers": len(workers),
                      "distributed/workers_lost": len(lost)})
        if lost:
            stats["distributed/workers_lost_ids"] = ",".join(lost)
        if "started" in raw:
            stats["duration_s"] = round(time.time() - float(raw["started"]), 3)
        db_run = int(raw["db_run_id"])
        counts["pages"] = int(stats.get("downloader/response_count", 0))
        counts["errors"] = int(sum(v for k, v in stats.items() if k.startswith("linfen/errors/")))
        # a worker that died holding requests, or a writer stopping mid-run: the run was cut short
        reason = "finished" if complete and not lost else "shutdown"
        status = run_status(reason, stats, counts)
        self.dataset.finish_run(db_run, status, counts, stats)
        record = {"site": site, "run": run, "db_run_id": db_run, "status": status, **counts}
        if not keep_open:  # the record stays a week for late items, then Redis forgets it
            self.client.srem(self.keys.open_runs, f"{site}\t{run}")
            if complete:
                self.client.delete(self.keys.run_plan(site, run), self.keys.known(site, run))
            else:  # superseded (seed --restart): its pages still in flight keep their plan a while
                for key in (self.keys.run_plan(site, run), self.keys.known(site, run)):
                    self.client.expire(key, SUPERSEDED_PLAN_TTL)
            self.client.hset(info, "closed", "complete" if complete else "incomplete")
            self.client.expire(info, 7 * 24 * 3600)
            self.closing.pop((site, run), None)
        logger.info("run %d of %s closed: %s", run, site, status)
        self.closed = [r for r in self.closed if (r["site"], r["run"]) != (site, run)] + [record]
        return record
