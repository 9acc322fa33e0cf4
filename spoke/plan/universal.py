"""One resolution for every environment of a scope, forking on markers (uv's universal mode).

    scope ─▶ solve(region) ──Fork──▶ solve(each part) … ─▶ reach of every package ─▶ merged

The solver is the same PubGrub as for one target; the provider, given a *region* (a
:class:`~spoke.plan.markerset.MarkerSet`), keeps each dependency whose marker can hold somewhere
in it, checks ``Requires-Python`` against every Python of the region and keeps every platform's
files. When a package (or the user) asks for one project with different version ranges under
markers that differ in the region — ``numpy>=2; python_version >= "3.10"`` and ``numpy<2;
python_version < "3.10"`` — the provider raises :class:`Fork` with the parts of the region on
which those requirements are constant, and each part is solved on its own, preferring what the
parts solved before it chose (forks share what they can). A part is never made for markers that
cannot both hold: parts are set differences, and empty ones are dropped.

Each package's marker is where it is reached: the union, over the paths from the roots, of the
intersection of the markers along the path, within the region of its fork.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from spoke.errors import ResolutionImpossible
from spoke.plan.markerset import MarkerSet, UniverseGrew
from spoke.plan.provider import PackageProvider, package_key, split_package
from spoke.plan.resolve import ResolvedPackage, resolve

#: Solving stops, with an error, after this many parts (a fork per distinct marker region).
MAX_FORKS = 64


class Fork(Exception):  # noqa: N818 - a signal to the driver, not an error
    """The region must be split in ``parts`` before ``package`` can be solved."""

    def __init__(self, package: str, parts: Sequence[MarkerSet]) -> None:
        super().__init__(package)
        self.package = package
        self.parts = tuple(parts)


def split_region(region: MarkerSet, markers: Iterable[MarkerSet]) -> list[MarkerSet]:
    """The cells of ``region`` on which each of ``markers`` holds wholly or not at all."""
    cells = [region]
    for marker in markers:
        next_cells: list[MarkerSet] = []
        for cell in cells:
            inside, outside = cell & marker, cell - marker
            next_cells += [part for part in (inside, outside) if part]
        cells = next_cells
    return cells


@dataclass(frozen=True, slots=True, kw_only=True)
class UniversalPackage:
    """One version of a project in the universal resolution, and where it is installed:
    ``marker`` in all; ``activations`` by what brings it in (None: the requirements
    themselves, ``"extra:NAME"`` / ``"group:NAME"``: a project's extra or dependency group)."""

    package: ResolvedPackage
    marker: MarkerSet
    activations: Mapping[str | None, MarkerSet] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class UniversalResolution:
    """Every version chosen in some part of the scope, with its environments."""

    scope: MarkerSet
    packages: tuple[UniversalPackage, ...]  # by name, then version
    graph: Mapping[NormalizedName, frozenset[NormalizedName]]  # what each project depends on
    forks: int  # how many parts the scope was solved in

    def __len__(self) -> int:
        return len(self.packages)


def resolve_universal(
    requirements: Sequence[Requirement],
    make_provider: Callable[[MarkerSet, Mapping[str, Version]], PackageProvider],
    scope_of: Callable[[], MarkerSet],
    activations: Mapping[str, frozenset[str | None]] | None = None,
) -> UniversalResolution:
    """Solve ``requirements`` for every environment of the scope ``scope_of()`` gives (asked
    again when the universe grows); ``make_provider(region, preferred)`` gives the provider of
    one region, preferring ``preferred`` versions.
    ``activations``: what brings each requirement in (by its text; None when not named: always),
    so each package's environments are known per extra and group too."""
    activations = activations or {}
    labels = sorted({label for found in activations.values() for label in found} | {None},
                    key=lambda label: label or "")
    scope = scope_of()
    pending = [scope]
    restarts = 0
    chosen: dict[tuple[NormalizedName, Version], tuple[ResolvedPackage, dict[str | None, MarkerSet]]] = {}
    graph: dict[NormalizedName, set[NormalizedName]] = {}
    preferred: dict[str, Version] = {}
    solved = 0
    while pending:
        region = pending.pop(0)
        if solved + len(pending) >= MAX_FORKS:
            raise ResolutionImpossible(
                f"The universal resolution split into more than {MAX_FORKS} parts",
                hint="Narrow it with --environment or --python-requirement, or pin the projects that fork.")
        provider = make_provider(region, dict(preferred))
        try:
            resolution = resolve(requirements, provider)
            reach = {label: reached([r for r in requirements if label in activations.get(str(r), {None})],
                                    resolution.packages, provider) for label in labels}
        except Fork as fork:
            pending[0:0] = fork.parts  # depth first: the parts of this region next
            continue
        except UniverseGrew:
            restarts += 1
            if restarts > MAX_FORKS:
                raise ResolutionImpossible("The requirements name too many platforms for a universal resolution",
                                           hint="Narrow it with --environment.") from None
            scope = scope_of()  # every set made so far belongs to the old universe
            pending, solved = [scope], 0
            chosen.clear()
            graph.clear()
            continue
        except ResolutionImpossible as exc:
            raise _in_region(exc, region, scope) from None
        solved += 1
        for pkg in resolution.packages:
            found = {label: where for label in labels if (where := reach[label].get(pkg.name))}
            if not found:
                continue
            key = (pkg.name, pkg.version)
            before = chosen.get(key)
            if before is not None:
                merged_extras = tuple(sorted({*before[0].extras, *pkg.extras}))
                merged = dict(before[1])
                for label, where in found.items():
                    merged[label] = merged[label] | where if label in merged else where
                chosen[key] = (replace(before[0], extras=merged_extras), merged)
            else:
                chosen[key] = (pkg, found)
            preferred.setdefault(pkg.name, pkg.version)
            graph.setdefault(pkg.name, set()).update(_children(pkg, provider))
    packages = tuple(
        UniversalPackage(package=pkg, marker=_union(where.values()), activations=where)
        for (_, _), (pkg, where) in sorted(chosen.items(), key=lambda item: (item[0][0], item[0][1]))
    )
    return UniversalResolution(scope=scope, packages=packages,
                               graph={name: frozenset(children) for name, children in graph.items()},
                               forks=solved)


def _union(sets: Iterable[MarkerSet]) -> MarkerSet:
    out = MarkerSet.nothing()
    for item in sets:
        out = out | item
    return out


def _in_region(exc: ResolutionImpossible, region: MarkerSet, scope: MarkerSet) -> ResolutionImpossible:
    """The solver's error, saying which environments it is about and what to narrow."""
    from spoke.plan.markerset import render

    notes = list(exc.notes)
    where = render(region, scope)
    if where:
        notes.append(f"this is the part of the universal resolution where `{where}`")
    hint = exc.hint
    if hint is None or "--python`" in hint:
        hint = ("the resolution covers every platform and Python of its range: narrow it with "
                "--python-requirement or --environment, or allow the files the project has")
    return ResolutionImpossible(exc.message, hint=hint, notes=notes, reference=exc.reference)


def reached(
    requirements: Sequence[Requirement], packages: Sequence[ResolvedPackage], provider: PackageProvider,
) -> dict[NormalizedName, MarkerSet]:
    """Where each package is needed: the union over paths from the roots of the markers along
    each path (a fixpoint over the graph, cycles included)."""
    nodes: dict[str, ResolvedPackage] = {}
    for pkg in packages:
        nodes[pkg.name] = pkg
        for chosen_extra in pkg.extras:
            nodes[package_key(pkg.name, chosen_extra)] = pkg
    reach: dict[str, MarkerSet] = {}
    todo: list[str] = []

    def arrive(key: str, where: MarkerSet) -> None:
        if key not in nodes or not where:
            return
        before = reach.get(key)
        after = where if before is None else before | where
        if after != before:
            reach[key] = after
            todo.append(key)

    for req in requirements:
        applies = provider.applies_in(req, None)
        if applies is not None:
            for key, _ in provider.requirement_terms(req):
                arrive(key, applies)
    while todo:
        key = todo.pop()
        here = reach[key]
        name, extra = split_package(key)
        if extra is not None:
            arrive(name, here)
        for child, edge in _edges(nodes[key], extra, provider):
            arrive(child, here & edge)
    return {canonicalize_name(key): where for key, where in reach.items() if split_package(key)[1] is None}


def _edges(pkg: ResolvedPackage, extra: str | None, provider: PackageProvider) -> list[tuple[str, MarkerSet]]:
    if pkg.metadata is None or provider.no_deps:
        return []
    out = []
    for req in pkg.metadata.requires_dist:
        found = provider.applies_in(req, extra, added_only=False)
        if found is not None:
            out += [(key, found) for key, _ in provider.requirement_terms(req) if key != pkg.name]
    return out


def _children(pkg: ResolvedPackage, provider: PackageProvider) -> set[NormalizedName]:
    keys = [child for extra in (None, *pkg.extras) for child, _ in _edges(pkg, extra, provider)]
    return {split_package(key)[0] for key in keys} - {pkg.name}
