"""The loopback TLS-terminating HTTPS proxy and the small request/response model its host apps use.

Clients reach it through `HTTPS_PROXY=http://127.0.0.1:PORT`: they send `CONNECT host:443`, the proxy
answers 200, wraps the socket in TLS with a certificate minted for that host, reads the HTTP requests
inside and hands each to the app registered for the host (by exact name, or by a suffix such as
`.blob.core.windows.net`). Requests for any other host, and plain-HTTP proxy requests, are refused and
recorded in `refused`: a test that reaches beyond the emulated service fails on that list.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .tls import CertificateAuthority


@dataclass
class Request:
    method: str
    host: str
    target: str  # path and query, as sent
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(self.target).query, keep_blank_values=True)
        return dict(pairs)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.target}"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, document: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        return cls(
            status,
            json.dumps(document).encode(),
            {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        )


App = Callable[[Request], Response]


class _TlsHandler(BaseHTTPRequestHandler):
    """Serves the HTTP requests inside one CONNECT tunnel."""

    protocol_version = "HTTP/1.1"
    host = ""
    proxy: HttpsProxy

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        request = Request(
            self.command,
            self.host,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        response = self.proxy.handle(request)
        self.send_response(response.status)
        headers = {k.lower(): (k, v) for k, v in response.headers.items()}
        for name, value in headers.values():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        payload = b"" if self.command == "HEAD" else response.body
        length_value = headers.get("content-length", (None, str(len(response.body))))[1]
        self.send_header("Content-Length", str(length_value))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _read_chunked(self) -> bytes:
        out = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline()

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_CONNECT(self) -> None:
        host, _, port = self.path.partition(":")
        proxy = self.server.proxy
        if port not in ("443", "") or proxy.app_for(host) is None:
            proxy.refuse(f"CONNECT {self.path}")
            self.send_error(502, f"the emulated service does not serve {self.path}")
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        try:
            tls = proxy.ca.server_context(host).wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True
            return
        handler = type("Tls", (_TlsHandler,), {"host": host, "proxy": proxy})
        with contextlib.suppress(ssl.SSLError, ConnectionError, OSError):
            handler(tls, self.client_address, self.server)
        self.close_connection = True

    def _plain(self) -> None:
        self.server.proxy.refuse(f"{self.command} {self.path}")
        self.send_error(502, "plain HTTP through the proxy is refused: only CONNECT to emulated hosts")

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _plain


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    proxy: HttpsProxy


class HttpsProxy:
    """`apps`: host -> App; a key starting with '.' matches any host ending with it."""

    def __init__(self, ca: CertificateAuthority) -> None:
        self.ca = ca
        self.apps: dict[str, App] = {}
        self.refused: list[str] = []
        self.refused_at: list[int] = []  # index into `log` when each refusal happened
        self.log: list[tuple[str, str, str, int]] = []  # (method, host, target, status)
        self._lock = threading.Lock()
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="https-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HttpsProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def route(self, host: str, app: App) -> None:
        self.apps[host.lower()] = app

    def app_for(self, host: str) -> App | None:
        host = host.lower()
        if host in self.apps:
            return self.apps[host]
        matches = [k for k in self.apps if k.startswith(".") and host.endswith(k)]
        return self.apps[max(matches, key=len)] if matches else None

    def refuse(self, what: str) -> None:
        with self._lock:
            self.refused.append(what)
            self.refused_at.append(len(self.log))

    def handle(self, request: Request) -> Response:
        app = self.app_for(request.host)
        if app is None:
            self.refuse(f"{request.method} {request.url}")
            response = Response.json({"error": {"code": "NotEmulated", "message": request.url}}, 502)
        else:
            try:
                response = app(request)
            except Exception as exc:  # an emulator bug must show up in the test, not hang the client
                import traceback

                traceback.print_exc()
                response = Response.json(
                    {"error": {"code": "EmulatorError", "message": f"{type(exc).__name__}: {exc}"}}, 500
                )
        with self._lock:
            self.log.append((request.method, request.host, request.target, response.status))
        return response


def forward(port: int) -> App:
    """An app relaying each request to a plain-HTTP server on loopback, Host header kept (Azurite)."""
    import http.client

    def app(request: Request) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            headers = {k: v for k, v in request.headers.items() if k not in ("transfer-encoding",)}
            headers["content-length"] = str(len(request.body))
            connection.request(request.method, request.target, body=request.body, headers=headers)
            upstream = connection.getresponse()
            body = upstream.read()
            return Response(upstream.status, body, dict(upstream.getheaders()))
        finally:
            connection.close()

    return app
