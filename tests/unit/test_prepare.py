"""spoke.prepare: fetching a wheel, then unpacking it, when other spoke processes share the cache.

The two stages are called here as two processes would interleave them on one cache: the
second finds the archive the first downloaded, the first unpacks it and removes it, then the
second opens it. Nothing is timed: the interleaving is written out.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.cache import Cache
from spoke.errors import HashMismatchError
from spoke.models import IndexFile, UnpackedWheel
from spoke.prepare import fetch_one, unpack_fetched, wheel_download_path
from tests.unit.fake_http import FakeHttp
from tests.unit.wheelmaker import make_wheel

URL = "https://files.example.test/demo-1.0-py3-none-any.whl"


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache.open(tmp_path / "cache")


@pytest.fixture
def wheel(tmp_path: Path) -> bytes:
    folder = tmp_path / "wheels"
    folder.mkdir()
    return make_wheel(folder, name="demo", version="1.0", files={"demo/__init__.py": "VALUE = 1\n"}).read_bytes()


def _file(*, sha256: str | None) -> IndexFile:
    return IndexFile(
        name=canonicalize_name("demo"), version=Version("1.0"), filename="demo-1.0-py3-none-any.whl",
        url=URL, hashes={"sha256": sha256} if sha256 else {},
    )


def _other_process_unpacks_first(file: IndexFile, http: FakeHttp, cache: Cache) -> tuple[object, UnpackedWheel]:
    """The race: this process fetches (finding the other's download), the other unpacks and
    removes the archive; what this process fetched, and what the other unpacked."""
    theirs = fetch_one(file, http=http, cache=cache)  # the other process downloads
    ours = fetch_one(file, http=http, cache=cache)  # this one finds the archive there
    assert not isinstance(ours, UnpackedWheel) and ours[0].exists()
    unpacked = unpack_fetched(file, theirs, cache=cache)  # the other unpacks it, and removes it
    assert not ours[0].exists()
    return ours, unpacked


def test_an_archive_removed_by_another_process_is_fetched_again_when_the_index_gave_no_hash(
    cache: Cache, wheel: bytes,
) -> None:
    http = FakeHttp({URL: wheel})
    file = _file(sha256=None)
    ours, theirs = _other_process_unpacks_first(file, http, cache)
    assert len(http.calls_of("download")) == 1
    unpacked = unpack_fetched(file, ours, cache=cache, http=http)  # type: ignore[arg-type]
    # Without a hash there is no finding the other's result: the archive is fetched again,
    # and hashes to the entry the other process unpacked.
    assert unpacked == theirs
    assert (unpacked.root / "demo" / "__init__.py").read_text() == "VALUE = 1\n"
    assert len(http.calls_of("download")) == 2
    assert not wheel_download_path(cache, file).exists()  # removed once unpacked, as usual


def test_an_archive_removed_by_another_process_after_it_unpacked_it_is_not_fetched_again(
    cache: Cache, wheel: bytes,
) -> None:
    http = FakeHttp({URL: wheel})
    file = _file(sha256=hashlib.sha256(wheel).hexdigest())
    ours, theirs = _other_process_unpacks_first(file, http, cache)
    assert unpack_fetched(file, ours, cache=cache, http=http) == theirs  # type: ignore[arg-type]
    assert len(http.calls_of("download")) == 1


def test_a_fetched_again_archive_is_held_to_the_hash_the_first_was_checked_against(
    cache: Cache, wheel: bytes, tmp_path: Path,
) -> None:
    # The other process removed the archive before anyone unpacked it (a cache clean), and the
    # server now answers other bytes: they must hash as the first copy did.
    http = FakeHttp({URL: wheel})
    file = _file(sha256=None)
    path, _ = fetch_one(file, http=http, cache=cache)  # type: ignore[misc]
    path.unlink()
    (tmp_path / "other").mkdir()
    http.add(URL, make_wheel(tmp_path / "other", name="demo", version="1.0", files={"demo/__init__.py": "X = 2\n"}
                             ).read_bytes())
    with pytest.raises(HashMismatchError):
        unpack_fetched(file, (path, hashlib.sha256(wheel).hexdigest()), cache=cache, http=http)


def test_a_local_archive_that_is_gone_stays_an_error(cache: Cache, tmp_path: Path) -> None:
    missing = tmp_path / "demo-1.0-py3-none-any.whl"
    file = IndexFile(name=canonicalize_name("demo"), version=Version("1.0"), filename=missing.name,
                     url=missing.as_uri())
    http = FakeHttp()
    with pytest.raises(FileNotFoundError):
        unpack_fetched(file, (missing, None), cache=cache, http=http)
    assert http.calls == []
