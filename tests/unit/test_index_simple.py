"""Simple API page parsing: PEP 691 JSON and PEP 503 HTML."""

from __future__ import annotations

import json

import pytest
from packaging.tags import Tag
from packaging.version import Version

from spoke.errors import SpokeError
from spoke.index.simple import parse_filename, parse_html_page, parse_json_page
from spoke.models import Yanked

PAGE = "https://example.org/simple/foo/"
H1 = "a" * 64
H2 = "b" * 64


def _json(files: list[dict[str, object]], name: str = "foo") -> bytes:
    return json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": files}).encode()


def _by_filename(files):
    return {f.filename: f for f in files}


# -- filenames -----------------------------------------------------------------------------------


def test_parse_filename_wheel_with_build_tag_and_compressed_tags():
    name, version, build, tags = parse_filename("Foo_Bar-1.0-2x-py2.py3-none-any.whl")
    assert name == "foo-bar"
    assert version == Version("1.0")
    assert build == (2, "x")
    assert tags == {Tag("py2", "none", "any"), Tag("py3", "none", "any")}


def test_parse_filename_sdists():
    assert parse_filename("foo-1.0.tar.gz")[:3] == ("foo", Version("1.0"), ())
    assert parse_filename("foo-1.0.zip")[3] == frozenset()


@pytest.mark.parametrize(
    "filename",
    [
        "foo-1.0.tar.bz2",
        "foo-1.0-py2.7.egg",
        "foo-1.0.win32.exe",
        "foo-notaversion.tar.gz",
        "foo-1.0-py3-none.whl",  # too few parts
        "foo-1.0-abc-py3-none-any.whl",  # build tag must start with a digit
        "foo__bar-1.0-py3-none-any.whl",
        "foo-1.0-3py-none-any.whl",  # interpreter not an identifier
        "foo.tar.gz",
        "README",
        "../foo-1.0-py3-none-any.whl",
    ],
)
def test_parse_filename_rejects_junk(filename):
    assert parse_filename(filename) is None


# -- JSON ----------------------------------------------------------------------------------------


def test_json_page_fields():
    files = parse_json_page(
        _json(
            [
                {
                    "filename": "foo-1.0-py3-none-any.whl",
                    "url": "https://files.example.org/foo-1.0-py3-none-any.whl",
                    "hashes": {"sha256": H1.upper()},
                    "requires-python": ">=3.8",
                    "core-metadata": {"sha256": H2},
                    "dist-info-metadata": False,
                    "size": 1234,
                    "upload-time": "2024-05-01T12:00:00.000000Z",
                    "yanked": False,
                },
                {
                    "filename": "foo-1.0.tar.gz",
                    "url": "../../packages/foo-1.0.tar.gz",
                    "hashes": {},
                    "requires-python": "",
                },
            ]
        ),
        PAGE,
        name="foo",
        index_url="https://example.org/simple",
    )
    wheel, sdist = files
    assert wheel.name == "foo" and wheel.version == Version("1.0")
    assert wheel.hashes == {"sha256": H1}
    assert wheel.sha256 == H1
    assert wheel.requires_python == ">=3.8"
    assert wheel.metadata_hashes == {"sha256": H2}
    assert wheel.metadata_url == "https://files.example.org/foo-1.0-py3-none-any.whl.metadata"
    assert wheel.size == 1234
    assert wheel.upload_time == "2024-05-01T12:00:00.000000Z"
    assert wheel.yanked is None
    assert wheel.tags == {Tag("py3", "none", "any")}
    assert wheel.index_url == "https://example.org/simple"
    assert sdist.url == "https://example.org/packages/foo-1.0.tar.gz"
    assert sdist.requires_python is None
    assert sdist.metadata_hashes is None
    assert sdist.size is None and sdist.upload_time is None
    assert sdist.is_sdist and not sdist.tags


def test_json_yanked_variants():
    entries = [
        {"filename": "foo-1.0.tar.gz", "url": "a/foo-1.0.tar.gz", "hashes": {}, "yanked": True},
        {"filename": "foo-1.1.tar.gz", "url": "a/foo-1.1.tar.gz", "hashes": {}, "yanked": "broken"},
        {"filename": "foo-1.2.tar.gz", "url": "a/foo-1.2.tar.gz", "hashes": {}, "yanked": False},
        {"filename": "foo-1.3.tar.gz", "url": "a/foo-1.3.tar.gz", "hashes": {}},
    ]
    files = _by_filename(parse_json_page(_json(entries), PAGE, name="foo", index_url=""))
    assert files["foo-1.0.tar.gz"].yanked == Yanked(reason="")
    assert files["foo-1.1.tar.gz"].yanked == Yanked(reason="broken")
    assert files["foo-1.2.tar.gz"].yanked is None
    assert files["foo-1.3.tar.gz"].yanked is None


def test_json_core_metadata_falls_back_to_dist_info_metadata():
    entries = [
        {"filename": "foo-1.0-py3-none-any.whl", "url": "x1", "hashes": {}, "dist-info-metadata": True},
        {
            "filename": "foo-1.1-py3-none-any.whl",
            "url": "x2",
            "hashes": {},
            "dist-info-metadata": {"sha256": H1},
        },
        {
            "filename": "foo-1.2-py3-none-any.whl",
            "url": "x3",
            "hashes": {},
            "core-metadata": True,
            "dist-info-metadata": {"sha256": H1},
        },
        {"filename": "foo-1.3-py3-none-any.whl", "url": "x4", "hashes": {}, "core-metadata": False},
    ]
    files = parse_json_page(_json(entries), PAGE, name="foo", index_url="")
    assert [f.metadata_hashes for f in files] == [{}, {"sha256": H1}, {}, None]
    assert files[0].metadata_url == PAGE + "x1.metadata"


def test_json_skips_junk_and_other_projects():
    entries = [
        {"filename": "foo-1.0-py2.7.egg", "url": "a", "hashes": {}},
        {"filename": "foo-1.0.win32.exe", "url": "b", "hashes": {}},
        {"filename": "foo-1.0.tar.bz2", "url": "c", "hashes": {}},
        {"filename": "foo-bad!version.tar.gz", "url": "d", "hashes": {}},
        {"filename": "foobar-1.0.tar.gz", "url": "e", "hashes": {}},
        {"filename": "Foo-2.0.tar.gz", "url": "f", "hashes": {}},
        {"url": "g"},
        "not an object",
    ]
    files = parse_json_page(_json(entries), PAGE, name="foo", index_url="")
    assert [f.filename for f in files] == ["Foo-2.0.tar.gz"]
    assert files[0].name == "foo"


def test_json_name_none_keeps_every_project():
    entries = [
        {"filename": "foo-1.0.tar.gz", "url": "a", "hashes": {}},
        {"filename": "bar-1.0.tar.gz", "url": "b", "hashes": {}},
    ]
    files = parse_json_page(_json(entries), PAGE, name=None, index_url="")
    assert sorted(f.name for f in files) == ["bar", "foo"]


def test_json_hash_in_url_fragment_is_used_when_hashes_are_missing():
    entries = [{"filename": "foo-1.0.tar.gz", "url": f"foo-1.0.tar.gz#sha256={H1}"}]
    (file,) = parse_json_page(_json(entries), PAGE, name="foo", index_url="")
    assert file.hashes == {"sha256": H1}
    assert file.url == PAGE + "foo-1.0.tar.gz"


def test_json_invalid_page_is_an_error_without_credentials():
    with pytest.raises(SpokeError) as info:
        parse_json_page(b"<html>", "https://user:secret@example.org/simple/foo/", name="foo", index_url="")
    assert "secret" not in info.value.message
    with pytest.raises(SpokeError):
        parse_json_page(b"[1, 2]", PAGE, name="foo", index_url="")


# -- HTML ----------------------------------------------------------------------------------------

HTML = f"""<!DOCTYPE html>
<html><head><title>Links for foo</title></head><body>
<h1>Links for foo</h1>
<a href="https://files.example.org/foo-1.0-py3-none-any.whl#sha256={H1}"
   data-requires-python="&gt;=3.8,&lt;4" data-core-metadata="sha256={H2}">foo-1.0-py3-none-any.whl</a><br/>
<a href="../../packages/foo-1.0.tar.gz#md5=0123" data-yanked="">foo-1.0.tar.gz</a>
<A HREF='/packages/foo-1.1.tar.gz' data-yanked='bad &amp; broken' data-dist-info-metadata="true">x</A>
<a data-requires-python=">=3.9" href="foo-1.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl">w</a>
<a href="foo-1.3-py3-none-any.whl" data-core-metadata="true" data-dist-info-metadata="sha256={H1}">y</a>
<a href="foo-1.0-py2.7.egg">egg</a>
<a href="foobar-1.0.tar.gz">other</a>
<a href="foo-junk.tar.gz">junk</a>
<a name="no-href">nothing</a>
</body></html>
"""


def test_html_page_fields():
    files = _by_filename(parse_html_page(HTML, PAGE, name="foo", index_url="idx"))
    assert sorted(files) == [
        "foo-1.0-py3-none-any.whl",
        "foo-1.0.tar.gz",
        "foo-1.1.tar.gz",
        "foo-1.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "foo-1.3-py3-none-any.whl",
    ]
    wheel = files["foo-1.0-py3-none-any.whl"]
    assert wheel.url == "https://files.example.org/foo-1.0-py3-none-any.whl"
    assert wheel.hashes == {"sha256": H1}
    assert wheel.requires_python == ">=3.8,<4"
    assert wheel.metadata_hashes == {"sha256": H2}
    assert wheel.yanked is None
    assert wheel.index_url == "idx"
    sdist = files["foo-1.0.tar.gz"]
    assert sdist.url == "https://example.org/packages/foo-1.0.tar.gz"
    assert sdist.hashes == {"md5": "0123"}
    assert sdist.yanked == Yanked(reason="")
    assert sdist.metadata_hashes is None
    old = files["foo-1.1.tar.gz"]
    assert old.url == "https://example.org/packages/foo-1.1.tar.gz"
    assert old.yanked == Yanked(reason="bad & broken")
    assert old.metadata_hashes == {}
    manylinux = files["foo-1.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"]
    assert manylinux.requires_python == ">=3.9"  # an unescaped ">" inside quotes
    assert manylinux.url == PAGE + manylinux.filename
    assert Tag("cp312", "cp312", "manylinux2014_x86_64") in manylinux.tags
    assert len(manylinux.tags) == 2
    assert files["foo-1.3-py3-none-any.whl"].metadata_hashes == {}  # core-metadata wins


def test_html_base_href_is_honoured():
    page = '<html><head><base href="https://mirror.example.com/files/"></head><body>' \
        '<a href="foo-1.0.tar.gz">foo-1.0.tar.gz</a></body></html>'
    (file,) = parse_html_page(page, PAGE, name="foo", index_url="")
    assert file.url == "https://mirror.example.com/files/foo-1.0.tar.gz"


def test_html_relative_base_href_joins_the_page_url():
    page = '<base href="../../dist/"><a href="foo-1.0.tar.gz">x</a>'
    (file,) = parse_html_page(page, PAGE, name="foo", index_url="")
    assert file.url == "https://example.org/dist/foo-1.0.tar.gz"


def test_html_percent_encoded_filename_is_decoded():
    page = '<a href="/p/foo-1.0%2Blocal-py3-none-any.whl">x</a>'
    (file,) = parse_html_page(page, PAGE, name="foo", index_url="")
    assert file.filename == "foo-1.0+local-py3-none-any.whl"
    assert str(file.version) == "1.0+local"


def test_html_name_none_keeps_every_project():
    files = parse_html_page(HTML, PAGE, name=None, index_url="")
    assert {f.name for f in files} == {"foo", "foobar"}


def _big_page(count: int) -> tuple[str, bytes]:
    plats = [
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
        "macosx_11_0_arm64",
        "win_amd64",
        "any",
        "musllinux_1_1_aarch64",
    ]
    rows, entries = [], []
    for i in range(count):
        plat = plats[i % len(plats)]
        py = f"cp3{8 + i % 5}"
        filename = f"botocore-1.{i // 50}.{i % 50}-{py}-{py}-{plat}.whl"
        url = f"https://files.example.org/packages/{i:04x}/{filename}"
        rows.append(f'<a href="{url}#sha256={H1}" data-requires-python="&gt;=3.8">{filename}</a><br/>')
        entries.append({"filename": filename, "url": url, "hashes": {"sha256": H1}, "requires-python": ">=3.8"})
    html = "<html><body>\n" + "\n".join(rows) + "\n</body></html>"
    return html, _json(entries, name="botocore")


def test_big_pages_parse_every_file_the_same_way_in_both_formats():
    html, data = _big_page(5000)
    from_html = parse_html_page(html, PAGE, name="botocore", index_url="")
    from_json = parse_json_page(data, PAGE, name="botocore", index_url="")
    assert len(from_html) == len(from_json) == 5000
    assert from_html == from_json
    assert [f.tags for f in from_html] == [f.tags for f in from_json]
    assert all(f.requires_python == ">=3.8" and f.sha256 == H1 for f in from_html)


def test_supported_tags_thin_the_page_but_keep_a_witness_per_version() -> None:
    import json as _json

    from packaging.tags import Tag as _Tag
    from packaging.utils import canonicalize_name as _canon

    from spoke.index.simple import parse_json_page as _parse

    files = [
        {"filename": f"demo-1.0-cp311-cp311-{plat}.whl", "url": f"https://x/{plat}.whl", "hashes": {}}
        for plat in ("win_amd64", "macosx_11_0_arm64", "manylinux_2_17_x86_64")
    ] + [
        {"filename": "demo-2.0-cp311-cp311-win_amd64.whl", "url": "https://x/w2.whl", "hashes": {}},
        {"filename": "demo-2.0-cp311-cp311-win32.whl", "url": "https://x/w3.whl", "hashes": {}},
        {"filename": "demo-2.0.tar.gz", "url": "https://x/s.tar.gz", "hashes": {}},
    ]
    page = _json.dumps({"meta": {"api-version": "1.1"}, "files": files}).encode()
    supported = frozenset({_Tag("cp311", "cp311", "manylinux_2_17_x86_64")})
    kept = [f.filename for f in _parse(page, "https://x/simple/demo/", name=_canon("demo"),
                                       index_url="https://x/simple/", supported=supported)]
    assert kept == [
        "demo-1.0-cp311-cp311-win_amd64.whl",  # the witness for 1.0
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "demo-2.0-cp311-cp311-win_amd64.whl",  # the witness for 2.0
        "demo-2.0.tar.gz",
    ]
    everything = _parse(page, "https://x/simple/demo/", name=_canon("demo"), index_url="https://x/simple/")
    assert len(everything) == len(files)


@pytest.mark.parametrize("decoder", ["orjson", "json"])
def test_both_json_codecs_parse_thin_and_refuse_alike(monkeypatch, decoder: str) -> None:  # noqa: ANN001
    from spoke.index import simple

    if decoder == "json":  # the fallback where orjson has no wheel
        monkeypatch.setattr(simple, "_loads", json.loads)
        monkeypatch.setattr(simple, "_dumps", lambda value: json.dumps(value, separators=(",", ":")).encode())
    else:
        pytest.importorskip("orjson")
    html, data = _big_page(300)
    kept: list[dict[str, object]] = []
    files = parse_json_page(data, PAGE, name="botocore", index_url="", kept=kept)
    assert files == parse_html_page(html, PAGE, name="botocore", index_url="")
    thinned = simple.thinned_page(kept)
    assert json.loads(thinned)["files"] == kept
    assert parse_json_page(thinned, PAGE, name="botocore", index_url="") == files
    with pytest.raises(SpokeError, match="is not valid JSON"):
        parse_json_page(b'{"files": [', PAGE, name="botocore", index_url="")
    with pytest.raises(SpokeError, match="is not valid JSON"):
        parse_json_page(b"\xff\xfe{}", PAGE, name="botocore", index_url="")
