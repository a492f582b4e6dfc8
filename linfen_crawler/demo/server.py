"""A tiny HTTP server on 127.0.0.1 that answers for www.lfxww.com (and the other sample sites' hosts).

It takes plain requests (``GET /path`` with ``Host: www.lfxww.com``) and HTTP-proxy requests
(``GET http://www.lfxww.com/path HTTP/1.1``, what Scrapy sends with ``meta['proxy']``). Requests for
the server itself (host 127.0.0.1 / localhost) also reach the portal, plus two control endpoints:
``GET /__log`` (the request log as JSON) and ``GET /__publish?n=3`` (see :meth:`Portal.publish`).

    with DemoServer() as server:
        proxy = server.url            # http://127.0.0.1:PORT
        ...
        server.requests               # [RequestRecord(method, host, path, status), …]

``python -m linfen_crawler.demo.server [--port N] [--port-file F]`` runs it in the foreground.

The plumbing (sending an answer, the request log, the serving thread) is the recording-server base of
:mod:`linfen_crawler.demo.recording`.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from linfen_crawler.demo.base import Page
from linfen_crawler.demo.portal import Portal
from linfen_crawler.demo.recording import RecordingHandler, RecordingHTTPServer, RecordingServer

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", ""})

_NOT_FOUND = (
    b'<!DOCTYPE html>\n<html><head><meta charset="utf-8" /><title>404 Not Found</title></head>'
    b"<body><h1>404 Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n"
)


class RequestRecord(NamedTuple):
    method: str
    host: str
    path: str  # path with query
    status: int


# -- the demo portal's server ------------------------------------------------------------------------------


class DemoHandler(RecordingHandler):
    """Answers one request for the sample portal. A test serving one more site subclasses it, overrides
    :meth:`resolve`, and passes the subclass as ``DemoServer(handler=...)``."""

    server: _Server

    def _answer(self, method: str) -> None:
        host, path = self.target()
        page, extra = self.resolve(host, path)
        self.server.record(RequestRecord(method, host, path, page.status))
        self.send_body(page.status, page.content_type, page.body, (*page.headers, *extra), head=method == "HEAD")

    def resolve(self, host: str, path: str) -> tuple[Page, list[tuple[str, str]]]:
        """The page for ``host`` + ``path`` and extra response headers (a redirect's Location)."""
        portal = self.server.portal
        www = portal.bare_hosts().get(host)
        if www is not None:
            return Page(301, "text/html; charset=utf-8", b""), [("Location", f"http://{www}{path}")]
        if host in LOCAL_HOSTS and path.startswith("/__"):
            return self._control(path), []
        if host in LOCAL_HOSTS:
            host = portal.home_host  # the server's own address shows the sample 临汾新闻网
        if host in portal.hosts():
            page = portal.get(path, host=host)
            if page is not None:
                return page, []
        return Page(404, "text/html; charset=utf-8", _NOT_FOUND), []

    def _control(self, path: str) -> Page:
        parts = urlsplit(path)
        if parts.path == "/__log":
            log = [r._asdict() for r in self.server.snapshot()]
            return Page(200, "application/json", json.dumps(log, ensure_ascii=False).encode())
        if parts.path == "/__publish":
            try:
                n = int(parse_qs(parts.query).get("n", ["1"])[0])
            except ValueError:
                n = -1
            if n < 0:
                return Page(400, "application/json", b'{"error": "n must be a non-negative integer"}')
            urls = self.server.portal.publish(n)
            return Page(200, "application/json", json.dumps({"published": urls}).encode())
        return Page(404, "text/html; charset=utf-8", _NOT_FOUND)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._answer("POST")

    def do_CONNECT(self) -> None:
        self.server.record(RequestRecord("CONNECT", self.path, self.path, 405))
        self.send_body(405, None, b"")


class _Server(RecordingHTTPServer[RequestRecord]):
    def __init__(self, address: tuple[str, int], portal: Portal, handler: type[DemoHandler]) -> None:
        super().__init__(address, handler)
        self.portal = portal


class DemoServer(RecordingServer[RequestRecord]):
    """The sample portal on 127.0.0.1 (port 0 = a free port), in a background thread.

    ``requests`` is the log: (method, host, path-with-query, status) per request. ``handler`` is the
    request handler class: :class:`DemoHandler` or a subclass answering for more hosts.

    >>> with DemoServer() as s:
    ...     s.url.startswith("http://127.0.0.1:")
    True
    """

    thread_name = "demo-portal"

    def __init__(self, port: int = 0, portal: Portal | None = None, host: str = "127.0.0.1",
                 handler: type[DemoHandler] = DemoHandler) -> None:
        self.portal = portal if portal is not None else Portal()
        super().__init__(_Server((host, port), self.portal, handler), host)

    def publish(self, n: int = 1) -> list[str]:
        """Make n new articles appear at the top of section lists; returns their URLs."""
        return self.portal.publish(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m linfen_crawler.demo.server",
        description="Serve the sample portals (临汾新闻网 and the other bundled sites) on 127.0.0.1 "
        "(plain and HTTP-proxy requests).",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free port)")
    parser.add_argument("--port-file", type=Path, help="write the port number to this file once listening")
    parser.add_argument("--publish", type=int, default=0, help="publish N extra articles before serving")
    args = parser.parse_args(argv)

    server = DemoServer(port=args.port, portal=Portal(published=args.publish))
    if args.port_file:
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(f"{server.port}\n")
        tmp.replace(args.port_file)  # atomic: readers never see an empty file
    print(server.port, flush=True)

    def _stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server._httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
