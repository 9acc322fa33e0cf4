"""``spoke install`` against an index that misbehaves: dropped connections, short bodies, 5xx
answers, stalls and files whose hash disagrees with the index.

Every fault is armed on the real index server (``drop``, ``truncate``, ``fail``, ``stall``,
``corrupt``), strikes a bounded number of times, and the assertions read the server's request
log and its list of injected faults, never a clock. ``SPOKE_TEST_BACKOFF_SCALE`` shrinks the
waits between attempts a hundredfold, so the real retry loop runs without sleeping through it;
a stall lasts at most until its server closes, and the subprocess timeout only catches hangs.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.functional.conftest import snapshot
from tests.support.index_server import IndexServer
from tests.support.packages import Pkg

PKGS = (Pkg("alpha", "1.0", deps=("beta",)), Pkg("beta", "1.0"))
ALPHA = "alpha-1.0-py3-none-any.whl"
BETA = "beta-1.0-py3-none-any.whl"
BETA_PATH = f"/files/{BETA}"

FAST_BACKOFF = {"SPOKE_TEST_BACKOFF_SCALE": "0.01"}
STALL = 30.0  # far beyond --timeout; a stall ends early when its server closes
# --timeout where a stall is the point: small, so a loaded machine may let a request that was
# never stalled time out too. The tests that stall once therefore bound the attempts (at least
# the retry, at most what --retries allows) rather than count them; a fault that strikes every
# attempt is counted exactly.
STALL_TIMEOUT = "1"
PASSWORD = "pa55-w0rd-never-shown"


def install(spoke, server: IndexServer, env, *extra: str, url: str | None = None,  # noqa: ANN001
            retries: int = 3, timeout: str = "10", check: bool | int = True):
    """``spoke install alpha`` from ``server`` into ``env``, quick to retry."""
    return spoke(
        "install", *(extra or ("alpha",)), "--python", str(env.python),
        "-i", url or server.simple_url, "--retries", str(retries), "--timeout", timeout,
        env=FAST_BACKOFF, check=check, timeout=120,
    )


def assert_installed(env) -> None:  # noqa: ANN001
    names = {p.name for p in env.site_packages.glob("*.dist-info")}
    assert names == {"alpha-1.0.dist-info", "beta-1.0.dist-info"}
    code = "import alpha, beta; print(alpha.__version__, beta.__version__)"
    out = subprocess.run(
        [str(env.python), "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.stdout.strip() == "1.0 1.0", out.stderr


def assert_clean_failure(result, before: dict[str, tuple[int, int]], env) -> None:  # noqa: ANN001
    assert result.returncode == 1, result.describe()
    assert "Traceback" not in result.output
    assert "error:" in result.stderr and "hint:" in result.stderr
    assert snapshot(env.path) == before  # byte for byte, spoke's own state folder included


def gets(server: IndexServer, path: str) -> list[tuple[int, str | None]]:
    """``(status, Range header)`` of every GET of ``path``, oldest first."""
    return [(r.status, r.headers.get("Range")) for r in server.requests
            if r.method == "GET" and r.path == path]


def size_of(server: IndexServer, filename: str) -> int:
    with urllib.request.urlopen(server.file_url(filename), timeout=30) as answer:
        return len(answer.read())


# ----------------------------------------------------------------------------- the faults


def _get(server: IndexServer, path: str, headers: dict[str, str] | None = None,
         timeout: float = 30) -> tuple[int, int, bytes]:
    """One GET on a fresh connection: ``(status, Content-Length, body)``; raises when the
    body breaks off."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, int(answer.headers["Content-Length"]), answer.read()
    finally:
        conn.close()


def test_the_injected_faults_are_what_they_claim(index) -> None:  # noqa: ANN001
    server = index(*PKGS)
    status, length, good = _get(server, BETA_PATH)
    assert status == 200 and length == len(good)
    server.truncate(BETA_PATH, after=100, exact=True)
    with pytest.raises(http.client.IncompleteRead) as cut:
        _get(server, BETA_PATH)
    assert len(cut.value.partial) == 100 and cut.value.expected == len(good) - 100
    server.drop(BETA_PATH, after=100, exact=True)
    with pytest.raises((ConnectionResetError, http.client.IncompleteRead)):
        _get(server, BETA_PATH)
    server.corrupt(BETA_PATH, exact=True)
    status, length, bad = _get(server, BETA_PATH)
    assert length == len(bad) == len(good) and bad != good
    assert hashlib.sha256(bad).hexdigest() != server.sha256(BETA)
    server.stall(BETA_PATH, STALL, exact=True)
    with pytest.raises(TimeoutError):
        _get(server, BETA_PATH, timeout=0.2)
    # Filters: exact spares the .metadata file, ranged spares whole-file requests.
    server.fail(BETA_PATH, 503, exact=True, ranged=True)
    assert _get(server, BETA_PATH + ".metadata")[0] == 200
    assert _get(server, BETA_PATH)[0] == 200
    assert _get(server, BETA_PATH, {"Range": "bytes=0-9"})[0] == 503
    assert _get(server, BETA_PATH, {"Range": "bytes=0-9"})[:2] == (206, 10)
    kinds = [kind for kind, _ in server.injected]
    assert kinds == ["truncate", "drop", "corrupt", "stall", "status"]


# ----------------------------------------------------------------------------- broken bodies


def test_connection_dropped_midway_resumes_with_a_range(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    half = size_of(server, BETA) // 2
    server.clear_log()
    server.drop(BETA_PATH, after=half, exact=True)
    result = install(spoke, server, env)
    assert_installed(env)
    assert server.injected == [("drop", BETA_PATH)]
    assert gets(server, BETA_PATH) == [(200, None), (206, f"bytes={half}-")]
    warning = f"Retrying (1/3) {server.file_url(BETA)}: the server reset the connection"
    assert warning in result.stderr


def test_connection_dropped_midway_restarts_without_ranges(spoke, index, venv) -> None:
    server = index(*PKGS, ranges=False)
    env = venv()
    server.drop(BETA_PATH, after=200, exact=True)
    install(spoke, server, env)
    assert_installed(env)
    assert server.injected == [("drop", BETA_PATH)]
    assert gets(server, BETA_PATH) == [(200, None), (200, None)]


def test_bodies_shorter_than_their_content_length_are_fetched_again(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    server.truncate("/simple/alpha/", after=40)
    server.truncate(BETA_PATH, after=100, exact=True)
    result = install(spoke, server, env)
    assert_installed(env)
    assert sorted(server.injected) == [("truncate", BETA_PATH), ("truncate", "/simple/alpha/")]
    assert gets(server, "/simple/alpha/") == [(200, None), (200, None)]
    assert gets(server, BETA_PATH) == [(200, None), (206, "bytes=100-")]
    assert "the connection closed before the whole body arrived" in result.stderr


# ----------------------------------------------------------------------------- 5xx then success


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("path", ["/simple/beta/", BETA_PATH], ids=["index-page", "file"])
def test_server_errors_then_success(spoke, index, venv, status: int, path: str) -> None:
    server = index(*PKGS)
    env = venv()
    # Retry-After is honoured, and scaled down with every other wait.
    headers = {"Retry-After": "2"} if status == 503 else None
    server.fail(path, status, times=2, headers=headers, exact=True)
    result = install(spoke, server, env)
    assert_installed(env)
    assert [s for s, _ in gets(server, path)] == [status, status, 200]
    assert result.stderr.count(f": server answered {status}") == 2


def test_range_reads_of_metadata_retry_server_errors(spoke, index, venv, tmp_path: Path) -> None:
    # No PEP 658 files and no sizes (HTML pages): metadata comes from range reads of the
    # wheels. Hash-checking mode fetches nothing early, so those reads come first.
    server = index(*PKGS, json=False, metadata=False)
    env = venv()
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(
        f"alpha==1.0 --hash=sha256:{server.sha256(ALPHA)}\n"
        f"beta==1.0 --hash=sha256:{server.sha256(BETA)}\n"
    )
    server.fail("/files/", 503, times=2, ranged=True)
    install(spoke, server, env, "-r", str(reqs))
    assert_installed(env)
    assert [kind for kind, _ in server.injected] == ["status", "status"]
    ranged = [r.status for r in server.requests if r.method == "GET" and "Range" in r.headers]
    assert ranged.count(503) == 2 and ranged[-1] == 206


# ----------------------------------------------------------------------------- stalls


def test_stalled_index_page_times_out_then_is_retried(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    server.stall("/simple/alpha/", STALL)
    result = install(spoke, server, env, timeout=STALL_TIMEOUT, retries=3)
    assert_installed(env)
    assert server.injected == [("stall", "/simple/alpha/")]
    assert 2 <= len(gets(server, "/simple/alpha/")) <= 1 + 3  # the stalled attempt, then retries
    assert f"read timed out after {STALL_TIMEOUT}s" in result.stderr
    assert "Retrying (1/3)" in result.stderr


def test_file_stalled_midway_times_out_then_resumes(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    server.stall(BETA_PATH, STALL, after=100, exact=True)
    result = install(spoke, server, env, timeout=STALL_TIMEOUT, retries=3)
    assert_installed(env)
    assert server.injected == [("stall", BETA_PATH)]
    attempts = gets(server, BETA_PATH)
    # The stalled download, then a resume from the 100 bytes it got; any later attempt (a
    # resume that also outlived the timeout on a loaded machine) resumes again.
    assert attempts[:2] == [(200, None), (206, "bytes=100-")]
    assert len(attempts) <= 1 + 3 and all(status == 206 for status, _ in attempts[2:])
    assert f"read timed out after {STALL_TIMEOUT}s" in result.stderr


# ----------------------------------------------------------------------------- bad hashes


def test_file_whose_hash_disagrees_with_the_index_is_never_installed(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    with urllib.request.urlopen(server.file_url(BETA), timeout=30) as answer:
        good = answer.read()
    middle = len(good) // 2
    served = good[:middle] + bytes([good[middle] ^ 0xFF]) + good[middle + 1 :]
    server.corrupt(BETA_PATH, exact=True, times=None)
    before = snapshot(env.path)
    result = install(spoke, server, env, check=False)
    assert_clean_failure(result, before, env)
    assert f"Hash mismatch for {BETA}" in result.stderr
    assert f"expected sha256:{server.sha256(BETA)}" in result.stderr
    assert f"got      sha256:{hashlib.sha256(served).hexdigest()}" in result.stderr
    assert server.file_url(BETA) in result.stderr
    assert ("corrupt", BETA_PATH) in server.injected
    # Nothing unverified was kept: once the server mends, the file is fetched anew.
    fetched = server.downloads(BETA)
    server.clear_faults()
    install(spoke, server, env)
    assert_installed(env)
    assert server.downloads(BETA) == fetched + 1


# ----------------------------------------------------------------------------- giving up


def _masked_page(server: IndexServer) -> str:
    """The alpha page as spoke names it when the request failed: credentials masked."""
    return server.authed_url().replace(PASSWORD, "****") + "alpha/"


def _fail_page_503(server: IndexServer) -> tuple[str, str]:
    server.fail("/simple/alpha/", 503, times=None)
    # An answer's URL is the one that answered: spoke sent the credentials as a header.
    page = server.simple_url + "alpha/"
    return "/simple/alpha/", f"127.0.0.1:{server.port} answered 503 Service Unavailable for {page}"


def _stall_page(server: IndexServer) -> tuple[str, str]:
    server.stall("/simple/alpha/", STALL, times=None)
    page = _masked_page(server)
    return "/simple/alpha/", f"Could not fetch {page}: read timed out after {STALL_TIMEOUT}s"


def _reset_file(server: IndexServer) -> tuple[str, str]:
    server.drop(BETA_PATH, after=100, times=None, exact=True)
    return BETA_PATH, f"Could not download {server.file_url(BETA)}: the server reset the connection"


def _truncate_file(server: IndexServer) -> tuple[str, str]:
    server.truncate(BETA_PATH, after=100, times=None, exact=True)
    return BETA_PATH, (
        f"Could not download {server.file_url(BETA)}: the connection closed before the whole "
        "body arrived"
    )


@pytest.mark.parametrize(
    "arm", [_fail_page_503, _stall_page, _reset_file, _truncate_file],
    ids=["503", "stall", "reset", "short-body"],
)
def test_after_the_last_retry_the_error_names_the_url_and_what_failed(  # noqa: ANN001
    spoke, index, venv, arm
) -> None:
    server = index(*PKGS, auth=("user", PASSWORD))
    env = venv()
    path, message = arm(server)
    before = snapshot(env.path)
    timeout = STALL_TIMEOUT if arm is _stall_page else "10"
    result = install(
        spoke, server, env, url=server.authed_url(), retries=2, timeout=timeout, check=False
    )
    assert_clean_failure(result, before, env)
    error = next(line for line in result.stderr.splitlines() if line.startswith("error: "))
    assert error.removeprefix("error: ").startswith(message), result.stderr
    assert "note: tried 3 times" in result.stderr
    if path == BETA_PATH:  # each attempt resumed where the last one broke off
        assert re.search(r"note: 300 of \d+ bytes arrived in all", result.stderr), result.stderr
    assert result.stderr.count("Retrying (") == 2
    assert len(gets(server, path)) == 3  # the first attempt and --retries 2, no more
    assert PASSWORD not in result.output


def test_no_retries_means_one_attempt(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    server.fail(BETA_PATH, 500, times=None, exact=True)
    before = snapshot(env.path)
    result = install(spoke, server, env, retries=0, check=False)
    assert_clean_failure(result, before, env)
    assert f"answered 500 Internal Server Error for {server.file_url(BETA)}" in result.stderr
    assert "note: tried 1 time" in result.stderr and "Retrying" not in result.stderr
    assert len(gets(server, BETA_PATH)) == 1


def test_a_bad_wheel_among_many_rolls_back_the_ones_already_linked(spoke, index, venv) -> None:
    # A plan that only adds links each wheel as soon as it is ready; one wheel that fails its
    # hash check must take every addition back with it.
    many = [Pkg(f"leaf{i}", "1.0", files={f"leaf{i}/__init__.py": "X = 1\n" * 200}) for i in range(12)]
    root = Pkg("root", "1.0", deps=(*(p.name for p in many), "zbad"))
    server = index(root, *many, Pkg("zbad", "1.0"))
    server.corrupt("/files/zbad-1.0-py3-none-any.whl", exact=True, times=None)
    env = venv()
    before = snapshot(env.path)
    result = install(spoke, server, env, "root", check=False)
    assert_clean_failure(result, before, env)
    assert "Hash mismatch for zbad-1.0-py3-none-any.whl" in result.stderr
    assert [r for r in server.requests if r.path.startswith("/files/leaf")]  # the others were fetched
