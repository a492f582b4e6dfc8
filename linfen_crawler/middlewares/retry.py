"""Retries that wait: exponential backoff with jitter, and ``Retry-After`` obeyed up to a bound."""

from __future__ import annotations

import logging
import random
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

from linfen_crawler.middlewares.failures import network_failure

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date); None when absent/bad.

    >>> retry_after_seconds(b"3"), retry_after_seconds("soon")
    (3.0, None)
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (``RETRY_TIMES``, ``RETRY_HTTP_CODES``), waiting before each one.

    The n-th retry waits ``LINFEN_RETRY_BACKOFF × 2^(n-1)`` seconds (±25 % jitter, at most
    ``LINFEN_RETRY_BACKOFF_MAX``), or exactly what a ``Retry-After`` header says. A ``Retry-After``
    longer than ``LINFEN_RETRY_AFTER_MAX`` is not waited for: the page fails (``http_429``/``http_503``) and
    the next run fetches it. Only the retried request waits; the rest of the crawl goes on.

    Issue 14: a DNS failure is retried once at most (a name that did not resolve twice will not on the
    third try), and every network failure is counted by kind (``linfen/network/<kind>``, the first one's
    one-line description in ``linfen/cause_detail/<kind>``), which names a failed run's cause.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("LINFEN_RETRY_BACKOFF")
        self.backoff_max = settings.getfloat("LINFEN_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("LINFEN_RETRY_AFTER_MAX")

    def wait_for(self, retry_times: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        base = min(self.backoff_max, self.backoff * 2 ** max(0, retry_times - 1))
        return base * random.uniform(0.75, 1.25)  # jitter, not cryptography

    async def _wait(self, new: Request, retry_after: float | None) -> None:
        delay = self.wait_for(int(new.meta.get("retry_times", 1)), retry_after)
        stats = self.crawler.stats
        if stats:
            stats.inc_value("linfen/retry/waited_ms", round(delay * 1000))
            if retry_after is not None:
                stats.inc_value("linfen/retry/retry_after")
        if delay > 0:
            await sleep(delay)

    async def process_response(self, request: Request, response: Response  # type: ignore[override]
                               ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if retry_after is not None and retry_after > self.retry_after_max:
            if self.crawler.stats:
                self.crawler.stats.inc_value("linfen/retry/retry_after_too_long")
            logger.warning("%s asks to retry after %.0f s (more than LINFEN_RETRY_AFTER_MAX=%.0f); giving up",
                           request.url, retry_after, self.retry_after_max)
            return response
        new = self._retry(request, response_status_message(response.status))
        if new is None:
            return response
        await self._wait(new, retry_after)
        return new

    async def process_exception(self, request: Request, exception: Exception  # type: ignore[override]
                                ) -> Request | Response | None:
        failure = network_failure(exception, request)
        stats = self.crawler.stats
        if failure is not None and stats:  # issue 14: what the run's failure cause is made of
            kind, detail = failure
            stats.inc_value(f"linfen/network/{kind}")
            if not stats.get_value(f"linfen/cause_detail/{kind}"):
                stats.set_value(f"linfen/cause_detail/{kind}", detail)
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        if failure is not None and failure[0] == "dns" and int(request.meta.get("retry_times", 0)) >= 1:
            logger.info("giving up on %s: %s (a DNS failure is retried once)", request.url, failure[1])
            return None
        new = self._retry(request, exception)
        if new is None:
            return None
        await self._wait(new, None)
        return new
