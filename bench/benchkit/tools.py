"""The benchmarked tools: their own venv, and the one command line each is timed with.

All tools live in one venv under ``bench/.work/tools``, made once and reused: pip and uv from
PyPI, and spoke installed from this repository's working tree as users get it (a regular, not
editable, install: a console script in its own venv, its modules byte-compiled in
site-packages). A regular install is a copy, so it is only as fresh as its last install: every
bootstrap compares the installed ``spoke`` package file by file with ``spoke/`` in the working
tree and reinstalls when anything differs (or ``pyproject.toml`` changed). The copy is built
from a clean snapshot of the tree (``pyproject.toml``, the README, ``spoke/``) in the tools
venv, never in the repository itself, whose ``build/`` folder setuptools would reuse (it
copies a module only when the source is newer, and never removes one) and which other people
building in the same checkout share. After installing, the copy is checked again.

Every command installs into a *target* interpreter given on the command line and uses a cache
directory given on the command line, so the harness decides what is cold and what is warm:

=================  ==========================================================================
``spoke``          ``spoke install -r SET --python T --cache-dir D --index-url I``
``uv``             ``uv pip install -r SET --python T --cache-dir D --index-url I``
``pip``            ``python -m pip --python T install -r SET --cache-dir D --index-url I``
``pip-no-compile`` the same with ``--no-compile`` (pip byte-compiles by default; uv and spoke
                   do not unless asked, so this column compares like with like)
=================  ==========================================================================

``download`` (spoke and pip only: uv has no such command) saves a set's files into a folder, for
the tools venv's own interpreter (pip downloads for the interpreter it runs on; spoke is told
the same one with ``--python``):

=================  ==========================================================================
``spoke``          ``spoke download --python P -r SET -d DEST --cache-dir D --index-url I``
``pip``            ``python -m pip download -r SET -d DEST --cache-dir D --index-url I``
=================  ==========================================================================

pip runs from the tools venv with ``--python`` (pip >= 22.3) because the targets are made
``--without-pip``; pip then re-runs itself under the target interpreter, which is part of what a
user of ``pip --python`` waits for.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchkit.hermetic import hermetic_env
from benchkit.process import Runner, tail

#: Every tool the harness knows, in column order.
TOOL_NAMES = ("spoke", "uv", "pip", "pip-no-compile")

#: The tools that have a ``download`` command, in column order.
DOWNLOAD_TOOL_NAMES = ("spoke", "pip")

#: Column titles of the tools in the tables.
TOOL_TITLES = {"spoke": "spoke", "uv": "uv", "pip": "pip", "pip-no-compile": "pip --no-compile"}

#: The index every tool is pointed at, explicitly, on its command line.
DEFAULT_INDEX = "https://pypi.org/simple"

# Installing the tools is slow work on a network; a bound keeps a hung index from hanging us.
_BOOTSTRAP_TIMEOUT = 900.0


def venv_python(venv: Path) -> Path:
    """The interpreter of the virtual environment at ``venv``."""
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolsVenv:
    """The venv the benchmarked tools are installed in."""

    root: Path

    @property
    def python(self) -> Path:
        """The venv's interpreter (pip runs as ``python -m pip``)."""
        return venv_python(self.root)

    @property
    def bin_dir(self) -> Path:
        """Where the venv's console scripts are."""
        return self.python.parent

    def script(self, name: str) -> Path:
        """The console script ``name`` of the venv (``uv``, ``spoke``)."""
        suffix = ".exe" if os.name == "nt" else ""
        return self.bin_dir / f"{name}{suffix}"

    def site_packages(self) -> Path | None:
        """The venv's ``site-packages`` folder, when it exists."""
        found = [*sorted(self.root.glob("lib/python*/site-packages")), self.root / "Lib" / "site-packages"]
        return next((p for p in found if p.is_dir()), None)


def install_command(
    tool: str,
    *,
    tools: ToolsVenv,
    requirements: Path,
    python: Path,
    cache_dir: Path,
    index_url: str = DEFAULT_INDEX,
) -> list[str]:
    """The command line that installs ``requirements`` into ``python`` with ``tool``.

    Raises :class:`ValueError` for a tool the harness does not know.
    """
    common = ["-r", str(requirements), "--cache-dir", str(cache_dir), "--index-url", index_url]
    if tool == "spoke":
        return [str(tools.script("spoke")), "install", "--python", str(python), *common]
    if tool == "uv":
        return [str(tools.script("uv")), "pip", "install", "--python", str(python), *common]
    if tool in ("pip", "pip-no-compile"):
        argv = [
            str(tools.python), "-m", "pip", "--python", str(python), "install", *common,
            # A question to PyPI about pip's own version is not part of installing anything.
            "--disable-pip-version-check",
        ]
        if tool == "pip-no-compile":
            argv.append("--no-compile")
        return argv
    raise ValueError(f"unknown tool {tool!r}; known: {', '.join(TOOL_NAMES)}")


def download_command(
    tool: str,
    *,
    tools: ToolsVenv,
    requirements: Path,
    dest: Path,
    cache_dir: Path,
    index_url: str = DEFAULT_INDEX,
) -> list[str]:
    """The command line that saves the files of ``requirements`` into ``dest`` with ``tool``.

    Both resolve for the tools venv's interpreter: pip for the one it runs on, spoke because it
    is told so. Raises :class:`ValueError` for a tool without a download command.
    """
    common = ["-r", str(requirements), "-d", str(dest), "--cache-dir", str(cache_dir), "--index-url", index_url]
    if tool == "spoke":
        return [str(tools.script("spoke")), "download", "--python", str(tools.python), *common]
    if tool == "pip":
        return [str(tools.python), "-m", "pip", "download", *common, "--disable-pip-version-check"]
    raise ValueError(f"{tool!r} has no download command; the tools that do: {', '.join(DOWNLOAD_TOOL_NAMES)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolSetup:
    """The tools venv after :func:`bootstrap_tools`: versions, and why any tool is missing.

    ``problems`` maps a tool name to the tail of the output that explains why it could not be
    installed; the harness reports every cell of such a tool as failed with that explanation.
    """

    tools: ToolsVenv
    versions: Mapping[str, str] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)


def bootstrap_tools(
    root: Path,
    *,
    repo: Path,
    runner: Runner,
    environ: Mapping[str, str],
    base_python: Path | None = None,
    index_url: str = DEFAULT_INDEX,
    refresh: bool = False,
) -> ToolSetup:
    """Make (or reuse) the tools venv at ``root`` and report the tools' versions.

    The venv, pip and uv are made once (a marker file remembers it). spoke is installed as a
    regular (non-editable) package, as users get it, from a clean snapshot of ``repo``, and
    reinstalled whenever the installed package differs from ``repo/spoke`` in any file or
    ``pyproject.toml`` changed; a copy that still differs afterwards is a problem, not a
    benchmark of yesterday's code. ``refresh`` starts from scratch. Two harnesses sharing the
    venv take turns (a lock file), so neither installs under the other's feet.
    """
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".bench-lock"):
        return _bootstrap(root, repo=repo, runner=runner, environ=environ, base_python=base_python,
                          index_url=index_url, refresh=refresh)


def _bootstrap(
    root: Path,
    *,
    repo: Path,
    runner: Runner,
    environ: Mapping[str, str],
    base_python: Path | None,
    index_url: str,
    refresh: bool,
) -> ToolSetup:
    tools = ToolsVenv(root=root)
    env = hermetic_env(environ)
    python = base_python or Path(sys.executable)
    problems: dict[str, str] = {}
    if refresh:
        for child in root.iterdir():
            if child.name == ".bench-lock":
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()

    base_marker = root / ".bench-base-ready"
    if not base_marker.exists():
        steps = [
            [str(python), "-m", "venv", str(root)],
            [str(tools.python), "-m", "pip", "install", "--index-url", index_url,
             "--disable-pip-version-check", "--upgrade", "pip", "uv"],
        ]
        for argv in steps:
            done = runner(argv, env=env, cwd=repo, timeout=_BOOTSTRAP_TIMEOUT)
            if not done.ok:
                why = tail(done.stderr or done.stdout)
                return ToolSetup(tools=tools, problems=dict.fromkeys(TOOL_NAMES, why))
        base_marker.write_text("pip and uv installed\n", encoding="utf-8")

    spoke_marker = root / ".bench-spoke-ready"
    project = _fingerprint(repo / "pyproject.toml")
    marker = spoke_marker.read_text(encoding="utf-8").strip() if spoke_marker.exists() else ""
    if marker != project or stale_files(tools, repo):
        spoke_marker.unlink(missing_ok=True)
        snapshot = root / "spoke-src"
        try:
            snapshot_source(repo, snapshot)
        except OSError as exc:
            return ToolSetup(tools=tools, problems={"spoke": f"cannot copy spoke's source: {exc}"})
        base = [str(tools.python), "-m", "pip", "install", "--index-url", index_url,
                "--disable-pip-version-check"]
        # The first install brings spoke's dependencies; the second replaces whatever spoke is
        # there (same version number, so pip would otherwise keep it) with the snapshot.
        done = runner([*base, str(snapshot)], env=env, cwd=root, timeout=_BOOTSTRAP_TIMEOUT)
        if done.ok:
            done = runner([*base, "--force-reinstall", "--no-deps", str(snapshot)],
                          env=env, cwd=root, timeout=_BOOTSTRAP_TIMEOUT)
        shutil.rmtree(snapshot, ignore_errors=True)
        if not done.ok:
            problems["spoke"] = "installing spoke into the tools venv failed:\n" + tail(
                done.stderr or done.stdout
            )
        elif differing := stale_files(tools, repo):
            problems["spoke"] = (
                "the spoke installed in the tools venv is not the working tree's even after a "
                "reinstall; these files differ: " + ", ".join(differing[:10])
            )
        else:
            spoke_marker.write_text(project + "\n", encoding="utf-8")

    versions = {
        "spoke": _version(runner, [str(tools.script("spoke")), "--version"], env, repo),
        "uv": _version(runner, [str(tools.script("uv")), "--version"], env, repo),
        "pip": _version(runner, [str(tools.python), "-m", "pip", "--version"], env, repo),
        "python": _version(runner, [str(python), "--version"], env, repo),
    }
    return ToolSetup(tools=tools, versions=versions, problems=problems)


#: Top-level files of the repository a build of spoke may read (the README is its long
#: description); with the package folder, they are the snapshot spoke is built from.
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in", "README.md", "LICENSE")

#: Not part of the source: what Python and the tools write next to it.
_IGNORED = ("__pycache__", "*.pyc", "*.pyo", "*.egg-info")


def snapshot_source(repo: Path, dest: Path) -> Path:
    """Copy what a build of spoke reads from ``repo`` into a fresh ``dest`` (no ``build/``)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for name in _PROJECT_FILES:
        if (repo / name).is_file():
            shutil.copy2(repo / name, dest / name)
    shutil.copytree(repo / "spoke", dest / "spoke", ignore=shutil.ignore_patterns(*_IGNORED))
    return dest


def source_files(package: Path) -> dict[str, str]:
    """Every file of the package folder ``package`` (bytecode left out) by relative path, with
    its sha256."""
    if not package.is_dir():
        return {}
    found = {}
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.is_file() and "__pycache__" not in relative.parts and path.suffix not in (".pyc", ".pyo"):
            found[relative.as_posix()] = _fingerprint(path)
    return found


def stale_files(tools: ToolsVenv, repo: Path) -> list[str]:
    """The files in which the tools venv's ``spoke`` package differs from ``repo/spoke``:
    changed, missing from the copy, or left in the copy after leaving the tree. Empty when the
    installed spoke is exactly the working tree's (``["(not installed)"]`` without one)."""
    site = tools.site_packages()
    installed = source_files(site / "spoke") if site is not None else {}
    if not installed:
        return ["(not installed)"]
    wanted = source_files(repo / "spoke")
    return sorted(name for name in wanted.keys() | installed.keys() if wanted.get(name) != installed.get(name))


def source_fingerprint(repo: Path) -> str:
    """One digest of ``pyproject.toml`` and every file of ``repo/spoke``: recorded with the
    results, and compared at the end of a run to tell whether the tree moved meanwhile."""
    h = hashlib.sha256(_fingerprint(repo / "pyproject.toml").encode())
    for name, digest in source_files(repo / "spoke").items():
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (POSIX; elsewhere no lock)."""
    try:
        import fcntl
    except ImportError:  # Windows: one harness at a time is the user's business
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fingerprint(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _version(runner: Runner, argv: list[str], env: Mapping[str, str], cwd: Path) -> str:
    done = runner(argv, env=env, cwd=cwd, timeout=60.0)
    if not done.ok:
        return "unavailable"
    text = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return text[0] if text else "unknown"
