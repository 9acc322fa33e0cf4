"""Package repositories that take uploads, on 127.0.0.1, for ``spoke publish``'s tests.

* :class:`PypiServer`: the real **pypiserver** (the ``pypiserver`` package, run in a
  subprocess), with an htpasswd file made by ``passlib``: uploads need ``USER``/``PASSWORD``,
  a wrong password is answered 403, a file already there 409; its simple pages list what it
  holds, so an uploaded project installs from ``simple_url``.
* :class:`StandIn`: what pypiserver cannot be made to do — PyPI's trusted-publishing endpoints
  (``/_/oidc/audience``, ``/_/oidc/mint-token``) with GitHub's token endpoint beside them,
  PyPI's ``400 File already exists`` refusal, 5xx answers, a redirect. It parses each upload's
  multipart form with the standard library's email parser (not spoke's code) and keeps it, so
  tests assert on the fields and files a repository received. Every request is logged before
  its answer is written.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

USER = "uploader"
PASSWORD = "s3cret-Upl0ad-pw"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PypiServer:
    """pypiserver on 127.0.0.1 serving (and storing uploads in) ``packages``."""

    def __init__(self, root: Path) -> None:
        from passlib.apache import HtpasswdFile

        self.packages = root / "packages"
        self.packages.mkdir(parents=True, exist_ok=True)
        htpasswd = root / "htpasswd"
        users = HtpasswdFile(str(htpasswd), new=True)
        users.set_password(USER, PASSWORD)
        users.save()
        self.log = root / "pypiserver.log"
        self._proc: subprocess.Popen[bytes] | None = None
        for _attempt in range(5):  # a port taken between choosing and binding: choose again
            self.port = _free_port()
            with self.log.open("wb") as log:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(self.port),
                     "-P", str(htpasswd), "-a", "update", "--disable-fallback", str(self.packages)],
                    stdout=log, stderr=subprocess.STDOUT,
                )
            if self._wait_ready():
                return
            self.close()
        raise RuntimeError(f"pypiserver did not start: {self.log.read_text(errors='replace')}")

    def _wait_ready(self) -> bool:
        for _ in range(200):  # at most 20 s
            assert self._proc is not None
            if self._proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}simple/", timeout=2):
                    return True
            except OSError:
                time.sleep(0.1)
        return False

    @property
    def url(self) -> str:
        """The upload URL (pypiserver takes uploads at its root)."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def simple_url(self) -> str:
        """The index to install from."""
        return f"{self.url}simple/"

    def files(self) -> list[str]:
        """The names of the files it holds, sorted."""
        return sorted(p.name for p in self.packages.iterdir() if p.is_file())

    def close(self) -> None:
        """Stop the server."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)


@dataclass
class Received:
    """One upload as the stand-in parsed it: every form field (repeated ones in order), the file."""

    fields: dict[str, list[str]]
    filename: str
    content: bytes
    authorization: str
    content_length: int
    chunked: bool


@dataclass
class StandIn:
    """A repository with PyPI's trusted-publishing endpoints and scripted answers (see module)."""

    audience: str = "spoke-test-audience"
    request_token: str = "gh-request-token-7f1c"
    identity_token: str = "oidc.jwt.for-the-job"
    minted_token: str = "pypi-minted-token-0a9b8c"
    #: Statuses to answer uploads with, in turn, before accepting them (``(503, 503)``: two fails).
    upload_answers: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    #: Refuse the mint with these errors (``[{"code", "description"}]``).
    mint_errors: list[dict[str, str]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                        reason: str | None = None) -> None:
                self.send_response(status, reason)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                stand_in.requests.append(f"GET {self.path}")
                if self.path == "/_/oidc/audience":
                    self._answer(200, json.dumps({"audience": stand_in.audience}).encode(),
                                 {"Content-Type": "application/json"})
                elif self.path.startswith("/github-token?"):
                    if self.headers.get("Authorization") != f"bearer {stand_in.request_token}" or (
                            f"audience={stand_in.audience}" not in self.path):
                        self._answer(403, b'{"message": "bad request token"}')
                        return
                    self._answer(200, json.dumps({"value": stand_in.identity_token}).encode(),
                                 {"Content-Type": "application/json"})
                else:
                    self._answer(404, b"not found")

            def do_POST(self) -> None:  # noqa: N802
                stand_in.requests.append(f"POST {self.path}")
                chunked = "chunked" in self.headers.get("Transfer-Encoding", "")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path == "/_/oidc/mint-token":
                    if stand_in.mint_errors:
                        self._answer(422, json.dumps({"message": "Token request failed",
                                                      "errors": stand_in.mint_errors}).encode())
                    elif json.loads(body) != {"token": stand_in.identity_token}:
                        self._answer(422, b'{"errors": [{"code": "invalid-token", "description": "bad jwt"}]}')
                    else:
                        self._answer(200, json.dumps({"success": True, "token": stand_in.minted_token}).encode())
                    return
                if self.path != "/legacy/":
                    self._answer(404, b"not found")
                    return
                if stand_in.upload_answers:
                    status, reason, headers = stand_in.upload_answers.pop(0)
                    self._answer(status, reason.encode(), headers, reason=reason)
                    return
                message = BytesParser(policy=HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
                fields: dict[str, list[str]] = {}
                filename, content = "", b""
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if part.get_filename():
                        filename, content = part.get_filename(), part.get_payload(decode=True)
                    else:
                        fields.setdefault(name, []).append(part.get_payload(decode=True).decode("utf-8"))
                stand_in.received.append(Received(
                    fields=fields, filename=filename, content=content,
                    authorization=self.headers.get("Authorization", ""), content_length=length, chunked=chunked))
                if filename in stand_in.stored:
                    reason = "File already exists. See https://pypi.org/help/#file-name-reuse for more information."
                    self._answer(400, reason.encode(), reason=reason)
                    return
                stand_in.stored.add(filename)
                self._answer(200, b"OK")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The server's origin."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def upload_url(self) -> str:
        """Where uploads go (PyPI's path)."""
        return f"{self.url}/legacy/"

    def github_env(self) -> dict[str, str]:
        """The variables of a GitHub Actions job allowed ``id-token: write``."""
        return {"ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.url}/github-token?api-version=2.0",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token}

    def close(self) -> None:
        """Stop the server."""
        self._server.shutdown()
        self._server.server_close()
