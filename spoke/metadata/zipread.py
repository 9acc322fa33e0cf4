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

The records' layouts live in :mod:`spoke.models.zipformat`, with the local check that an
archive's bytes are *exactly* the members its central directory lists
(:func:`~spoke.models.zipformat.zip_layout_problem`), which the wheel and sdist unpackers share.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from spoke.errors import MetadataError
from spoke.models.zipformat import (
    CENTRAL,
    EOCD,
    FLAG_ENCRYPTED,
    FLAG_UTF8,
    LOCAL,
    SIG_CENTRAL,
    SIG_EOCD,
    SIG_LOCAL,
    SIG_ZIP64_EOCD,
    SIG_ZIP64_LOCATOR,
    ZIP64_EOCD,
    ZIP64_LOCATOR,
)

__all__ = [
    "TAIL_SIZE",
    "NeedWholeFile",
    "ZipEntry",
    "find_metadata_member",
    "parse_central_directory",
    "read_local_metadata",
    "read_remote_metadata",
]

TAIL_SIZE = 64 * 1024
"""Bytes read from a remote wheel's end first: the EOCD and most central directories."""

MAX_METADATA_SIZE = 16 * 1024 * 1024
"""A ``METADATA`` larger than this is refused (a hostile archive could claim gigabytes)."""

_MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024

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
    while pos + CENTRAL.size <= end and data[pos : pos + 4] == SIG_CENTRAL:
        (
            _sig, _made, _need, flags, method, _time, _date, crc, csize, size,
            name_len, extra_len, comment_len, _disk, _iattr, _eattr, offset,
        ) = CENTRAL.unpack_from(data, pos)
        pos += CENTRAL.size
        raw_name = data[pos : pos + name_len]
        extra = data[pos + name_len : pos + name_len + extra_len]
        pos += name_len + extra_len + comment_len
        if pos > end:
            raise NeedWholeFile("truncated central directory")
        if 0xFFFFFFFF in (csize, size, offset):
            size, csize, offset = _apply_zip64(extra, size, csize, offset)
        name = raw_name.decode("utf-8" if flags & FLAG_UTF8 else "cp437", errors="replace")
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
        if entry.flags & FLAG_ENCRYPTED or entry.method not in _METHODS:
            raise NeedWholeFile("encrypted or unusual compression")  # zipfile's job
        if entry.size > MAX_METADATA_SIZE:
            raise MetadataError(f"The METADATA of {source} is implausibly large")
        # The local header repeats the name and has its own extra field, usually as long as
        # the central one's; read a little more so that one request nearly always suffices.
        start = entry.header_offset
        guess = LOCAL.size + len(entry.name.encode("utf-8")) + 64 + entry.compressed_size
        chunk = self.read(start, start + guess)
        if len(chunk) < LOCAL.size or chunk[:4] != SIG_LOCAL:
            raise NeedWholeFile("no local header at the central directory's offset")
        name_len, extra_len = LOCAL.unpack_from(chunk)[-2:]
        data_start = LOCAL.size + name_len + extra_len
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
    _sig, _disk, _cd_disk, _n_disk, _n, cd_size, cd_offset, _comment = EOCD.unpack_from(tail, pos)
    locator = pos - ZIP64_LOCATOR.size
    if locator >= 0 and tail[locator : locator + 4] == SIG_ZIP64_LOCATOR:
        _sig, _disk, z64_offset, _disks = ZIP64_LOCATOR.unpack_from(tail, locator)
        record = _find_zip64_record(tail, locator)
        fields = ZIP64_EOCD.unpack_from(tail, record)
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
    pos = tail.rfind(SIG_EOCD)
    while pos >= 0:
        if pos + EOCD.size <= len(tail):
            comment_len = struct.unpack_from("<H", tail, pos + 20)[0]
            if pos + EOCD.size + comment_len == len(tail):
                return pos
        pos = tail.rfind(SIG_EOCD, 0, pos)
    raise NeedWholeFile("no end of central directory record in the tail")


def _find_zip64_record(tail: bytes, locator: int) -> int:
    """Position of the zip64 EOCD record, which ends where the locator begins."""
    pos = tail.rfind(SIG_ZIP64_EOCD, 0, locator)
    while pos >= 0:
        if pos + ZIP64_EOCD.size <= locator:
            (record_size,) = struct.unpack_from("<Q", tail, pos + 4)
            if pos + 12 + record_size == locator:
                return pos
        pos = tail.rfind(SIG_ZIP64_EOCD, 0, pos)
    raise NeedWholeFile("zip64 locator without a zip64 end of central directory record")
