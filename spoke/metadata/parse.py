"""``METADATA`` bytes → :class:`~spoke.models.CoreMetadata` (pure).

:func:`packaging.metadata.parse_email` is used rather than ``Metadata.from_email``: it is
fast and tolerant — old wheels carry fields the strict validator rejects (unknown
classifiers, odd ``Metadata-Version`` values) that do not matter for installing. The fields
spoke relies on are checked here, one by one, and every problem names the file it came from.
"""

from __future__ import annotations

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from spoke.errors import MetadataError
from spoke.models import CoreMetadata, IndexFile

__all__ = ["check_matches", "parse_core_metadata"]


def parse_core_metadata(data: bytes, *, source: str) -> CoreMetadata:
    """Parse core metadata; ``source`` (a filename) names the file in error messages.

    ``provides_extra`` is normalized (PEP 685), so it compares equal to normalized requests.
    Raises :class:`~spoke.errors.MetadataError` for a missing name or version, an invalid
    version, ``Requires-Python`` or ``Requires-Dist``.
    """
    raw, _unparsed = parse_email(data)
    name = raw.get("name")
    version_text = raw.get("version")
    if not name or not version_text:
        missing = "Name" if not name else "Version"
        raise MetadataError(f"The metadata of {source} has no `{missing}` field")
    try:
        version = Version(version_text)
    except InvalidVersion:
        raise MetadataError(
            f"The metadata of {source} has an invalid version `{version_text}`"
        ) from None
    requires_python = raw.get("requires_python") or None
    if requires_python is not None:
        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier:
            raise MetadataError(
                f"The metadata of {source} has an invalid `Requires-Python: {requires_python}`"
            ) from None
    requirements = []
    for text in raw.get("requires_dist", ()):
        try:
            requirements.append(Requirement(text))
        except InvalidRequirement as exc:
            raise MetadataError(
                f"The metadata of {source} has an invalid `Requires-Dist: {text}`",
                notes=(str(exc),),
            ) from None
    return CoreMetadata(
        name=canonicalize_name(name),
        display_name=name,
        version=version,
        requires_dist=tuple(requirements),
        requires_python=requires_python,
        provides_extra=tuple(canonicalize_name(e) for e in raw.get("provides_extra", ())),
        summary=raw.get("summary", "") or "",
    )


def check_matches(metadata: CoreMetadata, file: IndexFile) -> None:
    """Raise :class:`~spoke.errors.MetadataError` unless ``metadata`` describes ``file``.

    A file whose metadata names another project or version would make the resolver's answer a
    lie: the lock, the plan and the installed distribution would all disagree.
    """
    if metadata.name != canonicalize_name(file.name) or metadata.version != file.version:
        raise MetadataError(
            f"{file.filename} contains metadata for {metadata.display_name} "
            f"{metadata.version}, not {file.name} {file.version}",
            hint="The file is mislabelled on its index; pick another version or report it "
            "to the project",
        )
