"""``spoke sync FILE…``: make the environment exactly what pinned requirements files say."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import RequirementError, UsageError

if TYPE_CHECKING:
    from spoke.app.noop import Invocation


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str], *,
        invocation: Invocation | None = None) -> int:
    """Carry out ``spoke sync``; return the exit code. ``invocation``: the command as typed,
    under which a synced environment is recorded for the quick no-op answer
    (:mod:`spoke.app.noop`)."""
    from spoke.app.environment import installed_set
    from spoke.app.install import run_install
    from spoke.app.sync import check_pinned, missing_files, sync_request
    from spoke.cli.install import _digests_as_read, _finish, install_request, locked_request, read_requirements_files
    from spoke.reqs.pylock import is_lock_file

    started = time.perf_counter()
    if settings.get("ask", None) and settings.get("no_input", None):
        raise UsageError("-a/--ask asks before changing anything, and --no-input forbids asking",
                         hint="Drop one of them (--dry-run shows the changes without asking).")
    files = list(positional) or ["requirements.txt"]
    gone = missing_files(files)
    if gone:
        raise RequirementError(f"Requirements file `{gone[0]}` does not exist",
                               hint="Name the pinned file to sync, e.g. `spoke sync requirements.txt`.")
    locks = [f for f in files if is_lock_file(f)]
    if locks and len(locks) != len(files):
        raise UsageError("A lock file is synced on its own: it already names every package",
                         hint="Sync either one pylock.toml or pinned requirements files.")
    if not locks and any(f.endswith(".toml") for f in files):
        raise UsageError(f"`{next(f for f in files if f.endswith('.toml'))}` is neither a requirements file nor a "
                         "PEP 751 lock (pylock.toml, pylock.NAME.toml)",
                         hint="Sync a pinned requirements file (`spoke compile` writes one) or a pylock.toml.")
    if not locks and (settings.get("extras", None) or settings.get("groups", None)):
        raise UsageError("--extra and --group choose what a pylock.toml installs; a requirements file has neither",
                         hint="Sync a pylock.toml, or compile the extras and groups into the pinned file.")
    reqs, constraints, merged = read_requirements_files([f for f in files if not is_lock_file(f)], (), environ)
    check_pinned(reqs)
    read = _digests_as_read(reqs, [*merged.files, *locks])  # as read: a later edit must not be recorded
    request = install_request(settings, reqs, constraints, merged)
    ctx, reporter = make_context(settings, printer, environ, extra=merged)
    try:
        try:
            if locks:
                request = locked_request(ctx, request, locks, settings)
            found = installed_set(ctx)
            request = sync_request(request, found.dists, found.interpreter, found.interpreter.markers)
            if settings.get("ask", None) and not request.dry_run:
                preview = run_install(ctx, replace(request, dry_run=True))
                _finish(ctx, preview, replace(request, dry_run=True), settings, positional, printer, None, started)
                if preview.plan.empty:
                    return 0
                if not _confirmed(printer):
                    printer.info("Nothing changed")
                    return 1
            outcome = run_install(ctx, request)
        finally:
            reporter.close()
        return _finish(ctx, outcome, request, settings, positional, printer, read, started,
                       invocation=invocation, sync=True)
    finally:
        ctx.close()


def _confirmed(printer: Printer) -> bool:
    printer.err.write("Would you like to proceed with these changes? [y/N] ")
    printer.err.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")
