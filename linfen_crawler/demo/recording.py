"""The recording HTTP server base: quiet nginx-like answers, a request log, a serving thread.

:class:`RecordingHandler`, :class:`RecordingHTTPServer` and :class:`RecordingServer` are the plumbing of
every local server of the project: the demo portal's :class:`~linfen_crawler.demo.server.DemoServer`, the
fault-injecting portal of the tests (``tests/faultserver.py``) and the file server of the crawl benchmark
(:mod:`linfen_crawler.demo.synthetic`). A subclass answers requests with :meth:`RecordingHandler.send_body`
and logs what it wants with :meth:`RecordingHTTPServer.record`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from urllib.parse import urlsplit

__all__ = ["RecordingHTTPServer", "RecordingHandler", "RecordingServer", "request_target"]

R = TypeVar("R")  # a request log record


def request_target(raw: str, host_header: str | None) -> tuple[str, str]:
    """(host, path-with-query) of a request line's target.

    A proxy client (Scrapy with ``meta["proxy"]``) sends the absolute form ``http://host/path?q``; a plain
    client sends ``/path?q`` with a ``Host`` header.
    """
    if raw.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        path = parts.path or "/"
        return (parts.hostname or "").lower(), path + (f"?{parts.query}" if parts.query else "")
    host = urlsplit("//" + (host_header or "").strip()).hostname or ""
    return host.lower(), raw


class RecordingHandler(BaseHTTPRequestHandler):
    """A quiet HTTP/1.1 handler that answers like nginx; its server keeps the request log."""

    server: RecordingHTTPServer[Any]
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the request log is in server.requests

    def target(self) -> tuple[str, str]:
        """(host, path-with-query) of this request (see :func:`request_target`)."""
        return request_target(self.path, self.headers.get("Host"))

    def send_body(
        self,
        status: int,
        content_type: str | None,
        body: bytes,
        headers: Iterable[tuple[str, str]] = (),
        *,
        head: bool = False,
    ) -> None:
        """Status line, Content-Type (unless None), Content-Length, extra headers, then the body (not for HEAD)."""
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


class RecordingHTTPServer(ThreadingHTTPServer, Generic[R]):
    """A threading HTTP server with a thread-safe request log of records of type R.

    ``stopping`` is set when the server stops: handlers that wait should wait on it.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._log: list[R] = []

    def record(self, rec: R) -> int:
        """Append to the log; returns the record's index (for :meth:`replace`)."""
        with self._lock:
            self._log.append(rec)
            return len(self._log) - 1

    def replace(self, index: int, rec: R) -> None:
        with self._lock:
            self._log[index] = rec

    def snapshot(self) -> list[R]:
        with self._lock:
            return list(self._log)

    def clear(self) -> None:
        with self._lock:
            self._log.clear()


class RecordingServer(Generic[R]):
    """A :class:`RecordingHTTPServer` in a background thread: ``start()``/``stop()`` or ``with``."""

    thread_name = "recording-server"

    def __init__(self, httpd: RecordingHTTPServer[R], host: str = "127.0.0.1") -> None:
        self._httpd = httpd
        self.host = host
        self.port: int = httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[R]:
        """A copy of the request log."""
        return self._httpd.snapshot()

    def clear_requests(self) -> None:
        self._httpd.clear()

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (until another thread calls ``_httpd.shutdown()``)."""
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self._httpd.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
