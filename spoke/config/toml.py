"""TOML reading for every layer: the standard ``tomllib`` (Python 3.11+), else ``tomli`` (3.10).

``from spoke.config.toml import tomllib`` and use it as the standard module.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

__all__ = ["tomllib"]
