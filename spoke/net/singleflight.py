"""Single-flight memoization: per-key work shared by threads, each key computed once.

``get(key, fn)`` runs ``fn()`` unless some thread already runs (or ran) it for ``key``, in
which case it waits for that result. ``schedule(key, fn, executor)`` queues the work on an
executor for later; if a ``get`` arrives before a worker has started it, the caller *claims*
the work and runs it itself instead of waiting in the executor's queue — so prefetching never
makes a caller slower, and a caller running inside the same executor cannot deadlock on a
task queued behind it. Exceptions are memoized like results.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future
from typing import Generic, TypeVar

T = TypeVar("T")


class _Entry(Generic[T]):
    __slots__ = ("claimed", "future")

    def __init__(self) -> None:
        self.claimed = False
        self.future: Future[T] = Future()


class Once(Generic[T]):
    """A thread-safe map from key to a result computed at most once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry[T]] = {}

    def get(self, key: Hashable, fn: Callable[[], T]) -> T:
        """The result for ``key``: computed now by this thread, or awaited from another."""
        entry, mine = self._claim(key)
        if mine:
            self._run(entry, fn)
        return entry.future.result()

    def schedule(self, key: Hashable, fn: Callable[[], T], executor: Executor) -> None:
        """Compute ``key`` in ``executor`` unless it is already claimed; returns at once."""
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = _Entry()
        executor.submit(self._run_scheduled, key, fn)

    def _claim(self, key: Hashable) -> tuple[_Entry[T], bool]:
        """The entry for ``key`` and whether this caller must compute it."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
            if entry.claimed:
                return entry, False
            entry.claimed = True
            return entry, True

    def _run_scheduled(self, key: Hashable, fn: Callable[[], T]) -> None:
        entry, mine = self._claim(key)
        if mine:
            self._run(entry, fn)

    @staticmethod
    def _run(entry: _Entry[T], fn: Callable[[], T]) -> None:
        try:
            result = fn()
        except BaseException as exc:
            entry.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            entry.future.set_result(result)
