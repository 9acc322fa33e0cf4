"""Incompatibilities: sets of terms that cannot all hold at once.

``{a: a==1.0, b: not b>=2}`` reads "a==1.0 without b>=2 is impossible", that is, a 1.0
depends on b>=2. The solver learns external incompatibilities from the provider and derives
new ones during conflict resolution; each remembers its cause so a failure can be explained
(:mod:`spoke.resolver.tree`).
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.ranges import VersionRange
from packaging.version import Version

from spoke.resolver.terms import Term, TermAlgebra, negative, positive
from spoke.resolver.tree import (
    Dependency,
    DerivationTree,
    Derived,
    External,
    NotRoot,
    NoVersions,
    Package,
    UnavailableVersion,
)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Incompatibility:
    """Terms that cannot all hold; ``cause`` is an external fact or two incompatibility ids."""

    id: int
    terms: dict[Package, Term]
    cause: External | tuple[int, int]

    def is_terminal(self, root: Package, root_version: Version) -> bool:
        """Whether this incompatibility proves the whole resolution impossible."""
        if not self.terms:
            return True
        if len(self.terms) > 1:
            return False
        package, term = next(iter(self.terms.items()))
        return package == root and term.contains(root_version)


class IncompatibilityStore:
    """Every incompatibility of one solve, by id, and its constructors."""

    __slots__ = ("_algebra", "items")

    def __init__(self, algebra: TermAlgebra) -> None:
        self._algebra = algebra
        self.items: list[Incompatibility] = []

    def __getitem__(self, incompat_id: int) -> Incompatibility:
        return self.items[incompat_id]

    def _add(
        self, terms: dict[Package, Term], cause: External | tuple[int, int]
    ) -> Incompatibility:
        incompat = Incompatibility(id=len(self.items), terms=terms, cause=cause)
        self.items.append(incompat)
        return incompat

    def not_root(self, root: Package, root_version: Version) -> Incompatibility:
        """The root must be selected: ``{root: not root_version}``."""
        versions = VersionRange.singleton(root_version)
        return self._add({root: negative(versions)}, NotRoot(package=root, version=root_version))

    def no_versions(self, package: Package, term: Term) -> Incompatibility:
        """No version of ``package`` fits the positive ``term``."""
        return self._add({package: term}, NoVersions(package=package, versions=term.versions))

    def unavailable(self, package: Package, version: Version, reason: str) -> Incompatibility:
        """``package==version`` cannot be used, for ``reason``."""
        term = positive(VersionRange.singleton(version))
        cause = UnavailableVersion(package=package, version=version, reason=reason)
        return self._add({package: term}, cause)

    def dependency(
        self, package: Package, version: Version, dependency: Package, versions: VersionRange
    ) -> Incompatibility:
        """``package==version`` depends on ``dependency`` in ``versions``.

        A dependency on an empty range makes the version unusable by itself, so its
        incompatibility holds only the depending term.
        """
        own = VersionRange.singleton(version)
        cause = Dependency(
            package=package, versions=own, dependency=dependency, dependency_versions=versions
        )
        if versions.is_empty:
            return self._add({package: positive(own)}, cause)
        return self._add({package: positive(own), dependency: negative(versions)}, cause)

    def prior_cause(
        self, incompat: Incompatibility, satisfier_cause: Incompatibility, package: Package
    ) -> Incompatibility:
        """Resolve two incompatibilities on ``package`` into the one they imply together."""
        algebra = self._algebra
        terms: dict[Package, Term] = {}
        for source in (incompat, satisfier_cause):
            for name, term in source.terms.items():
                if name == package:
                    continue
                known = terms.get(name)
                terms[name] = term if known is None else algebra.intersection(known, term)
        joined = algebra.union(incompat.terms[package], satisfier_cause.terms[package])
        if not joined.is_any:
            terms[package] = joined
        return self._add(terms, (incompat.id, satisfier_cause.id))

    def derivation_tree(self, incompat_id: int) -> DerivationTree:
        """The derivation tree of ``incompat_id``, with shared nodes marked."""
        seen: set[int] = set()
        shared: set[int] = set()
        stack = [incompat_id]
        while stack:
            current = stack.pop()
            cause = self.items[current].cause
            if isinstance(cause, tuple):
                if current in seen:
                    shared.add(current)
                else:
                    stack.extend(cause)
            seen.add(current)
        # Causes always have smaller ids than what they cause, so ascending ids build
        # children before parents without recursion.
        built: dict[int, DerivationTree] = {}
        for current in sorted(seen):
            incompat = self.items[current]
            cause = incompat.cause
            if isinstance(cause, tuple):
                built[current] = Derived(
                    terms=tuple(incompat.terms.items()),
                    shared_id=current if current in shared else None,
                    cause1=built[cause[0]],
                    cause2=built[cause[1]],
                )
            else:
                built[current] = cause
        return built[incompat_id]
