"""``spoke autoremove``: remove every package that nothing requires and nobody asked for.

A package counts as asked for when its ``*.dist-info`` holds REQUESTED (PEP 376), which
installers write for what was named on their command line. The search runs to a fixed point:
removing a package can leave its own dependencies unused, and they go too. The installer's
seed packages (pip, setuptools, wheel) are never taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke autoremove``; return the exit code."""
    from spoke.app.uninstall import plan_autoremove
    from spoke.cli.uninstall import carry_out

    if positional:
        raise UsageError("`spoke autoremove` takes no package names",
                         hint="To remove packages and their unused dependencies, use "
                              "`spoke uninstall --with-unused-deps NAME`.")
    ctx, reporter = make_context(settings, printer, environ)
    try:
        plan = plan_autoremove(ctx)
        if not plan.targets:
            printer.info("Nothing to remove: every installed package is required or was requested")
            return 0
        names = ", ".join(f"{t.dist.display_name}=={t.dist.version}" for t in plan.targets)
        printer.info(f"Unused packages ({len(plan.targets)}): {names}")
        return carry_out(plan, settings, printer)
    finally:
        reporter.close()
        ctx.close()
