"""A file offered by an index, a find-links page or a local folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.tags import Tag
    from packaging.utils import NormalizedName
    from packaging.version import Version


@dataclass(frozen=True, slots=True, kw_only=True)
class Yanked:
    """PEP 592: the file was yanked, with the index's reason (may be empty)."""

    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexFile:
    """One distribution file as an index describes it.

    ``hashes`` maps algorithm → hex digest (``{"sha256": "…"}``); ``metadata_hashes`` is the
    PEP 658/714 ``core-metadata`` value: ``None`` when no ``.metadata`` file is offered, a
    (possibly empty) mapping when one is. ``tags`` is the wheel's tag set (empty for sdists).
    ``index_url`` says which index or find-links location offered the file.
    """

    name: NormalizedName
    version: Version
    filename: str
    url: str
    hashes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    requires_python: str | None = None
    yanked: Yanked | None = None
    upload_time: str | None = None
    size: int | None = None
    metadata_hashes: dict[str, str] | None = field(default=None, hash=False, compare=False)
    tags: frozenset[Tag] = frozenset()
    build_tag: tuple[()] | tuple[int, str] = ()
    index_url: str = ""

    @property
    def is_wheel(self) -> bool:
        """True for a ``.whl`` file."""
        return self.filename.endswith(".whl")

    @property
    def is_sdist(self) -> bool:
        """True for a source archive (``.tar.gz``, ``.zip``, ...)."""
        return not self.is_wheel

    @property
    def sha256(self) -> str | None:
        """The sha256 digest the index gave, if any."""
        return self.hashes.get("sha256")

    @property
    def metadata_url(self) -> str | None:
        """The PEP 658 ``.metadata`` URL, when the index offers one."""
        if self.metadata_hashes is None:
            return None
        return self.url.split("#", 1)[0] + ".metadata"
