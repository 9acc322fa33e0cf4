"""Stopping transfers when the user presses Ctrl-C.

Python raises ``KeyboardInterrupt`` in the main thread only, while downloads run in worker
threads that the main thread then waits for (a whole file, or a stalled server's whole
``--timeout``). :func:`interrupt` is the other half: called from the CLI's ``SIGINT`` handler,
it marks the process interrupted and shuts the socket of every body being read, so each
worker's read returns at once; the client then raises ``KeyboardInterrupt`` in that worker,
and its temporary file is removed on the way out (see
:meth:`spoke.net.client.HttpClient.download`).

No lock: :func:`interrupt` runs in a signal handler, in the main thread, possibly while that
same thread is registering a transfer; a dict's single operations are atomic under the GIL.
The module imports nothing heavy, and the handler only calls into it when it is loaded (no
module loaded means no transfer to stop).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_interrupted = threading.Event()
_stops: dict[int, Callable[[], None]] = {}
_ids = itertools.count()


def interrupt() -> None:
    """Mark the process interrupted and stop every registered transfer (each stop once)."""
    _interrupted.set()
    for stop in tuple(_stops.values()):
        try:
            stop()
        except Exception:  # noqa: BLE001 - a transfer that cannot be stopped ends by itself
            continue


def interrupted() -> bool:
    """Whether :func:`interrupt` was called."""
    return _interrupted.is_set()


def check() -> None:
    """Raise ``KeyboardInterrupt`` once the process is interrupted."""
    if _interrupted.is_set():
        raise KeyboardInterrupt("transfer interrupted")


def reset() -> None:
    """Forget an interruption (for tests that call :func:`interrupt` in-process)."""
    _interrupted.clear()


def pause(seconds: float) -> None:
    """Sleep ``seconds``, or less when :func:`interrupt` comes first (the wait between two
    attempts of a request)."""
    _interrupted.wait(seconds)


@contextmanager
def stoppable(stop: Callable[[], None]) -> Iterator[None]:
    """Run the body with ``stop`` registered for :func:`interrupt`; raise ``KeyboardInterrupt``
    at once when the process is already interrupted."""
    key = next(_ids)
    _stops[key] = stop
    try:
        check()  # after registering: an interrupt from now on reaches ``stop`` or this check
        yield
    finally:
        _stops.pop(key, None)
