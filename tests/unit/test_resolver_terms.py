"""The term algebra: positive and negative terms, with "absent" as a member of every negative."""

from __future__ import annotations

import itertools

import pytest
from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from spoke.resolver.terms import (
    EMPTY,
    FULL,
    Term,
    TermAlgebra,
    complement,
    is_full,
    negative,
    normalize,
    positive,
)

_SPECS = ("", "<0", ">=1", "<2", "==1.5", "!=2", ">=1,<3", ">2", "==2.*", "<=1.5")
_RANGES = [normalize(SpecifierSet(spec).to_range()) for spec in _SPECS]
_TERMS = [positive(r) for r in _RANGES] + [negative(r) for r in _RANGES]
# Points that tell the ranges above apart, plus None for "the package is absent".
_POINTS: list[Version | None] = [
    None,
    *map(Version, ("0.5", "1", "1.5", "1.6", "2.dev0", "2rc1", "2", "2.post1", "2.5", "3", "4")),
]


def holds(term: Term, point: Version | None) -> bool:
    """Whether ``term`` holds when the package is at ``point`` (None: not selected)."""
    if point is None:
        return not term.positive
    inside = VersionRange.singleton(point).is_subset(term.versions)
    return inside if term.positive else not inside


@pytest.mark.parametrize("a", _TERMS, ids=repr)
def test_operations_agree_with_membership(a: Term) -> None:
    algebra = TermAlgebra()
    for b in _TERMS:
        both, either = algebra.intersection(a, b), algebra.union(a, b)
        for point in _POINTS:
            assert holds(both, point) == (holds(a, point) and holds(b, point)), (a, b, point)
            assert holds(either, point) == (holds(a, point) or holds(b, point)), (a, b, point)
        if algebra.is_subset(a, b):
            assert all(holds(b, p) for p in _POINTS if holds(a, p)), (a, b)
        else:
            # Not a subset must be witnessed somewhere; our points cover these ranges.
            assert any(holds(a, p) and not holds(b, p) for p in _POINTS), (a, b)
        if algebra.is_disjoint(a, b):
            assert not any(holds(a, p) and holds(b, p) for p in _POINTS), (a, b)
        else:
            assert any(holds(a, p) and holds(b, p) for p in _POINTS), (a, b)


def test_implied_with_matches_intersect_then_subset() -> None:
    algebra = TermAlgebra()
    for start, term in itertools.product(_TERMS, repeat=2):
        check = algebra.implied_with(start, term)
        for assigned in _TERMS:
            expected = algebra.is_subset(algebra.intersection(assigned, start), term)
            assert check(assigned) == expected, (assigned, start, term)


def test_negative_term_is_never_a_subset_of_a_positive_one() -> None:
    algebra = TermAlgebra()
    assert not algebra.is_subset(negative(FULL), positive(FULL))
    assert algebra.is_subset(positive(EMPTY), negative(FULL))
    assert not algebra.is_disjoint(negative(FULL), negative(FULL))


def test_any_term_and_negation() -> None:
    assert negative(EMPTY).is_any
    assert not positive(FULL).is_any
    assert positive(FULL).negate() == negative(FULL)


def test_contains_counts_prereleases_as_members() -> None:
    term = positive(normalize(SpecifierSet(">=1").to_range()))
    assert term.contains(Version("2.0a1"))
    assert not term.negate().contains(Version("2.0a1"))


def test_normalize_drops_the_arbitrary_flag_and_refuses_policies() -> None:
    assert normalize(VersionRange.full()) == FULL
    assert is_full(normalize(SpecifierSet("").to_range()))
    # A union that looks full is not: ``<1`` leaves out 1.0's pre-releases.
    almost = SpecifierSet(">=1").to_range() | SpecifierSet("<1").to_range()
    assert not is_full(normalize(almost))
    assert complement(FULL).is_empty and is_full(complement(EMPTY))
    with pytest.raises(ValueError, match="pre-release policy"):
        normalize(SpecifierSet(">=1", prereleases=True).to_range())
    with pytest.raises(TypeError):
        normalize(">=1")  # type: ignore[arg-type]
