"""Markers as sets of environments: the algebra a universal resolution needs.

A universal resolution is valid for a *scope* of environments — every Python allowed by a
``requires-python`` and every platform, or what ``--environment`` markers leave — and keeps
each dependency with the marker under which it is needed. Deciding whether two markers can
both be true, simplifying ``a or (a and b)``, intersecting a path's markers: all of it is set
algebra once a marker is read as the set of environments where it holds.

The environments are a finite list of :data:`PLATFORMS` (coherent values of ``sys_platform``,
``platform_system``, ``os_name``, ``platform_machine``, ``implementation_name`` and
``platform_python_implementation``), each crossed with the Python versions, kept as intervals of
release numbers ``(major, minor, micro)`` (so ``python_full_version >= "3.9.1"`` is exact, not
sampled). A :class:`MarkerSet` is, for each platform, the Pythons where the marker holds.

Markers are read with :mod:`packaging.markers`: the comparison of a platform variable is
evaluated by packaging for each platform; a ``python_version`` / ``python_full_version``
comparison becomes an interval; ``and`` / ``or`` are intersection and union. A variable the
universe does not model (``platform_release``…) is evaluated by packaging on each platform's
typical values. Going back, :func:`render` writes the shortest marker it finds that means the
same set inside the scope (what lies outside the scope is "don't care").
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

Release = tuple[int, int, int]
#: Half-open intervals ``[low, high)`` of Python releases, sorted and disjoint; ``None`` is
#: no upper bound. ``()`` is no Python; :data:`ALL_PYTHONS` is every one.
PySet = tuple[tuple[Release, "Release | None"], ...]

ALL_PYTHONS: PySet = (((0, 0, 0), None),)
NO_PYTHON: PySet = ()


def _normal(intervals: Iterable[tuple[Release, Release | None]]) -> PySet:
    items = sorted(((lo, hi) for lo, hi in intervals if hi is None or lo < hi),
                   key=lambda item: (item[0], item[1] is None, item[1] or (0, 0, 0)))
    out: list[tuple[Release, Release | None]] = []
    for lo, hi in items:
        if out:
            last_lo, last_hi = out[-1]
            if last_hi is None or lo <= last_hi:
                out[-1] = (last_lo, None if last_hi is None or hi is None else max(last_hi, hi))
                continue
        out.append((lo, hi))
    return tuple(out)


def py_union(a: PySet, b: PySet) -> PySet:
    """Pythons in either set."""
    if a == b:
        return a
    return _normal((*a, *b)) if a and b else (a or b)


def py_intersection(a: PySet, b: PySet) -> PySet:
    """Pythons in both sets."""
    if a == b or b == ALL_PYTHONS:
        return a
    if a == ALL_PYTHONS:
        return b
    if not a or not b:
        return NO_PYTHON
    out: list[tuple[Release, Release | None]] = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo = max(lo1, lo2)
            hi = hi2 if hi1 is None else hi1 if hi2 is None else min(hi1, hi2)
            if hi is None or lo < hi:
                out.append((lo, hi))
    return _normal(out)


def py_complement(a: PySet) -> PySet:
    """Pythons not in ``a``."""
    out: list[tuple[Release, Release | None]] = []
    start: Release | None = (0, 0, 0)
    for lo, hi in a:
        if start is not None and start < lo:
            out.append((start, lo))
        start = hi
    if start is not None:
        out.append((start, None))
    return tuple(out)


def py_subset(a: PySet, b: PySet) -> bool:
    """True when every Python of ``a`` is in ``b``."""
    return py_intersection(a, b) == a


# -- platforms --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Platform:
    """One operating system, machine and implementation, with its marker values."""

    sys_platform: str
    platform_system: str
    os_name: str
    platform_machine: str
    implementation_name: str
    named: bool = False  # added for a value the requirements name (see extend_platforms)

    @property
    def values(self) -> dict[str, str]:
        """The marker variables this platform fixes."""
        return {
            "sys_platform": self.sys_platform, "platform_system": self.platform_system, "os_name": self.os_name,
            "platform_machine": self.platform_machine, "implementation_name": self.implementation_name,
            "platform_python_implementation": "CPython" if self.implementation_name == "cpython" else "PyPy",
        }

    @property
    def label(self) -> str:
        """``linux x86_64 (cpython)``."""
        return f"{self.sys_platform} {self.platform_machine} ({self.implementation_name})"


def _platforms() -> tuple[Platform, ...]:
    systems = [("linux", "Linux", "posix", m) for m in ("x86_64", "aarch64", "i686", "ppc64le", "s390x", "armv7l")]
    systems += [("darwin", "Darwin", "posix", m) for m in ("arm64", "x86_64")]
    systems += [("win32", "Windows", "nt", m) for m in ("AMD64", "ARM64", "x86")]
    systems += [("emscripten", "Emscripten", "posix", "wasm32"), ("cygwin", "CYGWIN_NT-10.0", "posix", "x86_64"),
                ("freebsd14", "FreeBSD", "posix", "amd64"), ("android", "Android", "posix", "aarch64"),
                ("ios", "iOS", "posix", "arm64")]
    return tuple(Platform(*system, impl) for impl in ("cpython", "pypy") for system in systems)


#: The platforms a universal resolution covers (CPython and PyPy on each); values the
#: requirements name beyond these are added by :func:`extend_platforms`.
PLATFORMS: list[Platform] = list(_platforms())
#: Variables decided by the platform, in the order :func:`render` prefers them.
PLATFORM_VARIABLES = ("sys_platform", "platform_machine", "implementation_name", "os_name", "platform_system",
                      "platform_python_implementation")
_PYTHON_VARIABLES = ("python_version", "python_full_version")
#: Typical values of what the universe does not model, so packaging can still evaluate them.
_OTHER_VALUES = {"platform_release": "", "platform_version": "", "implementation_version": ""}


# -- marker sets -----------------------------------------------------------------------------


class UniverseGrew(Exception):  # noqa: N818 - a signal to the resolution's driver, not an error
    """Sets of two universes met: the platforms grew (see :func:`extend_platforms`) since one
    was made, and whatever made it starts again."""


@dataclass(frozen=True, slots=True)
class MarkerSet:
    """The environments where a marker holds: for each of :data:`PLATFORMS`, the Pythons."""

    pythons: tuple[PySet, ...]

    @classmethod
    def everything(cls) -> MarkerSet:
        """Every environment (the marker that always holds)."""
        return _EVERYTHING

    @classmethod
    def nothing(cls) -> MarkerSet:
        """No environment (a marker that can never hold)."""
        return _NOTHING

    @classmethod
    def python(cls, pythons: PySet, size: int | None = None) -> MarkerSet:
        """Every platform (the first ``size``), with these Pythons."""
        return cls(tuple(pythons for _ in range(len(PLATFORMS) if size is None else size)))

    @classmethod
    def platforms(cls, chosen: Iterable[int], size: int | None = None) -> MarkerSet:
        """These platforms (indexes into :data:`PLATFORMS`), with every Python."""
        keep = set(chosen)
        return cls(tuple(ALL_PYTHONS if i in keep else NO_PYTHON
                         for i in range(len(PLATFORMS) if size is None else size)))

    def __and__(self, other: MarkerSet) -> MarkerSet:
        if len(self.pythons) != len(other.pythons):
            raise UniverseGrew(f"{len(self.pythons)} and {len(other.pythons)} platforms")
        return MarkerSet(tuple(py_intersection(a, b) for a, b in zip(self.pythons, other.pythons, strict=True)))

    def __or__(self, other: MarkerSet) -> MarkerSet:
        if len(self.pythons) != len(other.pythons):
            raise UniverseGrew(f"{len(self.pythons)} and {len(other.pythons)} platforms")
        return MarkerSet(tuple(py_union(a, b) for a, b in zip(self.pythons, other.pythons, strict=True)))

    def __invert__(self) -> MarkerSet:
        return MarkerSet(tuple(py_complement(a) for a in self.pythons))

    def __sub__(self, other: MarkerSet) -> MarkerSet:
        return self & ~other

    def __bool__(self) -> bool:
        return any(self.pythons)

    def is_subset(self, other: MarkerSet) -> bool:
        """True when every environment of this set is in ``other``."""
        return (self & other) == self

    def is_disjoint(self, other: MarkerSet) -> bool:
        """True when no environment is in both (the two markers cannot both be true)."""
        return not (self & other)

    def all_pythons(self) -> PySet:
        """The Pythons of any platform."""
        out: PySet = NO_PYTHON
        for pythons in self.pythons:
            out = py_union(out, pythons)
        return out

    def platform_indexes(self) -> list[int]:
        """The platforms with at least one Python in the set."""
        return [i for i, pythons in enumerate(self.pythons) if pythons]


_EVERYTHING = MarkerSet(tuple(ALL_PYTHONS for _ in PLATFORMS))
_NOTHING = MarkerSet(tuple(NO_PYTHON for _ in PLATFORMS))


#: The platform variables whose values the requirements may add to the universe.
_GROWING = ("sys_platform", "os_name", "platform_machine", "implementation_name", "platform_system")
#: The values the requirements named that the base platforms lacked, by variable.
_NAMED: dict[str, set[str]] = {variable: set() for variable in _GROWING}


def names_new_values(marker: Marker | str | None) -> bool:
    """True when ``marker`` compares a platform variable with a value no platform has."""
    return marker is not None and _names_new_values(str(marker), len(PLATFORMS))


@lru_cache(maxsize=4096)
def _names_new_values(text: str, _size: int) -> bool:
    known = {variable: {p.values[variable] for p in PLATFORMS} for variable in _GROWING}
    return any(variable in known and value not in known[variable] for variable, value in _parsed_comparisons(text))


def _parsed_comparisons(text: str) -> list[tuple[str, str]]:
    try:
        tree = getattr(Marker(text), "_markers", None)
    except InvalidMarker:
        return []
    return list(_comparisons(tree if isinstance(tree, list) else []))


def extend_platforms(markers: Iterable[Marker | str]) -> bool:
    """Add platforms for the ``sys_platform``, ``os_name``, ``platform_machine``,
    ``implementation_name`` and ``platform_system`` values ``markers`` compare with that no
    platform has (``sys_platform == 'illumos'``) — every combination of the values named so far
    with the usual ones — so a requirement on them is neither always nor never needed. Sets made
    before no longer combine with new ones: the caller starts again. True when any was added."""
    with _GROWTH:
        return _extend_platforms(markers)


_GROWTH = threading.Lock()


def _extend_platforms(markers: Iterable[Marker | str]) -> bool:
    global _EVERYTHING, _NOTHING

    known = {variable: {p.values[variable] for p in PLATFORMS} for variable in _GROWING}
    grew = False
    for marker in markers:
        for variable, value in _parsed_comparisons(str(marker)):
            if variable in known and value not in known[variable] and value not in _NAMED[variable]:
                _NAMED[variable].add(value)
                grew = True
    if not grew:
        return False
    have = {tuple(sorted(p.values.items())) for p in PLATFORMS}
    for system in sorted(_NAMED["sys_platform"] | {"linux"}):
        for os_name in sorted(_NAMED["os_name"] | {"nt" if system == "win32" else "posix"}):
            for machine in sorted(_NAMED["platform_machine"] | {"x86_64"}):
                for impl in sorted(_NAMED["implementation_name"] | {"cpython"}):
                    for kernel in sorted(_NAMED["platform_system"] | {system.capitalize()}):
                        platform = Platform(system, kernel, os_name, machine, impl, named=True)
                        key = tuple(sorted(platform.values.items()))
                        if key not in have:
                            have.add(key)
                            PLATFORMS.append(platform)
    _EVERYTHING = MarkerSet(tuple(ALL_PYTHONS for _ in PLATFORMS))
    _NOTHING = MarkerSet(tuple(NO_PYTHON for _ in PLATFORMS))
    for cached in (_marker_set, _platform_atom, _platform_text_of, _specifier_pythons, _tag_set):
        cached.cache_clear()
    return True


def _comparisons(items: Sequence[Any]) -> Iterable[tuple[str, str]]:
    """``(variable, value)`` of each comparison in packaging's parsed marker."""
    for lhs, _op, rhs in _triples(items):
        if type(lhs).__name__ == "Variable" and type(rhs).__name__ == "Value":
            yield lhs.value, rhs.value
        elif type(rhs).__name__ == "Variable" and type(lhs).__name__ == "Value":
            yield rhs.value, lhs.value


def _triples(items: Sequence[Any]) -> Iterable[tuple[Any, Any, Any]]:
    """Each ``(lhs, op, rhs)`` comparison of packaging's parsed marker, nested groups included."""
    for item in items:
        if isinstance(item, list):
            yield from _triples(item)
        elif isinstance(item, tuple):
            yield item


def extra_values(marker: Marker | None) -> frozenset[str] | None:
    """The extras ``marker`` compares ``extra`` with (normalized), when it only ever does so with
    ``==`` or ``!=``: then, for any extra outside them, the marker holds exactly when it holds with
    no extra. None when some comparison on ``extra`` uses another operator (``in``, ``<``).
    An empty set for a marker that does not name ``extra``."""
    if marker is None:
        return frozenset()
    return _extra_values(str(marker))


@lru_cache(maxsize=4096)
def _extra_values(text: str) -> frozenset[str] | None:
    try:
        tree = getattr(Marker(text), "_markers", None)
    except InvalidMarker:
        return None
    if not isinstance(tree, list):
        return None
    found: set[str] = set()
    for lhs, op, rhs in _triples(tree):
        for variable, value in ((lhs, rhs), (rhs, lhs)):
            if type(variable).__name__ == "Variable" and variable.value == "extra":
                if str(op) not in ("==", "!=") or type(value).__name__ != "Value":
                    return None
                found.add(canonicalize_name(value.value))
    return frozenset(found)


# -- markers → sets --------------------------------------------------------------------------


def marker_set(marker: Marker | str | None, extra: str = "", *, extras: frozenset[str] = frozenset(),
               groups: frozenset[str] = frozenset()) -> MarkerSet:
    """The environments where ``marker`` holds, ``extra`` (a requirement's) set as given, and
    a lock's ``extras`` / ``dependency_groups`` as given. No marker: everything."""
    if marker is None:
        return _EVERYTHING
    # The number of platforms is part of every key: a set made while another thread grew the
    # platforms is never served after the growth.
    return _marker_set(str(marker), extra, extras, groups, len(PLATFORMS))


@lru_cache(maxsize=8192)
def _marker_set(text: str, extra: str, extras: frozenset[str], groups: frozenset[str], _size: int) -> MarkerSet:
    try:
        parsed = Marker(text)
    except InvalidMarker:
        return _NOTHING
    tree = getattr(parsed, "_markers", None)
    if not isinstance(tree, list):  # packaging's parsed form changed: evaluate the whole marker
        return _sampled(parsed, {"extra": extra}, extras, groups)
    return _walk(tree, extra, extras, groups)


def _walk(items: Sequence[Any], extra: str, extras: frozenset[str], groups: frozenset[str]) -> MarkerSet:
    """packaging's evaluation order: ``or`` separates groups, ``and`` joins within a group."""
    result = _NOTHING
    group: MarkerSet | None = None
    for item in items:
        if isinstance(item, str):
            if item == "or":
                result = result | (group if group is not None else _EVERYTHING)
                group = None
            continue
        value = _walk(item, extra, extras, groups) if isinstance(item, list) else _atom(item, extra, extras, groups)
        group = value if group is None else group & value
    return result | (group if group is not None else _EVERYTHING)


def _atom(item: Any, extra: str, extras: frozenset[str], groups: frozenset[str]) -> MarkerSet:
    lhs, op, rhs = item
    names = [getattr(side, "value", "") for side in (lhs, rhs) if type(side).__name__ == "Variable"]
    text = f"{lhs.serialize()} {op.serialize()} {rhs.serialize()}"
    if len(names) == 1 and names[0] in _PYTHON_VARIABLES:
        variable_first = type(lhs).__name__ == "Variable"
        value = rhs.value if variable_first else lhs.value
        operator = op.value if variable_first else _FLIPPED.get(op.value, "")
        pythons = _python_atom(names[0], operator, value)
        if pythons is None:
            pythons = _sampled_python(Marker(text))
        return MarkerSet.python(pythons)
    if any(name in _PYTHON_VARIABLES for name in names):  # python_version compared with another variable
        return _sampled(Marker(text), {"extra": extra}, extras, groups)
    return _platform_atom(text, extra, extras, groups, len(PLATFORMS))


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!=", "===": "==="}


@lru_cache(maxsize=4096)
def _platform_atom(text: str, extra: str, extras: frozenset[str], groups: frozenset[str], _size: int) -> MarkerSet:
    marker = Marker(text)
    chosen = [i for i, platform in enumerate(PLATFORMS)
              if _evaluate(marker, {**platform.values, **_OTHER_VALUES, "python_version": "3.12",
                                    "python_full_version": "3.12.0", "extra": extra}, extras, groups)]
    return MarkerSet.platforms(chosen)


def _evaluate(marker: Marker, env: dict[str, str], extras: frozenset[str], groups: frozenset[str]) -> bool:
    try:
        if extras or groups or "extras" in str(marker) or "dependency_groups" in str(marker):
            full: dict[str, Any] = {**env, "extras": set(extras), "dependency_groups": set(groups)}
            return marker.evaluate(full, "lock_file")
        return marker.evaluate(env)  # type: ignore[arg-type,unused-ignore]
    except Exception:  # noqa: BLE001 - a variable packaging cannot compare here: the marker fails
        return False


def _next_release(release: Release) -> Release:
    return (release[0], release[1], release[2] + 1)


def _release(version: Version) -> Release:
    parts = (*version.release, 0, 0)
    return (parts[0], parts[1], parts[2])


def _python_atom(variable: str, op: str, value: str) -> PySet | None:
    """``python_version >= "3.10"`` → the Pythons it admits; None for a form left to sampling."""
    if op in ("in", "not in", "===") or "*" in value:
        if op in ("==", "!=") and value.endswith(".*"):
            return _wildcard(variable, op, value[:-2])
        return None
    try:
        version = Version(value)
    except InvalidVersion:
        return None
    if variable == "python_version" and len(version.release) == 1:
        version = Version(f"{version.release[0]}.0")  # python_version "4" compares as "4.0"
    if variable == "python_version" and (len(version.release) != 2 or version.pre or version.dev or version.post):
        return None  # python_version is "X.Y": other shapes compare as packaging says (sampled)
    if variable == "python_version":
        low = _release(version)
        high = (low[0], low[1] + 1, 0)  # python_version "3.10" is every 3.10.x
    elif version.pre is not None or version.dev is not None:
        low = high = _release(version)  # a pre-release sits below its final: no Python equals it
    else:
        low = _release(version)
        high = _next_release(low) if variable == "python_full_version" or len(version.release) > 2 else low
    if op == "~=":
        return _compatible(variable, version)
    intervals: dict[str, PySet] = {
        "<": (((0, 0, 0), low),), "<=": (((0, 0, 0), high),), ">": ((high, None),), ">=": ((low, None),),
        "==": ((low, high),) if low < high else NO_PYTHON,
    }
    if op == "!=":
        return py_complement(intervals["=="])
    found = intervals.get(op)
    return _normal(found) if found is not None else None


def _wildcard(variable: str, op: str, prefix: str) -> PySet | None:
    try:
        parts = [int(p) for p in prefix.split(".")]
    except ValueError:
        return None
    if not 1 <= len(parts) <= 3:
        return None
    low = (*parts, 0, 0)[:3]
    bumped = [*parts[:-1], parts[-1] + 1]
    high = (*bumped, 0, 0)[:3]
    matched: PySet = (((low[0], low[1], low[2]), (high[0], high[1], high[2])),)
    return matched if op == "==" else py_complement(matched)


def _compatible(variable: str, version: Version) -> PySet | None:
    release = version.release
    if len(release) < 2:
        return None
    spec = SpecifierSet(f"~={version}")
    return specifier_pythons(spec)


def _sampled_python(marker: Marker) -> PySet:
    """A Python comparison packaging must evaluate itself: sampled on every minor release."""
    chosen = []
    for major, minor in _MINORS:
        env = {**PLATFORMS[0].values, **_OTHER_VALUES, "python_version": f"{major}.{minor}",
               "python_full_version": f"{major}.{minor}.0", "extra": ""}
        if _evaluate(marker, env, frozenset(), frozenset()):
            last = (major, minor) == _MINORS[-1]  # holds on the newest sampled: on every newer one too
            chosen.append(((major, minor, 0), None if last else (major, minor + 1, 0)))
    return _normal(chosen)


_MINORS = [(2, 7), *((3, minor) for minor in range(0, 21))]


def _sampled(marker: Marker, fixed: Mapping[str, str], extras: frozenset[str], groups: frozenset[str]) -> MarkerSet:
    """The whole marker evaluated on each platform and minor Python (the fallback)."""
    out = []
    for platform in PLATFORMS:
        chosen = []
        for major, minor in _MINORS:
            env = {**platform.values, **_OTHER_VALUES, "python_version": f"{major}.{minor}",
                   "python_full_version": f"{major}.{minor}.0", **fixed}
            if _evaluate(marker, env, extras, groups):
                chosen.append(((major, minor, 0), None if (major, minor) == _MINORS[-1] else (major, minor + 1, 0)))
        out.append(_normal(chosen))
    return MarkerSet(tuple(out))


def specifier_pythons(spec: SpecifierSet | str) -> PySet:
    """The Pythons a ``requires-python`` admits (an invalid one admits all)."""
    return _specifier_pythons(str(spec))


@lru_cache(maxsize=4096)
def _specifier_pythons(text: str) -> PySet:
    try:
        spec = SpecifierSet(text)
    except InvalidSpecifier:
        return ALL_PYTHONS
    out = ALL_PYTHONS
    for item in spec:
        op, value = item.operator, item.version
        if op == "~=":
            version = Version(value)
            prefix = ".".join(str(p) for p in version.release[:-1])
            part = py_intersection(_python_atom("python_full_version", ">=", value) or ALL_PYTHONS,
                                   _wildcard("python_full_version", "==", prefix) or ALL_PYTHONS)
        elif value.endswith(".*"):
            part = _wildcard("python_full_version", op, value[:-2]) or ALL_PYTHONS
        else:
            part = _python_atom("python_full_version", op, value) or ALL_PYTHONS
        out = py_intersection(out, part)
    return out


# -- sets → markers --------------------------------------------------------------------------


def render(target: MarkerSet, scope: MarkerSet) -> str:
    """The shortest marker found that holds exactly on ``target`` within ``scope``: ``""`` when
    it holds on the whole scope. ``target`` must not be empty inside the scope."""
    target = target & scope
    if target == scope:
        return ""
    if not target:
        raise ValueError("an empty marker set has no marker")
    indexes = scope.platform_indexes()
    # Pythons only: the same Pythons on every platform of the scope.
    common = target.all_pythons()
    if all(target.pythons[i] == py_intersection(common, scope.pythons[i]) for i in indexes):
        return _normalized(_python_text(common, scope.all_pythons()))
    # Platforms only: each platform wholly in or wholly out.
    if all(target.pythons[i] in (NO_PYTHON, scope.pythons[i]) for i in indexes):
        return _normalized(_platform_text(set(target.platform_indexes()), set(indexes)))
    terms: list[str] = []
    # What holds on every platform (Pythons), then each group of platforms alike.
    shared: PySet = ALL_PYTHONS
    for i in indexes:
        shared = py_intersection(shared, py_union(target.pythons[i], py_complement(scope.pythons[i])))
    shared = py_intersection(shared, scope.all_pythons())
    rest = indexes
    if shared:
        terms.append(_python_text(shared, scope.all_pythons()))
        rest = [i for i in indexes if target.pythons[i] != py_intersection(shared, scope.pythons[i])]
    groups: dict[PySet, set[int]] = {}
    for i in rest:
        if target.pythons[i]:
            groups.setdefault(target.pythons[i], set()).add(i)
    for pythons, members in sorted(groups.items(), key=lambda item: min(item[1])):
        care = {i for i in indexes if scope.pythons[i]}
        platform_part = _platform_text(members, care)
        # Pythons already covered by the shared term may go either way here.
        python_part = _python_text(pythons, py_intersection(_union_of(scope, members), py_complement(shared)))
        parts = [p for p in (platform_part, python_part) if p]
        terms.append(" and ".join(f"({p})" if " or " in p and len(parts) > 1 else p for p in parts))
    return _normalized(" or ".join(terms))


def _union_of(scope: MarkerSet, members: Iterable[int]) -> PySet:
    out: PySet = NO_PYTHON
    for i in members:
        out = py_union(out, scope.pythons[i])
    return out


def _normalized(text: str) -> str:
    return str(Marker(text)) if text else ""


def _python_text(pythons: PySet, care: PySet) -> str:
    """Pythons as ``python_version`` / ``python_full_version`` comparisons; what lies outside
    ``care`` may go either way (so a bound that only excludes such Pythons is left out)."""
    widened = py_intersection(pythons, care)
    dont_care = py_complement(care)
    for gap in py_complement(widened):  # a gap wholly outside ``care`` is filled
        if py_subset((gap,), dont_care):
            widened = py_union(widened, (gap,))
    if widened == ALL_PYTHONS:
        return ""
    candidates = [_intervals_text(widened)]
    holes = [_equals_text(low, high) for low, high in py_complement(widened) if low > (0, 0, 0) and high is not None]
    if holes and all(holes):  # a range less single releases: `>= 3.9 and != 3.9.1`
        low, high = widened[0][0], widened[-1][1]
        parts = [_bound(">=", low)] if low > (0, 0, 0) else []
        parts += [_bound("<", high)] if high is not None else []
        candidates.append(" and ".join([*parts, *(hole.replace("==", "!=", 1) for hole in holes)]))
    return min(candidates, key=len)


def _intervals_text(widened: PySet) -> str:
    terms: list[str] = []
    for low, high in widened:
        single = _equals_text(low, high)
        if single:
            terms.append(single)
            continue
        parts = []
        if low > (0, 0, 0):
            parts.append(_bound(">=", low))
        if high is not None:
            parts.append(_bound("<", high))
        terms.append(" and ".join(parts))
    if len(terms) > 1:
        return " or ".join(f"({t})" if " and " in t else t for t in terms)
    return terms[0]


def _equals_text(low: Release, high: Release | None) -> str:
    """``python_version == "3.10"`` / ``python_full_version == "3.13.1"`` for one release range."""
    if high is not None and low[2] == 0 and high == (low[0], low[1] + 1, 0):
        return f'python_version == "{low[0]}.{low[1]}"'
    if high == _next_release(low):
        return f'python_full_version == "{low[0]}.{low[1]}.{low[2]}"'
    return ""


def _bound(op: str, release: Release) -> str:
    if release[2] == 0:
        return f'python_version {op} "{release[0]}.{release[1]}"'
    return f'python_full_version {op} "{release[0]}.{release[1]}.{release[2]}"'


def _platform_text(chosen: set[int], care: set[int]) -> str:
    """The platforms ``chosen`` among ``care`` as the fewest comparisons found."""
    return _platform_text_of(frozenset(chosen), frozenset(care), 2)


@lru_cache(maxsize=4096)
def _platform_text_of(chosen: frozenset[int], care: frozenset[int], depth: int) -> str:
    """One comparison; two ``==`` joined by ``or``; two joined by ``and``; else the shortest of
    a comparison that holds on all of ``chosen`` ``and`` the rest within it (``depth`` times),
    and a union of pieces."""
    atoms = _platform_atoms(set(care))
    for text, members in atoms:
        if members == chosen:
            return text
    for (a, ma), (b, mb) in combinations([atom for atom in atoms if " == " in atom[0]], 2):
        if ma | mb == chosen and not ma & mb:
            return f"{a} or {b}"
    pairs = [(f"{a} and {b}", ma & mb) for (a, ma), (b, mb) in combinations(atoms, 2) if ma & mb]
    for text, members in pairs:
        if members == chosen:
            return text
    # The exact fallback: each platform by all its values.
    candidates = [_cover(chosen, [*atoms, *pairs]) or " or ".join(
        "(" + " and ".join(f'{v} == "{PLATFORMS[i].values[v]}"' for v in PLATFORM_VARIABLES[:3]) + ")"
        for i in sorted(chosen))]
    if depth > 0:
        for text, members in atoms:
            if chosen <= members and members != care:
                inner = _platform_text_of(chosen, frozenset(members), depth - 1)
                if inner and _cover_is_exact(inner, chosen, members):
                    candidates.append(f"{text} and ({inner})" if " or " in inner else f"{text} and {inner}")
    return min(candidates, key=len)


def _cover_is_exact(text: str, chosen: frozenset[int], care: frozenset[int]) -> bool:
    """``text`` holds on exactly ``chosen`` among ``care`` (a cover may fall short)."""
    return set(marker_set(text).platform_indexes()) & care == chosen


def _cover(chosen: frozenset[int], pieces_found: Sequence[tuple[str, frozenset[int]]]) -> str:
    """A union of pieces inside ``chosen`` that covers it, the largest first ("" when the
    pieces cannot cover it)."""
    pieces = sorted([item for item in pieces_found if item[1] <= chosen], key=lambda item: -len(item[1]))
    left = set(chosen)
    terms: list[str] = []
    while left and pieces:
        text, members = max(pieces, key=lambda item: len(item[1] & left))
        if not members & left:
            break
        terms.append(f"({text})" if " and " in text else text)
        left -= members
    return "" if left else " or ".join(terms)


def _platform_atoms(care: set[int]) -> list[tuple[str, frozenset[int]]]:
    """``variable == value`` and ``!=`` for every value the platforms in ``care`` take."""
    out: list[tuple[str, frozenset[int]]] = []
    seen: set[frozenset[int]] = set()
    for variable in PLATFORM_VARIABLES:
        values = sorted({PLATFORMS[i].values[variable] for i in care})
        if len(values) < 2:
            continue
        for op in ("==", "!="):
            for value in values:
                members = {i for i in care if (PLATFORMS[i].values[variable] == value) == (op == "==")}
                key = frozenset(members)
                if key in seen:
                    continue
                seen.add(key)
                out.append((f'{variable} {op} "{value}"', key))
    return out


# -- wheels ----------------------------------------------------------------------------------


def wheel_set(filename: str, size: int | None = None) -> MarkerSet:
    """The environments a wheel can be installed on, from its tags (PEP 425): its Pythons and
    implementation from the interpreter and ABI tags, its platforms from the platform tag.
    A tag spoke cannot place counts as everywhere (a lock keeps such a wheel). ``size``: over
    the first platforms only (those of sets made before the platforms grew)."""
    return _wheel_set(filename, len(PLATFORMS) if size is None else size)


@lru_cache(maxsize=4096)
def _wheel_set(filename: str, size: int) -> MarkerSet:
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return MarkerSet.python(ALL_PYTHONS, size)
    out = MarkerSet.python(NO_PYTHON, size)
    for tag in tags:
        out = out | _tag_set(tag.interpreter, tag.abi, tag.platform, size)
    return out


@lru_cache(maxsize=4096)
def _tag_set(interpreter: str, abi: str, platform_tag: str, size: int) -> MarkerSet:
    """The environments one wheel tag fits (thousands of wheels share a few hundred tags)."""
    pythons, implementation = _tag_pythons(interpreter, abi)
    platforms = PLATFORMS[:size]
    placed = _tag_machine(platform_tag) in {platform.platform_machine for platform in platforms}
    chosen = [i for i, platform in enumerate(platforms)
              if (implementation is None or platform.implementation_name == implementation)
              and (not placed or _tag_fits(platform_tag, platform))]
    return MarkerSet.platforms(chosen, size) & MarkerSet.python(pythons, size)


def _tag_pythons(interpreter: str, abi: str) -> tuple[PySet, str | None]:
    """``cp311`` + ``cp311`` → Python 3.11 on CPython; ``cp39`` + ``abi3`` → 3.9 and newer;
    ``py3`` → every Python 3; ``pp310`` → 3.10 on PyPy."""
    import re

    found = re.fullmatch(r"(cp|pp|py)(\d)(\d*)", interpreter)
    if found is None:
        return ALL_PYTHONS, None
    kind, major, minor = found.group(1), int(found.group(2)), found.group(3)
    implementation = {"cp": "cpython", "pp": "pypy"}.get(kind)
    if not minor:
        return (((major, 0, 0), (major + 1, 0, 0)),), implementation
    low = (major, int(minor), 0)
    if kind == "py" or abi == "abi3":
        return ((low, (major + 1, 0, 0)),), implementation
    return ((low, (major, int(minor) + 1, 0)),), implementation


_MAC_MACHINES = {"arm64": {"arm64"}, "x86_64": {"x86_64"}, "universal2": {"arm64", "x86_64"},
                 "intel": {"x86_64"}, "universal": {"x86_64"}, "fat64": {"x86_64"}, "fat3": {"x86_64"}}
_WINDOWS = {"win_amd64": "AMD64", "win32": "x86", "win_arm64": "ARM64"}


def _tag_machine(tag: str) -> str:
    """The machine a platform tag is for, as ``platform_machine`` names it (``x86_64`` for
    ``any``; a machine no platform has — riscv64 — makes the wheel count as everywhere)."""
    if tag.startswith(("manylinux_", "musllinux_")):
        return tag.split("_", 3)[-1]
    if tag.startswith("linux_") or tag.startswith(("manylinux1_", "manylinux2010_", "manylinux2014_")):
        return tag.split("_", 1)[-1]
    if tag.startswith("macosx_"):
        return "arm64" if tag.split("_", 3)[-1] in _MAC_MACHINES else "unknown"
    return _WINDOWS.get(tag, "x86_64")


def _tag_fits(tag: str, platform: Platform) -> bool:
    if tag == "any":
        return True
    if tag.startswith(("manylinux", "musllinux", "linux")):
        arch = tag.split("_", 3)[-1] if tag.startswith(("manylinux_", "musllinux_")) else tag.split("_", 1)[-1]
        return platform.sys_platform == "linux" and platform.platform_machine == arch
    if tag.startswith("macosx_"):
        machines = _MAC_MACHINES.get(tag.split("_", 3)[-1])
        return machines is None or (platform.sys_platform == "darwin" and platform.platform_machine in machines)
    if tag in _WINDOWS:
        return platform.sys_platform == "win32" and platform.platform_machine == _WINDOWS[tag]
    if tag.startswith(("emscripten", "pyodide")):
        return platform.sys_platform == "emscripten"
    return True  # a platform spoke cannot place (ios, android…): kept


# -- the scope of a resolution ---------------------------------------------------------------


#: The Pythons a universal resolution considers at most: Python 3 (a ``<4`` in a
#: ``Requires-Python`` must not fork a resolution for a Python 4 nobody plans).
PYTHON_3: PySet = (((3, 0, 0), (4, 0, 0)),)


def scope_of(requires_python: str | None, environments: Sequence[str] = ()) -> MarkerSet:
    """The environments a universal resolution is for: the Python 3 releases ``requires_python``
    allows (on every platform), within the union of the ``environments`` markers when given."""
    scope = MarkerSet.python(py_intersection(specifier_pythons(requires_python or ""), PYTHON_3))
    if environments:
        allowed = _NOTHING
        for text in environments:
            allowed = allowed | marker_set(text)
        scope = scope & allowed
    return scope


def describe_pythons(pythons: PySet) -> str:
    """``>=3.9`` / ``>=3.9, <3.12`` for messages."""
    text = _python_text(pythons, ALL_PYTHONS)
    return text or "any Python"
