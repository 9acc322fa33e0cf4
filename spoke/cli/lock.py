"""``spoke lock``: a PEP 751 lock file (``pylock.toml``) of the inputs, for every environment
in a Python range, or for the one ``--platform`` / ``--python-version`` name (see
:mod:`spoke.app.lock`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer, format_duration, shown_path
from spoke.errors import SpokeError, UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke lock``; return 0, or 1 when ``--check`` finds the lock out of date."""
    from spoke.app.compile import project_requires_python, run_compile
    from spoke.app.lock import build_lock, locked_versions, render_lock
    from spoke.cli.compile import compile_inputs, compile_request, write_whole
    from spoke.reqs.pylock import is_lock_file

    get = settings.get
    inputs = compile_inputs(positional) if positional or not get("groups", None) else []
    given = get("output_file", None)
    output = Path(given) if given and given != "-" else Path("pylock.toml")
    if given != "-" and not is_lock_file(output):
        raise UsageError(f"`{output}` is not a lock file's name",
                         hint="PEP 751 names them pylock.toml or pylock.NAME.toml.")
    from spoke.cli.download import foreign_target

    # Universal (every platform and Python of the range) unless --platform / --python-version
    # name one environment, as `pip lock` writes it.
    universal = not foreign_target(settings).given
    request, from_files = compile_request(settings, inputs, None, environ, universal=universal)
    # A project's lock holds every extra and dependency group, each package marked with the
    # ones that bring it in, unless --extra / --all-extras choose extras to lock as required.
    request = replace(request, project_activations=universal and not request.extras and not request.all_extras)
    request = replace(request, preferred=locked_versions(output) if given != "-" else {})
    ctx, reporter = make_context(settings, printer, environ, extra=from_files, read_only=True, any_platform=True)
    try:
        try:
            outcome = run_compile(ctx, request)
            text = render_lock(build_lock(ctx, outcome, lock_path=output.absolute(),
                                          requires_python=outcome.requires_python or project_requires_python(inputs),
                                          environments=request.environments))
        finally:
            reporter.close()
    finally:
        ctx.close()
    for warning in outcome.warnings:
        printer.warning(warning)
    count = len(outcome.resolution.packages)
    if get("check", None):
        return _check(output, text, printer)
    if given == "-" or request.dry_run:
        printer.stdout(text)
        if request.dry_run:
            printer.info("Dry-run, so nothing updated.")
        return 0
    write_whole(output, text)
    printer.info(f"Wrote {shown_path(output)}: {count} packages locked in {format_duration(outcome.seconds)}")
    return 0


def _check(output: Path, text: str, printer: Printer) -> int:
    """``--check``: 0 when the lock on disk is what the inputs give now, else 1 with the difference."""
    import difflib

    try:
        current = output.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpokeError(f"There is no lock to check: `{output}` does not exist",
                         hint="Write it with `spoke lock` first.") from None
    if current == text:
        printer.info(f"{shown_path(output)} is up to date")
        return 0
    diff = difflib.unified_diff(current.splitlines(keepends=True), text.splitlines(keepends=True),
                                fromfile=f"{output} (on disk)", tofile=f"{output} (from the inputs)")
    printer.stdout("".join(diff))
    printer.error(SpokeError(f"{shown_path(output)} does not match its inputs",
                             hint="Run `spoke lock` and commit the new lock."))
    return 1
