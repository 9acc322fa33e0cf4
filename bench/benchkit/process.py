"""Running one command and timing it: the only place the harness starts processes.

Everything else takes a :class:`Runner`, so tests hand in a fake one and never time anything.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class Completed:
    """What one command did: its exit code, its output and its wall time in seconds.

    ``timed_out`` is true when the command was killed after its time limit (then ``returncode``
    is ``None``).
    """

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    peak_rss: int | None = None  # bytes: the most the whole process tree held at once (Linux)

    @property
    def ok(self) -> bool:
        """Whether the command ran to the end and exited with 0."""
        return self.returncode == 0 and not self.timed_out


class Runner(Protocol):
    """Runs ``argv`` with exactly ``env``, in ``cwd``, for at most ``timeout`` seconds."""

    def __call__(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float
    ) -> Completed:
        """Run the command to the end (or the time limit) and report what happened."""
        ...


def run_subprocess(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float
) -> Completed:
    """The real :class:`Runner`: a subprocess timed with :func:`time.perf_counter`.

    The clock brackets the whole child, start-up included: a user waits for that too. Output is
    captured (not shown) so that drawing it on a terminal costs no tool anything. The command runs
    in a session of its own and a timeout kills that whole session: ``pip --python`` runs itself
    again as a child, which would otherwise keep resolving and hold the output pipes.
    """
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True,
        )
    except OSError as exc:
        # A missing executable (a tool that failed to install) is a failure to report, not a crash.
        return Completed(returncode=127, stdout="", stderr=str(exc), seconds=time.perf_counter() - start)
    memory = TreeMemory(proc.pid)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        seconds = time.perf_counter() - start
        _kill_session(proc)
        stdout, stderr = proc.communicate()
        return Completed(
            returncode=None, stdout=_text(stdout), stderr=_text(stderr) + f"\n(killed after {timeout:g} s)",
            seconds=seconds, timed_out=True, peak_rss=memory.stop(),
        )
    except BaseException:  # Ctrl-C in the harness: the command's session goes with it
        _kill_session(proc)
        raise
    seconds = time.perf_counter() - start
    return Completed(returncode=proc.returncode, stdout=stdout, stderr=stderr, seconds=seconds,
                     peak_rss=memory.stop())


def _kill_session(proc: subprocess.Popen[str]) -> None:
    import os
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):  # gone already, or no process groups (Windows)
        proc.kill()


class TreeMemory:
    """The peak resident memory of a process and all its descendants together, sampled every
    ``interval`` seconds in a thread of the harness (Linux's ``/proc``; elsewhere ``None``).
    Children are found through ``/proc/PID/task/TID/children``, so a sample reads a few small
    files, not the whole process table."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        import os
        import threading

        self._pid = pid
        self._interval = interval
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self._peak: int | None = 0 if Path(f"/proc/{pid}").exists() else None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if self._peak is not None:
            self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            total = sum(self._rss(pid) for pid in self._tree())
            if self._peak is not None and total > self._peak:
                self._peak = total
            self._done.wait(self._interval)

    def _tree(self) -> list[int]:
        found, todo = [], [self._pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    def _rss(self, pid: int) -> int:
        try:
            return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
        except (OSError, ValueError, IndexError):
            return 0

    def stop(self) -> int | None:
        """End the sampling; the peak in bytes (``None`` where it cannot be measured)."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        return self._peak or None


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def tail(text: str, lines: int = 15) -> str:
    """The last ``lines`` non-blank lines of ``text``: where a failing tool says why."""
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
