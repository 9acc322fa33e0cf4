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

# Submodules are imported on first use: `spoke install` needs the option table and the
# loader, not the `spoke config` command's code.
_EXPORTS = {
    "ConfigCommand": "command", "ConfigDebug": "command", "EditTarget": "command", "Scope": "command",
    "ENVIRONMENT_VARIABLES": "environ", "EnvironmentFacts": "environ", "EnvVar": "environ",
    "ConfigFile": "files", "config_locations": "files", "load_config_files": "files",
    "site_config_path": "files",
    "DEFAULT_INDEX_URL": "options", "GLOBAL": "options", "OPTIONS": "options", "Option": "options",
    "option_for_dest": "options", "option_for_key": "options", "options_for": "options",
    "Settings": "settings", "build_settings": "settings", "load_settings": "settings",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(f"spoke.config.{module}"), name)


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
