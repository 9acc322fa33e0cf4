"""Cached wheel → target environment, and back.

:func:`install_wheel` links an :class:`~spoke.models.UnpackedWheel` into a
:class:`~spoke.models.Scheme` (scripts, ``.data`` folders, RECORD, INSTALLER, REQUESTED,
direct_url.json); :func:`uninstall` removes a distribution from its RECORD, with
:func:`plan_uninstall` computing the same list without removing anything;
:func:`compile_bytecode` runs the target's ``compileall``. No network, no resolver.
"""

from __future__ import annotations

from spoke.installer.compile import compile_bytecode
from spoke.installer.install import LINK_MODES, InstalledFiles, install_wheel, plan_install
from spoke.installer.uninstall import RemovedFiles, plan_uninstall, uninstall

__all__ = [
    "LINK_MODES",
    "InstalledFiles",
    "RemovedFiles",
    "compile_bytecode",
    "install_wheel",
    "plan_install",
    "plan_uninstall",
    "uninstall",
]
