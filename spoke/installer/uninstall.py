"""Remove an installed distribution: from its RECORD, or a legacy ``installed-files.txt``.

:func:`plan_uninstall` computes everything that would go (files, their ``__pycache__``
bytecode, folders left empty, the metadata folder) and checks every path against the
environment's roots; it changes nothing, so ``--dry-run`` and the confirmation prompt use it.
:func:`uninstall` executes that plan. A RECORD is data from whoever built the package: a row
like ``../../../../etc/passwd`` must never make an uninstall delete outside the environment,
so any path outside the roots refuses the whole uninstall before anything is removed.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spoke.errors import SpokeError, UninstallError
from spoke.installer.record import parse_record


@dataclass(frozen=True, slots=True, kw_only=True)
class RemovedFiles:
    """What an uninstall removes (or removed): ``files``, then ``dirs`` deepest first.

    ``dirs`` are the folders left empty, the metadata folder among them. Iterating yields
    every path, files first, so the CLI can list them.
    """

    name: str
    dist_info: Path
    files: tuple[Path, ...]
    dirs: tuple[Path, ...]

    @property
    def paths(self) -> tuple[Path, ...]:
        """Files, then folders."""
        return self.files + self.dirs

    def __iter__(self) -> Iterator[Path]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.files) + len(self.dirs)


def _dist_name(meta_dir: Path) -> str:
    # The name part of `name-1.0.dist-info` / `name-1.0-py3.11.egg-info` never holds a `-`.
    return meta_dir.name.split("-", 1)[0]


def _norm(path: str | Path) -> str:
    return os.path.normpath(os.path.abspath(path))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _declared_files(meta_dir: Path, name: str) -> list[str]:
    """Every path the metadata folder claims, absolute and normalized."""
    if meta_dir.name.endswith(".dist-info"):
        try:
            text = (meta_dir / "RECORD").read_text("utf-8")
        except FileNotFoundError:
            raise UninstallError(
                f"Cannot uninstall {name}: no RECORD file",
                notes=[f"{meta_dir} lists no files"],
                hint=f"It was installed by a tool that keeps no record. Reinstall it with "
                f"`spoke install --force-reinstall {name}` and uninstall again, or delete "
                f"its files and {meta_dir.name} by hand.",
            ) from None
        base = meta_dir.parent
        return [_norm(base / e.path) for e in parse_record(text)]
    if meta_dir.name.endswith(".egg-info"):
        listing = meta_dir / "installed-files.txt"
        if meta_dir.is_dir() and listing.is_file():
            # setuptools writes these paths relative to the egg-info folder itself.
            lines = listing.read_text("utf-8").splitlines()
            return [_norm(meta_dir / line.strip()) for line in lines if line.strip()]
        raise UninstallError(
            f"Cannot uninstall {name}: it is a distutils-installed project without a file list",
            notes=[f"{meta_dir} has no installed-files.txt"],
            hint="spoke cannot tell which files belong to it; remove them by hand, then "
            f"delete {meta_dir}.",
        )
    raise UninstallError(f"Cannot uninstall {name}: `{meta_dir}` is not a .dist-info or .egg-info folder")


def _entry_point_scripts(meta_dir: Path, scripts_dir: Path) -> list[str]:
    from spoke.installer.scripts import parse_entry_points

    try:
        text = (meta_dir / "entry_points.txt").read_text("utf-8")
        entries = parse_entry_points(text)
    except (OSError, SpokeError, UnicodeDecodeError):
        return []  # a broken entry_points.txt must not block removal of the rest
    return [_norm(scripts_dir / e.name) for e in entries]


def _bytecode_of(path: str) -> list[str]:
    """The compiled files of a ``.py`` file that exist: ``__pycache__/x.*.pyc`` and ``x.pyc``."""
    if not path.endswith(".py"):
        return []
    folder, filename = os.path.split(path)
    # x.cpython-311.pyc, x.cpython-311.opt-1.pyc, x.pypy38.pyc — but not x.y.cpython-311.pyc.
    pattern = re.compile(re.escape(filename[:-3]) + r"\.[A-Za-z0-9_-]+(\.opt-[12])?\.pyc")
    found = []
    cache = os.path.join(folder, "__pycache__")
    try:
        for entry in os.scandir(cache):
            if pattern.fullmatch(entry.name):
                found.append(entry.path)
    except OSError:
        pass
    for legacy in (path + "c", path + "o"):
        if os.path.lexists(legacy):
            found.append(legacy)
    return found


def plan_uninstall(
    dist_info: Path, *, roots: Sequence[Path], scripts_dir: Path | None = None
) -> RemovedFiles:
    """Everything an uninstall of ``dist_info`` would remove; removes nothing.

    ``roots`` are the environment's prefixes (``sys.prefix``, a ``--target`` folder...): a
    listed path outside all of them raises :class:`UninstallError` naming it. ``scripts_dir``
    adds the entry-point scripts the metadata declares (found there when they exist).
    """
    meta_dir = Path(_norm(dist_info))
    name = _dist_name(meta_dir)
    declared = _declared_files(meta_dir, name)
    if scripts_dir is not None:
        declared += _entry_point_scripts(meta_dir, scripts_dir)
    real_roots = [os.path.realpath(r) for r in roots]
    outside = [
        p
        for p in declared
        # The parent is resolved (a venv's lib64 → lib), the file itself is not: removing a
        # symlink removes the link, never its target.
        if not any(
            _inside(os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p)), r) for r in real_roots
        )
    ]
    if outside:
        raise UninstallError(
            f"Cannot uninstall {name}: its file list names paths outside the environment",
            notes=[f"outside: {p}" for p in outside[:10]]
            + [f"environment roots: {', '.join(str(r) for r in roots)}"],
            hint="Nothing was removed. The metadata in "
            f"{meta_dir} may be corrupt or malicious; inspect it and remove the files by hand.",
        )
    site = _norm(meta_dir.parent)
    protected = {_norm(r) for r in roots} | {site}
    files: dict[str, None] = {}
    for path in declared:
        if path in protected or path == str(meta_dir) or _inside(path, str(meta_dir)):
            continue  # the metadata folder is walked below
        if os.path.isdir(path) and not os.path.islink(path):
            continue  # folders go only when left empty
        if os.path.lexists(path):
            files[path] = None
        for pyc in _bytecode_of(path):
            files[pyc] = None
    meta_dirs: list[str] = []
    if meta_dir.is_dir():
        for folder, _dirnames, filenames in os.walk(meta_dir):
            meta_dirs.append(folder)
            for filename in filenames:
                files[os.path.join(folder, filename)] = None
    elif os.path.lexists(meta_dir):
        files[str(meta_dir)] = None
    dirs = _emptied_dirs(files, meta_dirs, protected, [_norm(r) for r in roots])
    return RemovedFiles(
        name=name, dist_info=meta_dir, files=tuple(Path(f) for f in files),
        dirs=tuple(Path(d) for d in dirs),
    )


def _emptied_dirs(files: dict[str, None], meta_dirs: list[str], protected: set[str], roots: list[str]) -> list[str]:
    """Folders that hold nothing but removed things once the files go, deepest first."""
    candidates: set[str] = set(meta_dirs)
    for path in files:
        folder = os.path.dirname(path)
        while folder not in protected and any(_inside(folder, r) for r in roots) and folder not in candidates:
            candidates.add(folder)
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    candidates -= protected
    removed: set[str] = set(files)
    emptied: list[str] = []
    for folder in sorted(candidates, key=lambda d: (-d.count(os.sep), d)):
        try:
            entries = [e.path for e in os.scandir(folder)]
        except OSError:
            continue
        if all(e in removed for e in entries):
            emptied.append(folder)
            removed.add(folder)
    return emptied


def uninstall(
    dist_info: Path, *, roots: Sequence[Path], scripts_dir: Path | None = None, transaction: Any = None,
) -> RemovedFiles:
    """Remove the distribution whose metadata folder is ``dist_info``; return what went.

    The plan (:func:`plan_uninstall`) is computed and checked first, so a refused uninstall
    removes nothing. Files already gone are skipped; a folder that gained new files since
    the plan is left in place.
    """
    plan = plan_uninstall(dist_info, roots=roots, scripts_dir=scripts_dir)
    if transaction is not None:
        # Files are moved aside (journaled), so an interrupted change can put them back.
        try:
            transaction.remove_files(plan.files, plan.dirs)
        except OSError as exc:
            raise UninstallError(
                f"Cannot uninstall {plan.name}: {exc.strerror or exc}",
                hint="Check the permissions of the environment.",
            ) from exc
        return plan
    for path in plan.files:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise UninstallError(
                f"Cannot uninstall {plan.name}: cannot remove {path}: {exc.strerror or exc}",
                hint="Check the permissions of the environment (a system Python may need "
                "a virtual environment instead).",
            ) from exc
    for folder in plan.dirs:
        try:
            os.rmdir(folder)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTEMPTY, errno.EEXIST):
                raise UninstallError(
                    f"Cannot uninstall {plan.name}: cannot remove {folder}: {exc.strerror or exc}"
                ) from exc
    if plan.dist_info.is_dir():
        # Something appeared in the metadata folder after the plan: it belongs to this
        # distribution all the same, and a half-removed dist-info would confuse every tool.
        shutil.rmtree(plan.dist_info, ignore_errors=True)
    return plan
