"""METADATA bytes → CoreMetadata, and the check against the index file."""

from __future__ import annotations

import pytest
from packaging.version import Version

from spoke.errors import MetadataError
from spoke.metadata.parse import check_matches, parse_core_metadata
from spoke.models import IndexFile


def test_fields_and_normalization():
    meta = parse_core_metadata(
        b"Metadata-Version: 2.3\nName: Zope.Interface\nVersion: 5.0\n"
        b"Provides-Extra: Test_All\nRequires-Dist: setuptools\n"
        b"Classifier: Not :: A :: Real :: Classifier\n",
        source="z.whl",
    )
    assert meta.name == "zope-interface" and meta.display_name == "Zope.Interface"
    assert meta.version == Version("5.0")
    assert meta.provides_extra == ("test-all",)
    assert [r.name for r in meta.requires_dist] == ["setuptools"]
    assert meta.requires_python is None and meta.summary == ""


@pytest.mark.parametrize(
    ("data", "word"),
    [
        (b"Metadata-Version: 2.1\nVersion: 1.0\n", "Name"),
        (b"Metadata-Version: 2.1\nName: x\n", "Version"),
        (b"Metadata-Version: 2.1\nName: x\nVersion: one\n", "invalid version"),
        (b"Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Python: >>3\n", "Requires-Python"),
        (b"Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: a b c\n", "Requires-Dist"),
    ],
)
def test_errors_name_the_file(data, word):
    with pytest.raises(MetadataError) as info:
        parse_core_metadata(data, source="x-1.whl")
    assert "x-1.whl" in info.value.message and word in info.value.message


def test_check_matches():
    meta = parse_core_metadata(b"Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0.0\n", source="f")
    good = IndexFile(name="foo-bar", version=Version("1.0"), filename="f.whl", url="u")
    check_matches(meta, good)
    with pytest.raises(MetadataError):
        check_matches(meta, IndexFile(name="foo", version=Version("1.0"), filename="f.whl", url="u"))
    with pytest.raises(MetadataError):
        check_matches(meta, IndexFile(name="foo-bar", version=Version("1.1"), filename="f.whl", url="u"))
