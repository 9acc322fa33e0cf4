"""``spoke install``: resolve, download and install packages (pip's flags)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer, format_duration
from spoke.errors import UsageError
from spoke.reqs.links import looks_like_path_or_url

if TYPE_CHECKING:
    from spoke.app.noop import EnvironmentState, Invocation
    from spoke.app.requests import InstallRequest
    from spoke.reqs import RequirementsFile, UserRequirement


def gather_requirements(
    args: Sequence[str], settings: Any, environ: Mapping[str, str], *, locks: bool = False,
) -> tuple[list[UserRequirement], list[UserRequirement], RequirementsFile]:
    """Requirements from the command line, ``-r``/``-c`` files and ``-e`` options. ``-r
    pylock.toml`` files go to the result's ``locks`` when the command installs locks
    (``locks``), else they are refused."""
    from spoke.reqs import RequirementsFile, parse_requirement
    from spoke.reqs.pylock import is_lock_file

    reqs = [parse_requirement(a) for a in args]
    for e in settings.get("editables", None) or ():
        reqs.append(parse_requirement(e, editable=True))
    merged = RequirementsFile()
    for script in settings.get("scripts", None) or ():
        from spoke.reqs.script import script_requirements

        found, _python = script_requirements(script)
        reqs.extend(found)
        merged = _merge(merged, RequirementsFile(files=(script,)))
    paths = list(settings.get("requirements", None) or ())
    if settings.get("groups", None) and not any(is_lock_file(p) for p in paths):  # a lock's groups: its own
        from spoke.reqs.groups import group_requirements, split_group

        specs = tuple(settings.get("groups", None))
        reqs.extend(group_requirements(specs))
        # The pyproject.toml files count as read requirements files (the quick no-op answer
        # digests them: an edited group is a new request).
        merged = _merge(merged, RequirementsFile(files=tuple(dict.fromkeys(str(split_group(s)[0]) for s in specs))))
    lock_files = tuple(str(p) for p in paths if is_lock_file(p))
    if lock_files and not locks:
        raise UsageError(f"`{lock_files[0]}` is a lock file, which `spoke install` and `spoke sync` install",
                         hint="Install it with `spoke install -r pylock.toml`, or audit it: `spoke audit pylock.toml`.")
    from_files, constraints, read = read_requirements_files(
        [p for p in paths if not is_lock_file(p)], settings.get("constraints", None) or (), environ)
    if lock_files:
        read = replace(read, locks=lock_files, files=(*read.files, *lock_files))
    return [*reqs, *from_files], constraints, _merge(merged, read)


def read_requirements_files(
    paths: Sequence[str | Path], constraint_paths: Sequence[str | Path], environ: Mapping[str, str],
) -> tuple[list[UserRequirement], list[UserRequirement], RequirementsFile]:
    """The requirements and constraints of ``-r`` files and ``-c`` files (every line of a
    ``-c`` file constrains), and what the files said, merged."""
    from spoke.reqs import RequirementsFile, parse_requirements_file

    reqs: list[UserRequirement] = []
    constraints: list[UserRequirement] = []
    merged = RequirementsFile()
    for path in paths:
        parsed = parse_requirements_file(path, environ=environ)
        reqs.extend(parsed.requirements)
        constraints.extend(parsed.constraints)
        merged = _merge(merged, parsed)
    for path in constraint_paths:
        parsed = parse_requirements_file(path, environ=environ, constraint=True)
        constraints.extend([*parsed.constraints, *parsed.requirements])
        merged = _merge(merged, parsed)
    return reqs, constraints, merged


def _warn_folder_names(reqs: Sequence[UserRequirement], printer: Printer) -> None:
    """Warn when a name requirement is also a project folder here (pip reads it as a name)."""
    from spoke.reqs.direct import folder_named_like

    cwd = Path.cwd()
    for item in reqs:
        folder = folder_named_like(item, cwd)
        if folder is not None:
            req = item.requirement
            extras = f"[{','.join(sorted(req.extras))}]" if req is not None and req.extras else ""
            printer.warning(
                f"`{item.text}` is read as a project name from the index, as pip reads it, "
                f"although `{folder.name}` is a project folder here; to install the folder, "
                f"write `./{folder.name}{extras}`"
            )


def _check_script_python(settings: Any, ctx: Any) -> None:
    """A script's ``requires-python`` (PEP 723) must hold for the target interpreter."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from spoke.errors import RequirementError

    for script in settings.get("scripts", None) or ():
        from spoke.reqs.script import script_requirements

        _reqs, wanted = script_requirements(script)
        if wanted is None:
            continue
        try:
            spec = SpecifierSet(wanted)
        except InvalidSpecifier:
            raise RequirementError(f"{script} has an invalid requires-python `{wanted}`",
                             hint="Write a PEP 440 specifier, e.g. `>=3.10`.") from None
        version = ctx.interpreter.python_full_version.split("+")[0]
        if not spec.contains(version, prereleases=True):
            raise RequirementError(f"{script} requires Python {wanted}, but the target runs Python {version}",
                             hint="Choose a matching interpreter with --python.")


def _say_interpreter(ctx: Any, printer: Printer) -> None:
    """Say which environment the install goes to: always with ``-v``, and on the first line when
    it is not the obvious one — ``VIRTUAL_ENV`` names another environment than the ``.venv``
    here, or ``--target``/``--prefix``/``--root``/``--user`` fell back to ``python3`` on PATH."""
    from spoke.env.discovery import find_dot_venv

    t = ctx.target_settings
    interp = ctx.interpreter
    label = f"Using {interp.sys_prefix} (Python {interp.python_version}, {interp.executable})"
    if t.elsewhere and not (t.python or t.virtual_env or t.system) and not interp.is_venv:
        printer.info(f"Using {interp.executable} (Python {interp.python_version}) from PATH; "
                     "pass --python to choose another")
        return
    if t.python and os.sep not in t.python and "/" not in t.python:
        # `--python 3.12`: a version asked for, found somewhere; say where (`python` on PATH may be another).
        printer.info(label)
        return
    dot = find_dot_venv(t.cwd) if t.virtual_env and not t.python else None
    if dot is not None and os.path.realpath(dot.parent.parent) != os.path.realpath(str(interp.sys_prefix)):
        printer.info(f"{label}: VIRTUAL_ENV names it, so {dot.parent.parent} is not used "
                     "(deactivate, or pass --python, to choose)")
        return
    printer.detail(label)


def _how_to_run(ctx: Any, interp: Any, settings: Any, printer: Printer) -> None:
    """After installing into a virtual environment that ``python`` on PATH does not run, say how
    to run it (the seed's first error: ModuleNotFoundError from the other interpreter)."""
    import shutil

    if not interp.is_venv or any(settings.get(k, None) for k in ("target", "prefix", "root", "user")):
        return
    t = ctx.target_settings
    bin_dir = os.path.dirname(str(interp.executable))
    on_path = shutil.which("python", path=t.path_env) or shutil.which("python3", path=t.path_env)
    if on_path is not None and os.path.normcase(os.path.abspath(os.path.dirname(on_path))) == os.path.normcase(
            os.path.abspath(bin_dir)):
        return
    from spoke.cli.render import shown_path

    prefix = shown_path(Path(str(interp.sys_prefix)))
    where = f"`python` on PATH is {on_path}" if on_path else "no `python` is on PATH"
    activate = (f"`{prefix}\\Scripts\\activate`" if os.name == "nt" else f"`source {prefix}/bin/activate`")
    printer.info(f"note: {where}, not this environment's; run `{shown_path(Path(str(interp.executable)))}` "
                 f"or activate it first: {activate}")


def _merge(a: RequirementsFile, b: RequirementsFile) -> RequirementsFile:
    from dataclasses import replace

    merged = replace(a, files=a.files + b.files)
    a = merged

    return replace(
        a,
        index_url=b.index_url or a.index_url,
        extra_index_urls=a.extra_index_urls + b.extra_index_urls,
        find_links=a.find_links + b.find_links,
        no_index=a.no_index or b.no_index,
        pre=a.pre or b.pre,
        prefer_binary=a.prefer_binary or b.prefer_binary,
        require_hashes=a.require_hashes or b.require_hashes,
        no_binary=a.no_binary + b.no_binary,
        only_binary=a.only_binary + b.only_binary,
        trusted_hosts=a.trusted_hosts + b.trusted_hosts,
        locks=a.locks + b.locks,
    )


def _names(values: Sequence[str]) -> frozenset[str]:
    from packaging.utils import canonicalize_name

    out: set[str] = set()
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part:
                out.add(part if part in (":all:", ":none:") else canonicalize_name(part))
    if ":none:" in out:
        return frozenset()
    return frozenset(out)


def run(
    settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str], *,
    invocation: Invocation | None = None,
) -> int:
    """Carry out ``spoke install``; return the exit code.

    ``invocation``: the command as typed (:func:`spoke.app.noop.invocation_of`), under which a
    satisfied request is also recorded for the quick answer (``None``: it is not).
    """
    started = time.perf_counter()
    if not settings.get("cert", None):
        from spoke.net.client import warm_default_ssl_context

        warm_default_ssl_context()  # ready by the first request (unless this is a no-op)
    _start_probe(settings, printer, environ)  # a new environment's probe runs while the requirements load
    reqs, constraints, from_files = gather_requirements(positional, settings, environ, locks=True)
    if from_files.locks and reqs:
        raise UsageError("A lock file is installed on its own: it already names every package",
                         hint="Install the other requirements in a separate command, or lock them together.")
    request = install_request(settings, reqs, constraints, from_files, environ=environ)
    _warn_folder_names(reqs, printer)
    fast = None if from_files.locks else _satisfied_before(settings, request, positional, printer, environ,
                                                           invocation)
    if fast is not None:
        return fast
    read = _digests_as_read(reqs, from_files.files)
    if not reqs and not request.upgrade_all and not from_files.locks:
        raise UsageError(
            "You must give at least one requirement to install",
            hint="For example `spoke install requests`, or `spoke install -r requirements.txt`.",
        )
    ctx, reporter = make_context(settings, printer, environ, extra=from_files,
                                 any_platform=request.foreign is not None)
    try:
        try:
            _check_script_python(settings, ctx)
            if from_files.locks:
                request = locked_request(ctx, request, from_files.locks, settings)
            _prefetch_roots(ctx, request)
            _say_interpreter(ctx, printer)
            from spoke.app.install import run_install

            outcome = run_install(ctx, request)
        finally:
            reporter.close()
        return _finish(ctx, outcome, request, settings, positional, printer, read, started,
                       invocation=invocation)
    finally:
        ctx.close()


def locked_request(ctx: Any, request: InstallRequest, locks: Sequence[str], settings: Any) -> InstallRequest:
    """``request`` with what the lock files install into ``ctx``'s target — with the lock's
    extras and dependency groups named by ``--extra`` / ``--group`` (else its default groups) —
    the locked files themselves, with their hashes, and nothing resolved (``no_deps``)."""
    from spoke.reqs.pylock import lock_requirements

    interp = ctx.interpreter
    extras = tuple(settings.get("extras", None) or ())
    groups = tuple(settings.get("groups", None) or ()) or None
    locked = [item for path in locks
              for item in lock_requirements(Path(path), markers=interp.markers, tags=interp.tags,
                                            extras=extras, groups=groups)]
    return replace(request, requirements=(*request.requirements, *locked), no_deps=True)


def read_overrides(settings: Any, environ: Mapping[str, str] | None) -> tuple[UserRequirement, ...]:
    """The requirements of the ``--overrides`` files (requirements format)."""
    from spoke.reqs import parse_requirements_file

    out: list[UserRequirement] = []
    for path in settings.get("overrides", None) or ():
        out.extend(parse_requirements_file(path, environ=environ).requirements)
    return tuple(out)


def install_request(
    settings: Any, reqs: Sequence[UserRequirement], constraints: Sequence[UserRequirement],
    from_files: RequirementsFile, *, environ: Mapping[str, str] | None = None,
) -> InstallRequest:
    """``spoke install``'s typed request: the one place its settings are read, merged with what
    the requirements files said (``--pre``, ``--only-binary``… lines)."""
    from spoke.app.requests import InstallRequest

    get = settings.get
    return InstallRequest(
        requirements=tuple(reqs),
        constraints=tuple(constraints),
        upgrade=bool(get("upgrade", None)),
        upgrade_strategy=get("upgrade_strategy", None) or "only-if-needed",
        force_reinstall=bool(get("force_reinstall", None)),
        ignore_installed=bool(get("ignore_installed", None)),
        no_deps=bool(get("no_deps", None)),
        pre=bool(get("pre", None)) or from_files.pre,
        dry_run=bool(get("dry_run", None)),
        no_binary=_names([*(get("no_binary", None) or ()), *from_files.no_binary]),
        only_binary=_names([*(get("only_binary", None) or ()), *from_files.only_binary]),
        prefer_binary=bool(get("prefer_binary", None)) or from_files.prefer_binary,
        require_hashes=bool(get("require_hashes", None)) or from_files.require_hashes or any(r.hashes for r in reqs),
        link_mode=get("link_mode", None) or "auto",
        compile=bool(get("compile", None)),
        report=get("report", None),
        upgrade_all=bool(get("upgrade_all", None)),
        build_isolation=not get("no_build_isolation", None),
        config_settings=tuple(get("config_settings", None) or ()),
        src_dir=Path(get("src", None)).absolute() if get("src", None) else None,
        foreign=_foreign(settings),
        overrides=read_overrides(settings, environ),
        audit=_audit_check(settings),
    )


def _audit_check(settings: Any) -> Any:
    """``--audit`` (config key ``audit``): where to look the resolved versions up."""
    if not settings.get("audit", None):
        return None
    from spoke.cli.audit import audit_sources

    return audit_sources(settings)


def _foreign(settings: Any) -> Any:
    """``--platform``…, checked: another environment's files can only be looked at
    (``--dry-run``) or laid into a folder of their own (``--target``), as wheels."""
    get = settings.get
    if not any(get(key, None) for key in ("platforms", "python_versions", "implementation", "abis")):
        return None  # the usual case stays off the foreign-target module
    from spoke.cli.download import foreign_target
    from spoke.env.foreign import check_wheels_only

    if not (get("dry_run", None) or get("target", None)):
        raise UsageError("--platform, --python-version, --implementation and --abi need --dry-run or "
                         "--target DIR with `spoke install`",
                         hint="Packages for another environment cannot go into this one.")
    check_wheels_only(_names(get("only_binary", None) or ()), bool(get("no_deps", None)))
    return foreign_target(settings)


def _finish(
    ctx: Any, outcome: Any, request: Any, settings: Any, positional: Sequence[str],
    printer: Printer, files: Mapping[str, str | None] | None, started: float, *,
    invocation: Invocation | None = None, sync: bool = False,
) -> int:
    """Render an install's outcome; remember a satisfied request for the no-op shortcuts.

    ``files``: the requirements files read, with their digests as read (``None``: the request
    is never remembered). A ``sync`` is remembered only as typed (its request, which removes
    what the files do not list, has no key of its own).
    """
    from spoke.cli.report import build_report, write_report

    upgrade_all = request.upgrade_all
    for warning in outcome.warnings:
        printer.warning(warning)
    for held in outcome.held_back:
        printer.warning(held.message)
    plan = outcome.plan
    n = len(outcome.resolution)
    printer.info(f"Resolved {n} package{'s' if n != 1 else ''} in {format_duration(outcome.timings.get('resolve', 0))}")
    if request.report:
        text = write_report(build_report(outcome.interpreter, outcome.plan, overrides=request.overrides),
                            request.report)
        if text is not None:
            printer.stdout(text)
    if outcome.dry_run:
        if plan.empty:
            printer.info("Would make no changes")
        else:
            printer.info(f"Would install {len(plan.install)} package{'s' if len(plan.install) != 1 else ''}")
            _changes(printer, plan)
        return 0
    if plan.empty and upgrade_all:
        printer.info(f"Nothing to upgrade: all {n} package{'s' if n != 1 else ''} already satisfied "
                     "at the newest versions that fit together")
        return 0
    if plan.empty:
        printer.info(_audited(n))
        _remember_satisfied(ctx, settings, request, positional, files, outcome, _said(printer, n), invocation,
                            sync=sync)
        return 0
    if not plan.install:
        printer.info(f"Removed {len(plan.remove)} package{'s' if len(plan.remove) != 1 else ''}")
        _changes(printer, plan)
        return 0
    if "prepare" in outcome.timings:
        printer.info(f"Prepared {len(plan.install)} package{'s' if len(plan.install) != 1 else ''} in "
                     f"{format_duration(outcome.timings['prepare'])}")
    printer.info(f"Installed {len(plan.install)} package{'s' if len(plan.install) != 1 else ''} in "
                 f"{format_duration(outcome.timings.get('install', 0))}")
    _changes(printer, plan)
    printer.detail(f"Total {format_duration(time.perf_counter() - started)}")
    _how_to_run(ctx, outcome.interpreter, settings, printer)
    _remember_satisfied(ctx, settings, request, positional, files, outcome, _said(printer, n), invocation,
                        sync=sync)
    return 0


def _audited(n: int) -> str:
    """What a satisfied install says (the next identical one says it too, see spoke.app.noop)."""
    return f"Audited {n} package{'s' if n != 1 else ''}: all requirements already satisfied"


def _said(printer: Printer, n: int) -> str:
    """What the next identical install prints: :func:`_audited`, or nothing under ``-q``."""
    return _audited(n) if printer.verbosity >= 0 else ""


def _changes(printer: Printer, plan: Any) -> None:
    removed = {d.name: d for d in plan.remove}
    rows: list[tuple[str, str, Any]] = []
    for pkg in plan.install:
        old = removed.pop(pkg.name, None)
        if old is not None:
            rows.append((pkg.name, "-", old.version))
        rows.append((pkg.name, "+", pkg.version))
    for name, dist in removed.items():
        rows.append((name, "-", dist.version))
    for name, sign, version in sorted(rows, key=lambda r: (r[0], r[1] == "+")):
        printer.change(sign, name, version)


# Settings that never change what an install resolves to (output, cache location).
_NOT_IN_KEY = frozenset({"verbose", "quiet", "no_color", "cache_dir", "no_cache_dir", "no_input",
                         "disable_pip_version_check", "timeout", "retries"})


def _fast_path_key(settings: Any, request: InstallRequest, positional: Sequence[str]) -> list[str] | None:
    """The request's key parts, or None when this request must always take the full path."""
    if (request.upgrade or request.force_reinstall or request.ignore_installed or request.dry_run
            or request.report or request.upgrade_all or settings.get("target", None)
            or any(r.editable for r in request.requirements)):
        return None
    if any(looks_like_path_or_url(a) for a in positional):
        return None
    values = getattr(settings, "values", {})
    flags = sorted((k, repr(v)) for k, v in values.items() if k not in _NOT_IN_KEY)
    get = settings.get
    files = [str(Path(p).absolute()) for p in [*(get("requirements", None) or ()), *(get("constraints", None) or ())]]
    return [*positional, "\0files", *files, "\0flags", *(f"{k}={v}" for k, v in flags)]


def _installed_paths(ctx: Any) -> tuple[Any, Any]:
    """The target interpreter and the folders whose dist-infos fingerprint the environment."""
    from spoke.app.target import check_target_allowed, installed_paths, select_scheme

    interp = ctx.interpreter
    check_target_allowed(ctx, interp)
    return interp, installed_paths(ctx, interp, select_scheme(ctx, interp))


def _start_probe(settings: Any, printer: Printer, environ: Mapping[str, str]) -> None:
    """Find the target and start probing it in the background (see Context.start_inspecting)."""
    ctx, reporter = make_context(settings, printer, environ)
    try:
        ctx.start_inspecting()
    finally:
        reporter.close()
        ctx.close()  # a --no-cache-dir context's temporary cache goes with it


def _prefetch_roots(ctx: Any, request: InstallRequest) -> None:
    """Start fetching the index pages of the projects named, while the rest of spoke loads.

    The first requests then overlap the quarter second of imports and set-up that comes
    before the solver asks for them (measured: the first page was requested 0.4 s after
    start). Only projects with nothing installed under their name are fetched, so a request
    the environment already satisfies stays off the network.
    """
    names = {
        r.requirement.name for r in request.requirements
        if r.requirement is not None and not r.requirement.url and r.requirement.marker is None
        and r.link is None and not r.editable
    }
    if not names:
        return
    from packaging.utils import canonicalize_name

    from spoke.app.target import installed_paths, select_scheme
    from spoke.env.installed import installed_distributions

    interp = ctx.interpreter
    if not (request.upgrade or request.force_reinstall or request.ignore_installed
            or ctx.target_settings.target is not None):
        present = installed_distributions(installed_paths(ctx, interp, select_scheme(ctx, interp)))
        names = {n for n in names if canonicalize_name(n) not in present}
    if names:
        ctx.index.prefetch(sorted(names))


def _digests_as_read(reqs: Sequence[UserRequirement], files: Sequence[str]) -> dict[str, str | None] | None:
    """The requirements files just read, by digest; ``None`` when the request is never
    remembered as satisfied (it names a folder or URL, whose files may change without any
    dist-info changing). Taken now, before resolving: an edit landing during the install
    must not be recorded as satisfied."""
    from spoke.app.noop import file_digests

    if any(r.link or (r.requirement is not None and r.requirement.url) for r in reqs):
        return None
    return file_digests(files)


def _satisfied_before(
    settings: Any, request: InstallRequest, positional: Sequence[str], printer: Printer,
    environ: Mapping[str, str], invocation: Invocation | None,
) -> int | None:
    """Exit code 0 when a record says this request is satisfied by the environment as it is."""
    from spoke.app.noop import lookup_request, request_key

    parts = _fast_path_key(settings, request, positional)
    if parts is None:
        return None
    ctx, reporter = make_context(settings, printer, environ)
    try:
        interp, paths = _installed_paths(ctx)
        record = lookup_request(ctx.cache.root, request_key(interp.executable, parts), paths=paths)
        if record is None:
            return None
        printer.info(_audited(record.packages))
        # The record held just now: the same state, now also under the command as typed.
        _write_record(ctx, interp, record.environment, record.files, record.packages,
                      _said(printer, record.packages), request=None, invocation=invocation)
        return 0
    finally:
        reporter.close()
        ctx.close()


def _remember_satisfied(
    ctx: Any, settings: Any, outcome_request: InstallRequest, positional: Sequence[str],
    files: Mapping[str, str | None] | None, outcome: Any, message: str, invocation: Invocation | None,
    *, sync: bool = False,
) -> None:
    """Record that this request is now satisfied, in the state the install observed under the
    environment's lock (``outcome.environment``), never in a state looked at afterwards."""
    from spoke.app.noop import request_key

    if sync:
        if files is not None and outcome.environment is not None and invocation is not None:
            _write_record(ctx, outcome.interpreter, outcome.environment, files, len(outcome.resolution), message,
                          request=None, invocation=invocation)
        return
    parts = _fast_path_key(settings, outcome_request, positional)
    if parts is None or files is None or outcome.environment is None:
        return
    interp = outcome.interpreter
    _write_record(ctx, interp, outcome.environment, files, len(outcome.resolution), message,
                  request=request_key(interp.executable, parts), invocation=invocation)


def _write_record(
    ctx: Any, interp: Any, environment: EnvironmentState, files: Mapping[str, str | None],
    packages: int, message: str, *, request: str | None, invocation: Invocation | None,
) -> None:
    """Write one :class:`~spoke.app.noop.Record` under the request's key and, for the quick
    answer, the command's (``message``: what that answer prints, ``""`` under ``-q``).

    The record also checks every configuration file spoke looks for (digest, or absent) and
    the environment's journal (must stay absent).
    """
    from spoke.app.noop import file_digests, new_record, record_paths
    from spoke.app.target import state_root
    from spoke.cache import write_atomic
    from spoke.config.files import config_locations, site_config_path
    from spoke.installer.transaction import JOURNAL, state_dir

    if ctx.cache.temporary:
        return
    where = record_paths(ctx.cache.root, request=request, invocation=invocation)
    if not where:
        return
    configs = file_digests(c.path for c in config_locations(
        ctx.environ, site_config=site_config_path(interp.sys_prefix)))
    journal = str(state_dir(state_root(ctx, interp)) / JOURNAL)
    data = new_record(
        packages=packages, message=message, interpreter=interp.executable, environment=environment,
        files={**files, **configs, journal: None},
    ).to_bytes()
    try:
        for path in where:
            write_atomic(Path(path), data)
    except OSError:
        pass  # a read-only cache only costs speed

