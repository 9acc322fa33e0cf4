"""Link an unpacked wheel from the cache into a target environment (PEP 427 / 491 / 376).

Two steps. :func:`plan_install` is pure: it maps every member of the unpacked wheel to its
destination (root → purelib or platlib, ``<name>.data/<key>/…`` → the scheme's ``key``) and
says which files are linked and which are written fresh. :func:`install_wheel` then runs the
one write path, :func:`_write`, in an order that keeps the target consistent at every instant:

1. package files, ``.data`` files, scripts (linked, or written when generated or rewritten);
2. the ``.dist-info`` folder, assembled under a temporary name beside its final place, with
   INSTALLER, REQUESTED, direct_url.json and RECORD written last;
3. one rename makes the distribution visible.

A crash therefore never leaves a ``.dist-info`` whose RECORD claims files that do not exist.

Files are hard links to the cache's copy (like uv): an install is metadata operations, not a
copy out of a zip. Any file whose content changes on the way (``#!python`` scripts) or that
spoke generates (launchers, RECORD, INSTALLER, ...) is written as a new file, so the cache is
never modified through a link. An existing destination is replaced by a rename, never written
in place, for the same reason: it may itself be a link into the cache.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import secrets
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spoke.errors import ConfigurationError, InstallError, MetadataError, UnsafeArchiveError
from spoke.installer.record import RecordEntry, format_record, record_path
from spoke.installer.transaction import checkpoint
from spoke.installer.scripts import (
    EntryPointScript,
    launcher_script,
    needs_shebang_rewrite,
    parse_entry_points,
    rewrite_shebang,
)
from spoke.models import Scheme, UnpackedWheel

LINK_MODES = ("auto", "copy", "hardlink")
#: The ``.data`` subfolders PEP 427 defines, each a key of :class:`~spoke.models.Scheme`.
DATA_KEYS = ("purelib", "platlib", "scripts", "headers", "data")
#: dist-info files of the wheel that the installer writes itself (and signatures that would
#: no longer match the RECORD it writes).
_REGENERATED = frozenset({"RECORD", "RECORD.jws", "RECORD.p7s", "INSTALLER", "REQUESTED", "direct_url.json"})


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledFiles:
    """What :func:`install_wheel` wrote: every absolute path (RECORD last) and the dist-info.

    ``linked`` counts the files that are hard links into the cache; the rest were written.
    """

    dist_info: Path
    paths: tuple[Path, ...]
    linked: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """One file to install: ``source`` (a path in the wheel, or ``""`` for generated files),
    ``dest`` (absolute), and for written files their ``content`` and ``mode``.

    A placement without ``content`` is linked (or copied) from the cache; ``hash`` and
    ``size`` come from the unpacked wheel's record then, and are computed otherwise.
    """

    source: str
    dest: Path
    hash: str = ""
    size: int | None = None
    content: bytes | None = field(default=None, repr=False)
    mode: int = 0o644
    make_executable: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallPlan:
    """Every write of one install: ``files`` outside the dist-info, then ``dist_info_files``.

    ``site`` is the folder holding the dist-info (RECORD paths are relative to it).
    """

    site: Path
    dist_info: Path
    files: tuple[Placement, ...]
    dist_info_files: tuple[Placement, ...]


def _join(base: Path, parts: list[str], where: str) -> Path:
    """``base`` joined with ``parts``; the installer's one traversal guard.

    The unpacker already refused unsafe names, but an :class:`UnpackedWheel` is just a value:
    this is the check that holds for whatever built it.
    """
    for part in parts:
        if part in ("", ".", "..") or "/" in part or "\\" in part or "\x00" in part:
            raise UnsafeArchiveError(f"Refusing to install `{where}`: it would escape {base}")
    return base.joinpath(*parts)


def _sha256_entry(data: bytes) -> str:
    # (spoke.prepare has the same helper; the layers do not import each other.)
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def plan_install(
    wheel: UnpackedWheel,
    *,
    scheme: Scheme,
    interpreter_path: Path,
    requested: bool,
    installer: str = "spoke",
    direct_url: str | None = None,
) -> InstallPlan:
    """Decide every destination and every generated file; read only small files in the cache.

    Raises :class:`MetadataError` for an unknown ``.data`` key and :class:`UnsafeArchiveError`
    for a path that would leave its scheme folder.
    """
    site = scheme.purelib if wheel.root_is_purelib else scheme.platlib
    interpreter = str(interpreter_path)
    dist_name = wheel.dist_info[: -len(".dist-info")].rpartition("-")[0]
    dist_info_dir = site / wheel.dist_info
    files: dict[Path, Placement] = {}
    dist_info_files: list[Placement] = []
    for path, hash_, size in wheel.record:
        parts = path.split("/")
        if parts[0] == wheel.dist_info:
            if len(parts) == 2 and parts[1] in _REGENERATED:
                continue
            dest = _join(site, parts, path)
            dist_info_files.append(Placement(source=path, dest=dest, hash=hash_, size=size))
            continue
        if parts[0] != wheel.data_dir:
            files[_join(site, parts, path)] = Placement(source=path, dest=_join(site, parts, path), hash=hash_, size=size)
            continue
        if len(parts) < 3:
            raise MetadataError(f"{wheel.filename}: `{path}` is not inside a `.data/<scheme>/` folder")
        key = parts[1]
        if key not in DATA_KEYS:
            raise MetadataError(
                f"{wheel.filename}: unknown `.data` folder `{key}` in `{path}`",
                notes=[f"known folders: {', '.join(DATA_KEYS)}"],
            )
        base = scheme.path_for(key)
        if key == "headers":
            # Scheme.headers is shared by every distribution; each gets its own subfolder,
            # as pip's schemes give (include/site/pythonX.Y/<name>).
            base = _join(base, [dist_name], path)
        dest = _join(base, parts[2:], path)
        placement = Placement(source=path, dest=dest, hash=hash_, size=size)
        if key == "scripts":
            placement = _script_placement(wheel, placement, interpreter)
        files[dest] = placement
    for entry in _entry_points(wheel):
        dest = _join(scheme.scripts, [entry.name], f"entry point {entry.name}")
        content = launcher_script(entry, interpreter)
        files[dest] = Placement(source="", dest=dest, content=content, mode=0o755)
    dist_info_files += _metadata_files(dist_info_dir, requested=requested, installer=installer, direct_url=direct_url)
    return InstallPlan(site=site, dist_info=dist_info_dir, files=tuple(files.values()), dist_info_files=tuple(dist_info_files))


def _script_placement(wheel: UnpackedWheel, placement: Placement, interpreter: str) -> Placement:
    """A ``.data/scripts`` file: rewritten when it starts with ``#!python``, else linked."""
    src = wheel.root.joinpath(*placement.source.split("/"))
    with open(src, "rb") as fh:
        head = fh.read(8)
    if needs_shebang_rewrite(head):
        content = rewrite_shebang(src.read_bytes(), interpreter)
        return Placement(source=placement.source, dest=placement.dest, content=content, mode=0o755)
    executable = bool(os.stat(src).st_mode & 0o111)
    # A script must be executable; the cache's file cannot be chmod-ed (it is shared), so a
    # non-executable one is copied and made executable.
    return Placement(
        source=placement.source, dest=placement.dest, hash=placement.hash, size=placement.size,
        make_executable=not executable,
    )


def _entry_points(wheel: UnpackedWheel) -> tuple[EntryPointScript, ...]:
    path = wheel.root / wheel.dist_info / "entry_points.txt"
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return ()
    return parse_entry_points(text, source=f"{wheel.filename}:{wheel.dist_info}/entry_points.txt")


def _metadata_files(dist_info: Path, *, requested: bool, installer: str, direct_url: str | None) -> list[Placement]:
    out = [Placement(source="", dest=dist_info / "INSTALLER", content=f"{installer}\n".encode())]
    if requested:
        out.append(Placement(source="", dest=dist_info / "REQUESTED", content=b""))
    if direct_url is not None:
        out.append(Placement(source="", dest=dist_info / "direct_url.json", content=direct_url.encode("utf-8")))
    return out


def install_wheel(
    wheel: UnpackedWheel,
    *,
    scheme: Scheme,
    interpreter_path: Path,
    requested: bool,
    installer: str = "spoke",
    direct_url: str | None = None,
    link_mode: str = "auto",
    transaction: Any = None,
) -> InstalledFiles:
    """Install ``wheel`` into ``scheme``; return every path written.

    ``link_mode``: ``"auto"`` hard-links and falls back to copying when the filesystem refuses
    (another device, no permission); ``"hardlink"`` fails instead; ``"copy"`` always copies.
    Files already at a destination are replaced; removing an older version first is the
    caller's job. ``direct_url`` is the PEP 610 JSON text, written as given. A
    ``transaction`` (:class:`~spoke.installer.transaction.Transaction`) journals every path
    first, so an interrupted install can be undone.
    """
    if link_mode not in LINK_MODES:
        raise ConfigurationError(
            f"Unknown link mode `{link_mode}`", hint=f"Use one of: {', '.join(LINK_MODES)}."
        )
    plan = plan_install(
        wheel, scheme=scheme, interpreter_path=interpreter_path, requested=requested,
        installer=installer, direct_url=direct_url,
    )
    if transaction is not None:
        transaction.before_install(plan.site, plan.dist_info, [p.dest for p in plan.files])
    return _write(plan, wheel.root, link_mode, transaction)


@dataclass(slots=True)
class _Linker:
    """Links or copies files from the cache; remembers when linking stopped working."""

    mode: str
    transaction: Any = None
    can_link: bool = True
    linked: int = 0
    made: set[Path] = field(default_factory=set)

    def place(self, src: Path, dest: Path, *, force_copy: bool = False) -> None:
        parent = dest.parent
        if parent not in self.made:
            # One mkdir per folder, not per file: wheels like botocore hold thousands of files.
            parent.mkdir(parents=True, exist_ok=True)
            self.made.add(parent)
        if self.mode != "copy" and self.can_link and not force_copy:
            try:
                _replace_with(dest, lambda tmp: os.link(src, tmp), self.transaction)
                self.linked += 1
                return
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                    raise  # not a linking problem: copying would fail the same way
                if self.mode == "hardlink":
                    raise InstallError(
                        f"Cannot hard-link {dest} to the cache: {exc.strerror or exc}",
                        hint="The cache and the target must be on one filesystem; use "
                        "`--link-mode=copy`, or put the cache beside the environment.",
                    ) from None
                if exc.errno != errno.EMLINK:
                    # EXDEV, EPERM, ENOTSUP...: the same would happen for every file. (EMLINK,
                    # too many links to one cache file, concerns this file only.)
                    self.can_link = False

        def copy(tmp: Path) -> None:
            # Exclusive create: copying over an existing file would write through a link
            # into the cache.
            with open(src, "rb") as fin, open(tmp, "xb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
            mode = stat.S_IMODE(os.stat(src).st_mode)
            if force_copy:
                mode |= (mode & 0o444) >> 2
            os.chmod(tmp, mode)

        _replace_with(dest, copy, self.transaction)


def _replace_with(dest: Path, make: object, transaction: Any = None) -> None:
    """Create ``dest`` with ``make(path)``; an existing file is replaced by a rename.

    Within a transaction the existing file is first set aside (journaled), so undoing the
    install puts it back.
    """
    try:
        make(dest)  # type: ignore[operator]
        return
    except FileExistsError:
        pass
    if transaction is not None:
        transaction.set_aside(dest)
        make(dest)  # type: ignore[operator]
        return
    tmp = dest.with_name(f".{dest.name}.spoke-{secrets.token_hex(4)}")
    try:
        make(tmp)  # type: ignore[operator]
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_new(dest: Path, content: bytes, mode: int, transaction: Any = None) -> None:
    def make(path: Path) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(path, mode)

    dest.parent.mkdir(parents=True, exist_ok=True)
    _replace_with(dest, make, transaction)


def _write(plan: InstallPlan, root: Path, link_mode: str, transaction: Any = None) -> InstalledFiles:
    """The one write path of an install (see the module docstring for the order).

    Kept as a single function so that a journal can later wrap each step.
    """
    linker = _Linker(mode=link_mode, transaction=transaction)
    written: list[Path] = []
    record: list[RecordEntry] = []
    staging = plan.site / f".{plan.dist_info.name}.spoke-{secrets.token_hex(4)}"

    def put(p: Placement, dest: Path) -> None:
        checkpoint("install-file")
        if p.content is not None:
            _write_new(dest, p.content, p.mode, transaction)
            entry_hash, size = _sha256_entry(p.content), len(p.content)
        else:
            linker.place(root.joinpath(*p.source.split("/")), dest, force_copy=p.make_executable)
            entry_hash, size = p.hash, p.size
        record.append(RecordEntry(path=record_path(p.dest, plan.site), hash=entry_hash, size=size))
        written.append(p.dest)

    try:
        for p in plan.files:
            put(p, p.dest)
        staging.mkdir(parents=True)
        for p in plan.dist_info_files:
            put(p, staging / p.dest.relative_to(plan.dist_info))
        record_file = plan.dist_info / "RECORD"
        record.append(RecordEntry(path=record_path(record_file, plan.site)))
        _write_new(staging / "RECORD", format_record(record), 0o644)
        written.append(record_file)
        checkpoint("publish-dist-info")
        _publish_dist_info(staging, plan.dist_info)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InstallError(
            f"Cannot install {plan.dist_info.name[: -len('.dist-info')]}: {exc}",
            notes=[f"{len(written)} files were written before the failure"],
            hint="Check that the target folder exists, is a folder and is writable "
            "(a virtual environment you own avoids permission problems).",
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return InstalledFiles(dist_info=plan.dist_info, paths=tuple(written), linked=linker.linked)


def _publish_dist_info(staging: Path, final: Path) -> None:
    """Rename the finished dist-info into place, replacing a leftover one."""
    try:
        os.rename(staging, final)
        return
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
    old = final.with_name(f".{final.name}.spoke-old-{secrets.token_hex(4)}")
    os.rename(final, old)
    os.rename(staging, final)
    shutil.rmtree(old, ignore_errors=True)
