"""``spoke wheel``: a wheel of every requirement and dependency in a folder (``-w DIR``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.download import carry_out, render_files, render_saved
from spoke.cli.render import Printer
from spoke.errors import BuildError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke wheel``; exit 1 when a wheel could not be had (the others are written)."""
    from spoke.app.requests import WheelRequest
    from spoke.app.wheel import run_wheel

    outcome, request = carry_out(WheelRequest, run_wheel, settings, positional, printer, environ,
                                 dest=settings.get("wheel_dir", None))
    if not outcome.failed:
        render_saved(printer, outcome, request, "built")
        return 0
    render_files(printer, outcome)
    for _what, exc in outcome.failed:
        printer.error(exc)
    names = ", ".join(what for what, _exc in outcome.failed)
    raise BuildError(
        f"Failed to build or fetch {len(outcome.failed)} of {len(outcome.resolution)} wheels: {names}",
        hint="See the errors above; the other wheels were written.",
    )
