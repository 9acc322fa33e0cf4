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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spoke.cache.atomic import write_all
from spoke.errors import (
    ConfigurationError,
    InstallError,
    MetadataError,
    UnsafeArchiveError,
)
from spoke.installer.record import format_record_rows, record_path
from spoke.installer.scripts import (
    EntryPointScript,
    launcher_script,
    needs_shebang_rewrite,
    parse_entry_points,
    rewrite_shebang,
)
from spoke.installer.transaction import checkpoint
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

    ``paths`` are strings (an install writes thousands; they are only ever handed to ``os``).
    ``linked`` counts the files that are hard links into the cache; the rest were written.
    """

    dist_info: Path
    paths: tuple[str, ...]
    linked: int = 0


@dataclass(slots=True, kw_only=True)
class Placement:
    """One file to install: ``source`` (a path in the wheel, or ``""`` for generated files),
    ``dest`` (absolute), ``record`` (the path as RECORD writes it) and for written files
    their ``content`` and ``mode``.

    A placement without ``content`` is linked (or copied) from the cache; ``hash`` and
    ``size`` come from the unpacked wheel's record then, and are computed otherwise. Paths
    are strings joined with ``/``: an install plans thousands of them.
    """

    source: str
    dest: str
    record: str
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


def _check_relative(path: str, where: str, base: object) -> None:
    """Refuse a ``/``-separated relative path with an empty, ``.`` or ``..`` part, a backslash
    or a NUL; the installer's one traversal guard.

    The unpacker already refused unsafe names, but an :class:`UnpackedWheel` is just a value:
    this is the check that holds for whatever built it.
    """
    framed = f"/{path}/"
    if "/../" in framed or "/./" in framed or "//" in framed or "\\" in path or "\x00" in path:
        raise UnsafeArchiveError(f"Refusing to install `{where}`: it would escape {base}")


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
    site_s = os.path.normpath(site)
    interpreter = str(interpreter_path)
    dist_name = wheel.dist_info[: -len(".dist-info")].rpartition("-")[0]
    dist_info_dir = site / wheel.dist_info
    files: dict[str, Placement] = {}
    dist_info_files: list[Placement] = []
    bases: dict[str, tuple[str, str]] = {}  # .data key -> (folder, its path as RECORD writes it)
    for path, hash_, size in wheel.record:
        top, _, rest = path.partition("/")
        if top != wheel.data_dir:
            if top == wheel.dist_info and rest in _REGENERATED:
                continue
            _check_relative(path, path, site_s)
            placement = Placement(source=path, dest=f"{site_s}/{path}", record=path, hash=hash_, size=size)
            if top == wheel.dist_info:
                dist_info_files.append(placement)
            else:
                files[placement.dest] = placement
            continue
        key, _, sub = rest.partition("/")
        if not sub:
            raise MetadataError(f"{wheel.filename}: `{path}` is not inside a `.data/<scheme>/` folder")
        if key not in DATA_KEYS:
            raise MetadataError(
                f"{wheel.filename}: unknown `.data` folder `{key}` in `{path}`",
                notes=[f"known folders: {', '.join(DATA_KEYS)}"],
            )
        if key not in bases:
            base = scheme.path_for(key)
            if key == "headers":
                # Scheme.headers is shared by every distribution; each gets its own subfolder,
                # as pip's schemes give (include/site/pythonX.Y/<name>).
                _check_relative(dist_name, path, base)
                base = base / dist_name
            base_s = os.path.normpath(base)
            rel = record_path(base_s, site_s)
            bases[key] = (base_s, "" if rel == "." else rel + "/")
        base_s, rel = bases[key]
        _check_relative(sub, path, base_s)
        placement = Placement(source=path, dest=f"{base_s}/{sub}", record=rel + sub, hash=hash_, size=size)
        if key == "scripts":
            placement = _script_placement(wheel, placement, interpreter)
        files[placement.dest] = placement
    scripts = os.path.normpath(scheme.scripts)
    scripts_rel = record_path(scripts, site_s)
    for entry in _entry_points(wheel):
        if "/" in entry.name:
            raise UnsafeArchiveError(f"Refusing to install `entry point {entry.name}`: it would escape {scripts}")
        _check_relative(entry.name, f"entry point {entry.name}", scripts)
        content = launcher_script(entry, interpreter)
        dest = f"{scripts}/{entry.name}"
        files[dest] = Placement(source="", dest=dest, record=f"{scripts_rel}/{entry.name}", content=content,
                                mode=0o755)
    dist_info_files += _metadata_files(f"{site_s}/{wheel.dist_info}", wheel.dist_info, requested=requested,
                                       installer=installer, direct_url=direct_url)
    return InstallPlan(
        site=site, dist_info=dist_info_dir, files=tuple(files.values()), dist_info_files=tuple(dist_info_files)
    )


def _script_placement(wheel: UnpackedWheel, placement: Placement, interpreter: str) -> Placement:
    """A ``.data/scripts`` file: rewritten when it starts with ``#!python``, else linked."""
    src = wheel.root.joinpath(*placement.source.split("/"))
    with open(src, "rb") as fh:
        head = fh.read(8)
    if needs_shebang_rewrite(head):
        content = rewrite_shebang(src.read_bytes(), interpreter)
        placement.content, placement.mode, placement.hash, placement.size = content, 0o755, "", None
        return placement
    # A script must be executable; the cache's file cannot be chmod-ed (it is shared), so a
    # non-executable one is copied and made executable.
    placement.make_executable = not os.stat(src).st_mode & 0o111
    return placement


def _entry_points(wheel: UnpackedWheel) -> tuple[EntryPointScript, ...]:
    path = wheel.root / wheel.dist_info / "entry_points.txt"
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return ()
    return parse_entry_points(text, source=f"{wheel.filename}:{wheel.dist_info}/entry_points.txt")


def _metadata_files(
    dist_info: str, record_dir: str, *, requested: bool, installer: str, direct_url: str | None,
) -> list[Placement]:
    def made(name: str, content: bytes) -> Placement:
        return Placement(source="", dest=f"{dist_info}/{name}", record=f"{record_dir}/{name}", content=content)

    out = [made("INSTALLER", f"{installer}\n".encode())]
    if requested:
        out.append(made("REQUESTED", b""))
    if direct_url is not None:
        out.append(made("direct_url.json", direct_url.encode("utf-8")))
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
    made: set[str] = field(default_factory=set)

    def place(self, src: str, dest: str, *, force_copy: bool = False) -> None:
        parent = dest.rpartition("/")[0]
        if parent not in self.made:
            # One mkdir per folder, not per file: wheels like botocore hold thousands of files.
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)
        if self.mode != "copy" and self.can_link and not force_copy:
            try:
                try:
                    os.link(src, dest)  # the hot path: one system call per file
                except FileExistsError:
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

        def copy(tmp: str) -> None:
            # Exclusive create: copying over an existing file would write through a link
            # into the cache.
            with open(src, "rb") as fin, open(tmp, "xb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
            mode = stat.S_IMODE(os.stat(src).st_mode)
            if force_copy:
                mode |= (mode & 0o444) >> 2
            os.chmod(tmp, mode)

        _replace_with(dest, copy, self.transaction)


def _replace_with(dest: str, make: Callable[[str], None], transaction: Any = None) -> None:
    """Create ``dest`` with ``make(path)``; an existing file is replaced by a rename.

    Within a transaction the existing file is first set aside (journaled), so undoing the
    install puts it back.
    """
    try:
        make(dest)
        return
    except FileExistsError:
        pass
    if transaction is not None:
        transaction.set_aside(dest)
        make(dest)
        return
    folder, _, name = dest.rpartition("/")
    tmp = f"{folder}/.{name}.spoke-{secrets.token_hex(4)}"
    try:
        make(tmp)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_new(dest: str, content: bytes, mode: int, transaction: Any = None) -> None:
    def make(path: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            write_all(fd, content)
        finally:
            os.close(fd)
        os.chmod(path, mode)

    os.makedirs(dest.rpartition("/")[0], exist_ok=True)
    _replace_with(dest, make, transaction)


def _write(plan: InstallPlan, root: Path, link_mode: str, transaction: Any = None) -> InstalledFiles:
    """The one write path of an install (see the module docstring for the order).

    The hot loop of every install: one placement per file, ``str`` paths, ``os`` calls.
    """
    linker = _Linker(mode=link_mode, transaction=transaction)
    written: list[str] = []
    rows: list[tuple[str, str, int | None]] = []
    root_s = str(root)
    final = os.path.normpath(plan.dist_info)
    staging = f"{os.path.dirname(final)}/.{plan.dist_info.name}.spoke-{secrets.token_hex(4)}"

    def put(p: Placement, dest: str) -> None:
        checkpoint("install-file")
        if p.content is not None:
            _write_new(dest, p.content, p.mode, transaction)
            rows.append((p.record, _sha256_entry(p.content), len(p.content)))
        else:
            linker.place(f"{root_s}/{p.source}", dest, force_copy=p.make_executable)
            rows.append((p.record, p.hash, p.size))
        written.append(p.dest)

    try:
        for p in plan.files:
            put(p, p.dest)
        os.makedirs(staging)
        for p in plan.dist_info_files:
            put(p, staging + p.dest[len(final):])
        rows.append((f"{plan.dist_info.name}/RECORD", "", None))
        _write_new(f"{staging}/RECORD", format_record_rows(rows), 0o644)
        written.append(f"{final}/RECORD")
        checkpoint("publish-dist-info")
        _publish_dist_info(staging, final)
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


def _publish_dist_info(staging: str, final: str) -> None:
    """Rename the finished dist-info into place, replacing a leftover one."""
    try:
        os.rename(staging, final)
        return
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
    folder, _, name = final.rpartition("/")
    old = f"{folder}/.{name}.spoke-old-{secrets.token_hex(4)}"
    os.rename(final, old)
    os.rename(staging, final)
    shutil.rmtree(old, ignore_errors=True)
