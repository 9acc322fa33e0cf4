"""What ``spoke list`` and ``spoke show`` know about installed distributions, as pip says it.

The answers follow pip's ``list`` and ``show`` field for field: a distribution's dependencies
are its ``Requires-Dist`` entries whose marker holds for the target with ``extra == ""``
(pip's ``iter_dependencies()``); the latest version of a project is the highest release among
the files that fit the target (tags, ``Requires-Python``), never yanked, pre-releases only
with ``--pre``; rows sort by normalized name.

Pure functions take values and return values. :func:`package_info` and
:func:`editable_location` read the distribution's own files (METADATA, RECORD,
entry_points.txt, direct_url.json); nothing here writes or prints.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.errors import SpokeError

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from spoke.models import IndexFile, InstalledDist

STDLIB_NAMES = frozenset({"python", "wsgiref", "argparse"})
"""Names pip's ``list`` never shows (distributions some interpreters ship as metadata only)."""


class ListingError(SpokeError):
    """Options of ``list``/``show`` that cannot go together, or nothing to show."""


# ----------------------------------------------------------------------------- dependencies


def dependencies(requires: Iterable[Requirement], markers: Mapping[str, str]) -> list[Requirement]:
    """The requirements that apply to the target without extras (pip's ``iter_dependencies``)."""
    from packaging.markers import UndefinedEnvironmentName

    env = {**markers, "extra": ""}
    out = []
    for req in requires:
        if req.marker is None:
            out.append(req)
            continue
        try:
            if req.marker.evaluate(env):
                out.append(req)
        except UndefinedEnvironmentName:  # a marker variable this target lacks: not for us
            continue
    return out


def required_by(
    name: str, requires: Mapping[str, Sequence[Requirement]], display: Mapping[str, str],
    markers: Mapping[str, str],
) -> list[str]:
    """Display names of the distributions whose dependencies name ``name``, sorted as pip does.

    ``requires`` maps each installed name to its ``Requires-Dist``; ``display`` to its
    ``Name`` header.
    """
    key = canonicalize_name(name)
    found = [
        display[other]
        for other, reqs in requires.items()
        if key in {canonicalize_name(r.name) for r in dependencies(reqs, markers)}
    ]
    return sorted(found, key=str.lower)


def not_required(requires: Mapping[str, Sequence[Requirement]], markers: Mapping[str, str]) -> set[str]:
    """Names in ``requires`` that no other entry of ``requires`` depends on."""
    needed = {
        canonicalize_name(r.name) for reqs in requires.values() for r in dependencies(reqs, markers)
    }
    return {name for name in requires if canonicalize_name(name) not in needed}


# ----------------------------------------------------------------------------- latest versions


@dataclass(frozen=True, slots=True)
class Latest:
    """The newest version an index offers for the target, and whether it comes as a wheel."""

    version: Version
    filetype: str  # "wheel" or "sdist"


def latest(
    files: Iterable[IndexFile], *, python_version: Version, tags: Mapping[Any, int], pre: bool = False,
) -> Latest | None:
    """The best file's version among ``files`` as pip's ``list --outdated`` picks it.

    Yanked files, files whose ``Requires-Python`` excludes ``python_version``, wheels with no
    tag in ``tags`` and (unless ``pre``) pre-releases are ignored. A wheel of the newest
    version wins over its sdist.
    """
    from spoke.plan.candidates import python_matches

    best: tuple[Version, bool] | None = None
    for f in files:
        if f.yanked:
            continue
        if not pre and f.version.is_prerelease:
            continue
        if not python_matches(f.requires_python, python_version):
            continue
        if f.is_wheel:
            if not any(t in tags for t in f.tags):
                continue
        elif not f.is_sdist:
            continue
        key = (f.version, f.is_wheel)
        if best is None or key > best:
            best = key
    if best is None:
        return None
    return Latest(best[0], "wheel" if best[1] else "sdist")


# ----------------------------------------------------------------------------- list output


@dataclass(frozen=True, slots=True, kw_only=True)
class ListRow:
    """One line of ``spoke list``."""

    name: str
    version: Version
    editable_location: str | None = None
    location: str = ""
    installer: str = ""
    latest: Latest | None = None
    held_by: tuple[str, ...] = ()  # --outdated: installed packages whose requirement excludes the latest


def held_back_by(
    name: str, latest: Version, requires: Mapping[str, Sequence[Requirement]], markers: Mapping[str, str],
) -> tuple[str, ...]:
    """What keeps ``name`` below ``latest``: each installed package whose requirement on it
    (for this environment) excludes that version, as ``flask (werkzeug<3)``."""
    env = {**markers, "extra": ""}
    out = []
    for owner, reqs in sorted(requires.items()):
        for req in reqs:
            if canonicalize_name(req.name) != name or (req.marker is not None and not req.marker.evaluate(env)):
                continue
            if not req.specifier.contains(latest, prereleases=True):
                out.append(f"{owner} ({canonicalize_name(req.name)}{req.specifier})")
    return tuple(out)


def sort_rows(rows: Iterable[ListRow]) -> list[ListRow]:
    """By normalized name, as pip sorts."""
    return sorted(rows, key=lambda r: canonicalize_name(r.name))


def tabulate(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns one space apart, a dashed rule under the first row (the header)."""
    if not rows:
        return []
    sizes = [max(len(c) for c in col) for col in zip_longest(*rows, fillvalue="")]
    lines = [" ".join(c.ljust(s) for c, s in zip(row, sizes, strict=False)).rstrip() for row in rows]
    lines.insert(1, " ".join("-" * s for s in sizes))
    return lines


def columns(rows: Sequence[ListRow], *, outdated: bool = False, verbose: bool = False) -> list[str]:
    """pip's ``columns`` format: nothing at all when there are no rows."""
    if not rows:
        return []
    header = ["Package", "Version"]
    held = outdated and any(r.held_by for r in rows)
    if outdated:
        header += ["Latest", "Type"] + (["Held back by"] if held else [])
    editables = any(r.editable_location for r in rows)
    if editables:
        header.append("Editable project location")
    if verbose:
        header += ["Location", "Installer"]
    data = [header]
    for r in rows:
        line = [r.name, str(r.version)]
        if outdated:
            line += [str(r.latest.version) if r.latest else "", r.latest.filetype if r.latest else ""]
            if held:
                line.append(", ".join(r.held_by))
        if editables:
            line.append(r.editable_location or "")
        if verbose:
            line += [r.location, r.installer]
        data.append(line)
    return tabulate(data)


def freeze(rows: Sequence[ListRow], *, verbose: bool = False) -> list[str]:
    """pip's ``freeze`` format of ``list``: ``name==version`` (with the location on ``-v``)."""
    if verbose:
        return [f"{r.name}=={r.version} ({r.location})" for r in rows]
    return [f"{r.name}=={r.version}" for r in rows]


def as_json(rows: Sequence[ListRow], *, outdated: bool = False, verbose: bool = False) -> str:
    """pip's ``json`` format: one line, keys in pip's order."""
    data = []
    for r in rows:
        info: dict[str, str | list[str]] = {"name": r.name, "version": str(r.version)}
        if verbose:
            info["location"] = r.location
            info["installer"] = r.installer
        if outdated and r.latest is not None:
            info["latest_version"] = str(r.latest.version)
            info["latest_filetype"] = r.latest.filetype
            if r.held_by:
                info["held_back_by"] = list(r.held_by)  # spoke's addition to pip's keys
        if r.editable_location:
            info["editable_project_location"] = r.editable_location
        data.append(info)
    return json.dumps(data)


# ----------------------------------------------------------------------------- show


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageInfo:
    """Everything ``spoke show`` prints about one distribution."""

    name: str
    version: str
    summary: str = ""
    homepage: str = ""
    author: str = ""
    author_email: str = ""
    license: str = ""
    license_expression: str = ""
    location: str = ""
    editable_location: str | None = None
    requires: tuple[str, ...] = ()
    required_by: tuple[str, ...] = ()
    metadata_version: str = ""
    installer: str = ""
    classifiers: tuple[str, ...] = ()
    entry_points: tuple[str, ...] = ()
    project_urls: tuple[str, ...] = ()
    files: tuple[str, ...] | None = field(default=None)


def show_lines(info: PackageInfo, *, verbose: bool = False, files: bool = False) -> list[str]:
    """pip's ``show`` lines for one distribution."""
    lines = [
        f"Name: {info.name}",
        f"Version: {info.version}",
        f"Summary: {info.summary}",
        f"Home-page: {info.homepage}",
        f"Author: {info.author}",
        f"Author-email: {info.author_email}",
        f"License-Expression: {info.license_expression}" if info.license_expression and not info.license
        else f"License: {info.license}",
        f"Location: {info.location}",
    ]
    if info.editable_location is not None:
        lines.append(f"Editable project location: {info.editable_location}")
    lines.append(f"Requires: {', '.join(info.requires)}")
    lines.append(f"Required-by: {', '.join(info.required_by)}")
    if verbose:
        lines.append(f"Metadata-Version: {info.metadata_version}")
        lines.append(f"Installer: {info.installer}")
        lines.append("Classifiers:")
        lines.extend(f"  {c}" for c in info.classifiers)
        lines.append("Entry-points:")
        lines.extend(f"  {e.strip()}" for e in info.entry_points)
        lines.append("Project-URLs:")
        lines.extend(f"  {u}" for u in info.project_urls)
    if files:
        lines.append("Files:")
        if info.files is None:
            lines.append("Cannot locate RECORD or installed-files.txt")
        else:
            lines.extend(f"  {p.strip()}" for p in info.files)
    return lines


def homepage(home_page: str, project_urls: Iterable[str]) -> str:
    """``Home-page``, else the ``Project-URL`` labelled "Homepage" in any spelling (as pip)."""
    if home_page:
        return home_page
    for entry in project_urls:
        label, sep, url = entry.partition(",")
        if sep and "".join(ch for ch in label if ch.isalnum()).lower() == "homepage":
            return url.strip()
    return ""


def record_files(paths: Iterable[str]) -> list[str]:
    """RECORD paths normalized and sorted as pip's ``show --files`` prints them."""
    return sorted(str(PurePath(p)) for p in paths)


def legacy_files(lines: Iterable[str], info_dir: Path, location: Path) -> list[str]:
    """``installed-files.txt`` entries (relative to the egg-info) made relative to ``location``."""
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        full = os.path.normpath(os.path.join(info_dir, line))
        out.append(os.path.relpath(full, location))
    return sorted(out)


# ----------------------------------------------------------------------------- reading


def editable_location(dist: InstalledDist) -> str | None:
    """The project folder of an editable install (``direct_url.json``), else None."""
    from spoke.env.installed import read_direct_url

    if not dist.editable:
        return None
    data = read_direct_url(dist)
    url = data.get("url") if data is not None else None
    if not isinstance(url, str) or not url.startswith("file:"):
        return None
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    parts = urlsplit(url)
    path = url2pathname(parts.path)
    if parts.netloc and parts.netloc != "localhost":
        path = "//" + parts.netloc + path
    return path


def first_line(text: str) -> str:
    """The first non-blank line, stripped (how pip reads INSTALLER)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def package_info(
    dist: InstalledDist, *, requires: Sequence[Requirement], required: Sequence[str],
    markers: Mapping[str, str],
) -> PackageInfo:
    """Read what ``show`` prints about ``dist`` from its own files."""
    from packaging.metadata import parse_email

    from spoke.env.installed import is_legacy, metadata_path, read_record

    try:
        data = metadata_path(dist).read_bytes()
    except OSError:
        data = b""
    raw: Mapping[str, Any]
    unparsed: Mapping[str, list[str]]
    raw, unparsed = parse_email(data) if data else ({}, {})

    def text(key: str, header: str) -> str:
        value = raw.get(key)
        if isinstance(value, str):
            return value
        values = unparsed.get(header.lower()) or unparsed.get(header) or []
        return values[0] if values else ""

    urls = raw.get("project_urls")
    project_urls = tuple(f"{k}, {v}" for k, v in urls.items()) if isinstance(urls, dict) else ()
    deps = sorted((r.name for r in dependencies(requires, markers)), key=str.lower)
    entry_text = None if is_legacy(dist) and not dist.dist_info.is_dir() else _read(dist.dist_info / "entry_points.txt")
    files: tuple[str, ...] | None = None
    if is_legacy(dist):
        listing = _read(dist.dist_info / "installed-files.txt") if dist.dist_info.is_dir() else None
        if listing is not None:
            files = tuple(legacy_files(listing.splitlines(), dist.dist_info, dist.location))
    else:
        try:
            files = tuple(record_files(row[0] for row in read_record(dist)))
        except SpokeError:
            files = None
    installer = "" if is_legacy(dist) else first_line(_read(dist.dist_info / "INSTALLER") or "")
    return PackageInfo(
        name=text("name", "Name") or dist.display_name,
        version=str(dist.version),
        summary=text("summary", "Summary"),
        homepage=homepage(text("home_page", "Home-page"), project_urls),
        author=text("author", "Author"),
        author_email=text("author_email", "Author-email"),
        license=text("license", "License"),
        license_expression=text("license_expression", "License-Expression"),
        location=str(dist.location),
        editable_location=editable_location(dist),
        requires=tuple(deps),
        required_by=tuple(required),
        metadata_version=text("metadata_version", "Metadata-Version"),
        installer=installer,
        classifiers=tuple(raw.get("classifiers") or ()),
        entry_points=tuple(entry_text.splitlines()) if entry_text is not None else (),
        project_urls=project_urls,
        files=files,
    )


def requirements_of(dists: Mapping[str, InstalledDist]) -> dict[str, tuple[Requirement, ...]]:
    """Every distribution's ``Requires-Dist``; one whose METADATA cannot be read requires nothing."""
    from spoke.env.installed import read_metadata

    out: dict[str, tuple[Requirement, ...]] = {}
    for name, dist in dists.items():
        try:
            out[canonicalize_name(name)] = read_metadata(dist).requires_dist
        except SpokeError:
            out[canonicalize_name(name)] = ()
    return out
