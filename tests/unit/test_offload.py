"""spoke.prepare.offload: wheels downloaded and unpacked in a child process, and what happens
when the child fails."""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.cache import Cache
from spoke.errors import HashMismatchError, HTTPStatusError
from spoke.models import IndexFile, UnpackedWheel
from spoke.net.settings import NetSettings
from spoke.prepare.offload import Forwarder, PrepareProcess, Setup
from spoke.prepare.unpack import cached_unpacked
from spoke.protocols import RecordingReporter
from tests.unit._httpd import LoopbackServer, Reply, always
from tests.unit.wheelmaker import make_wheel


def _setup(cache: Cache) -> Setup:
    return Setup(
        settings=NetSettings(timeout=5, retries=0), netrc=None, auth_urls=(), cache_root=cache.root,
        http_cache=None, progress=True,
    )


def _index_file(wheel: Path, sha256: str | None = None) -> IndexFile:
    name, version = wheel.name.split("-")[:2]
    return IndexFile(
        name=canonicalize_name(name), version=Version(version), filename=wheel.name, url=wheel.as_uri(),
        hashes={"sha256": sha256 or hashlib.sha256(wheel.read_bytes()).hexdigest()},
    )


def _child(script: str) -> list[str]:
    """The command line of a child that reads the import path, then runs ``script`` (a stand-in
    for :func:`spoke.prepare.offload.serve` that misbehaves)."""
    return [sys.executable, "-c", "import sys,pickle;sys.path[:]=pickle.load(sys.stdin.buffer)\n" + script]


#: A child that reads its set-up and first request, then ends without answering.
_DIES = "pickle.load(sys.stdin.buffer);pickle.load(sys.stdin.buffer)"


def _served(server: LoopbackServer, wheel: Path, reply: Reply) -> IndexFile:
    """``wheel`` as an index file whose URL ``server`` answers with ``reply``."""
    server.routes["/files/" + wheel.name] = always(reply)
    local = _index_file(wheel)
    return IndexFile(name=local.name, version=local.version, filename=local.filename,
                     url=server.url("/files/" + wheel.name), hashes=local.hashes)


class _Redo:
    """The parent's own prepare, recorded: answers a marker result."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __call__(self, file: Any, allowed_hashes: Any, keep_archive: bool) -> Future[Any]:
        self.calls.append(file)
        done: Future[Any] = Future()
        done.set_result("redone here")
        return done


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache.open(tmp_path / "cache")


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    return make_wheel(folder, name="demo", version="1.0", files={"demo/__init__.py": "VALUE = 1\n"})


def test_the_child_prepares_a_wheel_into_the_parents_cache(cache: Cache, wheel: Path) -> None:
    reporter, redo = RecordingReporter(), _Redo()
    child = PrepareProcess(_setup(cache), reporter, redo)
    try:
        future = child.submit(_index_file(wheel))
        assert future is not None
        unpacked = future.result(timeout=60)
    finally:
        child.close()
    assert isinstance(unpacked, UnpackedWheel)
    assert unpacked == cached_unpacked(cache, hashlib.sha256(wheel.read_bytes()).hexdigest())
    assert (unpacked.root / "demo" / "__init__.py").read_text() == "VALUE = 1\n"
    assert redo.calls == []


def test_the_child_downloads_and_its_events_reach_the_parents_reporter(cache: Cache, wheel: Path) -> None:
    reporter = RecordingReporter()
    with LoopbackServer() as server:
        file = _served(server, wheel, Reply(body=wheel.read_bytes()))
        child = PrepareProcess(_setup(cache), reporter, _Redo())
        try:
            future = child.submit(file)
            assert future is not None
            unpacked = future.result(timeout=60)
        finally:
            child.close()
    assert (unpacked.root / "demo" / "__init__.py").read_text() == "VALUE = 1\n"
    assert [r.method for r in server.requests("/files/" + wheel.name)] == ["GET"]
    assert ("download_start", "demo 1.0") in reporter.events  # labelled by project and version
    assert reporter.events[-1] == ("download_done", "demo 1.0")


def test_an_error_of_the_childs_reaches_the_caller_whole(cache: Cache, wheel: Path) -> None:
    redo = _Redo()
    child = PrepareProcess(_setup(cache), RecordingReporter(), redo)
    try:
        future = child.submit(_index_file(wheel, sha256="0" * 64))
        assert future is not None
        with pytest.raises(HashMismatchError) as info:
            future.result(timeout=60)
    finally:
        child.close()
    assert "demo-1.0" in info.value.message and info.value.hint and info.value.notes
    assert redo.calls == []  # a user's error is not retried here
    assert cached_unpacked(cache, hashlib.sha256(wheel.read_bytes()).hexdigest()) is None


def test_work_of_a_child_that_dies_is_done_by_the_parent(cache: Cache, wheel: Path) -> None:
    redo = _Redo()
    child = PrepareProcess(_setup(cache), RecordingReporter(), redo, command=_child(_DIES))
    try:
        future = child.submit(_index_file(wheel))
        assert future is not None
        assert future.result(timeout=60) == "redone here"
        assert [f.filename for f in redo.calls] == [wheel.name]
        # The child was known broken before its work was handed back: it takes no more.
        assert child.submit(_index_file(wheel)) is None
        assert len(redo.calls) == 1
    finally:
        child.close()


def test_a_child_that_cannot_start_leaves_the_work_to_the_caller(cache: Cache, wheel: Path, tmp_path: Path) -> None:
    redo = _Redo()
    child = PrepareProcess(_setup(cache), RecordingReporter(), redo, command=[str(tmp_path / "no-such-python")])
    assert child.submit(_index_file(wheel)) is None
    assert not child.ready and redo.calls == []
    child.close()


def test_closing_cancels_what_the_child_has_not_answered(cache: Cache, wheel: Path) -> None:
    # A child that takes requests and never answers, until its input ends.
    redo = _Redo()
    child = PrepareProcess(_setup(cache), RecordingReporter(), redo, command=_child("sys.stdin.buffer.read()"))
    future = child.submit(_index_file(wheel))
    assert future is not None
    child.close()
    assert future.cancelled()
    assert redo.calls == []


def test_closing_cuts_a_speculative_download_short_and_keeps_nothing_of_it(cache: Cache, tmp_path: Path) -> None:
    import os

    folder = tmp_path / "big"
    folder.mkdir()
    big = make_wheel(folder, name="big", version="1.0", files={"big/blob.bin": os.urandom(2 << 20)})
    redo = _Redo()
    with LoopbackServer() as server:
        file = _served(server, big, Reply(body=big.read_bytes(), trickle=0.1))  # ~3 s to send whole
        child = PrepareProcess(_setup(cache), RecordingReporter(), redo)
        future = child.submit(file)
        assert future is not None
        assert server.piece_sent.wait(60)  # the download is under way
        child.close()
        path = "/files/" + big.name
        assert server.sent[path] < big.stat().st_size  # the child hung up before the end
    assert future.cancelled() and redo.calls == []  # nobody redoes it here either
    assert cached_unpacked(cache, file.sha256) is None
    leftovers = [p.name for p in cache.root.rglob("*")
                 if p.is_file() and (p.name.startswith(".tmp") or p.suffix == ".whl")]
    assert leftovers == []  # the partial download was removed


#: A child that answers only once the parent has read a flood of its messages: it waits for the
#: first request to start arriving, sends 2 MB of answers to no job (more than the pipe to the
#: parent holds), then reads the request and answers it.
_FLOODS = """
import os
stdin, out = sys.stdin.buffer, sys.stdout.buffer
pickle.load(stdin)  # the set-up
open(sys.argv[1], "w").write(str(os.getpid()))
stdin.peek(1)  # the parent is writing its first request now
for n in range(2000):
    out.write(pickle.dumps(("ok", 10**6 + n, b"x" * 1000)))
out.flush()
job = pickle.load(stdin)[0]
out.write(pickle.dumps(("ok", job, "answered")))
out.flush()
stdin.read()
"""


def test_a_request_too_big_for_the_pipe_does_not_stop_the_answers_being_read(cache: Cache, wheel: Path,
                                                                              tmp_path: Path) -> None:
    # The request blocks in the pipe until the child reads it, and the child reads it only
    # once its flood of answers is read: sending while holding the lock the reader takes for
    # each answer would wait for ever.
    pid_file = tmp_path / "child.pid"
    child = PrepareProcess(_setup(cache), RecordingReporter(), _Redo(),
                           command=[*_child(_FLOODS), str(pid_file)])
    submitted: list[Future[Any] | None] = []
    sender = threading.Thread(
        target=lambda: submitted.append(child.submit(_index_file(wheel), ("sha256:" + "0" * (2 << 20),))),
        daemon=True,
    )
    sender.start()
    sender.join(timeout=60)  # bounds the failure only
    try:
        assert not sender.is_alive(), "the request and the answers waited for each other"
        (future,) = submitted
        assert future is not None and future.result(timeout=60) == "answered"
    finally:
        if sender.is_alive():  # free the stuck threads: the child's end breaks the pipe
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
            sender.join(timeout=60)
        child.close()


def test_spoke_errors_survive_pickling_whatever_their_constructor() -> None:
    error = HTTPStatusError("404 for x", status=404, url="https://example.test/x", hint="check the name",
                            notes=["one", "two"])
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is HTTPStatusError
    assert (copy.message, copy.status, copy.url, copy.hint, copy.notes) == (
        "404 for x", 404, "https://example.test/x", "check the name", ("one", "two"))
    assert str(copy) == "404 for x"


def test_progress_is_sent_at_most_every_tenth_of_a_second_and_never_lost() -> None:
    sent: list[tuple[Any, ...]] = []
    clock = [100.0]
    forwarder = Forwarder(sent.append, progress=True, clock=lambda: clock[0])
    forwarder.download_start("f", 300)
    forwarder.download_progress("f", 100)  # held back: too soon
    clock[0] += 0.2
    forwarder.download_progress("f", 100)  # sent with what was held
    forwarder.download_progress("f", 100)  # held back
    forwarder.download_done("f")  # the rest, then the end
    assert sent == [
        ("event", "download_start", ("f", 300)),
        ("event", "download_progress", ("f", 200)),
        ("event", "download_progress", ("f", 100)),
        ("event", "download_done", ("f",)),
    ]


def test_no_progress_is_sent_when_no_bar_is_drawn() -> None:
    sent: list[tuple[Any, ...]] = []
    forwarder = Forwarder(sent.append, progress=False)
    forwarder.download_start("f", None)
    forwarder.download_progress("f", 100)
    forwarder.download_done("f")
    assert [m[1] for m in sent] == ["download_start", "download_done"]


def test_many_wheels_at_once_each_get_their_own_answer(cache: Cache, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    wheels = [make_wheel(folder, name=f"pkg{i}", version="1.0", files={f"pkg{i}/__init__.py": f"N = {i}\n"})
              for i in range(12)]
    child = PrepareProcess(_setup(cache), RecordingReporter(), _Redo())
    results: dict[str, Any] = {}
    try:
        futures = {w.name: child.submit(_index_file(w)) for w in wheels}
        lock = threading.Lock()
        for name, future in futures.items():
            assert future is not None
            unpacked = future.result(timeout=60)
            with lock:
                results[name] = unpacked
    finally:
        child.close()
    for i, w in enumerate(wheels):
        assert results[w.name].filename == w.name
        assert (results[w.name].root / f"pkg{i}" / "__init__.py").read_text() == f"N = {i}\n"


def test_the_archive_is_announced_as_soon_as_it_is_downloaded(cache: Cache, wheel: Path) -> None:
    with LoopbackServer() as server:
        file = _served(server, wheel, Reply(body=wheel.read_bytes()))
        child = PrepareProcess(_setup(cache), RecordingReporter(), _Redo())
        fetched: Future[Any] = Future()
        try:
            done = child.submit(file, (), True, fetched=fetched)
            assert done is not None
            path = fetched.result(timeout=60)
            assert path is not None and path.read_bytes() == wheel.read_bytes()
            done.result(timeout=60)
        finally:
            child.close()
    assert path.exists()  # kept: the archive was asked for


def test_a_failed_download_is_announced_to_whoever_waits_for_the_archive(cache: Cache, wheel: Path) -> None:
    with LoopbackServer() as server:
        file = _served(server, wheel, Reply(status=404))
        child = PrepareProcess(_setup(cache), RecordingReporter(), _Redo())
        fetched: Future[Any] = Future()
        try:
            done = child.submit(file, (), True, fetched=fetched)
            assert done is not None
            with pytest.raises(HTTPStatusError):
                fetched.result(timeout=60)
            with pytest.raises(HTTPStatusError):
                done.result(timeout=60)
        finally:
            child.close()


def test_when_a_child_dies_whoever_waits_for_the_archive_fetches_it(cache: Cache, wheel: Path) -> None:
    child = PrepareProcess(_setup(cache), RecordingReporter(), _Redo(), command=_child(_DIES))
    fetched: Future[Any] = Future()
    try:
        done = child.submit(_index_file(wheel), (), True, fetched=fetched)
        assert done is not None
        assert fetched.result(timeout=60) is None
        assert done.result(timeout=60) == "redone here"
    finally:
        child.close()


def test_the_child_says_when_it_is_ready(cache: Cache, wheel: Path) -> None:
    child = PrepareProcess(_setup(cache), RecordingReporter(), _Redo())
    try:
        assert not child.ready
        child.start()
        future = child.submit(_index_file(wheel))
        assert future is not None
        # The child says it is ready before it answers anything, and the answers are read in
        # order: once one has arrived, the child is known ready.
        future.result(timeout=60)
        assert child.ready
    finally:
        child.close()


def test_a_child_that_never_says_it_is_ready_is_never_taken_for_ready(cache: Cache, wheel: Path) -> None:
    redo = _Redo()
    child = PrepareProcess(_setup(cache), RecordingReporter(), redo, command=_child(_DIES))
    try:
        future = child.submit(_index_file(wheel))
        assert future is not None and future.result(timeout=60) == "redone here"
        assert not child.ready
    finally:
        child.close()


class _FakeOffload:
    def __init__(self, ready: bool) -> None:
        self.ready = ready
        self.started = 0
        self.submitted: list[str] = []

    def start(self) -> None:
        self.started += 1

    def submit(self, file: Any, allowed_hashes: Any = (), keep_archive: bool = False, *, fetched: Any = None) -> Any:
        self.submitted.append(file.filename)
        done: Future[Any] = Future()
        if fetched is not None:
            fetched.set_result(Path("/somewhere") / file.filename)
        return done

    def close(self) -> None:
        pass


def _preparer(cache: Cache, offload: _FakeOffload) -> Any:
    from spoke.net.client import HttpClient
    from spoke.prepare.preparer import Preparer

    return Preparer(cache=cache, http=lambda: HttpClient(NetSettings(timeout=5, retries=0)),
                    reporter=RecordingReporter(), setup=lambda: _setup(cache), offload=offload)  # type: ignore[arg-type]


def test_until_the_child_is_ready_wheels_are_prepared_in_this_process(cache: Cache, wheel: Path) -> None:
    offload = _FakeOffload(ready=False)
    preparer = _preparer(cache, offload)
    try:
        unpacked = preparer.start_one(_index_file(wheel)).result(timeout=60)
        assert (unpacked.root / "demo" / "__init__.py").exists()
        assert offload.started == 1 and offload.submitted == []
        # Nor is a wheel wanted for its metadata sent to a child that is not ready.
        assert preparer.download_whole(_index_file(wheel), cache.root / "x.whl") is None
    finally:
        preparer.close()


def test_once_the_child_is_ready_it_takes_the_wheels(cache: Cache, wheel: Path) -> None:
    offload = _FakeOffload(ready=True)
    preparer = _preparer(cache, offload)
    try:
        preparer.start_one(_index_file(wheel))
        assert preparer.download_whole(_index_file(wheel, sha256="1" * 64), cache.root / "x.whl") == (
            Path("/somewhere") / wheel.name)
        assert offload.submitted == [wheel.name, wheel.name] and offload.started == 0
    finally:
        preparer.close()


def test_a_wheel_fetched_early_is_awaited_by_the_plan_not_fetched_again(cache: Cache, wheel: Path) -> None:
    offload = _FakeOffload(ready=True)
    preparer = _preparer(cache, offload)
    try:
        file = _index_file(wheel, sha256="2" * 64)
        preparer.prefetch(file)
        preparer.prefetch(file)  # once per URL
        jobs = preparer.start([file])
        preparer.starts.shutdown(wait=True)  # the early job is begun by a worker: let it run
        assert offload.submitted == [wheel.name]  # the plan's job is the early one
        assert set(jobs) == {"demo"}
    finally:
        preparer.close()


def test_an_early_job_is_begun_off_the_callers_thread_and_its_failure_reaches_the_plan(
    cache: Cache, wheel: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from spoke.prepare import unpack

    looked_up_in: list[str] = []

    def broken_lookup(cache: Cache, sha256: str) -> None:
        looked_up_in.append(threading.current_thread().name)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(unpack, "cached_unpacked", broken_lookup)
    preparer = _preparer(cache, _FakeOffload(ready=True))
    try:
        file = _index_file(wheel, sha256="3" * 64)
        preparer.prefetch(file)  # the solver's thread asks, and goes on at once
        jobs = preparer.start([file])
        with pytest.raises(OSError, match="Input/output error"):
            preparer.result(jobs)
        assert len(looked_up_in) == 1 and looked_up_in[0].startswith("spoke-prepare")
    finally:
        preparer.close()


def test_a_child_made_by_an_early_job_is_closed_with_the_preparer(
    cache: Cache, wheel: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``close`` lets the jobs being begun finish before it ends the child: a job that made the
    child and was about to start it must not start it after ``close`` (an orphan process)."""
    import threading
    import time

    from spoke.net.client import HttpClient
    from spoke.prepare import offload as offload_module
    from spoke.prepare.preparer import Preparer

    events: list[str] = []
    made = threading.Event()

    class SlowChild:
        def __init__(self, *args: object) -> None:
            made.set()

        @property
        def ready(self) -> bool:
            time.sleep(0.3)  # the job is between making the child and starting it
            return False

        def start(self) -> None:
            events.append("start")

        def close(self) -> None:
            events.append("close")

    monkeypatch.setattr(offload_module, "PrepareProcess", SlowChild)
    preparer = Preparer(cache=cache, http=lambda: HttpClient(NetSettings(timeout=5, retries=0)),
                        reporter=RecordingReporter(), setup=lambda: _setup(cache))
    preparer.prefetch(_index_file(wheel, sha256="4" * 64))
    assert made.wait(timeout=30)
    preparer.close()
    assert events == ["start", "close"]
