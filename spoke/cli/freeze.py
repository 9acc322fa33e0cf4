"""``spoke freeze``: installed packages in requirements format, line for line as pip writes them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import UsageError


def _read_requirement_files(names: Sequence[str]) -> list[tuple[str, str]]:
    files: list[tuple[str, str]] = []
    for name in names:
        try:
            files.append((name, Path(name).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise UsageError(
                f"Requirements file `{name}` does not exist",
                hint="Check the path given to -r/--requirement.",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise UsageError(f"Cannot read requirements file `{name}`: {reason}",
                             hint="Give a readable UTF-8 text file to -r/--requirement.") from None
    return files


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke freeze``; return the exit code."""
    from spoke.app.environment import installed_set
    from spoke.app.freeze import dev_names, freeze_lines, frozen_installed
    from spoke.env.installed import metadata_path

    if positional:
        raise UsageError("`spoke freeze` takes no package names",
                         hint="Use --exclude NAME to leave a package out.")
    paths = [Path(p) for p in settings.get("path", None) or ()]
    user = bool(settings.get("user", None))
    local = bool(settings.get("local", None))
    if paths and (user or local):
        raise UsageError("Cannot combine --path with --user or --local", hint="Use one of them.")
    requirement_files = _read_requirement_files(settings.get("requirements", None) or ())
    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        found = installed_set(ctx, paths=paths, user=user, local=local)
        python = found.interpreter.version[:2]
    finally:
        reporter.close()
        ctx.close()
    dists = []
    for dist in found.dists.values():
        if not metadata_path(dist).is_file():
            printer.warning(f"Skipping {dist.dist_info}: it has no metadata file "
                            f"(reinstall {dist.display_name} to repair it)")
            continue
        dists.append(dist)
    skip = set(dev_names((python[0], python[1]), freeze_all=bool(settings.get("all", None))))
    skip.update(settings.get("exclude", None) or ())
    output = freeze_lines(
        frozen_installed(dists),
        skip=skip,
        exclude_editable=bool(settings.get("exclude_editable", None)),
        requirement_files=requirement_files,
    )
    for note in output.notes:
        printer.info(note)
    for warning in output.warnings:
        printer.warning(warning)
    printer.stdout("".join(line + "\n" for line in output.lines))
    return 0
