"""Find-links locations: local folders, local and remote HTML pages, single archives."""

from __future__ import annotations

from packaging.version import Version

from spoke.index.find_links import FindLinks, local_path, scan_folder
from spoke.protocols import RecordingReporter
from tests.unit.fake_http import FakeHttp, Route


def _touch(folder, *names):
    for name in names:
        (folder / name).write_bytes(b"x" * 3)


def test_local_path_forms(tmp_path):
    assert local_path(str(tmp_path)) == tmp_path
    assert local_path(tmp_path.as_uri()) == tmp_path
    assert local_path("file:///some%20dir/x") == local_path("/some dir/x")
    assert local_path("https://example.org/links/") is None


def test_scan_folder_lists_wheels_and_sdists_without_hashes(tmp_path):
    _touch(tmp_path, "foo-1.0-py3-none-any.whl", "foo-1.1.tar.gz", "bar-2.0.zip", "notes.txt", "foo-1.0.egg")
    (tmp_path / "sub-1.0.tar.gz").mkdir()  # a folder, not a file
    files = scan_folder(tmp_path, index_url="here")
    assert [f.filename for f in files] == ["bar-2.0.zip", "foo-1.0-py3-none-any.whl", "foo-1.1.tar.gz"]
    wheel = files[1]
    assert wheel.url == (tmp_path / "foo-1.0-py3-none-any.whl").as_uri()
    assert wheel.hashes == {} and wheel.size == 3
    assert wheel.index_url == "here"


def test_find_links_filters_by_name_and_reads_each_location_once(tmp_path):
    _touch(tmp_path, "Foo_Bar-1.0-py3-none-any.whl", "other-1.0.tar.gz")
    http = FakeHttp(
        {
            "https://example.org/links/": Route(
                content=b'<a href="foo-bar-2.0.tar.gz">a</a><a href="other-3.0.tar.gz">b</a>',
                content_type="text/html",
            )
        }
    )
    links = FindLinks(http, [str(tmp_path), "https://example.org/links/"])
    files = links.files("FOO.bar")
    assert [(f.filename, f.version) for f in files] == [
        ("Foo_Bar-1.0-py3-none-any.whl", Version("1.0")),
        ("foo-bar-2.0.tar.gz", Version("2.0")),
    ]
    assert files[1].url == "https://example.org/links/foo-bar-2.0.tar.gz"
    assert [f.version for f in links.files("other")] == [Version("1.0"), Version("3.0")]
    assert links.files("missing") == []
    assert http.calls_of("get") == [("get", "https://example.org/links/")]


def test_local_html_page_and_single_archive(tmp_path):
    page = tmp_path / "links.html"
    page.write_text('<a href="dist/foo-1.0.tar.gz">foo</a>', encoding="utf-8")
    archive = tmp_path / "foo-2.0-py3-none-any.whl"
    archive.write_bytes(b"w")
    links = FindLinks(FakeHttp(), [str(page), archive.as_uri()])
    files = links.files("foo")
    assert [f.url for f in files] == [(tmp_path / "dist" / "foo-1.0.tar.gz").as_uri(), archive.as_uri()]


def test_missing_locations_warn_and_are_ignored(tmp_path):
    reporter = RecordingReporter()
    http = FakeHttp()  # every URL answers 404
    links = FindLinks(http, [str(tmp_path / "nope"), "https://example.org/gone/"], reporter=reporter)
    assert links.files("foo") == []
    warnings = [e[1] for e in reporter.events if e[0] == "warning"]
    assert len(warnings) == 2
    assert "does not exist" in warnings[0]
    assert "404" in warnings[1]
