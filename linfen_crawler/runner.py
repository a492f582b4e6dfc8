"""Starting crawls, without click: :func:`run_crawls` (sites in one Scrapy process) and :func:`run_sites`
(``linfen crawl --all --jobs N``: sites in worker processes).

The CLI (``commands/crawl.py``), the demo and the distributed worker command call these; nothing here imports
click or the command modules, so a ``--jobs`` worker process loads only what a crawl needs.

One Scrapy process keeps its reactor thread's core busy (downloading, parsing, extraction), plus part of a
second core when its dataset writer runs as a process of its own (``LINFEN_STORE_WRITER``), so a crawl of
many sites on a machine with several cores runs them in ``N`` worker processes, one site per process at a
time: when a site's crawl ends, its process exits and the next site starts in a fresh one (a Twisted
reactor cannot be restarted, and a fresh process returns the memory of the finished crawl). Every worker
writes to the same dataset; storage uses WAL, ``BEGIN IMMEDIATE`` and a 60 s busy timeout, so writers wait
for each other instead of failing.

With ``LINFEN_STORE_WRITER = "auto"`` (the default) the workers write through writer processes only while
they leave a core spare (``writer.auto_mode``); ``N`` workers on ``N`` cores write inline, which is faster
there than a writer process each.

Workers are forked from the CLI after it has taken the site locks (:mod:`linfen_crawler.scheduled.locks`): a child
inherits the lock's open file, so the spider's re-entrant :class:`~linfen_crawler.scheduled.locks.SiteLock` finds the
lock held by its own process.

Signals: Ctrl-C in a terminal reaches every worker (one process group); each stops gracefully as Scrapy
does, and sites not started yet are reported ``interrupted``. SIGTERM sent to the CLI alone is passed on to
the running workers.

On a terminal (issue 14) the workers draw nothing themselves: each sends its progress and its log lines
through its status pipe (``extensions.progress.set_sink``), and this process draws one display for all
sites, the log above it.

``N = 1`` (or a single site) keeps the crawl in this process: every site in one reactor, concurrently, as
``run_crawls`` always did — the better choice when politeness delays, not the CPU, bound the crawl.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from types import FrameType
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from linfen_crawler import settings as project_settings
from linfen_crawler.extensions.progress import ProgressBoard, install_rich_log, progress_drawn, say, set_sink
from linfen_crawler.spiders.epaper import spider_class
from linfen_crawler.writer import auto_mode, usable_cores

__all__ = ["log_overrides", "project_scrapy_settings", "run_crawls", "run_sites"]

logger = logging.getLogger(__name__)

Runner = Callable[[list[str], str, dict[str, Any], dict[str, dict[str, Any]] | None], dict[str, str]]


def project_scrapy_settings() -> Settings:
    """Scrapy settings with this project's module (``linfen_crawler.settings``, where every default lives)."""
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    return settings


def log_overrides(*, quiet: bool = False, logfile: str | None = None, log_level: str | None = None,
                  progress: bool = False) -> dict[str, Any]:
    """Scrapy's log settings for ``linfen crawl --quiet / --logfile FILE / --log-level LEVEL`` (issue 14).

    ``--logfile``: the whole log (at ``--log-level``, default the ``LOG_LEVEL`` setting) goes to FILE, none
    of it to the terminal. ``--quiet``: no progress display, and no log on standard error. Otherwise, while
    the progress display is drawn (``progress``), the terminal shows only errors unless ``--log-level``
    says otherwise: Scrapy's banner, settings and stats dump stay out of the way (``--logfile`` keeps them).
    """
    out: dict[str, Any] = {}
    if log_level:
        out["LOG_LEVEL"] = log_level.upper()
    if quiet:
        out["LINFEN_PROGRESS"] = "off"
    if logfile:
        out["LOG_FILE"] = logfile
    elif quiet:
        out["LOG_ENABLED"] = False
    elif progress and not log_level:
        out["LOG_LEVEL"] = "ERROR"
    return out


def run_crawls(sites: list[str], db_path: str, overrides: dict[str, Any],
               per_site: dict[str, dict[str, Any]] | None = None) -> dict[str, str]:
    """Crawl the given sites in one Scrapy process; returns each site's run status.

    ``per_site`` adds settings for one site's crawler only (its JOBDIR). Why a guard stopped a run
    (``linfen/degraded``, e.g. the site blocks us) is printed on standard error, one line per site.
    """
    settings = project_scrapy_settings()
    settings.set("LINFEN_DB", db_path, priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    # issue 14: on a terminal with the progress display, the log prints above it (rich), banner included
    if install_rich_log(settings):
        settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = {}
    for key in sites:
        crawler = process.create_crawler(spider_class(key))  # issue 17: EpaperSpider for an e-paper
        for name, value in (per_site or {}).get(key, {}).items():
            crawler.settings.set(name, value, priority="cmdline")
        crawlers[key] = crawler
        process.crawl(crawler, site=key)
    process.start()
    statuses = {}
    for key, crawler in crawlers.items():
        stats = crawler.stats.get_stats() if crawler.stats else {}
        statuses[key] = str(stats.get("linfen/status", "failed"))
        if stats.get("linfen/degraded"):  # issue 5: why a guard stopped the run (e.g. the site blocks us)
            say(str(stats["linfen/degraded"]))
    return statuses


def _worker(runner: Runner, key: str, db_path: str, overrides: dict[str, Any],
            site_settings: dict[str, Any] | None, conn: Connection, piped: bool = False) -> None:
    """Crawl one site in this (forked) process and send its status back."""
    # the parent's handlers (which signal the other workers) must not run here; Scrapy installs its own
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if piped:  # issue 14: the parent draws one progress display for every worker, log lines above it
        set_sink(conn.send)
    status = "failed"
    try:
        status = runner([key], db_path, overrides, {key: site_settings} if site_settings else None).get(key, "failed")
    except BaseException:  # whatever went wrong, the parent must hear a status
        logger.exception("crawl of %s failed in worker process %s", key, os.getpid())
    finally:
        set_sink(None)
        conn.send(status)
        conn.close()


def _relay(key: str, recv: Connection, board: ProgressBoard | None, statuses: dict[str, str]) -> None:
    """Read what a worker sent: progress (to the display), log lines (to this process's log), its status."""
    try:
        while recv.poll():
            message = recv.recv()
            if isinstance(message, str):
                statuses[key] = message
            elif message[0] == "progress" and board is not None:
                board.show(message[1], message[2], done=message[3])
            elif message[0] == "line":
                if board is not None:
                    board.say(message[1])
                else:
                    print(message[1], file=sys.stderr, flush=True)
            elif message[0] == "log":
                logging.getLogger(message[2]).log(message[1], "%s", message[3])
    except (EOFError, OSError):  # the worker is gone; its sentinel says so
        pass


def run_sites(sites: list[str], db_path: str, overrides: dict[str, Any],
              per_site: dict[str, dict[str, Any]] | None = None, *, jobs: int | None = None,
              runner: Runner | None = None) -> dict[str, str]:
    """Crawl ``sites`` in up to ``jobs`` worker processes (default: :func:`writer.usable_cores`); each site's status.

    ``runner`` is :func:`run_crawls` (replaceable in tests); it is called with one site per worker, or with
    every site in this process when ``jobs`` is 1 or there is only one site.
    """
    run = runner or run_crawls
    jobs = jobs or usable_cores()
    if jobs <= 1 or len(sites) <= 1:
        return run(sites, db_path, overrides, per_site)
    if overrides.get("LINFEN_STORE_WRITER", project_settings.LINFEN_STORE_WRITER) == "auto":
        overrides = {**overrides, "LINFEN_STORE_WRITER": auto_mode(min(jobs, len(sites)))}
    mode = str(overrides.get("LINFEN_PROGRESS") or project_settings.LINFEN_PROGRESS)
    board = None
    if (overrides.get("LOG_ENABLED", True) and not overrides.get("LOG_FILE")
            and progress_drawn(mode, sys.stderr)):
        board = ProgressBoard(sys.stderr, force=mode.lower() == "on")
        board.start(level=overrides.get("LOG_LEVEL") or project_settings.LOG_LEVEL)
    ctx = multiprocessing.get_context("fork")
    pending = list(sites)
    running: dict[Any, tuple[str, Any, Connection]] = {}  # sentinel -> (site, process, status pipe)
    statuses: dict[str, str] = {}
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if signum == signal.SIGTERM:
            for _, proc, _ in running.values():
                if proc.pid is not None:
                    os.kill(proc.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while running or (pending and not stopping):
            while pending and not stopping and len(running) < jobs:
                key = pending.pop(0)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_worker, name=f"linfen-crawl-{key}",
                                   args=(run, key, db_path, overrides, (per_site or {}).get(key), send,
                                         board is not None))
                proc.start()
                send.close()
                logger.info("crawling %s in worker process %s", key, proc.pid)
                running[proc.sentinel] = (key, proc, recv)
            pipes = {recv: sentinel for sentinel, (_, _, recv) in running.items()}
            for ready in wait([*running, *pipes]):
                if ready in pipes:  # progress or a log line (or the status, read when the process ends)
                    if pipes[ready] in running:
                        _relay(running[pipes[ready]][0], ready, board, statuses)
                    continue
                if ready not in running:
                    continue
                key, proc, recv = running.pop(ready)
                proc.join()
                _relay(key, recv, board, statuses)
                statuses.setdefault(key, "failed")
                recv.close()
                if proc.exitcode:
                    logger.warning("worker process for %s exited with code %s", key, proc.exitcode)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if board is not None:
            board.stop()
    for key in pending:  # never started: stopped before their turn
        statuses[key] = "interrupted"
    return {key: statuses[key] for key in sites}
