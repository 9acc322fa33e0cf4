"""PEP 517 / PEP 660 builds: source archives unpacked safely, metadata and wheels from backends.

:mod:`spoke.pep517.sdist` unpacks an sdist (every member checked first);
:mod:`spoke.pep517.pyproject` reads ``[build-system]`` and ``-C`` settings;
:mod:`spoke.pep517.frontend` runs the backend's hooks in build environments the caller makes;
:mod:`spoke.pep517.hints` turns a failed build's output into the fix to suggest.
"""

from __future__ import annotations

from spoke.pep517.frontend import TAIL_LINES, BuildEnv, Builder, ConfigSettings
from spoke.pep517.pyproject import (
    LEGACY_BACKEND,
    LEGACY_REQUIRES,
    BuildSystem,
    parse_config_settings,
    read_build_system,
)
from spoke.pep517.sdist import (
    DEFAULT_SDIST_LIMITS,
    SDIST_SUFFIXES,
    SdistLimits,
    unpack_sdist,
)

__all__ = [
    "DEFAULT_SDIST_LIMITS",
    "LEGACY_BACKEND",
    "LEGACY_REQUIRES",
    "SDIST_SUFFIXES",
    "TAIL_LINES",
    "BuildEnv",
    "BuildSystem",
    "Builder",
    "ConfigSettings",
    "SdistLimits",
    "parse_config_settings",
    "read_build_system",
    "unpack_sdist",
]
