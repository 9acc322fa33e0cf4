"""``spoke index versions``: what the configured indexes offer for one project, for the target.

As pip's ``index versions``: the versions with a file the target can use (its tags and Python;
yanked files left out), final releases only unless pre-releases are asked for, newest first,
and the installed version beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.app.context import Context
from spoke.env.foreign import ForeignTarget
from spoke.errors import NoMatchingDistribution


@dataclass(frozen=True, slots=True, kw_only=True)
class AvailableVersions:
    """The versions of ``name`` the indexes offer for the target, newest first."""

    name: str
    versions: tuple[Version, ...]
    installed: Version | None = None

    @property
    def latest(self) -> Version:
        """The newest version offered."""
        return self.versions[0]


def available_versions(
    ctx: Context, name: str, *, pre: bool = False, foreign: ForeignTarget | None = None,
) -> AvailableVersions:
    """The versions of ``name`` for ``ctx``'s target (or the ``foreign`` environment asked
    for); :class:`NoMatchingDistribution` when none fits (naming why the newest files do not)."""
    from spoke.app.environment import installed_set
    from spoke.plan.candidates import FilePolicy, group_versions

    interp = ctx.interpreter
    if foreign is not None and foreign.given:
        from spoke.env.foreign import foreign_interpreter

        interp = foreign_interpreter(interp, foreign)
    policy = FilePolicy.for_interpreter(interp)
    choices, rejected = group_versions(canonicalize_name(name), ctx.index.files(name), policy)
    versions = sorted(
        (v for v, choice in choices.items() if not choice.yanked and (pre or not v.is_prerelease)),
        reverse=True,
    )
    if not versions:
        notes = [f"{name} {v} cannot be used: it {why}" for v, why in sorted(rejected.items(), reverse=True)[:3]]
        if any(v.is_prerelease for v in choices) and not pre:
            notes.append("only pre-releases fit: add --pre to see them")
        raise NoMatchingDistribution(
            f"No matching distribution found for {name}",
            notes=notes, hint="Check the name and your index settings (-i, --extra-index-url, -f).",
        )
    dist = installed_set(ctx).dists.get(canonicalize_name(name))
    return AvailableVersions(name=name, versions=tuple(versions), installed=dist.version if dist else None)
