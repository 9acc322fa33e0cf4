"""One record that a request is already satisfied, read by both no-op shortcuts (standard library only).

The commonest ``spoke install`` changes nothing: the same command typed again, in an
environment that already has everything. Answering it the long way costs parsing every
requirement, reading every installed ``METADATA`` and running the solver. So when an install
(or a no-op) finds its request satisfied, it writes a :class:`Record`: the answer (how many
packages, what was printed) and everything the answer depended on.

**What a record checks.** A record holds while all of these are as they were:

* the environment: the name and modification time of every ``*.dist-info``, ``*.egg-info`` and
  ``*.pth`` entry of the target's site-packages folders, and of the folders themselves
  (:func:`environment_fingerprint`). Installing, upgrading or removing anything, with any
  tool, changes it;
* the target interpreter's file (a rebuilt or replaced interpreter);
* every file the answer read or looked for, by the digest of its bytes or as absent: the
  requirements and constraints files (nested ones included), every configuration file spoke
  looks for, and the environment's transaction journal, which must stay absent (an
  interrupted change is settled by the full path first).

**Two keys, one record.** The same record is stored under two keys in the cache's
``satisfied`` bucket:

* ``command-<key>``: the command *as typed* (:class:`Invocation`: the arguments, the working
  folder, the environment variables spoke or pip read, whether each folder from the working
  folder up holds a ``.venv``, spoke's version and where it runs from). :func:`answer` reads it
  before the rest of spoke is imported (``spoke.cli.quick``), which is why this module imports
  nothing but the standard library, and not even :mod:`dataclasses` (+6 ms here, on a 27 ms
  answer): its values are typed named tuples. It is written only in the cache folder that the
  raw inputs name (``--cache-dir``, ``SPOKE_CACHE_DIR`` / ``PIP_CACHE_DIR``, else the default):
  with a cache folder set in a configuration file, there is no quick answer;
* ``request-<key>``: the request *as understood* (the interpreter, the requirements, the
  settings that steer resolution: see ``spoke.cli.install``), read after the settings are
  loaded and the target is found. It answers the same request typed differently (``-v``, other
  spellings, another working folder).

**Only what was seen under the lock is recorded.** The environment is fingerprinted by the
install itself while it still holds the environment's lock
(:attr:`spoke.app.install.InstallOutcome.environment`), not afterwards: once the lock is
released another process may change the environment, and a later look would vouch for a state
the solver never saw (an uninstall landing in that window would be answered "already
satisfied" until something else changed). Requirements files are digested as they are read,
for the same reason.

A record is only ever a shortcut to the answer the solver gave for the same inputs: any
difference, a missing or damaged record, or a request the full path never shortcuts (``-U``,
``--dry-run``…, decided by the writer) means the full path runs.
"""

from __future__ import annotations

import json
import os
import sys

# Not typing.TYPE_CHECKING: this module runs before anything imports typing (+6 ms), and
# collections.abc imports collections. Type checkers take any TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from hashlib import _Hash, sha256
else:
    # The interpreter's own sha256: hashlib loads OpenSSL first (+2.5 ms on a 20 ms answer).
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256
        except ImportError:  # an interpreter without them
            from hashlib import sha256

__all__ = [
    "BUCKET",
    "FORMAT",
    "EnvironmentState",
    "Invocation",
    "Record",
    "answer",
    "cache_root",
    "command_key",
    "environment_fingerprint",
    "file_digest",
    "file_digests",
    "invocation_of",
    "lookup_command",
    "lookup_request",
    "new_record",
    "observe_environment",
    "record_paths",
    "request_key",
]

#: The record's format: a record of another format is ignored (and overwritten).
FORMAT = 2
#: The cache bucket of records: ``spoke.cache.BUCKETS["satisfied"]``, spelled out because this
#: module runs before :mod:`spoke.cache` is imported (a unit test keeps the two equal).
BUCKET = "satisfied-v2"

_COMMANDS = frozenset({"install", "add", "sync"})
_ENV_PREFIXES = ("PIP_", "SPOKE_", "XDG_", "PYTHON")
_ENV_NAMES = frozenset({
    "HOME", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "PATH", "VIRTUAL_ENV", "CONDA_PREFIX",
    "NO_COLOR", "FORCE_COLOR",
})


# ----------------------------------------------------------------------------- fingerprints


def environment_fingerprint(paths: Iterable[object]) -> str:
    """A digest of which distributions are installed in ``paths``, and when they changed.

    The name and modification time of every ``*.dist-info``, ``*.egg-info`` and ``*.pth``
    entry, and of the folders themselves: installing, upgrading or removing anything, with
    any tool, changes it.
    """
    h = sha256()
    for path in paths:
        h.update(str(path).encode())
        try:
            st = os.stat(str(path))
        except OSError:
            h.update(b"-")
            continue
        h.update(str(st.st_mtime_ns).encode())
        try:
            entries = sorted(
                (e.name, e.stat().st_mtime_ns)
                for e in os.scandir(str(path))
                if e.name.endswith((".dist-info", ".egg-info", ".pth"))
            )
        except OSError:
            entries = []
        for name, mtime in entries:
            h.update(f"{name}:{mtime};".encode())
    return h.hexdigest()


def file_digest(path: object) -> str | None:
    """The sha256 of a file's bytes; ``None`` when it cannot be read (absent)."""
    try:
        with open(str(path), "rb") as fh:
            return sha256(fh.read()).hexdigest()
    except OSError:
        return None


def file_digests(paths: Iterable[object]) -> dict[str, str | None]:
    """:func:`file_digest` of each of ``paths``, by absolute path."""
    return {os.path.abspath(str(p)): file_digest(p) for p in paths}


class _Values:
    """Named values compared by value (typing's NamedTuple and dataclasses cost 6 ms of imports
    on a 20 ms answer; these are the three this module needs)."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        values = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({values})"


class EnvironmentState(_Values):
    """Which distributions the site-packages folders ``paths`` held, as one digest."""

    __slots__ = ("fingerprint", "paths")

    def __init__(self, *, paths: tuple[str, ...], fingerprint: str) -> None:
        self.paths = paths
        self.fingerprint = fingerprint


def observe_environment(paths: Iterable[object]) -> EnvironmentState:
    """The state of ``paths`` now (call it while holding the environment's lock)."""
    folders = tuple(str(p) for p in paths)
    return EnvironmentState(paths=folders, fingerprint=environment_fingerprint(folders))


def _stat_key(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


# ----------------------------------------------------------------------------- the record


class Record(_Values):
    """That a request was found satisfied, and everything that answer depended on.

    ``packages``: how many packages the resolution held ("Audited N packages"); ``message``: what
    the quick answer prints (``""``: nothing, as under ``-q``); ``files``: every file read or
    looked for, by path, with the digest of its bytes (``None`` for absent).
    """

    __slots__ = ("environment", "files", "interpreter", "interpreter_stat", "message", "packages")

    def __init__(
        self, *, packages: int, message: str, interpreter: str, interpreter_stat: tuple[int, int, int] | None,
        environment: EnvironmentState, files: Mapping[str, str | None],
    ) -> None:
        self.packages = packages
        self.message = message
        self.interpreter = interpreter
        self.interpreter_stat = interpreter_stat
        self.environment = environment
        self.files = files

    def holds(self) -> bool:
        """Whether everything the answer depended on is still as recorded."""
        if _stat_key(self.interpreter) != self.interpreter_stat:
            return False
        for path, digest in self.files.items():
            if file_digest(path) != digest:
                return False
        return environment_fingerprint(self.environment.paths) == self.environment.fingerprint

    def to_bytes(self) -> bytes:
        """The record as stored (JSON)."""
        return json.dumps({
            "format": FORMAT,
            "packages": self.packages,
            "message": self.message,
            "interpreter": self.interpreter,
            "interpreter_stat": self.interpreter_stat,
            "paths": list(self.environment.paths),
            "environment": self.environment.fingerprint,
            "files": dict(self.files),
        }).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Record | None:
        """The record stored as ``data``; ``None`` when damaged or of another format."""
        try:
            raw = json.loads(data)
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                return None
            stat = raw["interpreter_stat"]
            files = raw["files"]
            record = cls(
                packages=raw["packages"],
                message=raw["message"],
                interpreter=raw["interpreter"],
                interpreter_stat=tuple(stat) if stat is not None else None,
                environment=EnvironmentState(paths=tuple(raw["paths"]), fingerprint=raw["environment"]),
                files=dict(files),
            )
        except (ValueError, KeyError, TypeError):
            return None
        well_formed = (
            isinstance(record.packages, int) and isinstance(record.message, str)
            and isinstance(record.interpreter, str) and isinstance(record.environment.fingerprint, str)
            and all(isinstance(p, str) for p in record.environment.paths)
            and all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in record.files.items())
        )
        return record if well_formed else None


def new_record(
    *, packages: int, message: str, interpreter: object, environment: EnvironmentState,
    files: Mapping[str, str | None],
) -> Record:
    """A record of a satisfied request, with the interpreter's file as it is now."""
    return Record(
        packages=packages, message=message, interpreter=str(interpreter),
        interpreter_stat=_stat_key(str(interpreter)), environment=environment, files=dict(files),
    )


def _read(path: str) -> Record | None:
    try:
        with open(path, "rb") as fh:
            return Record.from_bytes(fh.read())
    except OSError:
        return None


def _record_path(root: str, kind: str, key: str) -> str:
    return os.path.join(root, BUCKET, f"{kind}-{key}.json")


# ----------------------------------------------------------------------------- keys


class Invocation(_Values):
    """A command as typed, the key of the quick answer (see :func:`invocation_of`): ``environ``
    holds the environment variables spoke or pip read (sorted), ``venvs`` whether each folder
    from ``cwd`` up holds a ``.venv`` (what target discovery looks at)."""

    __slots__ = ("argv", "cwd", "environ", "venvs")

    def __init__(
        self, *, argv: tuple[str, ...], environ: tuple[tuple[str, str], ...], cwd: str,
        venvs: tuple[tuple[str, bool], ...],
    ) -> None:
        self.argv = argv
        self.environ = environ
        self.cwd = cwd
        self.venvs = venvs


def invocation_of(argv: Sequence[str], environ: Mapping[str, str], cwd: str | None = None) -> Invocation | None:
    """The command as typed, when it is one the quick answer handles (``install``/``add``).

    Taken when the command starts, before the target is discovered, so a ``.venv`` created
    later only makes the record miss.
    """
    if not argv or argv[0] not in _COMMANDS:
        return None
    folder = os.path.abspath(os.getcwd() if cwd is None else cwd)
    return Invocation(
        argv=tuple(argv),
        environ=tuple(sorted((k, v) for k, v in environ.items() if _relevant(k))),
        cwd=folder,
        venvs=_venv_markers(folder),
    )


def _relevant(name: str) -> bool:
    return name in _ENV_NAMES or name.startswith(_ENV_PREFIXES)


def _venv_markers(cwd: str) -> tuple[tuple[str, bool], ...]:
    out: list[tuple[str, bool]] = []
    folder = cwd
    while True:
        path = os.path.join(folder, ".venv")
        out.append((path, os.path.isdir(path)))
        parent = os.path.dirname(folder)
        if parent == folder:
            return tuple(out)
        folder = parent


def _start(kind: str, *parts: str) -> _Hash:
    from spoke import __version__  # spoke/__init__.py holds nothing else

    h = sha256(f"spoke-{kind}-{FORMAT}\0{__version__}\0{__file__}".encode("utf-8", "surrogateescape"))
    for part in parts:
        h.update(b"\0")
        h.update(part.encode("utf-8", "surrogateescape"))
    return h


def command_key(invocation: Invocation) -> str:
    """The key of a command as typed (with spoke's version and where it runs from)."""
    h = _start("command", sys.executable, invocation.cwd)
    for arg in invocation.argv:
        h.update(b"\0a")
        h.update(arg.encode("utf-8", "surrogateescape"))
    for name, value in invocation.environ:
        h.update(f"\0e{name}={value}".encode("utf-8", "surrogateescape"))
    for venv, present in invocation.venvs:
        h.update(f"\0v{int(present)}{venv}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:40]


def request_key(interpreter: object, parts: Sequence[str]) -> str:
    """The key of a request as understood: the target interpreter and the request's parts."""
    return _start("request", str(interpreter), *parts).hexdigest()[:40]


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
        found = environ.get("SPOKE_CACHE_DIR") or environ.get("PIP_CACHE_DIR") or _default_cache_root(environ)
    return os.path.abspath(os.path.expanduser(found))


def _default_cache_root(environ: Mapping[str, str]) -> str:
    """``platformdirs.user_cache_dir("spoke")`` without importing platformdirs (7 ms).

    Were the two ever to disagree, no quick record would be written (the writer compares this
    folder with the cache it used), which costs speed, never a wrong answer.
    """
    if sys.platform == "win32":
        from platformdirs import user_cache_dir

        return user_cache_dir("spoke", appauthor=False)
    home = environ.get("HOME") or os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "spoke")
    xdg = (environ.get("XDG_CACHE_HOME") or "").strip()
    return os.path.join(xdg or os.path.join(home, ".cache"), "spoke")


# ----------------------------------------------------------------------------- reading, writing


def answer(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """Exit code 0 (after printing what the full path printed) when a record of this command
    as typed holds; else ``None`` (the full path runs)."""
    try:
        invocation = invocation_of(argv, environ)
        if invocation is None:
            return None
        record = lookup_command(invocation)
    except (OSError, ValueError, KeyError, TypeError, ImportError):
        return None
    if record is None:
        return None
    if record.message:
        print(record.message, file=sys.stderr, flush=True)
    return 0


def lookup_command(invocation: Invocation) -> Record | None:
    """The record of a command as typed, if there is one and it holds."""
    root = cache_root(invocation.argv, dict(invocation.environ))
    if root is None:
        return None
    record = _read(_record_path(root, "command", command_key(invocation)))
    return record if record is not None and record.holds() else None


def lookup_request(cache_root_used: object, key: str, *, paths: Iterable[object]) -> Record | None:
    """The record of a request as understood, if there is one and it holds for the
    site-packages folders ``paths`` the target has now."""
    record = _read(_record_path(str(cache_root_used), "request", key))
    if record is None or record.environment.paths != tuple(str(p) for p in paths):
        return None
    return record if record.holds() else None


def record_paths(cache_root_used: object, *, request: str | None, invocation: Invocation | None) -> list[str]:
    """Where a record goes: under the request's key (if any), and under the command's key
    when :func:`answer` would look in this cache (see the module docstring)."""
    root = os.path.abspath(str(cache_root_used))
    out = [] if request is None else [_record_path(root, "request", request)]
    if invocation is not None and cache_root(invocation.argv, dict(invocation.environ)) == root:
        out.append(_record_path(root, "command", command_key(invocation)))
    return out
