"""Download and unpack wheels in a child process, which has an interpreter lock of its own.

Why: a download is a loop of socket reads of at most one TLS record (16 KB) each, and an
unpack a loop of small file writes; every read and write lets go of the interpreter lock, and
every time, the thread waits for it to come back. Beside the solver parsing pages and metadata
in the same process, that wait is up to the 5 ms switch interval: numpy's 17 MB wheel, which
curl fetches from PyPI in 0.17 s on the machine this was measured on, took 1.4-1.6 s to download
inside a cold install. In a child process, the downloads and unpacks have a lock of their own.

The protocol is pickles over the child's stdin and stdout. The parent sends its ``sys.path`` and
a :class:`Setup`, then one ``(id, file, allowed hashes, keep archive, tell fetched)`` request per wheel,
at any time; the child runs them concurrently (its own download and unpack pools, see
:func:`spoke.prepare.start_prepare`) and answers each with ``("ok", id, UnpackedWheel)``,
``("error", id, SpokeError)`` or ``("redo", id, why)`` -- after ``("fetched", id, path)`` when
asked, as soon as the archive is downloaded -- and forwards its reporter's events as
``("event", method, args)``. Its first message, ``("ready",)``, says it has loaded what it
works with. A request the child cannot finish for any reason but a
:class:`~spoke.errors.SpokeError` (a crash, an answer that does not pickle, the child dying or
never starting) is redone in the parent, exactly as if there were no child: the child only ever
costs speed, never correctness.
"""

from __future__ import annotations

import functools
import itertools
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

#: The child's bootstrap. It runs isolated (``-I -S``: no current folder on the import path, no
#: ``PYTHON*`` variables, no site hooks) and takes its import path from the parent.
_BOOT = (
    "import sys,pickle;sys.path[:]=pickle.load(sys.stdin.buffer);"
    "from spoke.prepare.offload import serve;serve()"
)
#: Progress events are sent at most this often per download (each costs the parent a wakeup).
_PROGRESS_EVERY = 0.1
_PROTOCOL = pickle.HIGHEST_PROTOCOL
#: How long closing waits for the child to finish its running jobs before ending it.
_CLOSE_TIMEOUT = 30.0


@dataclass(frozen=True)
class Setup:
    """What the child needs to download and unpack as the parent would."""

    settings: Any  # spoke.net.settings.NetSettings
    netrc: Path | None
    auth_urls: tuple[str, ...]
    cache_root: Path
    http_cache: Path | None
    progress: bool  # forward download progress (only worth it when a bar is drawn)


Redo = Callable[[Any, Sequence[str], bool], "Future[Any]"]


@dataclass
class _Job:
    """A request the child has not answered yet."""

    done: Future[Any]
    file: Any
    allowed_hashes: tuple[str, ...]
    keep_archive: bool
    fetched: Future[Path | None] | None  # told where the archive is, once downloaded

    def tell_fetched(self, path: Path | None = None, error: BaseException | None = None) -> None:
        if self.fetched is not None and not self.fetched.done():
            if error is not None:
                self.fetched.set_exception(error)
            else:
                self.fetched.set_result(path)


class PrepareProcess:
    """A child process that prepares wheels (:func:`spoke.prepare.start_prepare` there).

    :meth:`submit` answers a future, or ``None`` when the child cannot be used (the caller
    prepares the wheel itself). ``redo`` prepares a wheel in this process; it takes over every
    request the child could not finish.
    """

    def __init__(self, setup: Setup, reporter: Any, redo: Redo, *, command: Sequence[str] | None = None) -> None:
        """``command`` is the child's command line: by default this interpreter running
        :func:`serve` (tests give one that misbehaves). It is sent the import path and
        ``setup`` first, whatever it is."""
        self._command = list(command) if command is not None else [sys.executable, "-I", "-S", "-c", _BOOT]
        self._setup = setup
        self._reporter = reporter
        self._redo = redo
        self._lock = threading.Lock()  # the state and the pending jobs
        self._write_lock = threading.Lock()  # one request at a time into the child's stdin
        self._pending: dict[int, _Job] = {}
        self._ids = itertools.count()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdin: IO[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._state = "new"  # new → running → (closed | broken)
        self._ready = threading.Event()

    @property
    def ready(self) -> bool:
        """Whether the child has started and loaded what it works with (~0.3 s after the
        first request); until then a caller in a hurry does the work itself."""
        return self._ready.is_set()

    def _start(self) -> bool:
        """Start the child (under ``_lock``); False if it cannot be."""
        if self._state != "new":
            return self._state == "running"
        try:
            proc = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        except (OSError, ValueError):
            self._state = "broken"
            return False
        assert proc.stdin is not None and proc.stdout is not None
        self._proc, self._stdin = proc, proc.stdin
        try:
            pickle.dump(list(sys.path), proc.stdin, protocol=_PROTOCOL)
            pickle.dump(self._setup, proc.stdin, protocol=_PROTOCOL)
            proc.stdin.flush()
        except (OSError, pickle.PickleError):
            self._state = "broken"
            proc.kill()
            proc.wait()
            return False
        self._state = "running"
        self._reader = threading.Thread(target=self._read, args=(proc.stdout,), name="spoke-offload", daemon=True)
        self._reader.start()
        return True

    def start(self) -> None:
        """Start the child now (it is :attr:`ready` about 0.3 s later)."""
        with self._lock:
            self._start()

    def submit(
        self, file: Any, allowed_hashes: Sequence[str] = (), keep_archive: bool = False,
        *, fetched: Future[Path | None] | None = None,
    ) -> Future[Any] | None:
        """Hand ``file`` to the child; ``None`` if it cannot take it.

        ``fetched``, when given, is told the archive's path as soon as it is downloaded (before
        the unpack), ``None`` if there is no archive to read (the child found the wheel
        unpacked, or the job moved to this process), or the download's error.
        """
        future: Future[Any] = Future()
        allowed = tuple(allowed_hashes)
        with self._lock:
            if not self._start():
                return None
            job = next(self._ids)
            # Registered before it is sent, so the answer always finds its job.
            self._pending[job] = _Job(future, file, allowed, keep_archive, fetched)
            stdin = self._stdin
        # The write happens outside ``_lock``: a full pipe blocks it until the child reads, and
        # the child stops reading while its own answers wait to be read by :meth:`_read`, which
        # takes ``_lock`` for each one. ``_write_lock`` alone keeps requests from interleaving;
        # two may reach the child out of their numbers' order, which is fine: answers carry them.
        try:
            assert stdin is not None
            data = pickle.dumps((job, file, allowed, keep_archive, fetched is not None), protocol=_PROTOCOL)
            with self._write_lock:
                stdin.write(data)
                stdin.flush()
        except (OSError, ValueError, pickle.PickleError):
            with self._lock:
                if self._state == "running":
                    self._state = "broken"
                unsent = self._pending.pop(job, None)
            if unsent is not None:
                return None  # the caller prepares it; the reader redoes what was already sent
            # The reader, finding the child gone, took the job over already: its future holds.
        return future

    def _read(self, stdout: IO[bytes]) -> None:
        try:
            while True:
                try:
                    message = pickle.load(stdout)
                except EOFError:
                    return
                kind = message[0]
                if kind == "ready":
                    self._ready.set()
                    continue
                if kind == "event":
                    _, method, args = message
                    try:
                        getattr(self._reporter, method)(*args)
                    except Exception:  # noqa: BLE001 - a reporter failure must not stop the answers
                        pass
                    continue
                _, number, value = message
                with self._lock:
                    job = self._pending.get(number) if kind == "fetched" else self._pending.pop(number, None)
                if job is None:
                    continue
                if kind == "fetched":
                    job.tell_fetched(None if value is None else Path(value))
                elif kind == "ok":
                    job.tell_fetched()
                    job.done.set_result(value)
                elif kind == "error":
                    job.tell_fetched(error=value)
                    job.done.set_exception(value)
                else:
                    self._take_over(job)
        except Exception:  # noqa: BLE001 - a garbled answer: every open request is redone here
            pass
        finally:
            with self._lock:
                closing = self._state == "closed"
                if self._state == "running":
                    self._state = "broken"
                left = list(self._pending.values())
                self._pending.clear()
            for job in left:
                if closing:  # the command is ending: nobody waits for these any more
                    job.done.cancel()
                    if job.fetched is not None:
                        job.fetched.cancel()
                else:
                    self._take_over(job)
            stdout.close()

    def _take_over(self, job: _Job) -> None:
        """Prepare in this process what the child did not (whoever waits for the archive
        alone fetches it themselves); once closing, nobody waits: the job is cancelled."""
        job.tell_fetched()
        future = job.done
        if future.done():
            return
        with self._lock:
            closing = self._state == "closed"
        if closing:
            future.cancel()
            return
        try:
            redone = self._redo(job.file, job.allowed_hashes, job.keep_archive)
        except BaseException as exc:  # noqa: BLE001 - e.g. the pools are shutting down
            future.set_exception(exc)
            return
        from spoke.prepare import pass_on

        redone.add_done_callback(lambda done: pass_on(done, future))

    def close(self) -> None:
        """End the child: queued jobs are dropped and running downloads stop at their next
        chunk (their partial files removed); what was finished stays in the cache. The command
        is ending, so nobody waits for these speculative jobs any more."""
        with self._lock:
            if self._state == "running":
                self._state = "closed"
            proc, stdin = self._proc, self._stdin
        if proc is None:
            return
        try:
            assert stdin is not None
            stdin.close()
        except OSError:
            pass
        try:
            proc.wait(_CLOSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._reader is not None:
            self._reader.join()


# --- the child ---------------------------------------------------------------------------


class Cancelled(BaseException):
    """The parent closed the child: a download nobody waits for stops at its next chunk.

    A ``BaseException`` so that the HTTP client's retry loop (which retries an ``Exception``)
    lets it through; the client removes the partial file on the way out.
    """


class Forwarder:
    """The child's reporter: events go to ``send`` (to the parent), progress at most every
    0.1 s per file by ``clock``, and only when ``progress`` (a bar is drawn). Once ``stopped``
    is set, a download reporting its start or progress is cut short (:class:`Cancelled`)."""

    def __init__(
        self, send: Callable[[tuple[Any, ...]], None], *, progress: bool, clock: Callable[[], float] = time.monotonic,
        stopped: threading.Event | None = None,
    ) -> None:
        self._send = send
        self._progress = progress
        self._clock = clock
        self._stopped = stopped
        self._lock = threading.Lock()
        self._unsent: dict[str, tuple[int, float]] = {}

    def phase(self, name: str, detail: str = "") -> None:
        pass

    def phase_done(self, name: str, summary: str) -> None:
        pass

    def _check_stopped(self) -> None:
        if self._stopped is not None and self._stopped.is_set():
            raise Cancelled

    def build_output(self, label: str, line: str) -> None:
        pass  # builds run in the parent, never here

    def build_done(self, label: str) -> None:
        pass

    def download_start(self, name: str, total: int | None) -> None:
        self._check_stopped()
        self._send(("event", "download_start", (name, total)))

    def download_progress(self, name: str, nbytes: int) -> None:
        self._check_stopped()
        if not self._progress:
            return
        now = self._clock()
        with self._lock:
            count, since = self._unsent.get(name, (0, now))
            count += nbytes
            if now - since < _PROGRESS_EVERY:
                self._unsent[name] = (count, since)
                return
            self._unsent[name] = (0, now)
        self._send(("event", "download_progress", (name, count)))

    def download_done(self, name: str) -> None:
        with self._lock:
            count, _ = self._unsent.pop(name, (0, 0.0))
        if count:
            self._send(("event", "download_progress", (name, count)))
        self._send(("event", "download_done", (name,)))

    def warning(self, message: str) -> None:
        self._send(("event", "warning", (message,)))

    def debug(self, message: str) -> None:
        self._send(("event", "debug", (message,)))


def serve() -> None:
    """The child's loop: take requests until stdin ends, answer each when it is done."""
    stdin = sys.stdin.buffer
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # nothing printed by accident can garble the answers
    setup: Setup = pickle.load(stdin)
    write_lock = threading.Lock()
    stopped = threading.Event()  # set when the parent closes: running downloads stop

    def send(message: tuple[Any, ...]) -> None:
        try:
            data = pickle.dumps(message, protocol=_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - the parent redoes the job
            if message[0] == "event":
                return
            data = pickle.dumps(("redo", message[1], f"answer does not pickle: {exc}"), protocol=_PROTOCOL)
        with write_lock:
            out.write(data)
            out.flush()

    from spoke.net.client import warm_default_ssl_context

    if not setup.settings.cert:
        warm_default_ssl_context()  # the trust store loads while the rest imports

    from concurrent.futures import ThreadPoolExecutor

    import urllib3  # noqa: F401 - imported now rather than by the first download

    from spoke.cache import Cache
    from spoke.net.auth import UrlAndNetrcAuth
    from spoke.net.client import HttpClient
    from spoke.prepare import start_prepare
    from spoke.prepare.unpack import unpack_wheel  # noqa: F401 - likewise
    from spoke.prepare.workers import DOWNLOADS, UNPACKS, HeaviestFirst

    http = HttpClient(
        setup.settings, cache_dir=setup.http_cache, reporter=Forwarder(send, progress=setup.progress, stopped=stopped),
        auth=UrlAndNetrcAuth(setup.netrc, setup.auth_urls),
    )
    cache = Cache(setup.cache_root)
    downloads = ThreadPoolExecutor(max_workers=DOWNLOADS, thread_name_prefix="spoke-download")
    unpacks = HeaviestFirst(UNPACKS, thread_name_prefix="spoke-unpack")
    send(("ready",))

    try:
        _take_requests(stdin, send, stopped, lambda file, allowed_hashes, keep_archive, on_fetched: start_prepare(
            file, http=http, cache=cache, downloads=downloads, unpacks=unpacks,
            allowed_hashes=allowed_hashes, keep_archive=keep_archive, on_fetched=on_fetched,
        ))
    finally:
        downloads.shutdown(wait=True, cancel_futures=True)
        unpacks.shutdown(wait=True, cancel_futures=True)
        http.close()  # also finishes the cache writes (spoke.cache.write_later)
        out.close()
        # Nothing is left to tear down: the parent waits for this exit, and freeing the
        # interpreter's objects one by one took longer than the work of ending.
        os._exit(0)


def _take_requests(
    stdin: IO[bytes], send: Callable[[tuple[Any, ...]], None], stopped: threading.Event,
    start: Callable[[Any, Sequence[str], bool, Callable[[Any], None] | None], Future[Any]],
) -> None:
    """Read requests until stdin ends (then set ``stopped``); start each with ``start`` and
    answer it when it is done: ``ok``, a SpokeError whole, or ``redo`` for anything else."""
    from spoke.errors import SpokeError
    from spoke.models import UnpackedWheel

    def answer(job: int, done: Future[Any]) -> None:
        if done.cancelled():
            return
        exc = done.exception()
        if exc is None:
            send(("ok", job, done.result()))
        elif isinstance(exc, SpokeError):
            send(("error", job, exc))
        else:
            send(("redo", job, f"{type(exc).__name__}: {exc}"))

    while True:
        try:
            job, file, allowed_hashes, keep_archive, tell_fetched = pickle.load(stdin)
        except EOFError:
            stopped.set()  # the parent is closing: nobody waits for what still runs
            return
        on_fetched = None
        if tell_fetched:
            def on_fetched(result: Any, job: int = job) -> None:
                path = None if isinstance(result, UnpackedWheel) else str(result[0])
                send(("fetched", job, path))
        try:
            started = start(file, allowed_hashes, keep_archive, on_fetched)
        except BaseException as exc:  # noqa: BLE001
            send(("redo", job, f"{type(exc).__name__}: {exc}"))
            continue
        started.add_done_callback(functools.partial(answer, job))
