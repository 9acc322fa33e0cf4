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
    unused: tuple[str, ...] = ()
    """Targets added because nothing else needs them (``--with-unused-deps``, ``autoremove``)."""
    state: Path | None = None
    """The target's state folder root (journal, history, lock); see spoke.installer.transaction."""
    command: str = ""


KEPT_BY_AUTOREMOVE = ("pip", "setuptools", "wheel", "distribute")
"""The installer's own seed packages: ``autoremove`` never takes them (pip's freeze hides them too)."""


def plan_removal(ctx: Context, names: Sequence[str], *, with_unused_deps: bool = False) -> UninstallPlan:
    """Find each named distribution and every file it owns; change nothing.

    ``with_unused_deps`` adds the dependencies of ``names`` that nothing else requires and
    that were not REQUESTED (see :func:`spoke.app.graph.unused_after_removing`).
    """
    from spoke.app.graph import read_graph, unused_after_removing

    interp: Interpreter = ctx.interpreter
    installed = _installed(ctx, interp)
    unused: tuple[str, ...] = ()
    if with_unused_deps:
        graph = read_graph(installed, interp.markers)
        unused = unused_after_removing(graph, names)
    return _with_state(ctx, interp, _plan(interp, installed, [*names, *unused], unused))


def _with_state(ctx: Context, interp: Interpreter, plan: UninstallPlan) -> UninstallPlan:
    from dataclasses import replace

    from spoke.app.target import state_root

    return replace(plan, state=state_root(ctx, interp), command=ctx.command_line)


def plan_autoremove(ctx: Context) -> UninstallPlan:
    """Every distribution nothing needs: not REQUESTED, not a seed package, and not required
    (transitively) by one that is. Changes nothing."""
    from spoke.app.graph import read_graph, unused

    interp: Interpreter = ctx.interpreter
    installed = _installed(ctx, interp)
    graph = read_graph(installed, interp.markers)
    names = unused(graph, keep=KEPT_BY_AUTOREMOVE)
    return _with_state(ctx, interp, _plan(interp, installed, names, names))


def _installed(ctx: Context, interp: Interpreter):  # type: ignore[no-untyped-def]
    from spoke.app.target import recover_interrupted, select_scheme
    from spoke.env.installed import installed_distributions

    recover_interrupted(ctx, interp)

    scheme = select_scheme(ctx, interp)
    return installed_distributions([scheme.purelib, scheme.platlib])


def _plan(interp: Interpreter, installed, names: Sequence[str], unused: Sequence[str]) -> UninstallPlan:  # type: ignore[no-untyped-def]
    from spoke.env.installed import read_metadata
    from spoke.installer import plan_uninstall

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
    return UninstallPlan(interpreter=interp, targets=tuple(targets), missing=missing, roots=roots,
                         unused=tuple(unused))


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
    """Remove every planned distribution, as one transaction; return what was removed."""
    from spoke.env.installed import read_direct_url
    from spoke.installer import uninstall
    from spoke.installer.transaction import Change, Transaction, environment_lock

    if plan.state is None:  # pragma: no cover - plans always carry it
        raise ValueError("an uninstall plan without its state folder")
    done = []
    with environment_lock(plan.state):
        txn = Transaction(root=plan.state, command=plan.command).begin()
        try:
            for target in plan.targets:
                if not target.dist.dist_info.exists():
                    continue  # removed meanwhile by another process
                txn.removed.append(Change(name=target.dist.name, version=str(target.dist.version),
                                          direct_url=read_direct_url(target.dist)))
                uninstall(target.dist.dist_info, roots=plan.roots, transaction=txn)
                done.append(target)
            txn.commit()
        except BaseException:
            txn.abort()
            raise
    return done

