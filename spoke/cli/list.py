"""``spoke list``: installed distributions as pip lists them (columns, freeze or JSON)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer


def _check(settings: Any) -> None:
    from spoke.app.listing import ListingError

    if settings.get("outdated", None) and settings.get("uptodate", None):
        raise ListingError("Options --outdated and --uptodate cannot be combined",
                           hint="Ask for one of them.")
    if settings.get("outdated", None) and settings.get("format", None) == "freeze":
        raise ListingError("List format 'freeze' cannot be used with the --outdated option",
                           hint="Use `--format columns` or `--format json` with --outdated.")
    if settings.get("path", None) and (settings.get("user", None) or settings.get("local", None)):
        raise ListingError("Cannot combine '--path' with '--user' or '--local'",
                           hint="--path already says which folders to look in.")


def _latest(ctx: Any, names: Sequence[str], *, pre: bool, printer: Printer) -> dict[str, Any]:
    """The latest version of each name on the index, asked concurrently."""
    from packaging.version import Version

    from spoke.app.listing import latest
    from spoke.errors import PackageNotFoundError, SpokeError

    interp = ctx.interpreter
    python_version = Version(interp.python_full_version.split("+")[0])
    tags = {tag: i for i, tag in enumerate(interp.tags)}
    index = ctx.index
    futures = {name: ctx.executor.submit(index.files, name) for name in names}
    out: dict[str, Any] = {}
    for name, future in futures.items():
        try:
            files = future.result()
        except PackageNotFoundError:
            continue
        except SpokeError as e:
            printer.warning(f"Could not find the latest version of {name}: {e.message}")
            continue
        found = latest(files, python_version=python_version, tags=tags, pre=pre)
        if found is not None:
            out[name] = found
    return out


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke list``; return the exit code."""
    from packaging.utils import canonicalize_name

    from spoke.app.environment import installed_set
    from spoke.app.listing import (
        STDLIB_NAMES,
        ListRow,
        as_json,
        columns,
        editable_location,
        first_line,
        freeze,
        held_back_by,
        not_required,
        requirements_of,
        sort_rows,
    )
    from spoke.env.installed import is_legacy

    _check(settings)
    outdated = bool(settings.get("outdated", None))
    uptodate = bool(settings.get("uptodate", None))
    verbose = (settings.get("verbose", None) or 0) >= 1
    fmt = settings.get("format", None) or "columns"
    skip = set(STDLIB_NAMES) | {canonicalize_name(n) for n in settings.get("exclude", None) or ()}
    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        found = installed_set(
            ctx, paths=[Path(p) for p in settings.get("path", None) or ()],
            user=bool(settings.get("user", None)), local=bool(settings.get("local", None)),
        )
        dists = {name: d for name, d in found.dists.items() if name not in skip}
        editables = {name: editable_location(d) for name, d in dists.items()}
        if settings.get("editable", None):
            dists = {n: d for n, d in dists.items() if editables[n]}
        if settings.get("exclude_editable", None):
            dists = {n: d for n, d in dists.items() if not editables[n]}
        if settings.get("not_required", None):
            keep = not_required(requirements_of(dists), found.interpreter.markers)
            dists = {n: d for n, d in dists.items() if n in keep}
        latest: dict[str, Any] = {}
        if outdated or uptodate:
            latest = _latest(ctx, sorted(dists), pre=bool(settings.get("pre", None)), printer=printer)
            if outdated:
                dists = {n: d for n, d in dists.items() if n in latest and latest[n].version > d.version}
            else:
                dists = {n: d for n, d in dists.items() if n in latest and latest[n].version == d.version}
        held: dict[str, tuple[str, ...]] = {}
        if outdated and dists:
            requires = requirements_of(found.dists)
            held = {n: held_back_by(n, latest[n].version, requires, found.interpreter.markers) for n in dists}
        rows = sort_rows(
            ListRow(
                name=d.display_name, version=d.version, editable_location=editables[n],
                location=str(d.location), latest=latest.get(n), held_by=held.get(n, ()),
                installer="" if is_legacy(d) else first_line(_installer(d)),
            )
            for n, d in dists.items()
        )
        if fmt == "json":
            printer.stdout(as_json(rows, outdated=outdated, verbose=verbose) + "\n")
        else:
            lines = freeze(rows, verbose=verbose) if fmt == "freeze" else columns(
                rows, outdated=outdated, verbose=verbose)
            if lines:
                printer.stdout("\n".join(lines) + "\n")
        return 0
    finally:
        reporter.close()
        ctx.close()


def _installer(dist: Any) -> str:
    try:
        return (dist.dist_info / "INSTALLER").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
