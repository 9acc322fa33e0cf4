"""Reading METADATA out of wheels: zip structures, range reads, zip64, local files."""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
import zlib

import pytest

from spoke.errors import MetadataError
from spoke.metadata.zipread import (
    TAIL_SIZE,
    NeedWholeFile,
    find_metadata_member,
    parse_central_directory,
    read_local_metadata,
    read_remote_metadata,
)

METADATA = b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n\nA description.\n"


def build_wheel(
    *,
    metadata: bytes = METADATA,
    dist_info: str = "foo-1.0.dist-info",
    before: dict[str, bytes] | None = None,
    after: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A wheel-shaped zip: ``before`` members, the dist-info, then ``after`` members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in (before or {}).items():
            archive.writestr(name, data)
        archive.writestr(f"{dist_info}/METADATA", metadata)
        archive.writestr(f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
        for name, data in (after or {}).items():
            archive.writestr(name, data)
        archive.writestr(f"{dist_info}/RECORD", b"")
    return buffer.getvalue()


def build_zip64(members: list[tuple[str, bytes]]) -> bytes:
    """A small archive in full zip64 form (placeholders, extra fields, zip64 end records).

    :mod:`zipfile` only writes these structures past 4 GiB or 65,535 members, so they are
    written by hand here — and checked below by reading them back with :mod:`zipfile`.
    """
    out = bytearray()
    central = bytearray()
    for name, data in members:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = compressor.compress(data) + compressor.flush()
        crc = zlib.crc32(data)
        raw_name = name.encode()
        offset = len(out)
        local_extra = struct.pack("<2H2Q", 1, 16, len(data), len(packed))
        out += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 45, 0x800, 8, 0, 0x21, crc,
            0xFFFFFFFF, 0xFFFFFFFF, len(raw_name), len(local_extra),
        )
        out += raw_name + local_extra + packed
        central_extra = struct.pack("<2H3Q", 1, 24, len(data), len(packed), offset)
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 45, 45, 0x800, 8, 0, 0x21, crc,
            0xFFFFFFFF, 0xFFFFFFFF, len(raw_name), len(central_extra), 0, 0, 0, 0, 0xFFFFFFFF,
        )
        central += raw_name + central_extra
    cd_offset = len(out)
    out += central
    zip64_offset = len(out)
    count = len(members)
    out += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(central), cd_offset)
    out += struct.pack("<4sLQL", b"PK\x06\x07", 0, zip64_offset, 1)
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(out)


class Remote:
    """Range reads over bytes, counted."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.fetches: list[tuple[int, int]] = []

    @property
    def tail(self) -> bytes:
        return self.data[-TAIL_SIZE:]

    def fetch(self, start: int, end: int) -> bytes:
        self.fetches.append((start, end))
        return self.data[start:end]

    def metadata(self, project: str = "foo") -> bytes:
        return read_remote_metadata(self.tail, self.fetch, project=project, source="foo.whl")


def _noise(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def test_small_wheel_needs_only_the_tail():
    remote = Remote(build_wheel())
    assert remote.metadata() == METADATA
    assert remote.fetches == []


def test_metadata_at_the_front_needs_one_more_read():
    wheel = build_wheel(after={"foo/blob.bin": _noise(200_000)})
    remote = Remote(wheel)
    assert remote.metadata() == METADATA
    assert len(remote.fetches) == 1


def test_stored_members_are_read_too():
    wheel = build_wheel(compression=zipfile.ZIP_STORED, after={"foo/blob.bin": _noise(100_000)})
    assert Remote(wheel).metadata() == METADATA


def test_central_directory_larger_than_the_tail():
    many = {f"foo/{'deeply/nested/' * 3}module_{i:05d}.py": b"" for i in range(1500)}
    wheel = build_wheel(after=many)
    remote = Remote(wheel)
    entries = len(zipfile.ZipFile(io.BytesIO(wheel)).infolist())
    assert entries > 1500
    assert remote.metadata() == METADATA
    # One read for the start of the central directory, one for METADATA.
    assert len(remote.fetches) == 2
    assert remote.fetches[0][1] == len(wheel) - TAIL_SIZE


def test_zip64_archive():
    body = b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"
    archive = build_zip64([("foo/__init__.py", b"x = 1\n"), ("foo-1.0.dist-info/METADATA", body)])
    with zipfile.ZipFile(io.BytesIO(archive)) as check:  # the hand-written zip64 is valid
        assert check.testzip() is None
        assert check.read("foo-1.0.dist-info/METADATA") == body
    assert Remote(archive).metadata() == body
    padded = build_zip64([("foo-1.0.dist-info/METADATA", body), ("foo/big.bin", _noise(100_000))])
    remote = Remote(padded)
    assert remote.metadata() == body
    assert len(remote.fetches) == 1


def test_parse_central_directory_applies_zip64_fields():
    archive = build_zip64([("a.txt", b"hello")])
    cd_start = archive.index(b"PK\x01\x02")
    (entry,) = parse_central_directory(archive[cd_start:])
    assert (entry.name, entry.size, entry.header_offset) == ("a.txt", 5, 0)


def test_archive_comment_is_skipped():
    buffer = io.BytesIO(build_wheel())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = b"PK\x05\x06 a comment that looks like a signature"
    assert Remote(buffer.getvalue()).metadata() == METADATA


def test_short_range_answers_need_the_whole_file():
    wheel = build_wheel(after={"foo/blob.bin": _noise(200_000)})
    with pytest.raises(NeedWholeFile):
        read_remote_metadata(wheel[-TAIL_SIZE:], lambda s, e: b"", project="foo", source="x")


def test_not_a_zip_needs_the_whole_file():
    with pytest.raises(NeedWholeFile):
        read_remote_metadata(b"<html>oops</html>", lambda s, e: b"", project="foo", source="x")


def test_corrupt_member_needs_the_whole_file():
    wheel = bytearray(build_wheel(metadata=METADATA * 20))
    start = wheel.index(b"foo-1.0.dist-info/METADATA") + len("foo-1.0.dist-info/METADATA")
    wheel[start + 5] ^= 0xFF
    with pytest.raises(NeedWholeFile):
        Remote(bytes(wheel)).metadata()


def test_missing_metadata_is_an_error():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("foo/__init__.py", b"")
    with pytest.raises(MetadataError):
        Remote(buffer.getvalue()).metadata()


def test_find_metadata_member_picks_the_projects_dist_info():
    names = ["a-1.0.dist-info/METADATA", "foo_bar-1.0.dist-info/METADATA", "x/y.dist-info/METADATA"]
    assert find_metadata_member(names, project="foo-bar", source="w") == "foo_bar-1.0.dist-info/METADATA"
    with pytest.raises(MetadataError):
        find_metadata_member(names, project="other", source="w")
    with pytest.raises(MetadataError):
        find_metadata_member(["foo/METADATA"], project="foo", source="w")


def test_read_local_metadata(tmp_path):
    path = tmp_path / "foo-1.0-py3-none-any.whl"
    path.write_bytes(build_wheel())
    assert read_local_metadata(path, project="foo", source=path.name) == METADATA
    bad = tmp_path / "bad.whl"
    bad.write_bytes(os.urandom(100))
    with pytest.raises(MetadataError):
        read_local_metadata(bad, project="foo", source=bad.name)
