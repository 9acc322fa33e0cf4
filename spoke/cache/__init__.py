"""spoke's on-disk cache: versioned buckets, atomic writes, shared safely between processes.

Layout under the cache root (``platformdirs.user_cache_dir("spoke")`` unless ``--cache-dir``)::

    http-v1/          HTTP responses (index pages) with their validators
    metadata-v1/      core metadata of files, keyed by the file's sha256 (never changes)
    wheels-v1/        downloaded archives, keyed by sha256
    archives-v1/      wheels unpacked once, content-addressed by the wheel's sha256
    interpreters-v1/  probe results, keyed by interpreter path and mtime
    satisfied-v2/     requests known to be satisfied by an environment state (see app.noop)
    builds-v1/        wheels built from sdists and commits (by hash and target), build folders,
                      build environments (envs/, one fixed place per requirement set, locked)
    bytecode-v1/      bytecode of build hooks (PYTHONPYCACHEPREFIX), valid from one build to the next
    audit-v1/         OSV's database of PyPI advisories (`spoke audit --update-db`)
    vcs-v1/           bare mirrors of git repositories
    pages-v1/         big JSON index pages thinned to what a target can use (by page digest)

A bucket's name carries its format version: a change of format takes a new name, and old
buckets are simply ignored. Every write goes to a temporary file in the same folder and is
renamed into place, so a reader never sees a partial file, even across processes.
``--no-cache-dir`` gives a cache in a temporary folder removed when the command ends.

One module per job: :mod:`~spoke.cache.buckets` (the root, its buckets, keys),
:mod:`~spoke.cache.atomic` (atomic writes) and :mod:`~spoke.cache.later` (background writes).
"""

from __future__ import annotations

from spoke.cache.atomic import temp_path_beside, write_atomic
from spoke.cache.buckets import BUCKETS, Cache, default_cache_root, key_for
from spoke.cache.later import flush_later, remove_later, write_later

__all__ = [
    "BUCKETS", "Cache", "default_cache_root", "flush_later", "key_for", "remove_later",
    "temp_path_beside", "write_atomic", "write_later",
]
