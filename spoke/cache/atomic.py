"""Writes a reader never sees half done: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (``mode`` if given).

    The folder is made only when the first attempt finds it missing, and the temporary file
    is opened and written with plain system calls (no ``mkstemp`` random name, no file object):
    a cold resolve of thousands of projects stores thousands of entries, and the calls around
    each write cost more than the write.
    """
    fd, tmp = _open_temp(path)
    try:
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # a failed write names no file: say which one it was
        raise


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to the open file ``fd`` (``os.write`` may write less at once)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_numbers = itertools.count()


def _open_temp(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path`` (its folder made when missing), open for writing,
    readable by the owner only (as ``mkstemp``'s); a name left by a crashed process is skipped."""
    folder = os.fspath(path.parent)
    made = False
    for _attempt in range(100):
        tmp = os.path.join(folder, f".tmp-{os.getpid()}-{next(_numbers)}{path.suffix}")
        try:
            return os.open(tmp, _FLAGS, 0o600), tmp
        except FileNotFoundError:
            if made:
                raise
            os.makedirs(folder, exist_ok=True)
            made = True
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def temp_path_beside(path: Path) -> Path:
    """A fresh temporary path in ``path``'s folder, for a write that ends in a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    os.close(fd)
    return Path(tmp)
