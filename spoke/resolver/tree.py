"""The derivation tree: why a resolution failed, as data.

Every incompatibility the solver learns is either *external* — a fact it was told: the
root must be selected, a package has no version in a range, a version cannot be used, a
version depends on another package — or *derived* from two earlier incompatibilities by
resolution. When the solver proves the root itself incompatible, the chain of derivations
that led there is a binary tree whose leaves are external facts. :func:`spoke.resolver.explain`
turns it into prose; other callers (hints, JSON output) can walk it directly.

A derived node referenced from more than one place carries a ``shared_id`` so a report can
explain it once and refer back to it by line number.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass

from packaging.ranges import VersionRange
from packaging.version import Version

from spoke.resolver.terms import Term

Package = Hashable


class _Root:
    """The type of :data:`ROOT`; one instance, compared by identity."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ROOT"

    def __str__(self) -> str:
        return "your request"

    def __reduce__(self) -> str:
        return "ROOT"


#: The package that stands for the user's request; its dependencies are the requirements.
ROOT: Package = _Root()
#: The single version of the root package.
ROOT_VERSION = Version("0")


@dataclass(frozen=True, slots=True, kw_only=True)
class NotRoot:
    """External fact: the root package (the user's request) must be selected."""

    package: Package
    version: Version


@dataclass(frozen=True, slots=True, kw_only=True)
class NoVersions:
    """External fact: the provider knows no usable version of ``package`` in ``versions``."""

    package: Package
    versions: VersionRange


@dataclass(frozen=True, slots=True, kw_only=True)
class UnavailableVersion:
    """External fact: ``package==version`` cannot be used, for ``reason``."""

    package: Package
    version: Version
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """External fact: ``package`` in ``versions`` needs ``dependency`` in ``dependency_versions``.

    An empty ``dependency_versions`` means the dependency can never be met, so the
    depending versions are unusable.
    """

    package: Package
    versions: VersionRange
    dependency: Package
    dependency_versions: VersionRange


External = NotRoot | NoVersions | UnavailableVersion | Dependency


@dataclass(frozen=True, slots=True, kw_only=True)
class Derived:
    """An incompatibility derived from two causes: ``terms`` cannot all hold together.

    ``terms`` keeps the solver's order (package, term) pairs; ``shared_id`` is set when
    this node is a cause of more than one other node.
    """

    terms: tuple[tuple[Package, Term], ...]
    shared_id: int | None
    cause1: DerivationTree
    cause2: DerivationTree


DerivationTree = External | Derived


def walk(tree: DerivationTree) -> Iterator[DerivationTree]:
    """Every node of ``tree``, parents before children, each shared node once."""
    seen: set[int] = set()
    stack: list[DerivationTree] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Derived):
            if node.shared_id is not None:
                if node.shared_id in seen:
                    continue
                seen.add(node.shared_id)
            stack.append(node.cause2)
            stack.append(node.cause1)
        yield node


def leaves(tree: DerivationTree) -> list[External]:
    """The external facts of ``tree``, left to right, each shared subtree visited once."""
    return [node for node in walk(tree) if not isinstance(node, Derived)]


def collapse_no_versions(tree: DerivationTree) -> DerivationTree:
    """``tree`` with "no versions in the gaps" folded into the facts they widen.

    Deciding ``bar==2.0`` and ruling it out leaves ``bar`` in ``(2.0, 3)``, where the
    provider has nothing: the solver learns "no version of bar in (2.0, 3)" and resolves
    it with "bar==2.0 depends on baz>=3" into "bar>=2,<3 depends on baz>=3". The report
    reads better with that one fact than with the two it came from, so a derived node
    whose causes are exactly such a pair, and whose own terms say "X depends on Y", is
    replaced by that dependency. Likewise a derived conclusion that such a gap only widens
    ("a==1.0 depends on c<1" becoming "a>=1.0 depends on c<1") is stated directly in its
    wider form. Nothing else changes: a "no version" fact about the
    dependency side (``you require c>=1`` when c has no such version) stays, because it
    is the point of the report.
    """
    done: dict[int, DerivationTree] = {}

    def visit(node: DerivationTree) -> DerivationTree:
        if not isinstance(node, Derived):
            return node
        known = done.get(id(node))
        if known is not None:
            return known
        merged = _merged_dependency(node)
        if merged is not None:
            result: DerivationTree = merged
        else:
            cause1, cause2 = visit(node.cause1), visit(node.cause2)
            widened = _widened(node, cause1, cause2) or _widened(node, cause2, cause1)
            if widened is not None:
                result = widened
            elif cause1 is node.cause1 and cause2 is node.cause2:
                result = node
            else:
                result = Derived(
                    terms=node.terms, shared_id=node.shared_id, cause1=cause1, cause2=cause2
                )
        done[id(node)] = result
        return result

    return visit(tree)


def _merged_dependency(node: Derived) -> Dependency | None:
    first, second = node.cause1, node.cause2
    if isinstance(second, NoVersions):
        first, second = second, first
    if not isinstance(first, NoVersions) or not isinstance(second, Dependency):
        return None
    if first.package != second.package or len(node.terms) != 2:
        return None
    terms = dict(node.terms)
    own, dependency = terms.get(second.package), terms.get(second.dependency)
    if own is None or dependency is None or not own.positive or dependency.positive:
        return None
    return Dependency(
        package=second.package,
        versions=own.versions,
        dependency=second.dependency,
        dependency_versions=dependency.versions,
    )


def _widened(node: Derived, gap: DerivationTree, inner: DerivationTree) -> Derived | None:
    """``inner``'s explanation concluding ``node``'s terms, when ``gap`` only widens a range."""
    if not isinstance(gap, NoVersions) or not isinstance(inner, Derived):
        return None
    outer_terms, inner_terms = dict(node.terms), dict(inner.terms)
    if outer_terms.keys() != inner_terms.keys() or gap.package not in outer_terms:
        return None
    for package, term in outer_terms.items():
        other = inner_terms[package]
        if package == gap.package:
            if not (term.positive and other.positive):
                return None
        elif term != other:
            return None
    return Derived(
        terms=node.terms, shared_id=node.shared_id, cause1=inner.cause1, cause2=inner.cause2
    )
