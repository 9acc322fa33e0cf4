"""``spoke wheel``: a wheel of every requirement and dependency in a folder (``-w DIR``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.download import render_saved, resolves_elsewhere, resolving_request
from spoke.cli.render import Printer
from spoke.errors import BuildError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke wheel``; exit 1 when a wheel could not be had (the others are written)."""
    from spoke.app.requests import WheelRequest
    from spoke.app.wheel import run_wheel

    request, from_files = resolving_request(WheelRequest, settings, positional, environ,
                                            dest=settings.get("wheel_dir", None))
    ctx, reporter = make_context(settings, printer, environ, extra=from_files, read_only=True,
                                 any_platform=resolves_elsewhere(request))
    try:
        try:
            outcome = run_wheel(ctx, request)
        finally:
            reporter.close()
    finally:
        ctx.close()
    if not outcome.failed:
        render_saved(printer, outcome, request, "built")
        return 0
    for saved in outcome.saved:
        printer.info(f"Saved {saved.path} ({saved.how} from {saved.source})")
    for _what, exc in outcome.failed:
        printer.error(exc)
    names = ", ".join(what for what, _exc in outcome.failed)
    raise BuildError(
        f"Failed to build or fetch {len(outcome.failed)} of {len(outcome.resolution)} wheels: {names}",
        hint="See the errors above; the other wheels were written.",
    )
