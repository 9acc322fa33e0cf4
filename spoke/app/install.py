"""The install operation, end to end: request → resolve → plan → prepare → install.

Returns values (:class:`InstallOutcome`); the CLI renders them. An install whose requests
the installed set already satisfies is answered by the solver from installed metadata alone:
no index page is fetched, no HTTP client is even created.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from spoke.app.context import Context
from spoke.app.noop import EnvironmentState, observe_environment
from spoke.app.target import check_target_allowed, installed_paths, select_scheme
from spoke.errors import RequirementError
from spoke.models import InstalledDist, Interpreter, Scheme
from spoke.plan.resolve import Plan, Resolution, ResolvedPackage
from spoke.reqs import UserRequirement


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallRequest:
    """Everything ``spoke install`` was asked to do."""

    requirements: tuple[UserRequirement, ...]
    constraints: tuple[UserRequirement, ...] = ()
    upgrade: bool = False
    upgrade_strategy: str = "only-if-needed"
    force_reinstall: bool = False
    ignore_installed: bool = False
    no_deps: bool = False
    pre: bool = False
    dry_run: bool = False
    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False
    require_hashes: bool = False
    link_mode: str = "auto"
    compile: bool = False
    report: str | None = None
    upgrade_all: bool = False  # one joint resolution over everything installed (spoke.app.upgrade)
    build_isolation: bool = True
    remove: tuple[str, ...] = ()  # also uninstall these, in the same transaction (rollback)
    config_settings: tuple[str, ...] = ()
    src_dir: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallOutcome:
    """What an install did (or, with ``--dry-run``, would do)."""

    interpreter: Interpreter
    resolution: Resolution
    plan: Plan
    dry_run: bool
    timings: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()
    held_back: tuple[Any, ...] = ()  # spoke.app.upgrade.HeldBack, with --upgrade-all
    # The installed set as this install left it, observed while the environment's lock was still
    # held (None with --dry-run): what a no-op record may vouch for (spoke.app.noop).
    environment: EnvironmentState | None = None


class _Lazy:
    """Builds a service on first attribute access (keeps no-op installs off the network)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._obj: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._obj is None:
            self._obj = self._factory()
        return getattr(self._obj, name)


def _requirements(req_list: Sequence[UserRequirement]) -> list[Requirement]:
    """The name requirements among ``req_list`` (direct sources are handled apart)."""
    return [item.requirement for item in req_list if item.requirement is not None and not item.requirement.url]


def _direct_sources(ctx: Context, items: Sequence[UserRequirement], markers: dict[str, str]) -> list[Any]:
    """The URL, path and VCS requests whose markers apply to the target."""
    from spoke.reqs.direct import direct_source

    out = []
    for item in items:
        source = direct_source(item, ctx.target_settings.cwd)
        if source is None:
            continue
        if source.marker is not None and not source.marker.evaluate({**markers, "extra": ""}):
            continue
        out.append(source)
    return out


def _direct_roots(candidates: Sequence[Any]) -> list[Requirement]:
    """Root requirements pinning each direct candidate to its one version (with its extras)."""
    return [
        Requirement(f"{c.name}{'[' + ','.join(c.source.extras) + ']' if c.source.extras else ''}=={c.version}")
        for c in candidates
    ]


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


def run_install(ctx: Context, request: InstallRequest) -> InstallOutcome:
    """Resolve, plan and (unless dry-run) carry out an install."""
    from contextlib import nullcontext

    from spoke.app.sources import SourceBuilder
    from spoke.app.target import recover_interrupted, state_root
    from spoke.installer.transaction import environment_lock

    interp: Interpreter = ctx.interpreter
    sources = SourceBuilder(
        ctx, interp, isolation=request.build_isolation, config_settings=request.config_settings,
        hashes=_hashes_by_name(request) if request.require_hashes else None, src_dir=request.src_dir,
        per_name_settings={
            canonicalize_name(r.requirement.name): r.config_settings
            for r in request.requirements if r.requirement is not None and r.config_settings
        },
        build_context=BuildEnvironments(ctx),
    )
    # One spoke process changes an environment at a time: a second waits here, then sees
    # what the first installed.
    lock = nullcontext() if request.dry_run else environment_lock(state_root(ctx, interp))
    try:
        with lock:
            recover_interrupted(ctx, interp, locked=not request.dry_run)
            outcome = _run_install(ctx, request, sources)
            if request.dry_run:
                return outcome
            # Observed before the lock is released: afterwards another process may change the
            # environment, and a later look would vouch for a state this install never saw.
            return replace(outcome, environment=observe_environment(
                installed_paths(ctx, interp, select_scheme(ctx, interp))))
    finally:
        sources.close()


def _run_install(ctx: Context, request: InstallRequest, sources: Any) -> InstallOutcome:
    from packaging.version import Version

    from spoke.app.sources import materialize_all
    from spoke.env.installed import installed_distributions, read_metadata
    from spoke.plan.candidates import FilePolicy
    from spoke.plan.provider import PackageProvider, ResolvePolicy
    from spoke.plan.resolve import make_plan, resolve

    timings: dict[str, float] = {}
    warnings: list[str] = []
    t0 = time.perf_counter()
    interp: Interpreter = ctx.interpreter
    check_target_allowed(ctx, interp)
    if request.upgrade_all and (ctx.target_settings.target is not None or request.ignore_installed):
        from spoke.errors import SpokeError

        raise SpokeError(
            "--upgrade-all upgrades what is installed, so it cannot be combined with "
            + ("--target" if ctx.target_settings.target is not None else "--ignore-installed"),
            hint="Drop one of the two options.",
        )
    scheme = select_scheme(ctx, interp)
    if ctx.target_settings.target is not None:
        installed: dict[str, InstalledDist] = {}  # pip installs into --target afresh
        target_existing = installed_distributions([scheme.purelib])
    else:
        installed = installed_distributions(installed_paths(ctx, interp, scheme))
        target_existing = installed
    requirements = _requirements(request.requirements)
    constraints = _requirements(request.constraints)
    direct_sources = _direct_sources(ctx, request.requirements, interp.markers)
    if request.require_hashes:
        _check_hash_mode(request, direct_sources)
    # URL, path and VCS requests are looked at first: their names and versions are only known
    # from their metadata. Constraints given as URLs apply when something needs that project.
    direct_roots = materialize_all(sources, direct_sources)
    direct = {c.name: c for c in [
        *materialize_all(sources, _direct_sources(ctx, request.constraints, interp.markers)), *direct_roots]}
    requirements = [*requirements, *_direct_roots(direct_roots)]
    requested = {canonicalize_name(r.name) for r in requirements}
    user_requirements = requirements
    fixed: frozenset[str] = frozenset()
    if request.upgrade_all:
        from spoke.app.upgrade import left_in_place, upgrade_roots

        fixed = frozenset(name for name, dist in installed.items() if left_in_place(dist))
        requirements = [*requirements, *upgrade_roots(installed, named=requested, fixed=fixed)]
        ctx.index.prefetch(name for name in installed if name not in fixed)
    constraint_ranges: dict[str, Any] = {}
    for c in constraints:
        name = canonicalize_name(c.name)
        rng = c.specifier.to_range() if str(c.specifier) else None
        if rng is not None:
            constraint_ranges[name] = constraint_ranges[name] & rng if name in constraint_ranges else rng
    pinned = frozenset(
        canonicalize_name(r.name) for r in requirements
        if any(s.operator in ("==", "===") and "*" not in s.version for s in r.specifier)
    )
    allow_pre = frozenset(
        canonicalize_name(r.name) for r in [*requirements, *constraints] if r.specifier.prereleases
    )
    eager = request.upgrade and request.upgrade_strategy == "eager"
    policy = ResolvePolicy(
        pre=request.pre,
        upgrade=requested if request.upgrade else frozenset(),
        upgrade_all=eager,
        ignore_installed=request.ignore_installed,
        no_deps=request.no_deps,
        allow_prerelease=allow_pre,
        pinned=pinned,
        constraints=constraint_ranges,
        upgrade_installed=request.upgrade_all,
        fixed=fixed,
    )
    files_policy = FilePolicy(
        tags={tag: i for i, tag in enumerate(interp.tags)},
        python_version=Version(interp.python_full_version.split("+")[0]),
        no_binary=request.no_binary,
        only_binary=request.only_binary,
        prefer_binary=request.prefer_binary,
    )
    provider = PackageProvider(
        index=_Lazy(lambda: ctx.index),
        metadata=_Lazy(lambda: ctx.metadata),
        files_policy=files_policy,
        markers=interp.markers,
        installed=installed,
        read_installed_metadata=read_metadata,
        policy=policy,
        executor=_Lazy(lambda: ctx.executor),  # type: ignore[arg-type]
        warn=warnings.append,
        on_choice=None if (request.dry_run or request.require_hashes) else _fetch_early(ctx),
        direct=direct,
        sdist_metadata=sources.sdist_metadata,
    )
    ctx.reporter.phase("resolve")
    resolution = resolve(requirements, provider, force_reinstall=request.force_reinstall)
    timings["resolve"] = time.perf_counter() - t0
    ctx.reporter.phase_done("resolve", f"Resolved {len(resolution)} packages")
    held: tuple[Any, ...] = ()
    if request.upgrade_all:
        resolution, held = _upgrade_all_results(
            resolution, provider, installed, fixed, interp, requested, [*user_requirements, *constraints]
        )
    plan = make_plan(
        resolution, installed, force_reinstall=request.force_reinstall,
    )
    if ctx.target_settings.target is not None:
        plan = Plan(install=plan.install, remove=tuple(
            target_existing[p.name] for p in plan.install if p.name in target_existing
        ), keep=plan.keep)
    if request.ignore_installed:
        plan = Plan(install=plan.install, remove=tuple(
            target_existing[p.name] for p in plan.install if p.name in target_existing
        ), keep=plan.keep)
    if request.remove:
        dropping = tuple(installed[canonicalize_name(n)] for n in request.remove if canonicalize_name(n) in installed)
        plan = Plan(install=plan.install, remove=plan.remove + tuple(d for d in dropping if d not in plan.remove),
                    keep=tuple(d for d in plan.keep if d not in dropping))
    for pkg in plan.install:
        if pkg.yanked and pkg.file is not None:
            reason = pkg.file.yanked.reason if pkg.file.yanked else ""
            warnings.append(
                f"{pkg.name} {pkg.version} was yanked" + (f" (reason: {reason})" if reason else "")
            )
    if request.require_hashes:
        _check_hashes_cover(request, plan, direct)
    report = build_report(interp, plan) if request.report else None
    if request.dry_run or plan.empty:
        return InstallOutcome(
            interpreter=interp, resolution=resolution, plan=plan, dry_run=request.dry_run,
            timings=timings, report=report, warnings=tuple(warnings), held_back=held,
        )
    t1 = time.perf_counter()
    ctx.reporter.phase("download")
    hashes = _hashes_by_name(request) if request.require_hashes else None
    from spoke.prepare import gather, start_all
    from spoke.prepare.unpack import unpack_wheel

    files = [p.file for p in plan.install if p.file is not None and p.direct is None and p.file.is_wheel]
    if not request.require_hashes:
        for file in files:
            ctx.prepare_early(file)  # downloads run while sources build
    unpacked: dict[str, Any] = {}
    for pkg in plan.install:
        if pkg.direct is not None:
            unpacked[pkg.name] = unpack_wheel(sources.direct_wheel(pkg.direct), cache=ctx.cache)
        elif pkg.file is not None and not pkg.file.is_wheel:
            unpacked[pkg.name] = unpack_wheel(sources.sdist_wheel(pkg.file), cache=ctx.cache)
    jobs = start_all(files, start=lambda f, allowed: ctx.start_prepare(f, allowed_hashes=allowed),
                     hashes=hashes, started=ctx.early_jobs)
    if plan.remove:
        # Nothing is removed before every replacement is at hand.
        unpacked.update(gather(jobs))
    else:
        # A plan that only adds installs each wheel as it is ready, while the last ones are
        # still downloading (a failure rolls every addition back).
        unpacked.update(jobs)
    prepared: list[float] = []

    def all_prepared() -> None:
        prepared.append(time.perf_counter())
        ctx.reporter.phase_done("download", f"Prepared {len(files)} packages")
        ctx.reporter.phase("install")

    apply_plan(ctx, interp, scheme, plan, unpacked, link_mode=request.link_mode, compile_bytecode=request.compile,
               on_prepared=all_prepared)
    timings["prepare"] = prepared[0] - t1
    timings["install"] = time.perf_counter() - prepared[0]
    ctx.reporter.phase_done("install", f"Installed {len(plan.install)} packages")
    return InstallOutcome(
        interpreter=interp, resolution=resolution, plan=plan, dry_run=False, timings=timings,
        report=report, warnings=tuple(warnings), held_back=held,
    )


def _upgrade_all_results(
    resolution: Resolution, provider: Any, installed: dict[str, InstalledDist], fixed: frozenset[str],
    interp: Interpreter, named: set[str], roots: Sequence[Requirement],
) -> tuple[Resolution, tuple[Any, ...]]:
    """Only what the user named counts as requested; and what was held back, and why."""
    from dataclasses import replace

    from spoke.app.upgrade import Chosen, held_back

    resolution = Resolution(packages=tuple(
        replace(p, requested=p.name in named) for p in resolution.packages
    ))
    chosen = {
        p.name: Chosen(version=p.version, metadata=p.metadata or provider.metadata_of.get((p.name, p.version)),
                       extras=p.extras)
        for p in resolution.packages
    }
    newest = {}
    for name in installed:
        if name not in fixed:
            version = provider.newest_usable(name)
            if version is not None:
                newest[name] = version
    held = held_back(
        {n: d for n, d in installed.items() if n not in fixed}, chosen, newest,
        markers=interp.markers, roots=roots,
    )
    return resolution, tuple(held)


def _fetch_early(ctx: Context) -> Callable[[Any], None]:
    """Start fetching a large wheel as soon as the solver picks it (downloads overlap solving).

    Small wheels need no help: they are fetched whole, and unpacked, for their metadata.
    """
    from spoke.metadata.fetcher import WHOLE_FILE_SIZE

    def on_choice(file: Any) -> None:
        if file.size is None or file.size > WHOLE_FILE_SIZE:
            ctx.prepare_early(file)

    return on_choice


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
    was_requested = {d.name for d in plan.remove if d.requested}
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
    import queue
    import threading
    from concurrent.futures import Future

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
    ready: queue.Queue[tuple[Any, Future[Any]]] = queue.Queue()
    for pkg in plan.install:
        job = unpacked[pkg.name]
        if not isinstance(job, Future):
            job = Future()
            job.set_result(unpacked[pkg.name])
        job.add_done_callback(lambda done, pkg=pkg: ready.put((pkg, done)))
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


def _check_hash_mode(request: InstallRequest, direct_sources: Sequence[Any]) -> None:
    """pip's hash-checking mode: every requirement pinned (or an archive URL) and hashed."""
    for source in direct_sources:
        if source.kind in ("dir", "vcs"):
            what = "a version control repository" if source.kind == "vcs" else "a folder"
            raise RequirementError(
                f"In --require-hashes mode, `{source.text}` cannot be checked: it is {what} "
                f"({source.origin})",
                hint="Point at a wheel or source archive with its --hash, or turn hash checking off.",
            )
        if not source.hashes:
            raise RequirementError(
                f"In --require-hashes mode, every requirement needs a --hash: `{source.text}` "
                f"({source.origin})",
                hint="Add `--hash=sha256:<digest>` after the requirement.",
            )
    for item in request.requirements:
        req = item.requirement
        if req is None or req.url:
            continue
        pinned = len(req.specifier) == 1 and next(iter(req.specifier)).operator in ("==", "===")
        if not pinned:
            raise RequirementError(
                f"In --require-hashes mode, every requirement must be pinned with ==: `{item.text}` "
                f"({item.source})",
                hint="Pin it (`name==1.2.3`) and add its --hash, e.g. with `spoke compile`.",
            )
        if not item.hashes:
            raise RequirementError(
                f"In --require-hashes mode, every requirement needs a --hash: `{item.text}` ({item.source})",
                hint="Add `--hash=sha256:<digest>` after the requirement.",
            )


def _hashes_by_name(request: InstallRequest) -> dict[str, tuple[str, ...]]:
    """The user's ``--hash`` values by project name (requirements and constraints)."""
    out: dict[str, tuple[str, ...]] = {}
    for item in [*request.constraints, *request.requirements]:
        if item.requirement is not None and item.hashes:
            name = canonicalize_name(item.requirement.name)
            out[name] = tuple(dict.fromkeys([*out.get(name, ()), *item.hashes]))
    return out


def _check_hashes_cover(request: InstallRequest, plan: Plan, direct: dict[str, Any]) -> None:
    """In hash-checking mode every package to install, dependencies too, must carry a hash."""
    hashed = set(_hashes_by_name(request)) | {name for name, c in direct.items() if c.source.hashes}
    missing = [p for p in plan.install if p.name not in hashed]
    if not missing:
        return
    lines = []
    for pkg in missing:
        sha = pkg.file.sha256 if pkg.file is not None else None
        lines.append(f"{pkg.name}=={pkg.version}" + (f" --hash=sha256:{sha}" if sha else ""))
    raise RequirementError(
        "In --require-hashes mode, every package must be pinned with a hash, and "
        f"{len(missing)} dependenc{'y is' if len(missing) == 1 else 'ies are'} not: "
        + ", ".join(f"{p.name} {p.version}" for p in missing),
        notes=lines,
        hint="Add these lines (hashes as the index gives them; check them) to your requirements.",
    )


def build_report(interp: Interpreter, plan: Plan) -> dict[str, Any]:
    """pip's installation report (format version 1) for the packages the plan installs."""
    import spoke

    entries = []
    for pkg in plan.install:
        entries.append(_report_entry(pkg))
    return {
        "version": "1",
        "pip_version": f"spoke-{spoke.__version__}",
        "install": entries,
        "environment": dict(interp.markers),
    }


def _report_entry(pkg: ResolvedPackage) -> dict[str, Any]:
    file = pkg.file
    meta = pkg.metadata
    metadata: dict[str, Any] = {"metadata_version": "2.1", "name": meta.display_name if meta else pkg.name,
                                "version": str(pkg.version)}
    if meta is not None:
        if meta.summary:
            metadata["summary"] = meta.summary
        if meta.requires_dist:
            metadata["requires_dist"] = [str(r) for r in meta.requires_dist]
        if meta.requires_python:
            metadata["requires_python"] = meta.requires_python
        if meta.provides_extra:
            metadata["provides_extra"] = list(meta.provides_extra)
    download: dict[str, Any] = {"url": _redact(file.url) if file else ""}
    if pkg.direct is not None:
        download = dict(pkg.direct.direct_url)
        download["url"] = _redact(download["url"])
    elif file is not None:
        hashes = dict(file.hashes)
        download["archive_info"] = {"hashes": hashes} if hashes else {}
        if "sha256" in hashes:
            download["archive_info"]["hash"] = f"sha256={hashes['sha256']}"
    return {
        "download_info": download,
        "is_direct": pkg.direct is not None,
        "is_yanked": pkg.yanked,
        "requested": pkg.requested,
        "requested_extras": list(pkg.extras) if pkg.requested else [],
        "metadata": metadata,
    }


def _redact(url: str) -> str:
    from spoke.net.redact import redact_url

    return redact_url(url)


def write_report(report: dict[str, Any], destination: str) -> str | None:
    """Write the report to a file; return the JSON text instead when the destination is ``-``."""
    text = json.dumps(report, indent=2, sort_keys=False) + "\n"
    if destination == "-":
        return text
    from spoke.cache import write_atomic

    write_atomic(Path(destination), text.encode("utf-8"))
    return None
