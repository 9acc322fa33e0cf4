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


def test_each_paths_jobs_keep_their_order_across_the_writers(tmp_path: Path) -> None:
    done: dict[str, list[str]] = {}
    targets = [tmp_path / f"d{i % 7}" / f"entry{i}" for i in range(60)]
    for round_ in ("a", "gone", "b"):
        for target in targets:
            log = done.setdefault(target.name, [])
            if round_ == "gone":
                remove_later(target, then=lambda log=log: log.append("gone"))
            else:
                write_later(target, round_.encode(), then=lambda log=log, r=round_: log.append(r))
    flush_later()
    assert all(log == ["a", "gone", "b"] for log in done.values())
    assert all(target.read_bytes() == b"b" for target in targets)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_an_atomic_write_makes_its_folder_skips_a_leftover_temporary_and_sets_the_mode(
    tmp_path: Path, monkeypatch,  # noqa: ANN001
) -> None:
    import itertools
    import os
    import stat

    from spoke.cache import atomic

    target = tmp_path / "new" / "folder" / "conf.toml"
    atomic.write_atomic(target, b"x = 1\n")
    assert target.read_bytes() == b"x = 1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    leftover = target.parent / f".tmp-{os.getpid()}-1000.toml"  # as a crashed run with our pid left it
    leftover.write_bytes(b"stale")
    monkeypatch.setattr(atomic, "_numbers", itertools.count(1000))
    atomic.write_atomic(target, b"x = 2\n", mode=0o644)
    assert target.read_bytes() == b"x = 2\n" and leftover.read_bytes() == b"stale"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == [leftover.name, "conf.toml"]


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
    assert sorted(done) == ["broken", "failed"]  # two paths: two writers, in either order
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
    """Keep every background writer busy until the returned event is set: whatever is queued
    after this is certainly not on disk yet."""
    from spoke.cache.later import WRITERS, writer_of

    release = threading.Event()
    held: dict[int, threading.Event] = {}
    for number in range(1000):
        path = folder / f"held{number}"
        writer = writer_of(path)
        if writer in held:
            continue
        holding = held[writer] = threading.Event()

        def blocked(holding: threading.Event = holding) -> bytes:
            holding.set()
            release.wait(timeout=30)
            return b""

        write_later(path, blocked)
        if len(held) == WRITERS:
            break
    assert len(held) == WRITERS and all(holding.wait(timeout=30) for holding in held.values())
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
