"""Finding the target interpreter, and refusing externally managed ones (PEP 668).

The search order, first match wins:

1. ``--python``: a virtual environment folder (holding ``pyvenv.cfg``) means its
   ``bin/python``; a path means that file; a bare version (``3.11``, ``3.11.7``) means
   ``python3.11`` on ``PATH``; any other word (``python3``, ``pypy3``) is looked up on ``PATH``.
   A version request names a command; :func:`check_version_request` confirms the probed
   interpreter really is that version.
2. ``VIRTUAL_ENV``: the activated environment.
3. A ``.venv`` folder in the working folder or any parent.
4. Only with ``--system``: ``python3`` (then ``python``) on ``PATH``.

Nothing here runs an interpreter; it only looks at the file system, so it is cheap and
every input (``PATH``, ``VIRTUAL_ENV``, the working folder) is passed in.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from spoke.errors import EnvironmentNotFound, ExternallyManagedError, InterpreterError
from spoke.models.interpreter import Interpreter

_VERSION_RE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?$")
_NOT_FOUND_HINT = (
    "Create one with `spoke venv` (then activate it or run spoke in its folder), "
    "or pass `--python PATH` / `--system`."
)
_IS_WINDOWS = os.name == "nt"


def find_interpreter(
    *,
    python: str | None,
    virtual_env: str | None,
    cwd: Path,
    system: bool,
    path_env: str,
) -> Path:
    """The executable of the target interpreter (see the module docstring for the order).

    Raises :class:`~spoke.errors.InterpreterError` when an explicit ``--python`` or
    ``VIRTUAL_ENV`` names nothing usable, and :class:`~spoke.errors.EnvironmentNotFound`
    when nothing was asked for and nothing was found.
    """
    if python:
        return _from_python_option(python, cwd=cwd, path_env=path_env)
    if virtual_env:
        venv = _absolute(Path(virtual_env), cwd)
        exe = venv_python(venv)
        if exe is None:
            raise InterpreterError(
                f"VIRTUAL_ENV points to `{virtual_env}`, which holds no Python interpreter",
                hint="Run `deactivate` (or unset VIRTUAL_ENV), or recreate the environment.",
            )
        return exe
    found = find_dot_venv(cwd)
    if found is not None:
        return found
    if system:
        for name in ("python3", "python"):
            exe = which(name, path_env)
            if exe is not None:
                return exe
        raise EnvironmentNotFound(
            "No Python interpreter found on PATH",
            hint="Install Python 3, or pass `--python PATH`.",
        )
    raise EnvironmentNotFound("No virtual environment found", hint=_NOT_FOUND_HINT)


def _from_python_option(python: str, *, cwd: Path, path_env: str) -> Path:
    version = parse_version_request(python)
    if version is not None:
        name = "python" + ".".join(str(p) for p in version[:2])
        exe = which(name, path_env)
        if exe is None:
            raise InterpreterError(
                f"No `{name}` found on PATH for `--python {python}`",
                hint="Install that Python version, or pass the path of its executable to `--python`.",
            )
        return exe
    looks_like_path = os.sep in python or (os.altsep is not None and os.altsep in python) or python.startswith(".")
    candidate = _absolute(Path(python).expanduser(), cwd)
    if looks_like_path or candidate.is_dir():
        if candidate.is_dir():
            exe = venv_python(candidate) or _prefix_python(candidate)
            if exe is None:
                raise InterpreterError(
                    f"`{python}` is a folder with no Python interpreter in it",
                    hint="Pass a virtual environment folder or the path of a Python executable.",
                )
            return exe
        if candidate.exists():
            return candidate
        raise InterpreterError(
            f"No Python interpreter at `{python}`",
            hint="Check the path, or pass a version like `--python 3.12` or a name on PATH.",
        )
    exe = which(python, path_env)
    if exe is None:
        raise InterpreterError(
            f"No `{python}` found on PATH",
            hint="Pass the path of a Python executable or a virtual environment to `--python`.",
        )
    return exe


def _absolute(path: Path, cwd: Path) -> Path:
    return path if path.is_absolute() else Path(os.path.normpath(cwd / path))


def parse_version_request(python: str | None) -> tuple[int, ...] | None:
    """``"3.11"`` → ``(3, 11)``, ``"3.11.7"`` → ``(3, 11, 7)``; anything else → None."""
    if not python:
        return None
    match = _VERSION_RE.match(python.strip())
    if match is None:
        return None
    return tuple(int(p) for p in match.groups() if p is not None)


def check_version_request(interp: Interpreter, python: str | None) -> None:
    """Raise :class:`~spoke.errors.InterpreterError` if ``--python 3.X[.Y]`` found another version."""
    wanted = parse_version_request(python)
    if wanted is None:
        return
    if tuple(interp.version[: len(wanted)]) != wanted:
        asked = ".".join(str(p) for p in wanted)
        raise InterpreterError(
            f"`--python {python}` found Python {interp.python_version} at `{interp.executable}`, not {asked}",
            hint="Pass the path of the exact interpreter to `--python`.",
        )


def which(name: str, path_env: str) -> Path | None:
    """The first executable called ``name`` on ``path_env`` (a PATH string), or None."""
    found = shutil.which(name, path=path_env)
    return Path(found) if found else None


def venv_python(venv: Path) -> Path | None:
    """The interpreter of the virtual environment at ``venv``, or None if it is not one."""
    if not (venv / "pyvenv.cfg").is_file():
        return None
    return _prefix_python(venv)


def _prefix_python(prefix: Path) -> Path | None:
    names = (
        [Path("Scripts", "python.exe"), Path("python.exe")]
        if _IS_WINDOWS
        else [Path("bin", "python"), Path("bin", "python3")]
    )
    for name in names:
        exe = prefix / name
        if exe.is_file() and os.access(exe, os.X_OK):
            return exe
    return None


def find_dot_venv(start: Path) -> Path | None:
    """The interpreter of a ``.venv`` environment in ``start`` or its nearest parent holding one."""
    folder = Path(os.path.abspath(start))
    for parent in (folder, *folder.parents):
        exe = venv_python(parent / ".venv")
        if exe is not None:
            return exe
    return None


def check_externally_managed(interp: Interpreter, break_system_packages: bool) -> None:
    """Refuse an interpreter whose stdlib holds an ``EXTERNALLY-MANAGED`` file (PEP 668).

    Virtual environments are never externally managed; ``--break-system-packages`` overrides.
    The error quotes the distributor's own ``Error=`` text when the file has one.
    """
    if break_system_packages or interp.is_venv or not interp.externally_managed:
        return
    path = Path(interp.externally_managed)
    text = read_externally_managed(path)
    notes = tuple(line for line in (text or "").splitlines()) if text else ()
    raise ExternallyManagedError(
        f"The Python environment at `{interp.sys_prefix}` is externally managed",
        notes=notes or (f"{path} marks it as managed by another tool (PEP 668)",),
        hint="Create a virtual environment with `spoke venv` and install into it, or pass "
        "`--break-system-packages` to install here anyway.",
        reference="externally-managed-environment",
    )


def read_externally_managed(path: Path) -> str | None:
    """The ``Error`` text of an ``EXTERNALLY-MANAGED`` file, or None if it has none or is unreadable."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    if not parser.has_section("externally-managed"):
        return None
    text = parser.get("externally-managed", "Error", fallback=None)
    return text.strip() if text and text.strip() else None
