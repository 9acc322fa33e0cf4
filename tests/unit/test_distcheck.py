"""``spoke check DIST``: each reason PyPI would refuse a file, on archives made here."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest

from spoke.app.distcheck import check_file, distribution_files

GOOD_MD = "# Title\n\nSome *markdown*.\n"


def metadata(name: str = "demo", version: str = "1.0", *, mv: str = "2.4", extra: str = "",
             description: str | None = GOOD_MD, content_type: str | None = "text/markdown") -> str:
    text = f"Metadata-Version: {mv}\nName: {name}\nVersion: {version}\nSummary: a demo\n{extra}"
    if content_type:
        text += f"Description-Content-Type: {content_type}\n"
    return text + ("\n" + description if description is not None else "")


def record_line(name: str, data: bytes) -> str:
    digest = urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}\n"


def wheel(
    folder: Path, meta: str, *, filename: str = "demo-1.0-py3-none-any.whl", dist_info: str = "demo-1.0",
    files: dict[str, bytes] | None = None, record_extra: str = "", unlisted: dict[str, bytes] | None = None,
) -> Path:
    members = {"demo/__init__.py": b"x = 1\n", **(files or {}),
               f"{dist_info}.dist-info/METADATA": meta.encode(),
               f"{dist_info}.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(record_line(n, d) for n, d in members.items()) + record_extra
    record += f"{dist_info}.dist-info/RECORD,,\n"
    path = folder / filename
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in {**members, **(unlisted or {})}.items():
            zf.writestr(name, data)
        zf.writestr(f"{dist_info}.dist-info/RECORD", record)
    return path


def sdist(folder: Path, members: dict[str, bytes], filename: str = "demo-1.0.tar.gz") -> Path:
    path = folder / filename
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_a_good_wheel_and_sdist_pass_without_warnings(tmp_path) -> None:  # noqa: ANN001
    meta = metadata(extra="License-Expression: MIT\nLicense-File: LICENSE\n"
                          "Classifier: Programming Language :: Python :: 3\n")
    whl = wheel(tmp_path, meta, files={"demo-1.0.dist-info/licenses/LICENSE": b"MIT\n"})
    assert check_file(whl, strict=True).errors == ()
    sd = sdist(tmp_path, {"demo-1.0/PKG-INFO": meta.encode(), "demo-1.0/LICENSE": b"MIT\n",
                          "demo-1.0/pyproject.toml": b""})
    report = check_file(sd, strict=True)
    assert report.ok and not report.warnings, report
    assert distribution_files([tmp_path]) == [whl, sd]


def test_record_problems_are_each_named(tmp_path) -> None:  # noqa: ANN001
    whl = wheel(tmp_path, metadata(), record_extra="demo/gone.py,sha256=abc,3\ndemo/nohash.py,,\n",
                unlisted={"demo/sneaky.py": b"evil\n", "demo/nohash.py": b"1"})
    errors = check_file(whl).errors
    assert "`demo/sneaky.py` is in the wheel but not in RECORD" in errors
    assert "RECORD lists `demo/gone.py`, which the wheel does not hold" in errors
    assert "RECORD gives no hash for `demo/nohash.py`" in errors
    tampered = tmp_path / "t"
    tampered.mkdir()
    whl2 = wheel(tampered, metadata())
    with zipfile.ZipFile(whl2) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    with zipfile.ZipFile(whl2, "w") as zf:  # the same RECORD, another content
        for name, data in members.items():
            zf.writestr(name, b"x = 2\n" if name == "demo/__init__.py" else data)
    assert "`demo/__init__.py` does not match its hash in RECORD" in check_file(whl2).errors


@pytest.mark.parametrize(("meta", "expected"), [
    (metadata(version="1.0+local", extra=""), "local version"),
    (metadata(name="other"), "the metadata's name `other` is not the file name's `demo`"),
    (metadata(mv="3.0"), "Metadata-Version `3.0` is not one PyPI accepts"),
    (metadata(extra="Classifier: Not :: A :: Classifier\n"), "`Not :: A :: Classifier` does not exist"),
    (metadata(extra="Classifier: Private :: Do Not Upload\n"), "marks a private package"),
    (metadata(extra="License-Expression: MIT OR Nonsense-License-X\n"), "invalid metadata"),
    (metadata(extra="License-Expression: MIT\nLicense-File: LICENSE\n"),
     "License-File `LICENSE` is not in the archive"),
    (metadata(description="Title\n=====\n\n.. bogus-directive:: x\n", content_type="text/x-rst"),
     "does not render on PyPI (text/x-rst)"),
    (metadata(content_type="text/html"), "'description-content-type' must be one of"),
])
def test_metadata_problems(tmp_path, meta: str, expected: str) -> None:  # noqa: ANN001
    report = check_file(wheel(tmp_path, meta))
    assert not report.ok and any(expected in e for e in report.errors), report.errors


def test_private_classifier_allowed_and_warnings_strict(tmp_path) -> None:  # noqa: ANN001
    whl = wheel(tmp_path, metadata(extra="Classifier: Private :: Do Not Upload\n", description=None,
                                   content_type=None))
    report = check_file(whl, allow_private=True)
    assert report.ok and len(report.warnings) == 2, report
    assert not check_file(whl, allow_private=True, strict=True).ok


def test_sdist_layout_problems(tmp_path) -> None:  # noqa: ANN001
    two = sdist(tmp_path, {"demo-1.0/PKG-INFO": metadata().encode(), "other/x": b""})
    assert any("must hold one top folder" in e for e in check_file(two).errors)
    (tmp_path / "b").mkdir()
    no_info = sdist(tmp_path / "b", {"demo-1.0/setup.py": b""})
    assert check_file(no_info).errors == ("has no `demo-1.0/PKG-INFO`",)
    (tmp_path / "c").mkdir()
    renamed = sdist(tmp_path / "c", {"demo-2.0/PKG-INFO": metadata().encode()})
    assert "its top folder `demo-2.0` does not match the file name" in check_file(renamed).errors


def test_not_a_distribution(tmp_path) -> None:  # noqa: ANN001
    junk = tmp_path / "demo-1.0-py3-none-any.whl"
    junk.write_bytes(b"not a zip")
    assert not check_file(junk).ok
    other = tmp_path / "notes.txt"
    other.write_text("x")
    assert check_file(other).errors == ("not a distribution (a .whl, .tar.gz or .zip file)",)
