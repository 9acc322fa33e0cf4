"""An offline OSV database (``spoke audit --db PATH``): OSV's export zip or a folder of records.

OSV publishes every advisory of an ecosystem as one zip of ``{id}.json`` files
(https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip). :class:`OsvDatabase` reads
such a zip, or a folder holding OSV JSON files (searched recursively), indexes the records by the
PyPI projects they name, and matches versions itself (:mod:`spoke.audit.osv`) — the same
answers as the API, without a network.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from spoke.audit.osv import ECOSYSTEM, Advisory, advisories_for
from spoke.audit.service import Package
from spoke.errors import SpokeError

DEFAULT_DB_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
"""OSV's export of every PyPI advisory, one zip (``spoke audit --update-db`` fetches it)."""

_HINT = "Give --db OSV's export zip (PyPI/all.zip) or a folder of OSV JSON files."


class OsvDatabase:
    """The records of ``path`` (a zip or a folder), by the PyPI projects they affect."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.unknown: dict[Package, str] = {}  # an export lists only what has advisories
        self._by_name: dict[str, list[dict[str, Any]]] = {}
        count = 0
        for where, record in _read(path):
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise SpokeError(f"`{where}` in the vulnerability database `{path}` is not an OSV record",
                                 hint=_HINT)
            count += 1
            names = {
                canonicalize_name(str(a["package"].get("name", "")))
                for a in record.get("affected") or ()
                if isinstance(a, dict) and isinstance(a.get("package"), dict)
                and a["package"].get("ecosystem") == ECOSYSTEM
            }
            for name in names:
                self._by_name.setdefault(name, []).append(record)
        self.records = count

    def advisories(self, packages: Sequence[Package]) -> dict[Package, list[Advisory]]:
        return {p: advisories_for(self._by_name.get(p.name, ()), p.name, p.version) for p in packages}


def _read(path: Path) -> Iterator[tuple[str, Any]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield file.name, _decode(file.read_bytes(), file.name, path)
        return
    if not path.is_file():
        raise SpokeError(f"No vulnerability database at `{path}`", hint=_HINT)
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.endswith(".json") and not info.is_dir():
                    yield info.filename, _decode(archive.read(info), info.filename, path)
    except zipfile.BadZipFile:
        raise SpokeError(f"`{path}` is neither a zip nor a folder", hint=_HINT) from None


def _decode(data: bytes, name: str, path: Path) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise SpokeError(f"`{name}` in the vulnerability database `{path}` is not JSON", hint=_HINT) from None
