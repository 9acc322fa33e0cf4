"""Fixtures for functional tests: the real CLI in a subprocess, a real index, real venvs.

* ``hermetic`` (autouse): the environment every subprocess gets — the host's ``PIP_*`` /
  ``SPOKE_*`` variables, pip.conf, HOME, caches and active venv are all out of reach.
* ``spoke(*args, ...)``: run ``python -m spoke`` and check its exit code.
* ``index(*pkgs, **opts)``: an :class:`~tests.support.index_server.IndexServer` for this test;
  wheels are built once per session (per xdist worker) into a cache keyed by spec hash.
* ``venv(python=..., name=...)``: a fresh virtual environment (:class:`VenvInfo`).
* ``pip_in(venv, *args)``: the test interpreter's pip, run *inside* a venv that has no pip,
  to cross-check what spoke installed (``pip check``, ``pip show``, ``pip freeze``).
* ``installed_files(venv)`` / ``snapshot(folder)``: file-system views for "what changed"
  assertions (also importable as plain functions from this module).

Everything a subprocess sees is passed explicitly (``env=``): no fixture monkeypatches the
test process.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.osv_server import OsvServer
from tests.support.packages import Pkg
from tests.support.upload_servers import PypiServer, StandIn

__all__ = [
    "Result",
    "VenvInfo",
    "installed_files",
    "make_venv",
    "run_checked",
    "snapshot",
]

_DROPPED = ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
            "PYTHONUSERBASE", "__PYVENV_LAUNCHER__", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE",
            "NETRC")
"""Variables that would point a subprocess at another environment (or trust store, or
credentials) than the test's. spoke trusts the system store by default, so the live tests
still reach PyPI through this machine's TLS interception without them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """A finished subprocess: ``returncode``, decoded ``stdout`` and ``stderr``."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout then stderr, for assertions that do not care which stream says it."""
        return self.stdout + self.stderr

    def describe(self) -> str:
        """The command, its exit code and both streams, for assertion messages."""
        return (
            f"command: {' '.join(self.args)}\nexit code: {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VenvInfo:
    """A virtual environment made for one test."""

    path: Path
    python: Path
    site_packages: Path
    bin: Path


def run_checked(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str],
    cwd: Path | str | None = None,
    input: str | None = None,  # noqa: A002
    check: bool | int | None = True,
    timeout: float = 120,
) -> Result:
    """Run ``argv`` and return its :class:`Result`; fail the test on an unexpected exit code.

    ``check``: ``True``/``None`` expect 0, ``False`` accepts anything, an ``int`` expects
    exactly that code. The failure message shows the command and both streams.
    """
    args = tuple(str(a) for a in argv)
    try:
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=dict(env),
            input=input.encode() if input is not None else None,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        partial = Result(
            args=args,
            returncode=-1,
            stdout=_decode(exc.stdout),
            stderr=_decode(exc.stderr),
        )
        pytest.fail(f"timed out after {timeout}s\n{partial.describe()}", pytrace=False)
    result = Result(
        args=args,
        returncode=proc.returncode,
        stdout=_decode(proc.stdout),
        stderr=_decode(proc.stderr),
    )
    expected = 0 if check is None or check is True else check
    if expected is not False and result.returncode != expected:
        pytest.fail(f"expected exit code {expected}\n{result.describe()}", pytrace=False)
    return result


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


# ----------------------------------------------------------------------------- environment


@pytest.fixture(autouse=True)
def hermetic(tmp_path: Path) -> dict[str, str]:
    """The environment for this test's subprocesses (a fresh dict; pass it as ``env=``).

    The host's ``PIP_*``/``SPOKE_*`` variables (and twine's, and a CI job's OIDC request
    variables) and active environments are removed; HOME, the
    XDG folders and spoke's cache point under ``tmp_path``; ``XDG_CONFIG_DIRS`` hides
    ``/etc/xdg/pip/pip.conf``; pip and spoke config files are ``os.devnull``. ``NO_COLOR``
    and a wide ``COLUMNS`` keep output plain and unwrapped; ``NO_PROXY`` keeps loopback
    traffic off any proxy.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "SPOKE_", "TWINE_", "ACTIONS_ID_TOKEN_")) and key not in _DROPPED
    }
    folders = {
        "HOME": tmp_path / "home",
        "XDG_CONFIG_HOME": tmp_path / "xdg-config",
        "XDG_CACHE_HOME": tmp_path / "xdg-cache",
        "XDG_DATA_HOME": tmp_path / "xdg-data",
        "XDG_CONFIG_DIRS": tmp_path / "xdg-etc",
        "SPOKE_CACHE_DIR": tmp_path / "cache",
    }
    for key, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        env[key] = str(folder)
    no_proxy = ",".join(filter(None, [env.get("NO_PROXY", ""), "127.0.0.1", "localhost"]))
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        SPOKE_CONFIG_FILE=os.devnull,
        NO_COLOR="1",
        COLUMNS="200",
        NO_PROXY=no_proxy,
        no_proxy=no_proxy,
        PYTHONNOUSERSITE="1",
    )
    return env


@pytest.fixture
def spoke(hermetic: dict[str, str], tmp_path: Path) -> Callable[..., Result]:
    """``spoke(*args, cwd=None, env=None, input=None, check=True, timeout=120) -> Result``.

    Runs ``[sys.executable, "-m", "spoke", *args]`` with the hermetic environment plus
    ``env`` (extra variables; a value of ``None`` removes one) in ``cwd`` (default: a
    ``work`` folder under ``tmp_path``, so no stray ``.venv`` is discovered).
    """
    default_cwd = tmp_path / "work"
    default_cwd.mkdir(exist_ok=True)

    def run(
        *args: str | os.PathLike[str],
        cwd: Path | str | None = None,
        env: Mapping[str, str | None] | None = None,
        input: str | None = None,  # noqa: A002
        check: bool | int | None = True,
        timeout: float = 120,
    ) -> Result:
        return run_checked(
            [sys.executable, "-m", "spoke", *args],
            env=_merged(hermetic, env),
            cwd=cwd if cwd is not None else default_cwd,
            input=input,
            check=check,
            timeout=timeout,
        )

    return run


def _merged(base: Mapping[str, str], extra: Mapping[str, str | None] | None) -> dict[str, str]:
    env = dict(base)
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


# ----------------------------------------------------------------------------- index


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built distributions for the session (per xdist worker), one folder per spec hash."""
    return tmp_path_factory.mktemp("built-packages")


@pytest.fixture
def index(build_cache: Path) -> Iterator[Callable[..., IndexServer]]:
    """``index(*pkgs_or_paths, **server_opts) -> IndexServer``; every server closes at teardown.

    ``server_opts`` are :class:`IndexServer` keywords (``json``, ``html``, ``metadata``,
    ``ranges``, ``etags``, ``auth``, ``cache_control``).
    """
    servers: list[IndexServer] = []

    def make(*sources: Pkg | Path | str, **server_opts: object) -> IndexServer:
        server = IndexServer(
            *sources, build_dir=build_cache, **server_opts  # type: ignore[arg-type]
        )
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def pypiserver(tmp_path: Path) -> Iterator[PypiServer]:
    """The real pypiserver on 127.0.0.1 (uploads need ``upload_servers.USER``/``PASSWORD``)."""
    server = PypiServer(tmp_path / "pypiserver")
    yield server
    server.close()


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    """A repository with PyPI's trusted-publishing endpoints and scripted upload answers."""
    server = StandIn()
    yield server
    server.close()


@pytest.fixture
def osv() -> Iterator[Callable[..., OsvServer]]:
    """``osv(*records, page_size=1000) -> OsvServer``: an OSV-compatible service on 127.0.0.1
    (query, querybatch, vulns/{id}, the PyPI export zip); every server closes at teardown."""
    servers: list[OsvServer] = []

    def make(*records: Mapping[str, object], page_size: int = 1000) -> OsvServer:
        server = OsvServer(records, page_size=page_size)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


# ----------------------------------------------------------------------------- venvs


@functools.cache
def _real_interpreter(python: str) -> str:
    """The interpreter binary behind ``python`` (a name on PATH, a pyenv shim, a path).

    Asked once, in the *host* environment: shims need the real HOME/PYENV settings, which
    the hermetic environment deliberately hides.
    """
    found = shutil.which(python) or python
    proc = subprocess.run(
        [found, "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout.strip()


def make_venv(path: Path, python: str, env: Mapping[str, str]) -> VenvInfo:
    """Create a virtual environment at ``path`` without pip and describe it.

    The one place venvs are made (to become ``spoke venv`` once that command exists).
    """
    run_checked(
        [_real_interpreter(python), "-m", "venv", "--without-pip", path], env=env, timeout=120
    )
    bin_dir = path / ("Scripts" if os.name == "nt" else "bin")
    venv_python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    purelib = run_checked(
        [venv_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        env=env,
        timeout=60,
    ).stdout.strip()
    return VenvInfo(path=path, python=venv_python, site_packages=Path(purelib), bin=bin_dir)


@pytest.fixture
def venv(hermetic: dict[str, str], tmp_path: Path) -> Callable[..., VenvInfo]:
    """``venv(python="python3", name=".venv") -> VenvInfo``: a new venv under ``tmp_path``."""

    def make(python: str = "python3", name: str = ".venv") -> VenvInfo:
        path = tmp_path / name
        if path.exists():
            raise FileExistsError(f"venv {path} already exists in this test")
        return make_venv(path, python, hermetic)

    return make


@pytest.fixture(scope="session")
def pip_only_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the test interpreter's ``pip`` package and nothing else.

    On ``PYTHONPATH`` it lends pip to a venv without adding any distribution to what pip
    sees: the folder has no ``.dist-info``, so ``pip list`` shows exactly the venv's packages.
    """
    # Found on sys.path rather than imported: importing pip in the test process trips
    # setuptools' distutils shim, and the copy is all we need.
    candidates = (Path(entry or ".") / "pip" for entry in sys.path)
    source = next((c for c in candidates if (c / "__init__.py").is_file()), None)
    if source is None:
        pytest.skip("the test interpreter has no pip to lend to venvs")
    folder = tmp_path_factory.mktemp("pip-only")
    shutil.copytree(source, folder / "pip")
    return folder


@pytest.fixture
def pip_in(hermetic: dict[str, str], pip_only_path: Path, tmp_path: Path) -> Callable[..., Result]:
    """``pip_in(venv_or_python, *args, check=True, env=None, timeout=120) -> Result``.

    Runs ``[venv_python, "-m", "pip", *args]`` with pip borrowed from the test interpreter,
    pip's configuration and version check off, no prompts.
    """
    pip_env = dict(hermetic)
    pip_env.update(
        PYTHONPATH=str(pip_only_path),
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        PIP_NO_WARN_SCRIPT_LOCATION="1",
    )
    cwd = tmp_path / "work"
    cwd.mkdir(exist_ok=True)

    def run(
        venv_python: VenvInfo | Path | str,
        *args: str | os.PathLike[str],
        check: bool | int | None = True,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 120,
    ) -> Result:
        python = venv_python.python if isinstance(venv_python, VenvInfo) else venv_python
        return run_checked(
            [python, "-m", "pip", *args],
            env=_merged(pip_env, env),
            cwd=cwd,
            check=check,
            timeout=timeout,
        )

    return run


# ----------------------------------------------------------------------------- file views


def installed_files(venv: VenvInfo | Path, *, pycache: bool = False) -> set[str]:
    """Every file (and symlink) under the venv, as POSIX paths relative to it.

    ``__pycache__`` contents are left out unless ``pycache=True``: merely running the venv's
    Python writes them, which is not what a test about installing means by "changed". So is
    spoke's own state folder ``.spoke/`` at the top (lock, history, journal): the files of
    installed distributions are what these tests compare.
    """
    root = venv.path if isinstance(venv, VenvInfo) else Path(venv)
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        if not pycache:
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        if dirpath == str(root):
            dirnames[:] = [d for d in dirnames if d != ".spoke"]
        base = Path(dirpath)
        # A symlinked folder (lib64 → lib) is listed as an entry, not walked twice.
        names = filenames + [d for d in dirnames if (base / d).is_symlink()]
        for name in names:
            found.add((base / name).relative_to(root).as_posix())
    return found


def snapshot(dirpath: Path | str) -> dict[str, tuple[int, int]]:
    """Relative POSIX path → ``(size, mtime_ns)`` of every file under ``dirpath``.

    Compare two snapshots to assert that nothing was rewritten (mtime) or resized.
    """
    root = Path(dirpath)
    result: dict[str, tuple[int, int]] = {}
    for dirpath_, _dirnames, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath_) / name
            stat = path.lstat()
            result[path.relative_to(root).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return result


@pytest.fixture(name="installed_files")
def _installed_files_fixture() -> Callable[..., set[str]]:
    """:func:`installed_files` as a fixture, for tests that prefer not to import conftest."""
    return installed_files


@pytest.fixture(name="snapshot")
def _snapshot_fixture() -> Callable[[Path | str], dict[str, tuple[int, int]]]:
    """:func:`snapshot` as a fixture."""
    return snapshot
