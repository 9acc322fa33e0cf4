"""The environment every benchmarked command runs in.

A benchmark is only fair if each tool sees the same index and none of them picks up the host's
configuration. Machines like the ones spoke is built on carry a site-wide ``pip.conf`` (with a
constraint file) and ``PIP_*`` variables (``PIP_FIND_LINKS`` pointing at a local wheel folder):
pip and spoke would quietly read them, uv would not, and the numbers would compare different
work. So every ``PIP_*``, ``UV_*`` and ``SPOKE_*`` variable is dropped, each tool is told to read
no configuration file at all, and the index is passed on the command line (see
:mod:`benchkit.tools`).

TLS variables (``SSL_CERT_FILE`` and friends) are kept: they describe the machine's network, not
a tool's behaviour, and a proxy with its own CA would otherwise break every tool alike.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: Prefixes of variables that configure one of the benchmarked tools.
TOOL_PREFIXES = ("PIP_", "UV_", "SPOKE_")

#: Variables that would change how any Python program runs (and so the tools themselves).
PYTHON_RUNTIME_VARIABLES = (
    "PYTHONPATH",
    "PYTHONHOME",
    # Without bytecode for their own modules, pip and spoke would pay an import tax every run.
    "PYTHONDONTWRITEBYTECODE",
    # uv and pip fall back on these to pick a target; every command names its target instead.
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
)


def hermetic_env(environ: Mapping[str, str], *, xdg_cache_home: Path | None = None) -> dict[str, str]:
    """``environ`` without any tool configuration, with every config file switched off.

    ``xdg_cache_home``, when given, replaces ``XDG_CACHE_HOME``: a tool that keeps something
    outside the cache directory it was given (an interpreter probe, say) starts cold too.
    """
    env = {
        key: value
        for key, value in environ.items()
        if not key.startswith(TOOL_PREFIXES) and key not in PYTHON_RUNTIME_VARIABLES
    }
    # pip (and spoke, which reads pip's files) load no configuration file when this is os.devnull.
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    env["SPOKE_CONFIG_FILE"] = os.devnull
    if xdg_cache_home is not None:
        env["XDG_CACHE_HOME"] = str(xdg_cache_home)
    return env
