"""Hostile archives and hostile text through the real CLI: refused with one clear error.

Each hostile wheel is served by a local index under a valid filename; ``spoke install`` must
exit 1 with an error that names the file and the reason, print no traceback, leave the venv as
it was, and write nothing anywhere else (no ``escaped`` file under the test's folder, nothing
unpacked in the cache). Hostile requirement text must end in a short error, quickly.
"""

from __future__ import annotations

import io
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.functional.conftest import Result
from tests.unit.test_unpack import drop_central_entry, patch_local_header
from tests.unit.wheelmaker import info, make_wheel

WHEEL = "evil-1.0-py3-none-any.whl"
GOOD_FILES = {"evil/__init__.py": "VALUE = 1\n", "evil/ok.py": "print('ok')\n", "evil/z.py": ""}


def _traversal(folder: Path) -> Path:
    return make_wheel(folder, name="evil", files=GOOD_FILES, extra=[(info("../../escaped"), b"owned\n")])


def _symlink_out(folder: Path) -> Path:
    link = info("evil/escaped", mode=stat.S_IFLNK | 0o777)
    return make_wheel(folder, name="evil", files=GOOD_FILES, extra=[(link, b"../../../../escaped")])


def _zip_bomb(folder: Path) -> Path:
    return make_wheel(folder, name="evil", files={**GOOD_FILES, "evil/zeros.bin": bytes(24 << 20)})


def _record_mismatch(folder: Path) -> Path:
    def swap(rows: list[list[str]]) -> None:
        rows[0][1], rows[1][1] = rows[1][1], rows[0][1]  # two files, each with the other's hash

    return make_wheel(folder, name="evil", files=GOOD_FILES, mutate_record=swap)


def _name_mismatch(folder: Path) -> Path:
    return make_wheel(folder, name="evil", files=GOOD_FILES, dist_info="requests-1.0.dist-info")


def _prepended(folder: Path) -> Path:
    wheel = make_wheel(folder, name="evil", files=GOOD_FILES)
    wheel.write_bytes(b"#!/bin/sh\necho owned > escaped\nexit 0\n" + wheel.read_bytes())
    return wheel


def _local_header(folder: Path) -> Path:
    wheel = make_wheel(folder, name="evil", files=GOOD_FILES)
    patch_local_header(wheel, "evil/ok.py", name=b"../escaped")
    return wheel


def _unlisted(folder: Path) -> Path:
    wheel = make_wheel(folder, name="evil", files={**GOOD_FILES, "evil/hidden.py": "import os\n"})
    drop_central_entry(wheel, "evil/hidden.py")
    return wheel


def _record_names_outside(folder: Path) -> Path:
    def outside(rows: list[list[str]]) -> None:
        rows.append(["../../escaped", "", ""])  # another tool's uninstall would remove it

    return make_wheel(folder, name="evil", files=GOOD_FILES, mutate_record=outside)


def _record_names_absent(folder: Path) -> Path:
    def absent(rows: list[list[str]]) -> None:
        rows.append(["evil/absent.py", "sha256=" + "A" * 43, "10"])

    return make_wheel(folder, name="evil", files=GOOD_FILES, mutate_record=absent)


HOSTILE_WHEELS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "path-traversal": (_traversal, "member `../../escaped` of evil-1.0-py3-none-any.whl: `..` path component"),
    "symlink-out": (_symlink_out, "member `evil/escaped` of evil-1.0-py3-none-any.whl: symbolic link"),
    "zip-bomb": (_zip_bomb, "member `evil/zeros.bin` of evil-1.0-py3-none-any.whl: compression ratio too high"),
    "record-mismatch": (
        _record_mismatch,
        "of evil-1.0-py3-none-any.whl: content does not match the hash in the wheel's RECORD",
    ),
    "name-mismatch": (
        _name_mismatch,
        "evil-1.0-py3-none-any.whl: `requests-1.0.dist-info` does not match the wheel's name",
    ),
    "prepended-bytes": (_prepended, "evil-1.0-py3-none-any.whl: 38 bytes before the first entry"),
    "local-header": (
        _local_header,
        "member `evil/ok.py` of evil-1.0-py3-none-any.whl: its local header names another file, `../escaped`",
    ),
    "record-outside": (
        _record_names_outside,
        "member `RECORD` of evil-1.0-py3-none-any.whl: a line names `../../escaped`: `..` path component",
    ),
    "record-absent": (
        _record_names_absent,
        "member `RECORD` of evil-1.0-py3-none-any.whl: lists `evil/absent.py`, which the archive does not hold",
    ),
    "unlisted-entry": (
        _unlisted,
        "of evil-1.0-py3-none-any.whl: 56 bytes before it that the central directory does not list",
    ),
}


def escaped_anywhere(root: Path) -> list[Path]:
    """Files the hostile archives try to create, wherever they would have landed."""
    return sorted(root.rglob("escaped"))


def unpacked_entries(cache: Path) -> list[Path]:
    """Every unpacked wheel the cache holds (a refused one must not be there)."""
    return sorted(cache.rglob("unpacked.json"))


def assert_refused(result: Result, expected: str) -> None:
    assert result.returncode == 1, result.describe()
    assert "Traceback" not in result.output, result.describe()
    assert "error:" in result.stderr and expected in result.stderr, result.describe()
    assert "hint:" in result.stderr, result.describe()


@pytest.mark.parametrize("case", list(HOSTILE_WHEELS))
def test_hostile_wheel_is_refused_and_nothing_is_written(spoke, index, venv, installed_files, tmp_path, case) -> None:
    make, expected = HOSTILE_WHEELS[case]
    folder = tmp_path / "served"
    folder.mkdir()
    wheel = make(folder)
    assert wheel.name == WHEEL
    server = index(wheel)
    env = venv()
    before = installed_files(env)
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "evil", check=False)
    assert_refused(result, expected)
    assert server.downloads(WHEEL) >= 1  # refused after a real download, not for want of one
    assert installed_files(env) == before
    assert escaped_anywhere(tmp_path) == []
    assert unpacked_entries(tmp_path / "cache") == []


def test_good_neighbour_of_the_hostile_wheels_installs(spoke, index, venv, installed_files, tmp_path) -> None:
    """The same files, untampered, install: the refusals above are about the tampering."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = index(make_wheel(folder, name="evil", files=GOOD_FILES))
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "evil")
    assert any(p.endswith("site-packages/evil/ok.py") for p in installed_files(env))


def test_hostile_sdist_is_refused_before_any_build(spoke, index, venv, installed_files, tmp_path) -> None:
    folder = tmp_path / "served"
    folder.mkdir()
    sdist = folder / "evil-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        for name, data in (("evil-1.0/pyproject.toml", b"[build-system]\nrequires = []\n"),
                           ("evil-1.0/../../escaped", b"owned\n")):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tf.addfile(member, io.BytesIO(data))
    server = index(sdist)
    env = venv()
    before = installed_files(env)
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "evil", check=False)
    assert_refused(result, "member `evil-1.0/../../escaped` of evil-1.0.tar.gz: `..` path component")
    assert installed_files(env) == before
    assert escaped_anywhere(tmp_path) == []


# --- hostile text -------------------------------------------------------------------------

NO_INDEX = "http://127.0.0.1:9/simple/"  # never reached: the text is refused first


def test_look_alike_requirement_on_the_command_line(spoke, venv) -> None:
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", NO_INDEX, "req\u0430ests", check=False)
    assert_refused(result, "Invalid requirement `req\u0430ests`: the name contains a non-ASCII character: "
                           "U+0430 (CYRILLIC SMALL LETTER A) at position 4")
    assert "look-alike" in result.stderr


def test_invisible_character_in_a_requirements_file(spoke, venv, tmp_path) -> None:
    env = venv()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six\nrequests\u200b==2.31\n", encoding="utf-8")
    result = spoke("install", "--python", str(env.python), "-i", NO_INDEX, "-r", str(requirements), check=False)
    assert_refused(result, f"`requests\\u200b==2.31` ({requirements}:2): the name contains a non-ASCII "
                           "character: U+200B (ZERO WIDTH SPACE) at position 9")
    assert "\u200b" not in result.stderr


def test_huge_command_line_requirement_is_a_short_error(spoke, venv) -> None:
    env = venv()
    huge = "a" * 120_000  # near the kernel's limit for one argument (128 KiB)
    result = spoke("install", "--python", str(env.python), "-i", NO_INDEX, huge, check=False)
    assert_refused(result, "Requirement too long (120000 characters): `aaaa")
    assert len(result.output) < 1000, result.describe()


@pytest.mark.parametrize("line", ["a" * 5_000_000, "x" + " " * 5_000_000 + "y"], ids=["letters", "spaces"])
def test_five_megabyte_requirements_line_is_a_short_quick_error(spoke, venv, tmp_path, line) -> None:
    env = venv()
    requirements = tmp_path / "huge.txt"
    requirements.write_text(f"six\n{line}\n", encoding="utf-8")
    # The generous timeout only catches a hang (pip's comment pattern takes hours on "spaces").
    result = spoke("install", "--python", str(env.python), "-i", NO_INDEX, "-r", str(requirements),
                   check=False, timeout=60)
    assert_refused(result, f"Line too long ({len(line)} characters, {requirements}:2): `")
    assert len(result.output) < 1000, result.describe()

