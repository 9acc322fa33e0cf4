"""Plan.install → wheels unpacked in the cache, ready to link.

Each file is fetched at most once: a wheel already unpacked in the cache (keyed by its sha256)
costs nothing; one the metadata stage had to download whole is unpacked from there; the rest
are downloaded concurrently, checked against the index's hashes (and the user's ``--hash``
values) and unpacked, in worker threads (:func:`start_prepare`; the app runs them in a child
process, see :mod:`spoke.prepare.offload`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from spoke.cache import Cache, key_for
from spoke.errors import BuildRequiredError, HashMismatchError, NotCachedError, not_cached
from spoke.models import IndexFile, UnpackedWheel
from spoke.prepare.workers import HeaviestFirst


def wheel_download_path(cache: Cache, file: IndexFile) -> Path:
    """Where a downloaded archive of ``file`` lives in the cache."""
    key = file.sha256 or key_for(file.url)
    return cache.bucket("wheels") / key / file.filename


def local_path(url: str) -> Path | None:
    """The local path of a ``file://`` URL (None for remote URLs)."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


def file_digests(path: Path, algorithms: Sequence[str] = ("sha256",)) -> dict[str, str]:
    """Hex digests of a file for each algorithm (read once)."""
    import hashlib

    digests = {a: hashlib.new(a) for a in {*algorithms, "sha256"}}
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            for d in digests.values():
                d.update(chunk)
    return {a: d.hexdigest() for a, d in digests.items()}


def check_allowed_hashes(path: Path, allowed: Sequence[str], *, filename: str) -> str:
    """Check ``path`` against the user's ``--hash`` values (``algo:hex``); return its sha256.

    A mismatch names the file, every allowed hash and the actual one.
    """
    actual = file_digests(path, [h.partition(":")[0] for h in allowed])
    if allowed and not any(actual.get(a) == d for a, _, d in (h.partition(":") for h in allowed)):
        raise HashMismatchError(
            f"Hash mismatch for {filename}",
            notes=[f"expected one of: {', '.join(allowed)}", f"got: sha256:{actual['sha256']}"],
            hint="The file differs from the one your requirements pin. If the new file is "
            "trusted, update the --hash values.",
        )
    return actual["sha256"]


def fetch_one(
    file: IndexFile,
    *,
    http: object,
    cache: Cache,
    allowed_hashes: Sequence[str] = (),
) -> UnpackedWheel | tuple[Path, str | None]:
    """The first stage of preparing a wheel: the wheel already unpacked in the cache, or
    the local path of its archive (downloaded if needed, hashes checked) and its sha256."""
    from spoke.prepare.unpack import cached_unpacked

    if not file.is_wheel:
        raise BuildRequiredError(
            f"{file.name} {file.version} has only a source distribution ({file.filename}), "
            "and building from source is not supported yet",
            hint="Pick a version that has a wheel for this platform.",
        )
    sha = file.sha256
    if sha and not allowed_hashes:
        hit = cached_unpacked(cache, sha)
        if hit is not None:
            return hit
    local = local_path(file.url)
    if local is not None:
        path = local
    else:
        path = wheel_download_path(cache, file)
        if not path.exists() and sha and not allowed_hashes:
            hit = cached_unpacked(cache, sha)  # an early unpack may have just finished
            if hit is not None:
                return hit
        if not path.exists():
            try:
                http.download(  # type: ignore[attr-defined]
                    file.url, path, expected_hashes=file.hashes or None, progress_name=f"{file.name} {file.version}",
                )
            except NotCachedError:
                raise not_cached(f"{file.name} {file.version}", f"{file.filename} was never downloaded") from None
    if allowed_hashes:
        sha = check_allowed_hashes(path, allowed_hashes, filename=file.filename)
    return path, sha


def unpack_fetched(
    file: IndexFile, fetched: UnpackedWheel | tuple[Path, str | None], *, cache: Cache, keep_archive: bool = False,
    http: object = None,
) -> UnpackedWheel:
    """The second stage of preparing a wheel: unpack what :func:`fetch_one` gave.

    The downloaded archive is removed once unpacked unless ``keep_archive`` (an early unpack
    running beside the solver keeps it, so a concurrent ``prepare`` never finds it missing).
    Another spoke process sharing the cache may remove it too, between :func:`fetch_one`
    finding it and the unpack opening it: then the wheel it unpacked is used, or, when the
    index gave no hash to find that by, the archive is fetched again with ``http``.
    """
    from spoke.prepare.unpack import cached_unpacked, unpack_wheel

    if isinstance(fetched, UnpackedWheel):
        return fetched
    path, sha = fetched
    for attempt in range(1, _VANISHED_ARCHIVE_ATTEMPTS + 1):
        try:
            unpacked = unpack_wheel(path, cache=cache, sha256=sha)
            break
        except FileNotFoundError:
            # Only the cache's own copy vanishes this way: a local file the user named is gone
            # for real. The attempts are bounded in case some other cause keeps removing it.
            if local_path(file.url) is not None or http is None or attempt == _VANISHED_ARCHIVE_ATTEMPTS:
                raise
            hit = cached_unpacked(cache, sha) if sha else None
            if hit is not None:
                return hit
            # The new copy is unpacked against ``sha``, so it is held to whatever the first
            # one was checked against (the index's hash or the user's --hash values).
            again = fetch_one(file, http=http, cache=cache)
            if isinstance(again, UnpackedWheel):
                return again
            path = again[0]
    if local_path(file.url) is None and not keep_archive:
        # The unpacked tree is what installs use; the archive itself is not needed again.
        try:
            os.unlink(path)
        except OSError:
            pass
    return unpacked


#: How often an archive that another process removed is fetched again before its absence is
#: an error (each time takes a whole download, and one more process had to win the race).
_VANISHED_ARCHIVE_ATTEMPTS = 3


def start_prepare(
    file: IndexFile,
    *,
    http: object,
    cache: Cache,
    downloads: Executor,
    unpacks: Executor,
    allowed_hashes: Sequence[str] = (),
    keep_archive: bool = False,
    on_fetched: Callable[[UnpackedWheel | tuple[Path, str | None]], None] | None = None,
) -> Future[UnpackedWheel]:
    """Fetch (if needed) and unpack one wheel in two pools: the download (:func:`fetch_one`)
    in ``downloads``, the unpack (:func:`unpack_fetched`) in ``unpacks``.

    Unpacking is CPU and file creation, best two at a time; downloads are network, best many
    at a time. In one pool, queued unpacks held back downloads (a big wheel chosen early was
    still waiting for a worker a second later). A :class:`~spoke.prepare.workers.HeaviestFirst`
    ``unpacks`` pool takes the biggest archive waiting first. The future carries the first
    failure. ``on_fetched`` is given what :func:`fetch_one` found, before the unpack starts.
    """
    out: Future[UnpackedWheel] = Future()

    def settle(job: Future[Any]) -> bool:
        if job.cancelled():  # the pools were shut down (the command is ending)
            out.cancel()
            return False
        exc = job.exception()
        if exc is not None:
            out.set_exception(exc)
            return False
        return True

    def unpacked(job: Future[UnpackedWheel]) -> None:
        if settle(job):
            out.set_result(job.result())

    def fetched(job: Future[Any]) -> None:
        if not settle(job):
            return
        result = job.result()
        if on_fetched is not None:
            on_fetched(result)
        if isinstance(result, UnpackedWheel):
            out.set_result(result)
            return
        try:
            weight = {"weight": file.size or 0} if isinstance(unpacks, HeaviestFirst) else {}
            unpacks.submit(unpack_fetched, file, result, cache=cache, keep_archive=keep_archive, http=http,
                           **weight).add_done_callback(unpacked)
        except BaseException as exc:  # noqa: BLE001 - e.g. the pool is shutting down; never leave `out` pending
            out.set_exception(exc)

    downloads.submit(fetch_one, file, http=http, cache=cache, allowed_hashes=allowed_hashes
                     ).add_done_callback(fetched)
    return out


def start_all(
    files: Sequence[IndexFile],
    *,
    start: Callable[[IndexFile, Sequence[str]], Future[UnpackedWheel]],
    hashes: Mapping[str, Sequence[str]] | None = None,
    started: Mapping[str, Future[UnpackedWheel]] | None = None,
) -> dict[str, Future[UnpackedWheel]]:
    """Start preparing every file; a future of each unpacked wheel by project name.

    ``start(file, allowed_hashes)`` begins one file's job (:func:`start_prepare` in some pools,
    or :meth:`spoke.app.context.Context.start_prepare`). ``started`` maps URLs to jobs begun
    earlier (while resolving); those are awaited, not redone, unless the user gave hashes.
    """
    hashes = hashes or {}
    started = started or {}
    futures: dict[str, Future[UnpackedWheel]] = {}
    for f in files:
        early = started.get(f.url)
        if early is not None and not hashes.get(f.name):
            futures[f.name] = early  # already being fetched since the solver chose it
        else:
            futures[f.name] = start(f, hashes.get(f.name, ()))
    return futures


_T = TypeVar("_T")


def pass_on(done: Future[_T], job: Future[_T]) -> None:
    """Give ``job`` the outcome of ``done`` (a result, an exception or a cancellation); for
    ``done.add_done_callback``, where another future stands for the work."""
    if done.cancelled():
        job.cancel()
    elif done.exception() is not None:
        job.set_exception(done.exception())
    else:
        job.set_result(done.result())


def gather(futures: Mapping[str, Future[_T]]) -> dict[str, _T]:
    """Every result of :func:`start_all`'s jobs (or any jobs by name). The first failure is
    raised after every job has finished, so no worker is left writing behind the caller's back."""
    results: dict[str, _T] = {}
    error: BaseException | None = None
    for name, fut in futures.items():
        try:
            results[name] = fut.result()
        except BaseException as exc:  # noqa: BLE001 - re-raised below, after all jobs end
            if error is None:
                error = exc
    if error is not None:
        raise error
    return results
