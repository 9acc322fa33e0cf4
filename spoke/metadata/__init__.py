"""Core metadata of candidate files: PEP 658 files, range reads, whole wheels; cached by hash.

:class:`~spoke.metadata.fetcher.MetadataFetcher` is the entry point;
:mod:`spoke.metadata.parse` turns ``METADATA`` bytes into :class:`~spoke.models.CoreMetadata`
and :mod:`spoke.metadata.zipread` reads it out of a wheel, locally or by HTTP ranges.
"""

from __future__ import annotations

from spoke.metadata.fetcher import MetadataFetcher
from spoke.metadata.parse import check_matches, parse_core_metadata

__all__ = ["MetadataFetcher", "check_matches", "parse_core_metadata"]
