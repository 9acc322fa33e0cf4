"""The pure HTTP caching rules, with plain dicts and explicit clocks."""

from __future__ import annotations

from spoke.net import cache_policy as cp


def test_parse_cache_control() -> None:
    assert cp.parse_cache_control('public, Max-Age="600", no-cache,,') == {
        "public": None,
        "max-age": "600",
        "no-cache": None,
    }
    assert cp.parse_cache_control(None) == {}


def test_storable() -> None:
    assert cp.is_storable({}, 200, {})
    assert cp.is_storable({}, 200, {"cache-control": "private, max-age=5"})
    assert not cp.is_storable({}, 404, {})
    assert not cp.is_storable({}, 200, {"Cache-Control": "no-store"})
    assert not cp.is_storable({"Cache-Control": "no-store"}, 200, {})
    assert not cp.is_storable({}, 200, {"Vary": "Accept, *"})


def test_fresh_by_max_age() -> None:
    headers = {"Cache-Control": "max-age=60"}
    assert cp.is_fresh(headers, stored_at=1000.0, now=1059.0)
    assert not cp.is_fresh(headers, stored_at=1000.0, now=1060.0)
    # The Age an upstream cache reported counts too.
    assert not cp.is_fresh({**headers, "Age": "30"}, stored_at=1000.0, now=1031.0)


def test_fresh_by_expires() -> None:
    headers = {"Date": "Wed, 21 Oct 2015 07:28:00 GMT", "Expires": "Wed, 21 Oct 2015 07:38:00 GMT"}
    assert cp.freshness_lifetime(headers) == 600.0
    assert cp.is_fresh(headers, stored_at=0.0, now=599.0)
    assert cp.freshness_lifetime({"Expires": "0"}) == 0.0
    # max-age wins over Expires.
    assert cp.freshness_lifetime({**headers, "cache-control": "max-age=5"}) == 5.0


def test_not_fresh_without_lifetime_or_with_no_cache() -> None:
    assert not cp.is_fresh({"ETag": '"x"', "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0, 1.0)
    assert not cp.is_fresh({"Cache-Control": "max-age=60, no-cache"}, 0.0, 1.0)
    assert not cp.is_fresh({"Cache-Control": "max-age=60"}, 0.0, 1.0, {"Cache-Control": "max-age=0"})
    assert not cp.is_fresh({"Cache-Control": "max-age=60"}, 0.0, 1.0, {"Cache-Control": "no-cache"})
    assert cp.is_fresh({"Cache-Control": "max-age=60"}, 0.0, 1.0, {"Accept": "text/html"})


def test_validators() -> None:
    assert cp.validators({"etag": '"v1"', "Last-Modified": "X"}) == {
        "If-None-Match": '"v1"',
        "If-Modified-Since": "X",
    }
    assert cp.validators({}) == {}


def test_vary() -> None:
    response = {"Vary": "Accept, accept-encoding"}
    stored = cp.vary_key(response, {"Accept": "application/json", "Accept-Encoding": "gzip"})
    assert stored == {"accept": "application/json", "accept-encoding": "gzip"}
    assert cp.vary_matches(stored, {"ACCEPT": "application/json", "accept-encoding": "gzip"})
    assert not cp.vary_matches(stored, {"Accept": "text/html", "Accept-Encoding": "gzip"})
    assert cp.vary_matches({}, {"Accept": "anything"})


def test_merge_not_modified_keeps_body_headers() -> None:
    stored = {"Content-Type": "text/html", "ETag": '"1"', "Cache-Control": "max-age=1"}
    merged = cp.merge_not_modified(stored, {"ETag": '"2"', "Cache-Control": "max-age=9", "Content-Length": "0"})
    assert merged == {"content-type": "text/html", "etag": '"2"', "cache-control": "max-age=9"}
