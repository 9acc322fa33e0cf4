"""``check``: is every installed distribution's requirement present and compatible?

pip's rules (``pip/_internal/operations/check.py``), kept exactly so the answers match:

* only requirements that apply without an extra count: a requirement with a marker counts
  when the marker holds for the target's environment with ``extra == ""``;
* a missing requirement is reported once per (package, dependency);
* a present dependency conflicts when the requirement's specifier does not contain its
  version, pre-releases included (``SpecifierSet.contains(v, prereleases=True)``);
* names are normalized (``typing-extensions``), versions are shown normalized.

:func:`check_set` is values in, values out; :func:`read_packages` reads METADATA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.version import Version

    from spoke.models import InstalledDist


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """An installed distribution and the requirements it declares (all of them, extras too)."""

    name: NormalizedName
    version: Version
    requires: tuple[Requirement, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing:
    """``package`` requires ``dependency``, which is not installed."""

    package: NormalizedName
    version: Version
    dependency: NormalizedName
    requirement: Requirement

    def line(self) -> str:
        """pip's sentence for it."""
        return f"{self.package} {self.version} requires {self.dependency}, which is not installed."


@dataclass(frozen=True, slots=True, kw_only=True)
class Conflict:
    """``package`` has ``requirement``, but ``dependency`` is installed at ``installed``."""

    package: NormalizedName
    version: Version
    dependency: NormalizedName
    installed: Version
    requirement: Requirement

    def line(self) -> str:
        """pip's sentence for it."""
        return (
            f"{self.package} {self.version} has requirement {self.requirement}, "
            f"but you have {self.dependency} {self.installed}."
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Unreadable:
    """A distribution whose metadata could not be read: its requirements are unknown."""

    name: str
    reason: str
    hint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """What :func:`check_set` found; ``ok`` when nothing is missing or conflicting.

    ``unreadable`` distributions are left out of the check, as pip leaves them out (what
    requires them reads as missing); they are reported but do not fail it on their own.
    """

    missing: tuple[Missing, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    unreadable: tuple[Unreadable, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.missing or self.conflicts)

    def lines(self) -> list[str]:
        """pip's output: every missing requirement first, then every conflict."""
        return [m.line() for m in self.missing] + [c.line() for c in self.conflicts]


def applies(req: Requirement, markers: Mapping[str, str]) -> bool:
    """Whether ``req`` counts without any extra in an environment described by ``markers``."""
    if req.marker is None:
        return True
    return bool(req.marker.evaluate({**markers, "extra": ""}))


def check_set(
    packages: Iterable[Package], markers: Mapping[str, str], unreadable: Iterable[Unreadable] = (),
) -> CheckResult:
    """Check every package's requirements against the others.

    Packages are reported in name order (pip walks site-packages in directory order, which
    is not stable from one machine to the next); within a package, pip's order is kept.
    """
    by_name = {p.name: p for p in packages}
    missing: list[Missing] = []
    conflicts: list[Conflict] = []
    for name in sorted(by_name):
        package = by_name[name]
        lost: set[tuple[NormalizedName, Requirement]] = set()
        clash: set[tuple[NormalizedName, Version, Requirement]] = set()
        for req in package.requires:
            if not applies(req, markers):
                continue
            dep = canonicalize_name(req.name)
            other = by_name.get(dep)
            if other is None:
                lost.add((dep, req))
            elif not req.specifier.contains(other.version, prereleases=True):
                clash.add((dep, other.version, req))
        # pip sorts each package's findings by str() of these very tuples.
        for dep, req in sorted(lost, key=str):
            missing.append(Missing(package=name, version=package.version, dependency=dep, requirement=req))
        for dep, installed, req in sorted(clash, key=str):
            conflicts.append(Conflict(
                package=name, version=package.version, dependency=dep, installed=installed, requirement=req,
            ))
    return CheckResult(missing=tuple(missing), conflicts=tuple(conflicts), unreadable=tuple(unreadable))


def read_packages(dists: Iterable[InstalledDist]) -> tuple[list[Package], list[Unreadable]]:
    """Each distribution with its declared requirements, and those whose METADATA is broken.

    A distribution whose metadata cannot be read is left out, as pip leaves it out: what
    requires it is then reported as missing.
    """
    from spoke.env.installed import read_metadata
    from spoke.errors import MetadataError

    packages: list[Package] = []
    broken: list[Unreadable] = []
    for dist in dists:
        try:
            meta = read_metadata(dist)
        except MetadataError as exc:
            broken.append(Unreadable(name=dist.display_name, reason=exc.message, hint=exc.hint))
            continue
        packages.append(Package(name=dist.name, version=meta.version, requires=meta.requires_dist))
    return packages, broken


def broken_by(
    installed: Mapping[str, InstalledDist], new_versions: Mapping[str, Version], markers: Mapping[str, str],
) -> list[str]:
    """What installing ``new_versions`` over ``installed`` would break, pip's check rules: one
    line per installed package left as it is whose requirement the installed version of a
    project met and its new version no longer meets (``flask 3.0 requires werkzeug>=3, and 2.3 would be
    installed``). Only projects already installed are looked at (a new one cannot break what
    was working), so a plain install of new packages reads no METADATA at all."""
    changed = {name: version for name, version in new_versions.items() if name in installed}
    if not changed:
        return []
    packages, _unreadable = read_packages(d for name, d in installed.items() if name not in new_versions)
    env = {**markers, "extra": ""}
    lines: list[str] = []
    for pkg in sorted(packages, key=lambda p: p.name):
        for req in pkg.requires:
            name = canonicalize_name(req.name)
            if name not in changed or (req.marker is not None and not req.marker.evaluate(env)):
                continue
            was = installed[name].version
            # Only what the change breaks: a requirement the installed version did not meet
            # either was broken before (`spoke check` already says so).
            if not req.specifier.contains(changed[name], prereleases=True) and req.specifier.contains(
                    was, prereleases=True):
                lines.append(f"{pkg.name} {pkg.version} requires {req}, and {name} {changed[name]} would be installed")
    return lines
