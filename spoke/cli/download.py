"""``spoke download``: resolve like ``install`` for the target and save the files into a folder.

:func:`carry_out` and the renderers serve ``spoke wheel`` too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from spoke.app.requests import DownloadRequest
from spoke.cli.common import make_context
from spoke.cli.render import Printer, format_duration
from spoke.env.foreign import ForeignTarget
from spoke.errors import UsageError

_Request = TypeVar("_Request", bound=DownloadRequest)
_Outcome = TypeVar("_Outcome")


def resolving_request(
    kind: type[_Request], settings: Any, positional: Sequence[str], environ: Mapping[str, str], *, dest: str | None,
) -> tuple[_Request, Any]:
    """The typed request of ``download`` or ``wheel`` (read once from the settings and the
    requirements files), and what the files said (their index options)."""
    from spoke.cli.install import _names, gather_requirements, read_overrides

    reqs, constraints, from_files = gather_requirements(positional, settings, environ)
    if not reqs:
        raise UsageError("You must give at least one requirement",
                         hint="For example `spoke download flask -d ./wheels`, or `-r requirements.txt`.")
    get = settings.get
    request = kind(
        requirements=tuple(reqs),
        constraints=tuple(constraints),
        dest=Path(dest or ".").absolute(),
        no_deps=bool(get("no_deps", None)),
        pre=bool(get("pre", None)) or from_files.pre,
        no_binary=_names([*(get("no_binary", None) or ()), *from_files.no_binary]),
        only_binary=_names([*(get("only_binary", None) or ()), *from_files.only_binary]),
        prefer_binary=bool(get("prefer_binary", None)) or from_files.prefer_binary,
        require_hashes=bool(get("require_hashes", None)) or from_files.require_hashes or any(r.hashes for r in reqs),
        report=get("report", None),
        build_isolation=not get("no_build_isolation", None),
        config_settings=tuple(get("config_settings", None) or ()),
        src_dir=Path(get("src", None)).absolute() if get("src", None) else None,
        foreign=None if settings.get("each_platform", None) else foreign_target(settings),
        each_platform=each_platform(settings),
        overrides=read_overrides(settings, environ),
    )
    return request, from_files


def resolves_elsewhere(request: DownloadRequest) -> bool:
    """True when ``request`` resolves for another environment than the interpreter's."""
    return bool(request.each_platform) or (request.foreign is not None and request.foreign.given)


def foreign_target(settings: Any) -> ForeignTarget:
    """``--platform``/``--python-version``/``--implementation``/``--abi`` as typed (one
    environment: a second ``--python-version`` needs ``--each-platform``)."""
    get = settings.get
    versions = tuple(get("python_versions", None) or ())
    if len(versions) > 1 and not get("each_platform", None):
        raise UsageError("--python-version was given more than once",
                         hint="Give one, or add --each-platform to resolve for each of them.")
    return ForeignTarget(
        platforms=tuple(get("platforms", None) or ()), python_version=versions[0] if versions else None,
        implementation=get("implementation", None), abis=tuple(get("abis", None) or ()),
    )


def each_platform(settings: Any) -> tuple[ForeignTarget, ...]:
    """``--each-platform``: one environment per pair of a ``--platform`` and a ``--python-version``."""
    get = settings.get
    if not get("each_platform", None):
        return ()
    platforms = tuple(get("platforms", None) or ())
    versions = tuple(get("python_versions", None) or ())
    if not platforms and not versions:
        raise UsageError("--each-platform needs --platform or --python-version (several of them)",
                         hint="For example `--each-platform --platform win_amd64 --platform macosx_11_0_arm64`.")
    return tuple(
        ForeignTarget(platforms=(platform,) if platform else (), python_version=version,
                      implementation=get("implementation", None), abis=tuple(get("abis", None) or ()))
        for platform in (platforms or (None,)) for version in (versions or (None,))
    )


def carry_out(
    kind: type[_Request], runner: Callable[[Any, _Request], _Outcome], settings: Any,
    positional: Sequence[str], printer: Printer, environ: Mapping[str, str], *, dest: str | None,
) -> tuple[_Outcome, _Request]:
    """Build ``download``'s or ``wheel``'s request, run it in a read-only context (any
    interpreter will do: nothing is installed), and close what it opened."""
    request, from_files = resolving_request(kind, settings, positional, environ, dest=dest)
    ctx, reporter = make_context(settings, printer, environ, extra=from_files, read_only=True,
                                 any_platform=resolves_elsewhere(request))
    try:
        try:
            return runner(ctx, request), request
        finally:
            reporter.close()
    finally:
        ctx.close()


def render_files(printer: Printer, outcome: Any) -> None:
    """The resolution's warnings and one line per file in the folder."""
    for warning in outcome.warnings:
        printer.warning(warning)
    for saved in outcome.saved:
        if saved.how == "already downloaded":
            printer.info(f"File was already downloaded {saved.path}")
        else:
            printer.info(f"Saved {saved.path} ({saved.how} from {saved.source})")


def render_saved(printer: Printer, outcome: Any, request: DownloadRequest, verb: str) -> None:
    """The files, the JSON report when asked, and pip's closing line."""
    render_files(printer, outcome)
    if request.report:
        from spoke.cli.report import build_report, write_report
        from spoke.plan.resolve import Plan

        plan = Plan(install=outcome.resolution.packages, remove=(), keep=())
        text = write_report(build_report(outcome.interpreter, plan, overrides=request.overrides), request.report)
        if text is not None:
            printer.stdout(text)
    names = " ".join(f"{p.name}-{p.version}" for p in outcome.resolution.packages)
    printer.info(f"Successfully {verb} {names} in {format_duration(outcome.seconds)}")


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke download``; return the exit code."""
    from spoke.app.download import run_download

    outcome, request = carry_out(DownloadRequest, run_download, settings, positional, printer, environ,
                                 dest=settings.get("dest", None))
    render_saved(printer, outcome, request, "downloaded")
    return 0
