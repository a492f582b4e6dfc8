"""Log formatter: a dropped item is a recorded reject (see ``rejects``), logged as one short INFO line."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter
from scrapy.http import Response
from twisted.python.failure import Failure


class LogFormatter(logformatter.LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Any = None) -> logformatter.LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "rejected %(url)s: %(reason)s",
            "args": {"url": getattr(item, "url", "?"), "reason": exception},
        }
