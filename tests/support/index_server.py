"""A real package index on 127.0.0.1 for functional tests: :class:`IndexServer`.

It speaks what installers meet on PyPI and its mirrors, each piece switchable so a test can
take it away and watch the client fall back:

* ``/simple/`` and ``/simple/<project>/``: PEP 691 JSON or PEP 503 HTML chosen by the
  ``Accept`` header (q-values honoured; ``?format=`` overrides, as PEP 691 allows), PEP 592
  yanks, PEP 658/714 metadata attributes, PEP 700 ``size``/``upload-time``/``versions``.
  A name that is not normalized is answered with a 301 to the normalized URL, like PyPI.
* ``/files/<filename>``: the file, with single ``Range`` requests (206/416), ``ETag`` and
  ``Last-Modified`` revalidation (304), ``HEAD``; ``/files/<filename>.metadata`` (PEP 658).
* ``/links/``: one flat HTML page of every file, for ``--find-links``.
* ``/pypi/<project>/<version>/json``: PyPI's JSON API for one release (``info``, ``urls``),
  with the ``vulnerabilities`` PyPI derives from OSV: each record in ``vulnerabilities``
  (project → OSV records, see :mod:`tests.support.osv_server`) affecting that version, as
  ``{"id", "aliases", "details", "summary", "fixed_in", "link", "source", "withdrawn"}``.

Every request is logged *before* its response is written, so once a client has an answer the
log already shows it: tests assert on ``downloads(filename)`` rather than on timings. Faults
(``fail``, ``drop``, ``truncate``, ``stall``, ``corrupt``), Basic auth and publishing while
running (``add``, ``yank``) cover the rest.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import html
import json
import socket
import ssl
import struct
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from tests.support.packages import Pkg, build_cached

__all__ = ["HTML_TYPE", "JSON_TYPE", "IndexServer", "LoggedRequest"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
"""PEP 691's JSON content type."""

HTML_TYPE = "application/vnd.pypi.simple.v1+html"
"""PEP 691's name for the PEP 503 HTML encoding."""

_JSON_ACCEPTS = {JSON_TYPE, "application/vnd.pypi.simple.latest+json"}
_HTML_ACCEPTS = {HTML_TYPE, "application/vnd.pypi.simple.latest+html", "text/html"}
_DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")


class LoggedRequest(NamedTuple):
    """One request as the server saw it; unpacks as ``(method, path, status, headers)``."""

    method: str
    path: str
    status: int
    headers: dict[str, str]


@dataclass(slots=True)
class _Entry:
    """One published file and what the index says about it (mutable: ``yank`` edits it)."""

    filename: str
    path: Path
    project: str
    version: str
    sha256: str
    size: int
    requires_python: str | None
    metadata: bytes | None  # the wheel's METADATA, served as ``.metadata``
    yanked: str | None = None
    upload_time: str | None = None
    published: float = field(default_factory=time.time)


@dataclass(slots=True, kw_only=True)
class _Fault:
    """One armed fault. ``kind`` is ``"status"`` (answer ``status`` instead of the real answer;
    0: no answer at all) or one that shapes the real answer's body as it is written:
    ``"drop"``, ``"truncate"``, ``"stall"`` or ``"corrupt"`` (see the methods of that name)."""

    prefix: str
    kind: str = "status"
    status: int = 500
    remaining: int | None = 1  # None: until clear_faults()
    headers: dict[str, str] = field(default_factory=dict)
    exact: bool = False  # the path must equal ``prefix`` (not /files/x.whl.metadata for x.whl)
    ranged: bool | None = None  # only requests with (True) or without (False) a Range header
    after: int | None = None  # body bytes written before the fault strikes
    seconds: float = 0.0  # how long a stall lasts

    def matches(self, path: str, has_range: bool) -> bool:
        if self.ranged is not None and self.ranged != has_range:
            return False
        return path == self.prefix if self.exact else path.startswith(self.prefix)


def _rooted(path_prefix: str) -> str:
    """``path_prefix`` with its leading slash (tests may leave it out)."""
    return path_prefix if path_prefix.startswith("/") else "/" + path_prefix


def _read_core_metadata(path: Path) -> bytes | None:
    """``METADATA`` of a wheel or ``PKG-INFO`` of an sdist (``None`` when absent)."""
    name = path.name
    try:
        if name.endswith(".whl"):
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    folder, _, leaf = member.partition("/")
                    if folder.endswith(".dist-info") and leaf == "METADATA":
                        return zf.read(member)
        elif name.endswith(".tar.gz"):
            with tarfile.open(path) as tar:
                for member in tar.getmembers():
                    if member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                        fh = tar.extractfile(member)
                        return fh.read() if fh else None
        elif name.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    if member.count("/") == 1 and member.endswith("/PKG-INFO"):
                        return zf.read(member)
    except (OSError, zipfile.BadZipFile, tarfile.TarError):
        return None
    return None


def _header(metadata: bytes | None, name: str) -> str | None:
    if metadata is None:
        return None
    import email.parser

    msg = email.parser.BytesHeaderParser().parsebytes(metadata)
    return msg.get(name)


def _project_and_version(filename: str) -> tuple[str, str]:
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise ValueError(f"not a distribution filename: {filename}") from exc
    return str(name), str(version)


def _quality(accept: str) -> dict[str, float]:
    """``Accept`` → media type → q-value (missing q means 1)."""
    result: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        result[media.lower()] = max(q, result.get(media.lower(), 0.0))
    return result


class IndexServer:
    """A Simple-API index over HTTP on ``127.0.0.1`` (an ephemeral port), in a daemon thread.

    ``sources`` are :class:`Pkg` specs (built into ``build_dir``, once per spec) or paths: a
    folder publishes every distribution file in it, a file publishes itself. The switches
    ``json``, ``html``, ``metadata``, ``ranges`` and ``etags`` are plain attributes a test may
    flip while the server runs; ``cache_control``, when set, is sent on pages and files.
    ``auth=(user, password)`` makes every request need that HTTP Basic login.
    ``ssl_context`` (a server-side :class:`ssl.SSLContext`) serves HTTPS instead: the URLs
    then start with ``https://``; the TLS handshake runs in the request's thread, and a
    failed one is logged as ``("TLS", "", 0, {})``.

    Use it as a context manager or call :meth:`close`. Thread-safe.
    """

    def __init__(
        self,
        *sources: Pkg | Path | str,
        build_dir: Path | str | None = None,
        json: bool = True,
        html: bool = True,
        metadata: bool = True,
        ranges: bool = True,
        etags: bool = True,
        auth: tuple[str, str] | None = None,
        cache_control: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.json = json
        self.html = html
        self.metadata = metadata
        self.ranges = ranges
        self.etags = etags
        self.auth = auth
        self.cache_control = cache_control
        #: OSV records by project (any spelling), for the JSON API's ``vulnerabilities``.
        self.vulnerabilities: dict[str, list[dict[str, object]]] = {}
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._faults: list[_Fault] = []
        self._injected: list[tuple[str, str]] = []
        self._closing = threading.Event()  # wakes stalled handlers when the server closes
        self._log: list[LoggedRequest] = []
        self._own_build_dir: tempfile.TemporaryDirectory[str] | None = None
        if build_dir is None:
            self._own_build_dir = tempfile.TemporaryDirectory(prefix="spoke-index-")
            build_dir = self._own_build_dir.name
        self._build_dir = Path(build_dir)
        for source in sources:
            self._publish(source)

        self._server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self.ssl_context = ssl_context
        if ssl_context is not None:
            # Handshakes happen in the handler threads, so one stalled or refused client
            # cannot block the accept loop; their failures are expected, not tracebacks.
            self._server.socket = ssl_context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
            self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._connections: set[object] = set()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"IndexServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._closed = False

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with an ``ssl_context``; no trailing slash)."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def simple_url(self) -> str:
        """``http://127.0.0.1:PORT/simple/``: the value for ``--index-url``."""
        return f"{self.url}/simple/"

    @property
    def links_url(self) -> str:
        """``http://127.0.0.1:PORT/links/``: a flat page of all files, for ``--find-links``."""
        return f"{self.url}/links/"

    def file_url(self, filename: str) -> str:
        """The absolute URL of a published file."""
        return f"{self.url}/files/{quote(filename)}"

    def authed_url(self, url: str | None = None) -> str:
        """``url`` (default :attr:`simple_url`) with the ``auth`` login embedded in it."""
        url = url or self.simple_url
        if self.auth is None:
            return url
        user, password = (quote(part, safe="") for part in self.auth)
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{user}:{password}@{rest}"

    # ------------------------------------------------------------------ publishing

    def _publish(self, source: Pkg | Path | str) -> list[str]:
        if isinstance(source, Pkg):
            names = []
            for path in build_cached(source, self._build_dir):
                names += self._add_path(path, yanked=source.yanked, upload_time=source.upload_time)
            return names
        path = Path(source)
        if path.is_dir():
            names = []
            for child in sorted(path.iterdir()):
                if child.is_file() and child.name.endswith(_DIST_SUFFIXES):
                    names += self._add_path(child)
            return names
        return self._add_path(path)

    def _add_path(
        self, path: Path, *, yanked: str | None = None, upload_time: str | None = None
    ) -> list[str]:
        data = path.read_bytes()
        project, version = _project_and_version(path.name)
        core = _read_core_metadata(path)
        entry = _Entry(
            filename=path.name,
            path=path,
            project=project,
            version=version,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            requires_python=_header(core, "Requires-Python"),
            metadata=core if path.name.endswith(".whl") else None,
            yanked=yanked,
            upload_time=upload_time,
        )
        with self._lock:
            self._entries[path.name] = entry
        return [path.name]

    def add(self, pkg: Pkg) -> list[str]:
        """Publish ``pkg`` (built on the fly) while running; returns the new filenames."""
        return self._publish(pkg)

    def add_file(self, path: Path | str) -> list[str]:
        """Publish a distribution file, or every one in a folder; returns the filenames."""
        return self._publish(path)

    def remove(self, filename: str) -> None:
        """Unpublish a file (its page entry and URL disappear)."""
        with self._lock:
            del self._entries[filename]

    def yank(self, filename: str, reason: str = "") -> None:
        """Mark a file yanked (PEP 592); ``""`` yanks without a reason."""
        with self._lock:
            self._entries[filename].yanked = reason
            self._entries[filename].published = time.time()

    def unyank(self, filename: str) -> None:
        """Undo :meth:`yank`."""
        with self._lock:
            self._entries[filename].yanked = None
            self._entries[filename].published = time.time()

    @property
    def filenames(self) -> list[str]:
        """Every published filename, sorted."""
        with self._lock:
            return sorted(self._entries)

    def sha256(self, filename: str) -> str:
        """The hex sha256 of a published file (what the pages advertise)."""
        with self._lock:
            return self._entries[filename].sha256

    # ------------------------------------------------------------------ faults and log

    # Every fault method takes the same filters: ``times`` (how many matching requests it
    # strikes; ``None``: until clear_faults()), ``exact`` (the path must equal
    # ``path_prefix``, so a fault on ``/files/x.whl`` spares ``/files/x.whl.metadata``) and
    # ``ranged`` (``True``: only requests with a ``Range`` header; ``False``: only without).
    # The body-shaping faults (drop, truncate, stall, corrupt) strike only GETs answered 200
    # or 206 with a body, and are counted when they strike; :attr:`injected` lists them.

    def fail(
        self,
        path_prefix: str,
        status: int = 500,
        times: int | None = 1,
        headers: dict[str, str] | None = None,
        *,
        exact: bool = False,
        ranged: bool | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path starts with ``path_prefix`` with
        ``status`` (``times=None``: until :meth:`clear_faults`). ``status=0`` drops the
        connection without any response, as a reset would. ``headers`` are added (e.g.
        ``Retry-After``)."""
        self._arm(_Fault(
            prefix=_rooted(path_prefix), kind="status", status=status, headers=dict(headers or {}),
            remaining=times, exact=exact, ranged=ranged,
        ))

    def drop(
        self,
        path_prefix: str,
        *,
        after: int = 0,
        times: int | None = 1,
        exact: bool = False,
        ranged: bool | None = None,
    ) -> None:
        """Send the real answer's headers and ``after`` bytes of its body, then reset the
        connection (TCP RST): a connection dropped midway through a file. At least one byte
        of the body is always withheld."""
        self._arm(_Fault(
            prefix=_rooted(path_prefix), kind="drop", after=after, remaining=times, exact=exact,
            ranged=ranged,
        ))

    def truncate(
        self,
        path_prefix: str,
        *,
        after: int = 0,
        times: int | None = 1,
        exact: bool = False,
        ranged: bool | None = None,
    ) -> None:
        """Send the real answer, its ``Content-Length`` intact, but only ``after`` bytes of
        its body, then close the connection cleanly: a body shorter than its
        ``Content-Length``. At least one byte is always withheld."""
        self._arm(_Fault(
            prefix=_rooted(path_prefix), kind="truncate", after=after, remaining=times,
            exact=exact, ranged=ranged,
        ))

    def stall(
        self,
        path_prefix: str,
        seconds: float,
        *,
        after: int | None = None,
        times: int | None = 1,
        exact: bool = False,
        ranged: bool | None = None,
    ) -> None:
        """Say nothing for ``seconds`` before the status line (``after=None``) or after
        ``after`` bytes of the body, then send the rest: a server that stalls. A stall ends
        early when the server closes; a client that gave up meanwhile is simply gone."""
        self._arm(_Fault(
            prefix=_rooted(path_prefix), kind="stall", after=after, seconds=seconds,
            remaining=times, exact=exact, ranged=ranged,
        ))

    def corrupt(
        self,
        path_prefix: str,
        *,
        times: int | None = 1,
        exact: bool = False,
        ranged: bool | None = None,
    ) -> None:
        """Send the real answer with one byte of its body changed (same length): a file
        whose hash disagrees with the one the index advertises."""
        self._arm(_Fault(
            prefix=_rooted(path_prefix), kind="corrupt", remaining=times, exact=exact,
            ranged=ranged,
        ))

    def _arm(self, fault: _Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1 (or None: until clear_faults())")
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self._faults.clear()

    @property
    def injected(self) -> list[tuple[str, str]]:
        """``(kind, path)`` of every fault that struck, oldest first (``kind`` is ``"status"``,
        ``"drop"``, ``"truncate"``, ``"stall"`` or ``"corrupt"``): proof that a test's fault
        really happened."""
        with self._lock:
            return list(self._injected)

    def _take_fault(self, path: str, has_range: bool, *, shaping: bool) -> _Fault | None:
        """The first armed fault for this request (a status fault, or with ``shaping`` a
        body-shaping one), counted as struck."""
        with self._lock:
            for fault in self._faults:
                if (fault.kind != "status") == shaping and fault.matches(path, has_range):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    self._injected.append((fault.kind, path))
                    return fault
        return None

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def _record(self, request: LoggedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def clear_log(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._log.clear()

    def downloads(self, filename: str) -> int:
        """How many GETs of ``/files/<filename>`` were answered with 200 or 206."""
        wanted = f"/files/{filename}"
        return sum(
            1
            for r in self.requests
            if r.method == "GET"
            and r.status in (200, 206)
            and unquote(r.path.partition("?")[0]) == wanted
        )

    def paths(self, method: str | None = None) -> list[str]:
        """The logged request paths (of ``method`` only, when given), oldest first."""
        return [r.path for r in self.requests if method is None or r.method == method]

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Stop serving, drop open connections and delete any build folder it owns."""
        if self._closed:
            return
        self._closed = True
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            try:
                sock.shutdown(2)  # type: ignore[attr-defined]
            except OSError:
                pass
        self._thread.join(timeout=5)
        if self._own_build_dir is not None:
            self._own_build_dir.cleanup()

    def __enter__(self) -> IndexServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<IndexServer {self.url} files={len(self._entries)}>"

    # ------------------------------------------------------------------ rendering

    def _project_entries(self, project: str) -> list[_Entry]:
        with self._lock:
            return sorted(
                (e for e in self._entries.values() if e.project == project),
                key=lambda e: e.filename,
            )

    def _projects(self) -> list[str]:
        with self._lock:
            return sorted({e.project for e in self._entries.values()})

    def _file_json(self, entry: _Entry) -> dict[str, object]:
        item: dict[str, object] = {
            "filename": entry.filename,
            "url": self.file_url(entry.filename),
            "hashes": {"sha256": entry.sha256},
            "requires-python": entry.requires_python,
            "yanked": False if entry.yanked is None else (entry.yanked or True),
            "size": entry.size,
        }
        if entry.upload_time is not None:
            item["upload-time"] = entry.upload_time
        if self.metadata and entry.metadata is not None:
            digest = {"sha256": hashlib.sha256(entry.metadata).hexdigest()}
            item["core-metadata"] = digest
            item["dist-info-metadata"] = digest
        return item

    def _project_json(self, project: str, entries: list[_Entry]) -> bytes:
        from packaging.version import InvalidVersion, Version

        def version_key(v: str) -> tuple[int, object]:
            try:
                return (0, Version(v))
            except InvalidVersion:
                return (1, v)

        versions = sorted({e.version for e in entries}, key=version_key)
        page = {
            "meta": {"api-version": "1.1"},
            "name": project,
            "versions": versions,
            "files": [self._file_json(e) for e in entries],
        }
        return json.dumps(page, indent=1).encode()

    def _anchor(self, entry: _Entry) -> str:
        attrs = [f'href="{html.escape(self.file_url(entry.filename))}#sha256={entry.sha256}"']
        if entry.requires_python is not None:
            attrs.append(f'data-requires-python="{html.escape(entry.requires_python)}"')
        if entry.yanked is not None:
            attrs.append(f'data-yanked="{html.escape(entry.yanked)}"')
        if self.metadata and entry.metadata is not None:
            value = "sha256=" + hashlib.sha256(entry.metadata).hexdigest()
            attrs.append(f'data-core-metadata="{value}"')
            attrs.append(f'data-dist-info-metadata="{value}"')
        return f"    <a {' '.join(attrs)}>{html.escape(entry.filename)}</a><br/>"

    def _html_page(self, title: str, lines: Iterable[str]) -> bytes:
        body = "\n".join(lines)
        return (
            "<!DOCTYPE html>\n<html>\n  <head>\n"
            '    <meta name="pypi:repository-version" content="1.1">\n'
            f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
            f"    <h1>{html.escape(title)}</h1>\n{body}\n  </body>\n</html>\n"
        ).encode()

    def _render_root(self, fmt: str) -> bytes:
        projects = self._projects()
        if fmt == "json":
            page = {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]}
            return json.dumps(page, indent=1).encode()
        anchors = (f'    <a href="/simple/{quote(p)}/">{html.escape(p)}</a><br/>' for p in projects)
        return self._html_page("Simple index", anchors)

    def _render_project(self, project: str, fmt: str) -> bytes | None:
        entries = self._project_entries(project)
        if not entries:
            return None
        if fmt == "json":
            return self._project_json(project, entries)
        return self._html_page(f"Links for {project}", (self._anchor(e) for e in entries))

    def _render_links(self) -> bytes:
        with self._lock:
            entries = sorted(self._entries.values(), key=lambda e: e.filename)
        return self._html_page("Links", (self._anchor(e) for e in entries))

    def _last_modified(self, project: str | None) -> float:
        with self._lock:
            times = [
                e.published
                for e in self._entries.values()
                if project is None or e.project == project
            ]
        return max(times, default=0.0)

    def _entry(self, filename: str) -> _Entry | None:
        with self._lock:
            return self._entries.get(filename)

    def _negotiate(self, accept: str | None, query_format: str | None) -> str | None:
        """``"json"``, ``"html"`` or ``None`` (nothing acceptable is enabled → 406)."""
        if query_format:
            accept = query_format
        if not accept:
            accept = "text/html"
        quality = _quality(accept)
        wildcard = max(quality.get("*/*", 0.0), quality.get("application/*", 0.0))
        json_q = max([quality.get(t, 0.0) for t in _JSON_ACCEPTS] + [wildcard])
        html_q = max([quality.get(t, 0.0) for t in _HTML_ACCEPTS] + [quality.get("*/*", 0.0)])
        options = []
        if self.json and json_q > 0:
            options.append((json_q, 1, "json"))
        if self.html and html_q > 0:
            # On a tie (e.g. a bare */*) HTML wins, as on PyPI: old clients send */*.
            options.append((html_q, 2, "html"))
        if not options:
            return None
        return max(options)[2]


def _http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """One ``bytes=`` range → inclusive ``(start, end)``; ``None`` to ignore it (several
    ranges, bad syntax: a 200 is a valid answer); ``"unsatisfiable"`` for a 416."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if not first:
            length = int(last)
            if length <= 0:
                return "unsatisfiable"
            return (max(size - length, 0), size - 1) if size else "unsatisfiable"
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start > end and last:
        return None
    if start >= size:
        return "unsatisfiable"
    return (start, min(end, size - 1))


class _Server(ThreadingHTTPServer):
    """socketserver's accept queue is 5 long: a client opening dozens of connections at once
    overflowed it, and each dropped connection waited a second or more for its retry."""

    request_queue_size = 1024


def _make_handler(server: IndexServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        index = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    """One request against :attr:`index`; every branch ends in :meth:`_respond`."""

    index: IndexServer
    protocol_version = "HTTP/1.1"  # keep-alive, as pooled clients expect
    timeout = 30  # an idle kept-alive connection does not hold its thread forever
    # Headers and body are written separately: with Nagle's algorithm on, the body of every
    # answer on a kept-alive connection waited for the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True
    server_version = "spoke-test-index/1.0"

    def setup(self) -> None:
        if self.index.ssl_context is not None:
            try:
                self.request.settimeout(self.timeout)
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.index._record(LoggedRequest("TLS", "", 0, {}))
                raise
        super().setup()
        with self.index._lock:
            self.index._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.index._lock:
                self.index._connections.discard(self.connection)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the request log is the record; stderr noise would only clutter test output

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._respond(405, b"method not allowed\n", {"Allow": "GET, HEAD"})

    # ------------------------------------------------------------------

    def _respond(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        fault = None
        if self.command == "GET" and status in (200, 206) and body:
            fault = self.index._take_fault(
                unquote(urlsplit(self.path).path), "Range" in self.headers, shaping=True
            )
        self.index._record(
            LoggedRequest(self.command, self.path, status, dict(self.headers.items()))
        )
        if fault is None:
            self._write_head(status, len(body), headers)
            if self.command != "HEAD" and status not in (204, 304) and body:
                self.wfile.write(body)
            return
        try:
            self._write_faulty(fault, status, body, headers)
        except OSError:
            pass  # the client gave up first (a stall outlived its timeout): nothing to tell it
        self.close_connection = True

    def _write_head(self, status: int, length: int, headers: dict[str, str] | None) -> None:
        self.send_response(status)
        # A 304 has no body by definition; a Content-Length there would describe the 200.
        all_headers = {} if status == 304 else {"Content-Length": str(length)}
        all_headers.update(headers or {})
        for key, value in all_headers.items():
            self.send_header(key, value)
        self.end_headers()

    def _write_faulty(
        self, fault: _Fault, status: int, body: bytes, headers: dict[str, str] | None
    ) -> None:
        """Write an answer as ``fault`` shapes it (the connection is closed afterwards)."""
        # Every write leaves at once: under Nagle a short piece could still wait in the send
        # queue when a drop resets the connection, and the reset would discard it unsent.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if fault.kind == "corrupt":
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
        if fault.kind == "stall" and fault.after is None:
            self.index._closing.wait(fault.seconds)
        self._write_head(status, len(body), headers)
        if fault.kind in ("corrupt", "stall") and fault.after is None:
            self.wfile.write(body)
            return
        cut = min(fault.after or 0, len(body) - 1)
        self.wfile.write(body[:cut])
        if fault.kind == "stall":
            self.index._closing.wait(fault.seconds)
            self.wfile.write(body[cut:])
        elif fault.kind == "drop":
            # SO_LINGER 0: closing sends a reset, not an orderly FIN. The socket object is
            # detached first so socketserver's own shutdown and close find nothing to do.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            socket.close(self.connection.detach())
        # "truncate": returning with close_connection set closes the connection cleanly.

    def _handle(self) -> None:
        index = self.index
        split = urlsplit(self.path)
        path = unquote(split.path)

        if index.auth is not None and not self._authorized():
            self._respond(
                401, b"authentication required\n", {"WWW-Authenticate": 'Basic realm="spoke-test"'}
            )
            return

        fault = index._take_fault(path, "Range" in self.headers, shaping=False)
        if fault is not None:
            if fault.status == 0:
                index._record(LoggedRequest(self.command, self.path, 0, dict(self.headers.items())))
                self.close_connection = True
                return
            self._respond(fault.status, b"injected failure\n", fault.headers)
            return

        if path == "/simple" or path.startswith("/simple/"):
            self._simple(path, parse_qs(split.query).get("format", [None])[0])
        elif path.startswith("/files/"):
            self._file(path.removeprefix("/files/"))
        elif path in ("/links", "/links/"):
            body = index._render_links()
            self._page(body, "text/html", index._last_modified(None))
        elif path.startswith("/pypi/") and path.endswith("/json"):
            self._release_json(path)
        else:
            self._respond(404, b"not found\n")

    def _release_json(self, path: str) -> None:
        """PyPI's ``/pypi/<project>/<version>/json``, with the release's vulnerabilities."""
        from tests.support.osv_server import affects, fixed_in

        parts = [unquote(p) for p in path.split("/") if p]
        if len(parts) != 4:
            self._respond(404, b"not found\n")
            return
        name, version = canonicalize_name(parts[1]), parts[2]
        with self.index._lock:
            files = [e for e in self.index._entries.values()
                     if canonicalize_name(e.project) == name and e.version == version]
            records = [r for key, found in self.index.vulnerabilities.items()
                       if canonicalize_name(key) == name for r in found]
        if not files:
            self._respond(404, b'{"message": "Not Found"}', {"Content-Type": "application/json"})
            return
        vulns = [{
            "id": r["id"], "aliases": list(r.get("aliases") or []), "details": r.get("details", ""),
            "summary": r.get("summary"), "fixed_in": fixed_in(r, name), "link": f"https://osv.dev/vulnerability/{r['id']}",
            "source": "osv", "withdrawn": r.get("withdrawn"),
        } for r in records if affects(r, name, version)]
        body = json.dumps({
            "info": {"name": files[0].project, "version": version},
            "urls": [{"filename": e.filename, "digests": {"sha256": e.sha256}} for e in files],
            "vulnerabilities": vulns,
        }).encode()
        self._respond(200, body, {"Content-Type": "application/json"})

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (user, password) == self.index.auth

    def _simple(self, path: str, query_format: str | None) -> None:
        index = self.index
        parts = [p for p in path.split("/") if p]
        if len(parts) > 2:
            self._respond(404, b"not found\n")
            return
        # One hop to the canonical URL, as PyPI does: normalized name, trailing slash.
        canonical = "/simple/" + "".join(f"{quote(canonicalize_name(p))}/" for p in parts[1:])
        if path != canonical:
            self._respond(301, b"", {"Location": canonical})
            return
        fmt = index._negotiate(self.headers.get("Accept"), query_format)
        if fmt is None:
            self._respond(406, b"no acceptable content type\n")
            return
        if len(parts) == 1:
            body = index._render_root(fmt)
            self._page(body, fmt, index._last_modified(None))
            return
        project = canonicalize_name(parts[1])
        body = index._render_project(project, fmt)
        if body is None:
            self._respond(404, b"not found\n")
            return
        self._page(body, fmt, index._last_modified(project))

    def _page(self, body: bytes, fmt: str, modified: float) -> None:
        if fmt == "json":
            ctype = JSON_TYPE
        elif fmt == "html":
            accept = (self.headers.get("Accept") or "").lower()
            ctype = HTML_TYPE if HTML_TYPE in accept else "text/html; charset=utf-8"
        else:
            ctype = fmt
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        self._conditional(body, ctype, etag, modified, {"Vary": "Accept"})

    def _conditional(
        self, body: bytes, ctype: str, etag: str, modified: float, extra: dict[str, str]
    ) -> None:
        """200 with validators, or 304 when the client's copy is current."""
        index = self.index
        headers = {"Content-Type": ctype, **extra}
        if index.cache_control is not None:
            headers["Cache-Control"] = index.cache_control
        if index.etags:
            headers["ETag"] = etag
            headers["Last-Modified"] = _http_date(modified)
            if self._not_modified(etag, modified):
                self._respond(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
                return
        self._respond(200, body, headers)

    def _not_modified(self, etag: str, modified: float) -> bool:
        # RFC 9110 13.2.2: If-None-Match, when present, decides; If-Modified-Since otherwise.
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
            return int(modified) <= since
        return False

    def _file(self, filename: str) -> None:
        index = self.index
        if filename.endswith(".metadata"):
            entry = index._entry(filename.removesuffix(".metadata"))
            if entry is None or entry.metadata is None or not index.metadata:
                self._respond(404, b"not found\n")
                return
            etag = '"' + hashlib.sha256(entry.metadata).hexdigest()[:32] + '"'
            self._conditional(
                entry.metadata, "application/octet-stream", etag, entry.published, {}
            )
            return
        entry = index._entry(filename)
        if entry is None:
            self._respond(404, b"not found\n")
            return
        data = entry.path.read_bytes()
        etag = '"' + entry.sha256[:32] + '"'
        ctype = "application/zip" if filename.endswith((".whl", ".zip")) else "application/x-tar"
        headers = {"Content-Type": ctype}
        if index.cache_control is not None:
            headers["Cache-Control"] = index.cache_control
        if index.etags:
            headers["ETag"] = etag
            headers["Last-Modified"] = _http_date(entry.published)
            if self._not_modified(etag, entry.published):
                self._respond(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
                return
        range_header = self.headers.get("Range")
        if not index.ranges:
            self._respond(200, data, headers)
            return
        headers["Accept-Ranges"] = "bytes"
        if range_header and self._if_range_holds(etag, entry.published):
            span = _parse_range(range_header, len(data))
            if span == "unsatisfiable":
                headers["Content-Range"] = f"bytes */{len(data)}"
                self._respond(416, b"", headers)
                return
            if isinstance(span, tuple):
                start, end = span
                headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                self._respond(206, data[start : end + 1], headers)
                return
        self._respond(200, data, headers)

    def _if_range_holds(self, etag: str, modified: float) -> bool:
        """``If-Range``: serve the range only if the client's validator is still current."""
        value = self.headers.get("If-Range")
        if value is None:
            return True
        if value.startswith(('"', "W/")):
            return self.index.etags and value == etag
        try:
            return email.utils.parsedate_to_datetime(value).timestamp() >= int(modified)
        except (TypeError, ValueError):
            return False
