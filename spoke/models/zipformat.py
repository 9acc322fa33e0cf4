"""The zip format's records, and a check that an archive's bytes are exactly what it lists.

Stdlib only and below every other layer, next to :mod:`spoke.models.archive`: the metadata
reader (:mod:`spoke.metadata.zipread`) parses the same records remotely, and the wheel and
sdist unpackers (``spoke.prepare``, ``spoke.pep517``) both refuse an archive for which
:func:`zip_layout_problem` finds a problem.
"""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass
from operator import attrgetter
from typing import IO

__all__ = [
    "CENTRAL",
    "DESCRIPTOR_SIZES",
    "EOCD",
    "FLAG_DESCRIPTOR",
    "FLAG_ENCRYPTED",
    "FLAG_UTF8",
    "LOCAL",
    "SIG_CENTRAL",
    "SIG_EOCD",
    "SIG_LOCAL",
    "SIG_ZIP64_EOCD",
    "SIG_ZIP64_LOCATOR",
    "ZIP64_EOCD",
    "ZIP64_LOCATOR",
    "LayoutProblem",
    "zip_layout_problem",
]

EOCD = struct.Struct("<4s4H2LH")  # signature, disks×2, entries×2, cd size, cd offset, comment
ZIP64_LOCATOR = struct.Struct("<4sLQL")  # signature, disk, zip64 EOCD offset, disks
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # signature, size, versions, disks, entries×2, cd
CENTRAL = struct.Struct("<4s6H3L5H2L")
LOCAL = struct.Struct("<4s5H3L2H")
SIG_EOCD = b"PK\x05\x06"
SIG_ZIP64_LOCATOR = b"PK\x06\x07"
SIG_ZIP64_EOCD = b"PK\x06\x06"
SIG_CENTRAL = b"PK\x01\x02"
SIG_LOCAL = b"PK\x03\x04"
FLAG_UTF8 = 0x800
FLAG_ENCRYPTED = 0x1
FLAG_DESCRIPTOR = 0x8
#: What may follow a member's data when flag bit 3 is set: its *data descriptor* (CRC and
#: sizes, 4- or 8-byte, with or without the optional ``PK\x07\x08`` signature), or nothing.
#: None of these is large enough (30 bytes) to hide a local header.
DESCRIPTOR_SIZES = frozenset({0, 12, 16, 20, 24})


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
        if gap and not (descriptor and gap in DESCRIPTOR_SIZES):
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
        descriptor = bool((info.flag_bits | flags) & FLAG_DESCRIPTOR)
    gap = archive.start_dir - pos
    if gap and not (descriptor and gap in DESCRIPTOR_SIZES):
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
    eocd = size - EOCD.size - len(archive.comment)
    if eocd < 0:
        return "no end of central directory record at the end of the file"
    fp.seek(eocd)
    sig, _disk, _cd_disk, _n_disk, entries, cd_size, cd_offset, comment_len = EOCD.unpack(fp.read(EOCD.size))
    if sig != SIG_EOCD or comment_len != len(archive.comment):
        return "bytes after the end of the archive (its end record is not last)"
    end = eocd  # where the central directory (or the zip64 records after it) must end
    if eocd >= ZIP64_LOCATOR.size + ZIP64_EOCD.size:
        fp.seek(eocd - ZIP64_LOCATOR.size)
        locator = fp.read(ZIP64_LOCATOR.size)
        if locator[:4] == SIG_ZIP64_LOCATOR:
            # zipfile assumes the zip64 record sits right before the locator, without
            # extensible data; anything else is read differently by other tools.
            record_at = ZIP64_LOCATOR.unpack(locator)[2]
            end = eocd - ZIP64_LOCATOR.size - ZIP64_EOCD.size
            fp.seek(end)
            fields = ZIP64_EOCD.unpack(fp.read(ZIP64_EOCD.size))
            if fields[0] != SIG_ZIP64_EOCD or fields[1] != ZIP64_EOCD.size - 12 or record_at != end:
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
    head = fp.read(LOCAL.size)
    if len(head) < LOCAL.size or head[:4] != SIG_LOCAL:
        return "no local header where the central directory says it starts", 0, 0
    _sig, _version, flags, method, _time, _date, crc, csize, size, name_len, extra_len = LOCAL.unpack(head)
    raw_name = fp.read(name_len)
    end = info.header_offset + LOCAL.size + name_len + extra_len + info.compress_size
    try:
        # Decoded as zipfile decodes each header (by its own UTF-8 flag), then compared.
        same = raw_name.decode("utf-8" if flags & FLAG_UTF8 else "cp437") == info.orig_filename
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
    if (flags ^ info.flag_bits) & FLAG_ENCRYPTED:
        return "its local header and the central directory disagree on encryption", end, flags
    if flags & FLAG_DESCRIPTOR:
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
