"""Fingerprints of an environment's installed set and of files (standard library only).

Shared by the no-op shortcuts (:mod:`spoke.app.noop`, :mod:`spoke.cli.quick`); the second runs
before the rest of spoke is imported, so nothing here may import more than the standard
library.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable


def environment_fingerprint(paths: Iterable[object]) -> str:
    """A digest of which distributions are installed in ``paths``, and when they changed.

    The name and modification time of every ``*.dist-info``, ``*.egg-info`` and ``*.pth``
    entry, and of the folders themselves: installing, upgrading or removing anything, with
    any tool, changes it.
    """
    h = hashlib.sha256()
    for path in paths:
        h.update(str(path).encode())
        try:
            st = os.stat(path)  # type: ignore[arg-type]
        except OSError:
            h.update(b"-")
            continue
        h.update(str(st.st_mtime_ns).encode())
        try:
            entries = sorted(
                (e.name, e.stat().st_mtime_ns)
                for e in os.scandir(path)  # type: ignore[type-var]
                if e.name.endswith((".dist-info", ".egg-info", ".pth"))
            )
        except OSError:
            entries = []
        for name, mtime in entries:
            h.update(f"{name}:{mtime};".encode())
    return h.hexdigest()


def file_digest(path: object) -> str | None:
    """The sha256 of a file's bytes; ``None`` when it cannot be read (absent)."""
    try:
        with open(path, "rb") as fh:  # type: ignore[call-overload]
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None
