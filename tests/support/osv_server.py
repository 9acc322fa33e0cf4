"""An OSV-compatible vulnerability service on 127.0.0.1 for functional tests: :class:`OsvServer`.

It speaks the parts of https://api.osv.dev that auditors use, fed with records written to the
published OSV schema (https://ossf.github.io/osv-schema/; :func:`osv_record` writes one):

* ``POST /v1/query`` — ``{"package": {"name", "ecosystem"}, "version"}`` → ``{"vulns": [full
  records]}`` (``{}`` when none), paged with ``page_token`` / ``next_page_token``;
* ``POST /v1/querybatch`` — ``{"queries": [...]}`` → ``{"results": [{"vulns": [{"id",
  "modified"}], "next_page_token"?}]}``, one result per query, in order (OSV answers ids only);
* ``GET /v1/vulns/{id}`` — the whole record, or 404 ``{"code": 5, "message": "Bug not found."}``;
* ``GET /PyPI/all.zip`` — every record of the PyPI ecosystem as ``{id}.json`` in one zip, as
  OSV's export bucket publishes it.

Matching is the schema's evaluation, written here on its own (not spoke's code): a version is
affected when it is listed in ``versions`` or falls in an ``ECOSYSTEM`` range (events sorted
by version: ``introduced`` opens, ``fixed`` closes at that version, ``last_affected`` closes
after it, ``limit`` caps the range). Withdrawn records are still served, as OSV does: the
client must skip them. Every request is logged before its answer is written, so tests assert
on :meth:`paths` and never on timings; :meth:`fail` makes the service answer an error status.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = ["OsvRequest", "OsvServer", "osv_record"]

_SCHEMA_VERSION = "1.6.0"


def osv_record(
    vuln_id: str,
    package: str,
    *,
    introduced: str = "0",
    fixed: str | Sequence[str] | None = None,
    last_affected: str | None = None,
    limit: str | None = None,
    versions: Sequence[str] = (),
    ranges: Sequence[Sequence[Mapping[str, str]]] | None = None,
    aliases: Sequence[str] = (),
    summary: str | None = None,
    details: str = "",
    withdrawn: str | None = None,
    published: str = "2024-01-02T03:04:05Z",
    modified: str = "2024-02-03T04:05:06.123456Z",
    extra_affected: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One OSV record (schema 1.6) for a PyPI ``package``, shaped as OSV publishes it.

    By default one ``ECOSYSTEM`` range: ``introduced`` then each ``fixed`` (several fixes
    make several ranges, one per release line, as PYSEC/GHSA records do), or ``last_affected``,
    with an optional ``limit``. ``ranges`` replaces that with explicit event lists.
    """
    if ranges is None:
        fixes = [fixed] if isinstance(fixed, str) else list(fixed or [])
        built: list[list[dict[str, str]]] = []
        if fixes:
            starts = [introduced, *fixes[:-1]]
            for start, fix in zip(starts, fixes, strict=True):
                built.append([{"introduced": start}, {"fixed": fix}])
        else:
            events = [{"introduced": introduced}]
            if last_affected is not None:
                events.append({"last_affected": last_affected})
            built.append(events)
        if limit is not None:
            built[-1].append({"limit": limit})
        ranges = built
    affected: dict[str, Any] = {
        "package": {"ecosystem": "PyPI", "name": package, "purl": f"pkg:pypi/{canonicalize_name(package)}"},
        "ranges": [{"type": "ECOSYSTEM", "events": [dict(e) for e in events]} for events in ranges],
    }
    if versions:
        affected["versions"] = list(versions)
    record: dict[str, Any] = {
        "schema_version": _SCHEMA_VERSION,
        "id": vuln_id,
        "modified": modified,
        "published": published,
        "aliases": list(aliases),
        "details": details or f"{package} has a flaw ({vuln_id}).",
        "affected": [affected, *[dict(a) for a in extra_affected]],
        "references": [{"type": "ADVISORY", "url": f"https://osv.dev/vulnerability/{vuln_id}"}],
    }
    if summary is not None:
        record["summary"] = summary
    if withdrawn is not None:
        record["withdrawn"] = withdrawn
    return record


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Version, events: Iterable[Mapping[str, str]]) -> bool:
    """The schema's evaluation of one ECOSYSTEM range."""
    ordered: list[tuple[Version, int, str]] = []
    limits: list[Version] = []
    for event in events:
        for kind, order in (("introduced", 0), ("fixed", 1), ("last_affected", 2)):
            if kind in event:
                at = Version("0") if event[kind] == "0" else _version(event[kind])
                if at is not None:
                    ordered.append((at, order, kind))
        if "limit" in event and event["limit"] != "*":
            cap = _version(event["limit"])
            if cap is not None:
                limits.append(cap)
    affected = False
    for at, _order, kind in sorted(ordered):
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    if limits and not any(version < cap for cap in limits):
        return False
    return affected


def _affects(record: Mapping[str, Any], name: str, version: str) -> bool:
    parsed = _version(version)
    for affected in record.get("affected", ()):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        if version in affected.get("versions", ()):
            return True
        if parsed is None:
            continue
        for rng in affected.get("ranges", ()):
            if rng.get("type") == "ECOSYSTEM" and _in_range(parsed, rng.get("events", ())):
                return True
    return False


def affects(record: Mapping[str, Any], name: str, version: str) -> bool:
    """Whether ``record`` affects PyPI project ``name`` (normalized) at ``version``."""
    return _affects(record, name, version)


def fixed_in(record: Mapping[str, Any], name: str) -> list[str]:
    """The ``fixed`` events of ``record``'s ranges for ``name``, as PyPI lists them (``fixed_in``)."""
    out: list[str] = []
    for affected in record.get("affected", ()):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        for rng in affected.get("ranges", ()):
            out += [e["fixed"] for e in rng.get("events", ()) if "fixed" in e and e["fixed"] not in out]
    return out


class OsvRequest(NamedTuple):
    """One request as the service saw it: method, path, status and the decoded JSON body."""

    method: str
    path: str
    status: int
    body: Any


class OsvServer:
    """The OSV API over HTTP on ``127.0.0.1`` (an ephemeral port), in a daemon thread.

    ``records`` are OSV records (dicts, see :func:`osv_record`); :meth:`add` publishes more
    while it runs. ``page_size`` bounds the vulnerabilities per query answer (OSV pages long
    answers with ``next_page_token``). Use it as a context manager or call :meth:`close`.
    """

    def __init__(self, records: Iterable[Mapping[str, Any]] = (), *, page_size: int = 1000) -> None:
        self.page_size = page_size
        #: Answer every API request with a 200 HTML page (a captive portal, a wrong URL).
        self.garbage = False
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, Any]] = {}
        self._log: list[OsvRequest] = []
        self._failure: int | None = None
        for record in records:
            self.add(record)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"OsvServer:{self.port}", daemon=True,
        )
        self._thread.start()
        self._closed = False
        self._wait_ready()

    def _wait_ready(self, timeout: float = 10.0) -> None:
        """Return once the port accepts a connection; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the OSV test server on port {self.port} never became ready") from None
                time.sleep(0.02)

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the value for ``--osv-url`` (the API's base URL)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def export_url(self) -> str:
        """The URL of the zip of every PyPI record (OSV's ``PyPI/all.zip``)."""
        return f"{self.url}/PyPI/all.zip"

    # ------------------------------------------------------------------ data

    def add(self, record: Mapping[str, Any]) -> None:
        """Publish ``record`` (replacing one with the same id)."""
        with self._lock:
            self._records[str(record["id"])] = json.loads(json.dumps(record))

    def records(self) -> list[dict[str, Any]]:
        """Every published record, by id."""
        with self._lock:
            return [self._records[k] for k in sorted(self._records)]

    def matching(self, name: str, version: str, ecosystem: str = "PyPI") -> list[dict[str, Any]]:
        """The records affecting ``name`` at ``version``, by id (withdrawn ones included)."""
        if ecosystem != "PyPI":
            return []
        key = canonicalize_name(name)
        return [r for r in self.records() if _affects(r, key, version)]

    def export_zip(self) -> bytes:
        """The zip OSV publishes for the PyPI ecosystem: ``{id}.json`` per record."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for record in self.records():
                if any(a.get("package", {}).get("ecosystem") == "PyPI" for a in record.get("affected", ())):
                    archive.writestr(f"{record['id']}.json", json.dumps(record, indent=2))
        return buffer.getvalue()

    # ------------------------------------------------------------------ faults and log

    def fail(self, status: int | None) -> None:
        """Answer every API request with ``status`` from now on (``None``: work again)."""
        with self._lock:
            self._failure = status

    def failure(self) -> int | None:
        with self._lock:
            return self._failure

    def requests(self) -> list[OsvRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._log)

    def paths(self, method: str | None = None) -> list[str]:
        """The paths requested (with ``method`` only, when given)."""
        return [r.path for r in self.requests() if method is None or r.method == method]

    def _record(self, request: OsvRequest) -> None:
        with self._lock:
            self._log.append(request)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Stop serving."""
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OsvServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<OsvServer {self.url} records={len(self._records)}>"


def _make_handler(server: OsvServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        osv = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    osv: OsvServer
    protocol_version = "HTTP/1.1"
    timeout = 30
    server_version = "spoke-test-osv/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = unquote(urlsplit(self.path).path)
        failure = self.osv.failure()
        if failure is not None:
            self._json(failure, {"code": 13, "message": "injected failure"}, None)
        elif path.startswith("/v1/vulns/"):
            vuln_id = path.removeprefix("/v1/vulns/")
            found = {r["id"]: r for r in self.osv.records()}.get(vuln_id)
            if found is None:
                self._json(404, {"code": 5, "message": "Bug not found."}, None)
            else:
                self._json(200, found, None)
        elif path == "/PyPI/all.zip":
            body = self.osv.export_zip()
            self.osv._record(OsvRequest("GET", path, 200, None))
            self._send(200, body, "application/zip")
        else:
            self._json(404, {"code": 5, "message": "Not found."}, None)

    def do_POST(self) -> None:  # noqa: N802
        path = unquote(urlsplit(self.path).path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._json(400, {"code": 3, "message": "Invalid JSON."}, None)
            return
        failure = self.osv.failure()
        if self.osv.garbage:
            self.osv._record(OsvRequest("POST", path, 200, body))
            self._send(200, b"<html><body>Sign in to continue</body></html>", "text/html")
        elif failure is not None:
            self._json(failure, {"code": 13, "message": "injected failure"}, body)
        elif path == "/v1/query" and isinstance(body, dict):
            found, token = self._query(body)
            answer: dict[str, Any] = {"vulns": found} if found else {}
            if token:
                answer["next_page_token"] = token
            self._json(200, answer, body)
        elif path == "/v1/querybatch" and isinstance(body, dict) and isinstance(body.get("queries"), list):
            results = []
            for query in body["queries"]:
                found, token = self._query(query if isinstance(query, dict) else {})
                result: dict[str, Any] = {}
                if found:
                    result["vulns"] = [{"id": r["id"], "modified": r["modified"]} for r in found]
                if token:
                    result["next_page_token"] = token
                results.append(result)
            self._json(200, {"results": results}, body)
        else:
            self._json(400, {"code": 3, "message": "Invalid query."}, body)

    def _query(self, query: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        package = query.get("package") or {}
        name, version = package.get("name"), query.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            return [], None
        found = self.osv.matching(name, version, package.get("ecosystem", ""))
        start = int(query.get("page_token") or 0)
        page = found[start:start + self.osv.page_size]
        more = start + self.osv.page_size < len(found)
        return page, str(start + self.osv.page_size) if more else None

    def _json(self, status: int, payload: Any, body: Any) -> None:
        self.osv._record(OsvRequest(self.command, unquote(urlsplit(self.path).path), status, body))
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
