"""Named failures: the reason a page was refused or given up on, as the spider's errback records it."""

from __future__ import annotations

from scrapy import Request
from scrapy.exceptions import IgnoreRequest


class PageFailure(IgnoreRequest):
    """A page refused or given up on for a named reason.

    ``linfen_reason`` is the reason code the spider's errback records (``linfen/errors/<kind>/<reason>``
    and, for article URLs, a ``rejects`` row); ``detail`` says what exactly was wrong. A subclass of
    ``IgnoreRequest``, so Scrapy does not log it as an unexpected download error.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.linfen_reason = reason
        self.detail = detail


def original_url(request: Request) -> str:
    """The URL the spider asked for, before any redirect."""
    redirects = request.meta.get("redirect_urls") or []
    return str(redirects[0]) if redirects else request.url
