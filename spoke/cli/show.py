"""``spoke show``: pip's fields about installed distributions, to stdout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke show``; return the exit code (1 when nothing was found, as pip)."""
    from packaging.utils import canonicalize_name

    from spoke.app.environment import installed_set
    from spoke.app.listing import (
        ListingError,
        package_info,
        required_by,
        requirements_of,
        show_lines,
    )

    if not positional:
        raise ListingError("Please provide a package name or names",
                           hint="For example `spoke show requests`.")
    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        found = installed_set(
            ctx, paths=[Path(p) for p in settings.get("path", None) or ()],
            user=bool(settings.get("user", None)),
        )
        missing = sorted(n for n in positional if canonicalize_name(n) not in found.dists)
        if missing:
            printer.warning(f"Package(s) not found: {', '.join(missing)}")
        wanted = [canonicalize_name(n) for n in positional if canonicalize_name(n) in found.dists]
        if not wanted:
            return 1
        markers = found.interpreter.markers
        requires = requirements_of(found.dists)
        display = {n: d.display_name for n, d in found.dists.items()}
        verbose = (settings.get("verbose", None) or 0) >= 1
        blocks = []
        for name in wanted:
            info = package_info(
                found.dists[name], requires=requires[name],
                required=required_by(name, requires, display, markers), markers=markers,
            )
            blocks.append("\n".join(show_lines(
                info, verbose=verbose, files=bool(settings.get("show_files", None)))))
        printer.stdout("\n---\n".join(blocks) + "\n")
        return 0
    finally:
        reporter.close()
        ctx.close()
