"""The last stage: one transaction that removes what the plan replaces and links in the new.

Distributions own disjoint files, so wheels are linked in concurrently, each as soon as it is
ready (a future from :func:`spoke.app.stages.prepare_plan`), in two lanes; if anything fails
(or the process dies), the environment goes back to exactly what it was.
"""

from __future__ import annotations

import functools
import json
import queue
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from spoke.app.context import Context
from spoke.models import Interpreter, Scheme
from spoke.plan.resolve import Plan, ResolvedPackage


def apply_plan(
    ctx: Context, interp: Interpreter, scheme: Scheme, plan: Plan, unpacked: Mapping[str, Any],
    *, link_mode: str = "auto", compile_bytecode: bool = False, on_prepared: Callable[[], None] | None = None,
) -> list[str]:
    """Remove replaced distributions, then link the new ones in; return the files written.

    ``unpacked`` maps each name to its unpacked wheel or a future of it: each is linked in as
    it is ready, and ``on_prepared`` is called once all are. One transaction: if anything
    fails (or the process dies), the environment goes back to exactly what it was.
    """
    from spoke.app.target import state_root
    from spoke.installer.transaction import Transaction

    roots = _roots(ctx, interp, scheme)
    was_requested: set[str] = {d.name for d in plan.remove if d.requested}
    txn = Transaction(root=state_root(ctx, interp), command=ctx.command_line).begin()
    try:
        written = _apply(ctx, interp, scheme, plan, unpacked, txn, roots, was_requested, link_mode, on_prepared)
        if compile_bytecode:
            from spoke.installer import compile_bytecode as compile_all

            compile_all([Path(p) for p in written if p.endswith(".py")], interp.executable)
        txn.commit()
    except BaseException:
        txn.abort()
        raise
    return written


def _apply(
    ctx: Context, interp: Interpreter, scheme: Scheme, plan: Plan, unpacked: Mapping[str, Any], txn: Any,
    roots: list[Path], was_requested: set[str], link_mode: str, on_prepared: Callable[[], None] | None,
) -> list[str]:
    import threading

    from spoke.env.installed import read_direct_url
    from spoke.installer import install_wheel, uninstall
    from spoke.installer.transaction import Change

    for dist in plan.remove:
        txn.removed.append(Change(name=dist.name, version=str(dist.version), direct_url=read_direct_url(dist)))
        uninstall(dist.dist_info, roots=roots, transaction=txn)
    for pkg in plan.install:
        txn.added.append(Change(name=pkg.name, version=str(pkg.version),
                                direct_url=pkg.direct.direct_url if pkg.direct is not None else None))
    # Distributions own disjoint files, so they are linked in concurrently as their wheels are
    # ready, but in two lanes only: link and mkdir on one filesystem contend in the kernel, and
    # sixteen threads took four times as long as one here (6,400 files: 1.1 s against 0.25 s).
    ready: queue.Queue[tuple[ResolvedPackage, Future[Any]]] = queue.Queue()
    for pkg in plan.install:
        job = unpacked[pkg.name]
        if not isinstance(job, Future):
            job = Future()
            job.set_result(unpacked[pkg.name])
        job.add_done_callback(functools.partial(_arrived, ready, pkg))
    lock = threading.Lock()
    taken = [0]
    failures: list[BaseException] = []

    def install_ready() -> list[str]:
        paths: list[str] = []
        while True:
            with lock:  # each lane claims an arrival before waiting for it: all are taken once
                if taken[0] == len(plan.install):
                    return paths
                taken[0] += 1
                last = taken[0] == len(plan.install)
            pkg, done = ready.get()
            if last and on_prepared is not None:
                on_prepared()
            if failures:
                continue  # after a failure, only wait for the other jobs to end
            try:
                paths.extend(install_wheel(
                    done.result(), scheme=scheme, interpreter_path=interp.executable,
                    requested=pkg.requested or pkg.name in was_requested, link_mode=link_mode,
                    direct_url=json.dumps(pkg.direct.direct_url, sort_keys=True) if pkg.direct is not None else None,
                    transaction=txn,
                ).paths)
            except BaseException as exc:  # noqa: BLE001 - raised below, once every job has ended
                failures.append(exc)

    lanes = [ctx.executor.submit(install_ready) for _ in range(min(_INSTALL_LANES, len(plan.install)))]
    written: list[str] = []
    for lane in lanes:
        written.extend(lane.result())
    if not plan.install and on_prepared is not None:
        on_prepared()
    if failures:
        raise failures[0]
    return written


#: Threads that link distributions into the target at once (see :func:`_apply`).
_INSTALL_LANES = 2


def _arrived(ready: queue.Queue[tuple[ResolvedPackage, Future[Any]]], pkg: ResolvedPackage, done: Future[Any]) -> None:
    """A wheel is ready (or failed): the next free lane takes it."""
    ready.put((pkg, done))


def _roots(ctx: Context, interp: Interpreter, scheme: Scheme) -> list[Path]:
    roots = [interp.sys_prefix]
    t = ctx.target_settings
    if t.target is not None:
        roots.append(t.target)
    if t.prefix is not None:
        roots.append(t.prefix)
    if t.root is not None:
        roots.append(t.root)
    if t.user and interp.user_scheme is not None:
        roots += [interp.user_scheme.purelib, interp.user_scheme.scripts, interp.user_scheme.data]
    return roots
