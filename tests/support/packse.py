"""uv's resolver scenarios (packse) as test packages, and a checker of universal resolutions.

A scenario (``tests/data/packse/<family>/<name>.toml``, packse's own files) names the root
requirements, the packages with their versions (``requires``, ``requires_python``, ``extras``,
``wheel_tags``, ``wheel``/``sdist``), the resolver's options (``universal``, ``python``) and what
is expected (``satisfiable``, sometimes ``packages``). :func:`packages` turns it into
:class:`~tests.support.packages.Pkg` specs the index fixture serves, as packse builds them: a
wheel per tag (``py3-none-any`` when none is named) and an sdist with static metadata (PEP 643).

A universal resolution has no single expected answer to compare with, so :func:`check_universal`
checks what makes it right: in every environment of a grid inside its scope, the pins whose
markers hold name each project once, meet every requirement that applies there, the Python of
the environment meets their ``Requires-Python``, and are exactly what the roots reach there —
nothing missing, nothing extra.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.packages import Pkg

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

DATA = Path(__file__).resolve().parents[1] / "data" / "packse"
FAMILIES = ("fork", "tag_and_markers", "requires_python")


@dataclass(frozen=True)
class Scenario:
    """One packse scenario file, read."""

    name: str
    family: str
    data: Mapping[str, Any]

    @property
    def universal(self) -> bool:
        return bool(self.data.get("resolver_options", {}).get("universal"))

    @property
    def requires(self) -> list[str]:
        return list(self.data.get("root", {}).get("requires", ()))

    @property
    def requires_python(self) -> str | None:
        return self.data.get("root", {}).get("requires_python")

    @property
    def target_python(self) -> str:
        """The Python resolved for: the resolver's ``python`` option, else the environment's."""
        return str(self.data.get("resolver_options", {}).get("python")
                   or self.data.get("environment", {}).get("python") or "3.8")

    @property
    def satisfiable(self) -> bool:
        return bool(self.data["expected"]["satisfiable"])

    @property
    def expected_packages(self) -> dict[str, str]:
        return dict(self.data["expected"].get("packages", {}))


def scenarios() -> list[Scenario]:
    """Every scenario of the three families, by family and name."""
    out = []
    for family in FAMILIES:
        for path in sorted((DATA / family).glob("*.toml")):
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            out.append(Scenario(name=data["name"], family=family, data=data))
    return out


def packages(scenario: Scenario) -> list[Pkg]:
    """The scenario's packages as specs: a wheel per tag, and an sdist unless ``sdist = false``."""
    out = []
    for name, project in scenario.data.get("packages", {}).items():
        for version, spec in project.get("versions", {}).items():
            common: dict[str, Any] = {
                "deps": tuple(spec.get("requires", ())), "requires_python": spec.get("requires_python"),
                "extras": {k: tuple(v) for k, v in spec.get("extras", {}).items()}, "static_metadata": True,
            }
            tags = list(spec.get("wheel_tags", ())) or ["py3-none-any"]
            with_wheel = spec.get("wheel", True)
            with_sdist = spec.get("sdist", True)
            if not with_wheel:
                out.append(Pkg(name, version, wheel=False, sdist=True, **common))
                continue
            for i, tag in enumerate(tags):
                out.append(Pkg(name, version, tag=tag, sdist=with_sdist and i == 0, **common))
    return out


# -- checking a universal resolution ----------------------------------------------------------

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


def environments(requires_python: str) -> Iterator[dict[str, str]]:
    """A grid of environments within ``requires_python``: Python 3.8 to 3.14 (a .0 and a .1
    release of each) on Linux, macOS and Windows machines, CPython and PyPy."""
    scope = SpecifierSet(requires_python)
    for minor in range(8, 15):
        for micro in (0, 1):
            full = f"3.{minor}.{micro}"
            if not scope.contains(full, prereleases=True):
                continue
            for platform in _PLATFORMS:
                yield {**platform, "python_version": f"3.{minor}", "python_full_version": full,
                       "implementation_version": full, "platform_release": "", "platform_version": "",
                       "extra": ""}


def pins_of(text: str) -> list[tuple[str, str, str]]:
    """``name==version ; marker`` lines of a compiled file → (name, version, marker)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement, _, marker = line.partition(" ; ")
        name, _, version = requirement.partition("==")
        out.append((str(canonicalize_name(name.split("[")[0])), version.split()[0].strip(), marker.strip()))
    return out


def check_universal(scenario: Scenario, pins: Sequence[tuple[str, str, str]], requires_python: str) -> list[str]:
    """What is wrong with ``pins`` as the universal resolution of ``scenario`` (empty: nothing)."""
    meta: dict[tuple[str, str], dict[str, Any]] = {
        (str(canonicalize_name(name)), str(Version(version))): spec
        for name, project in scenario.data.get("packages", {}).items()
        for version, spec in project.get("versions", {}).items()
    }
    problems: list[str] = []
    for env in environments(requires_python):
        where = f"{env['sys_platform']} {env['platform_machine']} {env['implementation_name']} " \
                f"{env['python_full_version']}"
        selected: dict[str, str] = {}
        for name, version, marker in pins:
            if not marker or Marker(marker).evaluate(env):
                if name in selected:
                    problems.append(f"{where}: {name} pinned twice ({selected[name]}, {version})")
                selected[name] = str(Version(version))
        reached: set[str] = set()
        roots = [Requirement(r) for r in scenario.requires]
        todo: list[tuple[Requirement, str]] = [(r, "the root") for r in roots
                                               if r.marker is None or r.marker.evaluate(env)]
        while todo:
            req, parent = todo.pop()
            name = str(canonicalize_name(req.name))
            if name not in selected:
                problems.append(f"{where}: {parent} needs {req}, which is not pinned there")
                continue
            if not req.specifier.contains(selected[name], prereleases=True):
                problems.append(f"{where}: {parent} needs {req}, pinned {selected[name]}")
            spec = meta.get((name, selected[name]), {})
            python = spec.get("requires_python")
            if python and not SpecifierSet(python).contains(env["python_full_version"], prereleases=True):
                problems.append(f"{where}: {name} {selected[name]} requires Python {python}")
            for extra in ("", *sorted(req.extras)):
                key = (name, extra)
                if key in reached_extras(reached):
                    continue
                reached.add(f"{name}[{extra}]")
                deps = spec.get("requires", ()) if not extra else spec.get("extras", {}).get(extra, ())
                for dep in deps:
                    dep_req = Requirement(dep)
                    if dep_req.marker is None or dep_req.marker.evaluate({**env, "extra": extra}):
                        todo.append((dep_req, f"{name} {selected[name]}"))
        names = {item.split("[")[0] for item in reached}
        for name in sorted(set(selected) - names):
            problems.append(f"{where}: {name} {selected[name]} is pinned but nothing needs it there")
    return sorted(set(problems))


def reached_extras(reached: set[str]) -> set[tuple[str, str]]:
    return {(item.split("[")[0], item.split("[", 1)[1][:-1]) for item in reached}
