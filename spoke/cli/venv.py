"""``spoke venv [PATH]``: create a virtual environment, fast."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.render import Printer, format_duration, shown_path
from spoke.errors import UsageError, VenvError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Create the environment; with ``--seed`` put pip into it from the interpreter's own wheel."""
    from spoke.cache import Cache
    from spoke.env.discovery import check_version_request, find_interpreter
    from spoke.env.interpreter import inspect_interpreter
    from spoke.env.venv import create_venv

    if len(positional) > 1:
        raise UsageError("spoke venv takes one path", hint="For example `spoke venv .venv`.")
    started = time.perf_counter()
    path = Path(positional[0] if positional else ".venv").absolute()
    cache_dir = settings.get("cache_dir", None)
    cache = Cache.open(
        Path(cache_dir).expanduser() if cache_dir else None, disabled=bool(settings.get("no_cache_dir", None))
    )
    try:
        exe = find_interpreter(
            python=settings.get("python", None) or "python3", virtual_env=None, cwd=Path.cwd(),
            system=True, path_env=environ.get("PATH", os.defpath),
        )
        base = inspect_interpreter(exe, cache=cache)
        check_version_request(base, settings.get("python", None))
        printer.info(f"Using Python {base.python_version} at {base.executable}")
        created = create_venv(
            path, interpreter=base, prompt=settings.get("prompt", None),
            system_site_packages=bool(settings.get("system_site_packages", None)),
            clear=bool(settings.get("clear", None)),
        )
        if settings.get("seed", None):
            _seed(created, cache)
    finally:
        cache.close()
    took = format_duration(time.perf_counter() - started)
    printer.info(f"Created virtual environment at {shown_path(path)} in {took}")
    printer.info(f"Activate with: source {shown_path(path)}/bin/activate")
    return 0


def _seed(venv: Path, cache: Any) -> None:
    """Install pip into the new environment from the wheel its interpreter ships (ensurepip's)."""
    from spoke.env.interpreter import inspect_interpreter
    from spoke.env.venv import bundled_pip_wheel
    from spoke.installer import install_wheel
    from spoke.prepare.unpack import unpack_wheel

    python = venv / "bin" / "python"
    interp = inspect_interpreter(python, cache=cache)
    wheel = bundled_pip_wheel(interp)
    if wheel is None:
        raise VenvError(
            f"Python {interp.python_version} ships no pip wheel to seed the environment with",
            hint="Create it without --seed and run `spoke install pip --python "
            f"{venv}` to get pip from the index.",
        )
    unpacked = unpack_wheel(wheel, cache=cache)
    install_wheel(unpacked, scheme=interp.scheme, interpreter_path=interp.executable, requested=True)

