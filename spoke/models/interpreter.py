"""The target interpreter, as the probe script saw it from inside."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.tags import Tag



@dataclass(frozen=True, slots=True, kw_only=True)
class Scheme:
    """Where each kind of installed file goes (sysconfig's install scheme)."""

    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    headers: Path

    def path_for(self, key: str) -> Path:
        """The folder for a wheel's ``.data/<key>/`` subfolder (purelib, platlib, scripts, ...)."""
        try:
            folder: Path = getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None
        return folder


@dataclass(frozen=True, slots=True, kw_only=True)
class Interpreter:
    """A Python interpreter that spoke installs into.

    ``executable`` is the interpreter path written into script shebangs. ``markers`` is the
    PEP 508 marker environment. ``tags`` lists supported wheel tags, most preferred first.
    ``scheme`` is the default (prefix) scheme; ``user_scheme`` the ``--user`` one.
    """

    executable: Path
    version: tuple[int, int, int]
    implementation: str  # "cpython", "pypy", ...
    markers: dict[str, str] = field(hash=False, compare=False)
    tags: tuple[Tag, ...] = field(hash=False, compare=False)
    sys_prefix: Path
    base_prefix: Path
    scheme: Scheme
    user_scheme: Scheme | None = None
    is_venv: bool = False
    externally_managed: str | None = None  # the EXTERNALLY-MANAGED file's path, when present
    site_packages: tuple[Path, ...] = ()
    user_site: Path | None = None
    include_system_site_packages: bool = False

    @property
    def python_version(self) -> str:
        """``"3.11.7"``."""
        return ".".join(str(p) for p in self.version)

    @property
    def python_full_version(self) -> str:
        """The ``python_full_version`` marker value."""
        return self.markers.get("python_full_version", self.python_version)
