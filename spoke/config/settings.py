"""Command line, environment and files → one frozen :class:`Settings` that knows its sources.

Precedence, highest first::

    command line  >  SPOKE_* variables  >  PIP_* variables  >  spoke.toml  >  pip files  >  defaults

Within pip's files pip's own rules hold: a key in the command's section (``[install]``) beats
the same key in ``[global]`` whichever file each is in, and among files of one section the
later-loaded file wins (global < user < site < ``PIP_CONFIG_FILE``). In ``spoke.toml`` the
command's table likewise beats ``[global]``. Empty values are ignored, as pip ignores them.

Among variables naming one option, the primary name wins (``PIP_TIMEOUT`` over
``PIP_DEFAULT_TIMEOUT``). As optparse does for pip, a ``list`` or ``count`` option given on the
command line *adds to* the configured value (``--extra-index-url`` on the command line keeps the
ones from ``pip.conf``); every other option given there replaces it.

Isolated mode (``--isolated``, or a true ``PIP_ISOLATED_MODE``) ignores every ``PIP_*`` and
``SPOKE_*`` option variable and the user's files, as pip's ``--isolated`` does.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from types import MappingProxyType
from typing import Any

from spoke.config.environ import EnvironmentFacts, home_from
from spoke.config.files import ConfigFile, load_config_files
from spoke.config.options import OPTIONS, Option, option_for_dest, option_for_key, options_for
from spoke.config.values import convert, is_empty, strtobool
from spoke.errors import ConfigurationError

COMMAND_LINE = "command line"
"""The source of a value typed by the user."""
DEFAULT = "default"
"""The source of a value nothing set."""

_MISSING: Any = object()
_ALL_KEYS = frozenset(key for option in OPTIONS for key in option.keys)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every option of one command, typed, each with the place its value came from.

    Read a value with ``settings.get("index_url")`` or ``settings.index_url``; where it came
    from with ``settings.source("index_url")`` ("command line", "environment variable
    PIP_INDEX_URL", "/etc/pip.conf [global]", "default"). Lists are tuples, paths are
    :class:`~pathlib.Path`. Command-line values that are not options (positional arguments) are
    kept as given.
    """

    command: str
    """The command these settings are for (``install``)."""
    values: Mapping[str, Any]
    """Every value by ``dest``."""
    sources: Mapping[str, str]
    """Where each value came from, by ``dest``."""
    environment: EnvironmentFacts = field(default_factory=EnvironmentFacts)
    """Facts from non-option environment variables (venv, proxies, TLS, colors, PATH)."""
    files: tuple[ConfigFile, ...] = ()
    """Every candidate configuration file in load order (loaded, missing or skipped)."""
    isolated: bool = False
    """Whether environment variables and user configuration were ignored."""
    ignored: tuple[str, ...] = ()
    """Configured keys that name no option at all, as ``key (source)``: likely typos."""

    def get(self, dest: str, default: Any = _MISSING) -> Any:
        """The value of ``dest``; ``default`` (or :class:`KeyError`) if the command lacks it."""
        try:
            return self.values[dest]
        except KeyError:
            if default is not _MISSING:
                return default
            raise KeyError(f"the `{self.command}` command has no option `{dest}`") from None

    def source(self, dest: str) -> str:
        """Where the value of ``dest`` came from, as a phrase for a human."""
        try:
            return self.sources[dest]
        except KeyError:
            raise KeyError(f"the `{self.command}` command has no option `{dest}`") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(
                f"the `{self.command}` command has no option `{name}`"
            ) from None


def load_settings(
    command: str,
    cli: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    site_config: PurePath | None = None,
    platform: str = sys.platform,
    system_root: PurePath | None = None,
) -> Settings:
    """The settings of ``command``: ``cli`` over the environment over files over defaults.

    ``cli`` holds only what the user typed, by ``dest`` (argparse results with defaults
    suppressed). ``environ`` is the process environment (the CLI passes ``os.environ``).
    ``site_config`` is the target environment's site file (see
    :func:`~spoke.config.files.site_config_path`), or ``None`` when there is no target yet.
    ``system_root`` re-roots the machine-wide files (tests, chroots).
    Raises :class:`~spoke.errors.ConfigurationError` naming every bad value and its source.
    """
    isolated_by = isolation(cli, environ)
    files = load_config_files(
        environ,
        site_config=site_config,
        platform=platform,
        isolated=isolated_by is not None,
        system_root=system_root,
    )
    return build_settings(
        command, cli, environ, files=files, isolated_by=isolated_by, platform=platform
    )


def isolation(cli: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    """What turns isolated mode on (``"command line"``, ``"environment variable …"``), or ``None``.

    ``--isolated``, or a true ``PIP_ISOLATED_MODE`` / ``PIP_ISOLATED`` (or their ``SPOKE_``
    twins); files cannot turn it on, since it decides which files are read.
    """
    if cli.get("isolated"):
        return COMMAND_LINE
    option = option_for_dest("isolated", "*")
    assert option is not None
    for name in (*option.env_names("SPOKE_"), *option.env_names("PIP_")):
        raw = environ.get(name)
        if raw is None or is_empty(raw):
            continue
        try:
            return f"environment variable {name}" if strtobool(raw) else None
        except ValueError:
            raise ConfigurationError(
                f"invalid value {raw!r} for `isolated` in environment variable {name}",
                hint="`isolated` takes a boolean like yes/no, true/false, on/off or 1/0",
            ) from None
    return None


class _Layers:
    """Values and sources being assembled, lowest precedence first; problems collected."""

    def __init__(self, command: str, home: str | None) -> None:
        self.command = command
        self.home = home
        self.values: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        self.problems: list[ConfigurationError] = []
        self.ignored: list[str] = []
        for option in options_for(command):
            self.values[option.dest] = option.default
            self.sources[option.dest] = DEFAULT

    def set(self, key: str, raw: object, where: str, *, pip_rules: bool) -> None:
        """Apply configured ``key = raw`` from ``where`` if it names an option of the command."""
        if is_empty(raw):
            return
        option = option_for_key(key, self.command)
        if option is None:
            if key not in _ALL_KEYS:
                self.ignored.append(f"{key} ({where})")
            return
        self.assign(option, raw, key=key, where=where, pip_rules=pip_rules)

    def assign(self, option: Option, raw: object, *, key: str, where: str, pip_rules: bool) -> None:
        """Type ``raw`` for ``option`` and record it with its source; keep a problem if bad."""
        try:
            value = convert(option, raw, key=key, where=where, pip_rules=pip_rules, home=self.home)
        except ConfigurationError as exc:
            self.problems.append(exc)
            return
        self.values[option.dest] = value
        self.sources[option.dest] = where

    def set_from_cli(self, dest: str, raw: object) -> None:
        """Apply a command-line value: lists and counts add to what is configured."""
        option = option_for_dest(dest, self.command)
        if option is None:
            self.values[dest] = raw  # positional arguments and the CLI's own keys
            self.sources[dest] = COMMAND_LINE
            return
        before, before_source = self.values[dest], self.sources[dest]
        self.assign(option, raw, key=option.name, where=COMMAND_LINE, pip_rules=False)
        if before_source == DEFAULT or self.sources[dest] != COMMAND_LINE:
            return
        if option.kind in ("list", "count"):
            self.values[dest] = before + self.values[dest]
            self.sources[dest] = f"{COMMAND_LINE}, added to {before_source}"


def build_settings(
    command: str,
    cli: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    files: Iterable[ConfigFile] = (),
    isolated_by: str | None = None,
    platform: str = sys.platform,
) -> Settings:
    """The settings from values already gathered; no I/O (see :func:`load_settings`).

    ``isolated_by`` names what turned isolated mode on (see :func:`isolation`), if anything.
    """
    files = tuple(files)
    isolated = isolated_by is not None
    layers = _Layers(command, home_from(environ, platform=platform))
    sections = ("global", command)

    # pip's files: merge every file first (a later file replaces a key of the same section),
    # then apply [global] and the command's section, so the section wins over the file.
    merged: dict[tuple[str, str], tuple[object, ConfigFile]] = {}
    for config in files:
        if config.loaded and not config.is_toml:
            for section, key, raw in config.entries:
                merged[(section, key)] = (raw, config)
    for wanted in sections:
        for (section, key), (raw, config) in merged.items():
            if section == wanted:
                layers.set(key, raw, config.describe(section), pip_rules=True)

    for config in files:
        if config.loaded and config.is_toml:
            for wanted in sections:
                for key, raw in config.section(wanted).items():
                    layers.set(key, raw, config.describe(wanted), pip_rules=False)

    if not isolated:
        for prefix, pip_rules in (("PIP_", True), ("SPOKE_", False)):
            for option in options_for(command):
                _apply_env(layers, option, environ, prefix, pip_rules=pip_rules)

    for dest, raw in cli.items():
        layers.set_from_cli(dest, raw)
    # Isolation decides which files and variables are read, so only it decides its value.
    layers.values["isolated"] = isolated
    layers.sources["isolated"] = isolated_by or DEFAULT

    if layers.problems:
        first, *rest = layers.problems
        raise ConfigurationError(
            first.message,
            hint=first.hint,
            notes=(*first.notes, *(f"also: {p.message}" for p in rest)),
        )
    return Settings(
        command=command,
        values=MappingProxyType(dict(layers.values)),
        sources=MappingProxyType(dict(layers.sources)),
        environment=EnvironmentFacts.from_environ(environ, platform=platform),
        files=files,
        isolated=isolated,
        ignored=tuple(layers.ignored),
    )


def _apply_env(
    layers: _Layers, option: Option, environ: Mapping[str, str], prefix: str, *, pip_rules: bool
) -> None:
    """Apply the first set variable among ``option``'s names (primary first)."""
    for key, name in zip(option.keys, option.env_names(prefix), strict=False):
        raw = environ.get(name)
        if raw is not None and not is_empty(raw):
            layers.assign(
                option, raw, key=key, where=f"environment variable {name}", pip_rules=pip_rules
            )
            return
