"""Every change to an environment is one transaction: journaled, reversible, recorded.

State lives inside the environment, in ``<root>/.spoke/``::

    (lock)          one spoke process changes this environment at a time: ``flock`` on the
                    environment's folder (a ``lock`` file here where there is no flock)
    journal.jsonl   the open transaction: one line per step, written *before* the step
    txn-<id>/       files set aside by the open transaction (removed or replaced ones)
    history.jsonl   one line per committed transaction (``spoke history``, ``spoke rollback``)

How a change runs:

1. ``begin`` writes the journal's first line (command, time) and takes the lock;
2. a distribution is removed by *moving* each of its files into ``txn-<id>/`` (a rename on the
   same filesystem), after a journal line listing every move;
3. a distribution is installed after a journal line listing every path it will create; a path
   that turns out to exist already is moved aside first (after a journal line of its own);
4. ``commit`` appends ``commit`` (fsync'd), writes the history line, then removes ``txn-<id>/``
   and the journal.

New files are linked straight to their destinations once the journal names them, rather than
staged in hidden folders and renamed into place: both leave recovery exact (every created path
is in the journal before it exists), and staging measured 0.4–0.6 s slower on the 68-package
benchmark set here (creating the staged folder tree costs ~2.5× more per ``mkdir`` than
creating it in place). The ``.dist-info`` is still assembled aside and renamed in last, so a
distribution is never visible to importlib.metadata before all its files are there.

If the process dies at any point, the next spoke command on the environment finds the journal
(:func:`recover`): without ``commit`` it undoes every step in reverse — created paths deleted,
moved files moved back — so every distribution is exactly as before; with ``commit`` it only
finishes the clean-up. Either way no distribution is ever half installed.

Tests kill the process at chosen points through ``SPOKE_TEST_KILL_AT=<point>:<n>`` (the
``n``-th time ``point`` is reached), see :func:`checkpoint`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE_DIR = ".spoke"
JOURNAL = "journal.jsonl"
HISTORY = "history.jsonl"
LOCK = "lock"

_KILL_AT = os.environ.get("SPOKE_TEST_KILL_AT") or None
_kill_lock = threading.Lock()
_kill_counts: dict[str, int] = {}


def checkpoint(point: str) -> None:
    """Test-only: SIGKILL this process the n-th time ``point`` is reached.

    Armed by ``SPOKE_TEST_KILL_AT=point:n``, read once per process: unarmed, a call costs one
    comparison (it runs once per installed file).
    """
    if _KILL_AT is None:
        return
    name, _, count = _KILL_AT.partition(":")
    if name != point:
        return
    with _kill_lock:
        _kill_counts[point] = _kill_counts.get(point, 0) + 1
        if _kill_counts[point] >= int(count or 1):
            os.kill(os.getpid(), signal.SIGKILL)


def state_dir(root: Path) -> Path:
    """The folder holding an environment's journal, history and lock."""
    return Path(root) / STATE_DIR


@contextmanager
def environment_lock(root: Path) -> Iterator[None]:
    """Hold the environment's lock (waits for another spoke process to finish).

    On POSIX the lock is ``flock`` on the environment's folder itself, so taking it writes
    nothing (a failed command leaves the environment byte for byte as it was); elsewhere it
    is a lock file in ``.spoke/``.
    """
    root = Path(root)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        from filelock import FileLock

        folder = state_dir(root)
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / LOCK)):
            yield
        return
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _move(src: str, dst: str) -> None:
    """Rename (or, across filesystems, copy then delete) ``src`` to ``dst``."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.rename(src, dst)
    except OSError:
        shutil.move(src, dst)


@dataclass(slots=True)
class Change:
    """A distribution added or removed by a transaction (for history and rollback)."""

    name: str
    version: str
    direct_url: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.direct_url:
            out["direct_url"] = self.direct_url
        return out


@dataclass(slots=True)
class Transaction:
    """One open transaction on the environment rooted at ``root`` (see the module docstring)."""

    root: Path
    command: str
    id: str = ""
    _journal: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _backup: Path | None = None
    _moved: int = 0
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    committed: bool = False

    # -- lifecycle ---------------------------------------------------------------------------

    def begin(self) -> Transaction:
        """Open the transaction (the caller holds the environment's lock)."""
        folder = state_dir(self.root)
        folder.mkdir(parents=True, exist_ok=True)
        if pending(self.root):
            recover(self.root, locked=True)  # a killed process's change is settled first
        self.id = f"{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
        self._backup = folder / f"txn-{self.id}"
        self._journal = open(folder / JOURNAL, "a", encoding="utf-8")  # noqa: SIM115 - closed in end
        self._write({"op": "begin", "id": self.id, "time": time.time(), "command": self.command,
                     "backup": str(self._backup)}, sync=True)
        checkpoint("begin")
        return self

    def _write(self, record: dict[str, Any], *, sync: bool = False) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"  # encoded outside the lock
        with self._lock:
            self._journal.write(line)
            self._journal.flush()
            if sync:
                os.fsync(self._journal.fileno())

    def commit(self) -> None:
        """Make the change permanent: journal ``commit``, history line, clean-up."""
        checkpoint("before-commit")
        entry = None
        if self.added or self.removed:
            entry = {
                "id": self.id, "time": time.time(), "command": self.command,
                "added": [c.as_json() for c in self.added],
                "removed": [c.as_json() for c in self.removed],
            }
        # The history line rides in the commit record: a kill before it reaches history.jsonl
        # is made good by recovery.
        self._write({"op": "commit", "history": entry}, sync=True)
        self.committed = True
        checkpoint("after-commit")
        if entry is not None:
            append_history(self.root, entry)
        self._finish()

    def abort(self) -> None:
        """Undo everything done so far (used when an error interrupts the change)."""
        if self.committed or self._journal is None:
            return
        self._journal.close()
        self._journal = None
        recover(self.root, locked=True)

    def _finish(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._backup is not None:
            shutil.rmtree(self._backup, ignore_errors=True)
        try:
            os.unlink(state_dir(self.root) / JOURNAL)
        except FileNotFoundError:
            pass

    # -- steps -------------------------------------------------------------------------------

    def _aside(self, path: str) -> str:
        assert self._backup is not None
        with self._lock:
            self._moved += 1
            n = self._moved
        return str(self._backup / f"{n}-{os.path.basename(path)}")

    def remove_files(self, files: Sequence[Path], dirs: Sequence[Path]) -> None:
        """Remove a distribution's files (moved aside) and its emptied folders."""
        moves = [(str(p), self._aside(str(p))) for p in files if os.path.lexists(p)]
        self._write({"op": "remove", "moves": moves, "dirs": [str(d) for d in dirs]})
        for src, dst in moves:
            checkpoint("remove-file")
            _move(src, dst)
        for folder in dirs:
            try:
                os.rmdir(folder)
            except OSError:
                pass

    def before_install(self, site: Path, dist_info: Path, paths: Iterable[Path]) -> None:
        """Journal every path an install will create (before the first is written).

        Nothing is looked up here: a path that turns out to exist is set aside when the
        installer meets it (:meth:`set_aside`), which is rare and costs nothing otherwise.
        """
        self._write({"op": "install", "site": str(site), "dist_info": str(dist_info),
                     "paths": [str(p) for p in paths]})

    def set_aside(self, path: Path) -> None:
        """Move an existing file out of the way of a new one (journaled first).

        A folder in the way is an error, never moved: it may hold anything.
        """
        src = str(path)
        if os.path.isdir(src) and not os.path.islink(src):
            import errno

            raise IsADirectoryError(errno.EISDIR, "a folder is in the way of a file", src)
        dst = self._aside(src)
        self._write({"op": "aside", "src": src, "dst": dst})
        _move(src, dst)


def append_history(root: Path, entry: dict[str, Any]) -> None:
    """Add one committed transaction to the environment's history."""
    path = state_dir(root) / HISTORY
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_history(root: Path) -> list[dict[str, Any]]:
    """Every committed transaction, oldest first (a damaged line is skipped)."""
    path = state_dir(root) / HISTORY
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def pending(root: Path) -> bool:
    """True when an interrupted transaction's journal is waiting for :func:`recover`."""
    return os.path.exists(state_dir(root) / JOURNAL)


def recover(root: Path, *, locked: bool = False) -> str | None:
    """Finish or undo an interrupted transaction; return what was done (None: nothing to do).

    ``locked`` says the caller already holds the environment's lock.
    """
    if not pending(root):
        return None
    if not locked:
        with environment_lock(root):
            return recover(root, locked=True)
    path = state_dir(root) / JOURNAL
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            break  # a line cut short by the kill: the step it announced never started
    begin = next((r for r in records if r.get("op") == "begin"), None)
    backup = Path(begin["backup"]) if begin and begin.get("backup") else None
    commit = next((r for r in records if r.get("op") == "commit"), None)
    if commit is not None:
        entry = commit.get("history")
        if isinstance(entry, dict) and all(h.get("id") != entry.get("id") for h in read_history(root)):
            append_history(root, entry)
        outcome = "completed"
    else:
        # Files set aside for a new one: the new file goes, the old one comes back.
        asides = [r for r in records if r.get("op") == "aside"]
        # (If the move itself never happened, the original is still in place: it stays too.)
        set_aside = {r["src"] for r in asides}
        for record in reversed(records):
            if record.get("op") == "install":
                _undo_install(record, keep=set_aside)
            elif record.get("op") == "remove":
                _undo_remove(record)
        for record in reversed(asides):
            if os.path.lexists(record["dst"]):
                if os.path.lexists(record["src"]) and not os.path.isdir(record["src"]):
                    os.unlink(record["src"])
                _move(record["dst"], record["src"])
        outcome = "rolled back"
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    os.unlink(path)
    return outcome


def _undo_install(record: dict[str, Any], *, keep: set[str]) -> None:
    """Delete what an install created; paths in ``keep`` are restored by their aside record."""
    site = record["site"]
    folders: set[str] = set()
    for p in record["paths"]:
        if p in keep:
            continue
        try:
            if os.path.isdir(p) and not os.path.islink(p):
                continue
            os.unlink(p)
        except FileNotFoundError:
            pass
        folders.add(os.path.dirname(p))
    dist_info = record["dist_info"]
    shutil.rmtree(dist_info, ignore_errors=True)
    # The dist-info being assembled under a temporary name (installer.install._write).
    prefix = f".{os.path.basename(dist_info)}.spoke-"
    try:
        for entry in os.scandir(site):
            if entry.name.startswith(prefix):
                shutil.rmtree(entry.path, ignore_errors=True)
    except OSError:
        pass
    _remove_empty(folders, stop=site)


def _undo_remove(record: dict[str, Any]) -> None:
    for folder in record.get("dirs", []):
        os.makedirs(folder, exist_ok=True)
    for src, dst in reversed(record["moves"]):
        if os.path.lexists(dst) and not os.path.lexists(src):
            _move(dst, src)


def _remove_empty(folders: set[str], *, stop: str) -> None:
    """Remove folders left empty (deepest first), never ``stop`` or anything above it."""
    stop = os.path.normpath(stop)
    for folder in sorted(folders, key=lambda d: -d.count(os.sep)):
        current = os.path.normpath(folder)
        while current.startswith(stop + os.sep):
            try:
                os.rmdir(current)
            except OSError:
                break
            current = os.path.dirname(current)
