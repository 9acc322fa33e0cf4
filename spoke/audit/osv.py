"""OSV records → advisories about one installed version (pure: values in, values out).

An OSV record (https://ossf.github.io/osv-schema/) names what it affects per package: an
``affected`` entry has a ``package`` (``ecosystem``, ``name``), explicit ``versions`` and
``ranges``. Only ``ECOSYSTEM`` ranges are ordered by the ecosystem's own rules — PEP 440 for
PyPI — so only they are evaluated here (``SEMVER`` does not apply to Python packages, ``GIT``
ranges name commits). A range's ``events`` are read in version order:

* ``introduced: V`` — V and what follows is affected (``"0"``: every version before, too);
* ``fixed: V`` — V and what follows is not;
* ``last_affected: V`` — what follows V is not (V itself is);
* ``limit: V`` — nothing at or above V belongs to the range (``"*"``: no cap).

A version is affected by a record when it is listed in ``versions`` or falls in any range.
A record carrying ``withdrawn`` is retracted by its source and never reported. A version the
record writes that PEP 440 cannot read (old PYSEC data has some) is skipped, not guessed at.

One flaw is often published several times — as PYSEC, GHSA and CVE — each record listing the
others in ``aliases``. :func:`fold` merges the advisories of one package whose id sets meet,
so the flaw is one row; the shown id is a PYSEC id, else a GHSA id, else the first other one,
and the rest are its aliases. The fix versions of an advisory are the ``fixed`` events of its
ranges for that package (sorted, each once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ECOSYSTEM = "PyPI"
"""The OSV ecosystem of Python packages."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """One known vulnerability of a package: an id, its aliases, words and the fixes."""

    id: str
    aliases: tuple[str, ...] = ()
    description: str = "N/A"
    fix_versions: tuple[Version, ...] = ()
    published: str | None = None

    @property
    def ids(self) -> frozenset[str]:
        """The id and every alias."""
        return frozenset((self.id, *self.aliases))

    def named(self, ids: Iterable[str]) -> bool:
        """Whether any of ``ids`` is this advisory's id or one of its aliases."""
        return not self.ids.isdisjoint(ids)


def _version(text: object) -> Version | None:
    if not isinstance(text, str):
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def in_range(version: Version, events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether ``version`` falls in the ``ECOSYSTEM`` range made of ``events``."""
    ordered: list[tuple[Version, int, str]] = []
    limits: list[Version] = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        for order, kind in enumerate(("introduced", "fixed", "last_affected")):
            if kind in event:
                at = Version("0") if event[kind] == "0" else _version(event[kind])
                if at is not None:
                    ordered.append((at, order, kind))
        if "limit" in event and event["limit"] != "*":
            cap = _version(event["limit"])
            if cap is not None:
                limits.append(cap)
    affected = False
    for at, _order, kind in sorted(ordered):
        if kind == "introduced":
            if version >= at:
                affected = True
        elif kind == "fixed":
            if version >= at:
                affected = False
        elif version > at:  # last_affected
            affected = False
    if limits and not any(version < cap for cap in limits):
        return False
    return affected


def _entries(record: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """The ``affected`` entries of ``record`` about PyPI project ``name`` (normalized)."""
    out = []
    for entry in record.get("affected") or ():
        if not isinstance(entry, Mapping):
            continue
        package = entry.get("package")
        if not isinstance(package, Mapping) or package.get("ecosystem") != ECOSYSTEM:
            continue
        if canonicalize_name(str(package.get("name", ""))) == name:
            out.append(entry)
    return out


def _ranges(entry: Mapping[str, Any]) -> list[Sequence[Mapping[str, Any]]]:
    return [
        rng.get("events") or ()
        for rng in entry.get("ranges") or ()
        if isinstance(rng, Mapping) and rng.get("type") == "ECOSYSTEM"
    ]


def affects(record: Mapping[str, Any], name: str, version: Version | str) -> bool:
    """Whether ``record`` (not withdrawn) affects project ``name`` at ``version``."""
    if record.get("withdrawn"):
        return False
    name = canonicalize_name(name)
    text = str(version)
    parsed = version if isinstance(version, Version) else _version(version)
    for entry in _entries(record, name):
        listed = entry.get("versions") or ()
        if text in listed or (parsed is not None and any(_version(v) == parsed for v in listed)):
            return True
        if parsed is not None and any(in_range(parsed, events) for events in _ranges(entry)):
            return True
    return False


def fix_versions(record: Mapping[str, Any], name: str) -> tuple[Version, ...]:
    """The ``fixed`` versions of ``record``'s ranges for ``name``, sorted, each once."""
    found: set[Version] = set()
    for entry in _entries(record, canonicalize_name(name)):
        for events in _ranges(entry):
            for event in events:
                if isinstance(event, Mapping) and "fixed" in event:
                    fixed = _version(event["fixed"])
                    if fixed is not None:
                        found.add(fixed)
    return tuple(sorted(found))


def _rank(vuln_id: str) -> int:
    """PYSEC first, then GHSA, then anything else (CVE…): the id a row shows."""
    if vuln_id.startswith("PYSEC-"):
        return 0
    if vuln_id.startswith("GHSA-"):
        return 1
    return 2


def ordered_ids(ids: Iterable[str]) -> list[str]:
    """``ids`` without repeats, the one a row shows first (see :func:`_rank`)."""
    unique = list(dict.fromkeys(i for i in ids if i))
    return sorted(unique, key=_rank)  # stable: within a rank, the record's own order


def advisory(record: Mapping[str, Any], name: str) -> Advisory:
    """The advisory ``record`` gives about project ``name``: the preferred id, the others as
    aliases, the summary (else the details, on one line) and the fix versions."""
    ids = ordered_ids([str(record.get("id", "")), *(str(a) for a in record.get("aliases") or ())])
    words = record.get("summary") or record.get("details") or "N/A"
    published = record.get("published")
    return Advisory(
        id=ids[0] if ids else "UNKNOWN",
        aliases=tuple(ids[1:]),
        description=" ".join(str(words).split()),
        fix_versions=fix_versions(record, name),
        published=published if isinstance(published, str) else None,
    )


def fold(advisories: Iterable[Advisory]) -> list[Advisory]:
    """One advisory per flaw: those whose id sets meet are merged (ids and fixes united).

    The order is that of first appearance; a merged row shows the best-ranked id of all.
    """
    groups: list[tuple[int, list[Advisory]]] = []
    for seen, item in enumerate(advisories):
        touching = [g for g in groups if any(not item.ids.isdisjoint(a.ids) for a in g[1])]
        first = min((g[0] for g in touching), default=seen)
        members = [a for g in touching for a in g[1]] + [item]
        groups = [g for g in groups if all(g is not t for t in touching)]
        groups.append((first, members))
    return [_merge(members) for _first, members in sorted(groups, key=lambda g: g[0])]


def _merge(group: Sequence[Advisory]) -> Advisory:
    first = group[0]
    if len(group) == 1:
        return first
    ids = ordered_ids([i for a in group for i in (a.id, *a.aliases)])
    fixes = tuple(sorted({v for a in group for v in a.fix_versions}))
    description = next((a.description for a in group if a.description != "N/A"), first.description)
    published = min((a.published for a in group if a.published), default=None)
    return replace(first, id=ids[0], aliases=tuple(ids[1:]), description=description,
                   fix_versions=fixes, published=published)


def advisories_for(records: Iterable[Mapping[str, Any]], name: str, version: Version | str) -> list[Advisory]:
    """The folded advisories of the ``records`` that affect ``name`` at ``version``."""
    return fold(advisory(r, name) for r in records if affects(r, name, version))


def earliest_fix(advisories: Iterable[Advisory], current: Version) -> Version | None:
    """The lowest version above ``current`` that has every advisory's fix: for each, its
    lowest fix above ``current``; the highest of those. ``None`` when one has no such fix."""
    needed: list[Version] = []
    for item in advisories:
        later = [v for v in item.fix_versions if v > current]
        if not later:
            return None
        needed.append(min(later))
    return max(needed) if needed else None
