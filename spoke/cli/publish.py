"""``spoke publish [DIST…]``: ``twine upload``'s command, checks first (see :mod:`spoke.app.publish`).

A twine user's CI keeps working: ``TWINE_REPOSITORY``, ``TWINE_REPOSITORY_URL``,
``TWINE_USERNAME``, ``TWINE_PASSWORD`` and ``TWINE_NON_INTERACTIVE`` are read, and the same
names with ``SPOKE_PUBLISH_`` (which win over ``TWINE_``); the command line wins over both.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer, format_duration, format_size

_ENV_PREFIXES = ("SPOKE_PUBLISH_", "TWINE_")


def _from_env(environ: Mapping[str, str], name: str) -> str | None:
    for prefix in _ENV_PREFIXES:
        value = environ.get(prefix + name)
        if value:
            return value
    return None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _prompt(label: str, secret: bool) -> str:
    """Ask on the terminal; a secret is read without echo."""
    if secret:
        import getpass

        return getpass.getpass(label)
    sys.stderr.write(label)
    sys.stderr.flush()
    return sys.stdin.readline().rstrip("\r\n")


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke publish``; return the exit code."""
    from spoke.app.publish import prepare_publish, publish
    from spoke.app.requests import PublishRequest

    get = settings.get
    non_interactive = bool(get("no_input", None) or get("non_interactive", None)) or any(
        _truthy(environ.get(prefix + "NON_INTERACTIVE")) for prefix in _ENV_PREFIXES)
    interactive = not non_interactive and sys.stdin is not None and sys.stdin.isatty()
    config_file = get("pypirc", None)
    request = PublishRequest(
        paths=tuple(Path(p) for p in positional),
        repository=get("repository", None) or _from_env(environ, "REPOSITORY"),
        repository_url=get("repository_url", None) or _from_env(environ, "REPOSITORY_URL"),
        config_file=Path(config_file).expanduser() if config_file else None,
        username=get("username", None) or _from_env(environ, "USERNAME"),
        password=get("password", None) or _from_env(environ, "PASSWORD"),
        skip_existing=bool(get("skip_existing", None)),
        dry_run=bool(get("dry_run", None)),
        check=not get("no_check", None),
        allow_private=bool(get("allow_private", None)),
        trusted_publishing=get("trusted_publishing", None) or "auto",
        interactive=interactive,
    )
    if get("disable_progress_bar", None):
        printer.progress = "off"
    home = Path(environ["HOME"]) if environ.get("HOME") else None
    started = time.monotonic()
    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        plan = prepare_publish(ctx, request, home=home)
        verb = "Would upload" if request.dry_run else "Uploading"
        from spoke.net.redact import redact_url

        printer.info(f"{verb} distributions to {redact_url(plan.url)}")

        def on_file(what: str, path: Path) -> None:
            size = format_size(path.stat().st_size)
            if what == "skip":
                printer.info(f"Skipping {path.name}: the repository already has it")
            elif what == "would-upload":
                printer.info(f"Would upload {path.name} ({size})")
            else:
                printer.info(f"Uploading {path.name} ({size})")

        try:
            outcome = publish(ctx, request, plan, on_file=on_file, prompt=_prompt if interactive else None)
        finally:
            reporter.close()
    finally:
        ctx.close()
    elapsed = format_duration(time.monotonic() - started)
    if request.dry_run:
        count = len(outcome.would_upload)
        printer.info(f"Dry run: {count} file{'s' if count != 1 else ''} would be uploaded; nothing was sent")
        return 0
    count = len(outcome.uploaded)
    skipped = f", skipped {len(outcome.skipped)} already there" if outcome.skipped else ""
    printer.info(f"Uploaded {count} file{'s' if count != 1 else ''}{skipped} in {elapsed}")
    if outcome.release_pages:
        printer.info("View at:\n" + "\n".join(outcome.release_pages))
    return 0
