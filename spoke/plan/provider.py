"""The resolver's view of the packaging world: versions and dependencies of projects.

:class:`PackageProvider` implements :class:`spoke.resolver.Provider`. Packages are strings:
``"requests"`` for a project and ``"requests[socks]"`` for one of its extras — a virtual package
that depends on ``requests`` at the very same version plus the extra's requirements, so the
solver keeps extras and their base in step without knowing what an extra is.

It is also where the network is kept busy: as soon as a package's dependencies are known, the
index pages of those dependencies are requested in the background, and once a page is in, the
metadata of the version the solver is most likely to pick is fetched too. By the time the
solver asks, the answer is usually already in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from packaging.markers import Marker
from packaging.ranges import VersionRange
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from spoke.errors import BuildRequiredError, PackageNotFoundError
from spoke.models import CoreMetadata, IndexFile, InstalledDist
from spoke.models.direct import DirectCandidate
from spoke.plan.candidates import FilePolicy, VersionChoice, group_versions, order_versions
from spoke.plan.markerset import (
    NO_PYTHON,
    PLATFORMS,
    MarkerSet,
    PySet,
    UniverseGrew,
    describe_pythons,
    extend_platforms,
    extra_values,
    marker_set,
    names_new_values,
    py_subset,
    py_union,
    specifier_pythons,
)
from spoke.resolver import Unavailable

if TYPE_CHECKING:
    from packaging.tags import Tag


def split_package(package: str) -> tuple[NormalizedName, str | None]:
    """``"a[x]"`` → ``("a", "x")``; ``"a"`` → ``("a", None)``."""
    if package.endswith("]"):
        base, _, extra = package[:-1].partition("[")
        return NormalizedName(base), extra
    return NormalizedName(package), None


def package_key(name: str, extra: str | None = None) -> str:
    """The resolver key of a project or one of its extras (names normalized)."""
    base = canonicalize_name(name)
    return f"{base}[{canonicalize_name(extra)}]" if extra else base


def direct_keeps(cand: DirectCandidate, dist: InstalledDist) -> bool:
    """True when ``dist`` is the direct candidate ``cand`` already installed (nothing to redo).

    A project folder is always reinstalled (its files may have changed, as pip does); an
    archive or a VCS commit is kept when the installed PEP 610 record names the same one.
    """
    if cand.source.kind == "dir" or dist.version != cand.version:
        return False
    from spoke.env.installed import read_direct_url

    return read_direct_url(dist) == cand.direct_url


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvePolicy:
    """How to choose among versions (pip's options that steer the resolver)."""

    pre: bool = False
    upgrade: frozenset[str] = frozenset()  # names whose installed version is not preferred
    upgrade_all: bool = False  # eager: prefer no installed version
    ignore_installed: bool = False
    no_deps: bool = False
    allow_prerelease: frozenset[str] = frozenset()  # names whose request names a pre-release
    pinned: frozenset[str] = frozenset()  # names requested with == (yanked files allowed)
    constraints: Mapping[str, VersionRange] = field(default_factory=dict)
    #: ``--upgrade-all`` / ``spoke upgrade``: the newest version of everything, the installed
    #: one counted as a candidate too (kept when nothing newer fits, never downgraded by the
    #: provider), and projects unknown to the indexes kept as they are.
    upgrade_installed: bool = False
    #: With ``upgrade_installed``: projects that only ever offer their installed version
    #: (editable and direct-URL installs).
    fixed: frozenset[str] = frozenset()
    #: Versions to keep when they still fit (``spoke compile``: the pins of the file written
    #: before), so a re-run with unchanged inputs chooses the same versions.
    preferred: Mapping[str, Version] = field(default_factory=dict)
    #: ``--overrides``: the allowed versions of a project, replacing every requirement's own
    #: range on it (a wrong upper bound upstream), the user's included.
    overrides: Mapping[str, VersionRange] = field(default_factory=dict)


class PackageProvider:
    """Versions and dependencies from the installed set, the indexes and metadata files."""

    def __init__(
        self,
        *,
        index: Any,
        metadata: Any,
        files_policy: FilePolicy,
        markers: Mapping[str, str],
        installed: Mapping[str, InstalledDist],
        read_installed_metadata: Callable[[InstalledDist], CoreMetadata],
        policy: ResolvePolicy,
        executor: Executor | None = None,
        warn: Callable[[str], None] = lambda message: None,
        on_choice: Callable[[IndexFile], None] | None = None,
        direct: Mapping[str, DirectCandidate] | None = None,
        sdist_metadata: Callable[[IndexFile], CoreMetadata] | None = None,
        region: MarkerSet | None = None,
        metadata_of: dict[tuple[str, Version], CoreMetadata] | None = None,
        choices_of: dict[Any, Any] | None = None,
    ) -> None:
        self._index = index
        self._metadata = metadata
        # A universal resolution's part: every environment where markers may hold (None: the
        # one target of ``markers``).
        self._region = region
        self._applies_in: dict[tuple[str, str | None, bool], MarkerSet | None] = {}
        # (name, version) -> (metadata, extra -> positions of the requirements that name it,
        # positions of those whose test of ``extra`` cannot be read that way).
        self._by_extra: dict[tuple[str, Version], tuple[CoreMetadata, dict[str, list[int]], list[int]]] = {}
        self._universe = len(PLATFORMS)  # the platforms the region's sets were made over
        self._files_policy = files_policy if region is None else replace(files_policy, region=region)
        self._markers = dict(markers)
        self._installed = installed
        self._read_installed = read_installed_metadata
        self._policy = policy
        self._executor = executor
        # URLs of the files whose metadata ``prefetch`` asked for.
        self._prefetched: set[str] = set()
        self._warn = warn
        # Told of the file of each version the solver decides on, so the caller can start
        # fetching it while the rest of the graph is solved (backtracking is rare).
        self._on_choice = on_choice
        # Projects given by URL, path or VCS, by name: the one version they offer replaces
        # whatever an index has.
        self.direct: Mapping[str, DirectCandidate] = direct or {}
        # Builds the metadata of a source distribution (None: sources cannot be used).
        self._sdist_metadata = sdist_metadata
        self._lock = threading.Lock()
        self._choices: dict[str, tuple[dict[Version, VersionChoice], dict[Version, str], list[Version]]] = {}
        # Shared by the parts of a universal resolution that admit the same files.
        self._choices_of = choices_of if choices_of is not None else {}
        self._order: dict[str, int] = {}
        self._warmed: set[str] = set()
        # Shared between the parts of a universal resolution (metadata does not depend on them).
        self.metadata_of: dict[tuple[str, Version], CoreMetadata] = {} if metadata_of is None else metadata_of
        self.requested_extras: dict[str, set[str]] = {}
        self.missing_projects: set[str] = set()
        self._root_names: set[str] = set()

    # -- what the plan needs afterwards ------------------------------------------------------

    def installed_preferred(self, name: str) -> InstalledDist | None:
        """The installed distribution the solver should keep, if any (with
        ``upgrade_installed``: kept whenever the solver picks its version)."""
        if self._policy.ignore_installed:
            return None
        if self._policy.upgrade_installed:
            return self._installed.get(name)
        if self._policy.upgrade_all:
            return None
        direct = self.direct.get(name)
        if direct is not None:
            dist = self._installed.get(name)
            return dist if dist is not None and direct_keeps(direct, dist) else None
        if name in self._policy.upgrade:
            return None
        return self._installed.get(name)

    def choice(self, name: str, version: Version) -> VersionChoice | None:
        """The fitting files of ``name==version`` (None for a kept installed version)."""
        entry = self._choices.get(name)
        return entry[0].get(version) if entry else None

    def choice_for(self, name: str, version: Version) -> VersionChoice | None:
        """Like :meth:`choice`, fetching the project's files when not seen yet."""
        return self._versions(name)[0].get(version)

    def rejected_reasons(self, name: str) -> dict[Version, str]:
        """Versions that exist but cannot be used, with why (for error messages)."""
        entry = self._choices.get(name)
        return entry[1] if entry else {}

    def is_yanked(self, name: str, version: Version) -> bool:
        """Whether the index marks this version yanked (PEP 592)."""
        entry = self._choices.get(name)
        choice = entry[0].get(version) if entry else None
        return bool(choice is not None and choice.yanked)

    def unpicked_reason(self, name: str, version: Version) -> str | None:
        """Why a version that exists and fits this target is not picked on its own: yanked
        (unless pinned exactly) or a pre-release (unless allowed); ``None`` otherwise."""
        entry = self._choices.get(name)
        choice = entry[0].get(version) if entry else None
        if choice is None:
            return None
        if choice.yanked and name not in self._policy.pinned:
            yanked = choice.best.yanked
            why = f" ({yanked.reason})" if yanked is not None and yanked.reason else ""
            return f"is yanked{why}: only an exact pin (`{name}=={version}`) selects it"
        if version.is_prerelease and not self._prerelease_ok(name):
            return f"is a pre-release: add --pre, or ask for it exactly (`{name}=={version}`)"
        return None

    def known_versions(self, name: str) -> list[Version]:
        """Every usable version seen for ``name``, newest first."""
        entry = self._choices.get(name)
        return list(entry[2]) if entry else []

    # -- index data --------------------------------------------------------------------------

    def _versions(self, name: str) -> tuple[dict[Version, VersionChoice], dict[Version, str], list[Version]]:
        entry = self._choices.get(name)
        if entry is not None:
            return entry
        files = self._index.files(name)
        shared = self._shared_key(name, files)
        entry = self._choices_of.get(shared) if shared is not None else None
        if entry is None:
            choices, rejected = group_versions(name, files, self._files_policy)
            left_out = getattr(self._index, "left_out", None)  # the upload cut-off's (IndexClient)
            if left_out is not None:
                rejected = {**left_out(name), **rejected}
            ordered = list(order_versions(choices, prefer_binary=self._files_policy.prefer_binary))
            entry = (choices, rejected, ordered)
            if shared is not None:
                self._choices_of.setdefault(shared, entry)
        with self._lock:
            self._choices.setdefault(name, entry)
        return self._choices[name]

    def _shared_key(self, name: str, files: Sequence[IndexFile]) -> Any:
        """Universal: what decides which of ``files`` a region admits — the Requires-Python values
        it meets, and its platforms when only wheels count — so parts alike share the grouping."""
        if self._region is None:
            return None
        from spoke.plan.candidates import covers

        pythons = self._region.all_pythons()
        admitted = frozenset(rp for rp in {f.requires_python for f in files} if rp and covers(rp, pythons))
        platforms = None if self._files_policy.sdists_allowed(name) else tuple(self._region.platform_indexes())
        return (name, admitted, platforms, self._region.pythons if platforms else None)

    def _prerelease_ok(self, name: str) -> bool:
        return self._policy.pre or name in self._policy.allow_prerelease

    def _pick(self, name: str, allowed: VersionRange) -> Version | None:
        direct = self.direct.get(name)
        if direct is not None:
            return direct.version if allowed.contains(direct.version, prereleases=True) else None
        choices, _, ordered = self._versions(name)
        allow_pre = self._prerelease_ok(name)
        allow_yanked = name in self._policy.pinned
        preferred = self._policy.preferred.get(name)
        if preferred is not None and preferred in choices and allowed.contains(preferred, prereleases=True):
            choice = choices[preferred]
            if (not choice.yanked or allow_yanked) and (allow_pre or not preferred.is_prerelease):
                return preferred
        fallback_pre: Version | None = None
        fallback_yanked: Version | None = None
        for version in ordered:
            if not allowed.contains(version, prereleases=True):
                continue
            choice = choices[version]
            if choice.yanked:
                if allow_yanked and fallback_yanked is None:
                    fallback_yanked = version
                continue
            if version.is_prerelease and not allow_pre:
                if fallback_pre is None:
                    fallback_pre = version
                continue
            return version
        # pip's rule: pre-releases are taken when no final release matches at all.
        return fallback_pre if fallback_pre is not None else fallback_yanked

    # -- resolver.Provider -------------------------------------------------------------------

    def newest_usable(self, name: str) -> Version | None:
        """The newest version the index offers for ``name`` that policy allows (not yanked;
        final unless pre-releases are allowed), or None when nothing was seen."""
        entry = self._choices.get(name)
        if not entry:
            return None
        choices, _, ordered = entry
        allow_pre = self._prerelease_ok(name)
        usable = [v for v in ordered if not choices[v].yanked and (allow_pre or not v.is_prerelease)]
        return max(usable) if usable else None

    def choose_version(self, package: str, allowed: VersionRange) -> Version | None:
        """Best version inside ``allowed``: the installed one when kept, else the newest fitting."""
        if self._policy.upgrade_installed:
            return self._choose_upgrading(package, allowed)
        name, _extra = split_package(package)
        dist = self.installed_preferred(name)
        if dist is not None and allowed.contains(dist.version, prereleases=True):
            return dist.version
        try:
            version = self._pick(name, allowed)
        except PackageNotFoundError:
            if name in self._root_names:
                raise  # the user named it: "no such project" says it best
            self.missing_projects.add(name)
            return None
        if self._region is not None and name not in self.direct:
            self._fork_on_python(name, allowed, version)
        if version is not None and self._on_choice is not None and name not in self.direct:
            choice = self._versions(name)[0].get(version)
            if choice is not None and choice.best.is_wheel:
                self._on_choice(choice.best)
        return version

    def _fork_on_python(self, name: str, allowed: VersionRange, picked: Version | None) -> None:
        """Universal: when a newer version than ``picked`` fits the range but needs a newer
        Python than part of the region has, fork the region on that version's
        ``Requires-Python`` (newer Pythons get the newer version, as uv resolves)."""
        from spoke.plan.universal import Fork

        assert self._region is not None
        self._check_universe()
        _, rejected, _ = self._versions(name)
        newer = sorted((v for v, why in rejected.items() if why.startswith("requires Python")
                        and (picked is None or v > picked) and allowed.contains(v, prereleases=True)
                        and (self._prerelease_ok(name) or not v.is_prerelease)), reverse=True)
        if not newer:
            return
        pythons: dict[Version, PySet] = {}
        for file in self._index.files(name):
            if file.version in newer and file.yanked is None:
                found = specifier_pythons(file.requires_python or "")
                pythons[file.version] = py_union(pythons.get(file.version, NO_PYTHON), found)
        for version in newer:
            if version not in pythons:
                continue
            inside = self._region & MarkerSet.python(pythons[version])
            if inside and inside != self._region:
                raise Fork(name, [inside, self._region - inside])

    def _choose_upgrading(self, package: str, allowed: VersionRange) -> Version | None:
        """``upgrade_installed``: the newest fitting version among the index's and the
        installed one (a ``fixed`` project offers only its installed version)."""
        name, _extra = split_package(package)
        dist = self.installed_preferred(name)
        installed_ok = dist is not None and allowed.contains(dist.version, prereleases=True)
        if name in self._policy.fixed:
            return dist.version if installed_ok and dist is not None else None
        try:
            pick = self._pick(name, allowed)
        except PackageNotFoundError:
            if dist is None:
                if name in self._root_names:
                    raise
                self.missing_projects.add(name)
                return None
            pick = None  # unknown to the indexes: kept as installed
        if installed_ok and dist is not None and (pick is None or pick < dist.version):
            return dist.version
        return pick

    def prioritize(self, package: str, allowed: VersionRange) -> Any:
        """Decide pinned packages first, then in the order they were discovered (deterministic)."""
        from spoke.resolver import is_pinned

        order = self._order.setdefault(package, len(self._order))
        return (0 if is_pinned(allowed) else 1, order)

    def describe(self, package: str, allowed: VersionRange) -> str:
        """``requests>=2.0`` / ``requests`` for error messages."""
        from spoke.resolver import default_describe

        return default_describe(package, allowed)

    def why_no_versions(self, package: str, allowed: VersionRange) -> str | None:
        """Why no version in ``allowed`` could be chosen although some exist: the reason of the
        newest one there (``numpy 2.0.0 requires Python >=3.9 (the target runs 3.8.18)``)."""
        name, _extra = split_package(package)
        if name in self.direct:
            return None
        rejected = sorted(
            ((v, why) for v, why in self.rejected_reasons(name).items() if allowed.contains(v, prereleases=True)),
            reverse=True,
        )
        if not rejected:
            return None
        version, reason = rejected[0]
        if reason.startswith("requires Python") and self._region is not None:
            reason += f" (the resolution covers Python {describe_pythons(self._region.all_pythons())})"
        elif reason.startswith("requires Python"):
            reason += f" (the target runs Python {self._files_policy.python_version})"
        elif reason.startswith("has no wheel") and self._files_policy.tags and self._region is None:
            best = next(iter(self._files_policy.tags))
            reason += (f"; the target is {_target_words(best, self._files_policy.python_version)} and takes "
                       f"{best.interpreter}-{best.abi}-{best.platform} wheels and older")
        text = f"{name} {version} {reason}"
        if len(rejected) > 1:
            others = len(rejected) - 1
            text += f", and {others} older version{'s' if others > 1 else ''} in that range cannot be used either"
        return text

    def get_dependencies(self, package: str, version: Version) -> Mapping[str, VersionRange] | Unavailable:
        """Requirements of ``package==version`` for the target's markers (and extra)."""
        name, extra = split_package(package)
        meta = self._core_metadata(name, version)
        if isinstance(meta, Unavailable):
            return meta
        deps: dict[str, VersionRange] = {}
        if extra is not None:
            deps[name] = VersionRange.singleton(version)
            if meta.provides_extra and extra not in {canonicalize_name(e) for e in meta.provides_extra}:
                self._warn(f"{meta.display_name} {version} does not provide the extra '{extra}'")
        if self._policy.no_deps:
            return deps
        applying = [req for req in self._naming(name, version, meta, extra) if self._applies(req, extra)]
        if self._region is not None:
            self._check_fork(package, applying, extra)
        for req in applying:
            for key, rng in self.requirement_terms(req):
                if key == package:
                    continue  # a package depending on itself (or its own extra) is harmless
                deps[key] = deps[key] & rng if key in deps else rng
        self._warm(deps)
        return deps

    # -- helpers -----------------------------------------------------------------------------

    def _naming(self, name: str, version: Version, meta: CoreMetadata, extra: str | None) -> Sequence[Requirement]:
        """The requirements of ``meta`` that may apply with ``extra`` and not without it: those
        that name it (or test ``extra`` in a way :func:`extra_values` cannot read), in order.
        Every requirement when ``extra`` is None. Testing only these keeps a project with
        hundreds of extras from costing hundreds of marker tests per extra."""
        if extra is None:
            return meta.requires_dist
        entry = self._by_extra.get((name, version))
        if entry is None or entry[0] is not meta:
            named: dict[str, list[int]] = {}
            unread: list[int] = []
            for position, req in enumerate(meta.requires_dist):
                values = extra_values(req.marker)
                if values is None:
                    unread.append(position)
                for value in values or ():
                    named.setdefault(value, []).append(position)
            entry = self._by_extra[name, version] = (meta, named, unread)
        _meta, named, unread = entry
        positions = sorted({*named.get(extra, ()), *unread})
        return [meta.requires_dist[position] for position in positions]

    def requirement_terms(self, req: Requirement) -> list[tuple[str, VersionRange]]:
        """The resolver terms for one requirement: the project, and one per extra."""
        name = canonicalize_name(req.name)
        override = self._policy.overrides.get(name)
        rng = override if override is not None else _range_of(req.specifier)
        constraint = self._policy.constraints.get(name)
        if constraint is not None:
            rng = rng & constraint
        terms: list[tuple[str, VersionRange]] = [(name, rng)]
        for extra in sorted(req.extras):
            terms.append((package_key(name, extra), rng))
        return terms

    @property
    def no_deps(self) -> bool:
        """True when dependencies are not looked at (``--no-deps``)."""
        return self._policy.no_deps

    def applies_in(self, req: Requirement, extra: str | None, *, added_only: bool = True) -> MarkerSet | None:
        """Universal mode: the environments of the region where ``req`` of a package (of its
        ``extra``: what the extra adds, unless ``added_only`` is False) applies; None for none."""
        assert self._region is not None
        if req.marker is None:
            return self._region if extra is None or not added_only else None
        if names_new_values(req.marker):
            extend_platforms([req.marker])
        self._check_universe()
        key = (str(req.marker), extra, added_only)
        if key in self._applies_in:
            return self._applies_in[key]
        found: MarkerSet | None
        base = marker_set(req.marker, "") & self._region
        if extra is None:
            found = base if base else None
        else:
            with_extra = marker_set(req.marker, extra) & self._region
            found = None if (added_only and not (with_extra - base)) or not with_extra else with_extra
        self._applies_in[key] = found
        return found

    def _check_universe(self) -> None:
        """Raise :class:`~spoke.plan.universal.UniverseGrew` when the platforms grew since this
        part's region was made (here, or in a prefetch thread that read a marker first)."""
        if len(PLATFORMS) != self._universe:
            raise UniverseGrew(str(len(PLATFORMS)))

    def _check_fork(self, package: str, requirements: Sequence[Requirement], extra: str | None) -> None:
        """Raise :class:`~spoke.plan.universal.Fork` when one project is asked for with
        different version ranges under markers that differ within the region."""
        by_name: dict[str, list[tuple[MarkerSet, str]]] = {}
        for req in requirements:
            where = self.applies_in(req, extra, added_only=False)
            if where is not None:
                by_name.setdefault(canonicalize_name(req.name), []).append((where, str(req.specifier)))
        for items in by_name.values():
            if len({spec for _, spec in items}) < 2 or len({where for where, _ in items}) < 2:
                continue
            from spoke.plan.universal import Fork, split_region

            assert self._region is not None
            parts = split_region(self._region, [where for where, _ in items])
            if len(parts) > 1:
                # Parts whose requirements bound the version from above first: the others then
                # prefer what those chose, so one version serves all where one can (as uv).
                parts.sort(key=lambda part: not any(
                    part.is_subset(where) and _has_upper_bound(spec) for where, spec in items))
                raise Fork(package, parts)

    def _applies(self, req: Requirement, extra: str | None) -> bool:
        if self._region is not None:
            return self.applies_in(req, extra) is not None
        if req.marker is None:
            return extra is None
        env = dict(self._markers)
        env["extra"] = extra or ""
        if extra is None:
            return _evaluate(req.marker, env)
        # For an extra package keep only what the extra adds; the base covers the rest.
        if not _evaluate(req.marker, env):
            return False
        env["extra"] = ""
        return not _evaluate(req.marker, env)

    def _core_metadata(self, name: NormalizedName, version: Version) -> CoreMetadata | Unavailable:
        key = (name, version)
        cached = self.metadata_of.get(key)
        if cached is not None:
            if not self._python_fits(cached.requires_python):  # another part's metadata
                return Unavailable(reason=f"requires Python {cached.requires_python}")
            return cached
        dist = self.installed_preferred(name)
        direct = self.direct.get(name)
        if dist is not None and dist.version == version:
            meta = self._read_installed(dist)
        elif direct is not None and direct.version == version:
            meta = direct.metadata
        else:
            choice = self._versions(name)[0].get(version)
            if choice is None:
                return Unavailable(reason="is not available from any index")
            file = choice.best
            if file.is_wheel:
                meta = self._metadata.get(file)
            elif self._sdist_metadata is None:
                raise BuildRequiredError(
                    f"{name} {version} has only a source distribution ({file.filename}), "
                    "and this command does not build sources",
                    hint=f"Pick a version of {name} that has a wheel for this platform "
                    f"(e.g. `{name}<{version}`).",
                )
            else:
                meta = self._sdist_metadata(file)
        if not self._python_fits(meta.requires_python):
            return Unavailable(reason=f"requires Python {meta.requires_python}")
        self.metadata_of[key] = meta
        return meta

    def _python_fits(self, requires_python: str | None) -> bool:
        """The target's Python — every Python of a universal region — meets ``requires_python``."""
        from spoke.plan.candidates import python_matches

        if not requires_python:
            return True
        if self._region is not None:
            return py_subset(self._region.all_pythons(), specifier_pythons(requires_python))
        return python_matches(requires_python, self._files_policy.python_version)

    def _warm(self, deps: Mapping[str, VersionRange]) -> None:
        """Fetch index pages, then the likely metadata, of new dependencies in the background.

        Keys are warmed once each, extras included: ``fastapi[standard]`` warms what the
        extra adds, not only what ``fastapi`` needs.
        """
        if self._executor is None:
            return
        warmed = self._warmed
        fresh = [key for key in deps if key not in warmed]  # no lock: most keys are known
        if not fresh:
            return
        with self._lock:  # only the set: the solver thread must not wait behind a worker's work
            fresh = [key for key in fresh if key not in warmed]
            warmed.update(fresh)
        todo: list[tuple[str, str | None, VersionRange]] = []
        for key in fresh:
            name, extra = split_package(key)
            if name in self.direct:
                continue
            dist = self.installed_preferred(name)
            if dist is not None and deps[key].contains(dist.version, prereleases=True):
                continue  # the installed version will do; no network needed
            todo.append((name, extra, deps[key]))
        for project, project_extra, wanted in todo:
            self._executor.submit(self._warm_one, project, project_extra, wanted)

    def prefetch(self, package: str, allowed: VersionRange) -> None:
        """The solver's hint that ``package`` now must be in ``allowed``: start fetching the
        metadata of the version :meth:`choose_version` would pick there, in the background,
        when the project's page is already here (never waits for it).

        The warm cascade guesses with the first range it sees of a project; a later, narrower
        one (``<2``) makes the solver choose another version, whose metadata it would then wait
        for. Asked as the term changes, well before the decision, the fetch overlaps the
        decisions in between. A wrong guess costs a request.
        """
        if self._executor is None or self._policy.no_deps:
            return
        name, _extra = split_package(package)
        entry = self._choices.get(name)
        if entry is None or name in self.direct:
            return
        dist = self.installed_preferred(name)
        if dist is not None and allowed.contains(dist.version, prereleases=True):
            return
        version = self._pick(name, allowed)
        choice = entry[0].get(version) if version is not None else None
        if choice is None or not choice.best.is_wheel or choice.best.url in self._prefetched:
            return
        self._prefetched.add(choice.best.url)
        self._executor.submit(self._fetch_quietly, choice.best)

    def _fetch_quietly(self, file: IndexFile) -> None:
        try:
            self._metadata.get(file)
        except Exception:  # noqa: BLE001 - a prefetch failure resurfaces when the solver asks
            return

    def _warm_one(self, name: str, extra: str | None, rng: VersionRange) -> None:
        """Fetch ``name``'s page and likely metadata, then warm *its* likely dependencies.

        The cascade runs ahead of the solver through the graph it will most likely walk, so
        index pages deep in the tree are requested concurrently rather than one level at a
        time. A wrong guess costs a request; the solver's answers never depend on it.
        """
        try:
            version = self._pick(name, rng)
            if version is None:
                return
            choice = self._versions(name)[0][version]
            if not choice.best.is_wheel:
                return
            meta = self._metadata.get(choice.best)
        except Exception:  # noqa: BLE001 - a prefetch failure resurfaces when the solver asks
            return
        deps: dict[str, VersionRange] = {}
        for req in meta.requires_dist:
            if self._applies(req, extra):
                for key, dep_rng in self.requirement_terms(req):
                    deps.setdefault(key, dep_rng)
        self._warm(deps)

    def root_terms(self, requirements: Iterable[Requirement]) -> dict[str, VersionRange]:
        """The solver's root dependencies for the user's requirements (markers evaluated)."""
        terms: dict[str, VersionRange] = {}
        if self._region is not None:
            requirements = [req for req in requirements if self.applies_in(req, None) is not None]
            self._check_fork("the requirements", requirements, None)
        for req in requirements:
            if self._region is None and req.marker is not None and not _evaluate(
                    req.marker, {**self._markers, "extra": ""}):
                self._warn(f"Ignoring {req}: markers '{req.marker}' don't match your environment")
                continue
            for key, rng in self.requirement_terms(req):
                terms[key] = terms[key] & rng if key in terms else rng
            self._root_names.add(canonicalize_name(req.name))
        self._warm(terms)
        return terms


def _has_upper_bound(spec: str) -> bool:
    """``<2``, ``<=2``, ``==1.*``, ``~=1.4``: the specifier excludes every version above some."""
    return any(item.operator in ("<", "<=", "==", "===", "~=") for item in SpecifierSet(spec))


def _evaluate(marker: Marker, env: Mapping[str, str]) -> bool:
    try:
        return marker.evaluate(dict(env))
    except Exception:  # noqa: BLE001 - an unknown marker variable makes the requirement not apply
        return False


_RANGE_CACHE: dict[str, VersionRange] = {}


def _range_of(spec: SpecifierSet) -> VersionRange:
    key = str(spec)
    rng = _RANGE_CACHE.get(key)
    if rng is None:
        rng = _arbitrary_as_exact(spec).to_range() if key else VersionRange.full()
        _RANGE_CACHE[key] = rng
    return rng


def _arbitrary_as_exact(spec: SpecifierSet) -> SpecifierSet:
    """``===2.0`` → ``==2.0`` when the string is a valid version.

    The solver works on version sets; an arbitrary-equality string that parses as a version
    names exactly that version (in its given spelling), so ``==`` selects the same files.
    """
    from packaging.specifiers import Specifier
    from packaging.version import InvalidVersion

    if not any(s.operator == "===" for s in spec):
        return spec
    parts = []
    for s in spec:
        if s.operator == "===":
            try:
                parts.append(str(Specifier(f"=={Version(s.version)}")))
                continue
            except InvalidVersion:
                pass
        parts.append(str(s))
    return SpecifierSet(",".join(parts))


_IMPLEMENTATIONS = {"cp": "CPython", "pp": "PyPy", "gp": "GraalPy", "ip": "IronPython", "jy": "Jython"}
_32_BIT = ("i386", "i686", "win32", "armv7l", "armv6l", "ppc", "s390")
_64_BIT = ("x86_64", "amd64", "aarch64", "arm64", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64")


def _target_words(tag: Tag, python: Version) -> str:
    """``CPython 3.11 on linux_x86_64 (64-bit)``: what the seed's ``struct.calcsize('P')`` question
    asks, answered from the target's best tag (the pointer width its platform implies)."""
    implementation = _IMPLEMENTATIONS.get(tag.interpreter[:2], tag.interpreter)
    platform = tag.platform
    bits = ("64-bit" if platform.endswith(_64_BIT) or "universal2" in platform
            else "32-bit" if platform.endswith(_32_BIT) else "")
    return f"{implementation} {python.major}.{python.minor} on {platform}" + (f" ({bits})" if bits else "")

