"""``spoke uninstall``: remove installed distributions."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import UsageError
from spoke.reqs import parse_requirement, parse_requirements_file


def _names(positional: Sequence[str], settings: Any, environ: Mapping[str, str]) -> list[str]:
    names: list[str] = []
    for arg in positional:
        req = parse_requirement(arg)
        if req.requirement is None:
            raise UsageError(f"`{arg}` is not a package name", hint="Give installed package names.")
        names.append(req.requirement.name)
    for path in settings.get("requirements", None) or ():
        parsed = parse_requirements_file(path, environ=environ)
        names.extend(r.requirement.name for r in parsed.requirements if r.requirement is not None)
    return names


def _confirm(printer: Printer, *, no_input: bool = False) -> bool:
    if no_input or not sys.stdin or not sys.stdin.isatty():
        return True  # pip proceeds without asking when there is no terminal to ask on (or --no-input)
    printer.err.write("Proceed (Y/n)? ")
    printer.err.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("", "y", "yes")


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke uninstall``; return the exit code."""
    from spoke.app.uninstall import plan_removal

    names = _names(positional, settings, environ)
    if not names:
        raise UsageError(
            "You must give at least one package to uninstall",
            hint="For example `spoke uninstall requests`, or `spoke uninstall -r requirements.txt`.",
        )
    ctx, reporter = make_context(settings, printer, environ)
    try:
        plan = plan_removal(ctx, names, with_unused_deps=bool(settings.get("with_unused_deps", None)))
        for name in plan.missing:
            printer.warning(f"Skipping {name} as it is not installed")
        if plan.unused:
            shown = ", ".join(t.dist.display_name for t in plan.targets if t.dist.name in plan.unused)
            printer.info(f"Also removing unused dependencies: {shown}")
        return carry_out(plan, settings, printer)
    finally:
        reporter.close()
        ctx.close()


def carry_out(plan: Any, settings: Any, printer: Printer) -> int:
    """Warn, list, confirm and remove what ``plan`` (an ``UninstallPlan``) names; shared by
    ``uninstall`` and ``autoremove``."""
    from spoke.app.uninstall import execute_removal

    if not plan.targets:
        return 0
    for target in plan.targets:
        if target.required_by:
            printer.warning(
                f"{target.dist.display_name} is required by {', '.join(sorted(target.required_by))}"
            )
    dry_run = bool(settings.get("dry_run", None))
    no_input = bool(settings.get("no_input", None))
    if dry_run or (not settings.get("yes", None) and not no_input and sys.stdin is not None and sys.stdin.isatty()):
        for target in plan.targets:
            printer.info(f"Found existing installation: {target.dist.display_name} {target.dist.version}")
            printer.info("Would remove:")
            for path in target.paths:
                printer.info(f"  {path}")
    if dry_run:
        return 0
    if not settings.get("yes", None) and not _confirm(printer, no_input=no_input):
        printer.info("Nothing removed")
        return 0
    done = execute_removal(plan)
    printer.info(f"Uninstalled {len(done)} package{'s' if len(done) != 1 else ''}")
    for target in sorted(done, key=lambda t: t.dist.name):
        printer.change("-", target.dist.name, target.dist.version)
    return 0
