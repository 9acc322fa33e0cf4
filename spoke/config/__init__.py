"""spoke's configuration: pip's files and variables, spoke's own, and the command line.

* :mod:`~spoke.config.options` — every option, declared once as data (the CLI builds argparse
  from it);
* :mod:`~spoke.config.files` — where pip's files and ``spoke.toml`` live, and reading them;
* :mod:`~spoke.config.environ` — every other environment variable, declared once;
* :mod:`~spoke.config.settings` — :func:`load_settings` → a frozen :class:`Settings` that
  remembers where each value came from;
* :mod:`~spoke.config.command` — the logic of ``spoke config``.

Nothing else in spoke reads ``os.environ``: the CLI passes it to :func:`load_settings`.
"""

from __future__ import annotations

from spoke.config.command import ConfigCommand, ConfigDebug, EditTarget, Scope
from spoke.config.environ import ENVIRONMENT_VARIABLES, EnvironmentFacts, EnvVar
from spoke.config.files import ConfigFile, config_locations, load_config_files, site_config_path
from spoke.config.options import (
    DEFAULT_INDEX_URL,
    GLOBAL,
    OPTIONS,
    Option,
    option_for_dest,
    option_for_key,
    options_for,
)
from spoke.config.settings import Settings, build_settings, load_settings

__all__ = [
    "DEFAULT_INDEX_URL",
    "ENVIRONMENT_VARIABLES",
    "GLOBAL",
    "OPTIONS",
    "ConfigCommand",
    "ConfigDebug",
    "ConfigFile",
    "EditTarget",
    "EnvVar",
    "EnvironmentFacts",
    "Option",
    "Scope",
    "Settings",
    "build_settings",
    "config_locations",
    "load_config_files",
    "load_settings",
    "option_for_dest",
    "option_for_key",
    "options_for",
    "site_config_path",
]
