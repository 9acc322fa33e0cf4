"""The logic of ``spoke config list|get|set|unset|edit|debug``, as pip's ``config`` command has it.

Keys are pip's ``section.key`` (``global.index-url``, ``install.no-deps``). ``set`` and ``unset``
rewrite a pip file with :mod:`configparser`, atomically, so it stays readable by pip. The file
is chosen by scope: ``"global"``, ``"user"`` or ``"site"``; with no scope, pip's rule applies —
the site file if it exists, else the user file. Every method returns data; the CLI prints.
"""

from __future__ import annotations

import configparser
import io
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Literal

from spoke.config.environ import EnvironmentFacts
from spoke.config.files import (
    SKIPPED_DEVNULL,
    ConfigFile,
    config_locations,
    parse_ini,
    pip_encoding,
    read_config_file,
    read_ini_text,
)
from spoke.config.options import normalize_key
from spoke.errors import ConfigurationError

Scope = Literal["global", "user", "site"]
"""Which pip file a ``config`` action works on (``--global``, ``--user``, ``--site``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EditTarget:
    """What ``config edit`` opens: the file, and the editor named by ``VISUAL``/``EDITOR``."""

    path: Path
    """The file to open (it may not exist yet; its folder may need creating)."""
    editor: str | None
    """The editor command, or ``None`` when neither variable is set."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigDebug:
    """Everything ``config debug`` shows: each candidate file in load order, and the variables."""

    files: tuple[ConfigFile, ...]
    """Every candidate file: path, whether it exists or is skipped, its entries."""
    variables: tuple[tuple[str, str], ...]
    """Every ``PIP_*`` and ``SPOKE_*`` variable set, sorted by name."""


def split_key(key: str) -> tuple[str, str]:
    """``"global.index_url"`` → ``("global", "index-url")``; an error if there is no section."""
    section, dot, name = key.strip().partition(".")
    if not dot or not section or not name:
        raise ConfigurationError(
            f"key `{key}` does not contain a dot separated section and key",
            hint=f"perhaps you wanted to use `global.{key.strip()}` instead?",
        )
    return section.lower(), normalize_key(name)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigCommand:
    """``spoke config`` over the environment ``environ`` and a target's site file."""

    environ: Mapping[str, str]
    """The process environment (locations, ``PIP_CONFIG_FILE``, editors)."""
    site_config: PurePath | None = None
    """The target environment's site file, if there is a target."""
    platform: str = sys.platform
    """The platform whose file locations apply."""
    system_root: PurePath | None = None
    """Re-roots the machine-wide files (tests, chroots); ``None`` for the real ones."""

    def list(self, scope: Scope | None = None) -> tuple[tuple[str, object], ...]:
        """Every ``(section.key, value)``, sorted; later files override earlier ones.

        Without a scope: pip's files, then spoke's file, then ``PIP_*`` variables as
        ``:env:.key`` (as pip lists them). With a scope: that scope's files only. Keys that
        name no option are listed too.
        """
        merged: dict[str, object] = {}
        for config in self._files(scope):
            for section, key, value in config.entries:
                merged[f"{section}.{key}"] = value
        if scope is None:
            for name, value in self.environ.items():
                if name.startswith("PIP_") and name not in ("PIP_VERSION", "PIP_HELP"):
                    merged[f":env:.{normalize_key(name[4:])}"] = value
        return tuple(sorted(merged.items()))

    def get(self, key: str, scope: Scope | None = None) -> str:
        """The value of ``section.key`` in pip's files (the last file setting it wins)."""
        section, name = split_key(key)
        found: str | None = None
        for config in self._files(scope):
            if config.is_toml:
                continue
            value = config.section(section).get(name)
            if value is not None:
                found = str(value)
        if found is None:
            raise ConfigurationError(
                f"no such key - `{key}`", hint="`spoke config list` shows every key that is set"
            )
        return found

    def set(self, key: str, value: str, scope: Scope | None = None) -> Path:
        """Write ``section.key = value`` into the scope's pip file; return the file."""
        section, name = split_key(key)
        path = self.file_to_modify(scope)
        parser = _read_for_update(path)
        if not parser.has_section(section):
            parser.add_section(section)
        for existing in _matching_options(parser, section, name):
            parser.remove_option(section, existing)
        parser.set(section, name, value)
        _write_ini(path, parser)
        return path

    def unset(self, key: str, scope: Scope | None = None) -> Path:
        """Remove ``section.key`` from the scope's pip file; return the file."""
        section, name = split_key(key)
        path = self.file_to_modify(scope)
        parser = _read_for_update(path)
        matches = _matching_options(parser, section, name) if parser.has_section(section) else []
        if not matches:
            raise ConfigurationError(
                f"no such key - `{key}` in {path}",
                hint="`spoke config list` shows every key that is set",
            )
        for existing in matches:
            parser.remove_option(section, existing)
        if not parser.items(section):
            parser.remove_section(section)
        _write_ini(path, parser)
        return path

    def edit(self, scope: Scope | None = None) -> EditTarget:
        """The file ``config edit`` opens and the editor to open it with."""
        facts = EnvironmentFacts.from_environ(self.environ, platform=self.platform)
        return EditTarget(path=self.file_to_modify(scope), editor=facts.editor)

    def debug(self) -> ConfigDebug:
        """Every candidate file in load order with its entries, and the variables seen."""
        files = tuple(read_config_file(c) for c in self._locations())
        variables = tuple(
            sorted(
                (name, value)
                for name, value in self.environ.items()
                if name.startswith(("PIP_", "SPOKE_"))
            )
        )
        return ConfigDebug(files=files, variables=variables)

    def file_to_modify(self, scope: Scope | None = None) -> Path:
        """The pip file ``set``/``unset``/``edit`` work on: the scope's last file (pip's rule)."""
        chosen = scope or self._default_scope()
        candidates = [c for c in self._locations() if c.variant == chosen]
        if not candidates:
            if chosen == "site":
                raise ConfigurationError(
                    "there is no site configuration file: no target environment was found",
                    hint="activate a virtual environment, pass `--python`, or use `--user`",
                )
            raise ConfigurationError(f"no {chosen} configuration file applies here")
        return Path(str(candidates[-1].path))

    def _locations(self) -> tuple[ConfigFile, ...]:
        return config_locations(
            self.environ,
            site_config=self.site_config,
            platform=self.platform,
            system_root=self.system_root,
        )

    def _default_scope(self) -> Scope:
        # pip: the site file when it exists (inside a venv that has one), else the user's.
        if self.site_config is not None and Path(str(self.site_config)).is_file():
            return "site"
        return "user"

    def _files(self, scope: Scope | None) -> tuple[ConfigFile, ...]:
        if scope is None:
            return tuple(read_config_file(c) for c in self._locations() if c.loaded)
        # An explicit scope reads that scope's files even where loading would skip them.
        return tuple(
            read_config_file(replace(c, skipped=""))
            for c in self._locations()
            if c.variant == scope and c.skipped != SKIPPED_DEVNULL
        )


def _matching_options(parser: configparser.RawConfigParser, section: str, name: str) -> list[str]:
    """The spellings of ``name`` in ``section`` (``index_url`` and ``index-url`` are one key)."""
    return [opt for opt in parser.options(section) if normalize_key(opt) == name]


def _read_for_update(path: Path) -> configparser.RawConfigParser:
    """``path`` parsed for a change, or an empty parser if the file does not exist yet."""
    if path.is_file():
        return parse_ini(read_ini_text(path), source=str(path))
    return configparser.RawConfigParser()


def _write_ini(path: Path, parser: configparser.RawConfigParser) -> None:
    """Write ``parser`` to ``path`` through a temporary file and a rename, creating folders."""

    buffer = io.StringIO()
    parser.write(buffer)
    data = buffer.getvalue().encode(pip_encoding())
    try:
        from spoke.cache import write_atomic

        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        write_atomic(path, data, mode=mode)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write configuration file {path}: {exc.strerror or exc}",
            hint="the global file usually needs administrator rights; try `--user`",
        ) from None
