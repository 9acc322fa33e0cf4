"""The on-disk store behind ``HttpClient.get(..., cache=True)``: one file per answer.

An entry is keyed by the request URL and its ``Accept`` header and holds the final URL,
status, response headers (lowercase names), the values of the request headers named by
``Vary``, the time it was stored and the body. The file is a JSON header line followed by the
raw body, written atomically, so concurrent spoke processes (and threads) can share the store:
the last writer wins and a reader never sees half an entry. A damaged entry reads as absent.
Which entries may be stored and reused is decided by :mod:`spoke.net.cache_policy`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spoke.cache import key_for, remove_later, write_later
from spoke.net import cache_policy

_MAGIC = b"spoke-http-1\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedResponse:
    """A stored answer and what is needed to decide whether it may be reused."""

    url: str
    status: int
    headers: Mapping[str, str]
    vary: Mapping[str, str]
    stored_at: float
    content: bytes


def _accept(request_headers: Mapping[str, str]) -> str:
    for key, value in request_headers.items():
        if key.lower() == "accept":
            return value
    return ""


class HttpCacheStore:
    """Entries under ``folder`` (the cache's ``http`` bucket).

    Entries are written in the background; until one is on disk, :meth:`load` finds it here.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._unwritten: dict[Path, bytes | None] = {}  # None: being removed

    def path_for(self, url: str, request_headers: Mapping[str, str]) -> Path:
        """Where the answer to ``url`` with these request headers is kept."""
        key = key_for(f"{url}\0{_accept(request_headers)}")
        return self.folder / key[:2] / f"{key}.http"

    def load(self, url: str, request_headers: Mapping[str, str]) -> CachedResponse | None:
        """The stored answer for this request, or ``None`` (absent, damaged or another Vary)."""
        path = self.path_for(url, request_headers)
        with self._lock:
            unwritten = self._unwritten.get(path, b"")
        if unwritten is None:
            return None
        try:
            data = unwritten or path.read_bytes()
        except OSError:
            return None
        if not data.startswith(_MAGIC):
            return None
        header_line, newline, content = data[len(_MAGIC) :].partition(b"\n")
        if not newline:
            return None
        try:
            meta = json.loads(header_line)
            entry = CachedResponse(
                url=str(meta["url"]),
                status=int(meta["status"]),
                headers={str(k): str(v) for k, v in meta["headers"].items()},
                vary={str(k): str(v) for k, v in meta["vary"].items()},
                stored_at=float(meta["stored_at"]),
                content=content,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if not cache_policy.vary_matches(entry.vary, request_headers):
            return None
        return entry

    def save(self, request_url: str, request_headers: Mapping[str, str], entry: CachedResponse) -> None:
        """Store ``entry`` as the answer to ``request_url`` with these request headers (in the
        background: see :func:`spoke.cache.write_later`)."""
        meta = {
            "url": entry.url,
            "status": entry.status,
            "headers": {k.lower(): v for k, v in entry.headers.items()},
            "vary": dict(entry.vary),
            "stored_at": entry.stored_at,
        }
        line = json.dumps(meta, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        self._later(self.path_for(request_url, request_headers), _MAGIC + line + b"\n" + entry.content)

    def delete(self, request_url: str, request_headers: Mapping[str, str]) -> None:
        """Forget the answer to ``request_url`` (after a ``no-store`` answer; in the order of
        :meth:`save`'s writes)."""
        self._later(self.path_for(request_url, request_headers), None)

    def _later(self, path: Path, data: bytes | None) -> None:
        with self._lock:
            self._unwritten[path] = data

        def done() -> None:
            with self._lock:
                if path in self._unwritten and self._unwritten[path] is data:
                    del self._unwritten[path]

        if data is None:
            remove_later(path, then=done)
        else:
            write_later(path, data, then=done)
