"""The cache root and its versioned buckets (the layout is in :mod:`spoke.cache`)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

BUCKETS = {
    "http": "http-v1",
    "metadata": "metadata-v1",
    "wheels": "wheels-v1",
    "archives": "archives-v1",
    "interpreters": "interpreters-v1",
    "builds": "builds-v1",
    "satisfied": "satisfied-v2",
    "vcs": "vcs-v1",
    "pages": "pages-v1",
    "bytecode": "bytecode-v1",
    "audit": "audit-v1",
}


def default_cache_root() -> Path:
    """The per-user cache folder."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("spoke", appauthor=False))


@dataclass(frozen=True, slots=True)
class Cache:
    """A cache root and its buckets. ``temporary`` caches are removed by :meth:`close`."""

    root: Path
    temporary: bool = False

    @classmethod
    def open(cls, root: Path | None, *, disabled: bool = False) -> Cache:
        """Open the cache at ``root`` (default location when ``None``); a temp one if disabled."""
        if disabled:
            return cls(Path(tempfile.mkdtemp(prefix="spoke-cache-")), temporary=True)
        return cls(Path(root) if root is not None else default_cache_root())

    def bucket(self, kind: str) -> Path:
        """The folder of bucket ``kind`` (a key of :data:`BUCKETS`), created if missing."""
        path = self.root / BUCKETS[kind]
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        """Remove a temporary cache; a no-op for a real one."""
        if self.temporary:
            from spoke.cache.later import flush_later

            flush_later()  # nothing may still be writing into it
            shutil.rmtree(self.root, ignore_errors=True)


def key_for(text: str) -> str:
    """A short, filesystem-safe key for an arbitrary string (a URL, a path)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
