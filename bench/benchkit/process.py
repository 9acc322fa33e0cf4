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
    captured (not shown) so that drawing it on a terminal costs no tool anything.
    """
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return Completed(
            returncode=None,
            stdout=_text(exc.stdout),
            stderr=_text(exc.stderr) + f"\n(killed after {timeout:g} s)",
            seconds=time.perf_counter() - start,
            timed_out=True,
        )
    except OSError as exc:
        # A missing executable (a tool that failed to install) is a failure to report, not a crash.
        return Completed(returncode=127, stdout="", stderr=str(exc), seconds=time.perf_counter() - start)
    return Completed(
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        seconds=time.perf_counter() - start,
    )


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
