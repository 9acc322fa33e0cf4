"""What is installed in a target: ``*.dist-info`` (PEP 376/627) and legacy ``*.egg-info``.

:func:`installed_distributions` answers "is it already there?" on every install, so it is
built for speed: one ``scandir`` per site-packages folder and one per distribution folder,
the name and version taken from the folder's own name (``{name}-{version}.dist-info``, PEP
427/376) and METADATA opened only when that name does not parse. Core metadata is read on
demand with :func:`read_metadata`, RECORD with :func:`read_record`.

Legacy ``*.egg-info`` folders and files (setuptools' ``setup.py install``, Debian's
packages) are returned as :class:`LegacyInstalledDist`, an :class:`InstalledDist` whose
``dist_info`` is the egg-info path: they count for "already installed", and uninstalling
them needs ``installed-files.txt`` rather than RECORD.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from spoke.errors import MetadataError
from spoke.models.dists import CoreMetadata, InstalledDist

if TYPE_CHECKING:
    from packaging.requirements import Requirement


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyInstalledDist(InstalledDist):
    """A distribution installed the legacy way, described by a ``*.egg-info`` folder or file."""


def is_legacy(dist: InstalledDist) -> bool:
    """True for an ``*.egg-info`` distribution (no RECORD, no INSTALLER)."""
    return isinstance(dist, LegacyInstalledDist)


def installed_distributions(
    paths: Iterable[Path],
    *,
    exact_names: bool = False,
) -> dict[str, InstalledDist]:
    """Every distribution installed in ``paths`` (site-packages folders), by normalized name.

    The first path holding a name wins, as on ``sys.path`` (within one folder, a dist-info
    wins over an egg-info); missing folders are skipped.
    ``display_name`` comes from the folder name (``typing_extensions``) unless
    ``exact_names`` asks for METADATA's ``Name`` header (``typing-extensions``), one small
    read per distribution.
    """
    found: dict[str, InstalledDist] = {}
    seen: set[str] = set()
    for path in paths:
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            continue
        seen.add(key)
        try:
            # Within a folder a dist-info wins over a stale egg-info of the same name.
            entries = sorted(os.scandir(path), key=lambda e: (e.name.endswith(".egg-info"), e.name))
        except OSError:
            continue
        for entry in entries:
            dist = _dist_from_entry(entry, exact_names=exact_names)
            if dist is not None and dist.name not in found:
                found[dist.name] = dist
    return found


def _dist_from_entry(entry: os.DirEntry[str], *, exact_names: bool) -> InstalledDist | None:
    name = entry.name
    if name.endswith(".dist-info"):
        try:
            if not entry.is_dir():
                return None
        except OSError:
            return None
        return _modern(Path(entry.path), exact_names=exact_names)
    if name.endswith(".egg-info"):
        return _legacy(Path(entry.path), exact_names=exact_names)
    return None


def _modern(folder: Path, *, exact_names: bool) -> InstalledDist | None:
    parsed = _parse_stem(folder.name[: -len(".dist-info")], legacy=False)
    if parsed is None or exact_names:
        headers = _read_headers(folder / "METADATA")
        parsed = _from_headers(headers) or parsed
    if parsed is None:
        return None  # neither the folder name nor METADATA says what this is
    display, version = parsed
    try:
        names = {e.name for e in os.scandir(folder)}
    except OSError:
        names = set()
    installer = ""
    if "INSTALLER" in names:
        installer = _read_text(folder / "INSTALLER").strip()
    editable = False
    if "direct_url.json" in names:
        editable = _is_editable(folder / "direct_url.json")
    return InstalledDist(
        name=canonicalize_name(display),
        display_name=display,
        version=version,
        dist_info=folder,
        installer=installer,
        requested="REQUESTED" in names,
        editable=editable,
    )


def _legacy(path: Path, *, exact_names: bool) -> InstalledDist | None:
    parsed = _parse_stem(path.name[: -len(".egg-info")], legacy=True)
    if parsed is None or exact_names:
        headers = _read_headers(_pkg_info(path))
        parsed = _from_headers(headers) or parsed
    if parsed is None:
        return None
    display, version = parsed
    return LegacyInstalledDist(
        name=canonicalize_name(display),
        display_name=display,
        version=version,
        dist_info=path,
    )


def _parse_stem(stem: str, *, legacy: bool) -> tuple[str, Version] | None:
    # dist-info: "{name}-{version}" with "-" in the name escaped as "_".
    # egg-info:  "{name}-{version}[-py3.11[-platform]]".
    parts = stem.split("-")
    if len(parts) < 2 or not parts[0]:
        return None
    if not legacy and len(parts) != 2:
        return None
    try:
        version = Version(parts[1])
    except InvalidVersion:
        return None
    return parts[0], version


def _from_headers(headers: dict[str, str] | None) -> tuple[str, Version] | None:
    if not headers or not headers.get("name") or not headers.get("version"):
        return None
    try:
        return headers["name"].strip(), Version(headers["version"].strip())
    except InvalidVersion:
        return None


def _read_headers(path: Path) -> dict[str, str] | None:
    """The first ``Name`` and ``Version`` headers of a METADATA file (the body is not read)."""
    out: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break
                key, sep, value = line.partition(":")
                key = key.strip().lower()
                if sep and key in ("name", "version") and key not in out:
                    out[key] = value.strip()
                    if len(out) == 2:
                        break
    except OSError:
        return None
    return out


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def read_direct_url(dist: InstalledDist) -> dict[str, Any] | None:
    """The distribution's PEP 610 ``direct_url.json`` as a mapping; None when absent or unreadable."""
    try:
        data = json.loads((dist.dist_info / "direct_url.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_editable(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    dir_info = data.get("dir_info") if isinstance(data, dict) else None
    return isinstance(dir_info, dict) and dir_info.get("editable") is True


def _pkg_info(path: Path) -> Path:
    # An egg-info is a folder holding PKG-INFO, or (distutils) a single PKG-INFO-like file.
    return path / "PKG-INFO" if path.is_dir() else path


def metadata_path(dist: InstalledDist) -> Path:
    """The file holding ``dist``'s core metadata (METADATA, or PKG-INFO for egg-info)."""
    if is_legacy(dist) or dist.dist_info.name.endswith(".egg-info"):
        return _pkg_info(dist.dist_info)
    return dist.dist_info / "METADATA"


def read_metadata(dist: InstalledDist) -> CoreMetadata:
    """Parse ``dist``'s core metadata.

    Tolerant of junk the way an installed environment needs: unknown or malformed fields
    are ignored, and a ``Requires-Dist`` that does not parse is skipped. A file that is
    missing, unreadable, or lacks a valid Name and Version raises
    :class:`~spoke.errors.MetadataError` naming the file.
    """
    from packaging.metadata import parse_email

    path = metadata_path(dist)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MetadataError(
            f"Cannot read the metadata of {dist.display_name} at `{path}`: {e.strerror or e}",
            hint=f"The installation of {dist.display_name} is broken; reinstall it with "
            f"`spoke install --force-reinstall {dist.display_name}`.",
        ) from None
    try:
        raw, _unparsed = parse_email(data)
    except Exception as e:  # noqa: BLE001 - parse_email is lenient, but a binary file can still upset it
        raise MetadataError(f"The metadata file `{path}` cannot be parsed: {e}") from None
    name = raw.get("name")
    version_text = raw.get("version")
    if not name or not version_text:
        raise MetadataError(
            f"The metadata file `{path}` has no Name or Version",
            hint=f"Reinstall {dist.display_name} with `spoke install --force-reinstall`.",
        )
    try:
        version = Version(version_text)
    except InvalidVersion:
        raise MetadataError(f"The metadata file `{path}` has an invalid Version `{version_text}`") from None
    requires = list(raw.get("requires_dist") or ())
    if not requires and is_legacy(dist) and dist.dist_info.is_dir():
        requires = _egg_requires(dist.dist_info / "requires.txt")
    extras = tuple(canonicalize_name(e) for e in raw.get("provides_extra") or ())
    return CoreMetadata(
        name=canonicalize_name(name),
        display_name=name,
        version=version,
        requires_dist=tuple(_requirements(requires)),
        requires_python=raw.get("requires_python"),
        provides_extra=extras,
        summary=raw.get("summary") or "",
    )


def _requirements(lines: Iterable[str]) -> Iterable[Requirement]:
    from packaging.requirements import InvalidRequirement, Requirement

    for line in lines:
        try:
            yield Requirement(line)
        except InvalidRequirement:
            continue  # one bad line in an installed file should not stop an install


def _egg_requires(path: Path) -> list[str]:
    """``requires.txt`` of an egg-info, as Requires-Dist strings (``[extra:marker]`` sections)."""
    out: list[str] = []
    section_marker = ""
    for raw_line in _read_text(path).splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, marker = line[1:-1].partition(":")
            conditions = []
            if marker.strip():
                conditions.append(f"({marker.strip()})")
            if extra.strip():
                conditions.append(f'extra == "{extra.strip()}"')
            section_marker = " and ".join(conditions)
            continue
        out.append(f"{line} ; {section_marker}" if section_marker else line)
    return out


def read_record(dist: InstalledDist) -> list[tuple[str, str, str]]:
    """``dist``'s RECORD rows as ``(path, hash, size)``, missing cells as ``""``.

    Raises :class:`~spoke.errors.MetadataError` when there is no readable RECORD (always,
    for a legacy egg-info distribution).
    """
    path = dist.dist_info / "RECORD"
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise MetadataError(
            f"Cannot read the RECORD of {dist.display_name} at `{path}`: {reason}",
            hint="spoke cannot tell which files belong to it; reinstall it with "
            "`spoke install --force-reinstall`.",
        ) from None
    out: list[tuple[str, str, str]] = []
    for row in rows:
        if not row or not row[0]:
            continue
        cells = [*row[:3], "", ""][:3]
        out.append((cells[0], cells[1], cells[2]))
    return out
