"""What a response really is: anti-bot walls (JavaScript challenges, captchas) and non-HTML bodies.

:class:`ResponseGuardMiddleware` names them, slows the site down and stops a run the site is blocking.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from linfen_crawler.middlewares.failures import PageFailure

logger = logging.getLogger(__name__)


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
        return cls(crawler, s.getint("LINFEN_ANTIBOT_LIMIT"), s.getfloat("LINFEN_ANTIBOT_DELAY"),
                   s.getfloat("LINFEN_ANTIBOT_MAX_DELAY"))

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
