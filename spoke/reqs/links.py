"""Telling a URL or a path from a PEP 508 requirement, without importing a parser."""

from __future__ import annotations

import re

_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")


def looks_like_path_or_url(text: str) -> bool:
    """True when ``text`` is a bare URL, VCS URL or local path rather than a PEP 508 name."""
    if _URL_SCHEME.match(text) or text.startswith(_VCS_PREFIXES):
        return True
    if text in (".", "..") or text.startswith(("./", "../", "/", "~")):
        return True
    head = text.split("/", 1)[0]
    if "/" in text and "@" not in head and ";" not in head and " " not in head:
        return True  # `proj/`, `dist/x.whl`: a path, as pip reads it
    lowered = text.lower()
    return lowered.endswith((".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")) and "@" not in text
