"""Unpack a wheel once into the cache, checking every member before it is written.

The unpacked tree is content-addressed: ``archives-v1/<sha256 of the wheel>/`` holds

    wheel/          the members, exactly as in the archive (executable bits kept)
    unpacked.json   name, version, dist-info, purelib flag and the computed RECORD

``unpacked.json`` is written last inside a temporary folder, and the folder is renamed into
place in one step, so an entry either exists complete or not at all; a concurrent process that
renamed first wins and its tree is used. Installs then link files out of ``wheel/``.

Why so many checks: a wheel is arbitrary bytes from the network, and unpacking is where a
malicious or broken archive could write outside the cache (``../``, absolute paths, symlinks),
fill the disk (decompression bombs), or smuggle a file the wheel's own RECORD does not vouch
for. Every member is checked *before* its bytes are written, sizes are counted while streaming
(never trusting the central directory), and the RECORD's hashes are verified as the bytes pass.

The checks, in the order they run (all but the last two before anything is written):

1. the central directory: names (no ``..``, absolute path, drive, backslash, NUL, over-long
   component, control character), no duplicates, no symlinks or special files, no
   encryption, declared sizes and the archive's compression ratio within :class:`UnpackLimits`;
2. the layout (:func:`spoke.models.zipformat.zip_layout_problem`): every local header agrees
   with its central entry, and the members tile the file from byte 0 to the central
   directory — no prepended payload, no unlisted entry, no overlap, nothing after the end;
3. the dist-info folder against the filename, ``WHEEL``, and every member listed in ``RECORD``;
4. while streaming: sizes against the declared ones and the limits, hashes against ``RECORD``.
"""

from __future__ import annotations

import base64
import csv
import errno
import hashlib
import io
import json
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from spoke.cache import Cache
from spoke.errors import HashMismatchError, MetadataError, UnsafeArchiveError
from spoke.models import UnpackedWheel
from spoke.models.archive import member_name_problem
from spoke.models.archive import printable as _printable
from spoke.models.zipformat import zip_layout_problem

try:  # zlib-ng inflates the same streams about twice as fast as the zlib CPython links
    from zlib_ng import zlib_ng as _inflating
except ImportError:  # pragma: no cover - a platform it has no wheel for
    _inflating = zlib  # type: ignore[assignment]

#: Bump when the layout of an entry changes (the bucket name would change with it).
_FORMAT = 1
_TREE = "wheel"
_MARKER = "unpacked.json"
_CHUNK = 1 << 20
#: Members whose hash RECORD cannot hold (RECORD itself and its signatures).
_UNHASHED = ("RECORD", "RECORD.jws", "RECORD.p7s")
#: Errors zipfile raises for bad member data or a header it cannot read.
_DATA_ERRORS = (zipfile.BadZipFile, zlib.error, _inflating.error, EOFError, NotImplementedError, UnicodeDecodeError)
#: Hash algorithms a RECORD may use; PEP 427 forbids md5 and sha1.
_RECORD_ALGORITHMS = frozenset(
    {"sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnpackLimits:
    """Bounds that stop a decompression bomb before it fills the disk.

    Declared sizes are enforced while streaming (a member never yields more bytes than the
    central directory says), so the sizes declared here bound what is written. ``max_ratio``
    bounds them against the download: once the members declare more than ``ratio_floor``
    bytes in total, they may declare at most ``max_ratio`` times the archive's size. It is
    the whole archive's ratio, not a member's: real wheels ship test data of zeros that
    compresses 1000 to 1 (onnx does), while no real wheel comes near 200 to 1 overall
    (the most compressible of ~1,000 wheels checked: 18 to 1). The kilobyte bombs that
    reuse one member's bytes for many entries are refused by the layout check instead.
    """

    max_member_size: int = 2 << 30
    max_total_size: int = 4 << 30
    max_ratio: int = 200
    ratio_floor: int = 16 << 20
    max_members: int = 200_000
    max_metadata_size: int = 16 << 20


DEFAULT_LIMITS = UnpackLimits()


def record_hash(digest: bytes, algorithm: str = "sha256") -> str:
    """A RECORD hash field: ``"sha256=<urlsafe base64 without padding>"``."""
    return f"{algorithm}=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def cached_unpacked(cache: Cache, sha256: str) -> UnpackedWheel | None:
    """The wheel with this sha256 if it is already unpacked in the cache, else ``None``."""
    return _read_entry(cache.bucket("archives") / sha256.lower())


def unpack_wheel(
    wheel_path: Path,
    *,
    cache: Cache,
    sha256: str | None = None,
    limits: UnpackLimits = DEFAULT_LIMITS,
) -> UnpackedWheel:
    """Unpack ``wheel_path`` into the cache (once) and describe the result.

    ``sha256`` is the digest the index or lock file promised; when given, a cached entry under
    it is returned without reading the wheel, and otherwise the file must hash to it
    (:class:`HashMismatchError`). An unsafe or inconsistent archive raises
    :class:`UnsafeArchiveError` or :class:`MetadataError` and leaves nothing in the cache.
    """
    wheel_path = Path(wheel_path)
    bucket = cache.bucket("archives")
    if sha256:
        sha256 = sha256.lower()
        hit = _read_entry(bucket / sha256)
        if hit is not None:
            return hit
    with open(wheel_path, "rb") as fh:
        # Hash first, from the same open file the zip is read from, so the bytes checked are
        # the bytes unpacked.
        h = hashlib.sha256()
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
        actual = h.hexdigest()
        if sha256 and actual != sha256:
            raise HashMismatchError(
                f"Hash mismatch for {wheel_path.name}",
                notes=[f"expected sha256:{sha256}", f"got sha256:{actual}"],
                hint="The file changed since the index described it, or the download was "
                "corrupted. Clear the cache entry and retry.",
            )
        target = bucket / actual
        hit = _read_entry(target)
        if hit is not None:
            return hit
        fh.seek(0)
        tmp = Path(tempfile.mkdtemp(dir=bucket, prefix=".tmp-"))
        try:
            _extract(fh, wheel_path.name, tmp, limits)
            _publish(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    hit = _read_entry(target)
    if hit is None:  # pragma: no cover - only if someone deletes the entry under us
        raise UnsafeArchiveError(f"Unpacked {wheel_path.name} vanished from the cache at {target}")
    return hit


def _publish(tmp: Path, target: Path) -> None:
    """Rename the finished tree into place; if another process already did, keep theirs."""
    try:
        os.rename(tmp, target)
    except OSError:
        if _read_entry(target) is not None:
            return  # another process won the race
        if target.exists():
            # A leftover without a marker (never made by us: renames are atomic) — replace it.
            trash = Path(tempfile.mkdtemp(dir=target.parent, prefix=".trash-"))
            os.rename(target, trash / "old")
            shutil.rmtree(trash, ignore_errors=True)
            os.rename(tmp, target)
        else:
            raise


def _read_entry(folder: Path) -> UnpackedWheel | None:
    try:
        raw = (folder / _MARKER).read_text("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return None
    return UnpackedWheel(
        name=canonicalize_name(data["name"]),
        version=Version(data["version"]),
        filename=data["filename"],
        root=folder / _TREE,
        dist_info=data["dist_info"],
        data_dir=data["data_dir"],
        root_is_purelib=data["root_is_purelib"],
        record=tuple((p, h, int(s)) for p, h, s in data["record"]),
    )


# --- the checks --------------------------------------------------------------------------


def _unsafe(filename: str, member: str | None, reason: str) -> UnsafeArchiveError:
    filename = _printable(filename)
    where = f"member `{_printable(member)}` of {filename}" if member is not None else filename
    return UnsafeArchiveError(
        f"Refusing to unpack {where}: {reason}",
        hint="The wheel is malformed or malicious; report it to the project's maintainers.",
    )


def check_member_name(name: str) -> str | None:
    """Why an archive member name is unsafe, or ``None`` when it is a plain relative path.

    This is the one traversal guard of unpacking: every name passes here before any write.
    """
    return member_name_problem(name)


def _mode_of(info: zipfile.ZipInfo) -> int:
    return (info.external_attr >> 16) & 0xFFFF


def _preflight(
    zf: zipfile.ZipFile, filename: str, limits: UnpackLimits, size: int,
    data_offsets: dict[str, int] | None = None,
) -> list[zipfile.ZipInfo]:
    """Check every name, declared size and the layout of the ``size``-byte archive; return the
    file members (directories dropped). ``data_offsets`` receives where each member's data
    starts (see :func:`zip_layout_problem`)."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise _unsafe(filename, None, f"more than {limits.max_members} members")
    seen: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    declared_total = 0
    ratio_limit = max(limits.ratio_floor, limits.max_ratio * size)
    for info in infos:
        name = info.orig_filename
        reason = check_member_name(name)
        if reason is not None:
            raise _unsafe(filename, name, reason)
        if name in seen:
            raise _unsafe(filename, name, "duplicate name")
        seen.add(name)
        kind = stat.S_IFMT(_mode_of(info))
        if kind == stat.S_IFLNK:
            raise _unsafe(filename, name, "symbolic link")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _unsafe(filename, name, "special file (device, FIFO or socket)")
        if info.flag_bits & 0x1:
            raise _unsafe(filename, name, "encrypted member")
        if name.endswith("/"):
            continue
        if info.file_size > limits.max_member_size:
            raise _unsafe(filename, name, f"larger than {limits.max_member_size} bytes")
        declared_total += info.file_size
        if declared_total > limits.max_total_size:
            raise _unsafe(filename, name, f"total size over {limits.max_total_size} bytes")
        if declared_total > ratio_limit:
            raise _unsafe(
                filename, name,
                f"compression ratio too high (zip bomb?): members declare over {declared_total} bytes "
                f"in a {size}-byte archive",
            )
        files.append(info)
    names = {i.orig_filename for i in files}
    folders: set[str] = set()  # parents already known not to be files (each is checked once)
    for info in files:
        parent = info.orig_filename.rpartition("/")[0]
        while parent and parent not in folders:
            if parent in names:
                raise _unsafe(filename, info.orig_filename, "a parent folder is also a file")
            folders.add(parent)
            parent = parent.rpartition("/")[0]
    problem = zip_layout_problem(zf, data_offsets)
    if problem is not None:
        raise _unsafe(filename, problem.member, problem.reason)
    return files


@dataclass(frozen=True, slots=True, kw_only=True)
class _WheelLayout:
    name: str
    version: str
    dist_info: str
    data_dir: str
    root_is_purelib: bool
    expected: dict[str, tuple[str, str, int | None]]  # path -> (algorithm, b64 digest, size)
    unhashed: frozenset[str]  # RECORD and its signatures, which RECORD cannot hash


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str, limits: UnpackLimits) -> bytes:
    try:
        with zf.open(info) as src:
            data = src.read(limits.max_metadata_size + 1)
    except _DATA_ERRORS as exc:
        raise _unsafe(filename, info.orig_filename, f"corrupt data ({exc})") from None
    if len(data) > limits.max_metadata_size:
        raise _unsafe(filename, info.orig_filename, "metadata file too large")
    return data


def _layout(zf: zipfile.ZipFile, files: list[zipfile.ZipInfo], filename: str, limits: UnpackLimits) -> _WheelLayout:
    """Find the dist-info, check it agrees with the filename, parse WHEEL and RECORD."""
    try:
        name, version, _build, _tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise MetadataError(f"Invalid wheel filename `{filename}`: {exc}") from None
    tops = {i.orig_filename.split("/", 1)[0] for i in files}
    dist_infos = sorted(t for t in tops if t.endswith(".dist-info"))
    if len(dist_infos) != 1:
        raise MetadataError(
            f"{filename} has {len(dist_infos)} `.dist-info` folders, expected exactly one",
            notes=[f"found: {', '.join(dist_infos)}"] if dist_infos else [],
        )
    dist_info = dist_infos[0]
    stem = dist_info[: -len(".dist-info")]
    di_name, sep, di_version = stem.rpartition("-")
    try:
        same = bool(sep) and canonicalize_name(di_name) == name and Version(di_version) == version
    except InvalidVersion:
        same = False
    if not same:
        raise MetadataError(
            f"{filename}: `{dist_info}` does not match the wheel's name and version "
            f"({name} {version})",
            hint="The wheel is misnamed; report it to the project's maintainers.",
        )
    by_name = {i.orig_filename: i for i in files}
    wheel_info = by_name.get(f"{dist_info}/WHEEL")
    if wheel_info is None:
        raise MetadataError(f"{filename} has no `{dist_info}/WHEEL` file")
    wheel = HeaderParser().parsestr(_read_small(zf, wheel_info, filename, limits).decode("utf-8", "replace"))
    wheel_version = (wheel.get("Wheel-Version") or "").strip()
    if wheel_version.split(".")[0] != "1":
        raise MetadataError(
            f"{filename} has Wheel-Version `{wheel_version or '?'}`; spoke supports 1.x",
            hint="Upgrade spoke, or pick another version of the package.",
        )
    purelib = (wheel.get("Root-Is-Purelib") or "").strip().lower() == "true"
    record_info = by_name.get(f"{dist_info}/RECORD")
    if record_info is None:
        raise MetadataError(f"{filename} has no `{dist_info}/RECORD` file")
    expected = _parse_record(_read_small(zf, record_info, filename, limits), filename)
    return _WheelLayout(
        name=di_name, version=di_version, dist_info=dist_info, data_dir=f"{stem}.data",
        root_is_purelib=purelib, expected=expected,
        unhashed=frozenset(f"{dist_info}/{n}" for n in _UNHASHED),
    )


def _parse_record(data: bytes, filename: str) -> dict[str, tuple[str, str, int | None]]:
    expected: dict[str, tuple[str, str, int | None]] = {}
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _unsafe(filename, "RECORD", f"unreadable ({exc})") from None
    for lineno, row in enumerate(rows, 1):
        if not row or not row[0]:
            continue
        path = row[0]
        hash_field = row[1] if len(row) > 1 else ""
        size_field = row[2] if len(row) > 2 else ""
        if not hash_field:
            expected[path] = ("", "", None)
            continue
        algorithm, _, digest = hash_field.partition("=")
        if algorithm not in _RECORD_ALGORITHMS or not digest:
            raise _unsafe(filename, "RECORD", f"line {lineno}: unsupported hash `{hash_field}`")
        try:
            size = int(size_field) if size_field else None
        except ValueError:
            raise _unsafe(filename, "RECORD", f"line {lineno}: bad size `{size_field}`") from None
        expected[path] = (algorithm, digest, size)
    return expected


def _record_digest_matches(digest: bytes, recorded: str) -> bool:
    """Whether a RECORD digest field is ``digest``: urlsafe base64 as PEP 376 says, or hex.

    Some build tools (gmsh's wheels on PyPI, for one) write hex digests. Either spelling
    pins the same bytes, and their lengths differ (43 against 64 characters for sha256), so
    accepting both verifies just as much.
    """
    recorded = recorded.rstrip("=")
    if recorded == base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"):
        return True
    return len(recorded) == 2 * len(digest) and recorded.lower() == digest.hex()


def _check_record_rows(expected: Mapping[str, object], members: set[str], filename: str) -> None:
    """Refuse a RECORD naming a path outside the wheel or a file the archive lacks.

    spoke writes its own RECORD, so such a line would never reach the target; but it is the
    mark of a wheel built wrongly or to mislead (another tool's uninstall trusts RECORD and
    would remove ``../../x``), so the whole archive is refused before anything is written,
    like a member RECORD does not list.
    """
    for path in expected:
        problem = member_name_problem(path)
        if problem is not None:
            raise _unsafe(filename, "RECORD", f"a line names `{_printable(path)}`: {problem}")
    missing = sorted(p for p in expected if p not in members and not p.endswith("/"))
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise _unsafe(filename, "RECORD", f"lists `{_printable(missing[0])}`{more}, which the archive does not hold")


def _is_unhashed(path: str, dist_info: str) -> bool:
    return any(path == f"{dist_info}/{n}" for n in _UNHASHED)


# --- the writes --------------------------------------------------------------------------


def _extract(fh: io.BufferedReader, filename: str, tmp: Path, limits: UnpackLimits) -> None:
    """Check and write every member into ``tmp/wheel``, then the marker file."""
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unsafe(filename, None, f"not a valid zip file ({exc})") from None
    offsets: dict[str, int] = {}
    with zf:
        files = _preflight(zf, filename, limits, os.fstat(fh.fileno()).st_size, offsets)
        layout = _layout(zf, files, filename, limits)
        unlisted = [
            i.orig_filename for i in files
            if i.orig_filename not in layout.expected and not _is_unhashed(i.orig_filename, layout.dist_info)
        ]
        if unlisted:
            raise _unsafe(filename, unlisted[0], "not listed in the wheel's RECORD")
        _check_record_rows(layout.expected, {i.orig_filename for i in files}, filename)
        tree = str(tmp / _TREE)
        os.mkdir(tree)
        record: list[tuple[str, str, int]] = []
        total = 0
        made: set[str] = {tree}  # folders created so far: one mkdir per folder, not per file
        fd = fh.fileno()
        for info in files:
            digest, size = _write_member(fd, offsets[info.orig_filename], info, tree, filename, layout, limits,
                                         limits.max_total_size - total, made)
            total += size
            record.append((info.orig_filename, record_hash(digest), size))
    entry = {
        "format": _FORMAT,
        "name": layout.name,
        "version": layout.version,
        "filename": filename,
        "dist_info": layout.dist_info,
        "data_dir": layout.data_dir,
        "root_is_purelib": layout.root_is_purelib,
        "record": record,
    }
    # The marker goes last: its presence is what makes the entry complete.
    (tmp / _MARKER).write_text(json.dumps(entry), "utf-8")


def _member_chunks(fd: int, start: int, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The bytes of one member, read at ``start`` (checked by the layout check) and inflated.

    Every read and every inflate is bounded by ``_CHUNK``: a bomb yields its bytes a chunk at
    a time for the caller to count, never all at once. Raises ``zlib.error`` or ``EOFError``
    for a damaged member.
    """
    pos, end = start, start + info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while pos < end:
            chunk = os.pread(fd, min(_CHUNK, end - pos), pos)
            if not chunk:
                raise EOFError("the archive ends inside a member")
            pos += len(chunk)
            yield chunk
        return
    inflater = _inflating.decompressobj(-15)
    while pos < end:
        data = os.pread(fd, min(_CHUNK, end - pos), pos)
        if not data:
            raise EOFError("the archive ends inside a member")
        pos += len(data)
        while data:
            chunk = inflater.decompress(data, _CHUNK)
            data = inflater.unconsumed_tail
            if chunk:
                yield chunk
    tail = inflater.flush()
    if tail:
        yield tail
    if not inflater.eof:
        raise _inflating.error("the compressed data ends early")


def _write_member(
    fd: int,
    start: int,
    info: zipfile.ZipInfo,
    tree: str,
    filename: str,
    layout: _WheelLayout,
    limits: UnpackLimits,
    budget: int,
    made: set[str],
) -> tuple[bytes, int]:
    """Write one member to disk, counting bytes and hashing; return (sha256 digest, size).

    The hot loop of a cold install (thousands of members per wheel): plain ``str`` paths and
    ``os`` calls, the member's bytes read straight from where the layout check found them.
    """
    name = info.orig_filename
    dest = f"{tree}/{name}"
    # Defence in depth behind check_member_name: the joined path must stay under the tree
    # (only a ``..`` part can take it out; normpath is only asked then).
    if ".." in name and not os.path.normpath(dest).startswith(tree + "/"):
        raise _unsafe(filename, name, "path escapes the target folder")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _unsafe(filename, name, f"compression method {info.compress_type} is not allowed in a wheel")
    algorithm, want_digest, want_size = ("", "", None)
    if name not in layout.unhashed:
        algorithm, want_digest, want_size = layout.expected.get(name, ("", "", None))
    sha = hashlib.sha256()
    other = hashlib.new(algorithm) if algorithm and algorithm != "sha256" else None
    limit = min(limits.max_member_size, info.file_size, budget)
    written = 0
    crc = 0
    parent = dest.rpartition("/")[0]
    if parent not in made:
        os.makedirs(parent, exist_ok=True)
        made.add(parent)
    # Executable members are made executable for whoever may read them, as pip does (the
    # umask applies to both).
    mode = 0o777 if _mode_of(info) & 0o111 else 0o666
    try:
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except FileExistsError:
        raise _unsafe(filename, name, "collides with another member") from None
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
        raise _unsafe(filename, name, "name too long for this file system") from None
    try:
        for chunk in _member_chunks(fd, start, info):
            written += len(chunk)
            if written > limit:
                raise _unsafe(filename, name, "decompresses to more bytes than declared or allowed")
            sha.update(chunk)
            if other is not None:
                other.update(chunk)
            if not algorithm:  # the zip's CRC-32 is the only check of a member RECORD does not hash
                crc = _inflating.crc32(chunk, crc)
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view):]
    except (zlib.error, _inflating.error, EOFError) as exc:
        raise _unsafe(filename, name, f"corrupt data ({exc})") from None
    finally:
        os.close(out)
    if written != info.file_size:
        raise _unsafe(filename, name, f"corrupt data (holds {written} bytes, its header says {info.file_size})")
    if not algorithm and crc != info.CRC:
        raise _unsafe(filename, name, f"corrupt data (bad CRC-32: {crc:08x}, its header says {info.CRC:08x})")
    digest = sha.digest()
    if algorithm and not _record_digest_matches((other or sha).digest(), want_digest):
        raise _unsafe(filename, name, "content does not match the hash in the wheel's RECORD")
    if algorithm and want_size is not None and want_size != written:
        raise _unsafe(filename, name, f"size {written} differs from {want_size} in the wheel's RECORD")
    return digest, written
