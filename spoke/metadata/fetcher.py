"""The core metadata of a candidate file, fetched the cheapest way and parsed once.

Order of attempts for :meth:`MetadataFetcher.get`:

1. the ``metadata`` cache bucket: raw ``METADATA`` bytes, keyed by the file's sha256 when the
   index gave one (a file named by its hash never changes, so the entry is good forever), by
   the URL otherwise, and by path, mtime and size for local files;
2. a local ``file://`` wheel: read from the zip directly;
3. a wheel already downloaded into the ``wheels`` bucket (by :meth:`wheel_path_for`): a local
   read beats any request, and it is all ``--offline`` may use;
4. the PEP 658 ``.metadata`` file when the index offers one (its digest checked);
5. HTTP range reads of the wheel's central directory (:mod:`spoke.metadata.zipread`);
6. the whole wheel, downloaded to :meth:`wheel_path_for` — where ``prepare`` looks for it, so
   the download is not repeated at install time.

Offline (the HTTP client refuses every request), a file whose metadata is in none of the local
places is :func:`~spoke.errors.not_cached`, naming its project and version.

An sdist has no metadata to read without a build: :class:`~spoke.errors.BuildRequiredError`
lets the caller decide (build, or skip the version). Every answer is checked to name the
file's project and version. The raw bytes are cached, not the parsed value: parsing is cheap,
and the format of ``METADATA`` is stabler than any format spoke could invent.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit
from urllib.request import url2pathname

from spoke.cache import Cache, key_for, write_later
from spoke.errors import (
    BuildRequiredError,
    HashMismatchError,
    HTTPStatusError,
    NotCachedError,
    UnsafeArchiveError,
    not_cached,
)
from spoke.metadata.parse import check_matches, parse_core_metadata
from spoke.metadata.zipread import (
    TAIL_SIZE,
    NeedWholeFile,
    read_local_metadata,
    read_remote_metadata,
)
from spoke.models import CoreMetadata, IndexFile
from spoke.net.singleflight import Once
from spoke.protocols import NullReporter, Reporter

__all__ = ["MetadataFetcher"]

_SHA256 = re.compile(r"[0-9a-f]{64}\Z")

WHOLE_FILE_SIZE = 1 << 20
"""Wheels up to this size (when the index gives sizes) are downloaded whole for their metadata."""


class WholeWheels(Protocol):
    """Where the fetcher sends the wheels it must download whole (the prepare stage's
    :class:`~spoke.prepare.preparer.Preparer`)."""

    def download_whole(self, file: IndexFile, dest: Path) -> Path | None:
        """Download ``file`` (to ``dest`` or elsewhere) and answer where it is; ``None``: the
        fetcher downloads it itself."""

    def downloaded(self, file: IndexFile, path: Path) -> None:
        """The fetcher downloaded ``file`` whole to ``path`` (it may be unpacked now)."""


class MetadataFetcher:
    """Core metadata of index files; see the module docstring for the order of attempts.

    ``http`` is a :class:`spoke.net.client.HttpClient`; ``executor`` runs :meth:`prefetch`
    work (without one, prefetching does nothing). Thread-safe: one file's metadata is fetched
    once however many threads ask, and a :meth:`get` of a file being prefetched waits for
    that work instead of repeating it.
    """

    def __init__(
        self,
        http: object,
        *,
        cache: Cache,
        executor: Executor | None = None,
        reporter: Reporter | None = None,
        wheels: WholeWheels | None = None,
    ) -> None:
        self._http = http
        self._cache = cache
        # Where wheels needed whole go (the prepare stage: it downloads them beside the solver
        # and unpacks them next); None: the fetcher downloads them itself and tells no one.
        self._wheels = wheels
        self._executor = executor
        self._reporter = reporter if reporter is not None else NullReporter()
        self._once: Once[CoreMetadata] = Once()

    def get(self, file: IndexFile) -> CoreMetadata:
        """The core metadata of ``file``.

        Raises :class:`~spoke.errors.BuildRequiredError` for an sdist,
        :class:`~spoke.errors.MetadataError` for a malformed or mismatched wheel,
        :class:`~spoke.errors.HashMismatchError` for a ``.metadata`` file or download that does
        not match its digest, and the HTTP client's errors.
        """
        return self._once.get(file.url, lambda: self._load(file))

    def prefetch(self, files: Iterable[IndexFile]) -> None:
        """Start fetching the metadata of the wheels among ``files``; returns at once."""
        if self._executor is None:
            return
        for file in files:
            if file.is_wheel:
                self._once.schedule(file.url, functools.partial(self._load, file), self._executor)

    def wheel_path_for(self, file: IndexFile) -> Path:
        """Where the whole wheel is (or will be) stored in the ``wheels`` bucket.

        ``<wheels>/<sha256>/<filename>``, or ``<wheels>/url-<key>/<filename>`` for a file the
        index gave no sha256 for. ``prepare`` checks this path before downloading.
        """
        filename = file.filename
        if "/" in filename or "\\" in filename or filename.startswith("."):
            raise UnsafeArchiveError(f"The file name `{filename}` is not a plain file name")
        sha256 = file.sha256
        folder = sha256 if sha256 and _SHA256.match(sha256) else "url-" + key_for(file.url)
        return self._cache.bucket("wheels") / folder / filename

    # -- the attempts, cheapest first ---------------------------------------------------------

    def _load(self, file: IndexFile) -> CoreMetadata:
        if not file.is_wheel:
            raise BuildRequiredError(
                f"{file.name} {file.version} has only a source distribution ({file.filename}); "
                "building from source is not supported yet",
                hint="Use `--only-binary :all:` to consider wheels only, or pick a version that "
                "has a wheel",
            )
        entry = self._cache_entry(file)
        if entry is not None:
            try:
                data = entry.read_bytes()
            except OSError:
                pass  # not cached (yet): fetch it
            else:
                return self._parse(data, file)
        try:
            data = self._fetch(file)
        except NotCachedError:
            what = f"the metadata of {file.filename} was never fetched"
            raise not_cached(f"{file.name} {file.version}", what) from None
        metadata = self._parse(data, file)
        if entry is not None:
            write_later(entry, data)
        return metadata

    def _fetch(self, file: IndexFile) -> bytes:
        local = _file_url_path(file.url)
        if local is not None:
            return read_local_metadata(local, project=file.name, source=file.filename)
        wheel = self.wheel_path_for(file)
        if wheel.is_file():
            return read_local_metadata(wheel, project=file.name, source=file.filename)
        if file.metadata_url is not None:
            data = self._pep658(file)
            if data is not None:
                return data
        if file.size is not None and file.size <= WHOLE_FILE_SIZE:
            # One request for the whole small wheel beats two or three range requests, and
            # the install that usually follows finds the file already in the cache.
            return read_local_metadata(self._download(file), project=file.name, source=file.filename)
        try:
            return self._by_ranges(file)
        except NeedWholeFile as exc:
            self._reporter.debug(f"Range reads of {file.filename} failed ({exc}); downloading it")
        return read_local_metadata(self._download(file), project=file.name, source=file.filename)

    def _pep658(self, file: IndexFile) -> bytes | None:
        """The ``.metadata`` file, or ``None`` if the server does not really have it."""
        assert file.metadata_url is not None
        try:
            response = self._http.get(file.metadata_url)  # type: ignore[attr-defined]
        except HTTPStatusError as exc:
            self._reporter.debug(f"No metadata file for {file.filename} ({exc.status})")
            return None
        data: bytes = response.content
        for algorithm, expected in (file.metadata_hashes or {}).items():
            if algorithm not in hashlib.algorithms_guaranteed:
                continue
            actual = hashlib.new(algorithm, data).hexdigest()
            if actual != expected.lower():
                raise HashMismatchError(
                    f"The metadata file of {file.filename} does not match the index's "
                    f"{algorithm} digest",
                    notes=(f"expected {expected}", f"got      {actual}"),
                    hint="The index or a proxy between is serving altered files; try again "
                    "later or report it to the index's operators",
                )
        return data

    def _by_ranges(self, file: IndexFile) -> bytes:
        http = self._http
        tail = http.get_range(file.url, -TAIL_SIZE, None)  # type: ignore[attr-defined]
        if tail is None:
            raise NeedWholeFile("the server ignores range requests")

        def fetch(start: int, end: int) -> bytes:
            # zipread counts ``end`` exclusive, the client (like HTTP) inclusive.
            data = http.get_range(file.url, start, end - 1)  # type: ignore[attr-defined]
            if data is None:
                raise NeedWholeFile("the server stopped honouring range requests")
            return data

        return read_remote_metadata(tail, fetch, project=file.name, source=file.filename)

    def _download(self, file: IndexFile) -> Path:
        dest = self.wheel_path_for(file)
        if self._wheels is not None:
            elsewhere = self._wheels.download_whole(file, dest)
            if elsewhere is not None:
                return elsewhere
        dest.parent.mkdir(parents=True, exist_ok=True)
        # The client writes beside ``dest`` and renames only once the digests match, so another
        # process sharing the cache sees either no wheel or a whole, verified one.
        self._http.download(  # type: ignore[attr-defined]
            file.url,
            dest,
            expected_hashes=dict(file.hashes) or None,
            progress_name=f"{file.name} {file.version}",
        )
        if self._wheels is not None:
            self._wheels.downloaded(file, dest)
        return dest

    # -- caching ------------------------------------------------------------------------------

    def _cache_entry(self, file: IndexFile) -> Path | None:
        """The cache file for ``file``'s metadata; ``None`` when it must not be cached."""
        bucket = self._cache.bucket("metadata")
        sha256 = file.sha256
        if sha256 and _SHA256.match(sha256):
            return bucket / "sha256" / sha256[:2] / sha256
        local = _file_url_path(file.url)
        if local is None:
            return bucket / "url" / key_for(file.url)
        try:
            stat = local.stat()
        except OSError:
            return None
        return bucket / "local" / key_for(f"{local.resolve()}\0{stat.st_mtime_ns}\0{stat.st_size}")

    @staticmethod
    def _parse(data: bytes, file: IndexFile) -> CoreMetadata:
        metadata = parse_core_metadata(data, source=file.filename)
        check_matches(metadata, file)
        return metadata


def _file_url_path(url: str) -> Path | None:
    """The local path of a ``file://`` URL; ``None`` for any other URL."""
    if not url.startswith("file:"):
        return None
    parts = urlsplit(url)
    path = url2pathname(parts.path)
    if parts.netloc and parts.netloc != "localhost":
        path = f"//{parts.netloc}{path}"
    return Path(path)
