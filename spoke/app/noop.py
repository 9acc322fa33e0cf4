"""Remembering that a request is already satisfied, so a repeated install costs almost nothing.

The common no-op — ``spoke install -r requirements.txt`` in an environment that already has
everything — would otherwise pay for parsing every requirement, reading every installed
``METADATA`` and running the solver, only to change nothing. After an install (or a no-op)
succeeds, spoke records two fingerprints in the cache:

* the *request*: the interpreter, the requirement strings as typed, the flags that steer the
  resolution, and the content of every requirements file read (nested ones included);
* the *environment*: the name and modification time of every ``*.dist-info``/``*.egg-info``
  entry in the target's site-packages folders, and of the folders themselves.

When both match a record, the answer is known without parsing or solving: nothing to do. Any
install, upgrade or removal by any tool renames, creates or deletes a dist-info folder (or
rewrites it, changing its mtime), so the environment fingerprint changes and the full path
runs. A record is only ever a shortcut to the answer the solver gave for the same inputs;
``-U``, ``--force-reinstall``, ``-I``, ``--dry-run`` and ``--report`` always take the full path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from spoke.cache import BUCKETS, Cache, write_atomic
from spoke.fingerprint import environment_fingerprint, file_digest

__all__ = ["environment_fingerprint", "lookup", "lookup_files", "remember", "request_key"]


def request_key(interpreter: Path, parts: Sequence[str]) -> str:
    """A key for the request: interpreter plus the ordered, typed parts of the command."""
    h = hashlib.sha256(str(interpreter).encode())
    for part in parts:
        h.update(b"\0")
        h.update(part.encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:40]


def lookup(cache: Cache, key: str, fingerprint: str) -> int | None:
    """The number of packages of a satisfied request recorded for this state, else None."""
    found = lookup_files(cache, key, fingerprint)
    return found[0] if found is not None else None


def lookup_files(cache: Cache, key: str, fingerprint: str) -> tuple[int, dict[str, str | None]] | None:
    """Like :func:`lookup`, with the requirements files (and digests) the answer read."""
    record_path = cache.root / BUCKETS["satisfied"] / f"{key}.json"
    try:
        record = json.loads(record_path.read_bytes())
    except (OSError, ValueError):
        return None
    if record.get("environment") != fingerprint:
        return None
    for path, digest in record.get("files", {}).items():
        if file_digest(path) != digest:
            return None
    count = record.get("packages")
    return (count, dict(record.get("files", {}))) if isinstance(count, int) else None


def remember(
    cache: Cache, key: str, fingerprint: str, files: Iterable[str], packages: int,
) -> dict[str, str | None] | None:
    """Record that the request with ``key`` is satisfied in the environment ``fingerprint``;
    return the requirements files' digests recorded (``None``: nothing, the cache is temporary)."""
    if cache.temporary:
        return None
    digests = {str(Path(f).absolute()): file_digest(f) for f in files}
    record = {"environment": fingerprint, "files": digests, "packages": packages}
    try:
        write_atomic(cache.bucket("satisfied") / f"{key}.json", json.dumps(record).encode())
    except OSError:
        pass  # a read-only cache only costs speed
    return digests
