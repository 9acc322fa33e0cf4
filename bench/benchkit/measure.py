"""One timed sequence: a tool installing a requirement set cold, warm, then again (no-op).

A sequence owns a scratch folder with a cache directory that starts empty and two target venvs
made ``--without-pip`` (untimed, so only the install is measured):

1. **cold**: install into the first venv with the empty cache; everything is downloaded;
2. **warm**: install into the second, fresh venv with the cache the cold install filled, so
   the cold install is the "previous untimed run" for this number;
3. **no-op**: the same install again into the now-populated second venv; nothing is to be done.

A step that cannot be measured honestly is *skipped*: warm after a failed cold install would time
an empty cache, no-op after a failed warm install would time an install. An install that exits 0
yet leaves no distribution in the target is a failure too (a stub CLI must not look fast).

A *download* sequence (:func:`measure_download_sequence`, spoke and pip only) has a cache
directory and a destination folder, both empty at first:

1. **cold**: download the set into the empty folder with the empty cache;
2. **rerun**: the very same command again: the folder is full and the cache warm.

Rerun is skipped when cold failed; a download that exits 0 but leaves no file is a failure.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from benchkit.hermetic import hermetic_env
from benchkit.process import Completed, Runner, tail
from benchkit.tools import DEFAULT_INDEX, ToolsVenv, download_command, install_command, venv_python

#: The scenarios of a sequence, in the order they run (and rows appear).
SCENARIOS = ("cold", "warm", "no-op")

#: The scenarios of a download sequence, in the order they run (and rows appear).
DOWNLOAD_SCENARIOS = ("cold", "rerun")

#: What a sequence times: installs into venvs, or downloads into a folder.
OPERATIONS = ("install", "download")

#: A measurement's status: it ran fine, the tool failed, it hit its time limit, or it was not run.
STATUSES = ("ok", "failed", "timeout", "skipped")


class HarnessError(Exception):
    """The harness itself could not go on (a target venv could not be made, say)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """One timed command: which set, tool, scenario and run, and what came of it.

    ``operation`` is ``"install"`` or ``"download"``. ``seconds`` is ``None`` unless ``status``
    is ``"ok"``. ``installed`` lists what the command left: for an install the target's
    distributions as ``name==version`` (from the ``.dist-info`` folder names), for a download
    the file names in the destination folder, so two tools can be checked to have done the
    same thing. ``output`` is the tail of what a failing tool wrote (empty on success).
    """

    set_name: str
    tool: str
    scenario: str
    run: int
    status: str
    seconds: float | None
    returncode: int | None = None
    installed: tuple[str, ...] = ()
    output: str = ""
    command: tuple[str, ...] = ()
    operation: str = "install"
    peak_rss: int | None = None  # bytes the whole process tree held at most (None: not measured)

    def to_dict(self) -> dict[str, object]:
        """The measurement as plain JSON data."""
        return {
            "operation": self.operation,
            "set": self.set_name,
            "tool": self.tool,
            "scenario": self.scenario,
            "run": self.run,
            "status": self.status,
            "seconds": self.seconds,
            "returncode": self.returncode,
            "installed": list(self.installed),
            "output": self.output,
            "command": list(self.command),
            "peak_rss": self.peak_rss,
        }


def installed_distributions(venv: Path) -> tuple[str, ...]:
    """The distributions installed in ``venv`` as sorted ``name==version`` strings.

    Read from the ``*.dist-info`` folder names of its site-packages (no interpreter started),
    which is what every installer writes.
    """
    found: set[str] = set()
    candidates = [*venv.glob("lib*/python*/site-packages"), venv / "Lib" / "site-packages"]
    for site in candidates:
        if not site.is_dir():
            continue
        for info in site.glob("*.dist-info"):
            name, _, version = info.name[: -len(".dist-info")].partition("-")
            found.add(f"{name.lower().replace('_', '-')}=={version}")
    return tuple(sorted(found))


def saved_files(dest: Path) -> tuple[str, ...]:
    """The names of the files in the download folder ``dest``, sorted (none if it is missing)."""
    if not dest.is_dir():
        return ()
    return tuple(sorted(p.name for p in dest.iterdir() if p.is_file()))


#: Makes an empty target venv at the given path (the real one is :func:`make_target_venv`).
MakeTarget = Callable[[Path], None]


def make_target_venv(base_python: Path, runner: Runner, env: Mapping[str, str]) -> MakeTarget:
    """A :data:`MakeTarget` running ``base_python -m venv --without-pip``."""

    def make(venv: Path) -> None:
        done = runner(
            [str(base_python), "-m", "venv", "--without-pip", str(venv)],
            env=env, cwd=venv.parent, timeout=300.0,
        )
        if not done.ok:
            raise HarnessError(f"could not create the target venv {venv}:\n{tail(done.stderr)}")

    return make


def measure_sequence(
    *,
    set_name: str,
    requirements: Path,
    tool: str,
    run: int,
    scratch: Path,
    tools: ToolsVenv,
    runner: Runner,
    make_target: MakeTarget,
    environ: Mapping[str, str],
    index_url: str = DEFAULT_INDEX,
    timeout: float = 900.0,
    keep: bool = False,
    trash: Path | None = None,
    settle: Callable[[], None] = os.sync,
) -> tuple[Measurement, ...]:
    """Time ``tool`` installing ``requirements`` cold, warm and no-op; one measurement each.

    ``scratch`` is emptied first and removed afterwards (unless ``keep``); it should sit on the
    same filesystem as the tools' caches would in real use, so hardlinking tools can hardlink.
    With ``trash``, it is moved there instead, for the caller to delete once nothing is timed:
    deleting a few hundred megabytes of files slows the disk for seconds afterwards (a
    filesystem mounted with ``discard`` trims as it frees), which would land on the next tool.
    ``settle`` runs before each timed command: by default ``os.sync``, so that no tool pays
    for writing back what the one before it wrote.
    """
    if scratch.exists():
        shutil.rmtree(scratch)
    cache_dir = scratch / "cache"
    cache_dir.mkdir(parents=True)
    env = hermetic_env(environ, xdg_cache_home=scratch / "xdg-cache")

    def timed(scenario: str, venv: Path) -> Measurement:
        argv = install_command(
            tool, tools=tools, requirements=requirements, python=venv_python(venv),
            cache_dir=cache_dir, index_url=index_url,
        )
        settle()
        done = runner(argv, env=env, cwd=scratch, timeout=timeout)
        return _judge(set_name, tool, scenario, run, argv, done, installed_distributions(venv))

    def skipped(scenario: str, because: str) -> Measurement:
        return Measurement(
            set_name=set_name, tool=tool, scenario=scenario, run=run,
            status="skipped", seconds=None, output=because,
        )

    try:
        cold_venv, warm_venv = scratch / "cold-venv", scratch / "warm-venv"
        make_target(cold_venv)
        cold = timed("cold", cold_venv)
        if cold.status != "ok":
            return (
                cold,
                skipped("warm", "the cold install failed, so the cache was never filled"),
                skipped("no-op", "the cold install failed"),
            )
        make_target(warm_venv)
        warm = timed("warm", warm_venv)
        if warm.status != "ok":
            return cold, warm, skipped("no-op", "the warm install failed")
        noop = timed("no-op", warm_venv)
        return cold, warm, noop
    finally:
        _dispose(scratch, keep=keep, trash=trash)


def measure_download_sequence(
    *,
    set_name: str,
    requirements: Path,
    tool: str,
    run: int,
    scratch: Path,
    tools: ToolsVenv,
    runner: Runner,
    environ: Mapping[str, str],
    index_url: str = DEFAULT_INDEX,
    timeout: float = 900.0,
    keep: bool = False,
    trash: Path | None = None,
    settle: Callable[[], None] = os.sync,
) -> tuple[Measurement, ...]:
    """Time ``tool`` downloading ``requirements`` cold, then the same command again (rerun).

    The scratch folder, cache, environment, ``settle`` and clean-up are those of
    :func:`measure_sequence`; the destination folder is ``scratch/dest``.
    """
    if scratch.exists():
        shutil.rmtree(scratch)
    cache_dir, dest = scratch / "cache", scratch / "dest"
    cache_dir.mkdir(parents=True)
    env = hermetic_env(environ, xdg_cache_home=scratch / "xdg-cache")
    argv = download_command(tool, tools=tools, requirements=requirements, dest=dest,
                            cache_dir=cache_dir, index_url=index_url)

    def timed(scenario: str) -> Measurement:
        settle()
        done = runner(argv, env=env, cwd=scratch, timeout=timeout)
        return _judge(set_name, tool, scenario, run, argv, done, saved_files(dest), operation="download")

    try:
        cold = timed("cold")
        if cold.status != "ok":
            return cold, Measurement(
                set_name=set_name, tool=tool, scenario="rerun", run=run, status="skipped",
                seconds=None, output="the cold download failed", operation="download",
            )
        return cold, timed("rerun")
    finally:
        _dispose(scratch, keep=keep, trash=trash)


def _dispose(scratch: Path, *, keep: bool, trash: Path | None) -> None:
    """Keep, move to ``trash`` (deleted by the caller later) or delete a sequence's folder."""
    if keep:
        return
    if trash is not None:
        trash.mkdir(parents=True, exist_ok=True)
        scratch.rename(trash / f"{scratch.name}-{time.time_ns()}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)


def _judge(
    set_name: str,
    tool: str,
    scenario: str,
    run: int,
    argv: list[str],
    done: Completed,
    installed: tuple[str, ...],
    *,
    operation: str = "install",
) -> Measurement:
    """Turn a finished command into a measurement, deciding whether it counts."""
    status, output = "ok", ""
    if done.timed_out:
        status, output = "timeout", tail(done.stderr or done.stdout)
    elif done.returncode != 0:
        status, output = "failed", tail(done.stderr or done.stdout)
    elif not installed:
        status = "failed"
        empty = "the target holds no distribution" if operation == "install" else "the folder holds no file"
        output = f"exited with 0 but {empty}\n" + tail(done.stderr or done.stdout)
    return Measurement(
        set_name=set_name, tool=tool, scenario=scenario, run=run, status=status,
        seconds=done.seconds if status == "ok" else None, returncode=done.returncode,
        installed=installed, output=output, command=tuple(argv), operation=operation,
        peak_rss=getattr(done, "peak_rss", None) if status == "ok" else None,
    )
