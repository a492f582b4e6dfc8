"""The Redis side of a deployment: key layout, connecting, and the control plane (seed, stop, frontier).

Nothing here is a Scrapy component: ``linfen seed`` / ``linfen stop``, the workers
(:mod:`~linfen_crawler.distributed.worker`) and the writer (:mod:`~linfen_crawler.distributed.ingest`) all
build on it.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scrapy.settings import BaseSettings

from linfen_crawler.scheduled.plan import CrawlPlan

POLL_SECONDS = 0.5
PLAN_TTL = 7 * 24 * 3600  # a run's published plan expires after a week if no writer closes the run before
SUPERSEDED_PLAN_TTL = 3600  # ... and an hour after a run closed because a new one was seeded (--restart)


class DistributedError(RuntimeError):
    """Distributed mode cannot work as configured; the message says what to do."""


try:
    import scrapy_redis  # noqa: F401

    REDIS_AVAILABLE = True
except ImportError:  # the [distributed] extra is not installed: every entry point says so
    REDIS_AVAILABLE = False


def require_redis() -> Any:
    try:
        import redis
        import scrapy_redis  # noqa: F401
    except ImportError:
        raise DistributedError(
            "distributed mode needs scrapy-redis and redis: pip install 'linfen-crawler[distributed]'") from None
    return redis


def connect(url: str) -> Any:
    """A Redis client for ``url`` that answers, or :class:`DistributedError` naming the URL."""
    redis = require_redis()
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


def as_int(value: Any, default: int = 0) -> int:
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
                    busy_workers=busy, run=as_int(client.get(keys.run(site))))


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
        run = as_int(pipe.get(keys.run(site))) + 1
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



def settings_keys(settings: BaseSettings) -> Keys:
    """The keys of the deployment a crawl's settings name (``LINFEN_REDIS_PREFIX``)."""
    return Keys(settings.get("LINFEN_REDIS_PREFIX"))
