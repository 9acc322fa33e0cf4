"""spoke.cache.write_later: cache entries written in the background, in order, before exit."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from spoke.cache import flush_later, remove_later, write_later
from spoke.net.http_cache import CachedResponse, HttpCacheStore


def test_writes_and_removals_land_in_the_order_asked(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "entry"
    done: list[str] = []
    write_later(target, b"one", then=lambda: done.append("one"))
    remove_later(target, then=lambda: done.append("removed"))
    write_later(target, lambda: b"two", then=lambda: done.append("two"))
    flush_later()
    assert target.read_bytes() == b"two"
    assert done == ["one", "removed", "two"]
    assert [p.name for p in target.parent.iterdir()] == ["entry"]  # no temporary file left


def test_a_write_that_fails_is_dropped_and_the_next_ones_still_land(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    done: list[str] = []
    write_later(blocker / "under-a-file", b"x", then=lambda: done.append("failed"))

    def broken() -> bytes:
        raise ValueError("cannot make the bytes")

    write_later(tmp_path / "broken", broken, then=lambda: done.append("broken"))
    write_later(tmp_path / "fine", b"ok")
    flush_later()
    assert done == ["failed", "broken"]
    assert (tmp_path / "fine").read_bytes() == b"ok"
    assert not (tmp_path / "broken").exists()


def test_pending_writes_are_finished_before_the_process_ends(tmp_path: Path) -> None:
    for ending in ("", "from spoke.cli.quick import end_now; end_now(0)"):
        target = tmp_path / f"entry{len(ending)}"
        script = (
            "import sys\nfrom pathlib import Path\nfrom spoke.cache import write_later\n"
            f"for i in range(50): write_later(Path({str(target)!r} + str(i)), b'x' * 100000)\n"
            + ending
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert all(Path(f"{target}{i}").read_bytes() == b"x" * 100000 for i in range(50))


def _hold_the_writer(folder: Path) -> threading.Event:
    """Keep the background writer busy until the returned event is set: whatever is queued
    after this is certainly not on disk yet."""
    release, holding = threading.Event(), threading.Event()

    def blocked() -> bytes:
        holding.set()
        release.wait(timeout=30)
        return b""

    write_later(folder / "held", blocked)
    assert holding.wait(timeout=30)
    return release


def test_the_http_store_reads_its_own_writes_before_they_land(tmp_path: Path) -> None:
    store = HttpCacheStore(tmp_path)
    entry = CachedResponse(url="u", status=200, headers={}, vary={}, stored_at=1.0, content=b"body")
    release = _hold_the_writer(tmp_path)
    try:
        store.save("u", {}, entry)
        assert not store.path_for("u", {}).exists()  # queued behind the held write
        assert store.load("u", {}).content == b"body"  # so this answer came from memory
    finally:
        release.set()
    flush_later()
    assert store.path_for("u", {}).exists() and store.load("u", {}).content == b"body"


def test_the_http_store_forgets_a_deleted_entry_before_the_file_goes(tmp_path: Path) -> None:
    store = HttpCacheStore(tmp_path)
    entry = CachedResponse(url="u", status=200, headers={}, vary={}, stored_at=1.0, content=b"body")
    store.save("u", {}, entry)
    flush_later()
    release = _hold_the_writer(tmp_path)
    try:
        store.delete("u", {})
        assert store.path_for("u", {}).exists()  # the removal is queued behind the held write
        assert store.load("u", {}) is None
    finally:
        release.set()
    flush_later()
    assert store.load("u", {}) is None and not store.path_for("u", {}).exists()
