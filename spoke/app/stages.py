"""The stages every installing command runs, each taking values and returning a frozen one.

    request ─▶ target ─▶ policy ─▶ resolved ─▶ plan ─▶ prepared ─▶ applied
                 │          │          │          │         │           │
     inspect_target  make_policy  resolve_request  plan_changes  prepare_plan  apply_plan

* :func:`inspect_target`: the interpreter, the scheme written to and the installed set
  (:class:`TargetState`); refuses a target it may not write to.
* :func:`make_policy`: the solver's roots (names, pinned direct sources looked at, the
  upgrade-all roots) and the policies steering it (:class:`Policy`).
* :func:`resolve_request`: the solver's answer (:class:`Resolved`), with what
  ``--upgrade-all`` held back and why.
* :func:`plan_changes`: what changes against the installed set, in one pass folding
  ``--target``, ``--ignore-installed`` and requested removals (pure).
* :func:`prepare_plan`: a wheel (or a future of one) for every package to install.
* :func:`spoke.app.apply.apply_plan`: the transaction that links them in.

``spoke install`` runs them all (:func:`spoke.app.install.run_install`); a command that stops
earlier (``download`` after *prepared*, ``compile`` after *resolved*) runs a prefix. The
request type of each command is its own frozen dataclass, built once by the CLI from the
settings; a stage reads only the fields it needs, through the small protocols below.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from spoke.app.context import Context
from spoke.app.target import check_target_allowed, installed_paths, select_scheme
from spoke.errors import RequirementError, SpokeError
from spoke.models import IndexFile, InstalledDist, Interpreter, Scheme, UnpackedWheel
from spoke.models.direct import DirectCandidate, DirectSource
from spoke.plan.resolve import Plan, Resolution
from spoke.reqs import UserRequirement

if TYPE_CHECKING:
    from packaging.version import Version

    from spoke.app.sources import SourceBuilder
    from spoke.app.upgrade import HeldBack
    from spoke.env.foreign import ForeignTarget
    from spoke.plan.candidates import FilePolicy
    from spoke.plan.markerset import MarkerSet
    from spoke.plan.provider import PackageProvider, ResolvePolicy
    from spoke.plan.universal import UniversalResolution


class ResolveRequest(Protocol):
    """What the target, policy and resolve stages read of a command's request."""

    @property
    def requirements(self) -> tuple[UserRequirement, ...]: ...
    @property
    def constraints(self) -> tuple[UserRequirement, ...]: ...
    @property
    def upgrade(self) -> bool: ...
    @property
    def upgrade_strategy(self) -> str: ...
    @property
    def upgrade_all(self) -> bool: ...
    @property
    def force_reinstall(self) -> bool: ...
    @property
    def ignore_installed(self) -> bool: ...
    @property
    def no_deps(self) -> bool: ...
    @property
    def pre(self) -> bool: ...
    @property
    def no_binary(self) -> frozenset[str]: ...
    @property
    def only_binary(self) -> frozenset[str]: ...
    @property
    def prefer_binary(self) -> bool: ...
    @property
    def require_hashes(self) -> bool: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def remove(self) -> tuple[str, ...]: ...
    @property
    def foreign(self) -> ForeignTarget | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetState:
    """The target as the command found it.

    ``installed`` is what counts for resolving (nothing with ``--target``, which pip fills
    afresh); ``existing`` is what sits where the install writes (replaced when reinstalled).
    """

    interpreter: Interpreter
    scheme: Scheme
    installed: Mapping[str, InstalledDist]  # by normalized name
    existing: Mapping[str, InstalledDist]
    into_folder: bool = False  # --target


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """The solver's roots and the policies that steer it."""

    roots: tuple[Requirement, ...]  # what the solver starts from
    named: frozenset[str]  # the projects the user asked for (by name or by source)
    user_roots: tuple[Requirement, ...]  # requirements and constraints as written (held-back reasons)
    direct: Mapping[str, DirectCandidate]  # URL, path and VCS sources, looked at, by name
    resolve: ResolvePolicy
    files: FilePolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """The solver's answer, and what it noticed on the way."""

    resolution: Resolution
    held_back: tuple[HeldBack, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """A wheel for each package to install: unpacked, or a future of it (in arrival order)."""

    unpacked: Mapping[str, UnpackedWheel | Future[UnpackedWheel]]
    wheels: int = 0  # how many come from an index (downloaded or cached)
    started: float = field(default_factory=time.perf_counter)


# -- target ---------------------------------------------------------------------------------


def inspect_target(ctx: Context, request: ResolveRequest) -> TargetState:
    """The interpreter, its scheme and installed set; refuses a target it may not write to."""
    from spoke.env.installed import installed_distributions

    interp: Interpreter = ctx.interpreter
    check_target_allowed(ctx, interp)
    into_folder = ctx.target_settings.target is not None
    if request.upgrade_all and (into_folder or request.ignore_installed):
        raise SpokeError(
            "--upgrade-all upgrades what is installed, so it cannot be combined with "
            + ("--target" if into_folder else "--ignore-installed"),
            hint="Drop one of the two options.",
        )
    scheme = select_scheme(ctx, interp)
    if request.foreign is not None and request.foreign.given:
        from spoke.env.foreign import foreign_interpreter

        interp = foreign_interpreter(interp, request.foreign)  # its tags and markers; same executable
    if into_folder:
        existing = installed_distributions([scheme.purelib])
        return TargetState(interpreter=interp, scheme=scheme, installed={}, existing=existing, into_folder=True)
    installed = installed_distributions(installed_paths(ctx, interp, scheme))
    return TargetState(interpreter=interp, scheme=scheme, installed=installed, existing=installed)


def resolving_target(ctx: Context, foreign: ForeignTarget | None = None) -> TargetState:
    """The target for a command that only resolves for it (``download``, ``wheel``): its
    interpreter's tags, markers and Python — or those of the ``foreign`` environment asked for —
    nothing installed counted, nothing to be written there."""
    interp: Interpreter = ctx.interpreter
    if foreign is not None and foreign.given:
        from spoke.env.foreign import foreign_interpreter

        interp = foreign_interpreter(interp, foreign)
    return TargetState(interpreter=interp, scheme=interp.scheme, installed={}, existing={})


# -- policy ---------------------------------------------------------------------------------


def make_policy(ctx: Context, request: ResolveRequest, target: TargetState, sources: SourceBuilder) -> Policy:
    """Roots and policies: direct sources are looked at first (their names and versions are
    only known from their metadata); constraints given as sources apply when something needs
    that project; ``--upgrade-all`` adds every installed project as a root."""

    from spoke.app.sources import materialize_all
    from spoke.plan.candidates import FilePolicy
    from spoke.plan.provider import ResolvePolicy

    interp = target.interpreter
    direct_sources = _direct_sources(ctx, request.requirements, interp.markers)
    if request.require_hashes:
        check_hash_mode(request, direct_sources)
    direct_roots = materialize_all(sources, direct_sources)
    constrained = materialize_all(sources, _direct_sources(ctx, request.constraints, interp.markers))
    direct: dict[str, DirectCandidate] = {c.name: c for c in [*constrained, *direct_roots]}
    roots = [*_requirements(request.requirements), *_pinned(direct_roots)]
    constraints = _requirements(request.constraints)
    named = frozenset(canonicalize_name(r.name) for r in roots)
    user_roots = (*roots, *constraints)
    fixed: frozenset[str] = frozenset()
    if request.upgrade_all:
        from spoke.app.upgrade import left_in_place, upgrade_roots

        fixed = frozenset(name for name, dist in target.installed.items() if left_in_place(dist))
        roots = [*roots, *upgrade_roots(target.installed, named=named, fixed=fixed)]
        ctx.index.prefetch(name for name in target.installed if name not in fixed)
    resolve_policy = ResolvePolicy(
        pre=request.pre,
        upgrade=named if request.upgrade else frozenset(),
        upgrade_all=request.upgrade and request.upgrade_strategy == "eager",
        ignore_installed=request.ignore_installed,
        no_deps=request.no_deps,
        allow_prerelease=frozenset(
            canonicalize_name(r.name) for r in [*roots, *constraints] if r.specifier.prereleases
        ),
        pinned=frozenset(
            canonicalize_name(r.name) for r in roots
            if any(s.operator in ("==", "===") and "*" not in s.version for s in r.specifier)
        ),
        constraints=_constraint_ranges(constraints),
        upgrade_installed=request.upgrade_all,
        fixed=fixed,
        # Only an install request carries preferences of its own (audit --fix's safe versions).
        preferred=dict(getattr(request, "preferred", None) or {}),
        overrides=override_ranges(getattr(request, "overrides", None) or (), interp.markers),
    )
    files_policy = FilePolicy.for_interpreter(
        interp,
        no_binary=request.no_binary,
        only_binary=request.only_binary,
        prefer_binary=request.prefer_binary,
    )
    return Policy(roots=tuple(roots), named=named, user_roots=user_roots, direct=direct,
                  resolve=resolve_policy, files=files_policy)


def override_ranges(items: Sequence[UserRequirement], markers: Mapping[str, str]) -> dict[str, Any]:
    """``--overrides FILE``: each project's allowed versions, replacing what any requirement on
    it says (uv's overrides); lines whose markers do not match the target are left out."""
    out: dict[str, Any] = {}
    for item in items:
        req = item.requirement
        if req is None or req.url or not str(req.specifier):
            raise RequirementError(
                f"The override `{item.text}` ({item.source}) names no version",
                hint="An override replaces a version range: write `name>=2` or `name==2.1`.",
            )
        if req.marker is not None and not req.marker.evaluate({**markers, "extra": ""}):
            continue
        name = canonicalize_name(req.name)
        rng = req.specifier.to_range()
        out[name] = out[name] & rng if name in out else rng
    return out


def _requirements(items: Sequence[UserRequirement]) -> list[Requirement]:
    """The name requirements among ``items`` (direct sources are handled apart)."""
    return [item.requirement for item in items if item.requirement is not None and not item.requirement.url]


def _direct_sources(ctx: Context, items: Sequence[UserRequirement], markers: Mapping[str, str]) -> list[DirectSource]:
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


def _pinned(candidates: Sequence[DirectCandidate]) -> list[Requirement]:
    """Root requirements pinning each direct candidate to its one version (with its extras)."""
    return [
        Requirement(f"{c.name}{'[' + ','.join(c.source.extras) + ']' if c.source.extras else ''}=={c.version}")
        for c in candidates
    ]


def _constraint_ranges(constraints: Iterable[Requirement]) -> dict[str, Any]:
    """Each constrained project's allowed versions (several constraints intersect)."""
    ranges: dict[str, Any] = {}
    for c in constraints:
        name = canonicalize_name(c.name)
        rng = c.specifier.to_range() if str(c.specifier) else None
        if rng is not None:
            ranges[name] = ranges[name] & rng if name in ranges else rng
    return ranges


# -- resolve --------------------------------------------------------------------------------


class _Lazy:
    """Builds a service on first attribute access (keeps no-op installs off the network)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._obj: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._obj is None:
            self._obj = self._factory()
        return getattr(self._obj, name)


def resolve_request(
    ctx: Context, request: ResolveRequest, target: TargetState, policy: Policy, sources: SourceBuilder,
    *, fetch_early: bool = True,
) -> Resolved:
    """The solver's answer for ``policy``'s roots. An install whose requests the installed set
    satisfies is answered from installed metadata alone: no index page is fetched, no HTTP
    client is even created. ``fetch_early``: start downloading big wheels as the solver picks
    them."""
    from spoke.env.installed import read_metadata
    from spoke.plan.provider import PackageProvider
    from spoke.plan.resolve import resolve

    started = time.perf_counter()
    warnings: list[str] = []
    provider = PackageProvider(
        index=_Lazy(lambda: ctx.index),
        metadata=_Lazy(lambda: ctx.metadata),
        files_policy=policy.files,
        markers=target.interpreter.markers,
        installed=target.installed,
        read_installed_metadata=read_metadata,
        policy=policy.resolve,
        executor=_Lazy(lambda: ctx.executor),  # type: ignore[arg-type]
        warn=warnings.append,
        on_choice=_fetch_early(ctx) if fetch_early else None,
        direct=policy.direct,
        sdist_metadata=sources.sdist_metadata,
    )
    ctx.reporter.phase("resolve")
    resolution = resolve(list(policy.roots), provider, force_reinstall=request.force_reinstall)
    ctx.reporter.phase_done("resolve", f"Resolved {len(resolution)} packages")
    held: tuple[HeldBack, ...] = ()
    if request.upgrade_all:
        resolution, held = _upgrade_all_results(resolution, provider, target, policy)
    return Resolved(resolution=resolution, held_back=held, warnings=tuple(warnings),
                    seconds=time.perf_counter() - started)


def resolve_universal_request(
    ctx: Context, policy: Policy, sources: SourceBuilder, scope_of: Callable[[], MarkerSet],
    activations: Mapping[str, frozenset[str | None]] | None = None,
) -> tuple[UniversalResolution, tuple[str, ...]]:
    """One resolution of ``policy``'s roots for every environment of ``scope`` (see
    :mod:`spoke.plan.universal`): a provider per part of the scope, all sharing the index's
    pages and the metadata read; and the warnings of the run."""
    from spoke.env.installed import read_metadata
    from spoke.plan.provider import PackageProvider
    from spoke.plan.universal import resolve_universal

    warnings: list[str] = []
    metadata_of: dict[Any, Any] = {}
    choices_of: dict[Any, Any] = {}

    def make_provider(region: MarkerSet, preferred: Mapping[str, Version]) -> PackageProvider:
        return PackageProvider(
            index=_Lazy(lambda: ctx.index), metadata=_Lazy(lambda: ctx.metadata), files_policy=policy.files,
            markers=ctx.interpreter.markers, installed={}, read_installed_metadata=read_metadata,
            policy=replace(policy.resolve, preferred={**preferred, **policy.resolve.preferred}),
            executor=_Lazy(lambda: ctx.executor),  # type: ignore[arg-type]
            warn=warnings.append, direct=policy.direct, sdist_metadata=sources.sdist_metadata,
            region=region, metadata_of=metadata_of, choices_of=choices_of,
        )

    ctx.reporter.phase("resolve")
    result = resolve_universal(list(policy.roots), make_provider, scope_of, activations)
    forks = f" in {result.forks} forks" if result.forks > 1 else ""
    ctx.reporter.phase_done("resolve", f"Resolved {len(result)} packages for every environment{forks}")
    return result, tuple(dict.fromkeys(warnings))


def _upgrade_all_results(
    resolution: Resolution, provider: PackageProvider, target: TargetState, policy: Policy,
) -> tuple[Resolution, tuple[HeldBack, ...]]:
    """Only what the user named counts as requested; and what was held back, and why."""
    from spoke.app.upgrade import Chosen, held_back

    resolution = Resolution(packages=tuple(
        replace(p, requested=p.name in policy.named) for p in resolution.packages
    ))
    chosen: dict[str, Chosen] = {
        p.name: Chosen(version=p.version, metadata=p.metadata or provider.metadata_of.get((p.name, p.version)),
                       extras=p.extras)
        for p in resolution.packages
    }
    fixed = policy.resolve.fixed
    newest: dict[str, Version] = {}
    for name in target.installed:
        if name not in fixed:
            version = provider.newest_usable(name)
            if version is not None:
                newest[name] = version
    held = held_back(
        {n: d for n, d in target.installed.items() if n not in fixed}, chosen, newest,
        markers=target.interpreter.markers, roots=policy.user_roots,
    )
    return resolution, tuple(held)


def _fetch_early(ctx: Context) -> Callable[[IndexFile], None]:
    """Start fetching a large wheel as soon as the solver picks it (downloads overlap solving).

    Small wheels need no help: they are fetched whole, and unpacked, for their metadata.
    """
    from spoke.metadata.fetcher import WHOLE_FILE_SIZE

    def on_choice(file: IndexFile) -> None:
        if file.size is None or file.size > WHOLE_FILE_SIZE:
            ctx.preparer.prefetch(file)

    return on_choice


# -- plan -----------------------------------------------------------------------------------


def plan_changes(request: ResolveRequest, target: TargetState, resolution: Resolution) -> Plan:
    """What changes: the resolution against the installed set, in one pass.

    With ``--target`` or ``--ignore-installed`` every package is written afresh, replacing
    whatever already sits where it goes; ``request.remove`` (a rollback's uninstalls) joins
    the same transaction.
    """
    from spoke.plan.resolve import make_plan

    plan = make_plan(resolution, target.installed, force_reinstall=request.force_reinstall)
    remove = plan.remove
    keep = plan.keep
    if target.into_folder or request.ignore_installed:
        remove = tuple(target.existing[p.name] for p in plan.install if p.name in target.existing)
    if request.remove:
        dropping = tuple(
            target.installed[n] for n in (canonicalize_name(r) for r in request.remove) if n in target.installed
        )
        remove = remove + tuple(d for d in dropping if d not in remove)
        keep = tuple(d for d in keep if d not in dropping)
    return Plan(install=plan.install, remove=remove, keep=keep)


def check_plan(request: ResolveRequest, plan: Plan, policy: Policy) -> tuple[str, ...]:
    """Warnings about the plan (yanked files); in hash-checking mode, refuse a package that
    carries no hash."""
    warnings = []
    for pkg in plan.install:
        if pkg.yanked and pkg.file is not None:
            reason = pkg.file.yanked.reason if pkg.file.yanked else ""
            warnings.append(f"{pkg.name} {pkg.version} was yanked" + (f" (reason: {reason})" if reason else ""))
    if request.require_hashes:
        check_hashes_cover(request, plan, policy.direct)
    return tuple(warnings)


# -- prepare --------------------------------------------------------------------------------


def prepare_plan(ctx: Context, request: ResolveRequest, plan: Plan, sources: SourceBuilder) -> Prepared:
    """A wheel for every package to install: index wheels are fetched and unpacked in the
    background (their futures are returned), sources are built now, one after the other.

    A plan that removes something waits for every wheel (nothing is removed before every
    replacement is at hand); one that only adds returns futures, so each wheel is linked in
    as soon as it is ready while the last ones still download.
    """
    from spoke.prepare.unpack import unpack_wheel

    started = time.perf_counter()
    ctx.reporter.phase("download")
    hashes = hashes_by_name(request) if request.require_hashes else None
    files = [p.file for p in plan.install if p.file is not None and p.direct is None and p.file.is_wheel]
    preparer = ctx.preparer
    if not request.require_hashes:
        for file in files:
            preparer.prefetch(file)  # downloads run while sources build
    unpacked: dict[str, UnpackedWheel | Future[UnpackedWheel]] = {}
    for pkg in plan.install:
        if pkg.direct is not None:
            unpacked[pkg.name] = unpack_wheel(sources.direct_wheel(pkg.direct), cache=ctx.cache)
        elif pkg.file is not None and not pkg.file.is_wheel:
            unpacked[pkg.name] = unpack_wheel(sources.sdist_wheel(pkg.file), cache=ctx.cache)
    jobs = preparer.start(files, hashes=hashes)
    unpacked.update(preparer.result(jobs) if plan.remove else jobs)
    return Prepared(unpacked=unpacked, wheels=len(files), started=started)


# -- hash-checking mode ---------------------------------------------------------------------


def check_hash_mode(request: ResolveRequest, direct_sources: Sequence[DirectSource]) -> None:
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
            raise _needs_hash(source.text, source.origin)
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
            raise _needs_hash(item.text, item.source)


def _needs_hash(text: str, origin: str) -> RequirementError:
    return RequirementError(
        f"In --require-hashes mode, every requirement needs a --hash: `{text}` ({origin})",
        hint="Add `--hash=sha256:<digest>` after the requirement.",
    )


def hashes_by_name(request: ResolveRequest) -> dict[str, tuple[str, ...]]:
    """The user's ``--hash`` values by project name (requirements and constraints)."""
    out: dict[str, tuple[str, ...]] = {}
    for item in [*request.constraints, *request.requirements]:
        if item.requirement is not None and item.hashes:
            name = canonicalize_name(item.requirement.name)
            out[name] = tuple(dict.fromkeys([*out.get(name, ()), *item.hashes]))
    return out


def check_hashes_cover(request: ResolveRequest, plan: Plan, direct: Mapping[str, DirectCandidate]) -> None:
    """In hash-checking mode every package to install, dependencies too, must carry a hash."""
    hashed = set(hashes_by_name(request)) | {name for name, c in direct.items() if c.source.hashes}
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
