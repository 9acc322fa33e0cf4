"""Transactions: a spoke killed at any point leaves nothing half installed; one lock per
environment; history and rollback. The kill points are armed with ``SPOKE_TEST_KILL_AT``."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import signal
import subprocess
import sys

import pytest

from tests.functional.conftest import installed_files
from tests.support.packages import Pkg

PKGS = [
    Pkg("alpha", "1.0", deps=("beta<2",), console_scripts={"alpha-cli": "alpha:main"},
        files={"alpha/__init__.py": "__version__ = '1.0'\n", "alpha/one.py": "X = 1\n",
               "alpha/sub/deep.py": "Y = 1\n"}),
    Pkg("alpha", "2.0", deps=("beta>=2.0",), console_scripts={"alpha-cli": "alpha:main"},
        files={"alpha/__init__.py": "__version__ = '2.0'\n", "alpha/two.py": "X = 2\n"}),
    Pkg("beta", "1.0"),
    Pkg("beta", "2.0"),
    Pkg("gamma", "1.0"),
]


def records_match(env) -> None:  # noqa: ANN001
    """Every RECORD of the venv lists files that exist with their hashes; no stray dist-info."""
    site = env.site_packages
    for info in site.glob("*.dist-info"):
        rows = list(csv.reader((info / "RECORD").read_text().splitlines()))
        for path, digest, _size in rows:
            target = (site / path).resolve()
            assert target.exists(), f"{info.name} lists missing {path}"
            if digest:
                algo, _, value = digest.partition("=")
                actual = base64.urlsafe_b64encode(hashlib.new(algo, target.read_bytes()).digest()).rstrip(b"=")
                assert actual.decode() == value, path
    assert not [p.name for p in site.iterdir() if p.name.startswith(".") and "spoke" in p.name]


def versions(env) -> dict[str, str]:  # noqa: ANN001
    out = {}
    for info in env.site_packages.glob("*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        out[name] = version
    return out


KILL_POINTS = ["begin:1", "remove-file:1", "remove-file:4", "install-file:1", "install-file:4",
               "publish-dist-info:1", "publish-dist-info:2", "before-commit:1", "after-commit:1"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_upgrade_is_rolled_back_or_forward(spoke, index, venv, pip_in, point: str) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha==1.0")
    before_files = installed_files(env)
    killed = spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha==2.0",
                   env={"SPOKE_TEST_KILL_AT": point}, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The next command on the environment (even a read-only one) finishes or undoes the change.
    listed = spoke("list", "--python", str(env.python))
    assert "interrupted" in listed.stderr
    records_match(env)
    state = versions(env)
    if point == "after-commit:1":
        assert state == {"alpha": "2.0", "beta": "2.0"}
        # The committed change is in the history even though the kill came before it was written.
        history = json.loads(spoke("history", "--python", str(env.python), "--format", "json").stdout)
        assert [e["command"].split()[-1] for e in history] == ["alpha==1.0", "alpha==2.0"]
    else:
        assert state == {"alpha": "1.0", "beta": "1.0"}
        assert installed_files(env) == before_files
    assert pip_in(env.python, "check").returncode == 0
    assert not (env.path / ".spoke" / "journal.jsonl").exists()
    # And the environment takes the change afterwards as if nothing had happened.
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha==2.0")
    assert versions(env) == {"alpha": "2.0", "beta": "2.0"}
    records_match(env)


@pytest.mark.parametrize("point", ["remove-file:2", "before-commit:1"])
def test_killed_uninstall_is_undone(spoke, index, venv, point: str) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha==1.0", "gamma")
    before = installed_files(env)
    killed = spoke("uninstall", "-y", "--python", str(env.python), "alpha", "gamma",
                   env={"SPOKE_TEST_KILL_AT": point}, check=False)
    assert killed.returncode == -signal.SIGKILL
    spoke("freeze", "--python", str(env.python))
    assert installed_files(env) == before
    records_match(env)


def test_failure_midway_leaves_the_environment_as_before(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha==1.0")
    before = installed_files(env)
    # A folder where alpha 2.0 wants to write a file: the install fails after removing 1.0.
    (env.site_packages / "alpha" / "two.py").mkdir(parents=True)
    (env.site_packages / "alpha" / "two.py" / "keep").write_text("x")
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha==2.0", check=1)
    assert "Traceback" not in result.stderr
    assert versions(env) == {"alpha": "1.0", "beta": "1.0"}
    assert installed_files(env) == before | {f"{env.site_packages.relative_to(env.path).as_posix()}/alpha/two.py/keep"}


def test_two_installs_into_one_environment_both_succeed(spoke, index, venv, hermetic, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    procs = [
        subprocess.Popen([sys.executable, "-m", "spoke", "install", "--python", str(env.python), "-i",
                          server.simple_url, name], env=hermetic, cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for name in ("alpha==1.0", "gamma")
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert versions(env) == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    records_match(env)


def test_many_processes_share_one_cache(spoke, index, venv, hermetic, tmp_path) -> None:
    server = index(*PKGS)
    envs = [venv(name=f"env{i}") for i in range(3)]
    procs = [
        subprocess.Popen([sys.executable, "-m", "spoke", "install", "--python", str(e.python), "-i",
                          server.simple_url, "alpha==2.0", "gamma"], env=hermetic, cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for e in envs
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    for e in envs:
        assert versions(e) == {"alpha": "2.0", "beta": "2.0", "gamma": "1.0"}
        records_match(e)


def test_history_and_rollback(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    py = ("--python", str(env.python), "-i", server.simple_url)
    spoke("install", *py, "alpha==1.0")
    spoke("install", *py, "alpha==2.0", "gamma")
    shown = spoke("history", "--python", str(env.python)).stdout
    assert "spoke install --python" in shown and "alpha==2.0 gamma" in shown
    assert "- alpha==1.0" in shown and "+ alpha==2.0" in shown and "+ gamma==1.0" in shown
    entries = json.loads(spoke("history", "--python", str(env.python), "--format", "json").stdout)
    assert [e["number"] for e in entries] == [1, 2]
    # Undo the last transaction: alpha and beta back to 1.0, gamma gone.
    result = spoke("rollback", *py)
    assert "- gamma==1.0" in result.stderr and "+ alpha==1.0" in result.stderr
    assert versions(env) == {"alpha": "1.0", "beta": "1.0"}
    records_match(env)
    # The rollback is itself a transaction, which can be undone.
    spoke("rollback", *py)
    assert versions(env) == {"alpha": "2.0", "beta": "2.0", "gamma": "1.0"}
    # Back to before the first transaction: nothing.
    spoke("rollback", "1", *py)
    assert versions(env) == {}
    assert len(json.loads(spoke("history", "--python", str(env.python), "--format", "json").stdout)) == 5


def test_rollback_errors(spoke, index, venv) -> None:
    env = venv()
    result = spoke("rollback", "--python", str(env.python), check=1)
    assert "no history" in result.stderr
    server = index(*PKGS)
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "gamma")
    result = spoke("rollback", "7", "--python", str(env.python), check=1)
    assert "no transaction 7" in result.stderr
    result = spoke("rollback", "x", "--python", str(env.python), check=2)
    assert "transaction number" in result.stderr
    dry = spoke("rollback", "--dry-run", "--python", str(env.python), "-i", server.simple_url)
    assert "- gamma==1.0" in dry.stderr
    assert versions(env) == {"gamma": "1.0"}


def test_history_lives_inside_the_environment(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "gamma")
    assert (env.path / ".spoke" / "history.jsonl").is_file()



def test_killed_install_over_existing_files_puts_them_back(spoke, index, venv) -> None:
    """Files in the way of a new install (left by another tool) are set aside, then restored."""
    server = index(*PKGS)
    env = venv()
    stray = env.site_packages / "gamma" / "__init__.py"
    stray.parent.mkdir(parents=True)
    stray.write_text("# not from any dist-info\n")
    killed = spoke("install", "--python", str(env.python), "-i", server.simple_url, "gamma",
                   env={"SPOKE_TEST_KILL_AT": "before-commit:1"}, check=False)
    assert killed.returncode == -signal.SIGKILL
    spoke("list", "--python", str(env.python))
    assert stray.read_text() == "# not from any dist-info\n"
    assert versions(env) == {}


def test_next_install_recovers_by_itself(spoke, index, venv) -> None:
    """No read-only command in between: the install that follows a kill recovers, then runs."""
    server = index(*PKGS)
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha==1.0")
    killed = spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha==2.0",
                   env={"SPOKE_TEST_KILL_AT": "install-file:3"}, check=False)
    assert killed.returncode == -signal.SIGKILL
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha==2.0", timeout=60)
    assert "interrupted" in result.stderr
    assert versions(env) == {"alpha": "2.0", "beta": "2.0"}
    records_match(env)
    killed = spoke("uninstall", "-y", "--python", str(env.python), "alpha",
                   env={"SPOKE_TEST_KILL_AT": "remove-file:2"}, check=False)
    assert killed.returncode == -signal.SIGKILL
    spoke("uninstall", "-y", "--python", str(env.python), "alpha", timeout=60)
    assert versions(env) == {"beta": "2.0"}
    records_match(env)
