"""``spoke sync FILE…``: make the target exactly what pinned requirements files say.

    pinned files ─▶ InstallRequest(no_deps, remove=everything not listed) ─▶ install's stages

What is missing is installed, what differs is changed and what is not listed is removed, in
one transaction (``spoke history``/``rollback``), through install's own stages: the files are
the whole truth, so nothing beyond them is resolved (pip-sync installs with ``--no-deps`` too).
Never removed unless listed: pip-sync's ``PACKAGES_TO_IGNORE`` (pip, setuptools, wheel,
pip-tools, …) and, when the target is spoke's own environment, spoke and what it needs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from packaging.utils import NormalizedName, canonicalize_name

from spoke.app.requests import InstallRequest
from spoke.errors import RequirementError
from spoke.models import InstalledDist, Interpreter
from spoke.reqs import UserRequirement

#: pip-sync's PACKAGES_TO_IGNORE: the tools of the environment itself.
KEPT_UNLESS_LISTED = frozenset({
    "-markerlib", "pip", "pip-tools", "pip-review", "pkg-resources", "setuptools", "wheel", "distribute",
})


def check_pinned(reqs: Iterable[UserRequirement]) -> None:
    """Refuse a line that is not an exact pin (``name==version``) or a direct reference."""
    loose = []
    for item in reqs:
        req = item.requirement
        if item.link is not None or (req is not None and req.url):
            continue
        specs = list(req.specifier) if req is not None else []
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            continue
        loose.append(f"`{item.text}` ({item.source})")
    if loose:
        raise RequirementError(
            f"`spoke sync` needs every line pinned; not pinned: {', '.join(loose[:5])}"
            + (f" and {len(loose) - 5} more" if len(loose) > 5 else ""),
            hint="Pin them with `spoke compile requirements.in` (it writes name==version for everything), "
            "then sync that file.",
        )


def sync_request(
    request: InstallRequest, installed: Mapping[str, InstalledDist], interpreter: Interpreter,
    markers: Mapping[str, str],
) -> InstallRequest:
    """``request`` (the files' requirements) as a sync: no dependencies of its own, and every
    installed project it does not list removed (in the same transaction)."""
    listed: set[NormalizedName] = set()
    unnamed = False
    for item in request.requirements:
        req = item.requirement
        if req is None:
            unnamed = True  # a bare path or URL: its name is known only once it is looked at
            continue
        if req.marker is not None and not req.marker.evaluate({**markers, "extra": ""}):
            continue
        listed.add(canonicalize_name(req.name))
    kept = KEPT_UNLESS_LISTED | _own_packages(interpreter)
    remove = []
    for name, dist in sorted(installed.items()):
        if name in listed or name in kept:
            continue
        if unnamed and (dist.editable or _has_direct_url(dist)):
            continue  # may be what a bare path or URL line installs: left as it is
        remove.append(name)
    return replace(request, no_deps=True, remove=tuple(remove))


def _has_direct_url(dist: InstalledDist) -> bool:
    return (dist.dist_info / "direct_url.json").is_file()


def _own_packages(interpreter: Interpreter) -> frozenset[str]:
    """spoke and its dependencies when the target is the environment spoke runs from."""
    try:
        same = os.path.realpath(str(interpreter.sys_prefix)) == os.path.realpath(sys.prefix)
    except OSError:
        same = False
    if not same:
        return frozenset()
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo: list[str] = ["spoke"]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return frozenset(seen)


def missing_files(paths: Sequence[str]) -> list[str]:
    """The files named that do not exist."""
    return [p for p in paths if not os.path.isfile(p)]
