"""``spoke check DIST…``: what PyPI would reject or render badly, before it is uploaded.

The checks of ``twine check --strict``, and more:

* the archive: a wheel has its ``.dist-info`` with ``WHEEL``, ``METADATA`` and ``RECORD``, every
  member listed in ``RECORD`` with a matching hash and nothing listed that is missing; an sdist
  has one top folder ``{name}-{version}`` holding ``PKG-INFO``;
* the core metadata parses and validates (``packaging.metadata``), in a metadata version PyPI
  accepts, with the name and version of the file name (each normalised as its specification
  says), no local version (PyPI refuses ``+local``);
* the long description renders as PyPI renders it (``readme-renderer``: reStructuredText,
  Markdown, plain text), with the renderer's own message; a missing description or content
  type is a warning (an error with ``strict``);
* classifiers exist (``trove-classifiers``), none is ``Private ::`` unless allowed, the
  ``License-Expression`` is valid SPDX and every ``License-File`` is in the archive (PEP 639).

Nothing is extracted: members are read from the archive in memory.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from base64 import urlsafe_b64encode
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.utils import canonicalize_name, canonicalize_version

#: The core metadata versions PyPI accepts.
PYPI_METADATA_VERSIONS = frozenset({"1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5"})
#: Archive suffixes ``spoke check`` looks at in a folder.
DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")
_MAX_MEMBER = 512 * 1024 * 1024  # a member read to hash or parse, at most


@dataclass(frozen=True, slots=True, kw_only=True)
class FileReport:
    """What checking one distribution file found."""

    path: Path
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    metadata: str | None = None
    """The core metadata text read from the archive (``None`` when it could not be read)."""

    @property
    def ok(self) -> bool:
        """True when nothing would make PyPI refuse the file (warnings allowed)."""
        return not self.errors


def distribution_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, folders expanded to the distributions in them (sorted)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(DIST_SUFFIXES))
        else:
            out.append(path)
    return out


def check_file(path: Path, *, strict: bool = False, allow_private: bool = False) -> FileReport:
    """Check one wheel or sdist; with ``strict`` the warnings count as errors."""
    errors: list[str] = []
    warnings: list[str] = []
    try:
        archive = _read_archive(path, errors)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        errors.append(f"cannot be read as a distribution: {exc}")
        archive = None
    if archive is not None:
        metadata_text, names, license_root, expected = archive
        if metadata_text is not None:
            _check_metadata(metadata_text, expected, errors, warnings, allow_private=allow_private)
            _check_license_files(metadata_text, names, license_root, errors)
    if strict:
        errors += warnings
        warnings = []
    metadata = archive[0] if archive is not None else None
    return FileReport(path=path, errors=tuple(errors), warnings=tuple(warnings), metadata=metadata)


# -- archives -------------------------------------------------------------------------------

_Archive = tuple[str | None, frozenset[str], str, tuple[str, str]]


def _read_archive(path: Path, errors: list[str]) -> _Archive | None:
    """(metadata text, member names, where License-File paths start, (name, version) of the
    file name); problems go to ``errors``."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    name = path.name
    if not path.is_file():
        errors.append("no such file")
        return None
    if name.endswith(".whl"):
        try:
            project, version, _build, _tags = parse_wheel_filename(name)
        except InvalidWheelFilename as exc:
            errors.append(f"not a valid wheel file name: {exc}")
            return None
        return _read_wheel(path, (project, str(version)), errors)
    if name.endswith((".tar.gz", ".zip")):
        try:
            project, version = parse_sdist_filename(name)
        except InvalidSdistFilename as exc:
            errors.append(f"not a valid sdist file name: {exc}")
            return None
        return _read_sdist(path, (project, str(version)), errors)
    errors.append("not a distribution (a .whl, .tar.gz or .zip file)")
    return None


def _read_wheel(path: Path, expected: tuple[str, str], errors: list[str]) -> _Archive | None:
    with zipfile.ZipFile(path) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        infos = [i for i in zf.infolist() if i.filename.endswith(".dist-info/METADATA") and i.filename.count("/") == 1]
        if len(infos) != 1:
            errors.append("has no single `*.dist-info/METADATA`" if not infos else
                          f"has several metadata folders: {', '.join(i.filename for i in infos)}")
            return None
        dist_info = infos[0].filename.split("/", 1)[0]
        stem = dist_info.removesuffix(".dist-info")
        folder_name, _, folder_version = stem.rpartition("-")
        if canonicalize_name(folder_name) != canonicalize_name(expected[0]) or (
            canonicalize_version(folder_version) != canonicalize_version(expected[1])
        ):
            errors.append(f"its metadata folder `{dist_info}` does not match the file name")
        for required in ("WHEEL", "RECORD"):
            if f"{dist_info}/{required}" not in names:
                errors.append(f"has no `{dist_info}/{required}`")
        if f"{dist_info}/RECORD" in names:
            _check_record(zf, dist_info, set(names), errors)
        text = _member_text(zf.read(infos[0]), f"{dist_info}/METADATA", errors)
        return text, frozenset(names), f"{dist_info}/licenses/", expected


def _check_record(zf: zipfile.ZipFile, dist_info: str, names: set[str], errors: list[str]) -> None:
    """Every member listed with a matching hash; nothing listed that is missing."""
    import csv

    record = f"{dist_info}/RECORD"
    unsigned = {record, f"{dist_info}/RECORD.jws", f"{dist_info}/RECORD.p7s"}
    listed: dict[str, str] = {}
    try:
        rows = list(csv.reader(io.StringIO(zf.read(record).decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        errors.append(f"`{record}` cannot be read: {exc}")
        return
    for row in rows:
        if row and row[0]:
            listed[row[0]] = row[1] if len(row) > 1 else ""
    for member in sorted(names - set(listed) - unsigned):
        errors.append(f"`{member}` is in the wheel but not in RECORD")
    for member, digest in sorted(listed.items()):
        if member in unsigned:
            continue
        if member not in names:
            errors.append(f"RECORD lists `{member}`, which the wheel does not hold")
        elif not digest:
            errors.append(f"RECORD gives no hash for `{member}`")
        else:
            algo, _, value = digest.partition("=")
            if algo not in hashlib.algorithms_guaranteed or algo in ("md5", "sha1"):
                errors.append(f"RECORD hashes `{member}` with `{algo}`, which is not allowed (use sha256)")
                continue
            actual = urlsafe_b64encode(hashlib.new(algo, zf.read(member)).digest()).rstrip(b"=").decode()
            if actual != value:
                errors.append(f"`{member}` does not match its hash in RECORD")


def _read_sdist(path: Path, expected: tuple[str, str], errors: list[str]) -> _Archive | None:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
            return _sdist_common(names, lambda member: zf.read(member), expected, errors)
    with tarfile.open(path, "r:gz") as tf:
        members = {m.name.lstrip("./"): m for m in tf.getmembers() if m.isfile()}

        def read(member: str) -> bytes:
            info = members[member]
            if info.size > _MAX_MEMBER:
                raise OSError(f"`{member}` is too large to read")
            handle = tf.extractfile(info)
            return handle.read() if handle is not None else b""

        return _sdist_common(list(members), read, expected, errors)


def _sdist_common(names: list[str], read: object, expected: tuple[str, str], errors: list[str]) -> _Archive | None:
    tops = {PurePosixPath(n).parts[0] for n in names if n}
    if len(tops) != 1:
        errors.append(f"must hold one top folder, it holds {len(tops)}: {', '.join(sorted(tops)[:5])}")
        return None
    top = tops.pop()
    if f"{top}/PKG-INFO" not in names:
        errors.append(f"has no `{top}/PKG-INFO`")
        return None
    folder_name, _, folder_version = top.rpartition("-")
    if canonicalize_name(folder_name) != canonicalize_name(expected[0]) or (
        canonicalize_version(folder_version) != canonicalize_version(expected[1])
    ):
        errors.append(f"its top folder `{top}` does not match the file name")
    text = _member_text(read(f"{top}/PKG-INFO"), f"{top}/PKG-INFO", errors)  # type: ignore[operator]
    return text, frozenset(names), f"{top}/", expected


def _member_text(data: bytes, member: str, errors: list[str]) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(f"`{member}` is not UTF-8: {exc}")
        return None


# -- metadata -------------------------------------------------------------------------------


def _check_metadata(
    text: str, expected: tuple[str, str], errors: list[str], warnings: list[str], *, allow_private: bool,
) -> None:
    from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata, parse_email

    raw, unparsed = parse_email(text)
    for field in sorted(unparsed):
        if field.lower() not in ("license-file",):
            warnings.append(f"the metadata field `{field}` is not one PyPI knows")
    version = str(raw.get("metadata_version", ""))
    if version not in PYPI_METADATA_VERSIONS:
        errors.append(f"Metadata-Version `{version or 'missing'}` is not one PyPI accepts "
                      f"({', '.join(sorted(PYPI_METADATA_VERSIONS))})")
        return
    try:
        meta = Metadata.from_raw(raw, validate=True)
    except ExceptionGroup as group:
        for exc in group.exceptions:
            errors.append(f"invalid metadata: {exc}" if isinstance(exc, InvalidMetadata) else str(exc))
        return
    if canonicalize_name(meta.name) != canonicalize_name(expected[0]):
        errors.append(f"the metadata's name `{meta.name}` is not the file name's `{expected[0]}`")
    if canonicalize_version(meta.version) != canonicalize_version(expected[1]):
        errors.append(f"the metadata's version `{meta.version}` is not the file name's `{expected[1]}`")
    if meta.version.local:
        errors.append(f"the version `{meta.version}` is a local version: PyPI refuses `+{meta.version.local}`")
    _check_classifiers(meta.classifiers or [], errors, allow_private=allow_private)
    _check_description(meta.description, meta.description_content_type, errors, warnings)


def _check_classifiers(classifiers: Iterable[str], errors: list[str], *, allow_private: bool) -> None:
    from trove_classifiers import classifiers as known
    from trove_classifiers import deprecated_classifiers

    for classifier in classifiers:
        if classifier.startswith("Private ::"):
            if not allow_private:
                errors.append(f"the classifier `{classifier}` marks a private package (PyPI refuses it; "
                              "--allow-private to check it anyway)")
        elif classifier in deprecated_classifiers:
            instead = ", ".join(deprecated_classifiers[classifier]) or "nothing"
            errors.append(f"the classifier `{classifier}` is deprecated (use {instead})")
        elif classifier not in known:
            errors.append(f"the classifier `{classifier}` does not exist (see https://pypi.org/classifiers/)")


_RENDERERS = {"text/x-rst": "rst", "text/markdown": "markdown", "text/plain": "txt"}


def _check_description(description: str | None, content_type: str | None, errors: list[str],
                       warnings: list[str]) -> None:
    """Render the long description as PyPI does; the renderer's message on failure."""
    if content_type is None:
        warnings.append("`long_description_content_type` is missing: PyPI reads the description as "
                        "reStructuredText (set it, e.g. to text/markdown)")
    if description is None or description.rstrip() == "UNKNOWN" or not description.strip():
        warnings.append("`long_description` is missing: the project page will be empty")
        return
    kind, params = _content_type(content_type or "text/x-rst")
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        errors.append(f"the description's content type `{kind}` is not one PyPI renders "
                      "(text/markdown, text/x-rst or text/plain)")
        return
    if renderer == "txt":
        return
    stream = io.StringIO()
    if renderer == "rst":
        from readme_renderer import rst

        rendered = rst.render(description, stream=stream)
    else:
        from readme_renderer import markdown

        rendered = markdown.render(description, stream=stream, **params)
    if rendered is None:
        message = " ".join(stream.getvalue().split()) or "the renderer gave no reason"
        errors.append(f"the description does not render on PyPI ({kind}): {message}")


def _content_type(value: str) -> tuple[str, dict[str, str]]:
    """``text/markdown; variant=GFM`` → (``text/markdown``, ``{"variant": "GFM"}``)."""
    from email.message import Message

    msg = Message()
    msg["content-type"] = value
    params = dict(msg.get_params(failobj=[])[1:])  # type: ignore[misc]
    return msg.get_content_type(), {k: v for k, v in params.items() if k == "variant"}


def _check_license_files(text: str, names: frozenset[str], root: str, errors: list[str]) -> None:
    """Every ``License-File`` (PEP 639) is in the archive."""
    from email.parser import HeaderParser

    headers = HeaderParser().parsestr(text)
    if headers.get("Metadata-Version", "") in ("1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3"):
        return  # before PEP 639 (metadata 2.4), License-File had no fixed place in a wheel
    for value in headers.get_all("License-File") or []:
        if f"{root}{value}" not in names:
            errors.append(f"the License-File `{value}` is not in the archive (looked for `{root}{value}`)")
