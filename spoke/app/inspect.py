"""pip's ``inspect`` report (format version 1): the environment and what is installed in it.

The shape is pip's (``pip inspect``): ``version``, ``pip_version``, ``installed`` (each
distribution's core metadata as PEP 566 JSON, ``metadata_location``, ``direct_url`` (PEP 610)
when recorded, ``installer`` and ``requested`` for a ``.dist-info``), and ``environment`` (the
PEP 508 marker values), so tools that read pip's report read spoke's.

Metadata is parsed by :func:`packaging.metadata.parse_email`; only the key names change, to
PEP 566's JSON form (one lowercase name per field, multiple-use fields as lists:
``classifier``, ``platform``, ``project_url`` as ``"label, url"`` strings…).
"""

from __future__ import annotations

from typing import Any

from spoke.app.environment import InstalledSet
from spoke.models import InstalledDist

#: packaging's RawMetadata keys whose PEP 566 JSON names differ (the field name, lowercased).
_JSON_NAMES = {
    "platforms": "platform",
    "supported_platforms": "supported_platform",
    "classifiers": "classifier",
    "license_files": "license_file",
    "project_urls": "project_url",
}


def inspect_report(found: InstalledSet, *, tool_version: str) -> dict[str, Any]:
    """pip's inspect report for the distributions of ``found``, by name."""
    return {
        "version": "1",
        "pip_version": tool_version,
        "installed": [_entry(found.dists[name]) for name in sorted(found.dists)],
        "environment": dict(found.interpreter.markers),
    }


def _entry(dist: InstalledDist) -> dict[str, Any]:
    from spoke.env.installed import is_legacy, read_direct_url

    entry: dict[str, Any] = {
        "metadata": metadata_json(dist),
        "metadata_location": str(dist.dist_info),
    }
    direct_url = read_direct_url(dist)
    if direct_url is not None:
        entry["direct_url"] = direct_url
    installer = _read_line(dist, "INSTALLER")
    if installer:
        entry["installer"] = installer
    if not is_legacy(dist):
        entry["requested"] = (dist.dist_info / "REQUESTED").is_file()
    return entry


def metadata_json(dist: InstalledDist) -> dict[str, Any]:
    """``dist``'s core metadata as PEP 566 JSON (empty when the file cannot be read)."""
    from packaging.metadata import parse_email

    from spoke.env.installed import metadata_path

    try:
        raw, _unparsed = parse_email(metadata_path(dist).read_bytes())
    except (OSError, ValueError):
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "project_urls" and isinstance(value, dict):
            value = [f"{label}, {url}" for label, url in value.items()]
        out[_JSON_NAMES.get(key, key)] = value
    return out


def _read_line(dist: InstalledDist, name: str) -> str:
    try:
        return (dist.dist_info / name).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""
