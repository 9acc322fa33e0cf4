"""``--find-links`` locations → :class:`~spoke.models.IndexFile` values.

A find-links location is, as in pip, one of:

* a local folder (a path or a ``file://`` URL): every wheel and sdist directly in it;
* a local HTML file, or an ``http(s)://`` page: its anchors, parsed like a PEP 503 page;
* a single local archive: that file.

Unlike an index page, one location lists files of *any* project, so each location is read
once per :class:`FindLinks` (the first time any project is asked for) and then filtered by
name. Local files get no hashes: the installer hashes a file when it reads it anyway, and
hashing a folder of large wheels up front would be wasted work.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from packaging.utils import canonicalize_name

from spoke.errors import HTTPStatusError
from spoke.index.simple import parse_filename, parse_html_page
from spoke.models import IndexFile
from spoke.net.redact import redact_url as redact
from spoke.protocols import NullReporter, Reporter

__all__ = ["FindLinks", "local_path", "scan_folder"]

_HTML_SUFFIXES = (".html", ".htm")


def local_path(location: str) -> Path | None:
    """The filesystem path of a ``file://`` URL or a plain path; ``None`` for other URLs."""
    if location.startswith("file:"):
        parts = urlsplit(location)
        path = url2pathname(parts.path)
        if parts.netloc and parts.netloc != "localhost":
            path = f"//{parts.netloc}{path}"  # a UNC share
        return Path(path)
    if "://" in location:
        return None
    return Path(location).expanduser()


def scan_folder(folder: Path, *, index_url: str) -> list[IndexFile]:
    """Every wheel and sdist directly inside ``folder`` (any project), with ``file://`` URLs."""
    out: list[IndexFile] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return out
    for entry in entries:
        if entry.is_file():
            found = _local_file(Path(entry.path), index_url=index_url)
            if found is not None:
                out.append(found)
    return out


def _local_file(path: Path, *, index_url: str) -> IndexFile | None:
    parsed = parse_filename(path.name)
    if parsed is None:
        return None
    name, version, build, tags = parsed
    try:
        size: int | None = path.stat().st_size
    except OSError:
        size = None
    return IndexFile(
        name=name,
        version=version,
        filename=path.name,
        url=path.resolve().as_uri(),
        size=size,
        tags=tags,
        build_tag=build,
        index_url=index_url,
    )


class FindLinks:
    """The files that a list of find-links locations offers, read lazily and once.

    ``http`` is a :class:`spoke.net.client.HttpClient` (only ``get`` is used). A location
    that does not exist, or a page that answers with an error status, is reported to
    ``reporter`` as a warning and ignored, as pip does. Thread-safe.
    """

    def __init__(
        self,
        http: object,
        locations: Sequence[str],
        *,
        reporter: Reporter | None = None,
    ) -> None:
        self._http = http
        self.locations = tuple(locations)
        self._reporter = reporter if reporter is not None else NullReporter()
        self._loaded: dict[str, list[IndexFile]] = {}
        self._location_locks = {loc: threading.Lock() for loc in self.locations}

    def files(self, name: str) -> list[IndexFile]:
        """The files of project ``name`` found in every location, in location order."""
        wanted = canonicalize_name(name)
        out: list[IndexFile] = []
        for location in self.locations:
            out.extend(f for f in self._load(location) if f.name == wanted)
        return out

    def _load(self, location: str) -> list[IndexFile]:
        # One lock per location: two threads asking for different projects read a page once,
        # while different locations load in parallel.
        with self._location_locks[location]:
            found = self._loaded.get(location)
            if found is None:
                found = self._loaded[location] = self._read(location)
            return found

    def _read(self, location: str) -> list[IndexFile]:
        path = local_path(location)
        if path is None:
            return self._read_page(location)
        index_url = location if "://" in location else path.resolve().as_uri()
        if path.is_dir():
            return scan_folder(path, index_url=index_url)
        if path.is_file():
            if path.name.lower().endswith(_HTML_SUFFIXES):
                text = path.read_text(encoding="utf-8", errors="replace")
                return parse_html_page(
                    text, path.resolve().as_uri(), name=None, index_url=index_url
                )
            single = _local_file(path, index_url=index_url)
            return [single] if single is not None else []
        self._reporter.warning(f"The find-links location {location} does not exist; ignored")
        return []

    def _read_page(self, url: str) -> list[IndexFile]:
        try:
            response = self._http.get(  # type: ignore[attr-defined]
                url, headers={"Accept": "text/html"}, cache=True
            )
        except HTTPStatusError as exc:
            self._reporter.warning(
                f"The find-links page {redact(url)} answered {exc.status}; ignored"
            )
            return []
        text = response.content.decode("utf-8", errors="replace")
        return parse_html_page(text, response.url, name=None, index_url=url)

