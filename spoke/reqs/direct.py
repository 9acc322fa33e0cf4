"""Direct sources: what a requirement that is not just a name points at.

``name @ https://host/name-1.0.tar.gz``, a bare wheel URL, ``./project``, ``/tmp/x.whl``,
``git+https://host/repo@v1#subdirectory=pkg``, ``-e .``: each becomes one
:class:`DirectSource`, a value saying *what kind* of thing it is (a wheel, a source archive,
a project folder or a VCS repository), where it is, and what the user attached to it
(extras, markers, ``--hash`` values, ``#egg=``/``#subdirectory=`` fragments).

Pure: no download, no build. Relative paths are made absolute against the ``cwd`` passed in,
as pip does (paths in requirements files are relative to the working directory, not the file).
:func:`direct_url_record` writes the PEP 610 ``direct_url.json`` value for an install.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from spoke.errors import RequirementError
from spoke.models.direct import DirectSource
from spoke.reqs.links import _VCS_PREFIXES

_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")
_HASH_FRAGMENT = re.compile(r"^(sha256|sha384|sha512|sha1|md5)=([0-9a-fA-F]+)$")
_MAX_SHOWN = 80


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _redacted(url: str) -> str:
    from spoke.net.redact import redact_url

    return redact_url(url)


def path_to_url(path: Path) -> str:
    """``/a b/c`` → ``file:///a%20b/c``."""
    return urlunsplit(("file", "", quote(str(path.absolute())), "", ""))


def url_to_path(url: str) -> Path:
    """``file:///a%20b/c`` → ``/a b/c`` (``file://localhost/…`` too)."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise RequirementError(
            f"Cannot use the file URL `{_shown(url)}`: it names another host ({parts.netloc})",
            hint="Use a local path (`file:///abs/path`) or an http(s) URL.",
        )
    return Path(unquote(parts.path))


def _fragment_values(fragment: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in fragment.split("&"):
        key, sep, value = part.partition("=")
        if sep and key:
            out[key] = value
    return out


def _kind_of_file(name: str) -> str | None:
    lowered = name.lower()
    if lowered.endswith(".whl"):
        return "wheel"
    if lowered.endswith(_ARCHIVE_SUFFIXES):
        return "sdist"
    return None


def _check_subdirectory(value: str, origin: str) -> str:
    clean = value.strip("/")
    if not clean or clean.startswith("/") or ".." in Path(clean).parts or "\\" in clean:
        raise RequirementError(
            f"Invalid subdirectory `{_shown(value)}` ({origin})",
            hint="`#subdirectory=` names a folder inside the source, e.g. `#subdirectory=pkg`.",
        )
    return clean


def direct_source(item: Any, cwd: Path) -> DirectSource | None:
    """Classify a :class:`~spoke.reqs.UserRequirement`; None for a plain name requirement."""
    req = item.requirement
    if req is not None and not req.url:
        return None
    if req is not None:
        location, name = req.url, req.name
        extras, marker = tuple(sorted(req.extras)), req.marker
    else:
        location, name, extras, marker = item.link, None, (), None
        location, extras, marker = _split_link(location, item)
    return _classify(
        location, item=item, name=name, extras=extras, marker=marker, cwd=cwd,
    )


def folder_named_like(item: Any, cwd: Path) -> Path | None:
    """The project folder in ``cwd`` whose name a plain name requirement also is, or None.

    ``proj[a]`` is the project ``proj`` from the index even when a folder ``proj`` is here
    (pip's rule: only a path separator or a leading ``.`` makes a path); the caller warns,
    since the user may have meant the folder.
    """
    req = item.requirement
    if req is None or req.url or item.editable:
        return None
    written = re.split(r"[\s\[\]<>=!~;@(),]", item.text, maxsplit=1)[0]
    folder = cwd / written
    if written and folder.is_dir() and ((folder / "pyproject.toml").is_file() or (folder / "setup.py").is_file()):
        return folder
    return None


def _split_link(link: str, item: Any) -> tuple[str, tuple[str, ...], Any]:
    """A bare link's location, ``[extras]`` and ``; marker``, by pip's rules
    (:mod:`spoke.reqs.links`): extras end a path or a ``file:`` URL; a URL's marker follows
    ``"; "``, a path's the first ``;``."""
    from spoke.reqs.links import InvalidExtras, is_url, split_extras, split_marker

    text, marker_text = split_marker(link)
    marker = None
    if marker_text is not None:
        from packaging.markers import InvalidMarker, Marker

        try:
            marker = Marker(marker_text)
        except InvalidMarker as exc:
            raise RequirementError(
                f"Invalid marker in `{_shown(link)}` ({item.source}): {str(exc).splitlines()[0]}",
                hint='A marker follows `;`, e.g. `.[tests]; python_version >= "3.10"`.',
            ) from None
    extras: tuple[str, ...] = ()
    if not is_url(text) or (text.lower().startswith("file:") and "#" not in text):
        try:
            text, extras = split_extras(text)
        except InvalidExtras as exc:
            raise RequirementError(
                f"Invalid extras `[{_shown(str(exc))}]` in `{_shown(link)}` ({item.source})",
                hint="Extras are names separated by commas, e.g. `.[tests,docs]`.",
            ) from None
    return text, extras, marker


def _classify(
    location: str, *, item: Any, name: str | None, extras: tuple[str, ...], marker: Any, cwd: Path,
) -> DirectSource:
    origin = item.source
    base = {
        "text": item.text, "origin": origin, "name": name, "extras": extras, "marker": marker,
        "editable": item.editable, "config_settings": tuple(getattr(item, "config_settings", ())),
    }
    if location.startswith(_VCS_PREFIXES):
        url, _, fragment = location.partition("#")
        values = _fragment_values(fragment)
        sub = values.get("subdirectory")
        return DirectSource(
            kind="vcs", url=url, name=name or values.get("egg"), shown_url=_redacted(url),
            subdirectory=_check_subdirectory(sub, origin) if sub else None,
            hashes=tuple(item.hashes),
            **{k: v for k, v in base.items() if k != "name"},  # type: ignore[arg-type]
        )
    url, _, fragment = location.partition("#")
    values = _fragment_values(fragment)
    hashes = list(item.hashes)
    for key, value in values.items():
        m = _HASH_FRAGMENT.match(f"{key}={value}")
        if m:
            hashes.append(f"{m.group(1)}:{m.group(2).lower()}")
    sub = values.get("subdirectory")
    subdirectory = _check_subdirectory(sub, origin) if sub else None
    if name is None and values.get("egg"):
        name = values["egg"]
        base["name"] = name
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme in ("http", "https"):
        kind = _kind_of_file(unquote(urlsplit(url).path))
        if kind is None:
            raise RequirementError(
                f"Cannot tell what `{_shown(location)}` is ({origin})",
                hint="A URL must end in a wheel (.whl) or a source archive (.tar.gz, .zip); "
                "for a repository use `git+https://…`.",
            )
        if item.editable:
            raise _editable_error(location, origin)
        return DirectSource(kind=kind, url=url, subdirectory=subdirectory, hashes=tuple(hashes),
                            shown_url=_redacted(url), **base)  # type: ignore[arg-type]
    if scheme == "file":
        path = url_to_path(url)
    elif scheme:
        raise RequirementError(
            f"Unsupported URL scheme `{scheme}` in `{_shown(location)}` ({origin})",
            hint="spoke installs from http(s):// and file:// URLs, local paths and git+ URLs.",
        )
    else:
        path = Path(unquote(url)).expanduser()
    if not path.is_absolute():
        path = cwd / path
    return _classify_local(Path(_normalize(path)), location, item=item, subdirectory=subdirectory,
                           hashes=tuple(hashes), base=base)


def _classify_local(
    path: Path, location: str, *, item: Any, subdirectory: str | None, hashes: tuple[str, ...],
    base: dict[str, Any],
) -> DirectSource:
    """A local folder, wheel or source archive (``path`` absolute and normalised)."""
    origin = item.source
    if path.is_dir():
        if subdirectory:
            path = path / subdirectory
        if not (path / "pyproject.toml").is_file() and not (path / "setup.py").is_file():
            raise RequirementError(
                f"`{_shown(str(path))}` is a folder but not a Python project ({origin})",
                hint="A project folder holds a pyproject.toml or a setup.py.",
            )
        return DirectSource(kind="dir", url=path_to_url(path), path=path, hashes=hashes, **base)
    kind = _kind_of_file(path.name)
    if not path.exists():
        raise RequirementError(
            f"`{_shown(str(path))}` does not exist ({origin})",
            hint="-e takes a project folder or a VCS URL (`-e .`, `-e git+https://…#egg=name`); "
            "relative paths are taken from the current folder." if item.editable else
            "Check the path; relative paths are taken from the current folder.",
        )
    if kind is None:
        raise RequirementError(
            f"Cannot install `{_shown(str(path))}`: not a wheel, a source archive or a project "
            f"folder ({origin})",
            hint="Give a .whl, a .tar.gz/.zip source archive, or a folder with a pyproject.toml; "
            f"to install the requirements listed in a file, use `-r {_shown(location)}`.",
        )
    if item.editable:
        raise _editable_error(location, origin)
    return DirectSource(kind=kind, url=path_to_url(path), path=path, subdirectory=subdirectory,
                        hashes=hashes, **base)


def _normalize(path: Path) -> str:
    import os

    return os.path.normpath(str(path))


def _editable_error(location: str, origin: str) -> RequirementError:
    return RequirementError(
        f"`{_shown(location)}` cannot be installed in editable mode ({origin})",
        hint="-e takes a project folder or a VCS URL (`-e .`, `-e git+https://…#egg=name`).",
    )


def direct_url_record(source: DirectSource, *, sha256: str | None = None) -> dict[str, Any]:
    """The PEP 610 ``direct_url.json`` value for an install from a file, URL or folder.

    (A VCS install's record comes from :meth:`spoke.vcs.VcsUrl.direct_url`, which knows the
    commit.)
    """
    from spoke.net.redact import redact_url

    record: dict[str, Any]
    if source.kind == "dir":
        record = {"url": source.url, "dir_info": {"editable": True} if source.editable else {}}
    else:
        hashes: dict[str, str] = {}
        for entry in source.hashes:
            algo, _, digest = entry.partition(":")
            hashes.setdefault(algo, digest)
        if sha256:
            hashes["sha256"] = sha256
        info: dict[str, Any] = {}
        if hashes:
            info["hashes"] = hashes
            algo = "sha256" if "sha256" in hashes else min(hashes)
            info["hash"] = f"{algo}={hashes[algo]}"
        record = {"url": redact_url(source.url) if source.path is None else source.url, "archive_info": info}
        if source.subdirectory:
            record["subdirectory"] = source.subdirectory
    return record
