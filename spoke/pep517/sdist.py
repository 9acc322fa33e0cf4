"""Unpack a source distribution, checking every member before anything is written.

An sdist is arbitrary bytes from the network, and unlike a wheel it is a tar file as often as a
zip, with the richer (and more dangerous) vocabulary of tar: symbolic and hard links, devices,
FIFOs, sparse files, names that repeat. Unpacking therefore runs in two passes:

1. **Preflight** reads the whole member list (tar headers, or the zip central directory) and
   refuses the archive if any member is unsafe: an absolute name, a ``..`` component, a drive
   letter or backslash, a name that repeats, a member below a file or a link, a link whose
   target leaves the tree, a device or FIFO, too many members, too many bytes, or a
   compression ratio no real archive has. Nothing has been written when it refuses.
2. **Writing** goes into a fresh hidden folder beside ``dest`` that is renamed to ``dest`` at
   the end, so a failure half-way (corrupt data, a member that decompresses to more bytes than
   it declared) leaves nothing behind either. Sizes are counted while streaming, never trusted.
   Symbolic links are created last and no member may sit below one, so no write ever passes
   through a link. Hard links are written as copies of their (earlier, regular) target.

Modes: a member that is executable for anyone becomes executable wherever it is readable (as
pip does, under the umask); setuid, setgid and sticky bits are never set.

The stdlib's ``tarfile.data_filter`` (Python 3.12, and security releases of 3.10/3.11) is
consulted as a second opinion when present; it is never the only line of defence.

Preflight itself must not be the weak spot: tarfile reads an extended header (pax records, GNU
long names) into memory whole and parses chained ones recursively, so such headers are bounded
before tarfile reads them (:class:`_GuardedTarInfo`); a zip's layout is checked as a wheel's is
(:func:`spoke.models.zipformat.zip_layout_problem`: local headers against the central directory,
no prepended or unlisted bytes); names, link targets and link resolution have bounded cost.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from spoke.errors import BuildError, UnsafeArchiveError
from spoke.models.archive import DRIVE as _DRIVE
from spoke.models.archive import member_name_problem
from spoke.models.archive import printable as _printable
from spoke.models.zipformat import zip_layout_problem

__all__ = ["DEFAULT_SDIST_LIMITS", "SDIST_SUFFIXES", "SdistLimits", "unpack_sdist"]

#: Archive suffixes spoke unpacks, and the ``tarfile`` mode of each (``None``: zip).
SDIST_SUFFIXES: dict[str, str | None] = {
    ".tar.gz": "r:gz",
    ".tgz": "r:gz",
    ".tar.bz2": "r:bz2",
    ".tbz": "r:bz2",
    ".tar.xz": "r:xz",
    ".txz": "r:xz",
    ".tar": "r:",
    ".zip": None,
}

_CHUNK = 1 << 20
#: What reading a damaged tar raises: gzip and bz2 raise OSError, xz its own error.
_TAR_ERRORS: tuple[type[BaseException], ...] = (tarfile.TarError, OSError, EOFError, zlib.error)
try:
    import lzma

    _TAR_ERRORS += (lzma.LZMAError,)
except ImportError:  # pragma: no cover - a Python built without lzma
    pass
#: Bytes a tar may carry after its end-of-archive blocks (writers pad to 10 KiB records).
_MAX_TRAILER = 16 << 20
#: More symbolic links than this on one path is a loop (Linux's own limit is 40).
_MAX_LINK_HOPS = 40
#: A symbolic link's target (a zip stores it as the member's data); no real target is longer.
_MAX_LINK_TARGET = 4096
#: Steps of symbolic link resolution for a whole archive; a real sdist needs a few dozen.
_MAX_LINK_STEPS = 1_000_000
#: tar headers that tarfile reads into memory whole (pax records, GNU long names): real ones
#: hold a long path or a few attributes, and at most a few precede one member.
_EXTENDED_TYPES = frozenset({
    tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK,
})
_MAX_EXTENDED_HEADER = 1 << 20
_MAX_EXTENDED_CHAIN = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class SdistLimits:
    """Bounds that refuse an archive bomb before it fills the disk.

    Sizes are enforced while streaming, so the declared ones bound what is written; once the
    members declare more than ``ratio_floor`` bytes in total, they may declare at most
    ``max_ratio`` times the archive's size. The ratio is the whole archive's (as for wheels,
    see :class:`spoke.prepare.unpack.UnpackLimits`): a tar is compressed as one stream, and a
    single member of test data can legitimately compress 1000 to 1.
    """

    max_members: int = 100_000
    max_total_size: int = 4 << 30
    max_ratio: int = 200
    ratio_floor: int = 16 << 20


DEFAULT_SDIST_LIMITS = SdistLimits()


def unpack_sdist(archive: Path, dest: Path, *, limits: SdistLimits = DEFAULT_SDIST_LIMITS) -> Path:
    """Unpack the source archive ``archive`` into ``dest`` and return the project's root.

    ``dest`` must not exist or be an empty folder. The root is the archive's single top-level
    folder when it has one (every real sdist does: ``name-1.0/``), else ``dest`` itself.
    An unsafe or corrupt archive raises :class:`~spoke.errors.UnsafeArchiveError` naming the
    archive, the member and the reason, and leaves ``dest`` as it was; a file that is no
    supported archive raises :class:`~spoke.errors.BuildError`.
    """
    archive = Path(archive)
    dest = Path(os.path.abspath(dest))
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists and is not an empty folder")
    mode = _archive_mode(archive)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        root = _unpack_zip(archive, dest, limits)
    else:
        root = _unpack_tar(archive, mode, dest, limits)
    return dest / root if root else dest


def _archive_mode(archive: Path) -> str | None:
    lowered = archive.name.lower()
    for suffix, mode in SDIST_SUFFIXES.items():
        if lowered.endswith(suffix):
            return mode
    raise BuildError(
        f"`{archive.name}` is not a source archive spoke can unpack",
        label=archive.name,
        hint="Source distributions are " + ", ".join(f"`{s}`" for s in SDIST_SUFFIXES) + " files.",
    )


def _unsafe(archive: Path, member: str | None, reason: str) -> UnsafeArchiveError:
    name = _printable(archive.name)
    where = f"member `{_printable(member)}` of {name}" if member is not None else name
    return UnsafeArchiveError(
        f"Refusing to unpack {where}: {reason}",
        hint="The source archive is malformed or malicious; report it to the project's maintainers.",
    )


# --- the plan: what preflight accepted ------------------------------------------------------

_FILE, _DIR, _SYMLINK, _HARDLINK = "file", "dir", "symlink", "hardlink"


@dataclass(slots=True)
class _Member:
    name: str  # normalized: no leading ``./``, no trailing ``/``
    kind: str
    size: int = 0
    executable: bool = False
    target: str = ""  # symlink: its target as stored; hardlink: the member it copies
    handle: object = None  # the TarInfo / ZipInfo it came from


def _normalize(raw: str) -> str:
    """A member name without the ``./`` prefixes and trailing ``/`` that tar tools add."""
    name = raw
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/") if name not in ("", ".") else ""


def _name_problem(name: str) -> str | None:
    """Why a (normalized) member name is unsafe, or ``None`` for a plain relative path."""
    return member_name_problem(name)


class _LinkResolver:
    """Resolves symbolic links as the kernel would in the finished tree, within a step budget.

    Resolution follows the other links of the archive (a ``..`` after a link leaves the link's
    *target*, not its name), so chains such as ``a/b -> ..`` followed by ``c -> a/b/..`` are
    caught. Each step costs about one path component; the budget bounds the whole archive.
    """

    def __init__(self, symlinks: dict[str, str], budget: int = _MAX_LINK_STEPS) -> None:
        self.symlinks = symlinks
        self.budget = budget

    def stays_inside(self, link: str, target: str) -> bool | None:
        """Whether ``link`` → ``target`` resolves inside the tree; ``None`` once out of budget."""
        if not target or target.startswith("/") or "\\" in target or "\x00" in target or _DRIVE.match(target):
            return False
        paths: list[str] = []  # paths[i]: the tree path of the first i + 1 components
        for part in link.split("/")[:-1]:
            paths.append(f"{paths[-1]}/{part}" if paths else part)
        todo = target.split("/")[::-1]  # a stack: the next component is last
        hops = 0
        while todo:
            self.budget -= 1
            if self.budget < 0:
                return None
            part = todo.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if not paths:
                    return False
                paths.pop()
                continue
            path = f"{paths[-1]}/{part}" if paths else part
            hop = self.symlinks.get(path)
            if hop is None:
                paths.append(path)
                continue
            hops += 1
            if hops > _MAX_LINK_HOPS or hop.startswith("/"):
                return False
            todo.extend(reversed(hop.split("/")))
        return True


def _check_plan(archive: Path, members: list[_Member]) -> str:
    """Checks across members; return the single top-level folder's name ("" when there is none)."""
    kinds: dict[str, str] = {}
    for member in members:
        if member.name in kinds and not (member.kind == _DIR and kinds[member.name] == _DIR):
            # A repeated folder entry is harmless; any other repeat would overwrite a file.
            raise _unsafe(archive, member.name, "duplicate name")
        kinds[member.name] = member.kind
    resolver = _LinkResolver({m.name: m.target for m in members if m.kind == _SYMLINK})
    folders: set[str] = set()  # parents already known to be folders (each is checked once)
    for member in members:
        parent = member.name.rpartition("/")[0]
        while parent and parent not in folders:
            if kinds.get(parent, _DIR) != _DIR:
                raise _unsafe(archive, member.name, f"inside `{parent}`, which is not a folder")
            folders.add(parent)
            parent = parent.rpartition("/")[0]
        if member.kind == _SYMLINK:
            inside = resolver.stays_inside(member.name, member.target)
            if inside is None:
                raise _unsafe(archive, member.name, "too many symbolic link steps to check")
            if not inside:
                raise _unsafe(archive, member.name, f"symbolic link to `{member.target}` points outside the archive")
    tops = {m.name.split("/", 1)[0] for m in members}
    if len(tops) == 1:
        (top,) = tops
        if kinds.get(top, _DIR) == _DIR:
            return top
    return ""


# --- tar -------------------------------------------------------------------------------------


class _HeaderRefused(tarfile.TarError):
    """A tar header refused while tarfile parses it (becomes an :class:`UnsafeArchiveError`)."""


class _GuardedTarInfo(tarfile.TarInfo):
    """A :class:`tarfile.TarInfo` that refuses headers no sdist needs *before* tarfile reads them.

    tarfile reads an extended header (pax records, GNU long names) into memory whole, then
    parses the next header recursively: a few kilobytes of gzip could make it allocate
    gigabytes, or recurse until :class:`RecursionError`. Old GNU sparse headers chain too.
    ``_proc_member`` is tarfile's private hook for this, unchanged since Python 2; the
    ``tarinfo=`` argument that installs this class is public.
    """

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:  # type: ignore[override]
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise _HeaderRefused(f"`{self.name}` is a sparse file")
        if self.type not in _EXTENDED_TYPES:
            return super()._proc_member(tarfile_)  # type: ignore[misc]
        if self.size > _MAX_EXTENDED_HEADER:
            raise _HeaderRefused(f"an extended (pax or long name) header of {self.size} bytes")
        depth: int = getattr(tarfile_, "_spoke_extended_depth", 0)
        if depth >= _MAX_EXTENDED_CHAIN:
            raise _HeaderRefused(f"more than {_MAX_EXTENDED_CHAIN} extended headers in a row")
        tarfile_._spoke_extended_depth = depth + 1  # type: ignore[attr-defined]
        try:
            return super()._proc_member(tarfile_)  # type: ignore[misc]
        finally:
            tarfile_._spoke_extended_depth = depth  # type: ignore[attr-defined]


def _ratio_limit(archive: Path, limits: SdistLimits) -> int:
    """The most bytes the members may declare in total (see :class:`SdistLimits`)."""
    return max(limits.ratio_floor, limits.max_ratio * archive.stat().st_size)


def _tar_members(archive: Path, tf: tarfile.TarFile, limits: SdistLimits) -> list[_Member]:
    members: list[_Member] = []
    regular: dict[str, _Member] = {}
    total = 0
    ratio_limit = _ratio_limit(archive, limits)
    # Iterating (not getmembers()) stops at the limit instead of reading a million headers.
    for info in tf:
        if len(members) >= limits.max_members:
            raise _unsafe(archive, None, f"more than {limits.max_members} members")
        raw = info.name
        name = _normalize(raw)
        if not name:
            if info.isdir():
                continue  # the archive's own ``./`` entry
            raise _unsafe(archive, raw, "empty name")
        problem = _name_problem(name)
        if problem is not None:
            raise _unsafe(archive, raw, problem)
        if info.issparse():
            raise _unsafe(archive, raw, "sparse file")
        if info.isreg():
            total += info.size
            if total > limits.max_total_size:
                raise _unsafe(archive, raw, f"total size over {limits.max_total_size} bytes")
            if total > ratio_limit:
                raise _unsafe(
                    archive,
                    raw,
                    f"compression ratio too high (archive bomb?): {total} bytes in a "
                    f"{archive.stat().st_size}-byte archive",
                )
            member = _Member(name, _FILE, info.size, bool(info.mode & 0o111))
            regular[name] = member
        elif info.isdir():
            member = _Member(name, _DIR)
        elif info.issym():
            if len(info.linkname) > _MAX_LINK_TARGET:
                raise _unsafe(archive, raw, "symbolic link target too long")
            member = _Member(name, _SYMLINK, target=info.linkname)
        elif info.islnk():
            target = _normalize(info.linkname)
            problem = _name_problem(target) if target else "empty link target"
            if problem is not None:
                raise _unsafe(archive, raw, f"hard link to `{info.linkname}`: {problem}")
            source = regular.get(target)
            if source is None:
                raise _unsafe(
                    archive, raw, f"hard link to `{info.linkname}`, which is not an earlier file of the archive"
                )
            total += source.size
            if total > limits.max_total_size:
                raise _unsafe(archive, raw, f"total size over {limits.max_total_size} bytes")
            if total > ratio_limit:
                raise _unsafe(
                    archive,
                    raw,
                    f"compression ratio too high (archive bomb?): {total} bytes in a "
                    f"{archive.stat().st_size}-byte archive",
                )
            member = _Member(name, _HARDLINK, source.size, source.executable, target=target)
        else:
            raise _unsafe(archive, raw, "special file (device, FIFO or socket)")
        member.handle = info
        members.append(member)
    return members


def _second_opinion(archive: Path, members: list[_Member], dest: Path) -> None:
    """Ask the stdlib's ``data_filter`` (when this Python has it) about members spoke accepted."""
    stdlib_filter: Callable[[tarfile.TarInfo, str], object] | None = getattr(tarfile, "data_filter", None)
    if stdlib_filter is None:
        return
    for member in members:
        info = member.handle
        assert isinstance(info, tarfile.TarInfo)
        try:
            stdlib_filter(info, str(dest))
        except tarfile.FilterError as exc:
            raise _unsafe(archive, info.name, str(exc)) from None


def _drain(archive: Path, tf: tarfile.TarFile) -> None:
    """Read the compressed stream to its end, where gzip, bzip2 and xz check their CRC.

    tar stops reading at its end-of-archive blocks, before the check; without this, damaged
    data in stored (incompressible) blocks would be unpacked silently. A little padding may
    follow the archive, gigabytes of it may not.
    """
    extra = 0
    while chunk := tf.fileobj.read(_CHUNK):  # type: ignore[union-attr]
        extra += len(chunk)
        if extra > _MAX_TRAILER:
            raise _unsafe(archive, None, f"more than {_MAX_TRAILER} bytes after the end of the archive")


def _unpack_tar(archive: Path, mode: str, dest: Path, limits: SdistLimits) -> str:
    try:
        tf = tarfile.open(archive, mode, tarinfo=_GuardedTarInfo)  # type: ignore[call-overload]  # noqa: SIM115 - closed by the with below
    except _HeaderRefused as exc:
        raise _unsafe(archive, None, str(exc)) from None
    except _TAR_ERRORS as exc:
        raise _unsafe(archive, None, f"not a valid archive ({exc})") from None
    with tf:
        try:
            members = _tar_members(archive, tf, limits)
            _drain(archive, tf)
        except _HeaderRefused as exc:
            raise _unsafe(archive, None, str(exc)) from None
        except _TAR_ERRORS as exc:
            raise _unsafe(archive, None, f"corrupt archive ({exc})") from None
        root = _check_plan(archive, members)
        _second_opinion(archive, members, dest)

        def open_member(member: _Member) -> IO[bytes]:
            handle = tf.extractfile(member.handle)  # type: ignore[arg-type]
            assert handle is not None  # regular files always have data
            return handle

        _write_tree(archive, members, dest, limits, open_member, _TAR_ERRORS)
    return root


# --- zip -------------------------------------------------------------------------------------


def _zip_members(archive: Path, zf: zipfile.ZipFile, limits: SdistLimits) -> list[_Member]:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise _unsafe(archive, None, f"more than {limits.max_members} members")
    # The same structural check as for wheels, before any member's data is read.
    layout = zip_layout_problem(zf)
    if layout is not None:
        raise _unsafe(archive, layout.member, layout.reason)
    members: list[_Member] = []
    total = 0
    ratio_limit = _ratio_limit(archive, limits)
    for info in infos:
        raw = info.orig_filename
        name = _normalize(raw)
        if not name:
            raise _unsafe(archive, raw, "empty name")
        problem = _name_problem(name)
        if problem is not None:
            raise _unsafe(archive, raw, problem)
        if info.flag_bits & 0x1:
            raise _unsafe(archive, raw, "encrypted member")
        unix_mode = (info.external_attr >> 16) & 0xFFFF
        kind = stat.S_IFMT(unix_mode)
        if raw.endswith("/") or kind == stat.S_IFDIR:
            members.append(_Member(name, _DIR))
            continue
        if kind == stat.S_IFLNK:
            if info.file_size > _MAX_LINK_TARGET:
                raise _unsafe(archive, raw, "symbolic link target too long")
            try:
                target = zf.read(info).decode("utf-8")
            except (zipfile.BadZipFile, zlib.error, UnicodeDecodeError, EOFError) as exc:
                raise _unsafe(archive, raw, f"unreadable symbolic link ({exc})") from None
            members.append(_Member(name, _SYMLINK, target=target))
            continue
        if kind not in (0, stat.S_IFREG):
            raise _unsafe(archive, raw, "special file (device, FIFO or socket)")
        total += info.file_size
        if total > limits.max_total_size:
            raise _unsafe(archive, raw, f"total size over {limits.max_total_size} bytes")
        if total > ratio_limit:
            raise _unsafe(
                archive,
                raw,
                f"compression ratio too high (zip bomb?): {total} bytes in a {archive.stat().st_size}-byte archive",
            )
        members.append(_Member(name, _FILE, info.file_size, bool(unix_mode & 0o111), handle=info))
    return members


def _unpack_zip(archive: Path, dest: Path, limits: SdistLimits) -> str:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unsafe(archive, None, f"not a valid zip file ({exc})") from None
    with zf:
        members = _zip_members(archive, zf, limits)
        root = _check_plan(archive, members)

        def open_member(member: _Member) -> IO[bytes]:
            return zf.open(member.handle)  # type: ignore[arg-type]

        _write_tree(
            archive, members, dest, limits, open_member,
            (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, UnicodeDecodeError, OSError),
        )
    return root


# --- the writes -------------------------------------------------------------------------------


def _write_tree(
    archive: Path,
    members: list[_Member],
    dest: Path,
    limits: SdistLimits,
    open_member: Callable[[_Member], IO[bytes]],
    data_errors: tuple[type[BaseException], ...],
) -> None:
    """Write the checked members into a hidden folder beside ``dest``, then rename it into place."""
    # Not mkdtemp: its folder is private (0700), and the tree should get the umask's modes.
    tmp = dest.parent / f".{dest.name}-{secrets.token_hex(6)}"
    tmp.mkdir()
    member: _Member | None = None
    try:
        budget = limits.max_total_size
        for member in _in_write_order(members):
            path = tmp.joinpath(*member.name.split("/"))
            if member.kind == _DIR:
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                if member.kind == _SYMLINK:
                    os.symlink(member.target, path)
                    continue
                if member.kind == _HARDLINK:
                    with open(tmp.joinpath(*member.target.split("/")), "rb") as src:
                        budget -= _copy(archive, member, src, path, budget, ())
                else:
                    try:
                        src = open_member(member)
                    except data_errors as exc:
                        raise _unsafe(archive, member.name, f"corrupt data ({exc})") from None
                    with src:
                        budget -= _copy(archive, member, src, path, budget, data_errors)
            except FileExistsError:
                # Two names that the file system folds together (``README`` and ``readme``).
                raise _unsafe(archive, member.name, "collides with another member") from None
            if member.executable:
                current = stat.S_IMODE(os.stat(path).st_mode)
                os.chmod(path, current | (current & 0o444) >> 2)
        if dest.exists():
            dest.rmdir()  # checked empty by the caller
        os.rename(tmp, dest)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
            # Names are bounded, but ``dest`` may already be deep.
            name = member.name if member is not None else None
            raise _unsafe(archive, name, "name too long for this file system") from None
        raise


def _in_write_order(members: list[_Member]) -> Iterator[_Member]:
    """Archive order, symbolic links last: no write can then pass through a link."""
    yield from (m for m in members if m.kind != _SYMLINK)
    yield from (m for m in members if m.kind == _SYMLINK)


def _copy(
    archive: Path,
    member: _Member,
    src: IO[bytes],
    path: Path,
    budget: int,
    data_errors: tuple[type[BaseException], ...],
) -> int:
    """Stream one member to ``path`` (which must not exist), counting bytes; return the count.

    ``data_errors`` raised while *reading* mean a corrupt archive; errors while writing (a
    full disk) are left as they are.
    """
    limit = min(member.size, budget)
    written = 0
    with open(path, "xb") as out:
        while True:
            try:
                chunk = src.read(_CHUNK)
            except data_errors as exc:
                raise _unsafe(archive, member.name, f"corrupt data ({exc})") from None
            if not chunk:
                break
            written += len(chunk)
            if written > limit:
                raise _unsafe(archive, member.name, "decompresses to more bytes than declared or allowed")
            out.write(chunk)
    return written
