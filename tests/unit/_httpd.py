"""A tiny threaded HTTP(S) server on 127.0.0.1 for the tests of spoke.net.

Routes map a path to a function of the recorded request (and how many times the path was
asked) returning a :class:`Reply`. The server keeps a log of every request it saw, so tests
assert on what reached the server (headers sent, number of attempts), never on timings.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_STALL = 3.0  # no handler sleeps longer than this, whatever a test asks


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it (header names lowercase)."""

    method: str
    path: str
    headers: dict[str, str]
    peer_port: int = 0


@dataclass(frozen=True)
class Reply:
    """What to answer. ``drop_after``: announce the whole body, send that many bytes, hang up.
    ``stall``: wait that long before answering. ``length``: override Content-Length."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None
    stall: float = 0.0
    length: int | None = None
    trickle: float = 0.0  # send the body in 64 KB pieces, this long apart (bounded by MAX_STALL each)


Handler = Callable[[Recorded, int], Reply]


def always(reply: Reply) -> Handler:
    """Answer ``reply`` every time."""
    return lambda request, count: reply


def sequence(replies: Sequence[Reply]) -> Handler:
    """Answer the replies in order, then the last one forever."""
    return lambda request, count: replies[min(count, len(replies) - 1)]


def ranged(body: bytes, *, ranges: bool = True, etag: str | None = None) -> Handler:
    """Serve ``body`` honouring ``Range: bytes=a-b`` / ``bytes=-n`` when ``ranges``."""

    def handle(request: Recorded, count: int) -> Reply:
        headers = {"Accept-Ranges": "bytes"} if ranges else {}
        if etag:
            headers["ETag"] = etag
        spec = request.headers.get("range")
        if not ranges or not spec or not spec.startswith("bytes="):
            return Reply(body=body, headers=headers)
        first, _, last = spec[6:].partition("-")
        if not first:
            start, end = max(len(body) - int(last), 0), len(body) - 1
        else:
            start, end = int(first), (int(last) if last else len(body) - 1)
        end = min(end, len(body) - 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
        return Reply(status=206, body=body[start : end + 1], headers=headers)

    return handle


class LoopbackServer:
    """A server on 127.0.0.1:<free port>; use as a context manager."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Handler] = {}
        self.log: list[Recorded] = []
        self.sent: dict[str, int] = {}  # bytes of trickled bodies that left, by path
        self.piece_sent = threading.Event()  # set as each trickled piece leaves
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._tls = tls
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5  # an idle keep-alive connection ends its thread

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._answer(self, "GET")

            def do_HEAD(self) -> None:
                server._answer(self, "HEAD")

        class _Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                # A client hanging up mid-answer (range fallback, TLS refusal) is expected.
                pass

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>`` (https with TLS)."""
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The full URL of ``path``."""
        return self.base + path

    def requests(self, path: str | None = None) -> list[Recorded]:
        """The requests seen (for ``path`` only when given)."""
        with self._lock:
            return [r for r in self.log if path is None or r.path == path]

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _trickle(self, handler: BaseHTTPRequestHandler, recorded: Recorded, reply: Reply) -> None:
        """Send ``reply.body`` slowly, counting in :attr:`sent` what left; stop when the client
        hangs up."""
        piece = 64 * 1024
        for start in range(0, len(reply.body), piece):
            try:
                handler.wfile.write(reply.body[start : start + piece])
                handler.wfile.flush()
            except OSError:
                handler.close_connection = True
                return
            with self._lock:
                self.sent[recorded.path] = self.sent.get(recorded.path, 0) + len(reply.body[start : start + piece])
            self.piece_sent.set()
            time.sleep(min(reply.trickle, MAX_STALL))

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        recorded = Recorded(
            method,
            handler.path,
            {k.lower(): v for k, v in handler.headers.items()},
            handler.client_address[1],
        )
        with self._lock:
            self.log.append(recorded)
            count = self._counts.get(handler.path, 0)
            self._counts[handler.path] = count + 1
        route = self.routes.get(handler.path.partition("?")[0])
        reply = route(recorded, count) if route else Reply(status=404, body=b"not found")
        if reply.stall:
            time.sleep(min(reply.stall, MAX_STALL))
        handler.send_response(reply.status)
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        length = reply.length if reply.length is not None else len(reply.body)
        if reply.status != 304:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        if method == "HEAD" or reply.status == 304:
            return
        if reply.drop_after is not None or (reply.length is not None and reply.length > len(reply.body)):
            sent = reply.body if reply.drop_after is None else reply.body[: reply.drop_after]
            handler.wfile.write(sent)
            handler.wfile.flush()
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if reply.trickle:
            self._trickle(handler, recorded, reply)
            return
        handler.wfile.write(reply.body)
