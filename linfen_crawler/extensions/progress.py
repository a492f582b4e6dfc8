"""Live progress of running crawls: a progress display on a terminal, plain log lines otherwise.

``LINFEN_PROGRESS``: ``auto`` (default) draws the display on standard error when it is a terminal and logs
plain lines otherwise (cron, Scrapyd); ``on`` always draws; ``off`` only logs. The display (rich's
``Progress``) holds one line per site crawling in this process: pages fetched, new articles, rejects and
errors, and the time taken, cut to the terminal's width. While it is shown, the log's terminal handler is
rich's ``RichHandler`` on the same console, so log lines print above the display, never glued to it
(issue 14); a log file (``LOG_FILE``, ``linfen crawl --logfile``) is left alone.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, TextIO

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Column
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from linfen_crawler.scheduled.plan import crawled_site

logger = logging.getLogger(__name__)

LOG_INTERVAL = 30.0  # seconds between plain progress log lines
DRAW_INTERVAL = 0.5  # seconds between updates of the display


def progress_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """pages, new articles, rejects and errors so far, from a crawler's stats (pure)."""
    def total(prefix: str) -> int:
        return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

    return {"pages": int(stats.get("downloader/response_count", 0)),
            "new": int(stats.get("linfen/articles_new", 0)),
            "rejects": total("linfen/rejects/"), "errors": total("linfen/errors/")}


def progress_text(site: str, counts: Mapping[str, int]) -> str:
    """``lfxww: 120 pages, 30 new, 2 rejected, 0 errors``"""
    return (f"{site}: {counts['pages']} pages, {counts['new']} new, {counts['rejects']} rejected, "
            f"{counts['errors']} errors")


def progress_drawn(mode: str, stream: TextIO) -> bool:
    """Whether ``LINFEN_PROGRESS`` = ``mode`` draws the display on ``stream`` (``auto``: when a terminal)."""
    mode = mode.lower()
    return mode == "on" or (mode == "auto" and stream.isatty())


# ``linfen crawl --jobs N``: a worker process sends its progress and log lines to the parent, which draws
# one display for every site (runner.run_sites); messages ("progress", site, text, done) and
# ("log", levelno, logger name, message)
Sink = Callable[[tuple[Any, ...]], None]
_sink: Sink | None = None


def set_sink(sink: Sink | None) -> None:
    """Send this process's progress and terminal log lines to ``sink`` instead of drawing them."""
    global _sink
    _sink = sink


class _SinkHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if _sink is not None:
            try:
                _sink(("log", record.levelno, record.name, record.getMessage()))
            except Exception:  # the parent is gone: nothing to show the line to
                self.handleError(record)


def say(text: str) -> None:
    """One line for the user on standard error; from a ``--jobs`` worker, through the parent (above its display)."""
    if _sink is not None:
        _sink(("line", text))
    else:
        print(text, file=sys.stderr, flush=True)


_consoles: dict[int, Console] = {}  # the console of each stream the display draws on (one per process)


def _console(stream: TextIO, force: bool) -> Console:
    if id(stream) not in _consoles:
        _consoles[id(stream)] = Console(file=stream, force_terminal=force or None, soft_wrap=False)
    return _consoles[id(stream)]


def _rich_handler(console: Console, level: int | str) -> RichHandler:
    return RichHandler(console=console, level=level, show_path=False, markup=False, rich_tracebacks=False,
                       log_time_format="%H:%M:%S")


def install_rich_log(settings: Any, stream: TextIO | None = None) -> bool:
    """Make the root log handler rich's, on the display's console, when the display will be drawn and the
    log goes to the terminal; True when it did (then start Scrapy with ``LOG_INSTALL_ROOT_HANDLER = False``).

    Called before Scrapy's banner, so every line of the log fits the terminal's width."""
    stream = stream or sys.stderr
    mode = str(settings.get("LINFEN_PROGRESS")).lower()
    if not settings.getbool("LOG_ENABLED") or settings.get("LOG_FILE"):
        return False
    root = logging.getLogger()
    if _sink is not None:  # a worker process: the parent prints the lines above its display
        root.setLevel(logging.NOTSET)
        root.addHandler(_SinkHandler(settings.get("LOG_LEVEL")))
        return True
    if not progress_drawn(mode, stream):
        return False
    root.setLevel(logging.NOTSET)
    root.addHandler(_rich_handler(_console(stream, mode == "on"), settings.get("LOG_LEVEL")))
    return True


class ProgressBoard:
    """The process's one progress display; terminal log handlers print through its console."""

    def __init__(self, stream: TextIO, force: bool = False) -> None:
        self.console = _console(stream, force)
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis",
                                                                                   ratio=1)),
            TimeElapsedColumn(), console=self.console, redirect_stdout=False, redirect_stderr=False,
            expand=True, auto_refresh=False)
        self.tasks: dict[str, TaskID] = {}

    def start(self, level: int | str | None = None) -> None:
        """Show the display; the log's terminal handlers print above it (with ``level``: add one, for a
        process whose log has no handler yet)."""
        root = logging.getLogger()
        if level is not None:
            root.setLevel(logging.NOTSET)
            root.addHandler(_rich_handler(self.console, level))
        for handler in list(root.handlers):
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.FileHandler) or stream not in (sys.stderr, sys.__stderr__):
                continue
            rich = _rich_handler(self.console, handler.level)
            for flt in handler.filters:
                rich.addFilter(flt)
            root.removeHandler(handler)
            root.addHandler(rich)
        self.progress.start()

    def show(self, site: str, text: str, done: bool = False) -> None:
        if site not in self.tasks:
            self.tasks[site] = self.progress.add_task(text, total=None)
        self.progress.update(self.tasks[site], description=text)
        if done:
            self.progress.stop_task(self.tasks[site])
        self.progress.refresh()

    def say(self, text: str) -> None:
        """A line above the display (wrapped to the terminal's width)."""
        self.console.print(text, markup=False, highlight=False)
        self.progress.refresh()

    def stop(self) -> None:
        """Leave the final lines on screen. The log keeps its rich handler: the lines logged after the
        crawl (Scrapy's stats dump) fit the terminal's width too."""
        self.progress.refresh()
        self.progress.stop()


class ProgressExtension:
    """Report progress while a crawl runs (see the module docstring)."""

    # the sites crawling in this process share one display
    _display: ClassVar[ProgressBoard | None] = None
    _open: ClassVar[set[str]] = set()

    def __init__(self, crawler: Crawler, draw: bool, stream: TextIO, force: bool = False) -> None:
        self.crawler = crawler
        self.draw = draw
        self.stream = stream
        self.force = force
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mode = str(crawler.settings.get("LINFEN_PROGRESS")).lower()
        if mode not in ("auto", "on", "off"):
            raise NotConfigured(f"LINFEN_PROGRESS {mode!r}: expected auto, on or off")
        ext = cls(crawler, progress_drawn(mode, sys.stderr), sys.stderr, force=mode == "on")
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def site(self) -> str:
        return crawled_site(self.crawler)

    def spider_opened(self) -> None:
        if _sink is not None:  # a --jobs worker: the parent draws
            self._loop = task.LoopingCall(self.report)
            self._loop.start(DRAW_INTERVAL, now=True)
            return
        if self.draw:
            cls = type(self)
            if cls._display is None:
                cls._display = ProgressBoard(self.stream, self.force)
                cls._display.start()
            cls._open.add(self.site)
            cls._display.show(self.site, self.text())
        self._loop = task.LoopingCall(self.report)
        self._loop.start(DRAW_INTERVAL if self.draw else LOG_INTERVAL, now=False)

    def text(self) -> str:
        return progress_text(self.site, progress_counts(self.crawler.stats.get_stats() if self.crawler.stats
                                                        else {}))

    def report(self) -> None:
        if _sink is not None:
            _sink(("progress", self.site, self.text(), False))
            return
        display = type(self)._display
        if self.draw and display is not None:
            display.show(self.site, self.text())
        elif not self.draw:
            logger.info("progress %s", self.text())

    def spider_closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        cls = type(self)
        if _sink is not None:
            _sink(("progress", self.site, self.text(), True))
        elif self.draw and cls._display is not None:
            cls._display.show(self.site, self.text(), done=True)
            cls._open.discard(self.site)
            if not cls._open:
                cls._display.stop()
                cls._display = None
        elif not self.draw:
            logger.info("progress %s (done)", self.text())
