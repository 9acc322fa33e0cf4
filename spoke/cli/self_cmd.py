"""``spoke self version`` and ``spoke self update``: spoke about itself (the seed's "keep pip updated").

``self update`` upgrades spoke in the environment it runs from, through spoke's own install
(one transaction, so ``spoke history``/``rollback`` there undo it), when that environment is
spoke's own: a virtual environment (``pipx``, ``uv tool`` or one made for it) where spoke was
installed from an index. A spoke running from a checkout (editable or a local folder) or from a
system Python is not changed: the error says how to update it the way it was installed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.render import Printer
from spoke.errors import SpokeError, UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke self ACTION``."""
    action = positional[0] if positional else ""
    if action == "version" and len(positional) == 1:
        return _version(printer)
    if action == "update" and len(positional) == 1:
        return _update(settings, printer, environ)
    raise UsageError(f"Unknown `spoke self {' '.join(positional)}`".rstrip(),
                     hint="Use `spoke self version` or `spoke self update`.")


def _origin() -> tuple[str, Path | None, str]:
    """``(version, where spoke's files are, how it was installed)`` of the running spoke."""
    import importlib.metadata

    import spoke

    try:
        dist = importlib.metadata.distribution("spoke")
    except importlib.metadata.PackageNotFoundError:
        return spoke.__version__, None, "not installed: running from a source folder"
    raw = dist.read_text("direct_url.json")
    how = "from a package index"
    if raw:
        try:
            info = json.loads(raw)
        except ValueError:
            info = {}
        url = str(info.get("url", ""))
        if info.get("dir_info", {}).get("editable"):
            how = f"editable, from the checkout at {url.removeprefix('file://')}"
        elif "dir_info" in info:
            how = f"from the local folder {url.removeprefix('file://')}"
        else:  # a VCS checkout or an archive URL
            how = f"from {url}"
    return dist.version, Path(str(dist.locate_file(""))), how


def _version(printer: Printer) -> int:
    version, where, how = _origin()
    printer.stdout(f"spoke {version}\n")
    printer.info(f"installed {how}" + (f" in {where}" if where else "")
                 + f"; Python {sys.version.split()[0]} at {sys.executable}")
    return 0


def _update(settings: Any, printer: Printer, environ: Mapping[str, str]) -> int:
    import time

    from spoke.app.install import run_install
    from spoke.app.requests import InstallRequest
    from spoke.cli.common import make_context
    from spoke.cli.install import _finish
    from spoke.reqs import parse_requirement

    started = time.perf_counter()
    version, _where, how = _origin()
    if how != "from a package index":
        raise SpokeError(
            f"spoke {version} is installed {how}, so `spoke self update` leaves it alone",
            hint="Update it the way it was installed: `git pull` in the checkout (an editable install "
                 "follows it), or install the new version from where this one came.",
        )
    if sys.prefix == sys.base_prefix:
        raise SpokeError(
            f"spoke runs from the system Python ({sys.executable}), which spoke does not change by itself",
            hint="Update it the way it was installed (`pipx upgrade spoke`, `uv tool upgrade spoke`), or "
                 "install spoke into an environment of its own.",
        )
    ctx, reporter = make_context(settings, printer, environ, python=sys.executable)
    try:
        request = InstallRequest(requirements=(parse_requirement("spoke", source="spoke self update"),),
                                 upgrade=True, dry_run=bool(settings.get("dry_run", None)))
        try:
            outcome = run_install(ctx, request)
        finally:
            reporter.close()
        if outcome.plan.empty and not request.dry_run:
            printer.info(f"spoke {version} is the newest version the indexes offer")
            return 0
        return _finish(ctx, outcome, request, settings, (), printer, None, started)
    finally:
        ctx.close()
