"""spoke.net.singleflight.Once: each key computed once, shared by threads, claimable from a queue.

No test sleeps: work that must still be running is held on an event, and an executor that
never runs what it is given stands for a queue whose workers are all busy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import pytest

from spoke.net.singleflight import Once


class _Busy(Executor):
    """An executor whose workers never get to the queue: submitted work waits until :meth:`drain`."""

    def __init__(self) -> None:
        self.queued: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.queued.append(lambda: fn(*args, **kwargs))
        return Future()

    def drain(self) -> None:
        queued, self.queued = self.queued, []
        for job in queued:
            job()


class _Counter:
    """A function that counts its calls and the threads it ran on."""

    def __init__(self, result: object = "value") -> None:
        self.result = result
        self.threads: list[str] = []

    def __call__(self) -> object:
        self.threads.append(threading.current_thread().name)
        return self.result


def test_a_key_is_computed_once_and_its_result_is_kept() -> None:
    once: Once[object] = Once()
    work = _Counter(result=["a list"])
    first = once.get("k", work)
    assert first == ["a list"]
    assert once.get("k", work) is first
    assert len(work.threads) == 1


def test_each_key_is_computed_on_its_own() -> None:
    once: Once[str] = Once()
    assert once.get("a", lambda: "A") == "A"
    assert once.get("b", lambda: "B") == "B"
    assert once.get("a", lambda: "other") == "A"


def test_an_error_is_kept_like_a_result() -> None:
    once: Once[str] = Once()
    calls = []

    def fail() -> str:
        calls.append(1)
        raise ValueError("no such page")

    with pytest.raises(ValueError, match="no such page"):
        once.get("k", fail)
    with pytest.raises(ValueError, match="no such page"):
        once.get("k", fail)
    assert calls == [1]


def test_an_interrupt_reaches_the_thread_that_ran_the_work() -> None:
    once: Once[str] = Once()

    def interrupted() -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        once.get("k", interrupted)
    with pytest.raises(KeyboardInterrupt):  # and whoever waited for it, not a hang
        once.get("k", lambda: "never")


def test_threads_asking_while_the_work_runs_wait_for_it_and_share_its_result() -> None:
    once: Once[object] = Once()
    running, release = threading.Event(), threading.Event()
    owner_calls: list[int] = []

    def slow() -> object:
        owner_calls.append(1)
        running.set()
        release.wait(timeout=30)
        return object()

    results: dict[str, object] = {}
    owner = threading.Thread(target=lambda: results.update(owner=once.get("k", slow)), daemon=True)
    owner.start()
    assert running.wait(timeout=30)  # the work is under way, held open
    others_started = [threading.Event() for _ in range(6)]
    waiter_work = _Counter()

    def wait_for_it(i: int) -> None:
        others_started[i].set()
        results[f"waiter{i}"] = once.get("k", waiter_work)

    waiters = [threading.Thread(target=wait_for_it, args=(i,), daemon=True) for i in range(6)]
    for t in waiters:
        t.start()
    for started in others_started:
        assert started.wait(timeout=30)
    release.set()
    for t in [owner, *waiters]:
        t.join(timeout=30)
        assert not t.is_alive()
    assert owner_calls == [1] and waiter_work.threads == []
    assert all(value is results["owner"] for value in results.values()) and len(results) == 7


def test_scheduled_work_runs_in_the_executor_and_is_not_computed_again() -> None:
    once: Once[object] = Once()
    work = _Counter()
    with ThreadPoolExecutor(1, thread_name_prefix="pool") as pool:
        once.schedule("k", work, pool)
        once.schedule("k", work, pool)  # already claimed: nothing more is queued
    # The pool has finished its work (the with block waited for it).
    assert once.get("k", work) == "value"
    assert len(work.threads) == 1 and work.threads[0].startswith("pool")


def test_scheduling_a_key_already_asked_for_queues_nothing() -> None:
    once: Once[str] = Once()
    once.get("k", lambda: "done")
    busy = _Busy()
    once.schedule("k", lambda: "again", busy)
    assert busy.queued == []


def test_a_caller_claims_work_still_waiting_in_the_queue_and_the_queue_then_skips_it() -> None:
    once: Once[object] = Once()
    work = _Counter()
    busy = _Busy()
    once.schedule("k", work, busy)
    # Every worker is busy: the caller does not wait behind them, it runs the work itself (a
    # caller that is itself one of those workers would otherwise wait for itself for ever).
    got: list[object] = []
    caller = threading.Thread(target=lambda: got.append(once.get("k", work)), name="caller", daemon=True)
    caller.start()
    caller.join(timeout=30)  # bounds the failure only: a caller that waited would wait for ever
    assert got == ["value"] and work.threads == ["caller"]
    busy.drain()  # the worker reaches the queued job at last: it finds it done
    assert len(work.threads) == 1
