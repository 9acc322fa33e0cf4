"""The no-op record (spoke.app.noop): a repeated install answered before spoke is loaded.

The real CLI writes the record; whether a given state would be answered is asked of
``noop.answer`` in this process with the subprocess's exact arguments, environment and
working folder, and once through the CLI itself (``-X importtime`` shows what was loaded).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from spoke.app import noop
from spoke.cli.main import main
from tests.functional.conftest import _merged, run_checked
from tests.support.packages import Pkg

PACKAGES = [Pkg("alpha", "1.0", deps=("beta>=1.0",)), Pkg("beta", "1.0"), Pkg("beta", "2.0")]


@pytest.fixture
def setup(spoke, index, venv, hermetic, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    server = index(*PACKAGES)
    env = venv()
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    reqs = work / "requirements.txt"
    reqs.write_text("alpha\n")
    args = ["install", "-r", str(reqs), "--python", str(env.python), "-i", server.simple_url]
    spoke(*args)
    monkeypatch.chdir(work)

    def answered(*extra: str, env_extra: dict[str, str | None] | None = None) -> bool:
        return noop.answer([*args, *extra], _merged(hermetic, env_extra)) == 0

    return server, env, reqs, args, answered


def test_a_repeated_install_is_answered_without_loading_spoke(setup, spoke, hermetic, tmp_path) -> None:  # noqa: ANN001
    server, _env, _reqs, args, answered = setup
    assert answered()
    assert list((tmp_path / "cache" / "satisfied-v2").glob("command-*.json"))
    server.clear_log()
    result = run_checked([sys.executable, "-X", "importtime", "-m", "spoke", *args], env=hermetic,
                         cwd=tmp_path / "work")
    assert "Audited 2 packages: all requirements already satisfied" in result.stderr
    assert "spoke.cli.main" not in result.stderr and "packaging" not in result.stderr
    assert server.requests == []
    # Nor what the answer itself can do without: typing (6 ms of imports), hashlib's OpenSSL
    # (2.5 ms), dataclasses; that is most of a no-op's time beyond the interpreter's start.
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "spoke.app.noop" in imported
    assert not imported & {"typing", "_hashlib", "hashlib", "dataclasses"}, sorted(imported)


def test_any_change_of_input_or_environment_takes_the_full_path(setup, spoke, tmp_path) -> None:  # noqa: ANN001
    _server, env, reqs, args, answered = setup
    assert not answered("-v")  # other arguments
    assert not answered(env_extra={"PIP_PRE": "1"})  # another setting in the environment
    (tmp_path / "work" / ".venv").mkdir()  # discovery would look at it
    assert not answered()
    (tmp_path / "work" / ".venv").rmdir()
    assert answered()
    site_config = env.path / "pip.conf"  # a configuration file appears
    site_config.write_text("[global]\n")
    assert not answered()
    site_config.unlink()
    assert answered()
    journal = env.path / ".spoke" / "journal.jsonl"  # an interrupted change waits for recovery
    journal.parent.mkdir(exist_ok=True)
    journal.write_text("")
    assert not answered()
    journal.unlink()
    assert answered()
    reqs.write_text("alpha\nbeta==1.0\n")  # the requirements file changed
    assert not answered()
    result = spoke(*args)
    assert "+ beta==1.0" in result.stderr
    assert answered()  # the full path recorded the new state
    spoke("uninstall", "-y", "beta", "--python", str(env.python))  # the environment changed
    assert not answered()
    assert "+ beta==1.0" in spoke(*args).stderr


def test_quiet_stays_quiet(setup, spoke) -> None:  # noqa: ANN001
    _server, _env, _reqs, args, answered = setup
    spoke(*args, "-q")
    assert answered("-q")
    assert spoke(*args, "-q").stderr == ""


def test_no_record_for_a_cache_folder_set_in_a_configuration_file(spoke, index, venv, tmp_path, hermetic,
                                                                   monkeypatch) -> None:  # noqa: ANN001
    server = index(*PACKAGES)
    env = venv()
    config = tmp_path / "spoke.conf"
    config.write_text(f"[global]\ncache-dir = {tmp_path / 'configured-cache'}\n")
    extra = {"PIP_CONFIG_FILE": str(config), "SPOKE_CACHE_DIR": None}
    args = ["install", "alpha", "--python", str(env.python), "-i", server.simple_url]
    spoke(*args, env=extra)
    assert "already satisfied" in spoke(*args, env=extra).stderr  # the ordinary shortcut
    assert not list(Path(tmp_path).rglob("command-*.json"))
    monkeypatch.chdir(tmp_path / "work")
    assert noop.answer(args, _merged(hermetic, extra)) is None


class _Stderr(io.StringIO):
    """The stderr of an in-process ``spoke install`` that calls ``then`` (once) just before the
    first line starting with ``prefix`` is written."""

    def __init__(self, prefix: str, then: Callable[[], None]) -> None:
        super().__init__()
        self._prefix = prefix
        self._then: Callable[[], None] | None = then

    def write(self, text: str) -> int:
        if self._then is not None and text.startswith(self._prefix):
            then, self._then = self._then, None
            then()
        return super().write(text)


def test_a_change_landing_after_the_lock_is_released_is_never_recorded_as_satisfied(
    spoke, index, venv, hermetic, tmp_path, monkeypatch,
) -> None:  # noqa: ANN001
    """The race of issue 12: the install released the environment's lock, another process
    uninstalled a dependency, and only then was the environment fingerprinted and recorded as
    satisfied; both shortcuts then said "already satisfied" with ``beta`` missing.

    The window is made to happen every time: the install runs in this process, and its first
    line after the lock ("Resolved …", printed before the record is written) runs a second
    spoke process that uninstalls ``beta``.
    """
    server = index(*PACKAGES)
    env = venv()
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    monkeypatch.chdir(work)
    reqs = work / "requirements.txt"
    reqs.write_text("alpha\n")
    args = ["install", "-r", str(reqs), "--python", str(env.python), "-i", server.simple_url]

    def uninstall_in_the_window() -> None:
        fd = os.open(env.path, os.O_RDONLY)  # the lock is flock on the environment's folder
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pytest.fail("the install still held the environment's lock: this is not the window")
        finally:
            os.close(fd)
        assert "- beta==2.0" in spoke("uninstall", "-y", "beta", "--python", str(env.python)).stderr

    stderr = _Stderr("Resolved ", uninstall_in_the_window)
    with contextlib.redirect_stderr(stderr):
        assert main(args, hermetic) == 0
    assert "+ beta==2.0" in stderr.getvalue()
    assert list((tmp_path / "cache" / "satisfied-v2").glob("command-*.json"))  # a record was written ...
    assert noop.answer(args, hermetic) is None  # ... and it does not hold for the environment now
    # The record of the request as understood does not hold either: typed with -v (another
    # command, the same request), the full path runs and puts beta back.
    assert "+ beta==2.0" in spoke(*args, "-v").stderr
    assert noop.answer([*args, "-v"], hermetic) == 0


def test_a_repeated_sync_is_answered_without_loading_spoke(spoke, index, venv, hermetic, tmp_path,  # noqa: ANN001
                                                           monkeypatch) -> None:
    server = index(*PACKAGES)
    env = venv()
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    pins = work / "requirements.txt"
    pins.write_text("alpha==1.0\nbeta==2.0\n")
    args = ["sync", str(pins), "--python", str(env.python), "-i", server.simple_url]
    spoke(*args)
    monkeypatch.chdir(work)
    assert noop.answer(args, hermetic) == 0
    server.clear_log()
    result = run_checked([sys.executable, "-X", "importtime", "-m", "spoke", *args], env=hermetic, cwd=work)
    assert "Audited 2 packages: all requirements already satisfied" in result.stderr
    assert "spoke.cli.main" not in result.stderr and server.requests == []
    # Something else installed: the record no longer holds, and the full sync removes it.
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "--no-deps", "beta==1.0")
    assert noop.answer(args, hermetic) is None
    spoke(*args)
    assert {p.name for p in env.site_packages.glob("*.dist-info")} == {"alpha-1.0.dist-info", "beta-2.0.dist-info"}
    assert noop.answer(args, hermetic) == 0
    pins.write_text("alpha==1.0\nbeta==1.0\n")  # an edited file: the full path again
    assert noop.answer(args, hermetic) is None
