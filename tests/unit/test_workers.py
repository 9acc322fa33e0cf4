"""HeaviestFirst (the unpack pool) and start_prepare (downloads, then unpacks, in two pools)."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError, ThreadPoolExecutor
from pathlib import Path

import pytest

from spoke.prepare.workers import HeaviestFirst


def test_the_heaviest_queued_job_runs_first() -> None:
    pool = HeaviestFirst(1)
    gate, holding = threading.Event(), threading.Event()
    order: list[str] = []

    def hold() -> None:
        holding.set()
        gate.wait(timeout=10)

    first = pool.submit(hold)  # holds the only worker while the rest queue up ...
    assert holding.wait(timeout=10)  # ... once it has it: else the worker takes the heaviest of all
    jobs = [pool.submit(order.append, name, weight=w) for name, w in [("small", 1), ("big", 50), ("mid", 10),
                                                                       ("mid-later", 10)]]
    gate.set()
    first.result(timeout=10)
    for job in jobs:
        job.result(timeout=10)
    assert order == ["big", "mid", "mid-later", "small"]
    pool.shutdown()


def test_failures_reach_the_caller_and_shutdown_cancels_what_waits() -> None:
    pool = HeaviestFirst(1)
    boom = pool.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        boom.result(timeout=10)
    gate, started = threading.Event(), threading.Event()
    running = pool.submit(lambda: started.set() or gate.wait())
    waiting = pool.submit(lambda: "never")
    assert started.wait(10)
    threading.Timer(0.05, gate.set).start()
    pool.shutdown(wait=True, cancel_futures=True)
    assert running.result() is True
    with pytest.raises(CancelledError):
        waiting.result()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)


def test_start_prepare_downloads_then_unpacks_in_the_other_pool(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import spoke.prepare as prep

    seen: dict[str, str] = {}

    class File:
        def __init__(self, name: str) -> None:
            self.name, self.size, self.url = name, 10, f"https://example.invalid/{name}.whl"

    def fetch(file, **kwargs):  # noqa: ANN001, ANN003, ANN202
        seen["fetch"] = threading.current_thread().name
        return tmp_path / "x.whl", "0" * 64

    def unpack(file, fetched, **kwargs):  # noqa: ANN001, ANN003, ANN202
        seen["unpack"] = threading.current_thread().name
        if file.name == "bad":
            raise OSError("disk full")
        return ("unpacked", fetched[0].name)

    monkeypatch.setattr(prep, "fetch_one", fetch)
    monkeypatch.setattr(prep, "unpack_fetched", unpack)
    downloads = ThreadPoolExecutor(2, thread_name_prefix="dl")
    unpacks = HeaviestFirst(1, thread_name_prefix="up")
    good = prep.start_prepare(File("good"), http=None, cache=None, downloads=downloads, unpacks=unpacks)  # type: ignore[arg-type]
    assert good.result(timeout=10) == ("unpacked", "x.whl")
    assert seen["fetch"].startswith("dl") and seen["unpack"].startswith("up")
    bad = prep.start_prepare(File("bad"), http=None, cache=None, downloads=downloads, unpacks=unpacks)  # type: ignore[arg-type]
    with pytest.raises(OSError, match="disk full"):
        bad.result(timeout=10)
    downloads.shutdown()
    unpacks.shutdown()
