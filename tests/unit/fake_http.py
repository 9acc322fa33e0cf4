"""A stand-in for :class:`spoke.net.client.HttpClient` that serves bytes from a dict.

Every call is recorded in :attr:`FakeHttp.calls` as a tuple — ``("get", url)``,
``("range", url, start, end)``, ``("download", url)`` — so tests assert what was fetched
(and what was not) instead of timing anything.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from spoke.errors import HashMismatchError, HTTPStatusError


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """What ``HttpClient.get`` returns."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    from_cache: bool = False


@dataclass(slots=True, kw_only=True)
class Route:
    """One URL's answer."""

    content: bytes = b""
    status: int = 200
    content_type: str | None = None
    final_url: str | None = None  # a redirect's target, reported as Response.url


class FakeHttp:
    """Serves ``routes`` (URL → bytes or :class:`Route`); unknown URLs answer 404.

    ``ranges=False`` makes ``get_range`` return ``None`` like a server that ignores ranges.
    ``get_range``'s ``end`` is inclusive, as in HTTP's ``bytes=start-end``. ``delay``
    seconds are slept in each call, to widen races in concurrency tests. Thread-safe.
    """

    def __init__(
        self,
        routes: dict[str, bytes | Route] | None = None,
        *,
        ranges: bool = True,
        delay: float = 0.0,
    ) -> None:
        self.routes: dict[str, Route] = {}
        for url, value in (routes or {}).items():
            self.add(url, value)
        self.ranges = ranges
        self.delay = delay
        self.calls: list[tuple[object, ...]] = []
        self.request_headers: list[dict[str, str]] = []
        self.get_kwargs: list[dict[str, object]] = []
        self._lock = threading.Lock()

    def add(self, url: str, value: bytes | Route, *, content_type: str | None = None) -> None:
        """Serve ``value`` at ``url``."""
        route = value if isinstance(value, Route) else Route(content=value)
        if content_type is not None:
            route.content_type = content_type
        self.routes[url] = route

    def calls_of(self, kind: str) -> list[tuple[object, ...]]:
        """The recorded calls of one kind (``"get"``, ``"range"``, ``"download"``)."""
        with self._lock:
            return [c for c in self.calls if c[0] == kind]

    def _record(self, call: tuple[object, ...]) -> None:
        with self._lock:
            self.calls.append(call)
        if self.delay:
            time.sleep(self.delay)

    def _route(self, url: str) -> Route:
        return self.routes.get(url) or Route(status=404, content=b"not found")

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        cache: bool = False,
        accept_status: tuple[int, ...] = (200,),
    ) -> Response:
        self._record(("get", url))
        with self._lock:
            self.request_headers.append(dict(headers or {}))
            self.get_kwargs.append({"cache": cache, "accept_status": accept_status})
        route = self._route(url)
        if route.status not in accept_status:
            raise HTTPStatusError(f"{url} answered {route.status}", status=route.status, url=url)
        response_headers = {}
        if route.content_type is not None:
            response_headers["Content-Type"] = route.content_type
        return Response(
            url=route.final_url or url,
            status=route.status,
            headers=response_headers,
            content=route.content,
        )

    def get_range(self, url: str, start: int, end: int | None) -> bytes | None:
        self._record(("range", url, start, end))
        route = self._route(url)
        if route.status != 200:
            raise HTTPStatusError(f"{url} answered {route.status}", status=route.status, url=url)
        if not self.ranges:
            return None
        data = route.content
        if start < 0:
            return data[start:] if -start < len(data) else data
        if end is None:
            return data[start:]
        return data[start : end + 1]

    def download(
        self,
        url: str,
        dest: Path,
        *,
        expected_hashes: dict[str, str] | None = None,
        progress_name: str | None = None,
    ) -> dict[str, str]:
        self._record(("download", url))
        route = self._route(url)
        if route.status != 200:
            raise HTTPStatusError(f"{url} answered {route.status}", status=route.status, url=url)
        digest = hashlib.sha256(route.content).hexdigest()
        if expected_hashes and expected_hashes.get("sha256", digest) != digest:
            raise HashMismatchError(f"{url} does not match its sha256")
        Path(dest).parent.mkdir(parents=True, exist_ok=True)  # as the real client does
        Path(dest).write_bytes(route.content)
        return {"sha256": digest}
