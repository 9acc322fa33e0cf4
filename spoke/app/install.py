"""``spoke install`` as a list of stages (:mod:`spoke.app.stages`): target → policy →
resolved → plan → prepared → applied.

Returns values (:class:`InstallOutcome`); the CLI renders them. An install whose requests
the installed set already satisfies is answered by the solver from installed metadata alone:
no index page is fetched, no HTTP client is even created. :class:`BuildEnvironments` is the
one :class:`~spoke.protocols.BuildContext`: building a source installs its build requirements
through these same stages.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from spoke.app.context import Context
from spoke.app.noop import EnvironmentState, observe_environment
from spoke.app.requests import InstallRequest
from spoke.app.target import check_target_allowed, check_writable, installed_paths, select_scheme
from spoke.models import Interpreter
from spoke.plan.resolve import Plan, Resolution

if TYPE_CHECKING:
    from spoke.app.sources import SourceBuilder
    from spoke.app.stages import TargetState
    from spoke.app.upgrade import HeldBack


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallOutcome:
    """What an install did (or, with ``--dry-run``, would do)."""

    interpreter: Interpreter
    resolution: Resolution
    plan: Plan
    dry_run: bool
    timings: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    held_back: tuple[HeldBack, ...] = ()  # with --upgrade-all
    # The installed set as this install left it, observed while the environment's lock was still
    # held (None with --dry-run): what a no-op record may vouch for (spoke.app.noop).
    environment: EnvironmentState | None = None


@dataclass(frozen=True, slots=True)
class BuildEnvironments:
    """The one :class:`~spoke.protocols.BuildContext`: build requirements are installed by
    install's own stages, in a context sharing this command's services
    (:meth:`Context.for_build_env`)."""

    ctx: Context

    def install_build_requirements(
        self, python: Path, requirements: Sequence[str], *, label: str, stack: tuple[str, ...],
    ) -> None:
        """Install ``requirements`` into ``python``'s environment; a failure says whose build
        needed what, then why the requirement could not be had."""
        from spoke.errors import BuildError, SpokeError
        from spoke.reqs import parse_requirement

        reqs = tuple(parse_requirement(r, source=f"build requirements of {label}") for r in requirements)
        self.ctx.reporter.debug(f"Installing build requirements of {label}: {', '.join(requirements)}")
        child = self.ctx.for_build_env(python, build_stack=stack)
        try:
            run_install(child, InstallRequest(requirements=reqs))
        except BuildError:
            raise
        except SpokeError as exc:
            raise BuildError(
                f"Cannot install the build requirements of {label} ({', '.join(requirements)}): "
                f"{exc.message}",
                notes=exc.notes, hint=exc.hint,
            ) from exc
        finally:
            child.close()


def _breakage(request: InstallRequest, target: TargetState, plan: Plan) -> tuple[str, ...]:
    """Refuse a plan that breaks an installed package it leaves alone (pip installs it and
    says so afterwards); with ``--no-deps`` or a sync, where the user gives the whole set, the
    breakage is a warning instead. Nothing has changed when this raises."""
    import shlex

    from spoke.app.check import broken_by
    from spoke.errors import ResolutionImpossible

    broken = broken_by(target.installed, {p.name: p.version for p in plan.install}, target.interpreter.markers)
    if not broken:
        return ()
    if request.no_deps or request.remove:
        return tuple(f"{line}: `spoke check` will report it" for line in broken)
    dependents = list(dict.fromkeys(line.split(" ", 1)[0] for line in broken))
    asked = [r.text for r in request.requirements]
    joint = " ".join(shlex.quote(t) for t in [*asked, *dependents])
    raise ResolutionImpossible(
        f"This install would break what is installed: {broken[0]}"
        + (f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""),
        notes=broken[1:],
        hint=f"Resolve them together: `spoke install {joint}` (it moves {', '.join(dependents)} to a version "
             f"that fits, if one exists), or uninstall {', '.join(dependents)} first.",
    )


def run_install(ctx: Context, request: InstallRequest) -> InstallOutcome:
    """Resolve, plan and (unless dry-run) carry out an install, under the environment's lock."""
    from contextlib import nullcontext

    from spoke.app.sources import SourceBuilder
    from spoke.app.stages import hashes_by_name
    from spoke.app.target import recover_interrupted, state_root
    from spoke.installer.transaction import environment_lock

    interp: Interpreter = ctx.interpreter
    sources = SourceBuilder(
        ctx, interp, isolation=request.build_isolation, config_settings=request.config_settings,
        hashes=hashes_by_name(request) if request.require_hashes else None, src_dir=request.src_dir,
        per_name_settings={
            canonicalize_name(r.requirement.name): r.config_settings
            for r in request.requirements if r.requirement is not None and r.config_settings
        },
        build_context=BuildEnvironments(ctx),
    )
    # One spoke process changes an environment at a time: a second waits here, then sees
    # what the first installed.
    if not request.dry_run:  # before the lock, which is a file in the environment too
        check_target_allowed(ctx, interp)  # (its reasons come first: a system Python, PEP 668)
        check_writable(select_scheme(ctx, interp), user=ctx.target_settings.user)
    lock = nullcontext() if request.dry_run else environment_lock(state_root(ctx, interp))
    try:
        with lock:
            recover_interrupted(ctx, interp, locked=not request.dry_run)
            outcome = _stages(ctx, request, sources)
            if request.dry_run:
                return outcome
            # Observed before the lock is released: afterwards another process may change the
            # environment, and a later look would vouch for a state this install never saw.
            return replace(outcome, environment=observe_environment(
                installed_paths(ctx, interp, select_scheme(ctx, interp))))
    finally:
        sources.close()


def _stages(ctx: Context, request: InstallRequest, sources: SourceBuilder) -> InstallOutcome:
    """install's stage list: every stage, in order."""
    from spoke.app.apply import apply_plan
    from spoke.app.stages import (
        check_plan,
        inspect_target,
        make_policy,
        plan_changes,
        prepare_plan,
        resolve_request,
    )

    started = time.perf_counter()
    target = inspect_target(ctx, request)
    policy = make_policy(ctx, request, target, sources)
    resolved = resolve_request(ctx, request, target, policy, sources,
                               fetch_early=not (request.dry_run or request.require_hashes or request.audit))
    plan = plan_changes(request, target, resolved.resolution)
    warnings = resolved.warnings + check_plan(request, plan, policy)
    warnings += _breakage(request, target, plan)
    if request.audit is not None:
        from spoke.app.audit import refuse_vulnerable

        refuse_vulnerable(ctx, request.audit, plan)
    timings = {"resolve": time.perf_counter() - started}
    outcome = InstallOutcome(
        interpreter=target.interpreter, resolution=resolved.resolution, plan=plan, dry_run=request.dry_run,
        timings=timings, warnings=warnings, held_back=resolved.held_back,
    )
    if request.dry_run or plan.empty:
        return outcome
    prepared = prepare_plan(ctx, request, plan, sources)
    all_prepared: list[float] = []

    def on_prepared() -> None:
        all_prepared.append(time.perf_counter())
        ctx.reporter.phase_done("download", f"Prepared {prepared.wheels} packages")
        ctx.reporter.phase("install")

    apply_plan(ctx, target.interpreter, target.scheme, plan, prepared.unpacked, link_mode=request.link_mode,
               compile_bytecode=request.compile, on_prepared=on_prepared)
    ctx.reporter.phase_done("install", f"Installed {len(plan.install)} packages")
    return replace(outcome, timings={
        **timings,
        "prepare": all_prepared[0] - prepared.started,
        "install": time.perf_counter() - all_prepared[0],
    })
