"""``spoke download`` when the disk or the connection fails midway (issue 13): a disk that is
full, a body cut short, a Ctrl-C during a transfer. Each ends with one clear error (or a short
"Interrupted"), no traceback, and nothing partial in the ``-d`` folder.

A full disk is simulated without root by a file-size limit on the spoke process
(``RLIMIT_FSIZE``): CPython ignores ``SIGXFSZ``, so a write past the limit fails with
``EFBIG``, as a write to a full disk fails with ``ENOSPC``. The big wheel holds a file of
random text (deflate cannot shrink it below the limit); it is built once per session.
"""

from __future__ import annotations

import base64
import hashlib
import random
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.functional.conftest import Result
from tests.support.index_server import IndexServer
from tests.support.packages import Pkg

FAST_BACKOFF = {"SPOKE_TEST_BACKOFF_SCALE": "0.01"}
SMALL = Pkg("small", "1.0")
SMALL_WHEEL = "small-1.0-py3-none-any.whl"
BIG_WHEEL = "big-1.0-py3-none-any.whl"
LIMIT = 128 * 1024  # the file-size limit: far above an index page, far below the big wheel
DEADLINE = 60.0  # seconds any one spoke run may take before the test fails (hangs only)


def _noise(size: int) -> str:
    """``size`` characters of seeded random text (base85), so the spec, and thus its
    session-cached build, is the same on every run."""
    rng = random.Random(13)
    return base64.b85encode(rng.randbytes(size * 4 // 5)).decode()


BIG = Pkg("big", "1.0", files={"big/__init__.py": "", "big/noise.txt": _noise(1024 * 1024)})


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def run(
    args: list[str],
    env: Mapping[str, str],
    cwd: Path,
    *,
    fsize: int | None = None,
    timeout: float = DEADLINE,
) -> Result:
    """``python -m spoke ARGS`` (optionally under a file-size limit), bounded by ``timeout``."""

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    argv = (sys.executable, "-m", "spoke", *args)
    proc = subprocess.run(
        argv, env=dict(env), cwd=cwd, capture_output=True, timeout=timeout,
        stdin=subprocess.DEVNULL, preexec_fn=limit, check=False,
    )
    return Result(
        args=argv, returncode=proc.returncode,
        stdout=proc.stdout.decode(errors="replace"), stderr=proc.stderr.decode(errors="replace"),
    )


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def assert_one_clear_error(result: Result, *cause: str) -> None:
    """Exit 1, one ``error:`` line naming one of ``cause``, a ``hint:``, no traceback."""
    assert result.returncode == 1, result.describe()
    assert "Traceback" not in result.output, result.describe()
    errors = error_lines(result)
    assert len(errors) == 1, result.describe()
    assert any(c in errors[0] for c in cause), result.describe()
    assert "hint:" in result.stderr, result.describe()


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir(exist_ok=True)
    return folder


# ----------------------------------------------------------------------------- a full disk


def test_the_big_wheel_is_far_bigger_than_the_limit(index) -> None:  # noqa: ANN001
    server = index(BIG)
    with urllib.request.urlopen(server.file_url(BIG_WHEEL), timeout=30) as answer:
        assert len(answer.read()) > 4 * LIMIT


def test_a_disk_that_fills_up_is_one_clear_error_and_leaves_only_whole_files(
    index, hermetic, work: Path, tmp_path: Path,  # noqa: ANN001
) -> None:
    server = index(SMALL, BIG)
    dest = tmp_path / "wheels"
    result = run(
        ["download", "small", "big", "--no-deps", "-d", str(dest), "-i", server.simple_url,
         "--retries", "2"],
        {**hermetic, **FAST_BACKOFF}, work, fsize=LIMIT,
    )
    assert_one_clear_error(result, "too large", "no space", "No space", "full")
    assert "-d" in result.stderr or "another folder" in result.stderr, result.describe()
    assert files(dest) <= {SMALL_WHEEL}, result.describe()  # nothing partial, no temporary file
    # A write failure is no network failure: it is not retried.
    assert server.downloads(BIG_WHEEL) == 1, result.describe()
    assert "Retrying" not in result.stderr


def test_a_full_disk_while_copying_from_the_cache_is_the_same_clear_error(
    index, hermetic, work: Path, tmp_path: Path,  # noqa: ANN001
) -> None:
    server = index(BIG, metadata=False, ranges=False)  # the first run fetches it whole, cached
    env = {**hermetic, **FAST_BACKOFF}
    first = run(["download", "big", "-d", str(tmp_path / "first"), "-i", server.simple_url], env, work)
    assert first.returncode == 0, first.describe()
    dest = tmp_path / "wheels"
    result = run(["download", "big", "-d", str(dest), "-i", server.simple_url], env, work, fsize=LIMIT)
    assert_one_clear_error(result, "too large", "no space", "No space", "full")
    assert files(dest) == set(), result.describe()


# ----------------------------------------------------------------------------- broken bodies


def test_a_body_cut_short_every_time_fails_clearly_and_leaves_nothing(
    spoke, index, tmp_path: Path,  # noqa: ANN001
) -> None:
    server = index(BIG)
    server.truncate(f"/files/{BIG_WHEEL}", after=100_000, exact=True, times=None)
    dest = tmp_path / "wheels"
    result = spoke("download", "big", "-d", str(dest), "-i", server.simple_url, "--retries", "2",
                   "--no-cache-dir", env=FAST_BACKOFF, check=False, timeout=DEADLINE)
    assert_one_clear_error(result, "Could not download")
    assert "the connection closed before the whole body arrived" in result.stderr
    assert files(dest) == set(), result.describe()


@pytest.mark.parametrize("fault", ["truncate", "drop"])
def test_a_body_cut_short_once_is_resumed_and_saved_whole(
    spoke, index, tmp_path: Path, fault: str,  # noqa: ANN001
) -> None:
    server = index(BIG)
    getattr(server, fault)(f"/files/{BIG_WHEEL}", after=100_000, exact=True)
    dest = tmp_path / "wheels"
    spoke("download", "big", "-d", str(dest), "-i", server.simple_url, "--no-cache-dir",
          env=FAST_BACKOFF, timeout=DEADLINE)
    assert server.injected == [(fault, f"/files/{BIG_WHEEL}")]
    assert files(dest) == {BIG_WHEEL}
    assert hashlib.sha256((dest / BIG_WHEEL).read_bytes()).hexdigest() == server.sha256(BIG_WHEEL)


# ----------------------------------------------------------------------------- Ctrl-C


def _wait_for(condition, seconds: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_ctrl_c_during_a_download_stops_at_once_and_leaves_nothing(
    index, hermetic, work: Path, tmp_path: Path,  # noqa: ANN001
) -> None:
    server: IndexServer = index(BIG)
    server.stall(f"/files/{BIG_WHEEL}", 30.0, after=200_000, exact=True)
    dest = tmp_path / "wheels"
    argv = [sys.executable, "-m", "spoke", "download", "big", "-d", str(dest),
            "-i", server.simple_url, "--no-cache-dir", "--timeout", "60"]
    # Ctrl-C as a terminal sends it: a suite started in the background (``pytest … &`` from a
    # script) has SIGINT ignored, which every child would inherit and the signal would do nothing.
    proc = subprocess.Popen(argv, env=hermetic, cwd=work, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert _wait_for(lambda: server.injected, DEADLINE), "the download never started"
        assert _wait_for(lambda: any(p.stat().st_size > 0 for p in dest.iterdir()), 10)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    result = Result(args=tuple(argv), returncode=proc.returncode,
                    stdout=out.decode(errors="replace"), stderr=err.decode(errors="replace"))
    assert result.returncode != 0, result.describe()
    assert "Traceback" not in result.output, result.describe()
    assert "Interrupted" in result.stderr, result.describe()
    assert files(dest) == set(), result.describe()
    assert took < 5, result.describe()
