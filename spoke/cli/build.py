"""``spoke build [DIR]``: ``python -m build``'s command, with spoke's build environments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer, format_duration, format_size, shown_path
from spoke.errors import UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke build``; return the exit code."""
    from spoke.app.build import run_build
    from spoke.app.requests import BuildRequest

    get = settings.get
    if len(positional) > 1:
        raise UsageError("spoke build takes one project folder", hint="Build each project with its own command.")
    source_dir = Path(positional[0] if positional else ".").absolute()
    if not source_dir.is_dir():
        raise UsageError(f"`{source_dir}` is not a folder", hint="Name the project's folder: `spoke build DIR`.")
    sdist, wheel = bool(get("build_sdist", None)), bool(get("build_wheel", None))
    if not sdist and not wheel:
        sdist = wheel = True
    out_dir = Path(get("outdir", None) or source_dir / "dist").absolute()
    request = BuildRequest(
        source_dir=source_dir, out_dir=out_dir, sdist=sdist, wheel=wheel,
        config_settings=tuple(get("config_settings", None) or ()),
        isolation=not get("no_isolation", None),
        check_requirements=not get("skip_dependency_check", None),
    )
    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        try:
            outcome = run_build(ctx, request)
        finally:
            reporter.close()
    finally:
        ctx.close()
    for path in outcome.files:
        printer.info(f"Built {shown_path(path)} ({format_size(path.stat().st_size)})")
    names = " and ".join(p.name for p in outcome.files)
    printer.info(f"Successfully built {names} in {format_duration(outcome.seconds)}")
    return 0
