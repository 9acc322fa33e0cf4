"""``spoke inspect``: pip's JSON report of the environment and every installed distribution."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke inspect``; print the report on stdout."""
    import spoke
    from spoke.app.environment import installed_set
    from spoke.app.inspect import inspect_report

    paths = [Path(p) for p in settings.get("path", None) or ()]
    user = bool(settings.get("user", None))
    local = bool(settings.get("local", None))
    if paths and (user or local):
        raise UsageError("Cannot combine --path with --user or --local", hint="Use one of them.")
    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        found = installed_set(ctx, paths=paths, user=user, local=local)
        report = inspect_report(found, tool_version=f"spoke-{spoke.__version__}")
    finally:
        reporter.close()
        ctx.close()
    printer.stdout(json.dumps(report, indent=2) + "\n")
    return 0
