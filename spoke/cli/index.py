"""``spoke index versions NAME``: the versions the configured indexes offer (pip's output)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke index versions NAME``; print pip's text or, with ``--json``, its JSON."""
    from spoke.app.index_versions import available_versions
    from spoke.cli.download import foreign_target

    if len(positional) != 2 or positional[0] != "versions":
        raise UsageError("`spoke index` takes `versions NAME`",
                         hint="For example `spoke index versions requests` (add --pre for pre-releases).")
    name = positional[1]
    foreign = foreign_target(settings)
    ctx, reporter = make_context(settings, printer, environ, read_only=True, any_platform=foreign.given)
    try:
        found = available_versions(ctx, name, pre=bool(settings.get("pre", None)), foreign=foreign)
    finally:
        reporter.close()
        ctx.close()
    shown = [str(v) for v in found.versions]
    latest = str(found.latest)
    if settings.get("json", None):
        out: dict[str, Any] = {"name": name, "versions": shown, "latest": latest}
        if found.installed is not None:
            out["installed_version"] = str(found.installed)
        printer.stdout(json.dumps(out) + "\n")
        return 0
    lines = [f"{name} ({latest})", f"Available versions: {', '.join(shown)}"]
    if found.installed is not None:
        if found.installed == found.latest:
            lines.append(f"  INSTALLED: {found.installed} (latest)")
        else:
            lines.append(f"  INSTALLED: {found.installed}")
            pre = " (pre-release; install with `spoke install --pre`)" if found.latest.is_prerelease else ""
            lines.append(f"  LATEST:    {latest}{pre}")
    printer.stdout("\n".join(lines) + "\n")
    return 0
