"""``spoke audit``: known vulnerabilities of what is installed, or of requirements resolved for
the target, and ``--fix`` as ONE joint resolution.

    packages (installed set │ -r FILE resolved) ─▶ service.advisories ─▶ AuditReport
    --fix: earliest safe version of each ─▶ install's stages with those lower bounds ─▶ audit again

What is audited is a ``name``/``version`` pair a vulnerability database can know. Packages that
cannot be such a pair are *skipped*, with the reason: an install from a local folder, file or VCS
checkout (``direct_url.json``), an editable one with ``--skip-editable``, a project the package
indexes do not know. ``--ignore-vuln ID`` drops an advisory named by its id or any alias.

``--fix`` first finds, for each vulnerable package, the lowest version that has a fix for every
advisory (asking the service again about that version, since a later release may have flaws of
its own, as pip-audit does). Then, unlike pip-audit, which upgrades each package on its own
with pip, it resolves the whole environment *once*: every installed project a root at its
installed version where it can stay, each vulnerable one with ``name>=safe``. A package that
pins a vulnerable one below its fix is moved too when a version of it allows the fix, and the
change is one transaction (``spoke history``/``rollback``). What cannot be fixed says why: no
fixed release, or the resolver's explanation of the conflict. With ``-r FILE`` the pins of the
file are rewritten in place instead (only the lines that change).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.app.context import Context
from spoke.app.requests import AuditCheck, AuditRequest
from spoke.audit.osv import Advisory, earliest_fix
from spoke.audit.service import Package, VulnerabilityService
from spoke.errors import ResolutionImpossible, SpokeError

if TYPE_CHECKING:
    from spoke.models import InstalledDist
    from spoke.plan.resolve import Plan, Resolution

_FIX_ROUNDS = 20
"""How many times a candidate fix is found vulnerable in turn before giving up."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Audited:
    """A package looked up, and its advisories (none: clean)."""

    name: str
    version: Version
    advisories: tuple[Advisory, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """A package that could not be audited, and why."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditReport:
    """Everything looked up, what was skipped, and how many advisories ``--ignore-vuln`` hid."""

    audited: tuple[Audited, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    ignored: int = 0

    @property
    def vulnerable(self) -> tuple[Audited, ...]:
        return tuple(a for a in self.audited if a.advisories)

    @property
    def count(self) -> int:
        """How many advisories were found (each flaw once per package)."""
        return sum(len(a.advisories) for a in self.audited)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fix:
    """What ``--fix`` did (or would do) to one package: ``new`` set when it moves, else the
    ``reason`` it cannot be fixed. ``vulnerable`` is False for a package moved only so that a
    vulnerable one can be fixed."""

    name: str
    old: Version
    new: Version | None = None
    reason: str | None = None
    vulnerable: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditOutcome:
    """The audit; with ``--fix`` the audit before, the fixes and the files rewritten too."""

    report: AuditReport
    database: Path | None = None  # the offline database, when one was read
    database_updated: bool = False  # --update-db downloaded it
    before: AuditReport | None = None
    fixes: tuple[Fix, ...] = ()
    dry_run: bool = False
    rewritten: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()


def run_audit(ctx: Context, request: AuditRequest) -> AuditOutcome:
    """Audit what ``request`` names; with ``fix``, fix it and audit again."""
    request = _with_database(ctx, request)
    service = _service(ctx, request)
    report, installed = _audit(ctx, request, service)
    if not request.fix or not report.vulnerable:
        outcome = AuditOutcome(report=report)
    else:
        bounds, fixes = safe_versions(service, report, request.ignore)
        if request.requirements:
            outcome = _fix_files(ctx, request, service, report, bounds, fixes)
        else:
            outcome = _fix_environment(ctx, request, service, report, installed, bounds, fixes)
    return replace(outcome, database=request.db, database_updated=request.update_db)


def default_database(ctx: Context) -> Path:
    """Where ``--update-db`` keeps OSV's export when no ``--db PATH`` is given."""
    return Path(ctx.cache.bucket("audit")) / "PyPI-all.zip"


def _with_database(ctx: Context, request: AuditRequest) -> AuditRequest:
    """The request with its offline database decided: ``--update-db`` downloads OSV's export
    first (whole, or not at all: the old copy stays on a failure); ``--offline`` without
    ``--db`` reads the one ``--update-db`` left in the cache."""
    from spoke.errors import AuditServiceError

    if request.update_db:
        path = request.db or default_database(ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            ctx.http.download(request.db_url, path, progress_name="the vulnerability database")
        except SpokeError as exc:
            raise AuditServiceError(
                f"Cannot download the vulnerability database from {_shown_url(request.db_url)}: {exc.message}",
                notes=exc.notes,
                hint="Check the network and --db-url (SPOKE_DB_URL); the database already there, if any, "
                     "was left as it was.",
            ) from exc
        return replace(request, db=path)
    if request.db is None and ctx.index_settings.offline:
        path = default_database(ctx)
        if not path.is_file():
            raise AuditServiceError(
                "`--offline` leaves no vulnerability service to ask, and there is no offline database",
                hint="Run `spoke audit --update-db` once while online (or give one with --db PATH).",
            )
        return replace(request, db=path)
    return request


def _service(ctx: Context, request: AuditRequest | AuditCheck) -> VulnerabilityService:
    from spoke.audit.service import OsvService, PyPIService

    if request.db is not None:
        from spoke.audit.database import OsvDatabase

        return OsvDatabase(request.db)
    if request.service == "pypi":
        return PyPIService(ctx.http, request.pypi_url, executor=ctx.executor)
    return OsvService(ctx.http, request.osv_url, executor=ctx.executor)


def refuse_vulnerable(ctx: Context, check: AuditCheck, plan: Plan) -> None:
    """``install --audit``: look up every release the plan would install (before anything is
    downloaded) and raise :class:`~spoke.errors.VulnerableError` naming each advisory and the
    nearest safe version when one has a known vulnerability that ``check.ignore`` does not name.
    Direct sources (folders, URLs, VCS) are no releases a database knows: they pass."""
    from spoke.errors import VulnerableError

    packages = [Package(name=p.name, version=p.version) for p in plan.install if p.direct is None]
    if not packages:
        return
    ctx.reporter.phase("audit", f"{len(packages)} packages")
    report = lookup(_service(ctx, check), packages, (), check.ignore)
    ctx.reporter.phase_done("audit", f"Audited {len(packages)} packages")
    if not report.vulnerable:
        return
    notes: list[str] = []
    safer: list[str] = []
    for item in report.vulnerable:
        for adv in item.advisories:
            fixes = ", ".join(str(v) for v in adv.fix_versions) or "no fixed release"
            words = f": {adv.description}" if adv.description and adv.description != "N/A" else ""
            notes.append(f"{item.name} {item.version}: {adv.id} (fixed in {fixes}){words}")
        nearest = earliest_fix(item.advisories, item.version)
        safer.append(f"{item.name}>={nearest}" if nearest else f"{item.name} (no fixed release)")
    ids = " ".join(f"--ignore-vuln {adv.id}" for item in report.vulnerable for adv in item.advisories)
    count = len(report.vulnerable)
    raise VulnerableError(
        f"Refusing to install {count} package{'s' if count != 1 else ''} with known vulnerabilities: "
        + ", ".join(f"{a.name} {a.version}" for a in report.vulnerable),
        notes=notes,
        hint=f"Ask for the nearest safe versions ({', '.join(safer)}), or accept the risk: {ids}.",
    )


def _audit(
    ctx: Context, request: AuditRequest, service: VulnerabilityService,
) -> tuple[AuditReport, Mapping[str, InstalledDist]]:
    installed: Mapping[str, InstalledDist] = {}
    if request.lock is not None:
        packages, skipped = lock_packages(request.lock)
    elif request.requirements:
        packages, skipped = _requirement_packages(ctx, request)
    else:
        packages, skipped, installed = _environment_packages(ctx, request)
    return lookup(service, packages, skipped, request.ignore), installed


def lookup(
    service: VulnerabilityService, packages: Sequence[Package], skipped: Sequence[Skipped], ignore: Iterable[str],
) -> AuditReport:
    """The report of ``packages``: their advisories, less those ``ignore`` names."""
    ignore = frozenset(ignore)
    found = service.advisories(packages) if packages else {}
    unknown = service.unknown
    skipped = sorted([*skipped, *(Skipped(name=p.name, reason=why) for p, why in unknown.items())],
                     key=lambda s: s.name)
    audited = []
    hidden = 0
    for package in packages:
        if package in unknown:
            continue
        advisories = found.get(package, [])
        kept = tuple(sorted((a for a in advisories if not a.named(ignore)), key=_row_order))
        hidden += len(advisories) - len(kept)
        audited.append(Audited(name=package.name, version=package.version, advisories=kept))
    return AuditReport(audited=tuple(audited), skipped=tuple(skipped), ignored=hidden)


def _row_order(item: Advisory) -> tuple[bool, Version, str]:
    """A package's advisories by their earliest fix (unfixed last), then by id."""
    first = item.fix_versions[0] if item.fix_versions else Version("0")
    return (not item.fix_versions, first, item.id)


# -- what is audited ------------------------------------------------------------------------


def _environment_packages(
    ctx: Context, request: AuditRequest,
) -> tuple[list[Package], list[Skipped], Mapping[str, InstalledDist]]:
    """The installed set (as ``spoke list`` sees it), less what cannot be audited."""
    from spoke.app.environment import installed_set

    found = installed_set(ctx, paths=request.paths, local=request.local)
    packages: list[Package] = []
    skipped: list[Skipped] = []
    for name in sorted(found.dists):
        dist = found.dists[name]
        reason = _not_auditable(dist, skip_editable=request.skip_editable)
        if reason is not None:
            skipped.append(Skipped(name=name, reason=reason))
        else:
            packages.append(Package(name=name, version=dist.version))
    # Offline, the indexes cannot be asked which packages they know: every one is looked up.
    unknown = set() if ctx.index_settings.offline else _not_on_index(ctx, [p.name for p in packages])
    for package in packages:
        if package.name in unknown:
            skipped.append(Skipped(
                name=package.name,
                reason=f"Dependency not found on the package index and could not be audited: "
                       f"{package.name} ({package.version})",
            ))
    skipped.sort(key=lambda s: s.name)
    return [p for p in packages if p.name not in unknown], skipped, found.dists


def _not_auditable(dist: InstalledDist, *, skip_editable: bool) -> str | None:
    """Why ``dist`` is no release a database can know (``None``: it is one)."""
    import json

    if dist.editable:
        return "distribution marked as editable" if skip_editable else None
    try:
        info = json.loads((dist.dist_info / "direct_url.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict):
        return None
    url = str(info.get("url", ""))
    if "vcs_info" in info:
        return f"installed from a VCS checkout ({_shown_url(url)}), not a release from an index"
    if "dir_info" in info or url.startswith("file:"):
        return f"installed from a local path ({_shown_url(url)}), not a release from an index"
    return None  # an archive URL: a release by name and version all the same


def _shown_url(url: str) -> str:
    from spoke.net.redact import redact_url

    return redact_url(url)


def _not_on_index(ctx: Context, names: Sequence[str]) -> set[str]:
    """Those of ``names`` no configured index or find-links location knows (asked concurrently)."""
    from spoke.errors import PackageNotFoundError

    if not names:
        return set()
    index = ctx.index
    futures = {name: ctx.executor.submit(index.files, name) for name in names}
    unknown = set()
    for name, future in futures.items():
        try:
            future.result()
        except PackageNotFoundError:
            unknown.add(name)
    return unknown


def _requirement_packages(ctx: Context, request: AuditRequest) -> tuple[list[Package], list[Skipped]]:
    """``-r`` files: as written when fully pinned with ``--no-deps``, else resolved for the
    target (nothing installed counts, nothing is installed)."""
    if request.no_deps:
        pinned = _pins_as_written(request)
        if pinned is not None:
            return pinned, []
    resolution = _resolve(ctx, request)
    return _split(resolution, root=request.project)


def lock_packages(path: Path) -> tuple[list[Package], list[Skipped]]:
    """The packages of a PEP 751 lock file (``packaging.pylock`` reads and validates it), every
    one whatever its marker: what a lock may install on any platform is audited (read by
    :func:`spoke.reqs.pylock.read_lock`). Packages from
    a folder, an archive URL or a VCS are skipped with the reason; an index package without a
    version (allowed for them) too."""
    from spoke.reqs.pylock import read_lock

    lock = read_lock(path)
    packages: dict[Package, None] = {}
    skipped: list[Skipped] = []
    for item in lock.packages:
        name = canonicalize_name(item.name)
        where = "a folder" if item.directory else "a VCS" if item.vcs else "an archive URL" if item.archive else None
        if where is not None:
            skipped.append(Skipped(name=name, reason=f"locked from {where}, not a release from an index"))
        elif item.version is None:
            skipped.append(Skipped(name=name, reason="the lock gives no version"))
        else:
            packages[Package(name=name, version=item.version)] = None
    return sorted(packages, key=lambda p: (p.name, p.version)), sorted(skipped, key=lambda s: s.name)


def _pins_as_written(request: AuditRequest) -> list[Package] | None:
    """Every requirement as ``name==version`` (for the target's markers), or ``None`` when one
    is not an exact pin."""
    out: list[Package] = []
    for item in request.requirements:
        req = item.requirement
        if req is None or req.url or item.editable:
            return None
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
            return None
        try:
            version = Version(specs[0].version)
        except ValueError:
            return None
        out.append(Package(name=canonicalize_name(req.name), version=version))
    return sorted(out, key=lambda p: p.name)


def _split(resolution: Resolution, *, root: Path | None = None) -> tuple[list[Package], list[Skipped]]:
    """Releases to look up, and the rest skipped; the ``root`` project audited for its
    dependencies is neither."""
    packages: list[Package] = []
    skipped: list[Skipped] = []
    for pkg in sorted(resolution.packages, key=lambda p: p.name):
        if root is not None and pkg.direct is not None and pkg.direct.source.path is not None and (
                pkg.direct.source.path.resolve() == root.resolve()):
            continue
        if pkg.direct is not None:
            skipped.append(Skipped(
                name=pkg.name, reason=f"given as {pkg.direct.source.label()}, not a release from an index"))
        else:
            packages.append(Package(name=pkg.name, version=pkg.version))
    return packages, skipped


def _resolve(
    ctx: Context, request: AuditRequest, *, extra: Sequence[str] = (),
    preferred: Mapping[str, Version] | None = None,
) -> Resolution:
    """``request``'s requirements (plus ``extra`` ones) resolved for the target as ``download``
    resolves them; ``preferred`` versions are kept where they fit."""
    from spoke.app.install import BuildEnvironments
    from spoke.app.sources import SourceBuilder
    from spoke.app.stages import hashes_by_name, make_policy, resolve_request, resolving_target
    from spoke.reqs import parse_requirement

    if extra:
        request = replace(request, requirements=(
            *request.requirements, *(parse_requirement(t, source="spoke audit --fix") for t in extra)))
    hashes = hashes_by_name(request) if request.require_hashes else {}
    sources = SourceBuilder(ctx, ctx.interpreter, hashes=hashes or None, build_context=BuildEnvironments(ctx))
    try:
        target = resolving_target(ctx, request.foreign)
        policy = make_policy(ctx, request, target, sources)
        if preferred:
            policy = replace(policy, resolve=replace(policy.resolve, preferred=dict(preferred)))
        return resolve_request(ctx, request, target, policy, sources, fetch_early=False).resolution
    finally:
        sources.close()


# -- fixing ---------------------------------------------------------------------------------


def safe_versions(
    service: VulnerabilityService, report: AuditReport, ignore: Iterable[str] = (),
) -> tuple[dict[str, Version], list[Fix]]:
    """For each vulnerable package, the lowest version with a fix for all its advisories and
    none of its own (asked of ``service``); the packages that have none, with the reason."""
    ignore = frozenset(ignore)
    bounds: dict[str, Version] = {}
    unfixable: list[Fix] = []
    for item in report.vulnerable:
        current = item.version
        advisories: Sequence[Advisory] = item.advisories
        reason = None
        for _round in range(_FIX_ROUNDS):
            candidate = earliest_fix(advisories, current)
            if candidate is None:
                stuck = [a.id for a in advisories if not any(v > current for v in a.fix_versions)]
                reason = f"no release of {item.name} fixes {', '.join(stuck)}"
                break
            package = Package(name=item.name, version=candidate)
            advisories = [a for a in service.advisories([package]).get(package, []) if not a.named(ignore)]
            current = candidate
            if not advisories:
                bounds[item.name] = candidate
                break
        else:
            reason = f"every fixed release of {item.name} tried has known vulnerabilities of its own"
        if reason is not None:
            unfixable.append(Fix(name=item.name, old=item.version, reason=reason))
    return bounds, unfixable


def _fix_environment(
    ctx: Context, request: AuditRequest, service: VulnerabilityService, report: AuditReport,
    installed: Mapping[str, InstalledDist], bounds: Mapping[str, Version], unfixable: list[Fix],
) -> AuditOutcome:
    """One joint resolution of the environment with the ``bounds``, installed as one
    transaction (or only planned with ``dry_run``); then the audit again."""
    from spoke.app.install import run_install
    from spoke.app.requests import InstallRequest
    from spoke.app.upgrade import left_in_place
    from spoke.reqs import parse_requirement

    if not bounds:
        return AuditOutcome(report=report, before=report, fixes=tuple(unfixable), dry_run=request.dry_run)
    audited = {a.name for a in report.audited}
    texts = [f"{name}>={version}" for name, version in sorted(bounds.items())]
    texts += [
        name for name, dist in sorted(installed.items())
        if name not in bounds and name in audited and not left_in_place(dist)
    ]
    reqs = tuple(parse_requirement(t, source="spoke audit --fix") for t in texts)
    try:
        outcome = run_install(ctx, InstallRequest(requirements=reqs, dry_run=request.dry_run, preferred=bounds))
    except ResolutionImpossible as exc:
        why = f"the fixed versions conflict with other requirements: {exc.message}"
        blocked = [Fix(name=n, old=installed[n].version, reason=why) for n in sorted(bounds)]
        return AuditOutcome(report=report, before=report, fixes=(*blocked, *unfixable),
                            dry_run=request.dry_run)
    moved = {p.name: p.version for p in outcome.plan.install}
    fixes = [
        Fix(name=name, old=installed[name].version, new=moved[name], vulnerable=name in bounds)
        for name in sorted(moved) if name in installed
    ]
    fixes += [
        Fix(name=name, old=Version("0"), new=moved[name], vulnerable=False, reason="new dependency")
        for name in sorted(moved) if name not in installed
    ]
    all_fixes = (*fixes, *unfixable)
    if request.dry_run:
        return AuditOutcome(report=report, before=report, fixes=all_fixes, dry_run=True,
                            warnings=outcome.warnings)
    after, _installed = _audit(ctx, request, service)
    return AuditOutcome(report=after, before=report, fixes=all_fixes, warnings=outcome.warnings)


_PIN = re.compile(
    r"^(?P<head>\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*)"
    r"(?P<version>[^\s;#\\,]+)(?P<tail>.*)$"
)


def _fix_files(
    ctx: Context, request: AuditRequest, service: VulnerabilityService, report: AuditReport,
    bounds: Mapping[str, Version], unfixable: list[Fix],
) -> AuditOutcome:
    """The ``-r`` files resolved again with the ``bounds`` (their pins preferred where they
    fit), then each pin whose version moved rewritten in place."""
    if not bounds:
        return AuditOutcome(report=report, before=report, fixes=tuple(unfixable), dry_run=request.dry_run)
    pins = _file_pins(request.files)
    relaxed = replace(request, no_deps=False, requirements=tuple(_unpinned(r) for r in request.requirements))
    try:
        resolution = _resolve(ctx, relaxed, extra=[f"{n}>={v}" for n, v in sorted(bounds.items())],
                              preferred={**{n: v for n, (v, _h) in pins.items()}, **bounds})
    except ResolutionImpossible as exc:
        why = f"the fixed versions conflict with other requirements: {exc.message}"
        blocked = [Fix(name=n, old=_old(report, n), reason=why) for n in sorted(bounds)]
        return AuditOutcome(report=report, before=report, fixes=(*blocked, *unfixable),
                            dry_run=request.dry_run)
    chosen = {p.name: p.version for p in resolution.packages}
    fixes: list[Fix] = []
    changes: dict[str, Version] = {}
    for name, (old, hashed) in sorted(pins.items()):
        new = chosen.get(canonicalize_name(name))
        if new is None or new == old:
            continue
        if hashed:
            fixes.append(Fix(name=name, old=old, reason="its pin carries --hash values, which the new version "
                             "would not match; re-run `spoke compile --generate-hashes`",
                             vulnerable=name in bounds))
            continue
        changes[name] = new
        fixes.append(Fix(name=name, old=old, new=new, vulnerable=name in bounds))
    for name in sorted(bounds):
        if name not in pins:
            fixes.append(Fix(name=name, old=_old(report, name),
                             reason=f"not pinned in the file (a dependency): add `{name}>={bounds[name]}` to it"))
    rewritten: list[Path] = []
    if not request.dry_run:
        for path in request.files:
            if _rewrite_pins(path, changes):
                rewritten.append(path)
    outcome = AuditOutcome(report=report, before=report, fixes=(*fixes, *unfixable),
                           dry_run=request.dry_run, rewritten=tuple(rewritten))
    if request.dry_run or not rewritten:
        return outcome
    after, _installed = _audit(ctx, _reread(ctx, request), service)
    return replace(outcome, report=after)


def _reread(ctx: Context, request: AuditRequest) -> AuditRequest:
    """``request`` with its ``-r`` files read again (after their pins were rewritten)."""
    from spoke.reqs import parse_requirements_file

    reqs = []
    constraints = list(request.constraints)
    for path in request.files:
        parsed = parse_requirements_file(str(path), environ=ctx.environ)
        reqs.extend(parsed.requirements)
        constraints.extend(parsed.constraints)
    return replace(request, requirements=tuple(reqs), constraints=tuple(constraints))


def _old(report: AuditReport, name: str) -> Version:
    return next((a.version for a in report.audited if a.name == name), Version("0"))


def _unpinned(item: object) -> object:
    """A requirement pinned with ``==`` as its bare name (extras and marker kept): the pin
    becomes a preference, so the fix may move it."""
    from packaging.requirements import Requirement

    req = getattr(item, "requirement", None)
    if req is None or req.url or not any(s.operator in ("==", "===") for s in req.specifier):
        return item
    bare = Requirement(str(req))
    bare.specifier = type(req.specifier)("")
    return replace(item, requirement=bare, hashes=())  # type: ignore[type-var]


def _file_pins(files: Sequence[Path]) -> dict[str, tuple[Version, bool]]:
    """``name → (pinned version, has --hash)`` of every ``name==version`` line of ``files``."""
    pins: dict[str, tuple[Version, bool]] = {}
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines):
            match = _PIN.match(line)
            if match is None:
                continue
            try:
                version = Version(match["version"])
            except ValueError:
                continue
            hashed = "--hash" in line or (line.rstrip().endswith("\\") and number + 1 < len(lines)
                                          and "--hash" in lines[number + 1])
            pins[canonicalize_name(match["name"])] = (version, hashed)
    return pins


def _rewrite_pins(path: Path, changes: Mapping[str, Version]) -> bool:
    """Rewrite the pins of ``changes`` in ``path`` (only those lines; the rest byte for byte),
    through a temporary file and a rename. Whether anything changed."""
    import os

    from spoke.cache import temp_path_beside

    text = path.read_text(encoding="utf-8")
    out = []
    changed = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        match = _PIN.match(body)
        if match is not None:
            new = changes.get(canonicalize_name(match["name"]))
            if new is not None and str(new) != match["version"]:
                body = f"{match['head']}{new}{match['tail']}"
                changed = True
        out.append(body + ending)
    if not changed:
        return False
    tmp = temp_path_beside(path)
    try:
        tmp.write_text("".join(out), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


__all__ = ["AuditOutcome", "AuditReport", "Audited", "Fix", "Skipped", "lookup", "run_audit", "safe_versions"]
