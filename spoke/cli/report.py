"""pip's JSON installation report (``--report FILE``, format version 1): presentation of an
install's plan, beside the other renderers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spoke.models import Interpreter
from spoke.plan.resolve import Plan, ResolvedPackage


def build_report(interp: Interpreter, plan: Plan, *, overrides: Sequence[Any] = ()) -> dict[str, Any]:
    """pip's installation report (format version 1) for the packages the plan installs; with
    ``--overrides``, spoke's extra top-level key ``overrides`` lists them as applied (a reader
    of pip's format ignores a key it does not know)."""
    import spoke

    entries = []
    for pkg in plan.install:
        entries.append(_report_entry(pkg))
    report: dict[str, Any] = {
        "version": "1",
        "pip_version": f"spoke-{spoke.__version__}",
        "install": entries,
        "environment": dict(interp.markers),
    }
    if overrides:
        report["overrides"] = [
            {"requirement": str(item.requirement or item.text), "source": item.source} for item in overrides
        ]
    return report


def _report_entry(pkg: ResolvedPackage) -> dict[str, Any]:
    file = pkg.file
    meta = pkg.metadata
    metadata: dict[str, Any] = {"metadata_version": "2.1", "name": meta.display_name if meta else pkg.name,
                                "version": str(pkg.version)}
    if meta is not None:
        if meta.summary:
            metadata["summary"] = meta.summary
        if meta.requires_dist:
            metadata["requires_dist"] = [str(r) for r in meta.requires_dist]
        if meta.requires_python:
            metadata["requires_python"] = meta.requires_python
        if meta.provides_extra:
            metadata["provides_extra"] = list(meta.provides_extra)
    download: dict[str, Any] = {"url": _redact(file.url) if file else ""}
    if pkg.direct is not None:
        download = dict(pkg.direct.direct_url)
        download["url"] = _redact(download["url"])
    elif file is not None:
        hashes = dict(file.hashes)
        download["archive_info"] = {"hashes": hashes} if hashes else {}
        if "sha256" in hashes:
            download["archive_info"]["hash"] = f"sha256={hashes['sha256']}"
    return {
        "download_info": download,
        "is_direct": pkg.direct is not None,
        "is_yanked": pkg.yanked,
        "requested": pkg.requested,
        "requested_extras": list(pkg.extras) if pkg.requested else [],
        "metadata": metadata,
    }


def _redact(url: str) -> str:
    from spoke.net.redact import redact_url

    return redact_url(url)


def write_report(report: dict[str, Any], destination: str) -> str | None:
    """Write the report to a file; return the JSON text instead when the destination is ``-``."""
    text = json.dumps(report, indent=2, sort_keys=False) + "\n"
    if destination == "-":
        return text
    from spoke.cache import write_atomic

    write_atomic(Path(destination), text.encode("utf-8"))
    return None
