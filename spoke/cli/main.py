"""spoke's entry point: parse argv with pip's flags, load settings, dispatch, render errors.

The argument parser is generated from the one option table in :mod:`spoke.config.options`,
so a flag, its ``PIP_*``/``SPOKE_*`` variable and its configuration-file key are declared once.
Options may appear before or after the command, as with pip. Only what the user typed reaches
the settings loader (defaults are suppressed), so the loader can tell a flag from a default.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import Any

import spoke
from spoke.errors import DISK_FULL_ERRNOS, SpokeError, UsageError, write_error

# command → (module, one-line help). Modules are imported only when their command runs.
COMMANDS: dict[str, tuple[str, str]] = {
    "install": ("spoke.cli.install", "Install packages."),
    "uninstall": ("spoke.cli.uninstall", "Uninstall packages."),
    "venv": ("spoke.cli.venv", "Create a virtual environment."),
    "list": ("spoke.cli.list", "List installed packages."),
    "show": ("spoke.cli.show", "Show information about installed packages."),
    "freeze": ("spoke.cli.freeze", "Output installed packages in requirements format."),
    "check": ("spoke.cli.check", "Verify installed packages' dependencies, or check distribution files."),
    "tree": ("spoke.cli.tree", "Show the dependency tree of installed packages."),
    "why": ("spoke.cli.why", "Show why a package is installed: every path that requires it."),
    "sync": ("spoke.cli.sync", "Make the environment exactly what pinned requirements files say (pip-sync)."),
    "doctor": ("spoke.cli.doctor", "Check the environment and the machine; each finding with its fix."),
    "why-not": ("spoke.cli.why_not", "Show what keeps a package below its newest release (or a version)."),
    "upgrade": ("spoke.cli.upgrade", "Upgrade packages (every outdated one when none is named)."),
    "autoremove": ("spoke.cli.autoremove", "Remove packages that nothing requires and nobody asked for."),
    "history": ("spoke.cli.history", "Show the transactions that changed this environment."),
    "rollback": ("spoke.cli.history:rollback", "Undo transactions: put the environment back as it was before N."),
    "config": ("spoke.cli.config", "Manage pip's and spoke's configuration: list, get, set, unset, edit, debug."),
    "inspect": ("spoke.cli.inspect", "Print pip's JSON report of the environment and every installed package."),
    "index": ("spoke.cli.index", "Inspect what the package indexes offer: `index versions NAME`."),
    "download": ("spoke.cli.download", "Download packages and their dependencies into a folder."),
    "wheel": ("spoke.cli.wheel", "Build wheels of packages and their dependencies into a folder."),
    "build": ("spoke.cli.build", "Build a project's sdist and wheel (as python -m build)."),
    "completion": ("spoke.cli.completion", "A shell completion script: bash, zsh, fish or powershell."),
    "compile": ("spoke.cli.compile", "Pin every requirement and dependency into a requirements file (pip-compile)."),
    "audit": ("spoke.cli.audit", "Find known vulnerabilities in the environment or requirements files; --fix them."),
    "publish": ("spoke.cli.publish", "Upload distributions to a package repository (as twine upload)."),
    "lock": ("spoke.cli.lock", "Write a PEP 751 lock file (pylock.toml) of the inputs, for every platform and Python."),
    "self": ("spoke.cli.self_cmd", "spoke itself: `self version`, `self update` (in spoke's own environment)."),
}
#: Commands that are told the command line as typed (``compile`` writes it into its header).
_TOLD_ARGV = frozenset({"compile"})
ALIASES = {"remove": "uninstall", "add": "install"}
POSITIONAL = {
    "install": ("requirement_args", "*", "Requirement specifiers, paths or URLs."),
    "uninstall": ("package_args", "*", "Names of packages to remove."),
    "venv": ("path_args", "*", "Where to create the environment (default: .venv)."),
    "show": ("package_args", "*", "Names of installed packages."),
    "check": ("dist_args", "*", "Distribution files or folders to check (none: check the environment)."),
    "tree": ("package_args", "*", "Packages to start from (default: those nothing requires)."),
    "why": ("package_args", "*", "The package to explain."),
    "why-not": ("package_args", "*", "NAME or NAME==VERSION."),
    "sync": ("requirement_files", "*", "Pinned requirements files (default: requirements.txt)."),
    "upgrade": ("requirement_args", "*", "Packages to upgrade (default: every outdated one)."),
    "rollback": ("transaction_args", "*", "The transaction to undo, with every later one (default: the last)."),
    "config": ("config_args", "*", "ACTION [KEY [VALUE]]: list, get KEY, set KEY VALUE, unset KEY, edit, debug."),
    "index": ("index_args", "*", "`versions NAME`: the versions the indexes offer for NAME."),
    "download": ("requirement_args", "*", "Requirement specifiers, paths or URLs."),
    "wheel": ("requirement_args", "*", "Requirement specifiers, paths or URLs."),
    "completion": ("shell_args", "*", "bash, zsh, fish or powershell."),
    "build": ("srcdir", "*", "The project folder (default: the current folder)."),
    "compile": ("src_files", "*", "requirements.in, pyproject.toml, setup.cfg or setup.py files."),
    "publish": ("dist_args", "*", "Distribution files or folders to upload (default: dist/)."),
    "audit": ("target_args", "*", "A pylock.toml or a project folder to audit (default: the environment)."),
    "self": ("self_args", "*", "`version` or `update`."),
    "lock": ("src_files", "*", "requirements.in, pyproject.toml, setup.cfg or setup.py files."),
}


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors become :class:`UsageError` (exit code 2).

    While options are being added (``building``), one help formatter serves every
    ``add_argument`` check: argparse would otherwise make a new one per option, asking the
    terminal its size each time (a tenth of a no-op install's run time).
    """

    building = False
    _formatter: Any = None

    def _get_formatter(self) -> Any:
        if not self.building:
            return super()._get_formatter()
        if self._formatter is None:
            self._formatter = super()._get_formatter()
        return self._formatter

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UsageError(message, hint=f"See `{self.prog} --help`.")


def _add_option(parser: argparse.ArgumentParser, option: Any) -> None:
    kwargs: dict[str, Any] = {"dest": option.dest, "default": argparse.SUPPRESS, "help": option.help}
    kind = option.kind
    if kind == "bool":
        kwargs["action"] = "store_true"
    elif kind == "count":
        kwargs["action"] = "count"
    elif kind == "list":
        kwargs["action"] = "append"
        kwargs["metavar"] = option.metavar if getattr(option, "metavar", None) else option.dest.upper()
    else:
        if kind == "choice":
            kwargs["choices"] = list(option.choices)
        if kind == "int":
            kwargs["type"] = int
        elif kind == "float":
            kwargs["type"] = float
        kwargs["metavar"] = getattr(option, "metavar", None) or option.dest.upper()
    parser.add_argument(*option.flags, **kwargs)
    negative = getattr(option, "negative_flag", None)
    if negative:
        parser.add_argument(negative, dest=option.dest, action="store_false", default=argparse.SUPPRESS,
                            help=f"Negates {option.flags[-1]}.")


def _options_for(command: str | None) -> list[Any]:
    from spoke.config.options import GLOBAL, OPTIONS, options_for

    if command is None:
        return [o for o in OPTIONS if o.commands == GLOBAL]
    return list(options_for(command))


def _command_in(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (skipping global options and their values), if any."""
    takes_value: set[str] = set()
    for option in _options_for(None):
        if option.kind not in ("bool", "count"):
            takes_value.update(option.flags)
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--":
            return None
        if arg.startswith("-"):
            skip = arg in takes_value  # `--opt value`; `--opt=value` is one token
            continue
        name = ALIASES.get(arg, arg)
        return name if name in COMMANDS else None
    return None


def build_parser(
    only: str | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and one subparser per command (just ``only``'s when given).

    Building all thirteen subparsers costs tens of milliseconds; a command run needs one.
    """
    parser = _Parser(prog="spoke", description="A fast, safe Python package installer with pip's interface.")
    parser.building = True
    parser.add_argument("-V", "--version", action="version", version=f"spoke {spoke.__version__}")
    for option in _options_for(None):
        _add_option(parser, option)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    by_name: dict[str, argparse.ArgumentParser] = {}
    for name, (_module, help_text) in COMMANDS.items():
        if only is not None and name != only:
            continue
        aliases = [a for a, target in ALIASES.items() if target == name]
        sub = subs.add_parser(name, help=help_text, description=help_text, aliases=aliases)
        sub.building = True
        pos = POSITIONAL.get(name)
        if pos:
            sub.add_argument(pos[0], nargs=pos[1], help=pos[2], metavar=pos[0].split("_")[0])
        for option in _options_for(name):
            _add_option(sub, option)
        sub.building = False
        by_name[name] = sub
    parser.building = False
    return parser, by_name


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run spoke; return the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ if environ is None else environ
    from spoke.app.noop import invocation_of

    invocation = invocation_of(argv, environ)  # the command as typed, for the quick no-op answer
    from spoke.cli.render import Printer

    printer = Printer(environ=environ)
    if environ.get("SPOKE_AUTO_COMPLETE"):  # a completion script asking (spoke completion)
        from spoke.cli.completion import complete

        return complete(environ, printer)
    verbose = "-v" in argv or "--verbose" in argv
    restore = _stop_transfers_on_interrupt()
    try:
        parser, _ = build_parser(only=_command_in(argv))
        if not argv:
            parser.print_help(sys.stderr)
            return 2
        ns = parser.parse_args(argv)
        command = ALIASES.get(ns.command, ns.command)
        if command is None:
            raise UsageError("No command given", hint="Try `spoke install NAME` or `spoke --help`.")
        values = dict(vars(ns))
        values.pop("command", None)
        positional_name = POSITIONAL.get(command, ("",))[0]
        positional = values.pop(positional_name, []) or []
        from spoke.config.settings import load_settings

        settings = load_settings(command, values, environ, site_config=_site_config(values, environ))
        verbosity = int(settings.get("verbose", None) or 0) - int(settings.get("quiet", None) or 0)
        verbose = verbosity > 0
        printer = Printer(verbosity=verbosity, environ=environ, color=_color(settings),
                          progress=settings.get("progress_bar", None) or "on")
        module_name, _, function = COMMANDS[command][0].partition(":")
        run: Callable[..., int] = getattr(import_module(module_name), function or "run")
        if invocation is not None:  # `install`/`add`/`sync` as typed: it may record the quick answer
            return run(settings, positional, printer, environ, invocation=invocation)
        if command in _TOLD_ARGV:
            return run(settings, positional, printer, environ, argv=argv)
        return run(settings, positional, printer, environ)
    except SpokeError as exc:
        printer.error(exc)
        if verbose and exc.__cause__ is not None:
            import traceback

            traceback.print_exception(exc.__cause__, file=sys.stderr)
        return exc.exit_code
    except PermissionError as exc:
        where = f" `{exc.filename}`" if exc.filename else ""
        printer.error(SpokeError(
            f"Permission denied writing{where}",
            hint="Install into a virtual environment you own (`spoke venv`), or use --user; "
            "avoid running spoke with sudo.",
        ))
        return 1
    except OSError as exc:
        if exc.errno in DISK_FULL_ERRNOS:
            # A copy names its source first and the file it writes second (shutil.copyfile).
            written = exc.filename2 or exc.filename
            printer.error(write_error(exc, os.path.dirname(written) if written else None))
            return 1
        where = f" ({exc.filename})" if exc.filename else ""
        printer.error(SpokeError(
            f"{exc.strerror or exc}{where}",
            hint="Check free disk space and that the folders involved are writable.",
        ))
        return 1
    except KeyboardInterrupt:
        printer.info("Interrupted")
        return 130
    except BrokenPipeError:
        return 1
    finally:
        restore()


def _stop_transfers_on_interrupt() -> Callable[[], None]:
    """Make Ctrl-C stop running downloads too; returns what puts the old handler back.

    Python raises ``KeyboardInterrupt`` in the main thread only, which then waits for the
    worker threads to finish their transfers (a stalled one for its whole ``--timeout``). The
    handler also calls :func:`spoke.net.interrupt.interrupt` when that module is loaded (else
    no transfer runs), so the workers stop at once and remove their temporary files. Only the
    default handler is replaced, and only in the main thread.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return lambda: None

    def on_interrupt(signum: int, frame: object) -> None:
        transfers = sys.modules.get("spoke.net.interrupt")
        if transfers is not None:
            transfers.interrupt()
        raise KeyboardInterrupt

    def restore() -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, on_interrupt)
    return restore


def _color(settings: Any) -> bool | None:
    """``--color always|never`` (``--no-color`` is never); ``None``: decide by the terminal."""
    if settings.get("no_color", None):
        return False
    return {"always": True, "never": False}.get(settings.get("color", None) or "auto")


def _site_config(values: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    """pip's site configuration file: ``pip.conf`` in the target virtual environment.

    Found without running any interpreter (settings are needed before the target is probed):
    a ``--python`` that is a venv folder or an interpreter inside one, else ``VIRTUAL_ENV``,
    else a ``.venv`` in the current folder or a parent — the same order discovery uses.
    """
    from pathlib import Path

    from spoke.config.files import site_config_path
    from spoke.env.discovery import find_dot_venv

    python = values.get("python")
    if python:
        candidate = Path(str(python)).expanduser()
        for prefix in (candidate, candidate.parent.parent):
            if (prefix / "pyvenv.cfg").is_file():
                return site_config_path(prefix.absolute())
        return None
    venv = environ.get("VIRTUAL_ENV")
    if venv:
        return site_config_path(venv)
    exe = find_dot_venv(Path.cwd())
    return site_config_path(exe.parent.parent) if exe is not None else None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
