"""Upgrading what is installed, in ONE joint resolution (values in, values out).

The commands and what they mean:

* ``spoke upgrade`` (no names) and ``spoke install --upgrade-all [NAMES…]``: the solver's
  roots are every installed distribution, by name and unpinned but never downgraded
  (``name>=installed``), plus whatever was named. No installed version is preferred: each
  project gets the newest version that keeps *every* requirement of the chosen set satisfied.
  The naive loop (``pip list --outdated | xargs pip install -U``) upgrades one package at a
  time and can break another package's requirement; a joint resolution cannot.
  A requirement the user names replaces the ``>=installed`` root of that project (the user
  may ask for an older version explicitly).
* ``spoke upgrade NAMES…``: upgrades only those names, like ``spoke install -U NAMES``
  (strategy only-if-needed: their dependencies move only when they must). Each name must be
  installed already; installing something new is ``spoke install``'s job.

Editable and direct-URL installs (``direct_url.json``) are left as they are: they are roots at
exactly their installed version and are never looked up on an index. A project the indexes do
not know is kept at its installed version. After resolving, every installed project whose
newest usable version is newer than the chosen one is reported as *held back*, with the
requirements (of the chosen versions) that exclude that newest version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.models import CoreMetadata, InstalledDist


def left_in_place(dist: InstalledDist) -> bool:
    """True for an editable or direct-URL install (never re-resolved from an index)."""
    if dist.editable:
        return True
    try:
        return (dist.dist_info / "direct_url.json").is_file()
    except OSError:
        return False


def upgrade_roots(
    installed: Mapping[str, InstalledDist], named: Iterable[str] = (), fixed: Iterable[str] = ()
) -> list[Requirement]:
    """Root requirements for every installed project the user did not name.

    ``name>=installed`` (never a downgrade), or plain ``name`` for the ``fixed`` ones (editable
    and direct-URL installs, which the provider keeps at their installed version).
    """
    skip = {canonicalize_name(n) for n in named}
    keep = {canonicalize_name(n) for n in fixed}
    out: list[Requirement] = []
    for name in sorted(installed):
        if name in skip:
            continue
        dist = installed[name]
        out.append(Requirement(name if name in keep else f"{name}>={dist.version}"))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Chosen:
    """One project of the resolution, as the held-back analysis needs it."""

    version: Version
    metadata: CoreMetadata | None
    extras: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldBack:
    """An installed project not moved to its newest version, and why."""

    name: str
    newest: Version
    chosen: Version
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        """``not upgrading b to 3.0 (b 2.1 chosen): a 2.0 requires b<3``."""
        why = "; ".join(self.reasons) if self.reasons else (
            "no requirement excludes it directly (it may need another Python, or conflict "
            "with the dependencies of other chosen versions)"
        )
        return f"not upgrading {self.name} to {self.newest} ({self.name} {self.chosen} chosen): {why}"


def held_back(
    installed: Mapping[str, InstalledDist],
    chosen: Mapping[str, Chosen],
    newest: Mapping[str, Version],
    *,
    markers: Mapping[str, str],
    roots: Sequence[Requirement] = (),
) -> list[HeldBack]:
    """Installed projects whose ``newest`` version is newer than the ``chosen`` one.

    The reasons are the requirements that exclude the newest version: those of the chosen
    versions' metadata (for the markers of the target, with the extras chosen) and the
    user's own ``roots`` (named requirements and constraints).
    """
    out: list[HeldBack] = []
    for name in sorted(installed):
        pick = chosen.get(name)
        best = newest.get(name)
        if pick is None or best is None or best <= pick.version:
            continue
        reasons: list[str] = []
        for req in roots:
            if canonicalize_name(req.name) == name and not req.specifier.contains(best, prereleases=True):
                reasons.append(f"you asked for {req}")
        for other, info in sorted(chosen.items()):
            if other == name or info.metadata is None:
                continue
            for req in info.metadata.requires_dist:
                if canonicalize_name(req.name) != name or not _applies(req.marker, markers, info.extras):
                    continue
                if not req.specifier.contains(best, prereleases=True):
                    spec = f"{req.name}{req.specifier}"
                    reasons.append(f"{info.metadata.display_name or other} {info.version} requires {spec}")
        out.append(HeldBack(name=name, newest=best, chosen=pick.version, reasons=tuple(dict.fromkeys(reasons))))
    return out


def _applies(marker: Marker | None, markers: Mapping[str, str], extras: Sequence[str]) -> bool:
    if marker is None:
        return True
    for extra in ("", *extras):
        try:
            if marker.evaluate({**markers, "extra": extra}):
                return True
        except Exception:  # noqa: BLE001 - an unknown marker variable: the requirement does not apply
            return False
    return False


def not_installed(ctx: Any, names: Sequence[str]) -> list[str]:
    """Those of ``names`` (normalized) not installed where an install would write."""
    from spoke.app.target import installed_paths, select_scheme
    from spoke.env.installed import installed_distributions

    interp = ctx.interpreter
    if ctx.target_settings.target is not None:
        return []  # --target installs afresh; there is nothing to check against
    found = installed_distributions(installed_paths(ctx, interp, select_scheme(ctx, interp)))
    return [n for n in dict.fromkeys(names) if n not in found]
