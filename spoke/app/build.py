"""``spoke build``: a project's sdist, then its wheel built from that sdist (as ``python -m build``).

Build environments come from spoke's own resolver and installer, through the cache (a second
build resolves and downloads nothing new) and the configured indexes; the PEP 517 hooks run
through :class:`~spoke.pep517.Builder`. Each archive lands in the output folder whole.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from spoke.app.context import Context
from spoke.app.requests import BuildRequest
from spoke.errors import BuildError


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOutcome:
    """The archives made, in the order they were built."""

    files: tuple[Path, ...]
    seconds: float = 0.0


def run_build(ctx: Context, request: BuildRequest) -> BuildOutcome:
    """Build ``request.source_dir`` into ``request.out_dir``."""
    from spoke.app.install import BuildEnvironments
    from spoke.app.sources import SourceBuilder

    started = time.perf_counter()
    root = request.source_dir
    if not (root / "pyproject.toml").is_file() and not (root / "setup.py").is_file():
        raise BuildError(
            f"`{root}` is not a Python project: it has no pyproject.toml or setup.py",
            hint="Run `spoke build` in the project's folder, or name it: `spoke build path/to/project`.",
        )
    sources = SourceBuilder(
        ctx, ctx.interpreter, isolation=request.isolation, config_settings=request.config_settings,
        build_context=BuildEnvironments(ctx), check_requirements=request.check_requirements,
    )
    try:
        files = sources.build_project(root, request.out_dir, sdist=request.sdist, wheel=request.wheel)
    finally:
        sources.close()
    return BuildOutcome(files=tuple(files), seconds=time.perf_counter() - started)
