"""Telling a URL or a path from a PEP 508 requirement, without importing a parser.

pip decides the form of a requirement string in this order (``req/constructors.py``), and so
does spoke, so that every line that works with pip works here with the same meaning:

1. A URL (``scheme://…``) or a VCS URL (``git+…``) is a link. Its marker, if any, follows
   ``"; "`` (a semicolon *and a space*: a bare ``;`` is part of many URLs).
2. Anything else has its marker after the first ``;``, and its ``[extras]`` at the very end
   of what is left (``.[tests]``, ``../lib[a,b]``, ``dist/pkg-1.0-py3-none-any.whl[x]``).
3. What remains is a path when it *looks like* one: it holds a path separator, or starts with
   ``.`` (``.``, ``..``, ``.[x]``) or ``~``; or when it ends in an archive's extension
   (``pkg-1.0.tar.gz``, ``pkg-1.0-py3-none-any.whl``) — unless an ``@`` comes first whose
   left side is no path (``name @ https://…/pkg.whl`` is PEP 508).
4. Everything else is a PEP 508 requirement. ``proj[a]`` is the project ``proj`` with extra
   ``a`` even when a folder called ``proj`` is here (pip's rule; spoke warns about it, see
   :func:`spoke.reqs.direct.folder_named_like`). ``-e proj`` is the exception: an editable is
   always a folder or a VCS URL.

Only the *form* is decided here; whether the path exists is the next stage's question
(:mod:`spoke.reqs.direct`), which names the missing path in its error.
"""

from __future__ import annotations

import os
import re

_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
#: pip's archive extensions (``utils/filetypes.py``).
ARCHIVE_EXTENSIONS = (
    ".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz",
    ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma",
)
# pip's pattern: the last bracketed group at the very end.
_EXTRAS_AT_END = re.compile(r"^(.+)\[([^\]]+)\]$", re.DOTALL)
_EXTRA_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


class InvalidExtras(ValueError):
    """``[…]`` after a path holds something that is not a list of extra names."""


def is_url(text: str) -> bool:
    """True for ``scheme://…`` and ``git+…``-style VCS URLs."""
    return bool(_URL_SCHEME.match(text)) or text.startswith(_VCS_PREFIXES)


def split_marker(text: str) -> tuple[str, str | None]:
    """``'. ; python_version >= "3.10"'`` → ``('.', 'python_version >= "3.10"')``.

    A URL's marker follows ``"; "``; any other form's the first ``;``. An empty marker is None.
    """
    separator = "; " if is_url(text.strip()) else ";"
    body, found, marker = text.partition(separator)
    marker = marker.strip()
    return body.strip(), (marker or None) if found else None


def split_extras(text: str) -> tuple[str, tuple[str, ...]]:
    """``'.[b, a]'`` → ``('.', ('a', 'b'))``; text without a final ``[…]`` is returned as is.

    Raises :class:`InvalidExtras` when the brackets hold something other than extra names.
    """
    match = _EXTRAS_AT_END.match(text)
    if match is None:
        return text, ()
    names = [part.strip() for part in match.group(2).split(",")]
    bad = [name for name in names if not _EXTRA_NAME.match(name)]
    if bad or not names:
        raise InvalidExtras(match.group(2))
    return match.group(1).rstrip(), tuple(sorted(set(names)))


def looks_like_path(text: str) -> bool:
    """pip's ``_looks_like_path``: a path separator anywhere, or a leading ``.`` (spoke: or ``~``)."""
    if os.sep in text or (os.altsep is not None and os.altsep in text):
        return True
    return text.startswith((".", "~"))


def is_archive_name(text: str) -> bool:
    """True when ``text`` ends in a wheel's or a source archive's extension."""
    return text.lower().endswith(ARCHIVE_EXTENSIONS)


def looks_like_path_or_url(text: str) -> bool:
    """True when ``text`` is a bare URL, VCS URL or local path rather than a PEP 508 requirement
    (the module docstring gives the rules)."""
    text = text.strip()
    if is_url(text):
        return True
    body, _marker = split_marker(text)
    try:
        location, _extras = split_extras(body)
    except InvalidExtras:
        location = body
    before_at, at, _ = body.partition("@")
    if at and not looks_like_path(before_at.strip()):
        return False  # `name @ url` (PEP 508), whatever the URL ends in
    return looks_like_path(location) or is_archive_name(location)
