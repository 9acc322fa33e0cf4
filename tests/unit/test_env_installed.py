"""spoke.env.installed: scanning fake site-packages trees, reading METADATA and RECORD."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from spoke.env.installed import (
    LegacyInstalledDist,
    installed_distributions,
    is_legacy,
    read_metadata,
    read_record,
)
from spoke.errors import MetadataError


def dist_info(
    site: Path,
    folder: str,
    *,
    metadata: str | None = None,
    installer: str | None = "pip",
    requested: bool = False,
    direct_url: dict | None = None,
    record: str | None = None,
) -> Path:
    d = site / folder
    d.mkdir(parents=True)
    if metadata is not None:
        (d / "METADATA").write_text(metadata, encoding="utf-8")
    if installer is not None:
        (d / "INSTALLER").write_text(installer + "\n")
    if requested:
        (d / "REQUESTED").write_text("")
    if direct_url is not None:
        (d / "direct_url.json").write_text(json.dumps(direct_url))
    if record is not None:
        (d / "RECORD").write_text(record, encoding="utf-8")
    return d


def meta(name: str, version: str, *extra: str) -> str:
    return "\n".join(["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *extra]) + "\n\nBody text\n"


def test_names_and_versions_from_folder_names(tmp_path):
    site = tmp_path / "site"
    dist_info(site, "typing_extensions-4.12.2.dist-info")
    dist_info(site, "Django-5.0.dist-info", installer="spoke", requested=True)
    (site / "not_a_dist").mkdir()
    (site / "module.py").write_text("")
    found = installed_distributions([site])
    assert set(found) == {"typing-extensions", "django"}
    te = found["typing-extensions"]
    assert te.version == Version("4.12.2")
    assert te.display_name == "typing_extensions"
    assert te.installer == "pip"
    assert te.requested is False
    assert te.dist_info == site / "typing_extensions-4.12.2.dist-info"
    assert te.location == site
    assert found["django"].installer == "spoke"
    assert found["django"].requested is True


def test_metadata_read_when_folder_name_does_not_parse(tmp_path):
    site = tmp_path / "site"
    dist_info(site, "weird.dist-info", metadata=meta("Weird-Name", "1.0rc1"))
    dist_info(site, "odd-name-with-dash-2.0.dist-info", metadata=meta("odd-name-with-dash", "2.0"))
    dist_info(site, "bad-notaversion.dist-info", metadata=meta("bad", "3.1"))
    found = installed_distributions([site])
    assert found["weird-name"].version == Version("1.0rc1")
    assert found["weird-name"].display_name == "Weird-Name"
    assert found["odd-name-with-dash"].version == Version("2.0")
    assert found["bad"].version == Version("3.1")


def test_undecipherable_dist_info_is_skipped(tmp_path):
    site = tmp_path / "site"
    dist_info(site, "junk.dist-info", metadata="not metadata at all")
    dist_info(site, "nometa.dist-info")
    dist_info(site, "ok-1.0.dist-info")
    assert set(installed_distributions([site])) == {"ok"}


def test_exact_names_reads_metadata_headers(tmp_path):
    site = tmp_path / "site"
    dist_info(site, "python_dateutil-2.9.0.dist-info", metadata=meta("python-dateutil", "2.9.0"))
    assert installed_distributions([site])["python-dateutil"].display_name == "python_dateutil"
    assert installed_distributions([site], exact_names=True)["python-dateutil"].display_name == "python-dateutil"


def test_first_path_wins_and_missing_paths_skipped(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    dist_info(first, "pkg-1.0.dist-info")
    dist_info(second, "pkg-2.0.dist-info")
    dist_info(second, "other-1.0.dist-info")
    found = installed_distributions([tmp_path / "missing", first, second, first])
    assert found["pkg"].version == Version("1.0")
    assert found["other"].location == second


def test_editable_from_direct_url(tmp_path):
    site = tmp_path / "site"
    dist_info(site, "mine-0.1.dist-info", direct_url={"url": "file:///src", "dir_info": {"editable": True}})
    dist_info(site, "local-0.1.dist-info", direct_url={"url": "file:///src", "dir_info": {}})
    dist_info(site, "broken-0.1.dist-info")
    (site / "broken-0.1.dist-info" / "direct_url.json").write_text("{")
    found = installed_distributions([site])
    assert found["mine"].editable is True
    assert found["local"].editable is False
    assert found["broken"].editable is False


def test_legacy_egg_info_folder_and_file(tmp_path):
    site = tmp_path / "site"
    egg = site / "Old_Thing-1.2-py3.11.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_text(meta("Old-Thing", "1.2"))
    (egg / "requires.txt").write_text("six>=1.0\n\n[tests]\npytest\n\n[:sys_platform == \"win32\"]\ncolorama\n")
    (site / "distutils_file-0.5.egg-info").write_text(meta("distutils-file", "0.5"))
    found = installed_distributions([site])
    old = found["old-thing"]
    assert isinstance(old, LegacyInstalledDist) and is_legacy(old)
    assert old.version == Version("1.2")
    assert is_legacy(found["distutils-file"])
    md = read_metadata(old)
    reqs = {str(r) for r in md.requires_dist}
    assert "six>=1.0" in reqs
    assert 'pytest; extra == "tests"' in reqs
    assert 'colorama; sys_platform == "win32"' in reqs
    assert read_metadata(found["distutils-file"]).version == Version("0.5")
    with pytest.raises(MetadataError):
        read_record(old)


def test_dist_info_beats_egg_info_of_same_name(tmp_path):
    site = tmp_path / "site"
    dist_info(site, "pkg-2.0.dist-info")
    (site / "pkg-1.0.egg-info").write_text(meta("pkg", "1.0"))
    assert not is_legacy(installed_distributions([site])["pkg"])


def test_read_metadata(tmp_path):
    site = tmp_path / "site"
    text = meta(
        "Demo", "1.0",
        "Summary: A demo",
        "Requires-Python: >=3.8",
        "Requires-Dist: requests>=2",
        "Requires-Dist: this is not a requirement !!!",
        'Requires-Dist: pytest; extra == "test"',
        "Provides-Extra: Test",
        "X-Unknown-Field: whatever",
    )
    dist_info(site, "demo-1.0.dist-info", metadata=text)
    dist = installed_distributions([site])["demo"]
    md = read_metadata(dist)
    assert md.name == "demo" and md.display_name == "Demo"
    assert md.version == Version("1.0")
    assert [str(r) for r in md.requires_dist] == ["requests>=2", 'pytest; extra == "test"']
    assert md.requires_python == ">=3.8"
    assert md.provides_extra == ("test",)
    assert md.summary == "A demo"


@pytest.mark.parametrize(
    "content",
    [None, "Metadata-Version: 2.1\nSummary: no name\n", meta("x", "not a version at all")],
)
def test_broken_metadata_names_the_file(tmp_path, content):
    site = tmp_path / "site"
    d = dist_info(site, "x-1.0.dist-info", metadata=content)
    dist = installed_distributions([site])["x"]
    with pytest.raises(MetadataError) as info:
        read_metadata(dist)
    assert str(d / "METADATA") in info.value.message


def test_read_record(tmp_path):
    site = tmp_path / "site"
    record = (
        "demo/__init__.py,sha256=abc,12\n"
        '"demo/with,comma.py",sha256=def,3\n'
        "demo-1.0.dist-info/RECORD,,\n"
        "short\n"
        "\n"
    )
    dist_info(site, "demo-1.0.dist-info", record=record)
    rows = read_record(installed_distributions([site])["demo"])
    assert rows == [
        ("demo/__init__.py", "sha256=abc", "12"),
        ("demo/with,comma.py", "sha256=def", "3"),
        ("demo-1.0.dist-info/RECORD", "", ""),
        ("short", "", ""),
    ]


def test_missing_record(tmp_path):
    site = tmp_path / "site"
    dist_info(site, "demo-1.0.dist-info")
    with pytest.raises(MetadataError, match="RECORD"):
        read_record(installed_distributions([site])["demo"])
