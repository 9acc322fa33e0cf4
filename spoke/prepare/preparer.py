"""The prepare stage's scheduler: wheels fetched and unpacked for one command, once each.

A :class:`Preparer` owns what used to be spread over the command's context: the pools of
downloads and unpacks, the offload child process (:mod:`spoke.prepare.offload`, where every
16 KB read and file write does not wait for the solver's interpreter lock), the jobs begun
early while the solver works, and the wheels the metadata fetcher needs whole.

* :meth:`prefetch` starts a wheel the solver is likely to keep (once per URL);
* :meth:`start` starts every wheel of a plan, awaiting the early jobs instead of redoing them,
  and answers a future per project; :meth:`result` waits for them all;
* :meth:`download_whole` / :meth:`downloaded` serve the metadata fetcher
  (:class:`spoke.metadata.fetcher.WholeWheels`): a small wheel fetched whole for its metadata
  is downloaded by the child and unpacked next, so the install finds it ready;
* :meth:`close` ends the child without waiting for speculative work nobody needs any more.

A build environment's context shares its parent's preparer (one child, one set of pools per
command).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from spoke.cache import Cache
from spoke.models import IndexFile, UnpackedWheel
from spoke.protocols import Reporter

if TYPE_CHECKING:
    from spoke.net.client import HttpClient
    from spoke.prepare.offload import PrepareProcess, Setup
    from spoke.prepare.workers import HeaviestFirst


class Preparer:
    """Fetches and unpacks wheels for one command (see the module docstring).

    ``http`` and ``setup`` are factories, called on first need: a command that prepares
    nothing creates no HTTP client and starts no child.
    """

    def __init__(
        self, *, cache: Cache, http: Callable[[], HttpClient], reporter: Reporter,
        setup: Callable[[], Setup], offload: PrepareProcess | None = None,
    ) -> None:
        self._cache = cache
        self._http = http
        self._reporter = reporter
        self._setup = setup
        self._lock = threading.Lock()  # guards the early jobs
        self._child_lock = threading.Lock()  # guards making the child (prefetch holds the other)
        # Made on first need (tests pass a stand-in with the same four members).
        self._offload: PrepareProcess | None = offload
        self._early: dict[str, Future[UnpackedWheel]] = {}  # URL → job begun while resolving

    # -- pools ----------------------------------------------------------------------------------

    @cached_property
    def downloads(self) -> ThreadPoolExecutor:
        """Worker threads that download wheels (:attr:`unpacks` unpacks them).

        A pool of their own: the solver's page and metadata requests are on the critical
        path, and queued behind sixty wheel downloads they were answered a second late.
        """
        from spoke.prepare.workers import DOWNLOADS

        return ThreadPoolExecutor(max_workers=DOWNLOADS, thread_name_prefix="spoke-download")

    @cached_property
    def starts(self) -> ThreadPoolExecutor:
        """Threads that begin the jobs :meth:`prefetch` asks for (a cache lookup, a hand-over
        to the child), so the solver asking does not wait for them."""
        return ThreadPoolExecutor(max_workers=2, thread_name_prefix="spoke-prepare")

    @cached_property
    def unpacks(self) -> HeaviestFirst:
        """Worker threads that unpack downloaded wheels into the cache,
        :data:`~spoke.prepare.workers.UNPACKS` at a time, the biggest waiting archive first."""
        from spoke.prepare.workers import UNPACKS, HeaviestFirst

        return HeaviestFirst(UNPACKS, thread_name_prefix="spoke-unpack")

    # -- jobs -----------------------------------------------------------------------------------

    def prefetch(self, file: IndexFile, *, keep_archive: bool = False) -> None:
        """Start fetching and unpacking ``file`` in the background, once per URL.

        If the plan settles on that file, :meth:`start` awaits this job instead of doing the
        work again; an abandoned job costs its download only (and :meth:`close` cuts even
        that short). A job's failure resurfaces when :meth:`start`'s future is awaited.
        """
        with self._lock:
            if file.url in self._early:
                return
            job: Future[UnpackedWheel] = Future()
            self._early[file.url] = job
        # Even the start is left to a worker: the caller is the solver's thread, and a wheel
        # found unpacked in the cache still costs reading its record (thousands of files for
        # some), which had a warm install's solver spend a third of its time here.
        self.starts.submit(self._start_early, job, file, keep_archive)

    def _start_early(self, job: Future[UnpackedWheel], file: IndexFile, keep_archive: bool) -> None:
        try:
            started = self.start_one(file, keep_archive=keep_archive)
        except BaseException as exc:  # noqa: BLE001 - it resurfaces where the job is awaited
            job.set_exception(exc)
            return
        from spoke.prepare import pass_on

        started.add_done_callback(lambda done: pass_on(done, job))

    def start(
        self, files: Sequence[IndexFile], *, hashes: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, Future[UnpackedWheel]]:
        """A future of each file's unpacked wheel, by project name; jobs begun by
        :meth:`prefetch` are awaited, not redone, unless the user gave hashes for them."""
        from spoke.prepare import start_all

        with self._lock:
            early = dict(self._early)
        return start_all(files, start=lambda f, allowed: self.start_one(f, allowed_hashes=allowed),
                         hashes=hashes, started=early)

    @staticmethod
    def result(jobs: Mapping[str, Future[UnpackedWheel]]) -> dict[str, UnpackedWheel]:
        """Every job's wheel; the first failure is raised once every job has ended."""
        from spoke.prepare import gather

        return gather(jobs)

    def start_one(
        self, file: IndexFile, *, allowed_hashes: Sequence[str] = (), keep_archive: bool = False,
    ) -> Future[UnpackedWheel]:
        """Start fetching and unpacking ``file``; a future of the unpacked wheel.

        A wheel already unpacked in the cache is answered at once; the others go to the
        offload process once it is ready, and are prepared here before that (a small install
        is often over by then) or if it cannot take them.
        """
        from spoke.prepare.unpack import cached_unpacked

        if file.is_wheel:
            hit = cached_unpacked(self._cache, file.sha256) if file.sha256 and not allowed_hashes else None
            if hit is not None:
                done: Future[UnpackedWheel] = Future()
                done.set_result(hit)
                return done
            offload = self._child()
            if offload.ready:
                offloaded = offload.submit(file, allowed_hashes, keep_archive)
                if offloaded is not None:
                    return offloaded
            else:
                offload.start()  # for the wheels to come; this one is not kept waiting
        return self._here(file, allowed_hashes, keep_archive)

    def _here(self, file: IndexFile, allowed_hashes: Sequence[str], keep_archive: bool) -> Future[UnpackedWheel]:
        from spoke.prepare import start_prepare

        return start_prepare(
            file, http=self._http(), cache=self._cache, downloads=self.downloads, unpacks=self.unpacks,
            allowed_hashes=allowed_hashes, keep_archive=keep_archive,
        )

    def _child(self) -> PrepareProcess:
        """The child process, made once (by whichever thread asks first), started with the
        first wheel."""
        with self._child_lock:
            if self._offload is None:
                from spoke.prepare.offload import PrepareProcess

                self._offload = PrepareProcess(self._setup(), self._reporter, self._here)
            return self._offload

    # -- wheels the metadata fetcher needs whole (spoke.metadata.fetcher.WholeWheels) ----------

    def download_whole(self, file: IndexFile, dest: Path) -> Path | None:
        """Download ``file`` whole in the offload process, which unpacks it next; the archive's
        path, or ``None`` when the caller should download it itself.

        Sixty of the large set's wheels are small enough to be fetched whole for their
        metadata; fetched beside the solver, each waited for the interpreter lock at every
        16 KB read.
        """
        offload = self._child()
        if not offload.ready:
            return None  # the first wheels are fetched by the caller while the child starts
        fetched: Future[Path | None] = Future()
        with self._lock:
            if file.url in self._early:
                return None
            job = offload.submit(file, (), True, fetched=fetched)
            if job is None:
                return None
            self._early[file.url] = job
        return fetched.result()

    def downloaded(self, file: IndexFile, path: Path) -> None:
        """A wheel the caller fetched whole for its metadata is unpacked now, while the solver
        works on."""
        self.prefetch(file, keep_archive=True)

    def close(self) -> None:
        """End the child (its speculative downloads are cut short) and the pools."""
        if "starts" in self.__dict__:
            # First: a job still being begun may make the child, which must not outlive this.
            self.starts.shutdown(wait=True, cancel_futures=True)
        with self._child_lock:
            offload = self._offload
        if offload is not None:
            offload.close()
        for pool in ("downloads", "unpacks"):
            if pool in self.__dict__:
                self.__dict__[pool].shutdown(wait=True, cancel_futures=True)
