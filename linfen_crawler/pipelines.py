"""Item pipelines: Normalize → Validate → Store.

Nothing is dropped silently: Validate raises ``DropItem`` with a reason code, and Store, which listens to
``item_dropped``, records every dropped item in ``rejects``. Store batches writes (``LINFEN_STORE_BATCH_SIZE``
articles or ``LINFEN_STORE_FLUSH_SECONDS``, whichever comes first) in one transaction each, and keeps the
run's ``crawl_runs`` row and the site's learned state (issue 13, ``site_state``: loaded into the spider's
learner when the crawl opens, saved at a flush when it changed, so at close too). The transactions run in
the crawl's dataset writer (:class:`~linfen_crawler.writer.CrawlWriter`, ``LINFEN_STORE_WRITER``: a process
of its own when a core is spare), after the raw pages their articles need; the run record is written after
all of them.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from twisted.internet import task

from linfen_crawler.diskfull import DiskFull
from linfen_crawler.extensions.jobdir import stop_for_disk_full
from linfen_crawler.extract.learn import STATE_VERSION, SiteLearner, SiteState
from linfen_crawler.items import Article, Reject, Removed
from linfen_crawler.records import FAILURE_KEY, failure_cause, normalize_article, reject_reason, run_status
from linfen_crawler.scheduled.monitor import CoverageCounter, coverage_alerts, coverage_from_stats, http_errors
from linfen_crawler.scheduled.plan import crawled_site
from linfen_crawler.storage import BatchResult, Dataset
from linfen_crawler.writer import CrawlWriter

logger = logging.getLogger(__name__)


class NormalizePipeline:
    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            return normalize_article(item)
        return item


class ValidatePipeline:
    def __init__(self, min_body_chars: int) -> None:
        self.min_body_chars = min_body_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getint("LINFEN_MIN_BODY_CHARS"))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            reason = reject_reason(item, self.min_body_chars)
            if reason:
                raise DropItem(reason)
        return item


class StorePipeline:
    """Write articles and rejects to the dataset and keep the run record."""

    def __init__(self, crawler: Crawler, writer: CrawlWriter, batch_size: int, flush_seconds: float, *,
                 coverage_runs: int, coverage_min_articles: int) -> None:
        self.crawler = crawler
        self.crawl_writer = writer
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.writer: CrawlWriter | None = None  # the crawl's writer while this pipeline has it open
        self.run_id: int | None = None
        self.articles: list[dict[str, Any]] = []
        self.rejects: list[tuple[str, str, str | None]] = []
        self.counts = {"articles_new": 0, "articles_updated": 0, "articles_unchanged": 0, "rejects": 0}
        self.started = datetime.now(UTC)
        # issue 4: takedowns found by --recheck, field coverage of new articles, coverage alert rule
        self.removed: list[str] = []
        self.coverage = CoverageCounter()
        self.coverage_runs = coverage_runs
        self.coverage_min_articles = coverage_min_articles
        self._loop: task.LoopingCall | None = None
        self.saved_generation = 0  # the spider's learner's state last saved (issue 13)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        pipe = cls(crawler, CrawlWriter.for_crawler(crawler), s.getint("LINFEN_STORE_BATCH_SIZE"),
                   s.getfloat("LINFEN_STORE_FLUSH_SECONDS"), coverage_runs=s.getint("LINFEN_COVERAGE_RUNS"),
                   coverage_min_articles=s.getint("LINFEN_COVERAGE_MIN_ARTICLES"))
        crawler.signals.connect(pipe.item_dropped, signal=signals.item_dropped)
        return pipe

    @property
    def site(self) -> str:
        return crawled_site(self.crawler)

    def open_spider(self) -> None:
        try:
            self.crawl_writer.open()
        except DiskFull as exc:  # issue 15: nothing can be written, not even the run record
            stop_for_disk_full(self.crawler, exc.path)
            return
        self.writer = self.crawl_writer
        try:
            self.run_id = self.writer.call(Dataset.start_run, self.site, os.getpid())
        except BaseException as exc:  # no run to record: give the writer (its process, its connection) back
            self.writer = None
            self.crawl_writer.close()
            if isinstance(exc, DiskFull):
                stop_for_disk_full(self.crawler, exc.path)
                return
            raise
        self.crawler.stats.set_value("linfen/run_id", self.run_id)
        try:
            self._load_learned()
        except DiskFull as exc:
            stop_for_disk_full(self.crawler, exc.path)
        if self.flush_seconds > 0:
            self._loop = task.LoopingCall(self._timed_flush)
            self._loop.start(self.flush_seconds, now=False)

    @property
    def learner(self) -> SiteLearner | None:
        """The spider's site learner (issue 13), or None (LINFEN_LEARN off, or a spider without one)."""
        found = getattr(self.crawler.spider, "learner", None)
        return found if isinstance(found, SiteLearner) else None

    def _load_learned(self) -> None:
        """Start the spider's learner from the state an earlier run kept; a state of another format or
        that cannot be read is left, and learned again (a warning names why)."""
        learner = self.learner
        if learner is None or self.writer is None:
            return
        try:
            kept = self.writer.call(Dataset.load_site_state, self.site)
        except DiskFull:
            raise
        except Exception as exc:  # learning is an improvement: a dataset that cannot give the state is no failure
            logger.warning("%s: the learned state could not be read from the dataset (%s); it is learned again",
                           self.site, exc)
            return
        if kept is None:
            return
        version, text = kept
        try:
            state = SiteState.from_dict({**json.loads(text), "version": version})
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.warning("%s: the learned state kept in the dataset is not used (%s); it is learned again",
                           self.site, exc)
            return
        learner.load(state)
        self.crawler.stats.set_value("linfen/learn/loaded_templates", len(state.templates))

    def _save_learned(self) -> None:
        """Hand the learner's state to the writer when it changed since it was last saved."""
        learner = self.learner
        if learner is None or self.writer is None or learner.generation == self.saved_generation:
            return
        self.saved_generation = learner.generation
        text = json.dumps(learner.state.to_dict(), ensure_ascii=False, separators=(",", ":"))
        pages = max((t.pages for t in learner.state.templates), default=0)
        self.writer.submit(Dataset.save_site_state, self.site, STATE_VERSION, text, pages)
        self.crawler.stats.set_value("linfen/learn/templates", len(learner.state.templates))

    def _timed_flush(self) -> None:
        """The timer's flush: an error is logged and counted, and the timer keeps running (a LoopingCall
        whose function raises stops for good)."""
        try:
            self.flush()
        except DiskFull as exc:
            stop_for_disk_full(self.crawler, exc.path)
        except Exception:  # counted by the writer (failed_batches), in the run record at close
            logger.exception("writing a batch of %s failed", self.site)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Reject):  # failed or refused pages (dropped items are counted in item_dropped)
            self.rejects.append((item.url, item.reason, item.detail))
            self.crawler.stats.inc_value(f"linfen/rejects/{item.reason}")
        elif isinstance(item, Article):
            row = {k: v for k, v in item.__dict__.items() if k != "not_article"}
            self.articles.append(row)
        elif isinstance(item, Removed):
            self.removed.append(item.url)
        if len(self.articles) >= self.batch_size or len(self.rejects) >= self.batch_size:
            try:
                self.flush()
            except DiskFull as exc:  # issue 15: the run ends at once; what is not committed is fetched again
                stop_for_disk_full(self.crawler, exc.path)
        return item

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any = None) -> None:
        url = str(getattr(item, "url", None) or getattr(response, "url", ""))
        detail = getattr(item, "title", None)
        self.rejects.append((url, str(exception) or type(exception).__name__, detail))
        self.crawler.stats.inc_value(f"linfen/rejects/{exception}")

    def flush(self) -> None:
        """Hand the buffered articles, takedowns and rejects to the writer (each list one transaction)."""
        if self.writer is None:
            return
        if self.writer.full is not None:  # a full disk: the run is ending, nothing more is written
            self.articles, self.removed, self.rejects = [], [], []
            return
        self.writer.collect()
        self._save_learned()
        if not (self.articles or self.removed or self.rejects):
            return
        articles, self.articles = self.articles, []
        removed, self.removed = self.removed, []
        rejects, self.rejects = self.rejects, []
        run_id = self.run_id

        def written(batch: BatchResult) -> None:
            if batch.store_errors:
                self.crawler.stats.inc_value("linfen/errors/store/store_error", batch.store_errors)
            result = batch.upsert
            if result is not None:
                self.counts["articles_new"] += result.new
                self.counts["articles_updated"] += result.updated
                self.counts["articles_unchanged"] += result.unchanged
                self.crawler.stats.set_value("linfen/articles_new", self.counts["articles_new"])
                new = set(result.new_urls)
                for row in articles:
                    if row["url"] in new:
                        self.coverage.add(row)
            if removed:
                self.counts["articles_removed"] = self.counts.get("articles_removed", 0) + batch.removed
            self.counts["rejects"] += batch.rejected

        # an article batch is committed after the raw pages buffered so far (its pages)
        submit = self.writer.submit_articles if articles else self.writer.submit
        submit(Dataset.write_batch, articles, removed, rejects, run_id, done=written)

    def close_spider(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.writer is None or self.run_id is None:
            return
        try:
            self.writer.flush_raw_pages()  # the last raw pages, before the record
            self.flush()
            self.writer.drain()  # every batch committed and counted before the run record
            self._count_failed_batches()
            self._finish_run()
        except Exception as exc:
            # never leave the run 'running' in a process that lives on (several sites in one reactor)
            if isinstance(exc, DiskFull):
                stop_for_disk_full(self.crawler, exc.path)
            self._count_failed_batches()
            run_id, counts = self.run_id, dict(self.counts)
            self.crawler.stats.set_value("linfen/status", "failed")
            record = {"error": "store", FAILURE_KEY: self.crawler.stats.get_value(FAILURE_KEY)}
            try:
                self.writer.call(Dataset.finish_run, run_id, "failed", counts, record)
            except DiskFull:
                logger.warning("the disk is full: run %s of %s stays 'running' (the next run marks it "
                               "interrupted)", run_id, self.site)
            except Exception:
                logger.exception("could not record the failed run %s", run_id)
            if not isinstance(exc, DiskFull):
                raise
        finally:
            self.writer = None
            self.crawl_writer.close()

    def _count_failed_batches(self) -> None:
        """Batches of this crawl's writer that raised (their rows are not stored): in the run record, and
        they make the run ``failed``. A failed batch raises where it is noticed, which may be inside
        ``process_item``, where Scrapy only logs it."""
        assert self.writer is not None
        failed = self.writer.take_failed_batches()
        if failed:
            self.crawler.stats.inc_value("linfen/errors/store/batch_failed", failed)

    def _finish_run(self) -> None:
        assert self.writer is not None and self.run_id is not None
        stats = self.crawler.stats.get_stats()
        # finish_reason is set only after pipelines close; a stopped crawler (SIGINT/SIGTERM) is no longer crawling
        reason = str(stats.get("finish_reason") or ("finished" if self.crawler.crawling else "shutdown"))
        pages = int(stats.get("downloader/response_count", 0))
        errors = sum(int(v) for k, v in stats.items() if k.startswith("linfen/errors/"))
        status = "failed" if stats.get(FAILURE_KEY) else run_status(reason, stats, self.counts)
        # issue 14/15: why the run failed (a full disk sets it at once), kept in the run record's stats and
        # printed by the CLI
        cause = stats.get(FAILURE_KEY) or (failure_cause(stats) if status == "failed" else None)
        if cause:
            self.crawler.stats.set_value(FAILURE_KEY, cause)
        # issue 4: field coverage of new articles against the site's recent runs
        coverage = self.coverage.coverage()
        for name, share in coverage.items():
            self.crawler.stats.set_value(f"linfen/coverage/{name}", share)
        self.crawler.stats.set_value("linfen/new_articles", self.coverage.articles)
        site, limit, run_id = self.site, self.coverage_runs, self.run_id
        history = [coverage_from_stats(r["stats"])
                   for r in self.writer.call(_run_history, site, limit, run_id)]
        alerts = coverage_alerts(coverage, [h for h in history if h], articles=self.coverage.articles,
                                      min_articles=self.coverage_min_articles)
        for alert in alerts:
            logger.warning(alert.message(self.site))
            self.crawler.stats.set_value(f"linfen/coverage_alert/{alert.field}", alert.coverage)
        if alerts and status == "finished":
            status = "degraded"
        stats = self.crawler.stats.get_stats()
        counts = {"pages": pages, "errors": errors, **self.counts}
        record: dict[str, Any] = {k: v for k, v in stats.items() if isinstance(v, int | float | str)}
        record["duration_s"] = round((datetime.now(UTC) - self.started).total_seconds(), 3)
        record["http_errors"] = http_errors(stats)
        record["articles_removed"] = self.counts.get("articles_removed", 0)
        self.writer.call(Dataset.finish_run, run_id, status, counts, record)
        self.crawler.stats.set_value("linfen/status", status)
        if status != "finished":
            logger.warning("crawl of %s ended %s (finish reason %s)%s", self.site, status, reason,
                           f": {cause}" if cause else "")


def _run_history(ds: Dataset, site: str, limit: int, before_id: int) -> list[dict[str, Any]]:
    return ds.run_history(site, limit=limit, before_id=before_id)
