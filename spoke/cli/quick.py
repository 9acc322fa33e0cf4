"""Answer a repeated ``spoke install`` before loading the rest of spoke.

:mod:`spoke.app.noop` already skips the solver for a request known to be satisfied, but it
still parses the command line and the configuration and inspects the target: a tenth of a
second of imports and work on a small machine, where the whole answer is "nothing to do".
This module handles the commonest no-op, the same command typed again, with the standard
library only.

A record is keyed by the *raw* inputs: the arguments as typed, the working folder, the
environment variables spoke or pip read (``PIP_*``, ``SPOKE_*``, ``XDG_*``, ``PYTHON*``, the
home, ``PATH``, ``VIRTUAL_ENV``…), spoke's version and where it runs from. It lists what else
the answer depended on, and each is checked again:

* every configuration file spoke looks for, by the digest of its bytes, or as absent;
* every requirements file that was read, by digest;
* whether each folder from the working folder up holds a ``.venv`` (target discovery);
* the target interpreter's file, and the dist-info fingerprint of its site-packages folders
  (:func:`~spoke.fingerprint.environment_fingerprint`: any install, upgrade or removal by any
  tool changes it); the environment's transaction journal must be absent (an interrupted
  change is settled by the full path first).

Any difference, a missing or damaged record, or a request the full path would never shortcut
(``-U``, ``--dry-run``…, decided when the record is written) means the full path runs. The
full path writes a record only after it found the request satisfied, and only in the cache
folder this module derives from the raw inputs alone (``--cache-dir``, ``SPOKE_CACHE_DIR`` /
``PIP_CACHE_DIR``, else the default): with a cache folder set in a configuration file there is
no quick record, just the ordinary shortcut.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from spoke.fingerprint import environment_fingerprint, file_digest

_FORMAT = 1
_BUCKET = "satisfied-v1"
_ENV_PREFIXES = ("PIP_", "SPOKE_", "XDG_", "PYTHON")
_ENV_NAMES = frozenset({
    "HOME", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "PATH", "VIRTUAL_ENV", "CONDA_PREFIX",
    "NO_COLOR", "FORCE_COLOR",
})
_COMMANDS = frozenset({"install", "add"})

#: The raw command of the running process, noted by :func:`spoke.cli.main.main` for
#: :func:`remember` (``None`` when spoke runs without one, as in some tests).
_current: tuple[list[str], dict[str, str]] | None = None


def main() -> int:
    """The ``spoke`` command: the quick answer when there is one, else the full CLI."""
    code = answer(sys.argv[1:], os.environ)
    if code is not None:
        return code
    from spoke.cli.main import main as full

    end_now(full())


def end_now(code: int) -> NoReturn:
    """End the process with ``code`` without tearing the interpreter down.

    By then every file is closed, every pool shut down and every child reaped; what is left is
    freeing the objects of a resolution one by one, which took 0.13 s after a 68-package
    install here. Exit handlers still run, and the standard streams are flushed.
    """
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


def note_request(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    """Keep the raw command for :func:`remember` (called once per CLI run)."""
    global _current
    _current = (list(argv), {k: v for k, v in environ.items() if _relevant(k)})


def recording() -> tuple[list[str], dict[str, str]] | None:
    """The raw command noted for this process, if any."""
    return _current


def _relevant(name: str) -> bool:
    return name in _ENV_NAMES or name.startswith(_ENV_PREFIXES)


def request_digest(argv: Sequence[str], environ: Mapping[str, str], cwd: str) -> str:
    """The key of a raw request (see the module docstring for what goes in)."""
    from spoke import __version__

    h = hashlib.sha256(f"spoke-quick-{_FORMAT}\0{__version__}\0{__file__}\0{sys.executable}\0{cwd}".encode(
        "utf-8", "surrogateescape"))
    for arg in argv:
        h.update(b"\0a")
        h.update(arg.encode("utf-8", "surrogateescape"))
    for name in sorted(k for k in environ if _relevant(k)):
        h.update(f"\0e{name}={environ[name]}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:40]


def cache_root(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The cache folder named by the raw inputs (``None``: the cache is off)."""
    found: str | None = None
    for i, arg in enumerate(argv):
        if arg == "--no-cache-dir":
            return None
        if arg == "--cache-dir" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--cache-dir="):
            found = arg.partition("=")[2]
    if found is None:
        found = environ.get("SPOKE_CACHE_DIR") or environ.get("PIP_CACHE_DIR")
    if found is None:
        from platformdirs import user_cache_dir

        found = user_cache_dir("spoke", appauthor=False)
    return os.path.abspath(os.path.expanduser(found))


def _venv_markers(cwd: str) -> list[list[Any]]:
    """Whether each folder from ``cwd`` up holds a ``.venv`` (what discovery looks at)."""
    out: list[list[Any]] = []
    folder = os.path.abspath(cwd)
    while True:
        path = os.path.join(folder, ".venv")
        out.append([path, os.path.isdir(path)])
        parent = os.path.dirname(folder)
        if parent == folder:
            return out
        folder = parent


def _stat_key(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def answer(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """Exit code 0 (after printing what the full path printed) when a record holds; else None."""
    if not argv or argv[0] not in _COMMANDS:
        return None
    try:
        root = cache_root(argv, environ)
        if root is None:
            return None
        cwd = os.getcwd()
        path = os.path.join(root, _BUCKET, f"quick-{request_digest(argv, environ, cwd)}.json")
        with open(path, "rb") as fh:
            record = json.loads(fh.read())
        if not isinstance(record, dict) or record.get("format") != _FORMAT:
            return None
        for file, digest in record["files"].items():
            if file_digest(file) != digest:
                return None
        for venv, present in record["venvs"]:
            if os.path.isdir(venv) != present:
                return None
        if _stat_key(record["interpreter"]) != record["interpreter_stat"]:
            return None
        if environment_fingerprint(record["paths"]) != record["environment"]:
            return None
        message = record["message"]
    except (OSError, ValueError, KeyError, TypeError, ImportError):
        return None
    if message:
        print(message, file=sys.stderr, flush=True)
    return 0


def remember(
    *, cache_root_used: str, interpreter: str, paths: Sequence[str], fingerprint: str,
    files: Mapping[str, str | None], message: str,
) -> None:
    """Record that the raw request of this process is satisfied (see the module docstring).

    ``files`` maps every file the answer read or looked for (configuration and requirements
    files) to its digest, ``None`` for an absent one. Nothing is written when the cache in
    use is not the one :func:`answer` would look in, or there is no raw request.
    """
    if _current is None:
        return
    argv, environ = _current
    if not argv or argv[0] not in _COMMANDS:
        return
    root = cache_root(argv, environ)
    if root is None or os.path.abspath(cache_root_used) != root:
        return
    cwd = os.getcwd()
    record = {
        "format": _FORMAT,
        "files": dict(files),
        "venvs": _venv_markers(cwd),
        "interpreter": interpreter,
        "interpreter_stat": _stat_key(interpreter),
        "paths": list(paths),
        "environment": fingerprint,
        "message": message,
    }
    from pathlib import Path

    from spoke.cache import write_atomic

    target = Path(root) / _BUCKET / f"quick-{request_digest(argv, environ, cwd)}.json"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, json.dumps(record).encode())
    except OSError:
        pass  # a read-only cache only costs speed
