"""Where requests may go and what a download may cost: profile domains, private addresses, redirects,
sizes and decompression.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response

from linfen_crawler.middlewares.failures import PageFailure, original_url
from linfen_crawler.normalize import canonicalize_url

logger = logging.getLogger(__name__)


_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def is_private_host(host: str) -> bool:
    """True for loopback, private, link-local, reserved, multicast or unspecified addresses and localhost.

    >>> [is_private_host(h) for h in ("127.0.0.2", "10.1.2.3", "[::1]", "localhost", "www.lfxww.com")]
    [True, True, True, True, False]
    """
    host = host.strip("[]").lower().rstrip(".")
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:  # the forms inet_aton accepts: 2130706433, 0x7f000001, 127.1
            ip = ipaddress.ip_address(_inet_aton_int(host))
        except ValueError:
            return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
                or ip.is_unspecified)


def _inet_aton_int(host: str) -> int:
    """``host`` as the integer the C library's inet_aton would read (decimal, octal, hex, 1-4 parts)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(re.fullmatch(r"0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*", p) for p in parts):
        raise ValueError(host)
    nums = [int(p, 0) if not re.fullmatch(r"0[0-7]+", p) else int(p, 8) for p in parts]
    value = 0
    for n in nums[:-1]:
        if n > 255:
            raise ValueError(host)
        value = value * 256 + n
    last_bits = 8 * (5 - len(parts))
    if nums[-1] >= 2 ** last_bits:
        raise ValueError(host)
    return (value << last_bits) | nums[-1]


class Destinations:
    """Which hosts a spider's requests may reach: its profile's domains (or ``allowed_domains``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    def refusal(self, url: str) -> tuple[str, str] | None:
        """``(reason, detail)`` when ``url`` must not be requested, else None."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return "bad_url", f"{url} is not a valid URL"
        if parts.scheme not in ("http", "https"):
            return "bad_scheme", f"{url} is not an http(s) URL"
        if not host:
            return "offsite", f"{url} names no host"
        spider = self.crawler.spider
        profile = getattr(spider, "profile", None)
        if profile is not None:
            allowed = bool(profile.allows(host))
            domains = tuple(profile.domains)
        else:
            domains = tuple(getattr(spider, "allowed_domains", None) or ())
            allowed = not domains or any(host == d or host.endswith("." + d) for d in domains)
        if is_private_host(host) and not (domains and host in domains):
            return "private_address", f"{host} is a private or loopback address"
        if not allowed:
            return "offsite", f"{host} is outside the profile's domains ({', '.join(domains)})"
        return None


class SiteGuardMiddleware:
    """Refuse every request that would leave the profile's domains or reach a private address.

    Runs first (order 50), before robots.txt is fetched for a new host, so a refused host sees no request
    at all. Also names a download that exceeded ``DOWNLOAD_MAXSIZE`` (``too_large``).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.destinations = Destinations(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        refused = self.destinations.refusal(request.url)
        if refused is not None:
            reason, detail = refused
            if request.meta.get("redirect_urls"):
                reason = f"redirect_{reason}"
            self._count(reason)
            raise PageFailure(reason, detail)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, DownloadCancelledError):
            self._count("too_large")
            raise PageFailure("too_large", str(exception) or "larger than DOWNLOAD_MAXSIZE") from None

    def _count(self, reason: str) -> None:
        if self.crawler.stats:
            self.crawler.stats.inc_value(f"linfen/refused/{reason}")


class _RedirectGuard:
    """Mixin for Scrapy's redirect middlewares: check each redirect target before it is followed."""

    crawler: Crawler
    max_redirect_times: int

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        target = canonicalize_url(redirected.url)
        chain = {canonicalize_url(u) for u in (*request.meta.get("redirect_urls", ()), request.url)}
        refused = Destinations(self.crawler).refusal(redirected.url)
        if refused is not None:
            code, detail = f"redirect_{refused[0]}", f"{original_url(request)} redirects to {redirected.url}: " \
                                                       f"{refused[1]}"
        elif target in chain:
            code, detail = "redirect_loop", f"{original_url(request)} redirects back to {redirected.url}"
        else:
            try:
                return super()._redirect(redirected, request, reason)  # type: ignore[misc]
            except IgnoreRequest:
                code = "too_many_redirects"
                detail = f"{original_url(request)}: more than {self.max_redirect_times} redirects"
        if self.crawler.stats:
            self.crawler.stats.inc_value(f"linfen/refused/{code}")
        raise PageFailure(code, detail)


class GuardedRedirectMiddleware(_RedirectGuard, RedirectMiddleware):
    """Scrapy's 3xx redirects; a target offsite, on a private address or looping back is refused."""


class GuardedMetaRefreshMiddleware(_RedirectGuard, MetaRefreshMiddleware):
    """Scrapy's ``<meta http-equiv="refresh">`` redirects, with the same refusals."""


class DecompressionGuardMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression with named failures: a body that inflates past ``DOWNLOAD_MAXSIZE`` (a gzip
    bomb) is ``too_large_decompressed``; a body that is not what its Content-Encoding says is ``bad_encoding``.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        try:
            return super().process_response(request=request, response=response)
        except IgnoreRequest as exc:
            self._count("too_large_decompressed")
            raise PageFailure("too_large_decompressed", str(exc)) from None
        except Exception as exc:  # zlib.error, OSError, brotli.error …: the body is not what it claims
            self._count("bad_encoding")
            raise PageFailure("bad_encoding", f"{type(exc).__name__}: {exc}") from None

    def _count(self, reason: str) -> None:
        if self.stats:
            self.stats.inc_value(f"linfen/refused/{reason}")
