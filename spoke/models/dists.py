"""Distributions as metadata, as unpacked wheels in the cache, and as installed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.utils import NormalizedName
    from packaging.version import Version


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreMetadata:
    """The parts of a distribution's core metadata the resolver and CLI need."""

    name: NormalizedName
    display_name: str
    version: Version
    requires_dist: tuple[Requirement, ...] = field(default=(), hash=False, compare=False)
    requires_python: str | None = None
    provides_extra: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnpackedWheel:
    """A wheel unpacked once into the cache, ready to be linked into any target.

    ``root`` holds the wheel's members exactly as in the archive. ``record`` lists every
    member as ``(relative path, "sha256=<urlsafe b64>", size)``, computed while unpacking.
    ``root_is_purelib`` comes from the WHEEL file. ``dist_info`` is the ``*.dist-info``
    folder name and ``data_dir`` the ``*.data`` folder name (which may not exist).
    """

    name: NormalizedName
    version: Version
    filename: str
    root: Path
    dist_info: str
    data_dir: str
    root_is_purelib: bool
    record: tuple[tuple[str, str, int], ...] = field(hash=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledDist:
    """A distribution found in a target's ``*.dist-info`` folder."""

    name: NormalizedName
    display_name: str
    version: Version
    dist_info: Path
    installer: str = ""
    requested: bool = False
    editable: bool = False

    @property
    def location(self) -> Path:
        """The site-packages (or target) folder holding the dist-info."""
        return self.dist_info.parent
