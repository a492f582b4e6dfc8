"""Downloader and spider middlewares: proxy routing, and the crawler's guards against hostile servers.

A crawler runs against servers it does not control. The guards here make every failure a *named* outcome
(``PageFailure.linfen_reason``, which the spider's errback records in stats and, for article URLs, in
``rejects``), keep every request inside the profile's domains, and bound what one page or one run can cost:

===============================  ========  ===================================================================
component                        order     does
===============================  ========  ===================================================================
SiteGuardMiddleware              50        refuses requests outside the profile's domains and to private or
                                           loopback addresses; names a too-large download ``too_large``
GuardedRedirectMiddleware        600       Scrapy's redirects, refusing offsite / private / looping targets
DecompressionGuardMiddleware     590       Scrapy's decompression; a gzip bomb is ``too_large_decompressed``
ResponseGuardMiddleware          585       anti-bot answers (JS challenge, captcha): named, never parsed,
                                           slow the site down, stop the run when they persist; non-HTML bodies
GuardedMetaRefreshMiddleware     580       Scrapy's ``<meta refresh>`` redirects, with the same refusals
BackoffRetryMiddleware           550       Scrapy's retries, waiting (exponential backoff, ``Retry-After``)
CrawlGuardSpiderMiddleware       (spider)  depth and per-run request caps, per-page text cap, a crashing
                                           callback becomes a ``parse_error`` reject instead of a lost URL
RunAccounting                    (ext.)    ``linfen/urls/*``: fetched = stored + rejected + errored
CanonicalRequestFingerprinter    —         the dupefilter sees :func:`canonicalize_url` URLs
===============================  ========  ===================================================================

Settings (all documented in docs/settings.md) are read in ``from_crawler``; docs/reliability.md lists every
fault, what these components do about it and the test that shows it.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DownloadCancelledError, DropItem, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.request import RequestFingerprinter
from scrapy.utils.response import response_status_message
from twisted.python.failure import Failure

from linfen_crawler.items import Article, Reject
from linfen_crawler.normalize import canonicalize_url

logger = logging.getLogger(__name__)


class ProxyRouteMiddleware:
    """Send every request through the HTTP proxy named by ``LINFEN_PROXY``.

    ``linfen demo`` and the end-to-end tests use it to reach the bundled sample portal: the portal server
    on 127.0.0.1 answers proxy requests for the real host names, so stored URLs are the real site's.
    Disabled (``NotConfigured``) when the setting is empty. A request that sets ``meta["proxy"]`` itself
    keeps it.
    """

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        proxy = crawler.settings.get("LINFEN_PROXY", "")
        if not proxy:
            raise NotConfigured("LINFEN_PROXY is empty")
        return cls(proxy)

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("proxy", self.proxy)


# == named failures ======================================================================================
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


# == where requests may go ===============================================================================
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


# == what a response really is ===========================================================================
_CHALLENGE_MARKERS = re.compile(
    rb"__jsl_clearance|acw_sc__v2|\$_ts\s*=|_\$[a-zA-Z]{2}\s*=|document\.cookie\s*=|challenge-platform|"
    rb"cf-chl|cf_chl_|jschl|window\.location(\.href)?\s*=|location\.replace\(|eval\(|"
    rb"<noscript>[^<]*(javascript|JavaScript|\xe5\x90\xaf\xe7\x94\xa8)",
)
_CAPTCHA_STRONG = re.compile(
    rb"geetest|TencentCaptcha|nc_1_wrapper|NoCaptcha|h-captcha|g-recaptcha|"
    rb"(id|class|name)=[\"'][^\"']*captcha",
    re.I,
)
_CAPTCHA_WORDS = re.compile(
    "验证码|滑动验证|拖动滑块|人机验证|安全验证|访问验证|请完成验证|captcha|访问过于频繁|访问频率过高|"
    "您的访问(?:请求)?(?:被拒绝|受限|异常)|非正常访问",
    re.I,
)
# a script or style element up to its first closing tag, as r"<(script|style)\b.*?</\1\s*>" (re.I | re.S)
# matches, but with possessive loops that never backtrack: 6x faster on a page with 40 KB of scripts
_SCRIPT_STYLE = re.compile(rb"<(?:script\b(?:[^<]++|<(?!/script\s*>))*+</script\s*>"
                           rb"|style\b(?:[^<]++|<(?!/style\s*>))*+</style\s*>)", re.I)
_TAG = re.compile(rb"<[^>]*>")
_SPACE = b" \t\n\r\f\v"  # what rb"\s" matches
ANTIBOT_STATUSES = frozenset({412, 521})  # 加速乐 / 创宇盾 answer 521, 瑞数 412, with a JavaScript challenge


def _visible(body: bytes) -> bytes:
    """The page's text without markup, scripts and whitespace (a rough measure, on the raw bytes)."""
    return _TAG.sub(b"", _SCRIPT_STYLE.sub(b"", body)).translate(None, _SPACE)


_OPENER = re.compile(rb"<(?:script|style)\b", re.I)
VISIBLE_PREFIX = 16384  # bytes of a page counted first; most pages show 600 visible characters by then


def _visible_at_least(body: bytes, n: int) -> bool:
    """``len(_visible(body)) >= n``, found from a prefix of the page when that suffices (issue 8).

    The prefix is cut before the first script or style it does not close and before a tag it does not
    close, so each byte it keeps is visible in the whole page too: its count is a lower bound.
    """
    if len(body) > VISIBLE_PREFIX:
        part = _SCRIPT_STYLE.sub(b"", body[:VISIBLE_PREFIX])
        opener = _OPENER.search(part)
        if opener:
            part = part[:opener.start()]
        lt = part.rfind(b"<")
        if lt > part.rfind(b">"):
            part = part[:lt]
        if len(_TAG.sub(b"", part).translate(None, _SPACE)) >= n:
            return True
    return len(_visible(body)) >= n


def antibot_reason(status: int, body: bytes) -> str | None:
    """``antibot_js_challenge`` or ``antibot_captcha`` when the answer is an anti-bot wall, else None.

    A JavaScript challenge: status 412/521 with a script (or nothing), or 403/503 with a script that sets
    a cookie or reloads the page, and little text. A captcha page: any status, almost no text (under 600
    visible characters: a news page that mentions 验证码, or carries a comment form with a captcha, is
    longer) and a captcha widget or a captcha/blocking word. Pages of 200,000 bytes or more count as
    long. Text is counted on the first 64 KB.
    """
    head = body[:65536]
    long_page = len(body) >= 200_000
    if status in ANTIBOT_STATUSES and (b"<script" in head.lower() or not head.strip()):
        return "antibot_js_challenge"
    if (status in (403, 503) and not long_page and _CHALLENGE_MARKERS.search(head)
            and not _visible_at_least(head, 1500)):
        return "antibot_js_challenge"
    if long_page or _visible_at_least(head, 600):
        return None
    if _CAPTCHA_STRONG.search(head):
        return "antibot_captcha"
    text = _visible(head)
    for codec in ("utf-8", "gb18030"):
        try:
            words = text.decode(codec)
        except UnicodeDecodeError:
            continue
        if _CAPTCHA_WORDS.search(words):
            return "antibot_captcha"
        break
    return None


_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"BM", b"RIFF",
                 b"\x00\x00\x01\x00", b"Rar!", b"7z\xbc\xaf", b"\xd0\xcf\x11\xe0", b"ID3", b"\x00\x00\x00")
_TEXT_TYPES = re.compile(r"^\s*(text/|application/(xhtml\+xml|xml|json|javascript|ld\+json)|$)", re.I)


def not_html_reason(content_type: str, body: bytes) -> str | None:
    """Why a 200 answer at an HTML URL is no web page (declared binary type, binary magic, NUL bytes)."""
    head = body[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark is text
        return None
    ctype = content_type.split(";")[0].strip().lower()
    if ctype and not _TEXT_TYPES.match(ctype) and ctype != "application/octet-stream":
        return f"Content-Type {ctype}"
    for magic in _BINARY_MAGIC:
        if head.startswith(magic):
            return f"binary body ({ctype or 'no Content-Type'}, starts with {magic!r})"
    if b"\x00" in head:
        return f"binary body ({ctype or 'no Content-Type'}, NUL bytes)"
    return None


class ResponseGuardMiddleware:
    """Anti-bot answers and non-HTML bodies, seen after decompression and before redirects and retries.

    An anti-bot answer (``antibot_js_challenge``, ``antibot_captcha``) is never parsed or stored: it
    raises :class:`PageFailure`, and raises the site's download delay to at least ``LINFEN_ANTIBOT_DELAY``
    (doubling on each further answer, up to ``LINFEN_ANTIBOT_MAX_DELAY``) for the rest of the run. After
    ``LINFEN_ANTIBOT_LIMIT`` anti-bot answers among the site's last 2 × ``LINFEN_ANTIBOT_LIMIT`` pages, the
    site is blocking the crawler: the run stops and ends ``degraded`` with that message (``linfen/degraded``).
    """

    def __init__(self, crawler: Crawler, limit: int, min_delay: float, max_delay: float) -> None:
        self.crawler = crawler
        self.limit = limit
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.recent: deque[bool] = deque(maxlen=max(1, 2 * limit))  # was each recent page an anti-bot wall?
        self.floors: dict[str, float] = {}  # downloader slot -> delay it may not go below this run
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(crawler, s.getint("LINFEN_ANTIBOT_LIMIT", 5), s.getfloat("LINFEN_ANTIBOT_DELAY", 5.0),
                   s.getfloat("LINFEN_ANTIBOT_MAX_DELAY", 60.0))

    def process_response(self, request: Request, response: Response) -> Response:
        self._keep_floor(request)
        reason = antibot_reason(response.status, response.body)
        if request.meta.get("kind"):  # a page of the site (robots.txt does not count)
            self.recent.append(reason is not None)
        if reason is not None:
            self._blocked(request, response, reason)
        page_kinds = ("list", "article", "article_page", "recheck")
        if 200 <= response.status < 300 and response.body and request.meta.get("kind") in page_kinds:
            why = not_html_reason((response.headers.get("Content-Type") or b"").decode("latin-1"), response.body)
            if why is not None:
                self._count("not_html")
                raise PageFailure("not_html", why)
        return response

    def _count(self, reason: str) -> None:
        if self.crawler.stats:
            self.crawler.stats.inc_value(f"linfen/refused/{reason}")

    def _slot(self, request: Request) -> tuple[str, Any]:
        engine = self.crawler.engine
        downloader = getattr(engine, "downloader", None)
        if downloader is None:
            return "", None
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def _keep_floor(self, request: Request) -> None:
        """AutoThrottle lowers delays after good answers; a site that showed an anti-bot wall stays slow."""
        key, slot = self._slot(request)
        floor = self.floors.get(key)
        if slot is not None and floor is not None and slot.delay < floor:
            slot.delay = floor

    def _drain(self, message: str) -> None:
        """Fail the requests already waiting in the downloader instead of sending them to a blocking site."""
        downloader = getattr(self.crawler.engine, "downloader", None)
        for slot in list(getattr(downloader, "slots", {}).values()):
            queue = getattr(slot, "queue", None)
            while queue:
                _request, deferred = queue.popleft()
                deferred.errback(Failure(PageFailure("site_blocked", message)))

    def _blocked(self, request: Request, response: Response, reason: str) -> None:
        stats = self.crawler.stats
        walls = sum(self.recent)
        key, slot = self._slot(request)
        delay = 0.0
        if slot is not None:
            delay = min(self.max_delay, max(slot.delay * 2, self.min_delay))
            slot.delay = delay
            self.floors[key] = delay
        if stats:
            stats.inc_value(f"linfen/antibot/{reason}")
            stats.set_value("linfen/antibot/delay", delay)
        logger.warning("anti-bot answer (%s, HTTP %s) for %s; site delay now %.1f s",
                       reason, response.status, request.url, delay)
        if self.limit and walls >= self.limit and not self.stopping:
            self.stopping = True
            site = getattr(self.crawler.spider, "site_key", None) or getattr(self.crawler.spider, "name", "site")
            message = (f"{site}: the site is blocking the crawler ({walls} anti-bot answers among the last "
                       f"{len(self.recent)} pages, "
                       f"last {reason} HTTP {response.status} at {request.url}); run stopped, try later or "
                       f"raise DOWNLOAD_DELAY")
            logger.error(message)
            if stats:
                stats.set_value("linfen/degraded", message)
            engine = self.crawler.engine
            if engine is not None:
                deferred_from_coro(engine.close_spider_async(reason="blocked"))
                self._drain(message)
        raise PageFailure(reason, f"HTTP {response.status}, {len(response.body)} bytes")


# == retries that wait ===================================================================================
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
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("LINFEN_RETRY_BACKOFF", 1.0)
        self.backoff_max = settings.getfloat("LINFEN_RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("LINFEN_RETRY_AFTER_MAX", 120.0)

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
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        new = self._retry(request, exception)
        if new is None:
            return None
        await self._wait(new, None)
        return new


# == spider side: caps and no lost URL ===================================================================
class CrawlGuardSpiderMiddleware:
    """Bounds on one run, and no URL lost to a crashing callback.

    * list pages more than ``LINFEN_MAX_DEPTH`` links from a start URL are not requested (a calendar or
      pagination trap ends there; stat ``linfen/capped/depth``);
    * at most ``LINFEN_MAX_REQUESTS`` list and article requests per run; beyond it nothing new is requested
      (pages of an article already begun still are), and the run ends ``degraded`` saying so;
    * an article whose text is longer than ``LINFEN_MAX_TEXT_CHARS`` is rejected (``text_too_long``);
    * an exception in a callback becomes a ``parse_error`` reject for an article URL (an error count for
      a list page) instead of a URL silently lost.
    """

    def __init__(self, crawler: Crawler, max_depth: int, max_requests: int, max_text: int) -> None:
        self.crawler = crawler
        self.max_depth = max_depth
        self.max_requests = max_requests
        self.max_text = max_text
        self.requests = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(crawler, s.getint("LINFEN_MAX_DEPTH", 100), s.getint("LINFEN_MAX_REQUESTS", 50_000),
                   s.getint("LINFEN_MAX_TEXT_CHARS", 500_000))

    def _inc(self, key: str, n: int = 1) -> None:
        if self.crawler.stats:
            self.crawler.stats.inc_value(key, n)

    def process_spider_input(self, response: Response) -> None:
        if response.meta.get("kind") == "article":
            self._inc("linfen/urls/fetched")

    def _keep(self, obj: Any, response: Response | None) -> Any:
        if isinstance(obj, Request):
            kind = obj.meta.get("kind")
            if kind == "list" and self.max_depth and int(obj.meta.get("depth", 0)) > self.max_depth:
                self._inc("linfen/capped/depth")
                return None
            if kind in ("list", "article"):
                if self.max_requests and self.requests >= self.max_requests:
                    self._capped()
                    return None
                self.requests += 1
        elif isinstance(obj, Article) and self.max_text and len(obj.body or "") > self.max_text:
            return Reject(obj.url, "text_too_long",
                          f"{len(obj.body or '')} characters of text, more than LINFEN_MAX_TEXT_CHARS={self.max_text}")
        return obj

    def _capped(self) -> None:
        self._inc("linfen/capped/requests")
        stats = self.crawler.stats
        if stats and not stats.get_value("linfen/degraded"):
            site = getattr(self.crawler.spider, "site_key", "site")
            message = (f"{site}: request cap reached (LINFEN_MAX_REQUESTS={self.max_requests}); "
                       f"the rest of the site was not crawled")
            logger.warning(message)
            stats.set_value("linfen/degraded", message)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        for obj in result:
            kept = self._keep(obj, response)
            if kept is not None:
                yield kept

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]
                                          ) -> AsyncIterator[Any]:
        async for obj in result:
            kept = self._keep(obj, response)
            if kept is not None:
                yield kept

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for obj in start:
            if isinstance(obj, Request) and obj.meta.get("kind") in ("list", "article"):
                self.requests += 1
            yield obj

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any]:
        kind = response.meta.get("kind", "other")
        reason = "parse_error"
        self._inc(f"linfen/errors/{kind}/{reason}")
        logger.error("parsing %s page %s failed: %s: %s", kind, response.url, type(exception).__name__, exception)
        if kind == "article":
            return [Reject(canonicalize_url(original_url(response.request) if response.request else response.url),
                           reason, f"{type(exception).__name__}: {exception}"[:500])]
        if kind == "article_page" and "record" in response.meta:  # store what the earlier pages gave
            from linfen_crawler.records import make_article

            record = dict(response.meta["record"])
            record["extractor"] = {**record.get("extractor", {}), "incomplete": f"{response.url} {reason}"}
            profile = getattr(self.crawler.spider, "profile", None)
            if profile is not None:
                return [make_article(record, url=response.meta["first_url"], profile=profile,
                                     section=response.meta.get("section"))]
        return []


# == accounting ==========================================================================================
class RunAccounting:
    """Counts what became of every article URL the run fetched, in the run record's stats:

    ``linfen/urls/fetched`` = ``linfen/urls/stored`` + ``linfen/urls/rejected`` + ``linfen/urls/errored``.
    Stored: an article reached the dataset. Rejected: the page was fetched and parsed but gave no article
    (validation, ``not_html`` …). Errored: the download failed or was refused (network, HTTP status, size,
    redirect, anti-bot). A redirect to a URL this run already requested is rejected as ``redirect_duplicate``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        return ext

    def _inc(self, key: str) -> None:
        if self.crawler.stats:
            self.crawler.stats.inc_value(key)

    @staticmethod
    def _kind(response: Any) -> str | None:
        """The request kind (``list``, ``article`` …) behind a response or a failure."""
        if isinstance(response, Failure):
            request = getattr(response, "request", None)
            return request.meta.get("kind") if request is not None else None
        meta = getattr(getattr(response, "request", None), "meta", None)
        return meta.get("kind") if meta is not None else None

    def item_scraped(self, item: Any, response: Any, spider: Any = None) -> None:
        kind = self._kind(response)
        if kind not in ("article", "article_page"):
            return
        if isinstance(item, Article):
            self._inc("linfen/urls/stored")
        elif isinstance(item, Reject):
            # an errback's reject: a download failure, or an HTTP error status (HttpError reaches the
            # errback with the response)
            if isinstance(response, Failure) or not 200 <= int(getattr(response, "status", 200)) < 300:
                self._inc("linfen/urls/errored")
                self._inc("linfen/urls/fetched")
            else:
                self._inc("linfen/urls/rejected")

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any = None) -> None:
        ours = isinstance(item, Reject) and str(exception) == "redirect_duplicate"  # from request_dropped
        if ours or (isinstance(item, Article | Reject) and self._kind(response) in ("article", "article_page")):
            self._inc("linfen/urls/rejected")

    def request_dropped(self, request: Request, spider: Any = None) -> None:
        """The dupefilter dropped a redirect target: the URL that redirected there is accounted for."""
        if not request.meta.get("redirect_urls") or request.meta.get("kind") != "article":
            return
        self._inc("linfen/urls/fetched")
        reject = Reject(canonicalize_url(original_url(request)), "redirect_duplicate",
                        f"redirects to {request.url}, already requested in this run")
        self.crawler.signals.send_catch_log(signals.item_dropped, item=reject, response=None,
                                            exception=DropItem("redirect_duplicate"), spider=self.crawler.spider)


# == de-duplication ======================================================================================
class CanonicalRequestFingerprinter(RequestFingerprinter):
    """Scrapy's fingerprint of the request with its URL canonicalised (:func:`canonicalize_url`): tracking
    parameters and fragments dropped, query sorted, host lower-cased. The dupefilter then sees one URL for
    ``/1.html?utm_source=x``, ``/1.html#top`` and ``/1.html``, however a request was made (link, redirect …).
    """

    def fingerprint(self, request: Request) -> bytes:
        canonical = canonicalize_url(request.url)
        if canonical != request.url:
            request = request.replace(url=canonical)
        return super().fingerprint(request)
