"""Inspecting a target interpreter from outside: run the probe, cache it, compute its tags.

spoke runs in its own environment and installs into another one, so nothing about the
target may be read from spoke's own ``sys`` or ``sysconfig``. :func:`inspect_interpreter`
runs the stdlib-only script in :mod:`spoke.env.probe` inside the target (``python -I -c``),
gets one JSON object back and turns it into an :class:`InspectedInterpreter`: the model's
:class:`~spoke.models.Interpreter` plus the few facts only this package needs (the base
executable and stdlib for venv creation, the scheme templates for ``--prefix``).

The probe costs a process (tens of milliseconds), so its raw JSON is cached in the
``interpreters`` bucket under a key made of what would change if the interpreter changed:
the path given, its real path, the real file's mtime and size, the link's own mtime (a
venv's ``bin/python`` is a symlink to a base interpreter shared by many venvs) and the
mtime of ``pyvenv.cfg``. A cache hit spawns nothing. Launcher *scripts* (pyenv shims start
with ``#!``) pick a different interpreter depending on the environment and working folder,
so they are never cached.

Wheel tags are computed here, in spoke, with ``packaging.tags``' public functions given
explicit arguments taken from the probe, so they agree with ``packaging.tags.sys_tags()``
run inside the target without importing packaging there.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoke.errors import InterpreterError
from spoke.models.interpreter import Interpreter, Scheme

if TYPE_CHECKING:
    from packaging.tags import Tag

    from spoke.cache import Cache

#: The sentinel the probe puts where a scheme template's base folder goes.
PREFIX_SENTINEL = "\x00B"
#: How long a probe may take before the interpreter is declared broken (seconds).
PROBE_TIMEOUT = 60.0
_PROBE_HINT = "Pass the path of a Python 3.8+ executable or of a virtual environment to `--python`."


@dataclass(frozen=True, slots=True, kw_only=True)
class InspectedInterpreter(Interpreter):
    """An :class:`Interpreter` as inspected by the probe, with the facts venv creation needs.

    ``base_executable`` is the interpreter a new venv links to (``sys._base_executable``,
    or the one beside ``pyvenv.cfg``'s ``home`` when the target is itself a venv).
    ``prefix_template`` and ``venv_template`` map scheme keys to paths in which
    :data:`PREFIX_SENTINEL` stands for the base folder. ``probe`` is the raw probe result.
    """

    base_executable: Path | None = None
    stdlib: Path | None = None
    platform: str = ""
    prefix_template: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    venv_template: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    probe: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False, repr=False)


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


_PROBE_SOURCE: str | None = None


def probe_source() -> str:
    """The probe script's source text, as passed to ``python -I -c``.

    Read beside this module (it is a module of the package, so it is always installed with
    it); ``importlib.resources`` alone would cost more than the rest of a no-op install's
    interpreter lookup.
    """
    global _PROBE_SOURCE
    if _PROBE_SOURCE is None:
        _PROBE_SOURCE = Path(__file__).with_name("probe.py").read_text(encoding="utf-8")
    return _PROBE_SOURCE


def inspect_interpreter(
    executable: Path,
    *,
    cache: Cache | None = None,
    runner: Runner = subprocess.run,
) -> InspectedInterpreter:
    """Inspect the Python at ``executable`` (running the probe unless the cache knows it).

    Raises :class:`~spoke.errors.InterpreterError` when ``executable`` is missing, cannot
    be run, or is not a Python spoke supports.
    """
    exe = Path(os.path.abspath(executable))
    if not exe.exists():
        raise InterpreterError(f"No Python interpreter at `{executable}`", hint=_PROBE_HINT)
    if exe.is_dir() or not os.access(exe, os.X_OK):
        raise InterpreterError(f"`{executable}` is not an executable Python interpreter", hint=_PROBE_HINT)
    key = cache_key(exe) if cache is not None else None
    data = _read_cached(cache, key) if key is not None else None
    if data is None:
        data = run_probe(exe, runner=runner)
        if key is not None:
            _write_cached(cache, key, data)
    return interpreter_from_probe(data, given=exe)


def _probe_argv(executable: Path) -> list[str]:
    return [str(executable), "-I", "-c", probe_source()]


_started: dict[str, subprocess.Popen[str]] = {}
_started_lock = threading.Lock()


def start_probe(executable: Path, *, cache: Cache | None = None) -> None:
    """Start probing ``executable`` in the background, unless the cache already knows it.

    A fresh interpreter (every new virtual environment) costs a probe, ~60 ms here, and
    the first thing every command needs is its answer. Started first thing, the probe runs
    while spoke loads; :func:`inspect_interpreter` then collects it. Anything unusual is left
    for :func:`inspect_interpreter` to meet and report.
    """
    exe = Path(os.path.abspath(executable))
    try:
        if not exe.is_file() or not os.access(exe, os.X_OK):
            return
        key = cache_key(exe) if cache is not None else None
        if key is not None and _read_cached(cache, key) is not None:
            return
        with _started_lock:
            if str(exe) in _started:
                return
            if not _started:
                atexit.register(_reap_started)
            _started[str(exe)] = subprocess.Popen(  # collected (and waited for) by run_probe
                _probe_argv(exe),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
    except OSError:
        return


def _reap_started() -> None:
    """At exit: end probes nobody collected (the command stopped early, on an error)."""
    with _started_lock:
        procs = list(_started.values())
        _started.clear()
    for proc in procs:
        proc.kill()
        proc.communicate()


def _collect_started(executable: Path, argv: list[str]) -> subprocess.CompletedProcess[str] | None:
    """The finished run of a probe :func:`start_probe` began for ``executable``, if any."""
    with _started_lock:
        proc = _started.pop(str(executable), None)
    if proc is None:
        return None
    try:
        stdout, stderr = proc.communicate(timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def run_probe(executable: Path, *, runner: Runner = subprocess.run) -> dict[str, Any]:
    """Run the probe inside ``executable`` and return its parsed JSON (no caching)."""
    argv = _probe_argv(executable)
    try:
        proc = _collect_started(executable, argv) if runner is subprocess.run else None
        if proc is None:
            proc = runner(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise InterpreterError(
            f"`{executable}` did not answer within {PROBE_TIMEOUT:.0f} seconds", hint=_PROBE_HINT
        ) from None
    except OSError as e:
        raise InterpreterError(f"`{executable}` cannot be run: {e.strerror or e}", hint=_PROBE_HINT) from None
    notes = _last_lines(proc.stderr)
    if proc.returncode != 0:
        raise InterpreterError(
            f"`{executable}` is not a Python interpreter spoke can use (exit code {proc.returncode})",
            hint=_PROBE_HINT,
            notes=notes,
        )
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        data = None
    if not isinstance(data, dict) or "version_info" not in data:
        raise InterpreterError(
            f"`{executable}` gave an answer spoke cannot read; is it a Python interpreter?",
            hint=_PROBE_HINT,
            notes=notes,
        )
    if data.get("unsupported"):
        version = ".".join(str(p) for p in data["version_info"][:3])
        raise InterpreterError(
            f"Python {version} at `{executable}` is too old for spoke",
            hint="spoke installs into Python 3.8 or newer; pass another one with `--python`.",
        )
    return data


def _last_lines(text: str | None, count: int = 3) -> tuple[str, ...]:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return tuple(lines[-count:])


# -- the cache ------------------------------------------------------------------------------


def cache_key(executable: Path) -> str | None:
    """The text the probe result of ``executable`` is cached under, or None: do not cache.

    None for a launcher script (its interpreter depends on the caller's environment) and for
    a path that cannot be stat'ed.
    """
    given = Path(os.path.abspath(executable))
    real = Path(os.path.realpath(given))
    try:
        st = real.stat()
        link = given.lstat()
        with open(real, "rb") as f:
            if f.read(2) == b"#!":
                return None
    except OSError:
        return None
    parts: list[object] = [str(given), str(real), st.st_mtime_ns, st.st_size, link.st_mtime_ns, link.st_ino]
    for cfg in (given.parent / "pyvenv.cfg", given.parent.parent / "pyvenv.cfg"):
        try:
            parts.append(cfg.stat().st_mtime_ns)
        except OSError:
            parts.append(None)
    # The user scheme depends on where home is; the probe's own text decides the format.
    parts.append(os.path.expanduser("~"))
    parts.append(os.environ.get("PYTHONUSERBASE"))
    parts.append(_probe_digest())
    return json.dumps(parts)


def _probe_digest() -> str:
    import hashlib

    return hashlib.sha256(probe_source().encode("utf-8")).hexdigest()[:16]


def _cache_file(cache: Cache, key: str) -> Path:
    from spoke.cache import key_for

    return cache.bucket("interpreters") / f"{key_for(key)}.json"


def _read_cached(cache: Cache | None, key: str) -> dict[str, Any] | None:
    if cache is None:
        return None
    try:
        stored = json.loads(_cache_file(cache, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key or not isinstance(stored.get("probe"), dict):
        return None
    return stored["probe"]


def _write_cached(cache: Cache | None, key: str, data: dict[str, Any]) -> None:
    if cache is None:
        return
    from spoke.cache import write_atomic

    payload = json.dumps({"key": key, "probe": data}, sort_keys=True).encode("utf-8")
    try:
        write_atomic(_cache_file(cache, key), payload)
    except OSError:
        pass  # a read-only cache only costs the next run a probe


# -- from probe data to the model -------------------------------------------------------------


class LazyTags(Sequence):  # type: ignore[type-arg]
    """The supported tags, computed on first use.

    Importing ``packaging.tags`` and building the list costs ~30 ms; commands that never look
    at tags (a satisfied no-op install, ``list``, ``freeze``) never pay it.
    """

    def __init__(self, compute: Callable[[], Sequence[Tag]]) -> None:
        self._compute: Callable[[], Sequence[Tag]] | None = compute
        self._tags: tuple[Tag, ...] = ()

    def _all(self) -> tuple[Tag, ...]:
        if self._compute is not None:
            self._tags = tuple(self._compute())
            self._compute = None
        return self._tags

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._all())

    def __contains__(self, tag: object) -> bool:
        return tag in self._all()

    def __eq__(self, other: object) -> bool:
        return tuple(self._all()) == (tuple(other) if isinstance(other, Sequence) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyTags({len(self)} tags)"


def interpreter_from_probe(
    data: Mapping[str, Any],
    *,
    given: Path | None = None,
    host_platform: str | None = None,
    host_is_64bit: bool | None = None,
) -> InspectedInterpreter:
    """Build the model from a probe result (pure apart from ``packaging.tags``' host checks).

    ``host_platform`` and ``host_is_64bit`` describe spoke's own interpreter (defaults: the
    running one); when they match the target's, the platform tags come from
    ``packaging.tags.platform_tags()``, otherwise they are derived from the probe.
    """
    schemes = data["schemes"]
    version = tuple(int(p) for p in data["version_info"][:3])
    is_venv = bool(data["is_venv"])
    include_system = bool(data.get("include_system_site_packages"))
    user = schemes.get("user")
    user_site = data.get("user_site") if data.get("user_site_enabled") else None
    executable = data.get("executable") or (str(given) if given else "")
    return InspectedInterpreter(
        executable=Path(executable),
        version=(version[0], version[1], version[2]),
        implementation=data["implementation"]["name"],
        markers=dict(data["markers"]),
        tags=LazyTags(lambda: compute_tags(data, host_platform=host_platform, host_is_64bit=host_is_64bit)),
        sys_prefix=Path(data["prefix"]),
        base_prefix=Path(data["base_prefix"]),
        scheme=_scheme(schemes["default"]),
        user_scheme=_scheme(user) if user else None,
        is_venv=is_venv,
        externally_managed=None if is_venv else data.get("externally_managed"),
        site_packages=tuple(Path(p) for p in data.get("site_packages") or ()),
        user_site=Path(user_site) if user_site else None,
        include_system_site_packages=include_system,
        base_executable=Path(data["base_executable"]) if data.get("base_executable") else None,
        stdlib=Path(data["stdlib"]) if data.get("stdlib") else None,
        platform=data.get("platform") or "",
        prefix_template=dict(schemes.get("prefix_template") or {}),
        venv_template=dict(schemes.get("venv_template") or {}),
        probe=dict(data),
    )


def _scheme(paths: Mapping[str, str]) -> Scheme:
    return Scheme(
        purelib=Path(paths["purelib"]),
        platlib=Path(paths["platlib"]),
        scripts=Path(paths["scripts"]),
        data=Path(paths["data"]),
        headers=Path(paths["include"]),
    )


def scheme_from_template(template: Mapping[str, str], base: Path) -> Scheme:
    """A :class:`Scheme` from a probe template, with ``base`` put in for the sentinel."""
    root = str(base)
    return _scheme({k: v.replace(PREFIX_SENTINEL, root) for k, v in template.items() if isinstance(v, str)})


def prefix_scheme(interp: Interpreter, prefix: Path) -> Scheme:
    """The scheme of ``--prefix PREFIX`` for ``interp`` (``PREFIX/lib/pythonX.Y/site-packages``...).

    Uses the probe's template; for a plain :class:`Interpreter` (no template), moves the
    default scheme's paths from ``sys.prefix`` to ``prefix``, or falls back to the POSIX
    layout where a path is not under ``sys.prefix`` (Debian's ``/usr/local``).
    """
    prefix = Path(os.path.abspath(prefix))
    template = getattr(interp, "prefix_template", None)
    if template:
        return scheme_from_template(template, prefix)
    py_xy = f"python{interp.version[0]}.{interp.version[1]}"
    fallback = {
        "purelib": prefix / "lib" / py_xy / "site-packages",
        "platlib": prefix / "lib" / py_xy / "site-packages",
        "scripts": prefix / "bin",
        "data": prefix,
        "headers": prefix / "include" / py_xy,
    }
    moved: dict[str, Path] = {}
    for key, default in fallback.items():
        current: Path = getattr(interp.scheme, key)
        try:
            moved[key] = prefix / current.relative_to(interp.sys_prefix)
        except ValueError:
            moved[key] = default
    return Scheme(**moved)


def target_scheme(dir: Path) -> Scheme:  # noqa: A002 - the name pip's option gives it
    """pip's ``--target DIR`` layout: packages and data in DIR, scripts in DIR/bin.

    ``headers`` is the folder each distribution's own header folder goes into (as pip's
    ``home`` scheme: ``DIR/include/python/<name>``).
    """
    root = Path(os.path.abspath(dir))
    return Scheme(
        purelib=root,
        platlib=root,
        scripts=root / ("Scripts" if os.name == "nt" else "bin"),
        data=root,
        headers=root / "include" / "python",
    )


# -- wheel tags ----------------------------------------------------------------------------------


def compute_tags(
    data: Mapping[str, Any],
    *,
    host_platform: str | None = None,
    host_is_64bit: bool | None = None,
) -> list[Tag]:
    """The wheel tags the probed interpreter supports, most preferred first.

    Same order as ``packaging.tags.sys_tags()`` run inside the target.
    """
    from packaging import tags

    major, minor = (int(p) for p in data["version_info"][:2])
    impl = data["implementation"]["name"]
    short = tags.INTERPRETER_SHORT_NAMES.get(impl) or impl
    nodot = str(data.get("py_version_nodot") or f"{major}{minor}")
    platforms = platforms_for(data, host_platform=host_platform, host_is_64bit=host_is_64bit)
    out: list[Tag]
    if short == "cp":
        threading = "t" if (major, minor) >= (3, 13) and data.get("gil_disabled") else ""
        debug = "d" if data.get("py_debug") else ""
        abis = [f"cp{major}{minor}{threading}{debug}"]
        if debug:
            abis.append(f"cp{major}{minor}{threading}")  # debug builds load normal extensions
        out = list(tags.cpython_tags((major, minor), abis=abis, platforms=platforms))
        interp: str | None = f"cp{nodot}"
    else:
        out = list(tags.generic_tags(f"{short}{nodot}", abis=generic_abis(data), platforms=platforms))
        interp = "pp3" if short == "pp" else None
    out.extend(tags.compatible_tags((major, minor), interp, platforms))
    return out


def generic_abis(data: Mapping[str, Any]) -> list[str]:
    """The ABI of a non-CPython interpreter from its ``EXT_SUFFIX`` (``pypy310_pp73``)."""
    ext_suffix = data.get("ext_suffix")
    if not isinstance(ext_suffix, str) or not ext_suffix.startswith("."):
        return []
    parts = ext_suffix.split(".")
    if len(parts) < 3:
        return []
    soabi = parts[1]
    if soabi.startswith("cpython"):
        pieces = soabi.split("-")
        abi = "cp" + pieces[1] if len(pieces) > 1 and pieces[1] else ""
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    else:
        abi = soabi
    return [_normalize(abi)] if abi else []


def _normalize(text: str) -> str:
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def platforms_for(
    data: Mapping[str, Any],
    *,
    host_platform: str | None = None,
    host_is_64bit: bool | None = None,
) -> list[str]:
    """Platform tags of the probed interpreter, most specific first.

    When the target shares spoke's platform and word size, ``packaging.tags.platform_tags()``
    is exact (same machine, same libc). Otherwise they are derived from the probe:
    ``linux_<arch>`` plus manylinux/musllinux from the reported libc, macOS from its
    version, or the one normalized ``sysconfig`` platform.
    """
    import sys
    import sysconfig

    from packaging import tags

    if host_platform is None:
        host_platform = sysconfig.get_platform()
    if host_is_64bit is None:
        host_is_64bit = sys.maxsize > 2**32
    plat = str(data["platform"])
    is_64bit = bool(data.get("is_64bit", True))
    if plat == host_platform and is_64bit == host_is_64bit:
        return list(tags.platform_tags())
    norm = _normalize(plat)
    system = data["markers"].get("platform_system")
    if system == "Linux" and norm.startswith("linux_"):
        return linux_platforms(norm.split("_", 1)[1], is_64bit=is_64bit, libc=data.get("libc"))
    mac_version = data.get("mac_version")
    if system == "Darwin" and mac_version:
        numbers = [int(p) for p in str(mac_version).split(".")[:2] if p.isdigit()]
        if len(numbers) == 1:
            numbers.append(0)
        arch = data["markers"].get("platform_machine") or "x86_64"
        if not is_64bit:
            arch = "ppc" if arch.startswith("ppc") else "i386"
        return list(tags.mac_platforms((numbers[0], numbers[1]), arch))
    return [norm]


_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


def linux_platforms(arch: str, *, is_64bit: bool, libc: Mapping[str, Any] | None) -> list[str]:
    """``linux_<arch>``, then manylinux tags down from the glibc version (PEP 600 rules).

    Mirrors ``packaging.tags``' Linux logic for a target that is not spoke's own interpreter.
    """
    if not is_64bit:
        arch = {"x86_64": "i686", "aarch64": "armv8l"}.get(arch, arch)
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    out = [f"linux_{a}" for a in archs]
    name = (libc or {}).get("name")
    version = (libc or {}).get("version")
    numbers = [int(p) for p in str(version).split(".")[:2] if p.isdigit()] if version else []
    if name == "glibc" and len(numbers) == 2:
        too_old = (2, 4) if set(archs) & {"x86_64", "i686"} else (2, 16)
        maxima = [(numbers[0], numbers[1])] + [(m, 50) for m in range(numbers[0] - 1, 1, -1)]
        for a in archs:
            for glibc_major, glibc_max_minor in maxima:
                lowest = too_old[1] if glibc_major == too_old[0] else -1
                for glibc_minor in range(glibc_max_minor, lowest, -1):
                    out.append(f"manylinux_{glibc_major}_{glibc_minor}_{a}")
                    legacy = _LEGACY_MANYLINUX.get((glibc_major, glibc_minor))
                    if legacy:
                        out.append(f"{legacy}_{a}")
    elif name == "musl" and len(numbers) == 2:
        for a in archs:
            out.extend(f"musllinux_{numbers[0]}_{m}_{a}" for m in range(numbers[1], -1, -1))
    return out
