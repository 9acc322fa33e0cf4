"""``spoke why-not NAME[==VERSION]``: what keeps NAME below its newest release (or VERSION).

For the target environment: the installed version, the newest one the indexes offer for this
target (or the one asked for), and each reason it is not installed: a requirement of an
installed package that excludes it, a Requires-Python the target's Python does not meet, no
file for this platform, a yank, a pre-release. When nothing blocks it, the command that
would move it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from spoke.app.context import Context
from spoke.errors import RequirementError

if TYPE_CHECKING:
    from spoke.reqs import UserRequirement


@dataclass(frozen=True, slots=True, kw_only=True)
class WhyNot:
    """The answer: what is installed, what was asked about, and why it is not there."""

    name: str
    installed: Version | None
    wanted: Version | None  # None: the index has no usable version at all
    reasons: tuple[str, ...]
    newest_usable: Version | None = None
    asked: bool = False  # a version was named (NAME==VERSION)


def why_not(ctx: Context, text: str, requirements: Sequence[UserRequirement] = ()) -> WhyNot:
    """Explain why ``text`` (``NAME`` or ``NAME==VERSION``) is not what the target has; with
    ``requirements`` (``-r FILE``), why they do not resolve with that version (the resolver's
    own chain), instead of what the environment holds."""
    from spoke.app.check import read_packages
    from spoke.app.environment import installed_set
    from spoke.plan.candidates import FilePolicy, group_versions

    try:
        req = Requirement(text)
    except ValueError as exc:
        raise RequirementError(f"Invalid `{text}`: {exc}", hint="Give a name, or NAME==VERSION.") from None
    name = canonicalize_name(req.name)
    try:
        asked = next((Version(s.version) for s in req.specifier if s.operator == "=="), None)
    except InvalidVersion:
        raise RequirementError(f"`{text}` names no single version",
                               hint="Give a name, or NAME==VERSION with a whole version (`six==1.16.0`).") from None
    found = installed_set(ctx)
    interp = found.interpreter
    dist = found.dists.get(name)
    files = ctx.index.files(name)
    policy = FilePolicy.for_interpreter(interp)
    usable, rejected = group_versions(name, files, policy)
    finals = [v for v, c in usable.items() if not c.yanked and not v.is_prerelease]
    newest_usable = max(finals) if finals else None
    everything = sorted({f.version for f in files})
    wanted = asked or (max(v for v in everything if not v.is_prerelease) if everything else None)
    reasons: list[str] = []
    if wanted is None:
        reasons.append(f"the indexes offer no release of {name}")
    elif asked is not None and asked not in everything:
        reasons.append(f"{name} {asked} does not exist (the indexes offer {', '.join(map(str, everything[-5:]))})")
    elif wanted in rejected:
        reasons.append(f"{name} {wanted} {_explained(rejected[wanted], interp)}")
    elif wanted in usable and usable[wanted].yanked:
        reasons.append(f"{name} {wanted} was yanked")
    if requirements:
        if wanted is not None and not reasons:
            reasons += _held_by_requirements(ctx, requirements, name, wanted)
        return WhyNot(name=name, installed=dist.version if dist is not None else None, wanted=wanted,
                      reasons=tuple(reasons), newest_usable=newest_usable, asked=asked is not None)
    packages, _broken = read_packages(found.dists.values())
    markers = interp.markers
    for pkg in sorted(packages, key=lambda p: p.name):
        for dep in pkg.requires:
            if canonicalize_name(dep.name) != name or wanted is None:
                continue
            if dep.marker is not None and not dep.marker.evaluate({**markers, "extra": ""}):
                continue
            if not dep.specifier.contains(wanted, prereleases=True):
                reasons.append(f"{pkg.name} {pkg.version} (installed) requires {dep}")
    return WhyNot(name=name, installed=dist.version if dist is not None else None, wanted=wanted,
                  reasons=tuple(reasons), newest_usable=newest_usable, asked=asked is not None)


def _held_by_requirements(
    ctx: Context, requirements: Sequence[UserRequirement], name: str, wanted: Version,
) -> list[str]:
    """Why ``requirements`` and ``name==wanted`` do not resolve together for the target (as
    ``download`` resolves: nothing installed counts): the resolver's explanation, line by line;
    nothing when they do."""
    from pathlib import Path

    from spoke.app.install import BuildEnvironments
    from spoke.app.requests import DownloadRequest
    from spoke.app.sources import SourceBuilder
    from spoke.app.stages import make_policy, resolve_request, resolving_target
    from spoke.errors import ResolutionImpossible
    from spoke.reqs import parse_requirement

    request = DownloadRequest(
        requirements=(*requirements, parse_requirement(f"{name}=={wanted}", source="spoke why-not")), dest=Path("."))
    sources = SourceBuilder(ctx, ctx.interpreter, build_context=BuildEnvironments(ctx))
    try:
        target = resolving_target(ctx)
        policy = make_policy(ctx, request, target, sources)
        resolve_request(ctx, request, target, policy, sources, fetch_early=False)
    except ResolutionImpossible as exc:
        return [exc.message, *exc.notes]
    finally:
        sources.close()
    return []


def _explained(reason: str, interp: object) -> str:
    if reason.startswith("requires Python"):
        return f"{reason} (the target runs Python {getattr(interp, 'python_full_version', '?')})"
    return reason
