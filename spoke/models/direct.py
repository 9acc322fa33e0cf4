"""Direct sources, and what looking at one gives (a name, a version, a wheel or a tree).

A requirement that is not just a name points at a thing: ``name @ https://…/x.whl``, ``./proj``,
``git+https://…``. :class:`DirectSource` says what kind of thing and where (classified by
:mod:`spoke.reqs.direct`, no I/O). Looking at it (:mod:`spoke.app.sources`) gives a
*candidate*, one type per stage of its life:

* :class:`DirectWheel`: a wheel is at hand (the source was a wheel, or was built before);
* :class:`DirectProject`: a source tree to build (a folder, an unpacked sdist, a checkout),
  with the metadata its backend prepared.

Both carry the name, version and metadata the solver needs and the PEP 610 record the install
writes. ``DirectCandidate`` is either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from spoke.models.dists import CoreMetadata


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectSource:
    """One direct source, classified.

    ``kind`` is ``"wheel"``, ``"sdist"`` (a source archive), ``"dir"`` (a project folder) or
    ``"vcs"``. ``url`` is the location without its fragment: ``file://`` for local paths, the
    VCS URL as written (``git+https://…@rev``) for VCS. ``path`` is set for local files and
    folders. ``hashes`` holds ``algo:hex`` values from ``--hash`` and the URL's fragment.
    """

    kind: str
    url: str
    text: str
    origin: str
    path: Path | None = None
    name: str | None = None
    extras: tuple[str, ...] = ()
    marker: Marker | None = None
    editable: bool = False
    subdirectory: str | None = None
    hashes: tuple[str, ...] = ()
    config_settings: tuple[str, ...] = ()
    #: ``url`` with its credentials redacted, for messages (set by the classifier).
    shown_url: str = "<url>"

    @property
    def filename(self) -> str:
        """The archive's file name (last path segment of the URL)."""
        return unquote(urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1])

    @property
    def is_local(self) -> bool:
        """True for a local file or folder."""
        return self.path is not None

    def label(self) -> str:
        """How errors name this source (a path for local ones, else the redacted URL)."""
        if self.path is not None:
            return str(self.path)
        return self.shown_url


@dataclass(frozen=True, slots=True, kw_only=True)
class _Looked:
    """What every direct candidate knows: who it is and where it came from."""

    name: NormalizedName
    version: Version
    metadata: CoreMetadata
    source: DirectSource
    #: The PEP 610 ``direct_url.json`` record written into the install.
    direct_url: dict[str, Any] = field(hash=False, compare=False)

    @property
    def editable(self) -> bool:
        """True for ``-e``."""
        return self.source.editable


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectWheel(_Looked):
    """A direct source whose wheel is at hand: ``wheel`` is ready to unpack."""

    wheel: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectProject(_Looked):
    """A direct source still to be built from ``source_dir``.

    ``metadata_dir`` holds the metadata its backend prepared; ``build_key`` is the cache folder
    its wheel is kept in once built (None for a local folder, rebuilt every time);
    ``legacy_editable`` is ``-e`` of a backend without PEP 660 (installed as a ``.pth`` file).
    """

    source_dir: Path
    metadata_dir: Path | None = None
    build_key: str | None = None
    legacy_editable: bool = False


DirectCandidate = DirectWheel | DirectProject
