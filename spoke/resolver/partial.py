"""The partial solution: the solver's current assignments, in order, by decision level.

An *assignment* is either a decision ("a is 1.0", which opens a new decision level) or a
derivation ("a is not 2.x", forced by an incompatibility at the current level). Conflict
resolution needs, for any term, the earliest assignment after which the term held. Scanning
the whole list for that would be quadratic on large graphs, so assignments are indexed per
package, each derivation keeping the running intersection of that package's assignments up
to it. Those running intersections only shrink, so "already satisfies the term" is monotone
along the list and the earliest satisfier is found by bisection.
"""

from __future__ import annotations

from collections.abc import Callable

from packaging.ranges import VersionRange
from packaging.version import Version

from spoke.resolver.incompatibility import Incompatibility, IncompatibilityStore
from spoke.resolver.terms import (
    CONTRADICTED,
    INCONCLUSIVE,
    SATISFIED,
    Term,
    TermAlgebra,
    positive,
)
from spoke.resolver.tree import Package

#: The incompatibility has exactly one term left undecided and all others satisfied.
ALMOST_SATISFIED = "almost satisfied"


class _Derivation:
    """One derivation of a package, with the running intersection up to and including it."""

    __slots__ = ("accumulated", "cause", "index", "level")

    def __init__(self, *, index: int, level: int, cause: int, accumulated: Term) -> None:
        self.index = index
        self.level = level
        self.cause = cause
        self.accumulated = accumulated


class _Assignments:
    """Everything assigned to one package, in order."""

    __slots__ = ("decision", "derivations", "term")

    def __init__(self) -> None:
        self.derivations: list[_Derivation] = []
        # (global index, decision level, version) once the package is decided.
        self.decision: tuple[int, int, Version] | None = None
        # The intersection of every assignment: the running intersection of the last
        # derivation, or the decided version.
        self.term: Term | None = None

    @property
    def smallest_level(self) -> int:
        if self.derivations:
            return self.derivations[0].level
        assert self.decision is not None
        return self.decision[1]


class PartialSolution:
    """Assignments made so far; see the module docstring."""

    __slots__ = ("_algebra", "_changed", "_next_index", "level", "packages")

    def __init__(self, algebra: TermAlgebra) -> None:
        self._algebra = algebra
        self._next_index = 0
        #: The current decision level (the number of decisions made).
        self.level = 0
        self.packages: dict[Package, _Assignments] = {}
        # Packages that may have become undecided-and-required, or changed term while so,
        # since the last :meth:`take_changed`.
        self._changed: list[Package] = []

    def term(self, package: Package) -> Term | None:
        """The intersection of ``package``'s assignments, or None when it has none."""
        assignments = self.packages.get(package)
        return None if assignments is None else assignments.term

    def is_decided(self, package: Package) -> bool:
        """Whether ``package`` has a decided version."""
        assignments = self.packages.get(package)
        return assignments is not None and assignments.decision is not None

    def add_decision(self, package: Package, version: Version) -> None:
        """Decide ``package==version``, opening a new decision level."""
        assignments = self.packages[package]
        assert assignments.decision is None, "a package is decided once"
        self.level += 1
        assignments.decision = (self._next_index, self.level, version)
        assignments.term = self._algebra.exactly(version)
        self._next_index += 1

    def add_derivation(self, package: Package, term: Term, cause: int) -> None:
        """Record that ``term`` must hold for ``package``, because of incompatibility ``cause``."""
        assignments = self.packages.get(package)
        if assignments is None:
            assignments = self.packages[package] = _Assignments()
        assert assignments.decision is None, "a decided package derives nothing new"
        if assignments.term is not None:
            term = self._algebra.intersection(assignments.term, term)
        assignments.term = term
        assignments.derivations.append(
            _Derivation(index=self._next_index, level=self.level, cause=cause, accumulated=term)
        )
        self._next_index += 1
        if term.positive:
            self._changed.append(package)

    def backtrack(self, level: int) -> None:
        """Forget every assignment made after decision level ``level``."""
        self.level = level
        for package in list(self.packages):
            assignments = self.packages[package]
            if assignments.smallest_level > level:
                del self.packages[package]
                continue
            changed = False
            if assignments.decision is not None and assignments.decision[1] > level:
                assignments.decision = None
                changed = True
            derivations = assignments.derivations
            if derivations and derivations[-1].level > level:
                changed = True
                while derivations and derivations[-1].level > level:
                    derivations.pop()
            if assignments.decision is None:
                assignments.term = derivations[-1].accumulated
                if changed and assignments.term.positive:
                    self._changed.append(package)

    def relation(self, incompat: Incompatibility) -> tuple[str, Package | None]:
        """How the assignments relate to ``incompat``.

        Returns ``(SATISFIED, None)``, ``(CONTRADICTED, package)``,
        ``(ALMOST_SATISFIED, package)`` — the one term not yet decided — or
        ``(INCONCLUSIVE, None)``.
        """
        algebra = self._algebra
        packages = self.packages
        result = SATISFIED
        almost: Package | None = None
        for package, term in incompat.terms.items():
            assignments = packages.get(package)
            if assignments is None:
                relation = INCONCLUSIVE
            else:
                relation = algebra.relation(assignments.term, term)  # type: ignore[arg-type]
            if relation is CONTRADICTED:
                return CONTRADICTED, package
            if relation is INCONCLUSIVE:
                if result is SATISFIED:
                    result = ALMOST_SATISFIED
                    almost = package
                else:
                    result = INCONCLUSIVE
                    almost = None
        return result, almost

    def relation_if_decided(
        self, incompat: Incompatibility, package: Package, version: Version
    ) -> bool:
        """Whether ``incompat`` would be satisfied once ``package==version`` were decided."""
        algebra = self._algebra
        decided = algebra.exactly(version)
        for name, term in incompat.terms.items():
            if name == package:
                assigned: Term | None = decided
            else:
                assigned = self.term(name)
            if assigned is None or not algebra.is_subset(assigned, term):
                return False
        return True

    def _satisfier(
        self, assignments: _Assignments, term: Term, start: Term | None
    ) -> tuple[int, int, int | None]:
        """The earliest assignment of a package after which ``term`` held.

        With ``start``, the earliest after which ``start`` together with the assignments so
        far made ``term`` hold. Returns ``(global index, decision level, cause or None)``.
        """
        algebra = self._algebra
        derivations = assignments.derivations
        holds: Callable[[Term], bool]
        if start is None:
            def holds(assigned: Term) -> bool:
                return algebra.is_subset(assigned, term)
        else:
            holds = algebra.implied_with(start, term)
        low, high = 0, len(derivations)
        while low < high:
            middle = (low + high) // 2
            if holds(derivations[middle].accumulated):
                high = middle
            else:
                low = middle + 1
        if low < len(derivations):
            found = derivations[low]
            return found.index, found.level, found.cause
        # Not reached by derivations alone, so the decision, which comes after them all.
        assert assignments.decision is not None, "a satisfied term without a satisfier"
        index, level, _version = assignments.decision
        return index, level, None

    def satisfier_search(
        self, incompat: Incompatibility, store: IncompatibilityStore
    ) -> tuple[Package, int, int, int | None]:
        """Find what made the satisfied ``incompat`` true.

        Returns ``(package, satisfier level, previous satisfier level, satisfier cause)``:
        the package whose assignment completed the satisfaction, that assignment's decision
        level, the level at which ``incompat`` minus that assignment's help was already
        satisfied (never below 1), and the incompatibility that derived the satisfier
        (None when the satisfier is a decision).
        """
        found: dict[Package, tuple[int, int, int | None]] = {}
        for package, term in incompat.terms.items():
            found[package] = self._satisfier(self.packages[package], term, None)
        satisfier_package = max(found, key=lambda name: found[name][0])
        _index, satisfier_level, satisfier_cause = found[satisfier_package]

        assignments = self.packages[satisfier_package]
        if satisfier_cause is not None:
            start = store[satisfier_cause].terms[satisfier_package].negate()
        else:
            assert assignments.decision is not None
            start = positive(VersionRange.singleton(assignments.decision[2]))
        found[satisfier_package] = self._satisfier(
            assignments, incompat.terms[satisfier_package], start
        )
        previous_level = max(found.values(), key=lambda entry: entry[0])[1]
        return satisfier_package, satisfier_level, max(previous_level, 1), satisfier_cause

    def take_changed(self) -> list[Package]:
        """Packages that may have become undecided and required, or changed their term while
        so, since the last call (the solver keeps its choice of the next decision up to date
        with these instead of scanning every package at each decision). A package may be
        named more than once, or no longer be undecided: check :meth:`undecided_term`."""
        changed, self._changed = self._changed, []
        return changed

    def undecided_term(self, package: Package) -> Term | None:
        """``package``'s term when it must be selected and has no version yet, else None."""
        assignments = self.packages.get(package)
        if assignments is None or assignments.decision is not None:
            return None
        term = assignments.term
        return term if term is not None and term.positive else None

    def decisions(self) -> dict[Package, Version]:
        """Every decided package and its version, in decision order."""
        decided = [
            (assignments.decision, package)
            for package, assignments in self.packages.items()
            if assignments.decision is not None
        ]
        decided.sort(key=lambda entry: entry[0][0])
        return {package: decision[2] for decision, package in decided}
