"""spoke.pep517.sdist: source archives of every format unpacked, hostile ones refused before any write."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from spoke.errors import BuildError, UnsafeArchiveError
from spoke.pep517.sdist import SdistLimits, unpack_sdist


def add_tar_member(tf: tarfile.TarFile, name: str, data: bytes = b"", *, kind: bytes = tarfile.REGTYPE,
                   linkname: str = "", mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 315532800
    info.linkname = linkname
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    else:
        tf.addfile(info)


def make_tar(path: Path, members: list[dict[str, object]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as tf:
        for member in members:
            add_tar_member(tf, **member)  # type: ignore[arg-type]
    return path


def make_zip(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    """``(name, data, unix mode)`` members; a mode with S_IFLNK makes a symbolic link."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


@pytest.fixture
def archives(tmp_path: Path) -> Path:
    folder = tmp_path / "archives"
    folder.mkdir()
    return folder


@pytest.fixture
def area(tmp_path: Path) -> Path:
    """The folder ``dest`` is created in; a refused archive must leave it empty."""
    folder = tmp_path / "area"
    folder.mkdir()
    return folder


def everything_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


GOOD = [
    {"name": "pkg-1.0/", "kind": tarfile.DIRTYPE, "mode": 0o755},
    {"name": "pkg-1.0/setup.py", "data": b"from setuptools import setup\nsetup()\n"},
    {"name": "pkg-1.0/bin/tool", "data": b"#!/bin/sh\necho hi\n", "mode": 0o755},
    {"name": "pkg-1.0/src/pkg/__init__.py", "data": b"VALUE = 1\n"},
    {"name": "pkg-1.0/setuid", "data": b"x", "mode": 0o4755},
]


@pytest.mark.parametrize("suffix,mode", [
    (".tar.gz", "w:gz"), (".tgz", "w:gz"), (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz"), (".tar", "w"),
])
def test_good_tar_archives_unpack_to_their_root_with_exec_bits(
    archives: Path, area: Path, suffix: str, mode: str
) -> None:
    archive = make_tar(archives / f"pkg-1.0{suffix}", GOOD, mode)
    root = unpack_sdist(archive, area / "dest")
    assert root == area / "dest" / "pkg-1.0"
    assert (root / "src/pkg/__init__.py").read_text() == "VALUE = 1\n"
    assert os.stat(root / "bin/tool").st_mode & stat.S_IXUSR
    assert not os.stat(root / "setup.py").st_mode & stat.S_IXUSR
    setuid = os.stat(root / "setuid").st_mode
    assert setuid & stat.S_IXUSR and not setuid & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX)
    assert everything_under(area) == sorted(
        [
            "dest",
            "dest/pkg-1.0",
            *(f"dest/{m['name']}".rstrip("/") for m in GOOD[1:]),
            "dest/pkg-1.0/bin",
            "dest/pkg-1.0/src",
            "dest/pkg-1.0/src/pkg",
        ]
    )


def test_good_zip_unpacks_with_exec_bits(archives: Path, area: Path) -> None:
    archive = make_zip(archives / "pkg-1.0.zip", [
        ("pkg-1.0/", b"", stat.S_IFDIR | 0o755),
        ("pkg-1.0/setup.py", b"setup()\n", stat.S_IFREG | 0o644),
        ("pkg-1.0/bin/tool", b"#!/bin/sh\n", stat.S_IFREG | 0o755),
        ("pkg-1.0/plain.txt", b"no mode recorded\n", 0),
    ])
    root = unpack_sdist(archive, area / "dest")
    assert root == area / "dest/pkg-1.0"
    assert os.stat(root / "bin/tool").st_mode & stat.S_IXUSR
    assert not os.stat(root / "setup.py").st_mode & stat.S_IXUSR
    assert (root / "plain.txt").read_bytes() == b"no mode recorded\n"


def test_dot_slash_names_links_inside_and_an_existing_empty_dest(archives: Path, area: Path) -> None:
    archive = make_tar(archives / "dots.tar.gz", [
        {"name": "./", "kind": tarfile.DIRTYPE},
        {"name": "./proj/README", "data": b"read me\n"},
        {"name": "./proj/docs/README", "kind": tarfile.SYMTYPE, "linkname": "../README"},
        {"name": "./proj/COPY", "kind": tarfile.LNKTYPE, "linkname": "./proj/README"},
        {"name": "./proj/", "kind": tarfile.DIRTYPE},  # a repeated folder entry is harmless
    ])
    (area / "dest").mkdir()
    root = unpack_sdist(archive, area / "dest")
    assert root == area / "dest/proj"
    assert (root / "docs/README").is_symlink() and (root / "docs/README").read_text() == "read me\n"
    assert not (root / "COPY").is_symlink() and (root / "COPY").read_text() == "read me\n"


def test_archive_without_a_single_top_folder_returns_dest(archives: Path, area: Path) -> None:
    archive = make_tar(archives / "flat.tar.gz", [
        {"name": "setup.py", "data": b"setup()\n"}, {"name": "mod.py", "data": b""},
    ])
    assert unpack_sdist(archive, area / "dest") == area / "dest"
    assert (area / "dest/setup.py").is_file()


def test_dest_must_be_empty_and_the_format_known(archives: Path, area: Path) -> None:
    archive = make_tar(archives / "pkg-1.0.tar.gz", GOOD)
    (area / "dest").mkdir()
    (area / "dest/other").write_text("x")
    with pytest.raises(FileExistsError):
        unpack_sdist(archive, area / "dest")
    odd = archives / "pkg-1.0.rar"
    odd.write_bytes(b"Rar!")
    with pytest.raises(BuildError, match="pkg-1.0.rar"):
        unpack_sdist(odd, area / "dest2")


# --- hostile archives: refused before anything is written ---------------------------------

HOSTILE_TARS = {
    "absolute": ([{"name": "/tmp/spoke-evil", "data": b"x"}], "/tmp/spoke-evil", "absolute path"),
    "dotdot": ([{"name": "pkg/../../spoke-evil", "data": b"x"}], "pkg/../../spoke-evil", "`..` path component"),
    "backslash": ([{"name": "pkg\\..\\evil", "data": b"x"}], "pkg\\..\\evil", "backslash"),
    "drive": ([{"name": "C:/evil", "data": b"x"}], "C:/evil", "drive letter"),
    "symlink-out": (
        [{"name": "pkg/a", "data": b""}, {"name": "pkg/link", "kind": tarfile.SYMTYPE, "linkname": "../../outside"}],
        "pkg/link", "points outside",
    ),
    "symlink-absolute": (
        [{"name": "pkg/link", "kind": tarfile.SYMTYPE, "linkname": "/etc"}], "pkg/link", "points outside",
    ),
    "symlink-chain": (
        # pkg/up -> .. is the root (inside); pkg/b -> up/.. is the root's parent, outside,
        # though a lexical check of `pkg/up/..` would call it `pkg`.
        [{"name": "pkg/up", "kind": tarfile.SYMTYPE, "linkname": ".."},
         {"name": "pkg/b", "kind": tarfile.SYMTYPE, "linkname": "up/.."}],
        "pkg/b", "points outside",
    ),
    "through-symlink": (
        [{"name": "pkg/here", "kind": tarfile.SYMTYPE, "linkname": "."},
         {"name": "pkg/here/file", "data": b"x"}],
        "pkg/here/file", "not a folder",
    ),
    "hardlink-out": (
        [{"name": "pkg/hl", "kind": tarfile.LNKTYPE, "linkname": "../../etc/passwd"}], "pkg/hl", "hard link",
    ),
    "hardlink-unknown": (
        [{"name": "pkg/hl", "kind": tarfile.LNKTYPE, "linkname": "pkg/nothere"}], "pkg/hl", "not an earlier file",
    ),
    "duplicate": (
        [{"name": "pkg/a.py", "data": b"1"}, {"name": "pkg/a.py", "data": b"2"}], "pkg/a.py", "duplicate",
    ),
    "file-then-folder": (
        [{"name": "pkg/a", "data": b"1"}, {"name": "pkg/a/b", "data": b"2"}], "pkg/a/b", "not a folder",
    ),
    "device": ([{"name": "pkg/dev", "kind": tarfile.CHRTYPE}], "pkg/dev", "special file"),
    "fifo": ([{"name": "pkg/fifo", "kind": tarfile.FIFOTYPE}], "pkg/fifo", "special file"),
}


@pytest.mark.parametrize("case", list(HOSTILE_TARS))
def test_hostile_tar_is_refused_before_any_write(archives: Path, area: Path, case: str) -> None:
    members, member, reason = HOSTILE_TARS[case]
    # Every hostile archive starts with harmless members, to show none of them is written.
    archive = make_tar(archives / f"{case}-1.0.tar.gz", [{"name": "pkg/ok.py", "data": b"ok"}, *members])
    with pytest.raises(UnsafeArchiveError) as info:
        unpack_sdist(archive, area / "dest")
    message = info.value.message
    assert archive.name in message and f"`{member}`" in message and reason in message
    assert everything_under(area) == []
    assert everything_under(archives) == [archive.name]


def test_member_count_and_total_size_limits(archives: Path, area: Path) -> None:
    many = make_tar(archives / "many.tar.gz", [{"name": f"pkg/f{i}", "data": b""} for i in range(10)])
    with pytest.raises(UnsafeArchiveError, match="more than 5 members"):
        unpack_sdist(many, area / "dest", limits=SdistLimits(max_members=5))
    big = make_tar(
        archives / "big.tar.gz", [{"name": "pkg/a", "data": b"x" * 60}, {"name": "pkg/b", "data": b"x" * 60}]
    )
    with pytest.raises(UnsafeArchiveError, match=r"member `pkg/b` of big.tar.gz: total size over 100 bytes"):
        unpack_sdist(big, area / "dest", limits=SdistLimits(max_total_size=100))
    zipped = make_zip(archives / "big.zip", [("pkg/a", b"x" * 60, 0o644), ("pkg/b", b"x" * 60, 0o644)])
    with pytest.raises(UnsafeArchiveError, match="total size"):
        unpack_sdist(zipped, area / "dest", limits=SdistLimits(max_total_size=100))
    assert everything_under(area) == []


def test_zip_bomb_ratio_is_refused(archives: Path, area: Path) -> None:
    bomb = make_zip(archives / "bomb-1.0.zip", [("bomb/zeros", bytes(24 << 20), 0o644)])
    with pytest.raises(UnsafeArchiveError, match=r"member `bomb/zeros` of bomb-1.0.zip: compression ratio"):
        unpack_sdist(bomb, area / "dest")
    assert everything_under(area) == []


@pytest.mark.parametrize("name,member,reason", [
    ("../evil", "../evil", "`..` path component"),
    ("/abs", "/abs", "absolute path"),
])
def test_hostile_zip_names(archives: Path, area: Path, name: str, member: str, reason: str) -> None:
    archive = make_zip(archives / "bad.zip", [("pkg/ok", b"", 0o644), (name, b"x", 0o644)])
    with pytest.raises(UnsafeArchiveError) as info:
        unpack_sdist(archive, area / "dest")
    assert f"`{member}`" in info.value.message and reason in info.value.message and "bad.zip" in info.value.message
    assert everything_under(area) == []


def test_zip_symlinks_inside_are_kept_and_outside_refused(archives: Path, area: Path) -> None:
    good = make_zip(archives / "good.zip", [
        ("pkg/README", b"hi", 0o644), ("pkg/docs/README", b"../README", stat.S_IFLNK | 0o777),
    ])
    root = unpack_sdist(good, area / "dest")
    assert (root / "docs/README").is_symlink() and (root / "docs/README").read_text() == "hi"
    bad = make_zip(archives / "bad.zip", [("pkg/out", b"../../../etc", stat.S_IFLNK | 0o777)])
    with pytest.raises(UnsafeArchiveError, match=r"`pkg/out` of bad.zip: symbolic link"):
        unpack_sdist(bad, area / "dest2")
    assert not (area / "dest2").exists()


def test_zip_special_files_and_encrypted_members_are_refused(archives: Path, area: Path) -> None:
    fifo = make_zip(archives / "fifo.zip", [("pkg/fifo", b"", stat.S_IFIFO | 0o644)])
    with pytest.raises(UnsafeArchiveError, match="special file"):
        unpack_sdist(fifo, area / "dest")
    encrypted = make_zip(archives / "enc.zip", [("pkg/a", b"x", 0o644)])
    data = bytearray(encrypted.read_bytes())
    # Set the "encrypted" flag bit in the local header and the central directory entry.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        data[at] |= 0x1
    encrypted.write_bytes(bytes(data))
    with pytest.raises(UnsafeArchiveError, match="encrypted"):
        unpack_sdist(encrypted, area / "dest")
    assert everything_under(area) == []


def test_corrupt_and_truncated_archives_leave_nothing(archives: Path, area: Path) -> None:
    garbage = archives / "garbage-1.0.tar.gz"
    garbage.write_bytes(b"this is not gzip at all")
    with pytest.raises(UnsafeArchiveError, match="garbage-1.0.tar.gz"):
        unpack_sdist(garbage, area / "dest")
    whole = make_tar(archives / "whole.tar", [{"name": "pkg/big", "data": os.urandom(200_000)}], "w")
    truncated = archives / "truncated.tar"
    truncated.write_bytes(whole.read_bytes()[:100_000])
    with pytest.raises(UnsafeArchiveError, match="truncated.tar"):
        unpack_sdist(truncated, area / "dest")
    assert everything_under(area) == []


@pytest.mark.parametrize(
    "suffix,mode", [(".tar.gz", "w:gz"), (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz"), (".zip", None)]
)
def test_damaged_compressed_data_is_refused(archives: Path, area: Path, suffix: str, mode: str | None) -> None:
    payload = os.urandom(50_000)  # incompressible: the damage lands in member data, not headers only
    if mode is None:
        archive = make_zip(archives / f"pkg{suffix}", [("pkg/a", payload, 0o644), ("pkg/b", payload, 0o644)])
    else:
        archive = make_tar(
            archives / f"pkg{suffix}", [{"name": "pkg/a", "data": payload}, {"name": "pkg/b", "data": payload}], mode
        )
    data = bytearray(archive.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    archive.write_bytes(bytes(data))
    with pytest.raises(UnsafeArchiveError, match=f"pkg{suffix}"):
        unpack_sdist(archive, area / "dest")
    assert everything_under(area) == []


def test_endless_padding_after_the_archive_is_refused(archives: Path, area: Path) -> None:
    import gzip

    body = make_tar(archives / "body.tar", [{"name": "pkg/a", "data": b"a"}], "w").read_bytes()
    padded = archives / "padded-1.0.tar.gz"
    with gzip.open(padded, "wb") as out:
        out.write(body)
        for _ in range(17):
            out.write(bytes(1 << 20))
    with pytest.raises(UnsafeArchiveError, match="after the end of the archive"):
        unpack_sdist(padded, area / "dest")
    assert everything_under(area) == []


# --- the zip checks wheels get, and tar headers that would exhaust the unpacker -------------


def test_zip_sdist_layout_is_checked_like_a_wheel(archives: Path, area: Path) -> None:
    from tests.unit.test_unpack import drop_central_entry, patch_local_header

    def refused(archive: Path, *fragments: str) -> None:
        with pytest.raises(UnsafeArchiveError) as info:
            unpack_sdist(archive, area / "dest")
        assert archive.name in info.value.message and all(f in info.value.message for f in fragments), (
            info.value.message
        )
        assert everything_under(area) == []

    members = [
        ("pkg-1.0/setup.py", b"setup()\n", 0o644),
        ("pkg-1.0/ok.py", b"OK = 1\n", 0o644),
        ("pkg-1.0/z.py", b"", 0o644),
    ]
    mismatch = make_zip(archives / "mismatch-1.0.zip", members)
    patch_local_header(mismatch, "pkg-1.0/ok.py", name=b"../../evil.py")
    refused(mismatch, "member `pkg-1.0/ok.py`", "local header names another file, `../../evil.py`")
    prepended = make_zip(archives / "prepended-1.0.zip", members)
    prepended.write_bytes(b"#!/bin/sh\nexit 0\n" + prepended.read_bytes())
    refused(prepended, "17 bytes before the first entry")
    hidden = make_zip(archives / "hidden-1.0.zip", members)
    drop_central_entry(hidden, "pkg-1.0/ok.py")
    refused(hidden, "member `pkg-1.0/z.py`", "the central directory does not list")
    assert not list(archives.parent.rglob("evil.py"))


def test_tar_bomb_is_refused_by_the_archive_ratio(archives: Path, area: Path) -> None:
    bomb = make_tar(archives / "bomb-1.0.tar.gz", [{"name": "bomb/zeros", "data": bytes(24 << 20)}])
    assert bomb.stat().st_size < 64 << 10
    with pytest.raises(UnsafeArchiveError, match=r"member `bomb/zeros` of bomb-1.0.tar.gz: compression ratio too high"):
        unpack_sdist(bomb, area / "dest")
    assert everything_under(area) == []
    # Real sources compress well, but nowhere near 200 to 1.
    source = "".join(f"value_{i} = {i * 7919 % 10007}  # line {i}\n" for i in range(100_000)).encode()
    text = make_tar(archives / "text-1.0.tar.gz", [{"name": "text/a.py", "data": source}])
    assert (unpack_sdist(text, area / "ok") / "a.py").read_bytes() == source


def test_huge_pax_header_is_refused_before_tarfile_reads_it(archives: Path, area: Path) -> None:
    archive = archives / "pax-1.0.tar.gz"
    with tarfile.open(archive, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("pkg/a")
        info.pax_headers = {"comment": "x" * (4 << 20)}  # tarfile would read all of it into memory
        tf.addfile(info, io.BytesIO(b""))
    with pytest.raises(
        UnsafeArchiveError, match=r"pax-1.0.tar.gz: an extended \(pax or long name\) header of \d+ bytes"
    ):
        unpack_sdist(archive, area / "dest")
    assert everything_under(area) == []


def test_chained_extended_headers_are_refused_not_a_recursion_error(archives: Path, area: Path) -> None:
    import gzip

    pax = tarfile.TarInfo._create_pax_generic_header({"comment": "x"}, tarfile.XHDTYPE, "utf-8")  # type: ignore[attr-defined]
    member = tarfile.TarInfo("pkg/a")
    member.size = 1
    body = pax * 5000 + member.tobuf(tarfile.USTAR_FORMAT) + b"1".ljust(512, b"\0") + bytes(1024)
    archive = archives / "chain-1.0.tar.gz"
    archive.write_bytes(gzip.compress(body))
    with pytest.raises(UnsafeArchiveError, match="more than 8 extended headers in a row"):
        unpack_sdist(archive, area / "dest")
    # A few in a row (pax + GNU long name) are what real archives have.
    ok = archives / "few-1.0.tar.gz"
    ok.write_bytes(gzip.compress(pax * 3 + member.tobuf(tarfile.USTAR_FORMAT) + b"1".ljust(512, b"\0") + bytes(1024)))
    assert (unpack_sdist(ok, area / "ok") / "a").read_bytes() == b"1"


def test_gnu_sparse_header_is_refused_before_it_is_read(archives: Path, area: Path) -> None:
    import gzip

    sparse = tarfile.TarInfo("pkg/sparse")
    sparse.type = tarfile.GNUTYPE_SPARSE
    archive = archives / "sparse-1.0.tar.gz"
    archive.write_bytes(gzip.compress(sparse.tobuf(tarfile.GNU_FORMAT) + bytes(1024)))
    with pytest.raises(UnsafeArchiveError, match="sparse"):
        unpack_sdist(archive, area / "dest")
    assert everything_under(area) == []


@pytest.mark.parametrize("members,reason", [
    ([{"name": "pkg/" + "x" * 256, "data": b""}], "a path component longer than 255 bytes"),
    ([{"name": "pkg/" + "/".join(["d" * 200] * 6), "data": b""}], "name longer than 1024 bytes"),
    ([{"name": "pkg/link", "kind": tarfile.SYMTYPE, "linkname": "./" * 3000 + "x"}], "symbolic link target too long"),
])
def test_overlong_names_and_link_targets_are_refused(
    archives: Path, area: Path, members: list[dict[str, object]], reason: str
) -> None:
    archive = make_tar(archives / "long-1.0.tar.gz", [{"name": "pkg/ok.py", "data": b""}, *members])
    with pytest.raises(UnsafeArchiveError, match=reason):
        unpack_sdist(archive, area / "dest")
    assert everything_under(area) == []


def test_link_resolution_has_a_budget(archives: Path, area: Path) -> None:
    # 600 links of 2,000 steps each: linear work, but more than any sdist needs.
    links = [{"name": f"pkg/l{i}", "kind": tarfile.SYMTYPE, "linkname": "./" * 2000 + "f"} for i in range(600)]
    archive = make_tar(archives / "links-1.0.tar.gz", [{"name": "pkg/f", "data": b""}, *links])
    with pytest.raises(UnsafeArchiveError, match="too many symbolic link steps to check"):
        unpack_sdist(archive, area / "dest")
    assert everything_under(area) == []


def test_one_highly_compressible_member_is_not_a_bomb(archives: Path, area: Path) -> None:
    """onnx ships 2.5 MB of zeros (1000 to 1) among its test data: the archive's ratio decides."""
    members = [("pkg-1.0/data/input_0.pb", bytes(2_560_015), 0o644), ("pkg-1.0/blob", os.urandom(200_000), 0o644)]
    root = unpack_sdist(make_zip(archives / "pkg-1.0.zip", members), area / "dest")
    assert (root / "data/input_0.pb").stat().st_size == 2_560_015
    with pytest.raises(UnsafeArchiveError, match="compression ratio too high"):
        unpack_sdist(
            make_zip(archives / "tiny-1.0.zip", members[:1]), area / "dest2", limits=SdistLimits(ratio_floor=1 << 20)
        )


def test_control_characters_in_names_are_refused_and_escaped(archives: Path, area: Path) -> None:
    archive = make_tar(archives / "ctl-1.0.tar.gz", [{"name": "pkg/\x1b[2Jevil", "data": b""}])
    with pytest.raises(UnsafeArchiveError) as info:
        unpack_sdist(archive, area / "dest")
    assert "control character in name" in info.value.message
    assert "\x1b" not in info.value.message and "pkg/\\x1b[2Jevil" in info.value.message
