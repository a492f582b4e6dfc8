"""The single writer of a deployment (``linfen ingest``): worker items from Redis into the dataset.

Records are made with the pure functions a local crawl's pipelines call (:mod:`linfen_crawler.records`), so a
local and a distributed run of the same pages store the same rows and the same rejects.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from linfen_crawler.distributed.keys import (
    POLL_SECONDS,
    SUPERSEDED_PLAN_TTL,
    DistributedError,
    Frontier,
    Keys,
    as_int,
    frontier,
    worker_id,
)
from linfen_crawler.items import Article, Reject
from linfen_crawler.records import normalize_article, reject_reason, run_status
from linfen_crawler.storage import Dataset

logger = logging.getLogger(__name__)

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
    """Normalize and validate a batch of worker envelopes (pure: the functions a local crawl's Normalize and
    Validate pipelines call, :func:`~linfen_crawler.records.normalize_article` and
    :func:`~linfen_crawler.records.reject_reason`)."""
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
        art = normalize_article(article_from_dict(env["item"]))
        reason = reject_reason(art, min_body_chars)
        if reason:
            batch.rejects.setdefault(run, []).append((art.url, reason, art.title))
            stats[f"linfen/rejects/{reason}"] = stats.get(f"linfen/rejects/{reason}", 0) + 1
            continue
        batch.articles.setdefault(run, []).append(
            {k: v for k, v in art.__dict__.items() if k not in ("not_article", "run")})
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

    def __init__(self, client: Any, keys: Keys, db_path: str, *, batch_size: int, idle_timeout: float,
                 min_body_chars: int, lock_ttl: int = 60) -> None:
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
            stop_mark = as_int(self.client.get(self.keys.stop))
            last_work = time.monotonic()
            last_check = 0.0
            while True:
                stopping = as_int(self.client.get(self.keys.stop)) != stop_mark
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
