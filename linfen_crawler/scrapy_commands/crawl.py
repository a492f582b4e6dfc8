"""``scrapy crawl SITE`` with ``linfen crawl``'s outcome: exit 1 when the run ended ``degraded`` or ``failed``.

Scrapy's own ``crawl`` exits 0 whatever the run's status (only a crawler that could not start gives 1).
This one, found through ``COMMANDS_MODULE`` in ``linfen_crawler.settings``, reads the status the store
pipeline set (``linfen/status``) and, for a failed run, prints its cause (``linfen/failure``) as one line on
standard error, as ``linfen crawl`` does.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from linfen_crawler.records import FAILURE_KEY
from linfen_crawler.settings_check import SettingsError, check_settings
from linfen_crawler.spiders.portal import PortalSpider


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's usage errors
            return
        process = self.crawler_process
        assert process is not None
        try:  # issue 15: a bad LINFEN_* value is one line and exit 2 before anything starts
            check_settings(process.settings)
        except SettingsError as exc:
            print(f"Error: {exc}", file=sys.stderr, flush=True)
            self.exitcode = 2
            return
        crawler = self._create_crawler(args[0])  # kept: the process forgets its crawlers when they finish
        spidercls = crawler.spidercls
        # issue 17: a profile the spider cannot crawl (`scrapy crawl portal -a site=lfrb`, an e-paper; an unknown
        # site) is one line and exit 2, as a bad setting is
        problem = spidercls.site_problem(opts.spargs.get("site")) if issubclass(spidercls, PortalSpider) else None
        if problem:
            print(f"Error: {problem}", file=sys.stderr, flush=True)
            self.exitcode = 2
            return
        process.crawl(crawler, **opts.spargs)
        process.start()
        if process.bootstrap_failed:  # the spider could not start: Scrapy logged why; there are no stats
            self.exitcode = 1
            return
        if crawler is not None:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            status = str(stats.get("linfen/status", ""))
            site = getattr(crawler.spider, "site_key", None) or args[0]
            if status == "failed" and stats.get(FAILURE_KEY):
                print(f"{site}: failed: {stats[FAILURE_KEY]}", file=sys.stderr, flush=True)
            if status in ("degraded", "failed"):
                self.exitcode = 1
