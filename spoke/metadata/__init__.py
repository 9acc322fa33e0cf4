"""Core metadata of candidate files: PEP 658 files, range reads, whole wheels; cached by hash.

:class:`~spoke.metadata.fetcher.MetadataFetcher` is the entry point;
:mod:`spoke.metadata.parse` turns ``METADATA`` bytes into :class:`~spoke.models.CoreMetadata`
and :mod:`spoke.metadata.zipread` reads it out of a wheel, locally or by HTTP ranges.

The names below load on first use: the unpacker needs only :mod:`spoke.metadata.zipread`,
and importing the fetcher would bring ``packaging.metadata`` and ``urllib.request`` with it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MetadataFetcher", "check_matches", "parse_core_metadata"]


def __getattr__(name: str) -> Any:
    if name == "MetadataFetcher":
        from spoke.metadata.fetcher import MetadataFetcher

        return MetadataFetcher
    if name in ("check_matches", "parse_core_metadata"):
        from spoke.metadata import parse

        return getattr(parse, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
