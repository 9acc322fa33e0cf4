"""Terms: the statements PubGrub reasons with, and their algebra.

A term says something about one package. A *positive* term ``a in R`` says "a is selected,
at a version in R". A *negative* term ``not (a in R)`` says "a is not selected at a version
in R" — which includes "a is not selected at all". That extra "absent" member is why the
algebra below is not plain set algebra: a negative term is never a subset of a positive one,
and two negative terms always overlap (both allow the package to be absent).

Version sets are :class:`packaging.ranges.VersionRange`. They are normalised on entry
(:func:`normalize`) so that no range carries the "admits arbitrary strings" flag of
``VersionRange.full()``: with the flag, ``full()`` would not be a subset of
``SpecifierSet(">=0.dev0").to_range()`` and complements would flip the flag back and forth.

Range operations cost microseconds each and the solver repeats the same ones many times
(the same incompatibility checked against the same assignment after every decision), so
:class:`TermAlgebra` memoises them by object identity, keeping the operands alive in the
memo so an identity is never reused while its entry exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from packaging.ranges import VersionRange
from packaging.version import Version

#: Every PEP 440 version, without the "arbitrary strings" flag of ``VersionRange.full()``.
FULL = VersionRange.full(admit_arbitrary=False)
#: No version at all.
EMPTY = VersionRange.empty()


def normalize(versions: VersionRange) -> VersionRange:
    """``versions`` as a plain version set the solver can combine with its own ranges.

    Drops the arbitrary-strings flag (``VersionRange.full()`` and ``SpecifierSet("")``
    carry it). A range with a configured pre-release policy cannot be combined with plain
    ranges, so it is refused: pre-release policy belongs to the provider.
    """
    if not isinstance(versions, VersionRange):
        raise TypeError(f"expected a VersionRange, got {type(versions).__name__}")
    try:
        return versions & FULL
    except ValueError as exc:
        raise ValueError(
            "the resolver needs version ranges without a configured pre-release policy "
            f"(got {versions!r}); apply pre-release policy in the provider instead"
        ) from exc


def complement(versions: VersionRange) -> VersionRange:
    """Every version not in ``versions`` (a plain range stays plain)."""
    return FULL - versions


def is_full(versions: VersionRange) -> bool:
    """Whether ``versions`` holds every version (never assume a union is full: check)."""
    return FULL.is_subset(versions)


@dataclass(frozen=True, slots=True, kw_only=True)
class Term:
    """A statement about one package: selected in ``versions`` (positive) or not (negative).

    ``Term(positive=False, versions=EMPTY)`` is "any": it holds whatever happens to the
    package, including its absence.
    """

    positive: bool
    versions: VersionRange

    def negate(self) -> Term:
        """The opposite statement."""
        return Term(positive=not self.positive, versions=self.versions)

    @property
    def is_any(self) -> bool:
        """Whether the term holds for every outcome, absence included."""
        return not self.positive and self.versions.is_empty

    def contains(self, version: Version) -> bool:
        """Whether selecting ``version`` satisfies this term."""
        inside = VersionRange.singleton(version).is_subset(self.versions)
        return inside if self.positive else not inside


def _misses(versions: VersionRange) -> Callable[[Term], bool]:
    """A test of "no version in ``versions`` satisfies the term" (absence always does)."""
    return lambda a: (
        a.versions.is_disjoint(versions) if a.positive else versions.is_subset(a.versions)
    )


def positive(versions: VersionRange) -> Term:
    """The term "selected at a version in ``versions``"."""
    return Term(positive=True, versions=versions)


def negative(versions: VersionRange) -> Term:
    """The term "not selected at a version in ``versions``"."""
    return Term(positive=False, versions=versions)


#: The relation of a set of assignments to a term.
SATISFIED = "satisfied"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"

# The memo is cleared past this many entries so a long solve keeps bounded memory.
_MEMO_LIMIT = 200_000


class TermAlgebra:
    """Intersection, union and relations of terms, memoised by operand identity.

    One instance belongs to one solve; it is not thread-safe and need not be.
    """

    __slots__ = ("_bools", "_exactly", "_negations", "_terms")

    def __init__(self) -> None:
        self._terms: dict[tuple[str, int, int], tuple[Term, Term, Term]] = {}
        self._bools: dict[tuple[str, int, int], tuple[Term, Term, bool]] = {}
        self._negations: dict[int, tuple[Term, Term]] = {}
        self._exactly: dict[Version, Term] = {}

    def negate(self, term: Term) -> Term:
        """``term.negate()``, the same object each time for the same ``term``.

        After a backjump the solver re-makes many of the decisions and derivations it undid;
        with the same term objects every memoised relation of theirs still answers.
        """
        entry = self._negations.get(id(term))
        if entry is not None and entry[0] is term:
            return entry[1]
        if len(self._negations) >= _MEMO_LIMIT:
            self._negations.clear()
        negated = term.negate()
        self._negations[id(term)] = (term, negated)
        return negated

    def exactly(self, version: Version) -> Term:
        """The term "selected at ``version``" (a strict singleton), one object per version."""
        term = self._exactly.get(version)
        if term is None:
            term = self._exactly[version] = positive(VersionRange.singleton(version))
        return term

    def _cached(self, op: str, a: Term, b: Term) -> Term | None:
        entry = self._terms.get((op, id(a), id(b)))
        if entry is not None and entry[0] is a and entry[1] is b:
            return entry[2]
        return None

    def _store(self, op: str, a: Term, b: Term, value: Term) -> Term:
        if len(self._terms) >= _MEMO_LIMIT:
            self._terms.clear()
        self._terms[(op, id(a), id(b))] = (a, b, value)
        return value

    def _cached_bool(self, op: str, a: Term, b: Term) -> bool | None:
        entry = self._bools.get((op, id(a), id(b)))
        if entry is not None and entry[0] is a and entry[1] is b:
            return entry[2]
        return None

    def _store_bool(self, op: str, a: Term, b: Term, value: bool) -> bool:
        if len(self._bools) >= _MEMO_LIMIT:
            self._bools.clear()
        self._bools[(op, id(a), id(b))] = (a, b, value)
        return value

    def intersection(self, a: Term, b: Term) -> Term:
        """The term that holds when both ``a`` and ``b`` hold."""
        found = self._cached("&", a, b)
        if found is not None:
            return found
        if a.positive and b.positive:
            result = positive(a.versions & b.versions)
        elif a.positive:
            result = positive(a.versions - b.versions)
        elif b.positive:
            result = positive(b.versions - a.versions)
        else:
            result = negative(a.versions | b.versions)
        return self._store("&", a, b, result)

    def union(self, a: Term, b: Term) -> Term:
        """The term that holds when ``a`` or ``b`` holds."""
        found = self._cached("|", a, b)
        if found is not None:
            return found
        if a.positive and b.positive:
            result = positive(a.versions | b.versions)
        elif a.positive:
            result = negative(b.versions - a.versions)
        elif b.positive:
            result = negative(a.versions - b.versions)
        else:
            result = negative(a.versions & b.versions)
        return self._store("|", a, b, result)

    def is_subset(self, a: Term, b: Term) -> bool:
        """Whether ``a`` holding implies ``b`` holding."""
        found = self._cached_bool("<=", a, b)
        if found is not None:
            return found
        if a.positive and b.positive:
            result = a.versions.is_subset(b.versions)
        elif a.positive:
            result = a.versions.is_disjoint(b.versions)
        elif b.positive:
            result = False  # ``a`` allows absence, ``b`` does not
        else:
            result = b.versions.is_subset(a.versions)
        return self._store_bool("<=", a, b, result)

    def is_disjoint(self, a: Term, b: Term) -> bool:
        """Whether ``a`` and ``b`` can never hold together."""
        found = self._cached_bool("!&", a, b)
        if found is not None:
            return found
        if a.positive and b.positive:
            result = a.versions.is_disjoint(b.versions)
        elif a.positive:
            result = a.versions.is_subset(b.versions)
        elif b.positive:
            result = b.versions.is_subset(a.versions)
        else:
            result = False  # both allow absence
        return self._store_bool("!&", a, b, result)

    def implied_with(self, start: Term, term: Term) -> Callable[[Term], bool]:
        """A test of "``assigned`` and ``start`` together imply ``term``", for many ``assigned``.

        Conflict resolution asks this of every candidate in a bisection. Building
        ``assigned & start`` each time would create a fresh range per probe, and ranges
        made of hundreds of intervals (a package with hundreds of excluded versions) make
        that the solver's hottest spot; instead the two fixed operands are folded once into
        one range, and each probe is a single subset or disjointness check.
        """
        s, t = start.versions, term.versions
        if start.positive and term.positive:
            # assigned & s ⊆ t  <=>  assigned misses s - t
            return _misses(s - t)
        if start.positive:
            # assigned & s misses t  <=>  assigned misses s & t
            return _misses(s & t)
        if term.positive:
            cover = t | s  # (assigned - s) ⊆ t  <=>  assigned ⊆ t | s; absence never fits
            return lambda a: a.positive and a.versions.is_subset(cover)
        # (assigned - s) misses t  <=>  assigned misses t - s
        return _misses(t - s)

    def relation(self, assigned: Term, term: Term) -> str:
        """How the intersection of a package's assignments, ``assigned``, relates to ``term``."""
        if self.is_subset(assigned, term):
            return SATISFIED
        if self.is_disjoint(assigned, term):
            return CONTRADICTED
        return INCONCLUSIVE
