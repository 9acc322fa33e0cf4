"""``spoke check``: verify installed packages have compatible dependencies (pip's output)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke check``; return 0 when nothing is broken, else 1."""
    from spoke.app.check import check_set, read_packages
    from spoke.app.environment import installed_set

    if positional:
        raise UsageError("`spoke check` takes no package names", hint="Run `spoke check` alone.")
    paths = [Path(p) for p in settings.get("path", None) or ()]
    user = bool(settings.get("user", None))
    if paths and user:
        raise UsageError("Cannot combine --path with --user", hint="Use one of them.")
    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        found = installed_set(ctx, paths=paths, user=user)
        packages, unreadable = read_packages(found.dists.values())
        result = check_set(packages, found.interpreter.markers, unreadable)
    finally:
        reporter.close()
        ctx.close()
    for broken in result.unreadable:
        printer.warning(f"{broken.reason}; skipping {broken.name}, which counts as not installed")
        if broken.hint:
            printer.info(f"hint: {broken.hint}")
    lines = result.lines()
    if lines:
        printer.stdout("".join(line + "\n" for line in lines))
    if result.ok:
        printer.stdout("No broken requirements found.\n")
        return 0
    return 1
