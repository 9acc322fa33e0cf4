"""Requirements → :class:`Resolution` → :class:`Plan` against what is installed.

``resolve`` drives the PubGrub solver through a :class:`PackageProvider` and turns its answer
into frozen values; ``make_plan`` compares the resolution with the installed set (uv's
``Plan``: what to keep, what to fetch and install, what to remove first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from spoke.errors import NoMatchingDistribution, ResolutionImpossible
from spoke.models import CoreMetadata, IndexFile, InstalledDist
from spoke.models.direct import DirectCandidate, DirectWheel
from spoke.plan.provider import PackageProvider, direct_keeps, split_package


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedPackage:
    """One project at the version the solver chose.

    ``file`` is the file to install, or None when the installed distribution is kept.
    """

    name: NormalizedName
    version: Version
    file: IndexFile | None
    metadata: CoreMetadata | None
    requested: bool
    extras: tuple[str, ...] = ()
    yanked: bool = False
    direct: DirectCandidate | None = None  # for URL, path and VCS requests

    @property
    def is_source(self) -> bool:
        """True when installing this package needs a build (an sdist or a direct source)."""
        if self.direct is not None:
            return not isinstance(self.direct, DirectWheel)
        return self.file is not None and not self.file.is_wheel


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """The whole graph the solver chose, in a stable order (by name)."""

    packages: tuple[ResolvedPackage, ...]

    def __len__(self) -> int:
        return len(self.packages)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What an install changes: ``install`` new files, after removing ``remove``."""

    install: tuple[ResolvedPackage, ...]
    remove: tuple[InstalledDist, ...]
    keep: tuple[InstalledDist, ...]

    @property
    def empty(self) -> bool:
        """True when nothing changes."""
        return not self.install and not self.remove


def resolve(
    requirements: Sequence[Requirement],
    provider: PackageProvider,
    *,
    force_reinstall: bool = False,
    max_steps: int = 200_000,
) -> Resolution:
    """Solve ``requirements`` for the provider's target; raise a readable error when impossible."""
    from spoke.resolver import NoSolution, Resolver

    root = provider.root_terms(requirements)
    requested = {canonicalize_name(r.name) for r in requirements}
    try:
        solution = Resolver(provider, max_steps=max_steps).solve(root)
    except NoSolution as exc:
        nearest, better_hint = _nearest_versions_notes(requirements, provider)
        notes = list(exc.notes) + nearest
        notes += [f"no index has a project named `{name}`" for name in sorted(provider.missing_projects)]
        raise ResolutionImpossible(exc.message, hint=better_hint or exc.hint, notes=notes) from None
    extras: dict[str, list[str]] = {}
    for key in solution:
        name, extra = split_package(key)
        if extra is not None:
            extras.setdefault(name, []).append(extra)
    packages: list[ResolvedPackage] = []
    for key, version in solution.items():
        name, extra = split_package(key)
        if extra is not None:
            continue
        kept = provider.installed_preferred(name)
        is_kept = kept is not None and kept.version == version
        direct = provider.direct.get(name)
        if direct is not None and direct.version != version:
            direct = None
        choice = (
            provider.choice_for(name, version) if direct is None and (force_reinstall or not is_kept) else None
        )
        file = choice.best if choice is not None else None
        packages.append(
            ResolvedPackage(
                name=name,
                version=version,
                file=file,
                metadata=provider.metadata_of.get((name, version)),
                requested=name in requested,
                extras=tuple(sorted(extras.get(name, ()))),
                yanked=bool(choice and choice.yanked),
                direct=direct,
            )
        )
    packages.sort(key=lambda p: p.name)
    return Resolution(packages=tuple(packages))


def _nearest_versions_notes(
    requirements: Iterable[Requirement], provider: PackageProvider,
) -> tuple[list[str], str | None]:
    """For each requested project none of whose versions can be had: the versions there are
    (yanked and pre-release ones marked), why each asked-for one cannot be used — Requires-Python,
    no file for this target, yanked, a pre-release without ``--pre`` — and, as the hint, a
    requirement that would work: the newest version usable here."""
    notes: list[str] = []
    hint: str | None = None
    for req in requirements:
        name = canonicalize_name(req.name)
        versions = provider.known_versions(name)
        rejected = provider.rejected_reasons(name)
        asked = sorted({*(v for v in versions if req.specifier.contains(v, prereleases=True)),
                        *(v for v in rejected if req.specifier.contains(v, prereleases=True))}, reverse=True)
        why = {v: rejected[v] if v in rejected else provider.unpicked_reason(name, v) for v in asked}
        if any(reason is None for reason in why.values()):
            continue  # a version fits: the conflict is elsewhere, and the resolver explained it
        if versions:
            shown = [f"{v} ({mark})" if (mark := _mark(provider, name, v)) else str(v) for v in sorted(versions)]
            notes.append(f"{name} has versions for this target: {_summarize_texts(shown)}")
        for version in asked[:4]:
            reason = why[version] or ""
            notes.append(f"{name} {version} cannot be used: it {reason}" if version in rejected
                         else f"{name} {version} {reason}")
        if not asked:
            for version, reason in sorted(rejected.items(), reverse=True)[:3]:
                notes.append(f"{name} {version} cannot be used: it {reason}")
        best = provider.newest_usable(name)
        if best is not None and hint is None:
            hint = (f"loosen or remove the requirement `{req}`: `{name}=={best}` is the newest version usable "
                    "here")
    return notes, hint


def _mark(provider: PackageProvider, name: str, version: Version) -> str:
    if provider.is_yanked(name, version):
        return "yanked"
    return "pre-release" if (provider.unpicked_reason(name, version) or "").startswith("is a pre") else ""


def _summarize_texts(items: Sequence[str], limit: int = 12) -> str:
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[: limit // 2]) + ", …, " + ", ".join(items[-limit // 2:])


def _summarize(versions: Sequence[Version], limit: int = 12) -> str:
    ordered = sorted(versions)
    if len(ordered) <= limit:
        return ", ".join(str(v) for v in ordered)
    return ", ".join(str(v) for v in ordered[: limit // 2]) + ", …, " + ", ".join(
        str(v) for v in ordered[-limit // 2:]
    )


def no_version_error(name: str, spec: str, versions: Sequence[Version]) -> NoMatchingDistribution:
    """An error for a request no version satisfies, listing the versions that exist."""
    shown = _summarize(versions) if versions else "none"
    return NoMatchingDistribution(
        f"No version of {name} matches `{name}{spec}`",
        notes=[f"available versions: {shown}"],
        hint="Relax the version specifier, or add --pre if you want a pre-release.",
    )


def make_plan(
    resolution: Resolution,
    installed: Mapping[str, InstalledDist],
    *,
    force_reinstall: bool = False,
    reinstall: Iterable[str] = (),
) -> Plan:
    """Compare the resolution with the installed set."""
    also = set(reinstall)
    install: list[ResolvedPackage] = []
    remove: list[InstalledDist] = []
    keep: list[InstalledDist] = []
    for pkg in resolution.packages:
        dist = installed.get(pkg.name)
        redo = force_reinstall or pkg.name in also or (
            pkg.direct is not None and dist is not None and not direct_keeps(pkg.direct, dist)
        )
        if dist is not None and dist.version == pkg.version and not redo:
            keep.append(dist)
            continue
        if pkg.file is None and pkg.direct is None:
            if dist is not None and dist.version == pkg.version:
                if force_reinstall or pkg.name in also:
                    raise ResolutionImpossible(
                        f"Cannot reinstall {pkg.name} {pkg.version}: no file for it was found",
                        hint="Check that the index still offers this version.",
                    )
                keep.append(dist)
                continue
            raise ResolutionImpossible(f"No file to install for {pkg.name} {pkg.version}")
        if dist is not None:
            remove.append(dist)
        install.append(pkg)
    return Plan(install=tuple(install), remove=tuple(remove), keep=tuple(keep))
