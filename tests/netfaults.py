"""Real network failures on 127.0.0.1 for the failed-run tests (issue 14), without any DNS traffic.

:class:`LoopbackResolver` is a Scrapy ``DNS_RESOLVER``: every ``*.test`` name resolves to 127.0.0.1 and
every other name (``*.invalid``) fails as a real lookup failure would, so no query leaves the machine.
:class:`NetFaults` opens the local endpoints a failed run meets: a port with nothing listening (refused), a
listener that never answers (timeout), a TLS server that refuses the handshake (it demands a client
certificate, which the crawler has not), an HTTP server answering 403 to everything, and one whose
robots.txt disallows everything.

    with NetFaults(tmp_path) as faults:        # writes one profile per fault into tmp_path/profiles
        run_linfen("crawl", "refused", "-s", f"TWISTED_DNS_RESOLVER={faults.RESOLVER}", env=faults.env)
"""

from __future__ import annotations

import datetime
import http.server
import os
import socket
import ssl
import threading
from pathlib import Path
from typing import Any, Self

from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer


@implementer(IResolverSimple)
class LoopbackResolver:
    """``*.test`` → 127.0.0.1; any other name fails to resolve (DNSLookupError); counts lookups."""

    lookups: list[str] = []

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> LoopbackResolver:
        return cls(reactor)

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        self.lookups.append(name)
        if name.endswith(".test"):
            return defer.succeed("127.0.0.1")
        return defer.fail(DNSLookupError(name))


def _profile(key: str, url: str, host: str) -> str:
    return (f'key = "{key}"\nname = "{key}"\ndomains = ["{host}"]\nverified_live = false\n'
            f'start_urls = ["{url}/news/", "{url}/local/"]\n\n[list]\narticle_url = "/a/"\n')


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "forbidden":
            body, status = b"<html><body>Forbidden</body></html>", 403
        elif self.path == "/robots.txt":
            body, status = b"User-agent: *\nDisallow: /\n", 200
        else:
            body, status = b"<html><body><a href='/a/1.html'>x</a></body></html>", 200
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _self_signed(workdir: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.tls.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = workdir / "tls.crt", workdir / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class NetFaults:
    RESOLVER = "netfaults.LoopbackResolver"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.profile_dir = workdir / "profiles"
        self._sockets: list[socket.socket] = []
        self._servers: list[http.server.HTTPServer] = []
        self._threads: list[threading.Thread] = []

    def _socket(self) -> socket.socket:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self._sockets.append(sock)
        return sock

    def _http(self, mode: str, tls: ssl.SSLContext | None = None) -> int:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.mode = mode  # type: ignore[attr-defined]
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return int(server.server_address[1])

    def __enter__(self) -> Self:
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        refused = self._socket()  # bound, not listening: connections are refused
        silent = self._socket()
        silent.listen(16)  # the kernel completes the handshake; nobody ever answers
        cert, key = _self_signed(self.workdir)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        tls.verify_mode = ssl.CERT_REQUIRED  # a client certificate nobody can give: the handshake fails
        tls.load_verify_locations(cert)
        self.urls = {
            "refused": f"http://www.refused.test:{refused.getsockname()[1]}",
            "timeout": f"http://www.timeout.test:{silent.getsockname()[1]}",
            "tls": f"https://www.tls.test:{self._http('ok', tls)}",
            "forbidden": f"http://www.forbidden.test:{self._http('forbidden')}",
            "robots": f"http://www.robots.test:{self._http('robots')}",
            "nodns": "http://www.nowhere.invalid",
        }
        for key_, url in self.urls.items():
            host = url.split("//", 1)[1].split(":", 1)[0]
            (self.profile_dir / f"{key_}.toml").write_text(_profile(key_, url, host), encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for sock in self._sockets:
            sock.close()

    @property
    def env(self) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(Path(__file__).parent), os.environ.get("PYTHONPATH")) if p)
        return {"LINFEN_PROFILE_DIRS": str(self.profile_dir), "PYTHONPATH": path}
