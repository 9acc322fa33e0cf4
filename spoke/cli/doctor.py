"""``spoke doctor``: check the target environment and the machine; each finding with its fix."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import UsageError

_MARK = {"error": "✗", "warning": "!", "info": "·"}


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke doctor``; 1 when any finding is an error."""
    from spoke.app.doctor import examine, summary

    if positional:
        raise UsageError("`spoke doctor` takes no arguments", hint="Run `spoke doctor` (or `--format json`).")
    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        findings = examine(ctx, network=not settings.get("no_network", None))
        interp = ctx.interpreter
    finally:
        reporter.close()
        ctx.close()
    counts = summary(findings)
    if settings.get("format", None) == "json":
        printer.stdout(json.dumps({"environment": str(interp.sys_prefix), "python": str(interp.executable),
                                   "findings": [f.as_dict() for f in findings], "summary": dict(counts)},
                                  indent=2) + "\n")
    else:
        lines = [f"Environment: {interp.sys_prefix} (Python {interp.python_version}, {interp.executable})"]
        for f in findings:
            lines.append(f"{_MARK.get(f.level, '?')} {f.level}: {f.message}")
            if f.fix and f.level != "info":
                lines.append(f"    fix: {f.fix}")
        lines.append(f"{counts['error']} error(s), {counts['warning']} warning(s)")
        printer.stdout("\n".join(lines) + "\n")
    return 1 if counts["error"] else 0
