"""``spoke config list|get|set|unset|edit|debug``: pip's ``config`` command, with spoke's file too.

The logic lives in :class:`spoke.config.command.ConfigCommand`; this module picks the scope and
the target's site file, runs the action and prints its answer as pip does: ``list`` prints
``section.key='value'`` lines and ``get`` the bare value on stdout, ``set``/``unset`` say
``Writing to <file>`` on stderr, ``debug`` prints the variables seen and then every candidate
file in load order with ``exists: True/False`` and the keys it sets. Values that hold URLs are
printed with their passwords masked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any

from spoke.cli.render import Printer
from spoke.errors import ConfigurationError, SpokeError, UsageError

ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "list": ((), "spoke config list"),
    "get": (("KEY",), "spoke config get global.index-url"),
    "set": (("KEY", "VALUE"), "spoke config set global.index-url https://example.org/simple"),
    "unset": (("KEY",), "spoke config unset global.index-url"),
    "edit": ((), "spoke config edit --user"),
    "debug": ((), "spoke config debug"),
}
"""Each action → the arguments it takes, and an example of its use."""

VARIANT_ORDER = ("global", "user", "site", "env", "spoke")
"""The kinds of file in load order (a later one overrides an earlier one)."""


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke config``; return the exit code."""
    from spoke.config.command import ConfigCommand

    action, args = _action(positional)
    scope = _scope(settings)
    command = ConfigCommand(environ=environ, site_config=_site_config(settings, printer, environ, scope))
    if action == "list":
        for key, value in command.list(scope):
            printer.stdout(f"{key}={_shown(value)!r}\n")
    elif action == "get":
        printer.stdout(f"{_shown(command.get(args[0], scope))}\n")
    elif action == "set":
        printer.info(f"Writing to {command.set(args[0], args[1], scope)}")
    elif action == "unset":
        printer.info(f"Writing to {command.unset(args[0], scope)}")
    elif action == "edit":
        _edit(command, scope, settings.get("editor", None), printer)
    else:
        printer.stdout("".join(f"{line}\n" for line in debug_lines(command.debug())))
    return 0


def _action(positional: Sequence[str]) -> tuple[str, list[str]]:
    """The action and its arguments; a usage error if either is wrong."""
    names = ", ".join(ACTIONS)
    if not positional:
        raise UsageError(f"Need an action ({names}) to perform", hint="For example `spoke config list`.")
    action, *args = positional
    if action not in ACTIONS:
        raise UsageError(
            f"Unknown action `{action}`: `spoke config` knows {names}",
            hint="For example `spoke config list` or `spoke config get global.index-url`.",
        )
    wanted, example = ACTIONS[action]
    if len(args) != len(wanted):
        takes = " ".join(wanted) if wanted else "no arguments"
        raise UsageError(
            f"`spoke config {action}` takes {takes}, got {len(args)} argument{'s' if len(args) != 1 else ''}",
            hint=f"For example `{example}`.",
        )
    return action, args


def _scope(settings: Any) -> Any:
    """``"global"``, ``"user"``, ``"site"`` or ``None``, from ``--global``/``--user``/``--site``."""
    chosen = [
        name for name in ("global", "user", "site") if settings.get(f"scope_{name}", None)
    ]
    if len(chosen) > 1:
        raise UsageError(
            f"Need exactly one file to operate upon, got {' and '.join('--' + c for c in chosen)}",
            hint="Give one of --global, --user or --site (or none, for the usual file).",
        )
    return chosen[0] if chosen else None


def _site_config(settings: Any, printer: Printer, environ: Mapping[str, str], scope: Any) -> PurePath | None:
    """The target environment's ``pip.conf`` (``sys.prefix`` of the target interpreter).

    A missing target is an error only when ``--site`` asks for its file; otherwise the site
    file is simply left out, as there is none.
    """
    from spoke.cli.common import make_context
    from spoke.config.files import site_config_path

    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        return site_config_path(ctx.interpreter.sys_prefix)
    except SpokeError:
        if scope == "site":
            raise
        venv = environ.get("VIRTUAL_ENV")
        return site_config_path(venv) if venv else None
    finally:
        reporter.close()
        ctx.close()


def _edit(command: Any, scope: Any, editor_option: str | None, printer: Printer) -> None:
    """Open the scope's file in ``--editor``, ``VISUAL`` or ``EDITOR``, creating its folder."""
    import shlex
    import subprocess

    target = command.edit(scope)
    editor = editor_option or target.editor
    if not editor:
        raise ConfigurationError(
            "Could not determine the editor to use",
            hint="Set VISUAL or EDITOR, or pass `--editor PROGRAM`.",
        )
    path = Path(target.path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the folder of {path}: {exc.strerror or exc}",
            hint="the global file usually needs administrator rights; try `--user`",
        ) from None
    argv = [*shlex.split(editor, posix=os.name != "nt"), str(path)]
    printer.detail(f"Opening {path} with {editor}")
    try:
        code = subprocess.run(argv, check=False).returncode
    except OSError as exc:
        raise ConfigurationError(
            f"cannot run the editor `{editor}`: {exc.strerror or exc}",
            hint="Check VISUAL, EDITOR or `--editor` names a program on PATH.",
        ) from None
    if code != 0:
        raise ConfigurationError(
            f"the editor `{editor}` exited with code {code}", hint=f"The file is {path}."
        )


def debug_lines(debug: Any) -> list[str]:
    """pip's ``config debug`` layout: variables, then each kind of file in load order.

    Every candidate file is listed with ``exists: True/False`` (and why it is not loaded,
    if it is not), followed by the ``section.key: value`` entries it sets.
    """
    lines = ["env_var:"]
    lines.extend(f"  {name}={_shown(value)!r}" for name, value in debug.variables)
    for variant in VARIANT_ORDER:
        lines.append(f"{variant}:")
        for config in debug.files:
            if config.variant != variant:
                continue
            exists = config.exists or os.path.isfile(str(config.path))
            skipped = f", not loaded: {config.skipped}" if config.skipped else ""
            lines.append(f"  {config.path}, exists: {exists}{skipped}")
            lines.extend(
                f"    {section}.{key}: {_shown(value)}" for section, key, value in config.entries
            )
    return lines


def _shown(value: object) -> object:
    """``value`` with every URL's password masked (strings, and strings inside lists)."""
    from spoke.net.redact import redact_text

    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list | tuple):
        return type(value)(_shown(item) for item in value)
    return value
