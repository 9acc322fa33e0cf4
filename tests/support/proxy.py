"""A small HTTP forward proxy on ``127.0.0.1`` for functional tests: :class:`ForwardProxy`.

It does what corporate proxies do for installers: plain ``http://`` requests arrive in
absolute form (``GET http://host:port/path``) and are forwarded; ``https://`` traffic arrives
as ``CONNECT host:port`` and is tunnelled byte for byte (the proxy never sees inside the TLS).
Every request is logged *before* it is answered, with its headers, so a test can check that
the traffic went through the proxy and which credentials it carried.
``auth=(user, password)`` makes the proxy answer ``407`` unless ``Proxy-Authorization``
carries that Basic login.
"""

from __future__ import annotations

import base64
import http.client
import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["ForwardProxy", "ProxyRequest"]

_HOP_BY_HOP = {
    "connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate",
    "te", "trailers", "transfer-encoding", "upgrade",
}


class ProxyRequest(NamedTuple):
    """One request the proxy received: ``(method, target, status, headers)``; ``target`` is
    the absolute URL of a forwarded request or ``host:port`` of a ``CONNECT``."""

    method: str
    target: str
    status: int
    headers: dict[str, str]


class ForwardProxy:
    """An HTTP proxy with ``CONNECT`` on ``127.0.0.1`` (ephemeral port), in a daemon thread.

    Use it as a context manager or call :meth:`close`. Thread-safe.
    """

    def __init__(self, *, auth: tuple[str, str] | None = None) -> None:
        self.auth = auth
        self._lock = threading.Lock()
        self._log: list[ProxyRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ForwardProxy:{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._closed = False

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the value for ``--proxy`` / ``HTTPS_PROXY``."""
        return f"http://127.0.0.1:{self.port}"

    def authed_url(self) -> str:
        """:attr:`url` with the ``auth`` login written into it."""
        if self.auth is None:
            return self.url
        user, password = self.auth
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[ProxyRequest]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def targets(self, method: str | None = None) -> list[str]:
        """The logged targets (of ``method`` only, when given)."""
        return [r.target for r in self.requests if method is None or r.method == method]

    def _record(self, request: ProxyRequest) -> None:
        with self._lock:
            self._log.append(request)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ForwardProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _make_handler(proxy: ForwardProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        owner = proxy

    return Handler


class _Handler(BaseHTTPRequestHandler):
    owner: ForwardProxy
    protocol_version = "HTTP/1.1"
    timeout = 30
    server_version = "spoke-test-proxy/1.0"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _authorized(self) -> bool:
        if self.owner.auth is None:
            return True
        scheme, _, encoded = self.headers.get("Proxy-Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (user, password) == self.owner.auth

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _refuse(self) -> bool:
        """Answer 407 (logged) when the proxy wants a login it did not get."""
        if self._authorized():
            return False
        self.owner._record(ProxyRequest(self.command, self.path, 407, dict(self.headers.items())))
        self._reply(407, b"proxy authentication required\n", {"Proxy-Authenticate": 'Basic realm="proxy"'})
        return True

    def do_CONNECT(self) -> None:
        if self._refuse():
            return
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except (OSError, ValueError):
            self.owner._record(ProxyRequest("CONNECT", self.path, 502, dict(self.headers.items())))
            self._reply(502, b"cannot connect\n")
            return
        self.owner._record(ProxyRequest("CONNECT", self.path, 200, dict(self.headers.items())))
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        client = self.connection
        try:
            sockets = [client, upstream]
            while True:
                readable, _, broken = select.select(sockets, [], sockets, 30)
                if broken or not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()

    def _forward(self) -> None:
        if self._refuse():
            return
        parts = urlsplit(self.path)
        if parts.scheme != "http" or not parts.hostname:
            self.owner._record(ProxyRequest(self.command, self.path, 400, dict(self.headers.items())))
            self._reply(400, b"absolute http URL expected\n")
            return
        self.owner._record(ProxyRequest(self.command, self.path, 200, dict(self.headers.items())))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
        try:
            conn.request(self.command, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            answer = {k: v for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}}
        except OSError:
            self._reply(502, b"upstream failed\n")
            return
        finally:
            conn.close()
        self.send_response(resp.status, resp.reason)
        if self.command == "HEAD":
            length_header = resp.getheader("Content-Length")
            if length_header is not None:
                self.send_header("Content-Length", length_header)
        elif resp.status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        for key, value in answer.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    do_GET = _forward
    do_HEAD = _forward
    do_POST = _forward
