"""spoke's on-disk cache: versioned buckets, atomic writes, shared safely between processes.

Layout under the cache root (``platformdirs.user_cache_dir("spoke")`` unless ``--cache-dir``)::

    http-v1/          HTTP responses (index pages) with their validators
    metadata-v1/      core metadata of files, keyed by the file's sha256 (never changes)
    wheels-v1/        downloaded archives, keyed by sha256
    archives-v1/      wheels unpacked once, content-addressed by the wheel's sha256
    interpreters-v1/  probe results, keyed by interpreter path and mtime
    satisfied-v1/     requests known to be satisfied by an environment state (see app.noop)
    builds-v1/        wheels built from sdists and commits (by hash and target), build folders
    vcs-v1/           bare mirrors of git repositories
    pages-v1/         big JSON index pages thinned to what a target can use (by page digest)

A bucket's name carries its format version: a change of format takes a new name, and old
buckets are simply ignored. Every write goes to a temporary file in the same folder and is
renamed into place, so a reader never sees a partial file, even across processes.
``--no-cache-dir`` gives a cache in a temporary folder removed when the command ends.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

BUCKETS = {
    "http": "http-v1",
    "metadata": "metadata-v1",
    "wheels": "wheels-v1",
    "archives": "archives-v1",
    "interpreters": "interpreters-v1",
    "builds": "builds-v1",
    "satisfied": "satisfied-v1",
    "vcs": "vcs-v1",
    "pages": "pages-v1",
}


def default_cache_root() -> Path:
    """The per-user cache folder."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("spoke", appauthor=False))


@dataclass(frozen=True, slots=True)
class Cache:
    """A cache root and its buckets. ``temporary`` caches are removed by :meth:`close`."""

    root: Path
    temporary: bool = False

    @classmethod
    def open(cls, root: Path | None, *, disabled: bool = False) -> Cache:
        """Open the cache at ``root`` (default location when ``None``); a temp one if disabled."""
        if disabled:
            return cls(Path(tempfile.mkdtemp(prefix="spoke-cache-")), temporary=True)
        return cls(Path(root) if root is not None else default_cache_root())

    def bucket(self, kind: str) -> Path:
        """The folder of bucket ``kind`` (a key of :data:`BUCKETS`), created if missing."""
        path = self.root / BUCKETS[kind]
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        """Remove a temporary cache; a no-op for a real one."""
        if self.temporary:
            flush_later()  # nothing may still be writing into it
            shutil.rmtree(self.root, ignore_errors=True)


def key_for(text: str) -> str:
    """A short, filesystem-safe key for an arbitrary string (a URL, a path)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (``mode`` if given)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_later(path: Path, data: bytes | Callable[[], bytes], *, then: Callable[[], None] | None = None) -> None:
    """:func:`write_atomic` in the background, for a cache entry nobody waits for.

    Storing an index page or a metadata file took 20-110 ms each on the thread that had fetched
    it, and the solver waited for that thread's answer. ``data`` may be a function making the
    bytes, so that work leaves the caller's thread too. The write is an optimisation for later
    runs, so a failed one (a full disk, a read-only cache) is dropped. Writes and
    :func:`remove_later` removals happen in the order asked, all before the process ends
    (:func:`flush_later` runs at exit) or a temporary cache is removed. ``then`` runs once the
    write is done or dropped.
    """
    _queue_later((path, data, then))


def remove_later(path: Path, *, then: Callable[[], None] | None = None) -> None:
    """Remove a cache entry, after the writes asked before (see :func:`write_later`)."""
    _queue_later((path, None, then))


def flush_later() -> None:
    """Wait until every write and removal asked so far is done."""
    with _later_lock:
        pending = _later
    if pending is not None:
        pending.join()


def _queue_later(job: tuple[Path, bytes | Callable[[], bytes] | None, Callable[[], None] | None]) -> None:
    global _later
    with _later_lock:
        if _later is None:
            import atexit
            import queue

            _later = queue.Queue()
            threading.Thread(target=_work_later, args=(_later,), name="spoke-cache-writer", daemon=True).start()
            atexit.register(flush_later)
        _later.put(job)


def _work_later(pending: Any) -> None:
    while True:
        path, data, then = pending.get()
        try:
            if data is None:
                os.unlink(path)
            else:
                write_atomic(path, data if isinstance(data, bytes) else data())
        except Exception:  # noqa: BLE001 - a cache entry not written costs only speed
            pass
        finally:
            if then is not None:
                then()
            pending.task_done()


_later_lock = threading.Lock()
_later: Any = None


def temp_path_beside(path: Path) -> Path:
    """A fresh temporary path in ``path``'s folder, for a write that ends in a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    os.close(fd)
    return Path(tmp)
