"""Frozen values shared by every layer: the nouns of a package's life.

requirement (``packaging.requirements.Requirement``) → :class:`IndexFile` (a file an index
offers) → :class:`CoreMetadata` (what the file says it needs) → :class:`UnpackedWheel` (in the
cache) → :class:`InstalledDist` (in the target). The target itself is an :class:`Interpreter`
with a :class:`Scheme` saying where each kind of file goes.

Submodules load on first use: a satisfied no-op install needs only the interpreter's models,
and every dataclass costs its creation at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spoke.models.dists import CoreMetadata, InstalledDist, UnpackedWheel
    from spoke.models.files import IndexFile, Yanked
    from spoke.models.interpreter import Interpreter, Scheme

_WHERE = {
    "CoreMetadata": "dists", "InstalledDist": "dists", "UnpackedWheel": "dists",
    "IndexFile": "files", "Yanked": "files",
    "Interpreter": "interpreter", "Scheme": "interpreter",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(f"spoke.models.{module}"), name)


__all__ = [
    "CoreMetadata",
    "IndexFile",
    "InstalledDist",
    "Interpreter",
    "Scheme",
    "UnpackedWheel",
    "Yanked",
]
