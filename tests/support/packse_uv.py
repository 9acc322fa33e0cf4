"""packse scenarios read with packse's own schema and defaults, built as test packages, and
compared with the answers uv gives for them (``tests/data/packse/uv-expectations.json``).

A scenario file (``tests/data/packse/<family>/*.toml``, copied from packse) is read into
:class:`Scenario` the way packse's ``msgspec`` structs read it: unknown keys are refused and an
absent key takes packse's default — notably ``requires_python = ">=3.12"`` for every package
version *and* for the root, ``sdist = wheel = true`` and ``environment.python = "3.12"``.

:func:`build_packages` turns the scenario's packages into :class:`~tests.support.packages.Pkg`
specs as ``packse build --short-names --no-hash`` builds them: names as written (each test has
its own index, so no prefix is needed), one wheel per entry of ``wheel_tags`` (``py3-none-any``
when there is none), an sdist unless ``sdist = false``, no wheel when ``wheel = false``, the
scenario's ``requires`` / ``extras`` / ``requires_python`` as core metadata. packse's sdists
carry static metadata (the scenarios' explanations rely on it), so the sdists say
Metadata-Version 2.2 with nothing dynamic (PEP 643).

Markers are compared by meaning, not as strings: :func:`marker_difference` evaluates both on a
grid of environments: Python 3.8 to 3.14 (.0, .1 and .7 releases) inside the resolution's
Requires-Python × linux/darwin/win32 (with their ``platform_system`` and ``os_name``) ×
x86_64/aarch64/arm64/AMD64 × cpython/pypy (with ``platform_python_implementation``). A value
the scenario's markers name beyond these (``sys_platform == 'illumos'``, ``os_name == 'linux'``,
``implementation_name == 'iron'``) joins its variable, combined with every value of the others
in its group. Only the variables the compared markers name are varied.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.support.packages import Pkg

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

__all__ = [
    "DATA",
    "FAMILIES",
    "Expected",
    "Pin",
    "Scenario",
    "build_packages",
    "grid",
    "load_expectations",
    "load_scenarios",
    "marker_difference",
    "parse_pins",
]

DATA = Path(__file__).resolve().parents[1] / "data" / "packse"
FAMILIES = ("fork", "tag_and_markers", "requires_python")
EXPECTATIONS = DATA / "uv-expectations.json"

DEFAULT_REQUIRES_PYTHON = ">=3.12"
"""packse's default ``requires_python`` of a package version and of the root (``scenario.py``)."""


# ----------------------------------------------------------------------------- the schema


@dataclass(frozen=True)
class PackageVersion:
    """``[packages.<name>.versions."<version>"]`` (packse's ``PackageMetadata``)."""

    requires_python: str = DEFAULT_REQUIRES_PYTHON
    requires: tuple[str, ...] = ()
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sdist: bool = True
    wheel: bool = True
    yanked: bool = False
    wheel_tags: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Root:
    requires_python: str = DEFAULT_REQUIRES_PYTHON
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolverOptions:
    python: str | None = None
    prereleases: bool = False
    no_build: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    universal: bool = False
    python_platform: str | None = None
    required_environments: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Environment:
    python: str = "3.12"
    additional_python: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expected:
    satisfiable: bool
    packages: Mapping[str, str] = field(default_factory=dict)
    explanation: str | None = None


@dataclass(frozen=True)
class Scenario:
    """One scenario, with packse's defaults filled in."""

    name: str
    family: str
    path: Path
    packages: Mapping[str, Mapping[str, PackageVersion]]
    root: Root
    expected: Expected
    environment: Environment
    resolver_options: ResolverOptions
    description: str | None = None

    @property
    def id(self) -> str:
        return self.name

    @property
    def universal(self) -> bool:
        return self.resolver_options.universal

    def literal_markers(self) -> list[str]:
        """Every marker written in the scenario (root and packages), for :func:`grid`."""
        reqs = list(self.root.requires)
        for versions in self.packages.values():
            for meta in versions.values():
                reqs += meta.requires
                for deps in meta.extras.values():
                    reqs += deps
        return [str(r.marker) for r in map(Requirement, reqs) if r.marker is not None]


def _struct(cls: type[Any], data: Mapping[str, Any], where: str, **extra: Any) -> Any:
    """``cls(**data)`` refusing unknown keys (packse's ``forbid_unknown_fields``); lists → tuples."""
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)} (packse would refuse them)")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return cls(**values, **extra)


def _read(path: Path) -> Mapping[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        loaded: Mapping[str, Any] = json.loads(text)
        return loaded
    return tomllib.loads(text)


def load_scenario(path: Path, family: str) -> Scenario:
    data = dict(_read(path))
    where = str(path)
    known = {"name", "description", "packages", "root", "expected", "environment", "resolver_options", "template"}
    if set(data) - known:
        raise ValueError(f"{where}: unknown field(s) {sorted(set(data) - known)}")
    if data.get("template", "package") != "package":
        raise ValueError(f"{where}: template {data['template']!r} is not packse's plain package template")
    packages: dict[str, dict[str, PackageVersion]] = {}
    for name, package in data.get("packages", {}).items():
        if set(package) - {"versions"}:
            raise ValueError(f"{where}: packages.{name} has fields besides `versions`")
        packages[name] = {}
        for version, meta in package["versions"].items():
            meta = dict(meta)
            extras = {k: tuple(v) for k, v in meta.pop("extras", {}).items()}
            packages[name][version] = _struct(PackageVersion, meta, f"{where}: {name} {version}", extras=extras)
    return Scenario(
        name=data["name"],
        family=family,
        path=path,
        packages=packages,
        root=_struct(Root, data.get("root", {}), f"{where}: root"),
        expected=_struct(Expected, data["expected"], f"{where}: expected"),
        environment=_struct(Environment, data.get("environment", {}), f"{where}: environment"),
        resolver_options=_struct(ResolverOptions, data.get("resolver_options", {}), f"{where}: resolver_options"),
        description=data.get("description"),
    )


def load_scenarios(families: Iterable[str] = FAMILIES) -> list[Scenario]:
    """Every scenario file (TOML or JSON) of ``families``, sorted by family and file name."""
    out = []
    for family in families:
        for path in sorted((DATA / family).iterdir()):
            if path.suffix in (".toml", ".json"):
                out.append(load_scenario(path, family))
    return out


def load_expectations(path: Path = EXPECTATIONS) -> dict[str, Any]:
    """uv's answers, as ``tests/data/packse/extract_uv_expectations.py`` extracted them."""
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


# ----------------------------------------------------------------------------- packages


def build_packages(scenario: Scenario) -> list[Pkg]:
    """The scenario's distributions as :class:`Pkg` specs (see the module docstring)."""
    out: list[Pkg] = []
    for name, versions in scenario.packages.items():
        for version, meta in versions.items():
            common: dict[str, Any] = {
                "deps": meta.requires,
                "extras": dict(meta.extras),
                "requires_python": meta.requires_python or None,
                "yanked": "" if meta.yanked else None,
                "static_metadata": True,
            }
            if not meta.wheel:
                if not meta.sdist:
                    raise ValueError(f"{scenario.name}: {name} {version} has neither a wheel nor an sdist")
                out.append(Pkg(name, version, wheel=False, sdist=True, **common))
                continue
            for i, tag in enumerate(meta.wheel_tags or ("py3-none-any",)):
                out.append(Pkg(name, version, tag=tag, sdist=meta.sdist and i == 0, **common))
    return out


# ----------------------------------------------------------------------------- compiled files


@dataclass(frozen=True)
class Pin:
    """One line of a compiled requirements file."""

    name: str  # normalized
    version: str
    marker: str  # "" when unconditional
    hashes: tuple[str, ...] = ()


def parse_pins(text: str) -> list[Pin]:
    """The ``name==version ; marker --hash=...`` lines of a pip-compile style file.

    Continuation lines (``\\``) are joined; comments (``#`` at a line's start or after
    whitespace) and option lines (``--index-url``…) are skipped.
    """
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    pins = []
    for line in logical:
        line = line.strip()
        if not line or line.startswith("-"):
            continue
        hashes = tuple(re.findall(r"--hash[= ](\S+)", line))
        line = re.sub(r"\s*--hash[= ]\S+", "", line).strip()
        req = Requirement(line)
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator not in ("==", "==="):
            raise ValueError(f"not a pin: {line!r}")
        pins.append(Pin(str(canonicalize_name(req.name)), specs[0].version,
                        str(req.marker) if req.marker else "", hashes))
    return pins


# ----------------------------------------------------------------------------- marker meaning

_GROUPS: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...] = (
    # Variables that move together on real machines, with their usual combinations.
    (("sys_platform", "platform_system", "os_name"),
     (("linux", "Linux", "posix"), ("darwin", "Darwin", "posix"), ("win32", "Windows", "nt"))),
    (("implementation_name", "platform_python_implementation"), (("cpython", "CPython"), ("pypy", "PyPy"))),
    (("platform_machine",), (("x86_64",), ("aarch64",), ("arm64",), ("AMD64",))),
    (("platform_release",), (("",),)),
    (("platform_version",), (("",),)),
    (("implementation_version",), (("",),)),
)
_BASE = {
    "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
    "implementation_name": "cpython", "platform_python_implementation": "CPython", "platform_release": "",
    "platform_version": "", "implementation_version": "", "extra": "",
}
_PYTHON_VARS = ("python_version", "python_full_version")
_OPS = r"(?:===|==|!=|<=|>=|~=|<|>|not\s+in|in)"
_VAR_FIRST = re.compile(rf"\b([a-z_]+)\s*{_OPS}\s*[\"']([^\"']*)[\"']")
_VALUE_FIRST = re.compile(rf"[\"']([^\"']*)[\"']\s*{_OPS}\s*([a-z_]+)\b")
_NAMES = re.compile(r"\b(" + "|".join((*(v for g in _GROUPS for v in g[0]), *_PYTHON_VARS, "extra")) + r")\b")


def _literals(markers: Iterable[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for marker in markers:
        text = str(Marker(marker)) if marker else ""
        for var, value in _VAR_FIRST.findall(text):
            found.setdefault(var, set()).add(value)
        for value, var in _VALUE_FIRST.findall(text):
            found.setdefault(var, set()).add(value)
    return found


def _pythons(literals: Mapping[str, set[str]], requires_python: str) -> list[tuple[str, str]]:
    """(python_version, python_full_version) pairs inside ``requires_python``."""
    fulls = {f"3.{minor}.{micro}" for minor in range(8, 15) for micro in (0, 1, 7)}
    for value in literals.get("python_full_version", ()):
        fulls.add(value)
    for value in literals.get("python_version", ()):
        fulls.add(value + ".0" if value.count(".") == 1 else value)
    scope = SpecifierSet(requires_python or "")
    out = []
    for full in fulls:
        try:
            parsed = Version(full)
        except InvalidVersion:
            continue
        if scope.contains(parsed, prereleases=True):
            out.append((f"{parsed.major}.{parsed.minor}", full))
    return sorted(out, key=lambda p: Version(p[1]))


def grid(markers: Iterable[str], requires_python: str, context: Iterable[str] = (), *,
         independent: bool = False) -> list[dict[str, str]]:
    """The environments on which ``markers`` are compared (see the module docstring).

    Only the variables the markers name are varied; ``context`` markers add literal values
    (the scenario's own markers) but no variables. ``independent`` varies every variable on
    its own, also against its group (``sys_platform == 'linux' and os_name == 'nt'``): what
    holds there holds whatever a resolver assumes about real machines.
    """
    markers = [m for m in markers if m]
    names = set(_NAMES.findall(" ".join(markers)))
    literals = _literals([*markers, *context])
    axes: list[list[dict[str, str]]] = []
    pythons = _pythons(literals, requires_python)
    if not pythons:
        return []
    if names & set(_PYTHON_VARS):
        axes.append([{"python_version": v, "python_full_version": f} for v, f in pythons])
    else:
        axes.append([{"python_version": pythons[0][0], "python_full_version": pythons[0][1]}])
    for variables, usual in _GROUPS:
        if not names & set(variables):
            continue
        # The usual combinations; once a marker names a value beyond them (sys_platform ==
        # 'illumos', os_name == 'linux'), every combination that has such a value too.
        extra = [sorted(literals.get(var, set()) - {t[i] for t in usual}) for i, var in enumerate(variables)]
        combos = list(usual)
        if independent:
            per_var = [sorted({t[i] for t in usual}) + extra[i] for i in range(len(variables))]
            combos = list(itertools.product(*per_var))
        elif any(extra):
            per_var = [sorted({t[i] for t in usual}) + extra[i] for i in range(len(variables))]
            combos += [c for c in itertools.product(*per_var) if any(v in extra[i] for i, v in enumerate(c))]
        axes.append([dict(zip(variables, combo, strict=True)) for combo in combos])
    envs = []
    for combo in itertools.product(*axes):
        env = dict(_BASE)
        for part in combo:
            env.update(part)
        envs.append(env)
    return envs


@cache
def _marker(text: str) -> Marker | None:
    return Marker(text) if text else None


def holds(marker: str, env: Mapping[str, str]) -> bool:
    compiled = _marker(marker)
    return compiled is None or compiled.evaluate(dict(env))


def marker_difference(a: str, b: str, requires_python: str, context: Sequence[str] = ()) -> dict[str, str] | None:
    """An environment (inside ``requires_python``) where exactly one of ``a`` and ``b`` holds,
    or ``None`` when they mean the same on the whole grid."""
    for env in grid([a, b], requires_python, context):
        if holds(a, env) != holds(b, env):
            return env
    return None


def describe_env(env: Mapping[str, str], markers: Sequence[str]) -> str:
    """The variables of ``env`` that ``markers`` name, as ``var=value`` pairs."""
    names = set(_NAMES.findall(" ".join(markers)))
    if names & set(_PYTHON_VARS):
        names = (names - set(_PYTHON_VARS)) | {"python_full_version"}
    return ", ".join(f"{k}={env[k]}" for k in sorted(names)) or "every environment"


# ----------------------------------------------------------------------------- consistency


_PLATFORMS = (
    {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
     "implementation_name": "cpython", "platform_python_implementation": "CPython"},
    {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "aarch64",
     "implementation_name": "cpython", "platform_python_implementation": "CPython"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": "arm64",
     "implementation_name": "cpython", "platform_python_implementation": "CPython"},
    {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64",
     "implementation_name": "cpython", "platform_python_implementation": "CPython"},
    {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
     "implementation_name": "pypy", "platform_python_implementation": "PyPy"},
)


def consistency_problems(scenario: Scenario, pins: Sequence[Pin], requires_python: str) -> list[str]:
    """What is wrong with ``pins`` as a universal resolution of ``scenario``, whatever uv says:
    in every environment of a grid of real machines inside ``requires_python`` (Python 3.8 to
    3.14, a .0 and a .1 release each), the pins whose markers hold must name each project once,
    meet every requirement that applies there (``Requires-Python`` included) and be exactly
    what the roots reach there — nothing missing, nothing extra. Empty: nothing is wrong."""
    versions = {(str(canonicalize_name(name)), str(Version(version))): spec
                for name, project in scenario.packages.items() for version, spec in project.items()}
    scope = SpecifierSet(requires_python)
    problems: set[str] = set()
    for minor, micro, platform in itertools.product(range(8, 15), (0, 1), _PLATFORMS):
        full = f"3.{minor}.{micro}"
        if not scope.contains(full, prereleases=True):
            continue
        env = {**_BASE, **platform, "python_version": f"3.{minor}", "python_full_version": full}
        where = f"{platform['sys_platform']} {platform['platform_machine']} {platform['implementation_name']} {full}"
        selected: dict[str, str] = {}
        for pin in pins:
            if not pin.marker or Marker(pin.marker).evaluate(env):
                if pin.name in selected:
                    problems.add(f"{where}: {pin.name} pinned twice")
                selected[pin.name] = str(Version(pin.version))
        todo = [(req, "the root") for req in map(Requirement, scenario.root.requires)
                if req.marker is None or req.marker.evaluate(env)]
        seen: set[tuple[str, str]] = set()
        while todo:
            req, parent = todo.pop()
            name = str(canonicalize_name(req.name))
            if name not in selected:
                problems.add(f"{where}: {parent} needs {req}, which is not pinned there")
                continue
            if not req.specifier.contains(selected[name], prereleases=True):
                problems.add(f"{where}: {parent} needs {req}, pinned {selected[name]}")
            spec = versions[(name, selected[name])]
            if not SpecifierSet(spec.requires_python).contains(full, prereleases=True):
                problems.add(f"{where}: {name} {selected[name]} requires Python {spec.requires_python}")
            for extra in ("", *sorted(req.extras)):
                if (name, extra) in seen:
                    continue
                seen.add((name, extra))
                for dep in (spec.requires if not extra else spec.extras.get(extra, ())):
                    dep_req = Requirement(dep)
                    if dep_req.marker is None or dep_req.marker.evaluate({**env, "extra": extra}):
                        todo.append((dep_req, f"{name} {selected[name]}"))
        for name in sorted(set(selected) - {n for n, _ in seen}):
            problems.add(f"{where}: {name} {selected[name]} is pinned but nothing needs it there")
    return sorted(problems)
