"""A wheel's ``METADATA`` read out of its zip, remotely with range requests or from a file.

A zip file is read from the end. Its last record, the *End Of Central Directory* (EOCD, 22
bytes plus an optional comment), says where the *central directory* starts and how long it is;
the central directory lists every member with its sizes, compression method, CRC and the
offset of its *local header*, which is followed by the member's (compressed) bytes. Archives
past 4 GiB or 65,535 members put 0xFFFF… placeholders in the EOCD and the real values in a
*zip64 EOCD record*, found through a *zip64 locator* placed right before the EOCD::

    [local header + data]… [central directory] [zip64 EOCD] [zip64 locator] [EOCD + comment]

So, remotely (:func:`read_remote_metadata`):

1. one suffix request for the last 64 KiB, which holds the EOCD, usually the whole central
   directory and — since wheel builders write ``*.dist-info`` last — often ``METADATA`` too;
2. a request for the part of the central directory that the tail missed, if any;
3. a request for ``METADATA``'s local header and data, unless the tail already holds them.

A suffix request does not tell the file's size, so the absolute offset of the tail is derived
from the structure itself: the EOCD (or the zip64 EOCD record, whose offset the locator gives)
starts right where the central directory ends.

Any surprise in this path — a server that sends fewer bytes than asked, an unknown compression
method, a CRC that does not match — raises :class:`NeedWholeFile`, and the caller downloads
the wheel and reads it with :mod:`zipfile` (:func:`read_local_metadata`), which is the
authority on what a valid zip is. Only facts that the whole file would confirm (no
``METADATA`` in the listing) are reported as :class:`~spoke.errors.MetadataError` here.

Locally, :func:`zip_layout_problem` checks that an archive's bytes are *exactly* the members its
central directory lists — the structural half of refusing a hostile wheel or sdist (see its
docstring for why that matters).
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import IO

from packaging.utils import NormalizedName, canonicalize_name

from spoke.errors import MetadataError

__all__ = [
    "TAIL_SIZE",
    "LayoutProblem",
    "NeedWholeFile",
    "ZipEntry",
    "find_metadata_member",
    "parse_central_directory",
    "read_local_metadata",
    "read_remote_metadata",
    "zip_layout_problem",
]

TAIL_SIZE = 64 * 1024
"""Bytes read from a remote wheel's end first: the EOCD and most central directories."""

MAX_METADATA_SIZE = 16 * 1024 * 1024
"""A ``METADATA`` larger than this is refused (a hostile archive could claim gigabytes)."""

_MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024

_EOCD = struct.Struct("<4s4H2LH")  # signature, disks×2, entries×2, cd size, cd offset, comment
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # signature, disk, zip64 EOCD offset, disks
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # signature, size, versions, disks, entries×2, cd
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_SIG_EOCD = b"PK\x05\x06"
_SIG_ZIP64_LOCATOR = b"PK\x06\x07"
_SIG_ZIP64_EOCD = b"PK\x06\x06"
_SIG_CENTRAL = b"PK\x01\x02"
_SIG_LOCAL = b"PK\x03\x04"
_FLAG_UTF8 = 0x800
_FLAG_ENCRYPTED = 0x1
_FLAG_DESCRIPTOR = 0x8
#: What may follow a member's data when flag bit 3 is set: its *data descriptor* (CRC and
#: sizes, 4- or 8-byte, with or without the optional ``PK\x07\x08`` signature), or nothing.
#: None of these is large enough (30 bytes) to hide a local header.
_DESCRIPTOR_SIZES = frozenset({0, 12, 16, 20, 24})
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

Fetch = Callable[[int, int], bytes]
"""``fetch(start, end)``: exactly the bytes ``[start, end)`` of the remote file."""


class NeedWholeFile(Exception):
    """Range reads cannot finish for this file; download it whole instead.

    Internal to :mod:`spoke.metadata` — never reaches a user.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class ZipEntry:
    """One member as the central directory describes it."""

    name: str
    method: int
    flags: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int


def read_remote_metadata(
    tail: bytes, fetch: Fetch, *, project: NormalizedName, source: str
) -> bytes:
    """``METADATA`` of a remote wheel, given its last bytes and a range fetcher.

    ``tail`` is the answer to a suffix request (the whole file when it is smaller). Raises
    :class:`NeedWholeFile` when range reads cannot finish, and
    :class:`~spoke.errors.MetadataError` when the wheel has no (single) ``METADATA``.
    """
    remote = _Remote(tail, fetch)
    entries = parse_central_directory(remote.central_directory())
    entry = find_metadata_member((e.name for e in entries), project=project, source=source)
    member = next(e for e in entries if e.name == entry)
    return remote.member(member, source=source)


def read_local_metadata(path: Path, *, project: NormalizedName, source: str) -> bytes:
    """``METADATA`` of a wheel on disk. Raises :class:`~spoke.errors.MetadataError`."""
    try:
        with zipfile.ZipFile(path) as archive:
            name = find_metadata_member(archive.namelist(), project=project, source=source)
            info = archive.getinfo(name)
            if info.file_size > MAX_METADATA_SIZE:
                raise MetadataError(f"The METADATA of {source} is implausibly large")
            return archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise MetadataError(f"{source} is not a readable wheel: {exc}") from None


def find_metadata_member(names: Iterable[str], *, project: NormalizedName, source: str) -> str:
    """The ``<name>-<version>.dist-info/METADATA`` member among ``names``.

    A wheel has one ``.dist-info`` folder at its root; if a malformed one has several, the one
    named after ``project`` is chosen, and an ambiguity is an error.
    """
    found = [
        n
        for n in names
        if n.endswith(".dist-info/METADATA") and n.count("/") == 1
    ]
    if len(found) > 1:
        found = [
            n
            for n in found
            if canonicalize_name(n.split("/", 1)[0][: -len(".dist-info")].rpartition("-")[0])
            == project
        ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise MetadataError(f"{source} has no `.dist-info/METADATA` file; it is not a valid wheel")
    raise MetadataError(f"{source} has several `.dist-info` folders for {project}")


def parse_central_directory(data: bytes) -> list[ZipEntry]:
    """The entries of a central directory (zip64 extra fields applied)."""
    entries: list[ZipEntry] = []
    pos = 0
    end = len(data)
    while pos + _CENTRAL.size <= end and data[pos : pos + 4] == _SIG_CENTRAL:
        (
            _sig, _made, _need, flags, method, _time, _date, crc, csize, size,
            name_len, extra_len, comment_len, _disk, _iattr, _eattr, offset,
        ) = _CENTRAL.unpack_from(data, pos)
        pos += _CENTRAL.size
        raw_name = data[pos : pos + name_len]
        extra = data[pos + name_len : pos + name_len + extra_len]
        pos += name_len + extra_len + comment_len
        if pos > end:
            raise NeedWholeFile("truncated central directory")
        if 0xFFFFFFFF in (csize, size, offset):
            size, csize, offset = _apply_zip64(extra, size, csize, offset)
        name = raw_name.decode("utf-8" if flags & _FLAG_UTF8 else "cp437", errors="replace")
        entries.append(
            ZipEntry(
                name=name, method=method, flags=flags, crc=crc,
                compressed_size=csize, size=size, header_offset=offset,
            )
        )
    if not entries:
        raise NeedWholeFile("no central directory entries")
    return entries


def _apply_zip64(extra: bytes, size: int, csize: int, offset: int) -> tuple[int, int, int]:
    """Replace 0xFFFFFFFF placeholders with the values of the zip64 extra field (id 1)."""
    pos = 0
    while pos + 4 <= len(extra):
        header_id, length = struct.unpack_from("<2H", extra, pos)
        pos += 4
        if header_id == 1:
            values = extra[pos : pos + length]
            index = 0
            out = []
            for value in (size, csize, offset):
                if value == 0xFFFFFFFF:
                    if index + 8 > len(values):
                        raise NeedWholeFile("short zip64 extra field")
                    value = struct.unpack_from("<Q", values, index)[0]
                    index += 8
                out.append(value)
            return out[0], out[1], out[2]
        pos += length
    raise NeedWholeFile("zip64 placeholder without a zip64 extra field")


class _Remote:
    """A remote zip seen through its tail and a range fetcher."""

    def __init__(self, tail: bytes, fetch: Fetch) -> None:
        self.tail = tail
        self.fetch = fetch
        self.tail_start, self.cd_offset, self.cd_size = _locate(tail)
        self.size = self.tail_start + len(tail)

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)``, from the tail when it holds them, else fetched."""
        end = min(end, self.size)
        if start >= self.tail_start:
            return self.tail[start - self.tail_start : end - self.tail_start]
        if end <= self.tail_start:
            return self._fetch(start, end)
        return self._fetch(start, self.tail_start) + self.tail[: end - self.tail_start]

    def _fetch(self, start: int, end: int) -> bytes:
        data = self.fetch(start, end)
        if len(data) != end - start:
            raise NeedWholeFile("short range response")
        return data

    def central_directory(self) -> bytes:
        if self.cd_size > _MAX_CENTRAL_DIRECTORY:
            raise NeedWholeFile("central directory too large for range reads")
        return self.read(self.cd_offset, self.cd_offset + self.cd_size)

    def member(self, entry: ZipEntry, *, source: str) -> bytes:
        if entry.flags & _FLAG_ENCRYPTED or entry.method not in _METHODS:
            raise NeedWholeFile("encrypted or unusual compression")  # zipfile's job
        if entry.size > MAX_METADATA_SIZE:
            raise MetadataError(f"The METADATA of {source} is implausibly large")
        # The local header repeats the name and has its own extra field, usually as long as
        # the central one's; read a little more so that one request nearly always suffices.
        start = entry.header_offset
        guess = _LOCAL.size + len(entry.name.encode("utf-8")) + 64 + entry.compressed_size
        chunk = self.read(start, start + guess)
        if len(chunk) < _LOCAL.size or chunk[:4] != _SIG_LOCAL:
            raise NeedWholeFile("no local header at the central directory's offset")
        name_len, extra_len = _LOCAL.unpack_from(chunk)[-2:]
        data_start = _LOCAL.size + name_len + extra_len
        data_end = data_start + entry.compressed_size
        if data_end > len(chunk):
            chunk += self.read(start + len(chunk), start + data_end)
        data = chunk[data_start:data_end]
        if len(data) != entry.compressed_size:
            raise NeedWholeFile("member data past the end of the file")
        if entry.method == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            try:
                data = inflater.decompress(data, MAX_METADATA_SIZE + 1)
            except zlib.error:
                raise NeedWholeFile("corrupt deflate stream") from None
        if len(data) != entry.size or zlib.crc32(data) != entry.crc:
            raise NeedWholeFile("size or CRC mismatch")
        return data


def _locate(tail: bytes) -> tuple[int, int, int]:
    """``(absolute offset of tail[0], central directory offset, its size)``."""
    pos = _find_eocd(tail)
    _sig, _disk, _cd_disk, _n_disk, _n, cd_size, cd_offset, _comment = _EOCD.unpack_from(tail, pos)
    locator = pos - _ZIP64_LOCATOR.size
    if locator >= 0 and tail[locator : locator + 4] == _SIG_ZIP64_LOCATOR:
        _sig, _disk, z64_offset, _disks = _ZIP64_LOCATOR.unpack_from(tail, locator)
        record = _find_zip64_record(tail, locator)
        fields = _ZIP64_EOCD.unpack_from(tail, record)
        cd_size, cd_offset = fields[-2], fields[-1]
        tail_start = z64_offset - record
    else:
        if 0xFFFFFFFF in (cd_size, cd_offset):
            raise NeedWholeFile("zip64 placeholders without a zip64 locator")
        tail_start = cd_offset + cd_size - pos
    if tail_start < 0 or cd_offset + cd_size > tail_start + len(tail):
        raise NeedWholeFile("inconsistent end of central directory")
    return tail_start, cd_offset, cd_size


def _find_eocd(tail: bytes) -> int:
    """Position of the EOCD in ``tail``: the last signature whose comment ends the file."""
    pos = tail.rfind(_SIG_EOCD)
    while pos >= 0:
        if pos + _EOCD.size <= len(tail):
            comment_len = struct.unpack_from("<H", tail, pos + 20)[0]
            if pos + _EOCD.size + comment_len == len(tail):
                return pos
        pos = tail.rfind(_SIG_EOCD, 0, pos)
    raise NeedWholeFile("no end of central directory record in the tail")


def _find_zip64_record(tail: bytes, locator: int) -> int:
    """Position of the zip64 EOCD record, which ends where the locator begins."""
    pos = tail.rfind(_SIG_ZIP64_EOCD, 0, locator)
    while pos >= 0:
        if pos + _ZIP64_EOCD.size <= locator:
            (record_size,) = struct.unpack_from("<Q", tail, pos + 4)
            if pos + 12 + record_size == locator:
                return pos
        pos = tail.rfind(_SIG_ZIP64_EOCD, 0, pos)
    raise NeedWholeFile("zip64 locator without a zip64 end of central directory record")


# --- a local archive: do its bytes hold exactly the listed members? ----------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LayoutProblem:
    """Why an archive is not laid out as its central directory says.

    ``member`` is the (central directory) name of the member concerned, or ``None`` when the
    problem is the archive's (bytes before the first entry, a bad end record).
    """

    member: str | None
    reason: str


def zip_layout_problem(
    archive: zipfile.ZipFile, data_offsets: dict[str, int] | None = None
) -> LayoutProblem | None:
    """Check that ``archive``'s bytes are exactly its listed members, in order; ``None`` if so.

    Why: a zip file can be read two ways. :mod:`zipfile` (and spoke) trusts the *central
    directory* at the end; streaming readers, ``unzip`` in some modes and many scanners walk
    the *local headers* from the front. A hostile archive can show each reader something
    different — a local header named ``../evil`` behind a central entry ``pkg/ok.py``, an
    entry the central directory does not list, a payload before the first entry (a script
    or executable prepended to the zip), two entries sharing their bytes (the overlap that
    makes zip bombs of a few kilobytes). Whatever was checked and hashed must be all there is.

    What holds when this returns ``None``:

    * the end record ends the file (no trailing bytes), its entry count matches, and the
      central directory (then the zip64 end records, if any) ends where it begins;
    * sorted by offset, the members tile the bytes ``[0, start of central directory)`` with
      no gap and no overlap; only a data descriptor (flag bit 3) may follow a member's data;
    * each local header agrees with its central entry: the name (decoded as :mod:`zipfile`
      decodes each), the compression method and the encryption flag, and — unless a data
      descriptor carries them — the CRC and both sizes (zip64 extra fields applied).

    Cost: one read of about 30 + name bytes per member, in file order; no member data is
    read. ``archive`` must be open for reading; its file position is left anywhere, which
    :mod:`zipfile` allows (it seeks before every read). A ``data_offsets`` dict is filled with
    where each member's (compressed) data starts, by name, so that a reader can go straight
    to the bytes this check vouched for.
    """
    fp = archive.fp
    if fp is None:
        raise ValueError("the archive is closed")
    infos = archive.infolist()
    pos = 0
    descriptor = False  # the member just passed may be followed by a data descriptor
    for info in sorted(infos, key=attrgetter("header_offset")):
        gap = info.header_offset - pos
        if gap and not (descriptor and gap in _DESCRIPTOR_SIZES):
            if gap < 0:
                return LayoutProblem(member=info.orig_filename, reason="overlaps the entry before it")
            if pos == 0:
                return LayoutProblem(member=None, reason=f"{gap} bytes before the first entry (a prepended payload?)")
            return LayoutProblem(
                member=info.orig_filename,
                reason=f"{gap} bytes before it that the central directory does not list",
            )
        problem, pos, flags = _local_header_problem(fp, info)
        if problem is not None:
            return LayoutProblem(member=info.orig_filename, reason=problem)
        if data_offsets is not None:
            data_offsets[info.orig_filename] = pos - info.compress_size
        descriptor = bool((info.flag_bits | flags) & _FLAG_DESCRIPTOR)
    gap = archive.start_dir - pos
    if gap and not (descriptor and gap in _DESCRIPTOR_SIZES):
        if gap < 0:
            return LayoutProblem(member=None, reason="the last entry overlaps the central directory")
        return LayoutProblem(
            member=None, reason=f"{gap} bytes after the last entry that the central directory does not list",
        )
    # Last: with the members in place, an offset mismatch here means bytes elsewhere.
    problem = _end_record_problem(fp, fp.seek(0, os.SEEK_END), archive, len(infos))
    return LayoutProblem(member=None, reason=problem) if problem is not None else None


def _end_record_problem(fp: IO[bytes], size: int, archive: zipfile.ZipFile, count: int) -> str | None:
    """Check the (zip64) end records against the file's size and what :mod:`zipfile` read."""
    eocd = size - _EOCD.size - len(archive.comment)
    if eocd < 0:
        return "no end of central directory record at the end of the file"
    fp.seek(eocd)
    sig, _disk, _cd_disk, _n_disk, entries, cd_size, cd_offset, comment_len = _EOCD.unpack(fp.read(_EOCD.size))
    if sig != _SIG_EOCD or comment_len != len(archive.comment):
        return "bytes after the end of the archive (its end record is not last)"
    end = eocd  # where the central directory (or the zip64 records after it) must end
    if eocd >= _ZIP64_LOCATOR.size + _ZIP64_EOCD.size:
        fp.seek(eocd - _ZIP64_LOCATOR.size)
        locator = fp.read(_ZIP64_LOCATOR.size)
        if locator[:4] == _SIG_ZIP64_LOCATOR:
            # zipfile assumes the zip64 record sits right before the locator, without
            # extensible data; anything else is read differently by other tools.
            record_at = _ZIP64_LOCATOR.unpack(locator)[2]
            end = eocd - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
            fp.seek(end)
            fields = _ZIP64_EOCD.unpack(fp.read(_ZIP64_EOCD.size))
            if fields[0] != _SIG_ZIP64_EOCD or fields[1] != _ZIP64_EOCD.size - 12 or record_at != end:
                return "inconsistent zip64 end of central directory records"
            entries, cd_size, cd_offset = fields[7], fields[8], fields[9]
    if entries != count and not (entries == 0xFFFF and end == eocd):
        return f"the end record counts {entries} entries, the central directory lists {count}"
    if cd_offset != archive.start_dir or cd_offset + cd_size != end:
        return "the central directory is not where the end record says"
    return None


def _local_header_problem(fp: IO[bytes], info: zipfile.ZipInfo) -> tuple[str | None, int, int]:
    """Compare ``info`` with its local header: (the problem or ``None``, where the member's
    data ends, the local flags)."""
    fp.seek(info.header_offset)
    head = fp.read(_LOCAL.size)
    if len(head) < _LOCAL.size or head[:4] != _SIG_LOCAL:
        return "no local header where the central directory says it starts", 0, 0
    _sig, _version, flags, method, _time, _date, crc, csize, size, name_len, extra_len = _LOCAL.unpack(head)
    raw_name = fp.read(name_len)
    end = info.header_offset + _LOCAL.size + name_len + extra_len + info.compress_size
    try:
        # Decoded as zipfile decodes each header (by its own UTF-8 flag), then compared.
        same = raw_name.decode("utf-8" if flags & _FLAG_UTF8 else "cp437") == info.orig_filename
    except UnicodeDecodeError:
        same = False
    if not same:
        shown = raw_name[:80].decode("utf-8", "backslashreplace")
        shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in shown)
        shown = shown + "…" if name_len > 80 else shown
        return f"its local header names another file, `{shown}`", end, flags
    if method != info.compress_type:
        return (
            f"its local header says compression method {method}, "
            f"the central directory {info.compress_type}"
        ), end, flags
    if (flags ^ info.flag_bits) & _FLAG_ENCRYPTED:
        return "its local header and the central directory disagree on encryption", end, flags
    if flags & _FLAG_DESCRIPTOR:
        return None, end, flags  # CRC and sizes follow the data; zipfile checks them as it reads
    if 0xFFFFFFFF in (csize, size):
        sizes = _local_zip64_sizes(fp.read(extra_len))
        if sizes is None:
            return "its local header has zip64 sizes without a zip64 extra field", end, flags
        size = sizes[0] if size == 0xFFFFFFFF else size
        csize = sizes[1] if csize == 0xFFFFFFFF else csize
    if (crc, csize, size) != (info.CRC, info.compress_size, info.file_size):
        return (
            f"its local header says {size} bytes ({csize} compressed, CRC {crc:08x}), the central "
            f"directory {info.file_size} ({info.compress_size} compressed, CRC {info.CRC:08x})"
        ), end, flags
    return None, end, flags


def _local_zip64_sizes(extra: bytes) -> tuple[int, int] | None:
    """(size, compressed size) from a local header's zip64 extra field, which holds both."""
    pos = 0
    while pos + 4 <= len(extra):
        header_id, length = struct.unpack_from("<2H", extra, pos)
        pos += 4
        if header_id == 1:
            if length < 16 or pos + 16 > len(extra):
                return None
            size, csize = struct.unpack_from("<2Q", extra, pos)
            return size, csize
        pos += length
    return None
