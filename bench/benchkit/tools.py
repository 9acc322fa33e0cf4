"""The benchmarked tools: their own venv, and the one command line each is timed with.

All tools live in one venv under ``bench/.work/tools``, made once and reused: pip and uv from
PyPI, spoke installed editable from this repository so it runs as an ordinary installed command
(a console script in its own venv, exactly as a user would run it), and always today's code.

Every command installs into a *target* interpreter given on the command line and uses a cache
directory given on the command line, so the harness decides what is cold and what is warm:

=================  ==========================================================================
``spoke``          ``spoke install -r SET --python T --cache-dir D --index-url I``
``uv``             ``uv pip install -r SET --python T --cache-dir D --index-url I``
``pip``            ``python -m pip --python T install -r SET --cache-dir D --index-url I``
``pip-no-compile`` the same with ``--no-compile`` (pip byte-compiles by default; uv and spoke
                   do not unless asked, so this column compares like with like)
=================  ==========================================================================

pip runs from the tools venv with ``--python`` (pip >= 22.3) because the targets are made
``--without-pip``; pip then re-runs itself under the target interpreter, which is part of what a
user of ``pip --python`` waits for.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchkit.hermetic import hermetic_env
from benchkit.process import Runner, tail

#: Every tool the harness knows, in column order.
TOOL_NAMES = ("spoke", "uv", "pip", "pip-no-compile")

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
    regular (non-editable) package, as users get it, and reinstalled whenever its
    ``pyproject.toml`` or any source file changed. ``refresh`` starts from scratch.
    """
    tools = ToolsVenv(root=root)
    env = hermetic_env(environ)
    python = base_python or Path(sys.executable)
    problems: dict[str, str] = {}
    if refresh and root.exists():
        shutil.rmtree(root)

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
    fingerprint = _tree_fingerprint(repo)
    if not spoke_marker.exists() or spoke_marker.read_text(encoding="utf-8").strip() != fingerprint:
        spoke_marker.unlink(missing_ok=True)
        done = runner(
            [str(tools.python), "-m", "pip", "install", "--index-url", index_url,
             "--disable-pip-version-check", str(repo)],
            env=env, cwd=repo, timeout=_BOOTSTRAP_TIMEOUT,
        )
        if done.ok:
            # A regular (not editable) install, as users get it; force the new code in.
            done = runner(
                [str(tools.python), "-m", "pip", "install", "--index-url", index_url,
                 "--disable-pip-version-check", "--force-reinstall", "--no-deps", str(repo)],
                env=env, cwd=repo, timeout=_BOOTSTRAP_TIMEOUT,
            )
        if done.ok:
            spoke_marker.write_text(fingerprint + "\n", encoding="utf-8")
        else:
            problems["spoke"] = "installing spoke into the tools venv failed:\n" + tail(
                done.stderr or done.stdout
            )

    versions = {
        "spoke": _version(runner, [str(tools.script("spoke")), "--version"], env, repo),
        "uv": _version(runner, [str(tools.script("uv")), "--version"], env, repo),
        "pip": _version(runner, [str(tools.python), "-m", "pip", "--version"], env, repo),
        "python": _version(runner, [str(python), "--version"], env, repo),
    }
    return ToolSetup(tools=tools, versions=versions, problems=problems)


def _tree_fingerprint(repo: Path) -> str:
    """A digest of pyproject.toml and every source file of spoke: any change reinstalls it."""
    h = hashlib.sha256(_fingerprint(repo / "pyproject.toml").encode())
    for path in sorted((repo / "spoke").rglob("*.py")):
        h.update(str(path.relative_to(repo)).encode())
        h.update(_fingerprint(path).encode())
    return h.hexdigest()


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
