"""The PubGrub version solver.

PubGrub (Natalie Weizenbaum's algorithm for Dart's pub, as refined in pubgrub-rs) is a
CDCL-style search over package versions:

1. *Unit propagation* — every incompatibility whose terms are all satisfied by the
   partial solution except one forces the negation of that last term as a derivation.
2. *Decision making* — when nothing more is forced, pick the undecided package with the
   smallest provider priority, ask the provider for its best version in what is still
   allowed, record that version's dependencies as incompatibilities, and decide it.
3. *Conflict resolution* — when an incompatibility is fully satisfied, resolve it against
   the cause of its most recent satisfier until it would be *almost* satisfied at an earlier
   decision level, learn it, and jump back to that level. Resolving down to an
   incompatibility that forbids the root proves there is no solution; its derivation tree
   explains why.

Every learned incompatibility rules out a region of the search for good, which is what
keeps backtracking over hundreds of versions (botocore/boto3) tractable.

The solver does no I/O itself; the :class:`Provider` does (and may prefetch in
``get_dependencies``, since the solver asks about a package's versions as soon as it
decides it).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, Protocol, TypeVar, cast

from packaging.ranges import VersionRange
from packaging.version import Version

from spoke.errors import ResolutionImpossible, SpokeError
from spoke.resolver.incompatibility import IncompatibilityStore
from spoke.resolver.partial import ALMOST_SATISFIED, PartialSolution
from spoke.resolver.report import explain, suggest
from spoke.resolver.terms import CONTRADICTED, SATISFIED, TermAlgebra, normalize
from spoke.resolver.tree import ROOT, ROOT_VERSION, DerivationTree, Package


@dataclass(frozen=True, slots=True, kw_only=True)
class Unavailable:
    """Returned by :meth:`Provider.get_dependencies` when a version cannot be used."""

    #: Why, as a clause: ``"has no wheel for this platform"``, ``"requires Python >=3.12"``.
    reason: str


#: What a provider calls a package (``str`` for spoke's); the solver adds its own root.
PackageT = TypeVar("PackageT", bound=Package)


class Provider(Protocol[PackageT]):
    """What the solver needs to know about packages. It may do I/O; the solver does not.

    ``describe`` is optional: when a provider has none, the report writer's default is used.
    """

    def choose_version(self, package: PackageT, allowed: VersionRange) -> Version | None:
        """The best version of ``package`` inside ``allowed``, or None when none exists.

        The provider applies its policies (pre-releases, yanked files, preferring what
        is installed). The answer must lie in ``allowed``, which holds pre-releases as
        plain members: test with ``allowed.contains(v, prereleases=True)`` (a bisection),
        since ``v in allowed`` applies PEP 440's default pre-release exclusion.
        """

    def get_dependencies(
        self, package: PackageT, version: Version
    ) -> Mapping[PackageT, VersionRange] | Unavailable:
        """Dependencies of ``package==version`` as package -> allowed versions.

        An empty range makes the version unusable; a dependency on the package itself is
        ignored. Called at most once per (package, version) that is usable.
        """

    def prioritize(self, package: PackageT, allowed: VersionRange) -> Any:
        """Sort key: the solver decides next the package with the SMALLEST key.

        A provider typically returns ``(number_of_matching_versions, name)`` so that
        the most constrained packages are decided first.
        """

    def describe(self, package: PackageT, allowed: VersionRange) -> str:
        """Human text for a term, e.g. ``'requests>=2.0'`` or ``'requests'``."""

    def prefetch(self, package: PackageT, allowed: VersionRange) -> None:
        """Optional: ``package`` must now be in ``allowed`` and will be decided later; a hint to
        start any slow lookup :meth:`choose_version` and :meth:`get_dependencies` will need.
        It must not block."""

    def why_no_versions(self, package: PackageT, allowed: VersionRange) -> str | None:
        """Optional: why :meth:`choose_version` found nothing in ``allowed`` although versions
        there exist, as a clause (``'numpy 2.0.0 requires Python >=3.9'``); None to say
        "there is no version of …"."""


class NoSolution(ResolutionImpossible):
    """The requirements contradict each other.

    ``message`` is the full "Because …" report, ``hint`` a suggestion of what to change,
    ``derivation`` the proof as data (:mod:`spoke.resolver.tree`).
    """

    def __init__(
        self, message: str, *, derivation: DerivationTree, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.derivation = derivation


class ResolverTooLong(SpokeError):
    """The solver gave up after its step budget; the graph needs tighter requirements."""


class Resolver(Generic[PackageT]):
    """Solves requirements against a :class:`Provider` with PubGrub.

    A resolver can be reused: each :meth:`solve` starts from scratch. Inside, packages are
    any hashable values (the root is one of the solver's own); the provider's type comes back.
    """

    def __init__(
        self, provider: Provider[PackageT], *, root: Package = ROOT, max_steps: int = 200_000
    ) -> None:
        self.provider: Provider[Any] = provider
        self.root = root
        self.max_steps = max_steps

    def solve(self, requirements: Mapping[PackageT, VersionRange]) -> dict[PackageT, Version]:
        """Versions for the requirements and their dependencies, the root excluded.

        Raises :class:`NoSolution` when none exists, :class:`ResolverTooLong` after
        ``max_steps`` decisions and conflicts.
        """
        # Every key of the answer came from the provider (the root is left out).
        solved = _Solve(self, cast("Mapping[Package, VersionRange]", requirements)).run()
        return cast("dict[PackageT, Version]", solved)

    def _describer(self) -> Callable[[Package, VersionRange], str] | None:
        describe = getattr(self.provider, "describe", None)
        return describe if callable(describe) else None

    def _why_none(self) -> Callable[[Package, VersionRange], str | None] | None:
        why = getattr(self.provider, "why_no_versions", None)
        return why if callable(why) else None


class _Solve:
    """The state of one solve."""

    def __init__(self, resolver: Resolver[Any], requirements: Mapping[Package, VersionRange]) -> None:
        self.resolver = resolver
        self.provider = resolver.provider
        self.root = resolver.root
        self.requirements = requirements
        self.algebra = TermAlgebra()
        self.store = IncompatibilityStore(self.algebra)
        self.solution = PartialSolution(self.algebra)
        # Incompatibility ids per package, in the order they were learned.
        self.by_package: dict[Package, list[int]] = {}
        # Incompatibilities known contradicted, with the decision level they became so.
        self.contradicted: dict[int, int] = {}
        # (package, version) pairs whose dependencies are already incompatibilities.
        self.expanded: set[tuple[Package, Version]] = set()
        # (package, id of a term) -> (that term, its priority). A backjump undoes many
        # decisions that are then taken again, with the same term objects (the algebra's memo
        # makes them), so each is weighed, hinted and given a version once.
        self.priorities: dict[tuple[Package, int], tuple[Any, Any]] = {}
        # (package, id of a range) -> (that range, the version the provider chose in it).
        self.chosen: dict[tuple[Package, int], tuple[VersionRange, Version | None]] = {}
        # Undecided packages by priority: (priority, push order, package, term). An entry is
        # stale once its package is decided or has another term; stale entries are dropped
        # when they reach the top, and every change pushes a fresh one (see ``pick``).
        self.queue: list[tuple[Any, int, Package, Any]] = []
        self.pushed = 0
        prefetch = getattr(self.provider, "prefetch", None)
        self.prefetch: Callable[[Package, VersionRange], None] | None = prefetch if callable(prefetch) else None
        self.steps = 0

    def learn(self, incompat_id: int) -> None:
        """Index a new incompatibility under each of its packages."""
        for package in self.store[incompat_id].terms:
            self.by_package.setdefault(package, []).append(incompat_id)

    def run(self) -> dict[Package, Version]:
        """Propagate, decide, repeat, until every required package has a version."""
        root = self.root
        self.learn(self.store.not_root(root, ROOT_VERSION).id)
        following: Package = root
        while True:
            self.propagate(following)
            self.steps += 1
            if self.steps > self.resolver.max_steps:
                raise ResolverTooLong(
                    f"resolution did not finish within {self.resolver.max_steps} steps",
                    hint="add tighter version constraints to narrow the search",
                )
            picked = self.pick()
            if picked is None:
                decided = self.solution.decisions()
                decided.pop(root, None)
                return decided
            package, term = picked
            following = package
            self.decide(package, term.versions)

    def pick(self) -> tuple[Package, Any] | None:
        """The undecided package with the smallest priority, and its term.

        The candidates live in a heap fed by the partial solution's changes, so a decision
        costs a logarithm of the undecided packages rather than a pass over every package
        (a pass made the solve quadratic: 5,000 projects, or hundreds of extras that send
        the search back and forth).
        """
        solution = self.solution
        root = self.root
        root_term = solution.undecided_term(root)
        if root_term is not None:
            return root, root_term
        queue = self.queue
        for package in solution.take_changed():
            term = solution.undecided_term(package)
            if term is None:
                continue
            cached = self.priorities.get((package, id(term)))
            if cached is not None and cached[0] is term:
                key = cached[1]
            else:
                key = self.provider.prioritize(package, term.versions)
                self.priorities[package, id(term)] = (term, key)
                if self.prefetch is not None:
                    self.prefetch(package, term.versions)
            self.pushed += 1
            heapq.heappush(queue, (key, self.pushed, package, term))
        while queue:
            _key, _order, package, term = queue[0]
            if solution.undecided_term(package) is term:
                return package, term
            heapq.heappop(queue)
        return None

    def decide(self, package: Package, allowed: VersionRange) -> None:
        """Choose a version of ``package`` in ``allowed`` and decide it when it is usable."""
        store = self.store
        if package == self.root:
            version: Version | None = ROOT_VERSION
        else:
            chosen = self.chosen.get((package, id(allowed)))
            if chosen is not None and chosen[0] is allowed:
                version = chosen[1]
            else:
                version = self.provider.choose_version(package, allowed)
                if version is not None and not self.algebra.exactly(version).versions.is_subset(allowed):
                    raise ValueError(
                        f"provider chose {package!r} {version} outside the allowed range {allowed!r}"
                    )
                self.chosen[package, id(allowed)] = (allowed, version)
        if version is None:
            term = self.solution.term(package)
            assert term is not None
            self.learn(store.no_versions(package, term).id)
            return
        if (package, version) in self.expanded:
            # Its dependencies are known and were not violated, or propagation would
            # have excluded this version already.
            self.solution.add_decision(package, version)
            return
        if package == self.root:
            dependencies: Mapping[Package, VersionRange] | Unavailable = self.requirements
        else:
            dependencies = self.provider.get_dependencies(package, version)
        if isinstance(dependencies, Unavailable):
            self.learn(store.unavailable(package, version, dependencies.reason).id)
            return
        self.expanded.add((package, version))
        added = []
        for dependency, versions in dependencies.items():
            if dependency == package:
                continue
            incompat = store.dependency(package, version, dependency, normalize(versions))
            self.learn(incompat.id)
            added.append(incompat)
        # Decide only when no new dependency already conflicts; otherwise propagation
        # from this package rules the version out and explains why.
        if not any(self.solution.relation_if_decided(i, package, version) for i in added):
            self.solution.add_decision(package, version)

    def propagate(self, package: Package) -> None:
        """Unit propagation from ``package``, resolving any conflict it meets."""
        solution = self.solution
        store = self.store
        contradicted = self.contradicted
        changed = [package]
        while changed:
            current = changed.pop()
            conflict_package = None
            for incompat_id in reversed(self.by_package.get(current, ())):
                if incompat_id in contradicted:
                    continue
                incompat = store[incompat_id]
                relation, almost = solution.relation(incompat)
                if relation is SATISFIED:
                    conflict_package, root_cause = self.resolve_conflict(incompat_id)
                    forced = self.algebra.negate(store[root_cause].terms[conflict_package])
                    solution.add_derivation(conflict_package, forced, root_cause)
                    contradicted[root_cause] = solution.level
                    break
                if relation is ALMOST_SATISFIED:
                    solution.add_derivation(almost, self.algebra.negate(incompat.terms[almost]), incompat_id)
                    contradicted[incompat_id] = solution.level
                    if almost not in changed:
                        changed.append(almost)
                elif relation is CONTRADICTED:
                    # Contradicted: nothing to learn until we backtrack past this level.
                    contradicted[incompat_id] = solution.level
            if conflict_package is not None:
                changed = [conflict_package]

    def resolve_conflict(self, incompat_id: int) -> tuple[Package, int]:
        """Learn from a satisfied incompatibility and backjump; raise when the root is forbidden.

        Returns the package the learned incompatibility now forces and that incompatibility.
        """
        store = self.store
        solution = self.solution
        changed = False
        while True:
            incompat = store[incompat_id]
            if incompat.is_terminal(self.root, ROOT_VERSION):
                self.fail(incompat_id)
            package, level, previous_level, cause = solution.satisfier_search(incompat, store)
            if previous_level < level or cause is None:
                solution.backtrack(previous_level)
                stale = [i for i, at in self.contradicted.items() if at > previous_level]
                for i in stale:
                    del self.contradicted[i]
                if changed:
                    self.learn(incompat_id)
                return package, incompat_id
            incompat_id = store.prior_cause(incompat, store[cause], package).id
            changed = True

    def fail(self, incompat_id: int) -> NoReturn:
        """Raise :class:`NoSolution` explaining ``incompat_id``."""
        tree = self.store.derivation_tree(incompat_id)
        describe = self.resolver._describer()
        raise NoSolution(
            explain(tree, describe, root=self.root, why_none=self.resolver._why_none()),
            derivation=tree,
            hint=suggest(tree, describe, root=self.root, why_none=self.resolver._why_none()),
        )
