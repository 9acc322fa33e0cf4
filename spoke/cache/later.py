"""Cache writes nobody waits for, done by background threads, all before exit.

Two writers: storing an entry is mostly the file system's work (create, write, rename), which
two threads overlap, so a cold resolve of thousands of projects is not left waiting at exit
for one thread to store them all. Each path belongs to one writer, so the writes and removals
of one path still happen in the order asked."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spoke.cache.atomic import write_atomic


def write_later(path: Path, data: bytes | Callable[[], bytes], *, then: Callable[[], None] | None = None) -> None:
    """:func:`write_atomic` in the background, for a cache entry nobody waits for.

    Storing an index page or a metadata file took 20-110 ms each on the thread that had fetched
    it, and the solver waited for that thread's answer. ``data`` may be a function making the
    bytes, so that work leaves the caller's thread too. The write is an optimisation for later
    runs, so a failed one (a full disk, a read-only cache) is dropped. Writes and
    :func:`remove_later` removals of a path happen in the order asked, all before the process ends
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
        pending = list(_later)
    for queue in pending:
        queue.join()


#: Background writers; a path's jobs always go to the same one.
WRITERS = 2


def _queue_later(job: tuple[Path, bytes | Callable[[], bytes] | None, Callable[[], None] | None]) -> None:
    with _later_lock:
        if not _later:
            import atexit
            import queue

            for number in range(WRITERS):
                _later.append(queue.Queue())
                threading.Thread(target=_work_later, args=(_later[-1],), name=f"spoke-cache-writer-{number}",
                                 daemon=True).start()
            atexit.register(flush_later)
        _later[writer_of(job[0])].put(job)


def writer_of(path: Path) -> int:
    """The number of the writer that does every job of ``path``."""
    return hash(path) % WRITERS


def _work_later(pending: Any) -> None:
    while True:
        path, data, then = pending.get()
        try:
            if data is None:
                path.unlink()
            else:
                write_atomic(path, data if isinstance(data, bytes) else data())
        except Exception:  # noqa: BLE001 - a cache entry not written costs only speed
            pass
        finally:
            if then is not None:
                then()
            pending.task_done()


_later_lock = threading.Lock()
_later: list[Any] = []
