"""The on-disk HTTP cache store."""

from __future__ import annotations

from pathlib import Path

from spoke.cache import flush_later
from spoke.net.http_cache import CachedResponse, HttpCacheStore


def entry(**overrides: object) -> CachedResponse:
    values: dict[str, object] = {
        "url": "https://h/simple/x/",
        "status": 200,
        "headers": {"ETag": '"1"'},
        "vary": {},
        "stored_at": 5.0,
        "content": b"line1\nline2\x00\xff",
    }
    values.update(overrides)
    return CachedResponse(**values)  # type: ignore[arg-type]


def test_round_trip_and_keyed_by_accept(tmp_path: Path) -> None:
    store = HttpCacheStore(tmp_path)
    html = {"Accept": "text/html"}
    store.save("https://h/simple/x/", html, entry())
    loaded = store.load("https://h/simple/x/", html)
    assert loaded is not None
    assert loaded.content == b"line1\nline2\x00\xff"
    assert loaded.headers == {"etag": '"1"'} and loaded.stored_at == 5.0
    assert store.load("https://h/simple/x/", {"Accept": "application/json"}) is None
    store.delete("https://h/simple/x/", html)
    assert store.load("https://h/simple/x/", html) is None


def test_vary_mismatch_reads_as_absent(tmp_path: Path) -> None:
    store = HttpCacheStore(tmp_path)
    store.save("u", {}, entry(vary={"accept-language": "fr"}))
    assert store.load("u", {"Accept-Language": "fr"}) is not None
    assert store.load("u", {"Accept-Language": "de"}) is None


def test_damaged_entry_reads_as_absent(tmp_path: Path) -> None:
    store = HttpCacheStore(tmp_path)
    store.save("u", {}, entry())
    flush_later()  # saved in the background: damage it once it is on disk
    path = store.path_for("u", {})
    path.write_bytes(b"spoke-http-1\n{not json\nbody")
    assert store.load("u", {}) is None
    path.write_bytes(b"garbage")
    assert store.load("u", {}) is None
