"""``spoke check``: verify installed packages have compatible dependencies (pip's output);
``spoke check DIST…``: check distribution files as ``twine check`` does, and more."""

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
        return _check_distributions(settings, positional, printer)
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


def _check_distributions(settings: Any, positional: Sequence[str], printer: Printer) -> int:
    """One line per file: PASSED, PASSED with warnings, or FAILED with each reason."""
    from spoke.app.distcheck import check_file, distribution_files

    files = distribution_files(Path(p) for p in positional)
    if not files:
        raise UsageError(f"No distribution files in {', '.join(positional)}",
                         hint="Build them first (`spoke build`), or name .whl/.tar.gz files.")
    failed = 0
    for path in files:
        report = check_file(path, strict=bool(settings.get("strict", None)),
                            allow_private=bool(settings.get("allow_private", None)))
        if not report.ok:
            failed += 1
            printer.stdout(f"Checking {path}: FAILED\n" + "".join(f"  ERROR    {e}\n" for e in report.errors)
                           + "".join(f"  WARNING  {w}\n" for w in report.warnings))
        elif report.warnings:
            printer.stdout(f"Checking {path}: PASSED with warnings\n"
                           + "".join(f"  WARNING  {w}\n" for w in report.warnings))
        else:
            printer.stdout(f"Checking {path}: PASSED\n")
    return 1 if failed else 0
