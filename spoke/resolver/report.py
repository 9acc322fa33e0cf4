"""Writing a derivation tree as prose: "Because … and because …, your request is unsatisfiable."

The shape follows pubgrub-rs's ``DefaultStringReporter``: a derived node whose two causes
are external facts becomes one sentence; a chain of derivations each adding one external
fact becomes a chain of "And because …" sentences; a node with two derived causes explains
the first, numbers its last line ``(1)`` when it is needed again, explains the second, and
concludes by referring back to ``(1)``. Shared subtrees (used by more than one node) are
explained once and referred to by number afterwards.

Terms about the root read as the user's request: "you require a>=1.0", "your request is
unsatisfiable". Version sets are shown as specifiers (``b>=2.0,<3``, ``a==1.0``) unless
the provider's ``describe`` hook says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from packaging.ranges import VersionRange
from packaging.version import Version

from spoke.resolver.terms import Term, is_full
from spoke.resolver.tree import (
    ROOT,
    ROOT_VERSION,
    Dependency,
    DerivationTree,
    Derived,
    External,
    NotRoot,
    NoVersions,
    Package,
    UnavailableVersion,
    collapse_no_versions,
    leaves,
)

Describe = Callable[[Package, VersionRange], str]
WhyNone = Callable[[Package, VersionRange], "str | None"]

# Specifier operators, ordered the way people write them: lower bounds before upper bounds.
_OPERATOR_ORDER = {"===": 0, "==": 0, "~=": 1, ">=": 2, ">": 2, "<=": 3, "<": 3, "!=": 4}


def _closed_interval(versions: VersionRange) -> tuple[Version, object] | None:
    """``(lower version, upper bound's value)`` of a range that is one closed interval, else None.

    Reads the range's interval tuple: PEP 440 has no spelling for a strict singleton, so
    ``to_specifier_set`` returns None for exactly the ranges we most often show.
    """
    bounds = getattr(versions, "_bounds", None)
    if not isinstance(bounds, tuple) or len(bounds) != 1:
        return None
    lower, upper = bounds[0]
    version = getattr(lower, "version", None)
    if not isinstance(version, Version) or not lower.inclusive or not upper.inclusive:
        return None
    return version, getattr(upper, "version", None)


def _single_version(versions: VersionRange) -> Version | None:
    """The one version a strict singleton range holds, else None."""
    found = _closed_interval(versions)
    return found[0] if found is not None and found[1] == found[0] else None


def is_pinned(versions: VersionRange) -> bool:
    """Whether ``versions`` holds one release: ``==1.0`` (with its local versions, whose upper
    bound is 1.0 "after its locals") or the strict singleton. The same answer as ``format_range``
    spelling it ``==V``, read straight from the interval: the solver asks at every change of a
    term, and spelling it costs."""
    found = _closed_interval(versions)
    if found is None:
        return False
    version, top = found
    return top == version or getattr(top, "version", None) == version


def format_range(versions: VersionRange) -> str:
    """``versions`` as specifier text (``>=1.0,<2``), ``==1.0``, ``""`` for every version."""
    if is_full(versions):
        return ""
    single = _single_version(versions)
    if single is not None:
        return f"=={single}"
    try:
        specifiers = versions.to_specifier_set()
    except Exception:  # noqa: BLE001 - any failure just means "no specifier form"
        specifiers = None
    if specifiers is None:
        return _format_intervals(versions)
    ordered = sorted(specifiers, key=lambda s: (_OPERATOR_ORDER.get(s.operator, 5), s.version))
    return ",".join(str(s) for s in ordered)


def _format_intervals(versions: VersionRange) -> str:
    """Approximate specifier text for a range PEP 440 cannot spell exactly.

    ``[1.0, 1.1) | (1.1, 2.dev0)`` reads ``>=1.0,<2,!=1.1``; shapes without a compact
    spelling join their intervals with ``||``. The exact set stays in the data: this is
    for people, who rarely care whether ``<2`` admits ``2.0rc1``.
    """
    bounds = getattr(versions, "_bounds", None)
    if not isinstance(bounds, tuple) or not bounds:
        return f" in {versions!r}"
    holes: list[str] = []
    for (_, upper), (lower, _) in pairwise(bounds):
        hole = _hole_version(upper, lower)
        if hole is None:
            return " in " + " || ".join(_format_interval(low, up) for low, up in bounds)
        holes.append(f"!={hole}")
    return _format_interval(bounds[0][0], bounds[-1][1], holes)


def _hole_version(upper: object, lower: object) -> Version | None:
    """The single version missing between two adjacent intervals, if exactly one is."""
    up, low = getattr(upper, "version", None), getattr(lower, "version", None)
    if not isinstance(up, Version) or getattr(upper, "inclusive", True):
        return None
    if isinstance(low, Version):
        return up if low == up and not getattr(lower, "inclusive", True) else None
    # A synthetic boundary just past ``up`` (after its local or post releases).
    return up if getattr(low, "version", None) == up else None


def _format_interval(lower: object, upper: object, extra: list[str] | None = None) -> str:
    low, up = getattr(lower, "version", None), getattr(upper, "version", None)
    parts: list[str] = []
    if low is not None and low == up and getattr(lower, "inclusive", False):
        return f"=={low}"
    if isinstance(low, Version):
        parts.append(f">={low}" if getattr(lower, "inclusive", False) else f">{low}")
    elif low is not None:
        parts.append(f">{getattr(low, 'version', low)}")
    if isinstance(up, Version):
        if getattr(upper, "inclusive", False):
            parts.append(f"<={up}")
        elif up.dev == 0 and up.pre is None and up.post is None:
            parts.append(f"<{up.base_version.removesuffix('.dev0')}")
        else:
            parts.append(f"<{up}")
    elif up is not None:
        parts.append(f"<={getattr(up, 'version', up)}")
    parts.extend(extra or ())
    return ",".join(parts) if parts else ""


def default_describe(package: Package, versions: VersionRange) -> str:
    """``'a>=1.0'``, ``'a==1.0'``, ``'a'`` (any version) or ``'a (no version)'``."""
    if versions.is_empty:
        return f"{package} (no version)"
    return f"{package}{format_range(versions)}"


class _Writer:
    """Builds the report lines for one tree (pubgrub-rs's reporter, in Python)."""

    def __init__(self, describe: Describe, root: Package, why_none: WhyNone | None = None) -> None:
        self.describe = describe
        self.why_none = why_none
        self.root = root
        self.lines: list[str] = []
        self.refs: dict[int, int] = {}
        self.ref_count = 0

    # -- phrases ------------------------------------------------------------------

    def package(self, package: Package, versions: VersionRange) -> str:
        if package == self.root:
            return "your request"
        text = self.describe(package, versions)
        # A provider inheriting the Protocol's stub ``describe`` answers None.
        return text if isinstance(text, str) else default_describe(package, versions)

    def external(self, fact: External) -> str:
        if isinstance(fact, NotRoot):
            return "you asked for a resolution"
        if isinstance(fact, NoVersions):
            reason = self.why_none(fact.package, fact.versions) if self.why_none is not None else None
            if isinstance(reason, str) and reason:
                return reason
            return f"there is no version of {self.package(fact.package, fact.versions)}"
        if isinstance(fact, UnavailableVersion):
            who = self.package(fact.package, VersionRange.singleton(fact.version))
            return f"{who} cannot be used because {fact.reason}"
        if fact.package == self.root:
            return f"you require {self.package(fact.dependency, fact.dependency_versions)}"
        return (
            f"{self.package(fact.package, fact.versions)} depends on "
            f"{self.package(fact.dependency, fact.dependency_versions)}"
        )

    def externals(self, first: External, second: External) -> str:
        """Two facts joined by "and", merging two requirements of the user into one clause."""
        if self._is_requirement(first) and self._is_requirement(second):
            assert isinstance(first, Dependency) and isinstance(second, Dependency)
            return (
                f"you require {self.package(first.dependency, first.dependency_versions)} "
                f"and {self.package(second.dependency, second.dependency_versions)}"
            )
        return f"{self.external(first)} and {self.external(second)}"

    def _is_requirement(self, fact: External) -> bool:
        return isinstance(fact, Dependency) and fact.package == self.root

    def term(self, package: Package, term: Term) -> str:
        text = self.package(package, term.versions)
        return text if term.positive else f"not {text}"

    def terms(self, terms: tuple[tuple[Package, Term], ...]) -> str:
        """What an incompatibility means, as a clause."""
        root_term = next((t for p, t in terms if p == self.root), None)
        rest = [(p, t) for p, t in terms if p != self.root]
        if root_term is not None and not root_term.contains(ROOT_VERSION):
            rest = list(terms)  # a term *against* the root: say it as it is
            root_term = None
        if not rest:
            return "your request is unsatisfiable"
        if len(rest) == 1:
            package, term = rest[0]
            if term.positive:
                return f"{self.package(package, term.versions)} cannot be used"
            if root_term is not None:
                return f"you require {self.package(package, term.versions)}"
            return f"{self.package(package, term.versions)} is required"
        if len(rest) == 2 and rest[0][1].positive != rest[1][1].positive:
            (p1, t1), (p2, t2) = rest if rest[0][1].positive else (rest[1], rest[0])
            return f"{self.package(p1, t1.versions)} depends on {self.package(p2, t2.versions)}"
        parts = [self.term(p, t) for p, t in rest]
        return f"{', '.join(parts[:-1])} and {parts[-1]} are incompatible"

    # -- structure ----------------------------------------------------------------

    def add_ref(self) -> None:
        self.ref_count += 1
        if self.lines:
            self.lines[-1] = f"{self.lines[-1]} ({self.ref_count})"

    def ref_of(self, node: Derived) -> int | None:
        return None if node.shared_id is None else self.refs.get(node.shared_id)

    def build(self, node: Derived) -> None:
        self._build(node)
        if node.shared_id is not None and node.shared_id not in self.refs:
            self.add_ref()
            self.refs[node.shared_id] = self.ref_count

    def _build(self, node: Derived) -> None:
        cause1, cause2 = node.cause1, node.cause2
        conclusion = self.terms(node.terms)
        if not isinstance(cause1, Derived) and not isinstance(cause2, Derived):
            self.lines.append(f"Because {self.externals(cause1, cause2)}, {conclusion}.")
        elif isinstance(cause1, Derived) and not isinstance(cause2, Derived):
            self.one_each(cause1, cause2, conclusion)
        elif isinstance(cause2, Derived) and not isinstance(cause1, Derived):
            self.one_each(cause2, cause1, conclusion)
        else:
            assert isinstance(cause1, Derived) and isinstance(cause2, Derived)
            ref1, ref2 = self.ref_of(cause1), self.ref_of(cause2)
            if ref1 is not None and ref2 is not None:
                self.lines.append(
                    f"Because {self.terms(cause1.terms)} ({ref1}) and "
                    f"{self.terms(cause2.terms)} ({ref2}), {conclusion}."
                )
            elif ref1 is not None:
                self.build(cause2)
                self.lines.append(f"And because {self.terms(cause1.terms)} ({ref1}), {conclusion}.")
            elif ref2 is not None:
                self.build(cause1)
                self.lines.append(f"And because {self.terms(cause2.terms)} ({ref2}), {conclusion}.")
            else:
                self.build(cause1)
                if cause1.shared_id is not None:
                    # cause1 now has a number: explain this node again, by reference.
                    self.lines.append("")
                    self._build(node)
                else:
                    self.add_ref()
                    ref = self.ref_count
                    self.lines.append("")
                    self.build(cause2)
                    self.lines.append(
                        f"And because {self.terms(cause1.terms)} ({ref}), {conclusion}."
                    )

    def one_each(self, derived: Derived, fact: External, conclusion: str) -> None:
        ref = self.ref_of(derived)
        if ref is not None:
            self.lines.append(
                f"Because {self.terms(derived.terms)} ({ref}) and {self.external(fact)}, "
                f"{conclusion}."
            )
            return
        prior1, prior2 = derived.cause1, derived.cause2
        if isinstance(prior1, Derived) and not isinstance(prior2, Derived):
            self.build(prior1)
            self.lines.append(f"And because {self.externals(prior2, fact)}, {conclusion}.")
        elif isinstance(prior2, Derived) and not isinstance(prior1, Derived):
            self.build(prior2)
            self.lines.append(f"And because {self.externals(prior1, fact)}, {conclusion}.")
        else:
            self.build(derived)
            self.lines.append(f"And because {self.external(fact)}, {conclusion}.")


def explain(
    tree: DerivationTree, describe: Describe | None = None, *, root: Package = ROOT,
    why_none: WhyNone | None = None,
) -> str:
    """The human report for a derivation tree.

    ``describe(package, versions)`` names a term (``'a>=1.0'``); the default writes
    specifiers. ``root`` is the package that stands for the user's request.
    ``why_none(package, versions)`` may say why versions that exist were all unusable
    (``'numpy 2.0.0 requires Python >=3.9'``); it replaces "there is no version of …".
    """
    describe = describe or default_describe
    tree = collapse_no_versions(tree)
    writer = _Writer(describe, root, why_none)
    if not isinstance(tree, Derived):
        return f"Because {writer.external(tree)}, {writer.terms(())}."
    writer.build(tree)
    return "\n".join(writer.lines)


def suggest(
    tree: DerivationTree, describe: Describe | None = None, *, root: Package = ROOT,
    why_none: WhyNone | None = None,
) -> str | None:
    """A one-line hint of what to change, from the facts the proof rests on."""
    describe = describe or default_describe
    facts = leaves(tree)
    for fact in facts:
        if isinstance(fact, NoVersions) and is_full(fact.versions):
            if why_none is not None and why_none(fact.package, fact.versions):
                return (
                    f"no version of `{fact.package}` can be used by this target (see why above): "
                    "choose another interpreter with `--python`, or allow the files it has"
                )
            return (
                f"no version of `{fact.package}` is available: "
                "check its name and your index settings"
            )
    required: list[str] = []
    for fact in facts:
        if isinstance(fact, Dependency) and fact.package == root:
            text = describe(fact.dependency, fact.dependency_versions)
            if text not in required:
                required.append(text)
    if len(required) == 1:
        return f"loosen or remove the requirement `{required[0]}`"
    if required:
        listed = ", ".join(f"`{text}`" for text in required[:-1])
        return f"loosen or remove one of the requirements {listed} or `{required[-1]}`"
    return None
