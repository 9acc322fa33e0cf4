"""Another platform or Python than the target interpreter's: pip's ``--platform``,
``--python-version``, ``--implementation`` and ``--abi``.

:func:`foreign_interpreter` returns the target :class:`~spoke.models.Interpreter` as that other
environment would be: its wheel tags (from :mod:`packaging.tags`, with pip's expansion of
``macosx_X_Y`` to the older macOS releases and of ``manylinux2014``/``manylinux2010`` to their
older aliases), its marker values (Python version, implementation, and the OS and machine the
first platform names) and its Python version for ``Requires-Python``. Nothing is run: the
resolver only ever reads those values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from spoke.errors import UsageError
from spoke.models import Interpreter

_IMPLEMENTATIONS = {"cp": ("cpython", "CPython"), "pp": ("pypy", "PyPy"), "py": ("cpython", "CPython"),
                    "ip": ("ironpython", "IronPython"), "jy": ("jython", "Jython")}
_PLATFORM = re.compile(
    r"^(any|win32|win_amd64|win_arm64|win_ia64"
    r"|linux_[a-z0-9_]+|manylinux1_[a-z0-9_]+|manylinux20(10|14)_[a-z0-9_]+|manylinux_\d+_\d+_[a-z0-9_]+"
    r"|musllinux_\d+_\d+_[a-z0-9_]+|macosx_\d+_\d+_[a-z0-9_]+|ios_\d+_\d+_[a-z0-9_]+|android_\d+_[a-z0-9_]+)$"
)
_SHAPES = ("manylinux_2_28_x86_64, manylinux2014_aarch64, musllinux_1_2_x86_64, macosx_11_0_arm64, "
           "win_amd64, win32, linux_aarch64, any")


@dataclass(frozen=True, slots=True, kw_only=True)
class ForeignTarget:
    """What the user asked for instead of the interpreter's own environment (empty: nothing)."""

    platforms: tuple[str, ...] = ()
    python_version: str | None = None
    implementation: str | None = None
    abis: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        """True when any of the four options was given."""
        return bool(self.platforms or self.python_version or self.implementation or self.abis)


def check_wheels_only(only_binary: frozenset[str], no_deps: bool) -> None:
    """As pip: another environment's files are taken as wheels only (an sdist's metadata would
    come from a build on this machine), unless dependencies are not looked at."""
    if ":all:" not in only_binary and not no_deps:
        raise UsageError("--platform, --python-version, --implementation and --abi need "
                         "--only-binary=:all: (an sdist cannot be evaluated for another environment) "
                         "or --no-deps", hint="Add --only-binary=:all:.")


def parse_python_version(text: str) -> tuple[int, ...]:
    """``"3.11"``, ``"3.11.4"``, ``"311"`` or ``"3"`` → ``(3, 11)``, ``(3, 11, 4)``, ``(3, 11)``, ``(3,)``."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+){0,2}", text) and "." in text:
        return tuple(int(p) for p in text.split("."))
    if re.fullmatch(r"\d{1,3}", text):
        return (int(text[0]),) if len(text) == 1 else (int(text[0]), int(text[1:]))
    raise UsageError(f"Invalid --python-version `{text}`",
                     hint="Give a version like `3.11`, `3.11.4` or `311`.")


def check_platforms(platforms: tuple[str, ...]) -> None:
    """Refuse a platform tag of no known shape (all of them named at once)."""
    bad = [p for p in platforms if not _PLATFORM.match(p)]
    if bad:
        raise UsageError(f"Unknown platform tag{'s' if len(bad) > 1 else ''} {', '.join(f'`{p}`' for p in bad)}",
                         hint=f"Platform tags look like {_SHAPES}.")


def expand_platforms(platforms: tuple[str, ...]) -> list[str]:
    """pip's expansion: a macOS release accepts wheels for older ones; manylinux2014 accepts
    manylinux2010 and manylinux1 wheels (manylinux2010, manylinux1)."""
    from packaging.tags import mac_platforms

    out: list[str] = []
    for platform in platforms:
        mac = re.fullmatch(r"macosx_(\d+)_(\d+)_(.+)", platform)
        if mac:
            extra = list(mac_platforms((int(mac.group(1)), int(mac.group(2))), mac.group(3)))
        elif platform.startswith(("manylinux2014_", "manylinux2010_")):
            arch = platform.split("_", 1)[1]
            older = ["manylinux2010", "manylinux1"] if platform.startswith("manylinux2014") else ["manylinux1"]
            extra = [platform, *(f"{name}_{arch}" for name in older if arch in ("i686", "x86_64"))]
        else:
            extra = [platform]
        out.extend(p for p in extra if p not in out)
    return out


def foreign_interpreter(interp: Interpreter, spec: ForeignTarget) -> Interpreter:
    """``interp`` as the environment ``spec`` describes (tags, markers, Python version)."""
    from packaging.tags import compatible_tags, cpython_tags, generic_tags

    check_platforms(spec.platforms)
    version = parse_python_version(spec.python_version) if spec.python_version else interp.version
    short = version[:2] if len(version) > 1 else (version[0], 0)
    impl = spec.implementation or ("pp" if interp.implementation == "pypy" else "cp")
    if impl not in _IMPLEMENTATIONS:
        raise UsageError(f"Unknown --implementation `{impl}`", hint="Give one of cp, pp, py, ip, jy.")
    platforms = expand_platforms(spec.platforms) if spec.platforms else _own_platforms(interp)
    nodot = "".join(str(p) for p in short)
    if impl == "cp":
        tags = list(cpython_tags(short, abis=list(spec.abis) or None, platforms=platforms))
    else:
        tags = list(generic_tags(f"{impl}{nodot}", abis=list(spec.abis) or ["none"], platforms=platforms))
    tags += [t for t in compatible_tags(short, f"{impl}{nodot}", platforms) if t not in tags]
    full = ".".join(str(p) for p in (*short, version[2] if len(version) > 2 else 0))
    name, python_impl = _IMPLEMENTATIONS[impl]
    markers = {**interp.markers, "python_version": ".".join(str(p) for p in short), "python_full_version": full,
               "implementation_name": name, "platform_python_implementation": python_impl,
               "implementation_version": full}
    if spec.platforms:
        markers.update(_platform_markers(spec.platforms[0]))
    triple = (short[0], short[1], version[2] if len(version) > 2 else 0)
    return replace(interp, version=triple, implementation=name, tags=tuple(tags), markers=markers)


def _own_platforms(interp: Interpreter) -> list[str]:
    out: list[str] = []
    for tag in interp.tags:
        if tag.platform != "any" and tag.platform not in out:
            out.append(tag.platform)
    return out


def _platform_markers(platform: str) -> dict[str, str]:
    """The OS and machine marker values a platform tag names."""
    machine = re.sub(r"^(manylinux_\d+_\d+|musllinux_\d+_\d+|manylinux\d*|linux|macosx_\d+_\d+|win)_?", "", platform)
    if platform.startswith("win"):
        return {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
                "platform_machine": {"amd64": "AMD64", "arm64": "ARM64", "32": "x86", "": "x86"}.get(machine, machine)}
    if platform.startswith("macosx"):
        return {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": machine}
    if platform == "any":
        return {}
    return {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": machine}
