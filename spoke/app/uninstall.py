"""The uninstall operation: names → installed distributions → files removed.

Returns values; the CLI asks for confirmation and renders. A name that is not installed is a
warning, not an error (as in pip).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from spoke.app.context import Context
from spoke.models import InstalledDist, Interpreter


@dataclass(frozen=True, slots=True, kw_only=True)
class UninstallTarget:
    """One distribution to remove, the files that go with it, and who still needs it."""

    dist: InstalledDist
    paths: tuple[Path, ...]
    required_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UninstallPlan:
    """What ``spoke uninstall`` will remove, and the names it could not find."""

    interpreter: Interpreter
    targets: tuple[UninstallTarget, ...]
    missing: tuple[str, ...]
    roots: tuple[Path, ...]


def plan_removal(ctx: Context, names: Sequence[str]) -> UninstallPlan:
    """Find each named distribution and every file it owns; change nothing."""
    from spoke.app.install import select_scheme
    from spoke.env.installed import installed_distributions, read_metadata
    from spoke.installer import plan_uninstall

    interp: Interpreter = ctx.interpreter
    scheme = select_scheme(ctx, interp)
    installed = installed_distributions([scheme.purelib, scheme.platlib])
    roots = (interp.sys_prefix,)
    wanted: list[str] = []
    for raw in names:
        key = canonicalize_name(raw)
        if key not in wanted:
            wanted.append(key)
    missing = tuple(n for n in wanted if n not in installed)
    removing = {n for n in wanted if n in installed}
    dependents = _dependents(installed, removing, read_metadata, interp.markers)
    targets = []
    for name in wanted:
        dist = installed.get(name)
        if dist is None:
            continue
        paths = plan_uninstall(dist.dist_info, roots=roots)
        targets.append(UninstallTarget(dist=dist, paths=tuple(paths), required_by=tuple(dependents.get(name, ()))))
    return UninstallPlan(interpreter=interp, targets=tuple(targets), missing=missing, roots=roots)


def _dependents(installed, removing, read_metadata, markers) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """For each name being removed, the remaining installed distributions that require it."""
    out: dict[str, list[str]] = {}
    if not removing:
        return out
    env = {**markers, "extra": ""}
    for name, dist in installed.items():
        if name in removing:
            continue
        try:
            meta = read_metadata(dist)
        except Exception:  # noqa: BLE001 - a broken neighbour must not block an uninstall
            continue
        for req in meta.requires_dist:
            dep = canonicalize_name(req.name)
            if dep not in removing:
                continue
            try:
                applies = req.marker is None or req.marker.evaluate(dict(env))
            except Exception:  # noqa: BLE001
                applies = False
            if applies:
                out.setdefault(dep, []).append(dist.display_name)
    return out


def execute_removal(plan: UninstallPlan) -> list[UninstallTarget]:
    """Remove every planned distribution; return what was removed."""
    from spoke.installer import uninstall

    done = []
    for target in plan.targets:
        uninstall(target.dist.dist_info, roots=plan.roots)
        done.append(target)
    return done
