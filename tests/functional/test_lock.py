"""``spoke lock``: a PEP 751 lock for one environment, read back by packaging.pylock and
installed by ``spoke install -r pylock.toml`` (and by uv when it is on PATH)."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.packages import Pkg

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib


def _read(path):  # noqa: ANN001, ANN202
    from packaging.pylock import Pylock

    return Pylock.from_dict(tomllib.loads(path.read_text()))


def test_lock_install_check_and_minimal_change(spoke, index, venv, tmp_path) -> None:
    server = index(Pkg("alpha", "1.0", deps=("beta",)), Pkg("beta", "2.0", sdist=True),
                   Pkg("beta", "2.0", tag="cp311-cp311-win_amd64"))
    work = tmp_path / "work"
    (work / "requirements.in").write_text("alpha\n")
    made = spoke("lock", "requirements.in", "-i", server.simple_url, cwd=work)
    assert "Wrote pylock.toml: 2 packages locked" in made.stderr, made.describe()
    lock = _read(work / "pylock.toml")
    # Universal by default: every platform, this Python's minor and newer.
    assert lock.created_by == "spoke" and lock.environments is None
    assert str(lock.requires_python) == f">={sys.version_info[0]}.{sys.version_info[1]}"
    # For one environment, as `pip lock`: --python-version / --platform name it.
    one = spoke("lock", "requirements.in", "-o", "pylock.one.toml", "--python-version",
                f"{sys.version_info[0]}.{sys.version_info[1]}", "--only-binary", ":all:", "-i", server.simple_url,
                cwd=work)
    assert [str(m) for m in _read(work / "pylock.one.toml").environments or []] == [
        f"sys_platform == \"{sys.platform}\" and platform_machine == \"{platform.machine()}\" and "
        f"implementation_name == \"cpython\" and python_version == \"{sys.version_info[0]}.{sys.version_info[1]}\""
    ], one.describe()
    packages = {p.name: p for p in lock.packages}
    assert str(packages["beta"].version) == "2.0" and str(packages["alpha"].version) == "1.0"
    names = sorted(w.name or "" for w in packages["beta"].wheels or [])
    assert names == ["beta-2.0-cp311-cp311-win_amd64.whl", "beta-2.0-py3-none-any.whl"]  # every platform's
    assert packages["beta"].sdist is not None and packages["beta"].sdist.hashes["sha256"]
    assert all(w.hashes["sha256"] == server.sha256(w.name) for w in packages["beta"].wheels or [])
    assert packages["alpha"].index == server.simple_url

    env = venv()
    spoke("install", "-r", str(work / "pylock.toml"), "--python", str(env.python))
    assert {p.name for p in env.site_packages.glob("*.dist-info")} == {"alpha-1.0.dist-info", "beta-2.0.dist-info"}

    # A newer beta: the lock keeps 2.0 where it fits (and --check agrees); -U takes 2.1.
    server.add(Pkg("beta", "2.1"))
    spoke("lock", "requirements.in", "--check", "-i", server.simple_url, cwd=work)
    spoke("lock", "requirements.in", "-U", "-i", server.simple_url, cwd=work)
    assert {p.name: str(p.version) for p in _read(work / "pylock.toml").packages}["beta"] == "2.1"
    # An input that changed: --check fails with the difference, and the file stays as it was.
    (work / "requirements.in").write_text("alpha\nbeta<2.1\n")
    before = (work / "pylock.toml").read_text()
    stale = spoke("lock", "requirements.in", "--check", "-i", server.simple_url, cwd=work, check=1)
    assert "does not match its inputs" in stale.stderr and '-version = "2.1"' in stale.stdout, stale.describe()
    assert (work / "pylock.toml").read_text() == before
    bad = spoke("lock", "requirements.in", "-o", "locked.toml", "-i", server.simple_url, cwd=work, check=2)
    assert "is not a lock file's name" in bad.stderr


def test_uv_and_spoke_install_each_others_locks(spoke, index, venv, tmp_path) -> None:
    beside = Path(sys.executable).parent / "uv"  # the test dependency, in the test venv
    uv = str(beside) if beside.is_file() else shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH here: the interoperability check needs it")
    server = index(Pkg("alpha", "1.0", deps=("beta", 'gamma; sys_platform == "win32"')), Pkg("beta", "2.0"),
                   Pkg("gamma", "1.0"))
    work = tmp_path / "work"
    (work / "requirements.in").write_text("alpha\n")
    spoke("lock", "requirements.in", "-i", server.simple_url, cwd=work)  # universal: gamma with its marker
    assert {p.name: str(p.marker or "") for p in _read(work / "pylock.toml").packages}["gamma"] == \
        'sys_platform == "win32"'
    env = venv()
    done = subprocess.run([uv, "pip", "install", "--python", str(env.python), "-r", str(work / "pylock.toml")],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "UV_NO_CONFIG": "1",
                                                               "HOME": str(tmp_path / "home"),
                                                               "UV_CACHE_DIR": str(tmp_path / "uv-cache")})
    assert done.returncode == 0, done.stderr
    assert {p.name for p in env.site_packages.glob("*.dist-info")} == {"alpha-1.0.dist-info", "beta-2.0.dist-info"}
    # And the other way: a lock written by uv installs with spoke.
    uv_env = {"PATH": "/usr/bin:/bin", "UV_NO_CONFIG": "1", "HOME": str(tmp_path / "home"),
              "UV_CACHE_DIR": str(tmp_path / "uv-cache")}
    written = subprocess.run([uv, "pip", "compile", "--universal", "requirements.in", "-o", "pylock.uv.toml",
                              "--index-url", server.simple_url], capture_output=True, text=True, cwd=work, env=uv_env)
    assert written.returncode == 0, written.stderr
    assert "gamma" in {p.name for p in _read(work / "pylock.uv.toml").packages}
    other = venv(name="from-uv")
    spoke("install", "-r", str(work / "pylock.uv.toml"), "--python", str(other.python))
    assert {p.name for p in other.site_packages.glob("*.dist-info")} == {"alpha-1.0.dist-info",
                                                                         "beta-2.0.dist-info"}

