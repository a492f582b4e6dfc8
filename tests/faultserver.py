"""A fault-injecting news portal on 127.0.0.1 for the reliability tests (issue 5).

``故障新闻网`` answers HTTP-proxy requests (what Scrapy sends through ``LINFEN_PROXY``) for the host
``www.linfen-faults.test`` and fails in every way a real portal can: per URL it serves 5xx then success,
429 with Retry-After, timeouts and slow bodies, connection resets mid-body, truncated HTML, an empty 200,
a 200 error page (页面不存在), PDF and PNG bodies at HTML URLs, a 30 MB page (with and without
Content-Length), a gzip bomb, redirect loops, redirects to another domain and to private addresses
(Location and ``<meta refresh>``), charset headers contradicting the page, invalid GBK bytes, deeply nested
malformed markup, an endless pagination trap and an endless multi-page article, links differing only in
tracking parameters and fragments, links to other hosts, and anti-bot answers (HTTP 521 and 412 with a
JavaScript challenge, a captcha page with status 200).

:data:`CATALOG` says, per article path, what the server does and what the crawler must end up with:
``("stored", None)``, ``("rejected", reason)`` or ``("errored", reason)``. The server logs every request
(``server.requests``), and a second listener on 127.0.0.2 (``server.private_hits``) counts connections
that should never happen: the private-address redirects point at it.

    with FaultServer(tmp_path) as server:   # writes the `faults` profile into tmp_path/profiles
        env = {"LINFEN_PROFILE_DIRS": str(server.profile_dir)}
        run_linfen("crawl", "faults", "-s", f"LINFEN_PROXY={server.url}", ..., env=env)
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Self

from linfen_crawler.demo.recording import RecordingHandler, RecordingHTTPServer, RecordingServer

HOST = "www.linfen-faults.test"
ORIGIN = f"http://{HOST}"
OTHER_HOST = "www.elsewhere.test"
SITE_NAME = "故障新闻网"
BIG = 30 * 1024 * 1024  # the "30 MB page"
BOMB_INFLATED = 64 * 1024 * 1024  # the gzip bomb inflates to this (a few dozen KB on the wire)

PROFILE = f"""# test profile for the fault-injecting portal (tests/faultserver.py)
key = "faults"
name = "{SITE_NAME}"
domains = ["linfen-faults.test"]
verified_live = false
start_urls = ["{ORIGIN}/news/", "{ORIGIN}/trap/"]

[sections]
"{ORIGIN}/news/" = "新闻"
"{ORIGIN}/trap/" = "日历"

[list]
article_links = "//ul[@class='list']/li/a/@href"
article_url = '/(news|trap|final)/[a-z0-9-]+\\.html$'
next_pages = "index_{{n}}.html"
max_pages = 100000

[article]
title = "//h1"
meta = "//div[@class='info']"
body = "//div[@class='content']"
"""

_PARAS = [
    "临汾市今年以来持续推进重点项目建设，全市上下抢抓机遇，项目建设呈现出加速推进的良好态势。",
    "据了解，该项目总投资约十二亿元，建成后将有效带动周边区县产业发展，增加就业岗位两千余个。",
    "市委主要负责同志在调研时强调，要坚持问题导向，压实工作责任，确保各项任务按期保质完成。",
    "下一步，相关部门将进一步优化营商环境，强化要素保障，推动更多优质项目落地见效。",
]


def article_html(title: str, *, charset: str = "utf-8", paras: list[str] | None = None, extra: str = "",
                 head: str = "") -> str:
    body = "".join(f"<p>{p}</p>\n" for p in (paras or _PARAS))
    return (f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"{head}<title>{title}_{SITE_NAME}</title></head><body>\n"
            f'<div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a></div>\n'
            f"<h1>{title}</h1>\n"
            f'<div class="info">2024-03-15 10:20:00 来源：临汾日报 作者：王小明</div>\n'
            f'<div class="content">\n{body}</div>\n{extra}</body></html>\n')


def list_html(links: list[str], *, next_href: str | None = None, title: str = "新闻") -> bytes:
    items = "".join(f'<li><a href="{h}">{title}第{i}条</a><span>2024-03-15</span></li>\n'
                    for i, h in enumerate(links))
    nxt = f'<div class="pages"><a href="{next_href}">下一页</a></div>' if next_href else ""
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}_{SITE_NAME}</title></head>'
            f'<body><ul class="list">\n{items}</ul>{nxt}</body></html>\n').encode()


_CHALLENGE_521 = (b'<html><body><script>document.cookie=("__jsl_clearance=1700000000.123|0|"+'
                  b'(function(){return "abc"})()+";max-age=3600;path=/");location.href=location.pathname+'
                  b"location.search</script></body></html>")
_CHALLENGE_412 = (b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                  b'<script type="text/javascript" r="m">$_ts=window["$_ts"];if(!$_ts)$_ts={};$_ts.nsd=12345;'
                  b'</script><script type="text/javascript" src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js" r="m">'
                  b"</script></head><body></body></html>")
_CAPTCHA = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>安全验证</title></head><body>'
            '<div class="box"><p>访问过于频繁，请完成验证后继续访问</p><form action="/verify" method="post">'
            '<img src="/captcha.png" id="captcha-img"><input name="captcha" placeholder="请输入验证码">'
            "<button>提交</button></form></div></body></html>").encode()
_ERROR_PAGE = article_html("页面不存在", paras=["您访问的页面不存在或已被删除，请返回首页。"]).encode()
_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"
_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 20


@dataclass(frozen=True)
class Fault:
    """What the crawler must end up with for one article path."""

    outcome: str  # stored | rejected | errored
    reason: str | None = None
    stored_as: str | None = None  # the URL the article is stored under, when not its own (redirects)


# path -> expected outcome. The handler below implements each path's behaviour.
CATALOG: dict[str, Fault] = {
    "/news/g1.html": Fault("stored"),
    "/news/g2.html": Fault("stored"),
    "/news/g3.html": Fault("stored"),
    "/news/g4.html": Fault("stored"),
    "/news/gbk.html": Fault("stored"),
    "/news/flaky.html": Fault("stored"),  # 503, 503, then 200
    "/news/ratelimited.html": Fault("stored"),  # 429 Retry-After: 1, then 200
    "/news/slow.html": Fault("stored"),  # body trickles over ~0.6 s
    "/news/reset-once.html": Fault("stored"),  # connection reset mid-body once, then fine
    "/news/truncated.html": Fault("stored"),  # HTML cut off mid-paragraph
    "/news/charset-lie.html": Fault("stored"),  # header utf-8, bytes GBK
    "/news/charset-lie2.html": Fault("stored"),  # header gbk, bytes UTF-8
    "/news/bad-gbk.html": Fault("stored"),  # GBK with invalid byte sequences
    "/news/nested.html": Fault("stored"),  # 5000 nested divs, unclosed and stray tags
    "/news/endless.html": Fault("stored"),  # 下一页 forever (endless_2.html, endless_3.html …)
    "/news/moved.html": Fault("stored", stored_as=f"{ORIGIN}/final/moved.html"),  # 301 inside the site
    "/news/empty.html": Fault("rejected", "empty_page"),
    "/news/notfound.html": Fault("rejected", "error_page"),
    "/news/huge-text.html": Fault("rejected", "text_too_long"),
    "/news/always500.html": Fault("errored", "http_500"),
    "/news/http404.html": Fault("errored", "http_404"),
    "/news/timeout.html": Fault("errored", "DownloadTimeoutError"),
    "/news/reset-always.html": Fault("errored", "ResponseDataLossError"),
    "/news/big.html": Fault("errored", "too_large"),
    "/news/big-chunked.html": Fault("errored", "too_large"),
    "/news/bomb.html": Fault("errored", "too_large_decompressed"),
    "/news/pdf.html": Fault("errored", "not_html"),
    "/news/png.html": Fault("errored", "not_html"),
    "/news/loop.html": Fault("errored", "redirect_loop"),
    "/news/offsite-redirect.html": Fault("errored", "redirect_offsite"),
    "/news/private-redirect.html": Fault("errored", "redirect_private_address"),
    "/news/meta-private.html": Fault("errored", "redirect_private_address"),
    "/news/js521.html": Fault("errored", "antibot_js_challenge"),
    "/news/js412.html": Fault("errored", "antibot_js_challenge"),
    "/news/captcha.html": Fault("errored", "antibot_captcha"),
    "/trap/a1.html": Fault("stored"),
    "/trap/a2.html": Fault("stored"),
}

# what the list pages link: every catalogued article (some twice, with tracking parameters or fragments),
# plus links to other hosts that must never be requested
_NEWS = [p for p in CATALOG if p.startswith("/news/")]
DUPLICATE_LINKS = ["/news/g1.html?utm_source=wechat&utm_medium=social", "/news/g1.html#comments",
                   f"{ORIGIN}/news/g2.html?spm=a2c4g.11186623&from=timeline", "/news/g3.html?share=1#top"]
FOREIGN_LINKS = [f"http://{OTHER_HOST}/news/o1.html", f"//{OTHER_HOST}/news/o2.html",
                 # 2130706434 is 127.0.0.2 written as one number
                 "http://127.0.0.2:{private_port}/news/p1.html", "http://2130706434/news/p2.html",
                 "http://[::1]/news/p3.html", "http://localhost/news/p4.html", "http://[broken/news/p5.html",
                 "javascript:void(0)", "mailto:news@linfen-faults.test", "http://www.linfen-faults.test:99999/x.html"]


class RequestRecord(NamedTuple):
    method: str
    host: str
    path: str  # with query
    status: int  # 0 while the answer is in progress (or never sent); -1 for a reset connection
    at: float  # time.monotonic() when the request arrived


def _gzip_bomb() -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1024 * 1024)
    out = [comp.compress(chunk) for _ in range(BOMB_INFLATED // len(chunk))]
    out.append(comp.flush())
    return b"".join(out)


_BOMB: bytes | None = None


def gzip_bomb() -> bytes:
    global _BOMB
    if _BOMB is None:
        _BOMB = _gzip_bomb()
    return _BOMB


class _Handler(RecordingHandler):
    server: _Server

    # -- plumbing (the rest is RecordingHandler's) -----------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_body(status, ctype, body, (headers or {}).items())

    def _reset(self, status: int, body: bytes) -> None:
        """Promise the whole body, send half of it, then reset the connection (RST)."""
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _sleep(self, seconds: float) -> None:
        self.server.stopping.wait(seconds)

    def do_GET(self) -> None:
        host, path = self.target()
        rec = RequestRecord("GET", host, path, 0, time.monotonic())
        at = self.server.record(rec)  # logged on arrival
        status = self._answer(host, path)
        self.server.replace(at, rec._replace(status=status))

    def do_CONNECT(self) -> None:
        self.server.record(RequestRecord("CONNECT", self.path, self.path, 405, time.monotonic()))
        self._send(405, b"")

    # -- the portal ------------------------------------------------------------------------------------
    def _answer(self, host: str, path: str) -> int:
        if host != HOST:
            self._send(502, b"not this proxy's business")
            return 502
        hits = self.server.hit(path)
        plain = path.split("?", 1)[0]
        if plain == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /admin/\n", "text/plain")
            return 200
        if self.server.mode == "blocked" and plain.endswith(".html") and "/index_" not in plain:
            self._send(521, _CHALLENGE_521)
            return 521
        handler = getattr(self, "_p_" + plain.strip("/").replace("/", "_").replace("-", "_").replace(".html", ""),
                          None)
        if handler is not None:
            return int(handler(hits))
        if plain.startswith("/trap/"):
            return self._trap(plain)
        if plain.startswith("/news/endless_"):
            n = int(plain[len("/news/endless_"):-len(".html")])
            return self._endless(n)
        if (plain in CATALOG and CATALOG[plain].outcome == "stored") or plain == "/final/moved.html":
            return self._good(plain)
        self._send(404, article_html("404 Not Found", paras=["The requested URL was not found."]).encode())
        return 404

    def _good(self, path: str, charset: str = "utf-8") -> int:
        name = path.rsplit("/", 1)[-1].removesuffix(".html")
        html = article_html(f"测试文章{name}：临汾推进重点项目建设", charset=charset)
        self._send(200, html.encode(charset), f"text/html; charset={charset}")
        return 200

    # list pages
    def _p_news(self, hits: int) -> int:
        half = len(_NEWS) // 2
        links = _NEWS[:half] + DUPLICATE_LINKS[:2] + [f.format(private_port=self.server.private_port)
                                                      for f in FOREIGN_LINKS]
        self._send(200, list_html(links, next_href="index_1.html"))
        return 200

    def _p_news_index_1(self, hits: int) -> int:
        self._send(200, list_html(_NEWS[len(_NEWS) // 2:] + DUPLICATE_LINKS[2:] + ["/news/g1.html"]))
        return 200

    def _trap(self, path: str) -> int:
        """Endless pagination: every /trap/index_N.html exists and links to the next one."""
        if path in ("/trap/a1.html", "/trap/a2.html"):
            return self._good(path)
        n = 0 if path == "/trap/" else int(path.removeprefix("/trap/index_").removesuffix(".html"))
        links = ["/trap/a1.html", "/trap/a2.html", f"/trap/index_{n}.html#top", "/trap/"]
        self._send(200, list_html(links, next_href=f"/trap/index_{n + 1}.html", title="日历"))
        return 200

    def _endless(self, n: int) -> int:
        html = article_html(f"无尽的连载 第{n}页", paras=[_PARAS[n % 4], _PARAS[(n + 1) % 4]],
                            extra=f'<div class="pages"><a href="endless_{n + 1}.html">下一页</a></div>')
        self._send(200, html.encode())
        return 200

    # article faults, one method per path
    def _p_news_endless(self, hits: int) -> int:
        return self._endless(1)

    def _p_news_gbk(self, hits: int) -> int:
        return self._good("/news/gbk.html", charset="gbk")

    def _p_news_flaky(self, hits: int) -> int:
        if hits <= 2:
            self._send(503, b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
            return 503
        return self._good("/news/flaky.html")

    def _p_news_ratelimited(self, hits: int) -> int:
        if hits == 1:
            self._send(429, b"<html><body>Too Many Requests</body></html>", headers={"Retry-After": "1"})
            return 429
        return self._good("/news/ratelimited.html")

    def _p_news_slow(self, hits: int) -> int:
        body = article_html("慢慢传来的文章", paras=_PARAS * 3).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = len(body) // 6 + 1
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            self.wfile.flush()
            self._sleep(0.1)
        return 200

    def _p_news_timeout(self, hits: int) -> int:
        self._sleep(10)
        return 0  # the client is long gone; nothing is sent

    def _p_news_reset_once(self, hits: int) -> int:
        if hits == 1:
            self._reset(200, article_html("断开一次的文章", paras=_PARAS * 20).encode())
            return -1
        html = article_html("断开一次的文章", paras=_PARAS * 20)
        self._send(200, html.encode())
        return 200

    def _p_news_reset_always(self, hits: int) -> int:
        self._reset(200, article_html("总是断开的文章", paras=_PARAS * 20).encode())
        return -1

    def _p_news_truncated(self, hits: int) -> int:
        html = article_html("被截断的文章：临汾推进重点项目建设", paras=_PARAS * 2)
        cut = html.index(_PARAS[1]) + 20  # mid-paragraph, no closing tags
        self._send(200, html[:cut].encode())
        return 200

    def _p_news_charset_lie(self, hits: int) -> int:
        html = article_html("字符集说谎的文章：临汾推进重点项目建设", charset="gbk")
        self._send(200, html.encode("gbk"), "text/html; charset=utf-8")
        return 200

    def _p_news_charset_lie2(self, hits: int) -> int:
        html = article_html("字符集说谎的文章二：临汾推进重点项目建设", charset="utf-8")
        self._send(200, html.encode("utf-8"), "text/html; charset=gbk")
        return 200

    def _p_news_bad_gbk(self, hits: int) -> int:
        html = article_html("坏字节的文章：临汾推进重点项目建设", charset="gbk").encode("gbk")
        i = html.index(_PARAS[0].encode("gbk"))
        bad = html[:i + 10] + b"\xff\x80\x81\x20\xfe" + html[i + 10:i + 40] + b"\x81" + html[i + 40:]
        self._send(200, bad, "text/html; charset=gbk")
        return 200

    def _p_news_nested(self, hits: int) -> int:
        depth = 5000
        junk = "<div><span><b>" * depth + "</td></tr>" + "<p>未闭合的段落" * 50 + "</b></span></div>" * (depth // 2)
        html = article_html("层层嵌套的文章：临汾推进重点项目建设", extra=junk + "<table><tr><td><p>错乱</table></p>")
        self._send(200, html.encode())
        return 200

    def _p_news_moved(self, hits: int) -> int:
        self._send(301, b"", headers={"Location": f"{ORIGIN}/final/moved.html"})
        return 301

    def _p_news_empty(self, hits: int) -> int:
        self._send(200, b"")
        return 200

    def _p_news_notfound(self, hits: int) -> int:
        self._send(200, _ERROR_PAGE)
        return 200

    def _p_news_huge_text(self, hits: int) -> int:
        paras = [_PARAS[i % 4] + f"（{i}）" for i in range(1500)]  # about 70 000 characters
        self._send(200, article_html("超长的文章：临汾推进重点项目建设", paras=paras).encode())
        return 200

    def _p_news_always500(self, hits: int) -> int:
        self._send(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>")
        return 500

    def _p_news_big(self, hits: int) -> int:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(BIG))
        self.end_headers()
        return self._stream(BIG)

    def _p_news_big_chunked(self, hits: int) -> int:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        return self._stream(BIG)

    def _stream(self, size: int) -> int:
        chunk = ("<p>" + "大" * 20000 + "</p>\n").encode()
        sent = 0
        try:
            self.wfile.write(b"<html><body><h1>\xe5\xa4\xa7</h1>")
            while sent < size:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:  # the crawler hung up, as it should
            self.close_connection = True
        return 200

    def _p_news_bomb(self, hits: int) -> int:
        self._send(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})
        return 200

    def _p_news_pdf(self, hits: int) -> int:
        self._send(200, _PDF, "application/pdf")
        return 200

    def _p_news_png(self, hits: int) -> int:
        self._send(200, _PNG, "text/html")
        return 200

    def _p_news_loop(self, hits: int) -> int:
        self._send(302, b"", headers={"Location": "/final/loop.html"})
        return 302

    def _p_final_loop(self, hits: int) -> int:
        self._send(302, b"", headers={"Location": f"{ORIGIN}/news/loop.html?from=final"})
        return 302

    def _p_news_offsite_redirect(self, hits: int) -> int:
        self._send(302, b"", headers={"Location": f"http://{OTHER_HOST}/news/stolen.html"})
        return 302

    def _p_news_private_redirect(self, hits: int) -> int:
        self._send(302, b"", headers={"Location": f"http://127.0.0.2:{self.server.private_port}/admin/"})
        return 302

    def _p_news_meta_private(self, hits: int) -> int:
        # a private host in disguise (127.0.0.2 as a decimal number); tests name no routable private address
        head = f'<meta http-equiv="refresh" content="0;url=http://2130706434:{self.server.private_port}/admin/">'
        self._send(200, article_html("跳转中", head=head, paras=["正在跳转……"]).encode())
        return 200

    def _p_news_js521(self, hits: int) -> int:
        self._send(521, _CHALLENGE_521)
        return 521

    def _p_news_js412(self, hits: int) -> int:
        self._send(412, _CHALLENGE_412)
        return 412

    def _p_news_captcha(self, hits: int) -> int:
        self._send(200, _CAPTCHA)
        return 200

    def _p_news_http404(self, hits: int) -> int:
        self._send(404, article_html("404", paras=["页面不存在"]).encode())
        return 404


class _Server(RecordingHTTPServer[RequestRecord]):
    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.private_port = 0
        self._hits: Counter[str] = Counter()

    def hit(self, path: str) -> int:
        with self._lock:
            self._hits[path.split("?", 1)[0]] += 1
            return self._hits[path.split("?", 1)[0]]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and hung-up clients are the point here


class _Tripwire:
    """A listener on 127.0.0.2 that counts connections: the crawler must never make one."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.2", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="tripwire")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


class FaultServer(RecordingServer[RequestRecord]):
    """The fault portal in a background thread; ``mode="blocked"`` answers every article with HTTP 521."""

    thread_name = "fault-portal"

    def __init__(self, workdir: Path, mode: str = "faults") -> None:
        self.profile_dir = workdir / "profiles"
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        (self.profile_dir / "faults.toml").write_text(PROFILE, encoding="utf-8")
        httpd = _Server(mode)
        self._tripwire = _Tripwire()
        httpd.private_port = self._tripwire.port
        super().__init__(httpd)

    @property
    def env(self) -> dict[str, str]:
        return {"LINFEN_PROFILE_DIRS": str(self.profile_dir)}

    @property
    def private_hits(self) -> int:
        return self._tripwire.hits

    def served(self, predicate: Callable[[RequestRecord], bool] = lambda r: True) -> list[RequestRecord]:
        return [r for r in self.requests if predicate(r)]

    def start(self) -> Self:
        gzip_bomb()  # build it before the crawl starts
        return super().start()

    def stop(self) -> None:
        super().stop()  # wakes sleeping handlers (stopping), shuts down, closes the socket
        self._tripwire.close()


if __name__ == "__main__":  # python tests/faultserver.py: serve until Ctrl-C, for poking with curl -x
    import tempfile

    with FaultServer(Path(tempfile.mkdtemp())) as srv:
        print(f"proxy {srv.url}  profile dir {srv.profile_dir}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass

__all__ = ["CATALOG", "HOST", "ORIGIN", "Fault", "FaultServer"]
