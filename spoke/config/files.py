"""pip's configuration files and spoke's own, found and read as pip finds and reads them.

Load order (a later file overrides an earlier one; see pip's "Configuration" topic):

1. **global** — Linux/other: ``<d>/pip/pip.conf`` for each ``d`` in ``$XDG_CONFIG_DIRS``
   (default ``/etc/xdg``), then ``/etc/pip.conf``; macOS:
   ``/Library/Application Support/pip/pip.conf``; Windows: ``C:\\ProgramData\\pip\\pip.ini``.
2. **user** — the legacy ``~/.pip/pip.conf`` (Windows ``~\\pip\\pip.ini``), then
   ``$XDG_CONFIG_HOME/pip/pip.conf`` (default ``~/.config/pip/pip.conf``); macOS:
   ``~/Library/Application Support/pip/pip.conf`` if that folder exists, else
   ``~/.config/pip/pip.conf``; Windows: ``%APPDATA%\\pip\\pip.ini``. Skipped in isolated mode,
   and — as pip does — when ``PIP_CONFIG_FILE`` names an existing file.
3. **site** — ``<sys.prefix of the target>/pip.conf`` (passed in by the caller).
4. **env** — ``$PIP_CONFIG_FILE``. If it is ``os.devnull``, *no* file is loaded at all (pip's
   switch for a configuration-free run); spoke extends that to its own default file.
5. **spoke** — spoke's TOML file: ``$SPOKE_CONFIG_FILE``, else ``spoke.toml`` in
   ``platformdirs.user_config_dir("spoke")`` (computed here from the given environment);
   ``os.devnull`` disables it; a user file, so isolated mode skips the default one.

Locations are computed for a ``platform`` argument (``sys.platform`` values), so the macOS and
Windows rules are testable anywhere. Keys are normalized as pip does (lower case, ``_`` → ``-``);
section names are kept as written (``[global]``, ``[install]``...).
"""

from __future__ import annotations

import configparser
import locale
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Final, Literal

from spoke.config.environ import home_from, read_env
from spoke.config.options import normalize_key
from spoke.errors import ConfigurationError

Variant = Literal["global", "user", "site", "env", "spoke"]
"""Where a configuration file belongs: pip's kinds, plus spoke's own file."""

SKIPPED_DEVNULL: Final = "PIP_CONFIG_FILE is os.devnull"
"""Why every file is skipped when ``PIP_CONFIG_FILE`` names the null device."""
SKIPPED_ISOLATED: Final = "isolated mode"
"""Why user files are skipped in isolated mode."""
SKIPPED_PIP_CONFIG_FILE: Final = "PIP_CONFIG_FILE is set"
"""Why pip skips user files when ``PIP_CONFIG_FILE`` names an existing file."""

PIP_VARIANTS: Final[tuple[Variant, ...]] = ("global", "user", "site", "env")
"""pip's file kinds in load (and override) order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigFile:
    """One configuration file: where it is, whether it exists, what it says.

    ``skipped`` names the rule that kept a candidate file from being loaded ("isolated mode");
    a skipped or missing file has no entries.
    """

    variant: Variant
    """Which kind of file this is."""
    path: PurePath
    """The file's location (a :class:`~pathlib.Path` on the running platform)."""
    exists: bool = False
    """Whether the file was found."""
    entries: tuple[tuple[str, str, object], ...] = ()
    """``(section, normalized key, raw value)`` in file order."""
    skipped: str = ""
    """Why the file is not loaded, or ``""`` when it is."""

    @property
    def loaded(self) -> bool:
        """Whether the file takes part in the configuration."""
        return not self.skipped

    @property
    def is_toml(self) -> bool:
        """Whether this is spoke's TOML file rather than a pip INI file."""
        return self.variant == "spoke"

    def section(self, name: str) -> dict[str, object]:
        """The keys and values of section ``name`` (later duplicates win)."""
        return {key: value for section, key, value in self.entries if section == name}

    def describe(self, section: str) -> str:
        """How a value's source is shown: ``/etc/pip.conf [global]``."""
        return f"{self.path} [{section}]"


def pip_file_name(platform: str) -> str:
    """pip's file name on ``platform``: ``pip.ini`` on Windows, ``pip.conf`` elsewhere."""
    return "pip.ini" if platform == "win32" else "pip.conf"


def site_config_path(prefix: PurePath | str, *, platform: str = sys.platform) -> PurePath:
    """The site configuration file of the environment at ``prefix`` (its ``sys.prefix``)."""
    return _flavour(platform)(prefix) / pip_file_name(platform)


def is_devnull(value: str, *, platform: str = sys.platform) -> bool:
    """Whether ``value`` names the null device (``/dev/null``, ``nul`` on Windows)."""
    if platform == "win32":
        return value.strip().lower() in ("nul", "\\\\.\\nul")
    return value == "/dev/null" or value == os.devnull


def _flavour(platform: str) -> type[PurePath]:
    """The path class for ``platform``: a concrete :class:`Path` when it is this machine's."""
    windows = platform == "win32"
    if windows == (os.name == "nt"):
        return Path
    return PureWindowsPath if windows else PurePosixPath


def config_locations(
    environ: Mapping[str, str],
    *,
    site_config: PurePath | str | None = None,
    platform: str = sys.platform,
    isolated: bool = False,
    system_root: PurePath | str | None = None,
    exists: Callable[[str], bool] = os.path.isfile,
    is_dir: Callable[[str], bool] = os.path.isdir,
) -> tuple[ConfigFile, ...]:
    """Every candidate file in load order, each marked with why it is skipped (if it is).

    ``system_root`` re-roots the machine-wide (global) files under another folder, for tests
    and chroots. No file is read; ``exists`` and ``is_dir`` are the only looks at the disk.
    """
    p = _flavour(platform)
    name = pip_file_name(platform)
    home = p(home_from(environ, platform=platform) or str(Path.home()))
    pip_env = environ.get("PIP_CONFIG_FILE")
    spoke_env = environ.get("SPOKE_CONFIG_FILE")
    devnull = pip_env is not None and is_devnull(pip_env, platform=platform)

    files: list[ConfigFile] = []

    def add(variant: Variant, path: PurePath, skipped: str = "") -> None:
        if devnull and variant != "spoke":
            skipped = SKIPPED_DEVNULL
        files.append(ConfigFile(variant=variant, path=path, skipped=skipped))

    for path in _global_files(environ, p, name, platform):
        if system_root is not None:
            path = p(system_root).joinpath(*path.parts[1:])
        add("global", path)

    user_skip = ""
    if isolated:
        user_skip = SKIPPED_ISOLATED
    elif pip_env and not devnull and exists(pip_env):
        user_skip = SKIPPED_PIP_CONFIG_FILE
    for path in _user_files(environ, p, name, platform, home, is_dir):
        add("user", path, user_skip)

    if site_config is not None:
        add("site", p(site_config))
    if pip_env and not devnull:
        add("env", p(pip_env))

    if spoke_env:
        if not is_devnull(spoke_env, platform=platform):
            files.append(ConfigFile(variant="spoke", path=p(spoke_env)))
    else:
        spoke_skip = ""
        if devnull:
            spoke_skip = SKIPPED_DEVNULL
        elif isolated:
            spoke_skip = SKIPPED_ISOLATED
        files.append(
            ConfigFile(
                variant="spoke",
                path=spoke_user_dir(environ, platform=platform, home=home) / "spoke.toml",
                skipped=spoke_skip,
            )
        )
    return tuple(files)


def _global_files(
    environ: Mapping[str, str], p: type[PurePath], name: str, platform: str
) -> Iterator[PurePath]:
    if platform == "win32":
        yield p(read_env(environ, "PROGRAMDATA") or "C:\\ProgramData") / "pip" / name
    elif platform == "darwin":
        yield p("/Library/Application Support/pip") / name
    else:
        dirs = read_env(environ, "XDG_CONFIG_DIRS") or "/etc/xdg"
        for folder in dirs.split(":"):
            if folder:
                yield p(folder) / "pip" / name
        yield p("/etc") / name


def _user_files(
    environ: Mapping[str, str],
    p: type[PurePath],
    name: str,
    platform: str,
    home: PurePath,
    is_dir: Callable[[str], bool],
) -> Iterator[PurePath]:
    # The legacy file first: the new location overrides it.
    yield home / ("pip" if platform == "win32" else ".pip") / name
    if platform == "win32":
        appdata = read_env(environ, "APPDATA")
        yield (p(appdata) if appdata else home / "AppData" / "Roaming") / "pip" / name
    elif platform == "darwin":
        # pip prefers ~/.config/pip on macOS unless the Application Support folder exists.
        folder = home / "Library" / "Application Support" / "pip"
        yield (folder if is_dir(str(folder)) else home / ".config" / "pip") / name
    else:
        yield _xdg_config_home(environ, p, home) / "pip" / name


def _xdg_config_home(environ: Mapping[str, str], p: type[PurePath], home: PurePath) -> PurePath:
    value = read_env(environ, "XDG_CONFIG_HOME")
    return p(value) if value and value.strip() else home / ".config"


def spoke_user_dir(
    environ: Mapping[str, str], *, platform: str = sys.platform, home: PurePath | None = None
) -> PurePath:
    """``platformdirs.user_config_dir("spoke")``, computed from ``environ`` for ``platform``."""
    p = _flavour(platform)
    if home is None:
        home = p(home_from(environ, platform=platform) or str(Path.home()))
    if platform == "win32":
        local = read_env(environ, "LOCALAPPDATA")
        return (p(local) if local else home / "AppData" / "Local") / "spoke"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "spoke"
    return _xdg_config_home(environ, p, home) / "spoke"


def read_config_file(candidate: ConfigFile) -> ConfigFile:
    """``candidate`` with its contents read (unchanged if skipped or missing).

    Raises :class:`~spoke.errors.ConfigurationError` naming the file if it cannot be parsed.
    """
    if candidate.skipped:
        return candidate
    path = Path(str(candidate.path))
    if not path.is_file():
        return candidate
    if candidate.is_toml:
        entries = _read_toml(path)
    else:
        entries = _read_ini(path)
    return ConfigFile(
        variant=candidate.variant, path=candidate.path, exists=True, entries=entries
    )


def load_config_files(
    environ: Mapping[str, str],
    *,
    site_config: PurePath | str | None = None,
    platform: str = sys.platform,
    isolated: bool = False,
    system_root: PurePath | str | None = None,
) -> tuple[ConfigFile, ...]:
    """Every candidate file in load order, read (see :func:`config_locations`)."""
    return tuple(
        read_config_file(candidate)
        for candidate in config_locations(
            environ,
            site_config=site_config,
            platform=platform,
            isolated=isolated,
            system_root=system_root,
        )
    )


def pip_encoding() -> str:
    """The encoding pip reads and writes its files with: the locale's preferred one."""
    return locale.getpreferredencoding(False)


def parse_ini(text: str, *, source: str) -> configparser.RawConfigParser:
    """A pip file's text parsed as pip parses it (no interpolation)."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=source)
    except configparser.Error as exc:
        raise ConfigurationError(
            f"cannot parse configuration file {source}",
            notes=(str(exc).splitlines()[0],),
            hint="pip files are INI files: `[section]` headers and `key = value` lines",
        ) from None
    return parser


def read_ini_text(path: Path) -> str:
    """The text of pip file ``path``; an error naming the file if it cannot be decoded."""
    encoding = pip_encoding()
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError:
        raise ConfigurationError(
            f"configuration file {path} contains invalid {encoding} characters"
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read configuration file {path}: {exc.strerror or exc}"
        ) from None


def _read_ini(path: Path) -> tuple[tuple[str, str, object], ...]:
    parser = parse_ini(read_ini_text(path), source=str(path))
    return tuple(
        (section, normalize_key(key), value)
        for section in parser.sections()
        for key, value in parser.items(section)
    )


def _read_toml(path: Path) -> tuple[tuple[str, str, object], ...]:
    from spoke.config.toml import tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"cannot parse configuration file {path}", notes=(str(exc),)
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read configuration file {path}: {exc.strerror or exc}"
        ) from None
    entries: list[tuple[str, str, object]] = []
    problems: list[str] = []
    for section, table in data.items():
        if not isinstance(table, dict):
            problems.append(f"`{section}` is outside any table")
            continue
        for key, value in table.items():
            entries.append((section, normalize_key(key), value))
    if problems:
        raise ConfigurationError(
            f"configuration file {path}: {problems[0]}",
            notes=problems[1:],
            hint="put keys in a table named like pip's sections: [global], [install]...",
        )
    return tuple(entries)
