"""Named failures: the reason a page was refused or given up on, as the spider's errback records it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from OpenSSL import SSL
from scrapy import Request
from scrapy.exceptions import DownloadFailedError, IgnoreRequest, ResponseDataLossError
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost
from twisted.python.failure import Failure


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


# issue 14: what a network failure was, in words a user acts on; the run's cause (records.failure_cause)
_NETWORK_KINDS = {
    "CannotResolveHostError": "dns", "DNSLookupError": "dns",
    "DownloadConnectionRefusedError": "refused", "ConnectionRefusedError": "refused",
    "DownloadTimeoutError": "timeout", "TimeoutError": "timeout", "TCPTimedOutError": "timeout",
    "TunnelError": "proxy",
}


def _is_tls(exception: BaseException) -> str | None:
    """The TLS error text when ``exception`` (or what it wraps) is a failed TLS handshake, else None."""
    seen: list[BaseException] = []
    todo: list[Any] = [exception]
    while todo:
        exc = todo.pop()
        if exc is None or any(exc is s for s in seen):
            continue
        if isinstance(exc, Failure):
            todo.append(exc.value)
            continue
        if not isinstance(exc, BaseException):
            continue
        seen.append(exc)
        if isinstance(exc, SSL.Error):
            parts = [str(p[2]) for p in (exc.args[0] if exc.args and isinstance(exc.args[0], list) else [])
                     if isinstance(p, tuple) and len(p) == 3]
            return ", ".join(parts) or str(exc) or "handshake failed"
        todo.extend([exc.__cause__, exc.__context__, *getattr(exc, "reasons", [])])
    return None


def network_failure(exception: BaseException, request: Request) -> tuple[str, str] | None:
    """``(kind, detail)`` for a download that failed on the network, else None.

    kinds: ``dns``, ``refused``, ``timeout``, ``tls``, ``proxy``, ``network`` (connection lost, reset …).
    The detail is one line naming the host: ``DNS lookup failed for www.lfxww.com``.
    """
    parts = urlsplit(request.url)
    host = parts.hostname or request.url
    where = f"{host}:{parts.port}" if parts.port else host
    tls = _is_tls(exception)
    if tls is not None:
        return "tls", f"TLS handshake with {where} failed ({tls})"
    kind = _NETWORK_KINDS.get(type(exception).__name__)
    if kind == "dns":
        return kind, f"DNS lookup failed for {host}"
    if kind == "refused":
        return kind, f"connection to {where} refused (nothing listening, or a firewall)"
    if kind == "timeout":
        return kind, f"no answer from {where} in time (DOWNLOAD_TIMEOUT)"
    if kind == "proxy":
        return kind, f"the proxy could not reach {where}: {exception}"
    if isinstance(exception, IgnoreRequest):
        return None
    if isinstance(exception, ConnectionError | ConnectError | ConnectionLost | ConnectionDone
                  | DownloadFailedError | ResponseDataLossError | OSError):
        text = str(exception).splitlines()[0][:160] if str(exception) else type(exception).__name__
        return "network", f"{where}: {text}"
    return None
