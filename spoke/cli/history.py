"""``spoke history`` and ``spoke rollback [N]``: an environment's transactions, and undoing them."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import UsageError


def _root(ctx: Any) -> Any:
    from spoke.app.target import recover_interrupted, state_root

    interp = ctx.interpreter
    recover_interrupted(ctx, interp)
    return state_root(ctx, interp)


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """``spoke history``: each transaction with its time, command line and changes."""
    import json

    from spoke.app.history import read_entries

    if positional:
        raise UsageError("`spoke history` takes no arguments", hint="Run `spoke history` alone.")
    ctx, reporter = make_context(settings, printer, environ)
    try:
        entries = read_entries(_root(ctx))
    finally:
        reporter.close()
        ctx.close()
    if settings.get("format", None) == "json":
        printer.stdout(json.dumps([
            {"number": e.number, "time": e.time, "command": e.command, "added": list(e.added),
             "removed": list(e.removed)} for e in entries
        ], indent=2) + "\n")
        return 0
    if not entries:
        printer.info("No transactions recorded in this environment yet")
        return 0
    lines = []
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.time))
        lines.append(f"{e.number:>3}  {when}  {e.command}")
        changes = [("-", c) for c in e.removed] + [("+", c) for c in e.added]
        for sign, change in sorted(changes, key=lambda item: (item[1]["name"], item[0] == "+")):
            lines.append(f"       {sign} {change['name']}=={change['version']}")
    printer.stdout("\n".join(lines) + "\n")
    return 0


def rollback(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """``spoke rollback [N]``: put the environment back as it was before transaction N."""
    from spoke.app.environment import installed_set
    from spoke.app.history import plan_rollback, read_entries
    from spoke.app.install import InstallRequest, run_install
    from spoke.cli.install import _finish
    from spoke.reqs import parse_requirement

    if len(positional) > 1 or (positional and not positional[0].isdigit()):
        raise UsageError("`spoke rollback` takes at most one transaction number",
                         hint="For example `spoke rollback` (the last one) or `spoke rollback 3`.")
    number = int(positional[0]) if positional else None
    started = time.perf_counter()
    ctx, reporter = make_context(settings, printer, environ)
    try:
        entries = read_entries(_root(ctx))
        installed = installed_set(ctx).dists
        plan = plan_rollback(entries, installed, number)
        if not plan.install and not plan.remove:
            printer.info(f"Nothing to do: the environment already is as it was before transaction {plan.number}")
            return 0
        reqs = []
        for line in plan.install:
            if line.startswith("-e "):
                reqs.append(parse_requirement(line[3:], editable=True, source=f"history of transaction {plan.number}"))
            else:
                reqs.append(parse_requirement(line, source=f"history of transaction {plan.number}"))
        request = InstallRequest(requirements=tuple(reqs), no_deps=True, remove=plan.remove,
                                 dry_run=bool(settings.get("dry_run", None)))
        outcome = run_install(ctx, request)
        reporter.close()  # the progress display ends before the summary is printed
        printer.info(f"Rolling back to before transaction {plan.number}")
        return _finish(ctx, outcome, request, settings, positional, printer, None, started)
    finally:
        reporter.close()
        ctx.close()
