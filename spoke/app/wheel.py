"""``spoke wheel``: install's stages up to *resolved*, then a wheel of every package in a folder.

    resolving_target ─▶ make_policy ─▶ resolve_request ─▶ save or build each wheel

A package whose chosen file is a wheel is saved as ``download`` saves it (kept, copied from the
cache, or downloaded whole); an sdist, a project folder or a VCS checkout is built with its
PEP 517 backend, through the same build cache as ``install`` (a second run builds nothing).
A build that fails does not stop the others: every wheel that can be had is written, then the
failures are reported together.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spoke.app.context import Context
from spoke.app.download import Saved, copy_whole, joined, plain_name, resolve_each, save_index_file
from spoke.app.requests import WheelRequest
from spoke.errors import BuildError, SpokeError
from spoke.models import Interpreter
from spoke.plan.resolve import Resolution, ResolvedPackage

if TYPE_CHECKING:
    from pathlib import Path

    from spoke.app.sources import SourceBuilder


@dataclass(frozen=True, slots=True, kw_only=True)
class WheelOutcome:
    """The wheels written, and the packages whose build failed (with the error)."""

    interpreter: Interpreter
    resolution: Resolution
    saved: tuple[Saved, ...]
    failed: tuple[tuple[str, SpokeError], ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0


def run_wheel(ctx: Context, request: WheelRequest) -> WheelOutcome:
    """Resolve ``request`` for the target (or each environment of ``--each-platform``) and leave
    a wheel of every package in ``request.dest``."""
    from spoke.app.stages import hashes_by_name

    started = time.perf_counter()
    hashes = hashes_by_name(request) if request.require_hashes else {}
    runs = resolve_each(
        ctx, request, lambda packages, sources: _wheels(ctx, packages, request.dest, sources, hashes),
    )
    saved = {s.path: s for _interp, _resolved, (files, _failed) in runs for s in files}
    failed = {what: exc for _interp, _resolved, (_files, failures) in runs for what, exc in failures}
    return WheelOutcome(
        interpreter=runs[-1][0], resolution=joined(resolved for _i, resolved, _r in runs),
        saved=tuple(saved[p] for p in sorted(saved)), failed=tuple(failed.items()),
        warnings=tuple(w for _i, resolved, _r in runs for w in resolved.warnings),
        seconds=time.perf_counter() - started,
    )


def _wheels(
    ctx: Context, packages: Sequence[ResolvedPackage], dest: Path, sources: SourceBuilder,
    hashes: Mapping[str, Sequence[str]],
) -> tuple[list[Saved], list[tuple[str, SpokeError]]]:
    """Index wheels are saved concurrently while sources are built one after the other."""
    pool = ctx.preparer.downloads
    jobs: dict[str, Future[Saved]] = {}
    saved: list[Saved] = []
    failed: list[tuple[str, SpokeError]] = []
    for pkg in packages:
        if pkg.direct is None and pkg.file is not None and pkg.file.is_wheel:
            jobs[pkg.name] = pool.submit(save_index_file, ctx, pkg.file, dest, tuple(hashes.get(pkg.name, ())))
    for pkg in packages:
        if pkg.name in jobs:
            continue
        try:
            saved.append(_build_one(pkg, dest, sources))
        except BuildError as exc:  # the others are still written; the failures come together
            failed.append((f"{pkg.name} {pkg.version}", exc))
    for name in sorted(jobs):
        try:
            saved.append(jobs[name].result())
        except SpokeError as exc:
            failed.append((name, exc))
    return sorted(saved, key=lambda s: s.path.name), failed


def _build_one(pkg: ResolvedPackage, dest: Path, sources: SourceBuilder) -> Saved:
    """The wheel of a source: built (or found in the build cache), then copied into ``dest``."""
    if pkg.direct is not None:
        wheel = sources.direct_wheel(pkg.direct, regular=True)  # `-e` as pip's: a plain wheel
        origin = pkg.direct.source.label()
    else:
        assert pkg.file is not None
        wheel = sources.sdist_wheel(pkg.file)
        origin = pkg.file.filename
    target = dest / plain_name(wheel.name)
    copy_whole(wheel, target)
    return Saved(path=target, source=origin, how="built")
