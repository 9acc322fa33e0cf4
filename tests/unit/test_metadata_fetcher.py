"""MetadataFetcher: cache, PEP 658, range reads, whole downloads, checks, concurrency."""

from __future__ import annotations

import hashlib
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from spoke.cache import Cache, flush_later
from spoke.errors import BuildRequiredError, HashMismatchError, MetadataError
from spoke.metadata import MetadataFetcher
from spoke.models import IndexFile
from tests.unit.fake_http import FakeHttp, Route
from tests.unit.test_metadata_zipread import build_wheel

FILES = "https://files.example.org/packages/"
WHEEL = "foo-1.0-py3-none-any.whl"
METADATA = (
    b"Metadata-Version: 2.1\n"
    b"Name: Foo\n"
    b"Version: 1.0\n"
    b"Summary: A test package\n"
    b"Requires-Python: >=3.8\n"
    b"Provides-Extra: Dev_Tools\n"
    b"Requires-Dist: bar>=1.0\n"
    b"Requires-Dist: baz; extra == 'dev-tools'\n"
    b"\n"
    b"Long description.\n"
)


def _file(
    filename: str = WHEEL, content: bytes | None = None, *, url: str | None = None, **kw
) -> IndexFile:
    """An index file for ``filename``; its sha256 is ``content``'s when given."""
    if filename.endswith(".whl"):
        name, version, build, tags = parse_wheel_filename(filename)
    else:
        name, version = parse_sdist_filename(filename)
        build, tags = (), frozenset()
    hashes = {"sha256": hashlib.sha256(content).hexdigest()} if content is not None else {}
    return IndexFile(
        name=name, version=version, filename=filename, url=url or FILES + filename,
        hashes=kw.pop("hashes", hashes), tags=tags, build_tag=build, **kw,
    )


@pytest.fixture
def cache(tmp_path):
    return Cache.open(tmp_path / "cache")


def _serve(wheel: bytes, **kwargs) -> FakeHttp:
    return FakeHttp({FILES + WHEEL: wheel}, **kwargs)


def _padded_wheel(metadata: bytes = METADATA) -> bytes:
    blob = random.Random(3).randbytes(150_000)  # incompressible: METADATA is not in the tail
    return build_wheel(metadata=metadata, after={"foo/blob.bin": blob})


def test_metadata_fields_by_range_reads(cache):
    wheel = _padded_wheel()
    http = _serve(wheel)
    meta = MetadataFetcher(http, cache=cache).get(_file(content=wheel))
    assert meta.name == "foo" and meta.display_name == "Foo"
    assert meta.version == Version("1.0")
    assert [str(r) for r in meta.requires_dist] == ["bar>=1.0", 'baz; extra == "dev-tools"']
    assert meta.requires_python == ">=3.8"
    assert meta.provides_extra == ("dev-tools",)
    assert meta.summary == "A test package"
    assert [c[0] for c in http.calls] == ["range", "range"]  # the tail, then METADATA
    assert http.calls[0] == ("range", FILES + WHEEL, -65536, None)


def test_central_directory_bigger_than_the_tail(cache):
    many = {f"foo/{'nested/' * 6}m{i:05d}.py": b"" for i in range(1500)}
    wheel = build_wheel(metadata=METADATA, after=many)
    http = _serve(wheel)
    assert MetadataFetcher(http, cache=cache).get(_file(content=wheel)).version == Version("1.0")
    ranges = http.calls_of("range")
    assert len(ranges) == 3  # tail, the rest of the central directory, METADATA
    assert ranges[1][3] == len(wheel) - 65536 - 1  # inclusive end, right before the tail
    assert http.calls_of("download") == []


def test_pep658_metadata_file_is_used_without_range_reads(cache):
    wheel = _padded_wheel()
    file = _file(content=wheel, metadata_hashes={"sha256": hashlib.sha256(METADATA).hexdigest()})
    http = _serve(wheel)
    http.add(FILES + WHEEL + ".metadata", METADATA)
    assert MetadataFetcher(http, cache=cache).get(file).name == "foo"
    assert http.calls == [("get", FILES + WHEEL + ".metadata")]


def test_pep658_digest_mismatch_is_an_error(cache):
    file = _file(content=b"w", metadata_hashes={"sha256": "0" * 64})
    http = FakeHttp({FILES + WHEEL + ".metadata": METADATA})
    with pytest.raises(HashMismatchError):
        MetadataFetcher(http, cache=cache).get(file)
    flush_later()
    assert not [p for p in (cache.root / "metadata-v1").rglob("*") if p.is_file()]


def test_pep658_missing_file_falls_back_to_range_reads(cache):
    wheel = _padded_wheel()
    http = _serve(wheel)  # no .metadata route: 404
    meta = MetadataFetcher(http, cache=cache).get(_file(content=wheel, metadata_hashes={}))
    assert meta.version == Version("1.0")
    assert [c[0] for c in http.calls] == ["get", "range", "range"]


def test_no_range_support_downloads_into_the_wheels_bucket(cache):
    wheel = _padded_wheel()
    http = _serve(wheel, ranges=False)
    fetcher = MetadataFetcher(http, cache=cache)
    file = _file(content=wheel)
    assert fetcher.get(file).name == "foo"
    path = fetcher.wheel_path_for(file)
    assert path == cache.root / "wheels-v1" / file.sha256 / WHEEL
    assert path.read_bytes() == wheel
    assert [c[0] for c in http.calls] == ["range", "download"]


def test_broken_range_answers_fall_back_to_a_download(cache):
    class ShortRanges(FakeHttp):
        def get_range(self, url, start, end):
            data = super().get_range(url, start, end)
            return data if start < 0 else data[:10]

    wheel = _padded_wheel()
    http = ShortRanges({FILES + WHEEL: wheel})
    assert MetadataFetcher(http, cache=cache).get(_file(content=wheel)).name == "foo"
    assert http.calls_of("download") == [("download", FILES + WHEEL)]


def test_download_without_a_hash_is_keyed_by_url(cache):
    wheel = _padded_wheel()
    fetcher = MetadataFetcher(_serve(wheel, ranges=False), cache=cache)
    file = _file()
    assert file.sha256 is None
    fetcher.get(file)
    path = fetcher.wheel_path_for(file)
    assert path.parent.name.startswith("url-") and path.read_bytes() == wheel


def test_an_already_downloaded_wheel_is_read_locally(cache):
    wheel = _padded_wheel()
    file = _file(content=wheel)
    http = FakeHttp()
    fetcher = MetadataFetcher(http, cache=cache)
    path = fetcher.wheel_path_for(file)
    path.parent.mkdir(parents=True)
    path.write_bytes(wheel)
    assert fetcher.get(file).name == "foo"
    assert http.calls == []


def test_cache_hit_makes_zero_requests(cache):
    wheel = _padded_wheel()
    file = _file(content=wheel)
    MetadataFetcher(_serve(wheel), cache=cache).get(file)
    flush_later()  # the entry is written in the background; a later run finds it on disk
    stored = cache.root / "metadata-v1" / "sha256" / file.sha256[:2] / file.sha256
    assert stored.read_bytes() == METADATA
    http = FakeHttp()
    meta = MetadataFetcher(http, cache=cache).get(file)
    assert (meta.name, meta.version, len(meta.requires_dist)) == ("foo", Version("1.0"), 2)
    assert http.calls == []


def test_url_keyed_cache_without_a_hash(cache):
    wheel = _padded_wheel()
    MetadataFetcher(_serve(wheel), cache=cache).get(_file())
    flush_later()
    http = FakeHttp()
    assert MetadataFetcher(http, cache=cache).get(_file()).name == "foo"
    assert http.calls == []


def test_local_wheel_is_read_directly(cache, tmp_path):
    path = tmp_path / WHEEL
    path.write_bytes(_padded_wheel())
    http = FakeHttp()
    file = _file(url=path.as_uri())
    assert MetadataFetcher(http, cache=cache).get(file).summary == "A test package"
    assert http.calls == []
    flush_later()
    assert list((cache.root / "metadata-v1" / "local").iterdir())


def test_name_mismatch_is_an_error_and_not_cached(cache):
    wheel = _padded_wheel(METADATA.replace(b"Name: Foo", b"Name: evil"))
    with pytest.raises(MetadataError) as info:
        MetadataFetcher(_serve(wheel), cache=cache).get(_file(content=wheel))
    assert WHEEL in info.value.message and "evil" in info.value.message
    flush_later()
    assert not [p for p in (cache.root / "metadata-v1").rglob("*") if p.is_file()]


def test_version_mismatch_is_an_error(cache):
    wheel = _padded_wheel(METADATA.replace(b"Version: 1.0", b"Version: 2.0"))
    with pytest.raises(MetadataError):
        MetadataFetcher(_serve(wheel), cache=cache).get(_file(content=wheel))


def test_equivalent_version_spelling_is_accepted(cache):
    wheel = _padded_wheel(METADATA.replace(b"Version: 1.0", b"Version: 1.0.0"))
    assert MetadataFetcher(_serve(wheel), cache=cache).get(_file(content=wheel)).version == Version("1")


def test_sdist_needs_a_build(cache):
    http = FakeHttp()
    with pytest.raises(BuildRequiredError) as info:
        MetadataFetcher(http, cache=cache).get(_file("foo-1.0.tar.gz"))
    assert "foo-1.0.tar.gz" in info.value.message and info.value.hint
    assert http.calls == []


def test_unsafe_filename_is_refused(cache):
    from spoke.errors import UnsafeArchiveError

    file = IndexFile(name="foo", version=Version("1"), filename="../x.whl", url=FILES + "x.whl")
    with pytest.raises(UnsafeArchiveError):
        MetadataFetcher(FakeHttp(), cache=cache).wheel_path_for(file)


def test_eight_threads_one_fetch(cache):
    wheel = _padded_wheel()
    http = _serve(wheel, delay=0.02)
    fetcher = MetadataFetcher(http, cache=cache)
    file = _file(content=wheel)
    barrier = threading.Barrier(8)
    results = []

    def ask():
        barrier.wait(timeout=10)
        results.append(fetcher.get(file))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert len(http.calls) == 2


def test_prefetch_then_get_does_no_duplicate_work(cache):
    wheel = _padded_wheel()
    http = _serve(wheel, delay=0.02)
    file = _file(content=wheel)
    with ThreadPoolExecutor(max_workers=2) as executor:
        fetcher = MetadataFetcher(http, cache=cache, executor=executor)
        fetcher.prefetch([file, file, _file("foo-1.0.tar.gz")])
        assert fetcher.get(file).name == "foo"
    assert len(http.calls) == 2


def test_invalid_requires_dist_names_the_file(cache):
    bad = METADATA.replace(b"Requires-Dist: bar>=1.0", b"Requires-Dist: bar >=>= 1")
    wheel = _padded_wheel(bad)
    with pytest.raises(MetadataError) as info:
        MetadataFetcher(_serve(wheel), cache=cache).get(_file(content=wheel))
    assert WHEEL in info.value.message


def test_not_found_wheel_propagates_the_http_error(cache):
    from spoke.errors import HTTPStatusError

    http = FakeHttp({FILES + WHEEL: Route(status=404)})
    with pytest.raises(HTTPStatusError):
        MetadataFetcher(http, cache=cache).get(_file())


def test_a_whole_wheel_is_asked_of_the_downloader_first(cache, tmp_path):
    wheel = _padded_wheel()
    file = _file(content=wheel)
    elsewhere = tmp_path / "elsewhere" / WHEEL
    asked: list[tuple[str, object]] = []

    class Elsewhere:
        def download_whole(self, f, dest):
            asked.append((f.filename, dest))
            elsewhere.parent.mkdir()
            elsewhere.write_bytes(wheel)
            return elsewhere

        def downloaded(self, f, path):
            raise AssertionError("the fetcher downloaded nothing itself")

    http = _serve(wheel, ranges=False)
    fetcher = MetadataFetcher(http, cache=cache, wheels=Elsewhere())
    assert fetcher.get(file).name == "foo"
    assert asked == [(WHEEL, fetcher.wheel_path_for(file))]
    assert [c[0] for c in http.calls] == ["range"]  # the fetcher itself downloaded nothing


def test_a_downloader_that_declines_leaves_the_download_to_the_fetcher(cache):
    wheel = _padded_wheel()
    http = _serve(wheel, ranges=False)
    told: list[str] = []

    class Declines:
        def download_whole(self, f, dest):
            return None

        def downloaded(self, f, path):
            told.append(f.filename)

    fetcher = MetadataFetcher(http, cache=cache, wheels=Declines())
    assert fetcher.get(_file(content=wheel)).name == "foo"
    assert [c[0] for c in http.calls] == ["range", "download"]
    assert told == [WHEEL]
