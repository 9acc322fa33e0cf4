"""``spoke compile``: install's stages up to *resolved*, then a fully pinned requirements file.

    project inputs ─▶ resolving_target ─▶ make_policy (+ the old pins) ─▶ resolve_request ─▶ pins

Inputs are requirements files (``requirements.in``, read by the CLI like ``-r`` files) and
project files (``pyproject.toml``, ``setup.cfg``, ``setup.py``), whose dependencies (and the
``--extra`` ones) are read statically when ``[project]`` declares them, else from the PEP 517
backend's metadata. The pins of the output file written before are the solver's preferences:
with unchanged inputs a re-run chooses the same versions (a byte-identical file), a new
requirement moves only what it must, and ``-U``/``-P NAME`` lift them. The file itself is
written by :mod:`spoke.plan.pinfile` (pip-compile's format).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from spoke.app.context import Context
from spoke.app.requests import CompileRequest
from spoke.errors import RequirementError, UsageError
from spoke.models import Interpreter
from spoke.plan.pinfile import Pin, read_pins, via_of
from spoke.plan.resolve import Resolution, ResolvedPackage
from spoke.reqs import UserRequirement

if TYPE_CHECKING:
    from packaging.version import Version

    from spoke.app.sources import SourceBuilder
    from spoke.app.stages import Policy
    from spoke.plan.markerset import MarkerSet
    from spoke.plan.universal import UniversalResolution


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileOutcome:
    """The pins chosen, and what the run noticed (dropped old pins, ignored requirements)."""

    interpreter: Interpreter
    resolution: Resolution  # every version chosen (one project may have several when universal)
    pins: tuple[Pin, ...]
    #: ``--universal`` / ``spoke lock``: the resolution with each package's environments, and
    #: the Pythons it covers.
    universal: UniversalResolution | None = None
    requires_python: str | None = None
    extras: tuple[str, ...] = ()  # with ``project_activations``: the project's extras and groups
    groups: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0


def run_compile(ctx: Context, request: CompileRequest) -> CompileOutcome:
    """Resolve ``request``'s inputs for the target and pin every chosen version."""
    from spoke.app.install import BuildEnvironments
    from spoke.app.sources import SourceBuilder
    from spoke.app.stages import make_policy, resolve_request, resolve_universal_request, resolving_target

    started = time.perf_counter()
    sources = SourceBuilder(
        ctx, ctx.interpreter, isolation=request.build_isolation, config_settings=request.config_settings,
        src_dir=request.src_dir, build_context=BuildEnvironments(ctx),
    )
    try:
        target = resolving_target(ctx, request.foreign)
        markers = target.interpreter.markers
        requires_python, scope = universal_scope(ctx.interpreter, request) if request.universal else (None, None)
        activations: dict[str, frozenset[str | None]] = {}
        extras: list[str] = []
        groups: list[str] = []
        from_projects: list[UserRequirement] = []
        for path in request.projects:
            if request.universal and request.project_activations:
                found, provided, declared = project_activations(sources, path)
                for item, label in found:
                    assert item.requirement is not None
                    key = str(item.requirement)
                    activations[key] = activations.get(key, frozenset()) | {label}
                    from_projects.append(item)
                extras += provided
                groups += declared
            else:
                from_projects += project_requirements(sources, path, request.extras, request.all_extras,
                                                      None if request.universal else markers)
        # The file written before (its pins kept where they fit), else the preferences given (a lock's).
        old = (read_pins(request.output) if request.output is not None and request.output.is_file()
               else {canonicalize_name(n): v for n, v in request.preferred.items()})
        preferred, lifted = _preferences(request, old)
        full = replace(request, requirements=(*request.requirements, *from_projects),
                       constraints=(*request.constraints, *lifted), preferred=preferred)
        policy = make_policy(ctx, full, target, sources)
        universal: UniversalResolution | None = None
        if scope is not None:
            universal, warnings = resolve_universal_request(ctx, policy, sources, scope, activations)
            resolution = Resolution(packages=tuple(u.package for u in universal.packages))
        else:
            resolved = resolve_request(ctx, full, target, policy, sources, fetch_early=False)
            resolution, warnings = resolved.resolution, resolved.warnings
    finally:
        sources.close()
    packages = resolution.packages
    notes = tuple(
        f"{p.name}=={old[p.name]} from {request.output.name if request.output else 'the output'} no longer fits "
        f"the inputs; chose {p.version}"
        for p in packages if p.name in old and old[p.name] != p.version and p.name in preferred
    )
    pins = make_pins(ctx, replace(full, constraints=request.constraints), policy, packages, markers, universal)
    return CompileOutcome(
        interpreter=target.interpreter, resolution=resolution, pins=tuple(pins), notes=notes,
        warnings=warnings, seconds=time.perf_counter() - started, universal=universal,
        requires_python=requires_python, extras=tuple(sorted(set(extras))), groups=tuple(sorted(set(groups))),
    )


def universal_scope(interp: Interpreter, request: CompileRequest) -> tuple[str, Callable[[], MarkerSet]]:
    """The ``requires-python`` a universal resolution covers (``--python-requirement``, else
    the project's, else this Python's minor and newer, as uv), and what gives the environments
    it is for (within ``--environment`` markers; asked again when the platforms grow)."""
    from packaging.markers import InvalidMarker, Marker
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from spoke.plan.markerset import extend_platforms, scope_of

    text = request.python_requirement or project_requires_python(request.projects)
    if not text:
        text = f">={interp.version[0]}.{interp.version[1]}"
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        raise UsageError(f"Invalid Python requirement `{text}`",
                         hint="Give a version specifier, e.g. --python-requirement '>=3.9'.") from None
    for marker in request.environments:
        try:
            Marker(marker)
        except InvalidMarker as exc:
            raise UsageError(f"Invalid --environment `{marker}`: {exc}",
                             hint="Give a PEP 508 marker, e.g. --environment \"sys_platform == 'linux'\".") from None
    extend_platforms([*request.environments, *(item.requirement.marker for item in request.requirements
                                               if item.requirement is not None and item.requirement.marker)])
    if not scope_of(text, request.environments):
        raise UsageError(f"No environment is left: Python {text} within {' or '.join(request.environments)}",
                         hint="Widen --python-requirement or the --environment markers.")
    return text, lambda: scope_of(text, request.environments)


def project_requires_python(paths: Sequence[Path]) -> str | None:
    """The ``requires-python`` of a ``pyproject.toml`` among ``paths`` (None when none says)."""
    from spoke.config.toml import tomllib

    for path in paths:
        if path.name == "pyproject.toml":
            try:
                value = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {}).get("requires-python")
            except (OSError, ValueError):
                return None
            return str(value) if value else None
    return None


def _preferences(
    request: CompileRequest, old: Mapping[NormalizedName, Version],
) -> tuple[dict[str, Version], tuple[UserRequirement, ...]]:
    """The old output's pins as preferences, less what ``-U``/``-P`` lift; and each
    ``-P NAME==VER`` as a constraint."""
    lifted: set[str] = set()
    constraints: list[UserRequirement] = []
    for text in request.upgrade_packages:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise UsageError(
                f"Invalid --upgrade-package `{text}`: {exc}",
                hint="Give a project name, optionally with a version: `-P django` or `-P django==4.2.7`.",
            ) from None
        lifted.add(canonicalize_name(req.name))
        if str(req.specifier):
            constraints.append(UserRequirement(text=text, source="--upgrade-package", requirement=req,
                                               constraint=True))
    preferred: dict[str, Version] = {} if request.upgrade_pins else {n: v for n, v in old.items() if n not in lifted}
    return preferred, tuple(constraints)


# -- project files --------------------------------------------------------------------------


def project_requirements(
    sources: SourceBuilder, path: Path, extras: Sequence[str], all_extras: bool, markers: Mapping[str, str] | None,
) -> list[UserRequirement]:
    """The dependencies a project file declares (with the extras asked for), each marked with
    its origin ``name (pyproject.toml)`` as pip-compile annotates them. Markers are evaluated
    for the target of ``markers``; with None (universal) they are kept, the extras decided."""
    name, requires, provided = _static_project(path) or _built_project(sources, path)
    wanted = set(provided) if all_extras else {canonicalize_name(e) for e in extras}
    unknown = sorted(wanted - {canonicalize_name(e) for e in provided})
    if unknown:
        raise UsageError(
            f"{name} ({path.name}) has no extra named {', '.join(f'`{e}`' for e in unknown)}",
            hint=f"Its extras: {', '.join(sorted(provided)) or 'none'}.",
        )
    origin = f"{name} ({path.name})"
    out: list[UserRequirement] = []
    for req in requires:
        if req.marker is not None and markers is None:
            kept = _universal_marker(req, wanted)
            if kept is None:
                continue
            req = kept
        elif req.marker is not None and markers is not None:
            if not any(req.marker.evaluate({**markers, "extra": extra}) for extra in ("", *sorted(wanted))):
                continue
            req = Requirement(str(req).split(";", 1)[0].strip())  # the marker held for this target
        out.append(UserRequirement(text=str(req), source=origin, requirement=req))
    return out


def project_activations(
    sources: SourceBuilder, path: Path,
) -> tuple[list[tuple[UserRequirement, str | None]], list[str], list[str]]:
    """A project's dependencies with what brings each in: None (always), ``"extra:NAME"`` for
    each extra that adds it, ``"group:NAME"`` for each ``[dependency-groups]`` entry (PEP 735);
    and the names of its extras and groups."""
    from spoke.plan.markerset import marker_set

    name, requires, provided = _static_project(path) or _built_project(sources, path)
    origin = f"{name} ({path.name})"
    out: list[tuple[UserRequirement, str | None]] = []
    for req in requires:
        base = _universal_marker(req, ())
        if base is not None:
            out.append((UserRequirement(text=str(base), source=origin, requirement=base), None))
        for extra in sorted(provided):
            if req.marker is None or not (marker_set(req.marker, extra) - marker_set(req.marker, "")):
                continue
            kept = _universal_marker(req, (extra,))
            if kept is not None:
                out.append((UserRequirement(text=str(kept), source=f"{name}[{extra}] ({path.name})",
                                            requirement=kept), f"extra:{extra}"))
    groups = _declared_groups(path)
    if groups:
        from spoke.reqs.groups import group_requirements

        for group in groups:
            for item in group_requirements([f"{path}:{group}"]):
                if item.requirement is not None:
                    out.append((item, f"group:{group}"))
    return out, sorted(provided), groups


def _declared_groups(path: Path) -> list[str]:
    """The names in a pyproject.toml's ``[dependency-groups]`` table (none for other files)."""
    if path.name != "pyproject.toml":
        return []
    from packaging.utils import canonicalize_name

    from spoke.config.toml import tomllib

    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("dependency-groups")
    except (OSError, ValueError):
        return []
    return sorted(str(canonicalize_name(g)) for g in table) if isinstance(table, dict) else []


def _universal_marker(req: Requirement, extras: Iterable[str]) -> Requirement | None:
    """``req`` with the ``extra`` of its marker decided for ``extras`` (None: never needed)."""
    from spoke.plan.markerset import MarkerSet, marker_set, render

    if req.marker is None:
        return req
    where = marker_set(req.marker, "")
    for extra in sorted(extras):
        where = where | marker_set(req.marker, extra)
    if not where:
        return None
    base = str(req).split(";", 1)[0].strip()
    text = render(where, MarkerSet.everything())
    return Requirement(f"{base}; {text}" if text else base)


def _static_project(path: Path) -> tuple[str, list[Requirement], list[str]] | None:
    """``[project]``'s name, dependencies and optional ones, when pyproject.toml declares them
    (not ``dynamic``): no build needed. ``None`` for anything else."""
    if path.name != "pyproject.toml":
        return None
    from spoke.config.toml import tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RequirementError(f"Cannot read `{path}`: {exc}",
                               hint="Fix the file, then run the command again.") from None
    project = data.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        return None
    dynamic = project.get("dynamic") or []
    if "dependencies" in dynamic or "optional-dependencies" in dynamic:
        return None
    optional = project.get("optional-dependencies") or {}
    try:
        requires = [Requirement(r) for r in project.get("dependencies") or []]
        for extra, items in optional.items():
            requires += [_with_extra(Requirement(r), extra) for r in items]
    except (InvalidRequirement, TypeError, AttributeError) as exc:
        raise RequirementError(f"`{path}` has an invalid dependency: {exc}",
                               hint="Fix the requirement in `[project]` (PEP 508).") from None
    return project["name"], requires, [canonicalize_name(e) for e in optional]


def _with_extra(req: Requirement, extra: str) -> Requirement:
    """``req`` as an optional dependency: its marker and ``extra == "name"``."""
    base = str(req).split(";", 1)[0].strip()
    marker = f'extra == "{canonicalize_name(extra)}"'
    return Requirement(f"{base}; ({req.marker}) and {marker}" if req.marker else f"{base}; {marker}")


def _built_project(sources: SourceBuilder, path: Path) -> tuple[str, list[Requirement], list[str]]:
    """The project's metadata from its PEP 517 backend (``prepare_metadata_for_build_wheel``)."""
    from spoke.models.direct import DirectSource
    from spoke.reqs.direct import path_to_url

    folder = path.parent.absolute()
    source = DirectSource(kind="dir", url=path_to_url(folder), text=str(folder), origin=str(path), path=folder)
    cand = sources.materialize(source)
    meta = cand.metadata
    return meta.display_name, list(meta.requires_dist), [canonicalize_name(e) for e in meta.provides_extra]


# -- pins -----------------------------------------------------------------------------------


def make_pins(
    ctx: Context, request: CompileRequest, policy: Policy, packages: Sequence[ResolvedPackage],
    markers: Mapping[str, str], universal: UniversalResolution | None = None,
) -> list[Pin]:
    """One pin per package, with its ``# via`` sources and (with ``--generate-hashes``) the
    hashes of every file of that version the indexes offer; universal: with its marker."""
    from spoke.plan.markerset import render

    graph: Mapping[NormalizedName, Sequence[NormalizedName]]
    if universal is not None:
        graph = {name: sorted(children) for name, children in universal.graph.items()}
        marker_of = {(u.package.name, u.package.version): render(u.marker, universal.scope)
                     for u in universal.packages}
    else:
        graph = {p.name: _children(p, markers) for p in packages}
        marker_of = {}
    roots: dict[NormalizedName, set[str]] = {}
    for item in (*request.requirements, *request.constraints):
        name = _name_of(item, policy)
        if name is not None:
            roots.setdefault(name, set()).add(_origin(item))
    for item in request.overrides:  # shown as overridden, as uv does
        if item.requirement is not None:
            where = item.source.rpartition(":")[0] or item.source
            roots.setdefault(canonicalize_name(item.requirement.name), set()).add(f"--overrides {where}")
    via = via_of(graph, roots)
    pins = []
    for pkg in packages:
        direct = policy.direct.get(pkg.name) if pkg.direct is not None else None
        pins.append(Pin(
            name=pkg.name, version=pkg.version, via=via.get(pkg.name, frozenset()), extras=pkg.extras,
            hashes=_hashes(ctx, pkg) if request.generate_hashes else (),
            direct=direct.source.text if direct is not None else None,
            editable=bool(direct is not None and direct.source.editable),
            marker=marker_of.get((pkg.name, pkg.version), ""),
        ))
    return pins


def _children(pkg: ResolvedPackage, markers: Mapping[str, str]) -> list[NormalizedName]:
    """What ``pkg`` (with its chosen extras) depends on for the target."""
    if pkg.metadata is None:
        return []
    envs = [{**markers, "extra": extra} for extra in ("", *pkg.extras)]
    return [
        canonicalize_name(req.name) for req in pkg.metadata.requires_dist
        if req.marker is None or any(req.marker.evaluate(env) for env in envs)
    ]


def _name_of(item: UserRequirement, policy: Policy) -> NormalizedName | None:
    if item.requirement is not None:
        return canonicalize_name(item.requirement.name)
    for name, cand in policy.direct.items():
        if cand.source.text == item.text:
            return canonicalize_name(name)
    return None


def _origin(item: UserRequirement) -> str:
    """``-r requirements.in`` / ``-c constraints.txt`` for a file line (pip-compile's words),
    the origin as given for a project's dependency."""
    where, sep, line = item.source.rpartition(":")
    if sep and line.isdigit():
        return f"{'-c' if item.constraint else '-r'} {where}"
    return item.source


def _hashes(ctx: Context, pkg: ResolvedPackage) -> tuple[str, ...]:
    """``sha256:…`` of every file of ``pkg``'s version (all platforms' wheels and the sdist, so
    the file installs in hash-checking mode anywhere); a direct archive's own hash."""
    from spoke.prepare import file_digests, local_path

    if pkg.direct is not None:
        source = pkg.direct.source
        if source.kind in ("dir", "vcs"):
            return ()  # nothing to hash (pip-tools' warning in the file says so)
        path = source.path or local_path(source.url)
        if path is not None and path.is_file():
            return (f"sha256:{file_digests(path)['sha256']}",)
        found = [h for h in source.hashes if h.startswith("sha256:")]
        return tuple(sorted(found))
    digests: set[str] = set()
    for file in ctx.index.files(pkg.name):
        if file.version == pkg.version:
            digest = file.sha256 or _digest_of(ctx, file)
            digests.add(f"sha256:{digest}")
    return tuple(sorted(digests))


def _digest_of(ctx: Context, file: Any) -> str:
    """The sha256 of a file the index gives no hash for (downloaded to find it, as pip-tools)."""
    import tempfile

    from spoke.prepare import file_digests, local_path

    local = local_path(file.url)
    if local is not None:
        return str(file_digests(local)["sha256"])
    with tempfile.TemporaryDirectory(dir=ctx.cache.bucket("builds")) as tmp:
        target = Path(tmp) / "file"
        ctx.http.download(file.url, target, progress_name=file.filename)
        return str(file_digests(target)["sha256"])
