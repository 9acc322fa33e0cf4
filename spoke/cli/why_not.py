"""``spoke why-not NAME[==VERSION]``: what keeps a package below its newest release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke why-not``; return 0 (an explanation is no failure)."""
    from spoke.app.why_not import why_not

    if len(positional) != 1:
        raise UsageError("Name one package: `spoke why-not NAME` or `spoke why-not NAME==VERSION`",
                         hint="For example `spoke why-not werkzeug`.")
    reqs: list[Any] = []
    extra = None
    if settings.get("requirements", None):
        from spoke.cli.install import gather_requirements

        reqs, _constraints, extra = gather_requirements((), settings, environ)
    ctx, reporter = make_context(settings, printer, environ, extra=extra, read_only=True)
    try:
        answer = why_not(ctx, positional[0], reqs)
    finally:
        reporter.close()
        ctx.close()
    have = f"{answer.name} {answer.installed} is installed" if answer.installed else f"{answer.name} is not installed"
    if answer.wanted is not None and answer.installed == answer.wanted:
        printer.stdout(f"{have}: it is {answer.wanted}, the version asked about.\n")
        return 0
    if reqs:
        files = ", ".join(str(f) for f in settings.get("requirements", None))
        lines = [f"{files} and {answer.name} {answer.wanted} do not resolve together, because:" if answer.reasons
                 else f"Nothing in {files} keeps out {answer.name} {answer.wanted}."]
        lines += [f"  - {reason}" for reason in answer.reasons]
        printer.stdout("\n".join(lines) + "\n")
        return 0
    lines = [f"{have}; {answer.name} {answer.wanted} is not, because:" if answer.reasons else
             f"{have}; nothing here keeps out {answer.name} {answer.wanted}."]
    lines += [f"  - {reason}" for reason in answer.reasons]
    if not answer.reasons and answer.wanted is not None:
        lines.append(f"  `spoke install -U '{answer.name}=={answer.wanted}'` would install it.")
    elif not answer.asked and answer.newest_usable not in (None, answer.installed, answer.wanted):
        lines.append(f"  The newest version usable here is {answer.newest_usable}.")
    printer.stdout("\n".join(lines) + "\n")
    return 0
