"""The real runner: exit codes, output, time limits and missing executables."""

import os
import sys
from pathlib import Path

import pytest

from benchkit.process import Completed, run_subprocess, tail


def test_a_command_that_succeeds(tmp_path: Path):
    done = run_subprocess(
        [sys.executable, "-c", "import os; print(os.environ['MARK'])"],
        env={"MARK": "hello"}, cwd=tmp_path, timeout=60,
    )
    assert done.ok
    assert done.stdout.strip() == "hello"
    assert done.seconds > 0


def test_a_command_that_fails_keeps_its_stderr(tmp_path: Path):
    done = run_subprocess(
        [sys.executable, "-c", "import sys; sys.stderr.write('bad thing\\n'); sys.exit(3)"],
        env={}, cwd=tmp_path, timeout=60,
    )
    assert not done.ok
    assert done.returncode == 3
    assert "bad thing" in done.stderr


def test_a_command_past_its_time_limit_is_killed(tmp_path: Path):
    done = run_subprocess(
        [sys.executable, "-c", "import time; time.sleep(30)"], env={}, cwd=tmp_path, timeout=0.5,
    )
    assert done.timed_out
    assert done.returncode is None
    assert not done.ok
    assert "killed after 0.5 s" in done.stderr


def test_a_missing_executable_is_a_failure_not_a_crash(tmp_path: Path):
    done = run_subprocess([str(tmp_path / "no-such-tool"), "install"], env={}, cwd=tmp_path, timeout=5)
    assert done.returncode == 127
    assert not done.ok
    assert "no-such-tool" in done.stderr


def test_tail_keeps_the_last_non_blank_lines():
    text = "one\n\ntwo\nthree\n   \nfour\n"
    assert tail(text, 2) == "three\nfour"
    assert tail("", 3) == ""


def test_completed_ok_needs_exit_zero():
    assert Completed(returncode=0, stdout="", stderr="", seconds=1.0).ok
    assert not Completed(returncode=2, stdout="", stderr="", seconds=1.0).ok


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="the tree's memory is read from Linux's /proc")
def test_peak_memory_counts_the_whole_process_tree(tmp_path) -> None:  # noqa: ANN001
    code = ("import subprocess, sys, time\n"
            "x = bytearray(60_000_000)\n"
            "subprocess.run([sys.executable, '-c', 'y = bytearray(60_000_000); import time; time.sleep(0.4)'])\n")
    done = run_subprocess([sys.executable, "-c", code], env=dict(os.environ), cwd=tmp_path, timeout=60)
    assert done.ok and done.peak_rss is not None
    assert done.peak_rss > 120_000_000  # both processes at once, not the larger alone
