"""Frozen values shared by every layer: the nouns of a package's life.

requirement (``packaging.requirements.Requirement``) → :class:`IndexFile` (a file an index
offers) → :class:`CoreMetadata` (what the file says it needs) → :class:`UnpackedWheel` (in the
cache) → :class:`InstalledDist` (in the target). The target itself is an :class:`Interpreter`
with a :class:`Scheme` saying where each kind of file goes.
"""

from __future__ import annotations

from spoke.models.dists import CoreMetadata, InstalledDist, UnpackedWheel
from spoke.models.files import IndexFile, Yanked
from spoke.models.interpreter import Interpreter, Scheme

__all__ = [
    "CoreMetadata",
    "IndexFile",
    "InstalledDist",
    "Interpreter",
    "Scheme",
    "UnpackedWheel",
    "Yanked",
]
