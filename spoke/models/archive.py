"""Rules every archive member name must follow, shared by the wheel and sdist unpackers.

Stdlib only and below every other layer, so ``spoke.prepare`` (wheels) and ``spoke.pep517``
(source archives) apply one traversal guard rather than two copies of it.
"""

from __future__ import annotations

import re

DRIVE = re.compile(r"^[A-Za-z]:")
CONTROL = re.compile(r"[\x01-\x1f\x7f-\x9f]")
MAX_NAME = 1024
"""Longest member name accepted, in bytes (the longest in real wheels is ~240)."""
MAX_COMPONENT = 255
"""Longest path component, in bytes (what file systems allow)."""


def member_name_problem(name: str) -> str | None:
    """Why an archive member name is unsafe, or ``None`` when it is a plain relative path.

    A trailing ``/`` (a folder entry) is allowed; empty, absolute, ``..``, drive-letter,
    backslash, NUL and control-character names are not.
    """
    if not name:
        return "empty name"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME:
        return f"name longer than {MAX_NAME} bytes"
    if "\x00" in name:
        return "NUL byte in name"
    if CONTROL.search(name):
        return "control character in name"
    if "\\" in name:
        return "backslash in name"
    if name.startswith("/"):
        return "absolute path"
    if DRIVE.match(name):
        return "drive letter in path"
    for part in name.rstrip("/").split("/"):
        if part in ("", ".", ".."):
            return f"`{part or '//'}` path component"
        if len(part.encode("utf-8", "surrogateescape")) > MAX_COMPONENT:
            return f"a path component longer than {MAX_COMPONENT} bytes"
    return None


def printable(text: str, limit: int = 200) -> str:
    """``text`` for an error message: control and invisible characters escaped, cut to ``limit``."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
