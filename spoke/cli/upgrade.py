"""``spoke upgrade [NAMES…]``: upgrade installed packages (same options as ``spoke install``).

* ``spoke upgrade`` — every installed distribution, in ONE joint resolution: it is
  ``spoke install --upgrade-all`` (see :mod:`spoke.app.upgrade`): nothing is downgraded, no
  upgrade breaks another package's requirement, editable and direct-URL installs stay as
  they are, and what cannot move to its newest version is reported with the reason.
* ``spoke upgrade NAMES…`` (or ``-r FILE``) — only those packages, exactly like
  ``spoke install -U NAMES…`` (strategy only-if-needed: dependencies move only when they
  must). Each name must already be installed; ``spoke install`` adds new packages.
* ``spoke upgrade --upgrade-all NAMES…`` — the joint upgrade of everything, plus NAMES.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from spoke.cli import install
from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import RequirementError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke upgrade``; return the exit code."""
    named = bool(positional) or bool(settings.get("requirements", None)) or bool(settings.get("editables", None))
    if not named or settings.get("upgrade_all", None):
        return install.run(_with(settings, upgrade_all=True), positional, printer, environ)
    reqs, _constraints, _files = install.gather_requirements(positional, settings, environ)
    _check_installed(settings, printer, environ, reqs)
    return install.run(_with(settings, upgrade=True), positional, printer, environ)


def _with(settings: Any, **values: Any) -> Any:
    return replace(settings, values={**settings.values, **values})


def _check_installed(settings: Any, printer: Printer, environ: Mapping[str, str], reqs: Sequence[Any]) -> None:
    from packaging.utils import canonicalize_name

    from spoke.app.upgrade import not_installed

    names = []
    for item in reqs:
        if item.requirement is None or item.requirement.url or item.editable:
            raise RequirementError(
                f"`{item.text}` is not the name of an installed package",
                hint="`spoke upgrade` takes names; install paths and URLs with `spoke install`.",
            )
        names.append(canonicalize_name(item.requirement.name))
    ctx, reporter = make_context(settings, printer, environ)
    try:
        missing = not_installed(ctx, names)
    finally:
        reporter.close()
        ctx.close()
    if missing:
        shown = ", ".join(missing)
        raise RequirementError(
            f"Cannot upgrade {shown}: not installed",
            hint=f"Install {'it' if len(missing) == 1 else 'them'} with `spoke install {' '.join(missing)}`.",
        )
