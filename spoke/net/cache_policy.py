"""The HTTP caching rules spoke follows, as pure functions on headers.

Why a cache at all
------------------
Resolving asks the index for the same project pages again and again: once per command, often
several times a day. Most of those pages have not changed, and a page that has not changed
should cost one small round trip (a ``304 Not Modified``), or nothing at all when the server
said how long it stays good. This module decides *when* a stored answer may be reused; the
storage itself lives in :mod:`spoke.net.http_cache` and the requests in :mod:`spoke.net.client`.

The rules (RFC 9111, for a private cache)
-----------------------------------------
spoke is a private cache (one user's machine), so ``private`` answers may be stored, and the
shared-cache directives (``s-maxage``, ``proxy-revalidate``) are ignored.

*Storable*: a ``200`` answer to a ``GET`` is stored unless the request or the answer says
``no-store``, or the answer ``Vary``-es on ``*`` (it depends on something we cannot see).
An answer with no validator and no lifetime is stored all the same: it costs a file, and it
lets ``--offline`` work from what was seen before.

*Fresh*: a stored answer is reused without asking the server while its age is below its
freshness lifetime. The lifetime is ``Cache-Control: max-age`` or, failing that, ``Expires``
minus ``Date``. We deliberately apply **no heuristic freshness** (RFC 9111 4.2.2 allows
guessing from ``Last-Modified``): an index page that gains a release must be seen at once,
and servers that want caching say so. ``no-cache`` on either side forces revalidation, as does
a request ``max-age=0``. The age is the time since we stored the answer plus the ``Age`` the
server reported (time spent in upstream caches such as a CDN).

*Revalidated*: a stale answer that carries an ``ETag`` is revalidated with ``If-None-Match``,
one with ``Last-Modified`` with ``If-Modified-Since`` (both when both are present; servers
prefer the ETag). A ``304`` refreshes the stored headers (:func:`merge_not_modified`) and the
stored body is used; a ``200`` replaces the stored answer.

*Vary*: an answer is only reused for a request whose headers named by ``Vary`` match the
ones that fetched it. The store also keys entries by ``Accept`` (a JSON and an HTML page of
the same URL are two answers), because many servers forget to say ``Vary: Accept``.

Every function takes plain mappings (header names in any case) and, where time matters, an
explicit ``now`` in seconds since the epoch, so the rules are tested without a clock.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Statuses whose answers spoke stores.
STORABLE_STATUSES = frozenset({200})


def _get(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup on any mapping."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None


def parse_cache_control(value: str | None) -> dict[str, str | None]:
    """The directives of a ``Cache-Control`` header: lowercase names → argument or ``None``.

    ``"public, max-age=600, no-cache"`` gives ``{"public": None, "max-age": "600",
    "no-cache": None}``. Quotes around arguments are removed; malformed parts are skipped.
    """
    directives: dict[str, str | None] = {}
    if not value:
        return directives
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        directives[name] = arg.strip().strip('"') if sep else None
    return directives


def _seconds(arg: str | None) -> int | None:
    if arg is None:
        return None
    try:
        seconds = int(arg)
    except ValueError:
        return None
    return max(seconds, 0)


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # only when a date is present

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def is_storable(
    request_headers: Mapping[str, str], status: int, response_headers: Mapping[str, str]
) -> bool:
    """Whether an answer to a GET with ``request_headers`` may be stored."""
    if status not in STORABLE_STATUSES:
        return False
    if "no-store" in parse_cache_control(_get(request_headers, "Cache-Control")):
        return False
    if "no-store" in parse_cache_control(_get(response_headers, "Cache-Control")):
        return False
    return "*" not in vary_names(response_headers)


def freshness_lifetime(response_headers: Mapping[str, str]) -> float | None:
    """Seconds an answer stays fresh after it was sent; ``None`` when the server did not say.

    ``max-age`` wins over ``Expires``; an unparsable ``Expires`` means already expired (0).
    """
    max_age = _seconds(parse_cache_control(_get(response_headers, "Cache-Control")).get("max-age"))
    if max_age is not None:
        return float(max_age)
    expires = _get(response_headers, "Expires")
    if expires is None:
        return None
    expires_at = _http_date(expires)
    date = _http_date(_get(response_headers, "Date"))
    if expires_at is None or date is None:
        return 0.0
    return max(expires_at - date, 0.0)


def current_age(response_headers: Mapping[str, str], stored_at: float, now: float) -> float:
    """Age of a stored answer: time since it was stored, plus the ``Age`` the server reported."""
    reported = _seconds(_get(response_headers, "Age")) or 0
    return max(now - stored_at, 0.0) + reported


def is_fresh(
    response_headers: Mapping[str, str],
    stored_at: float,
    now: float,
    request_headers: Mapping[str, str] | None = None,
) -> bool:
    """Whether a stored answer may be reused *without* asking the server."""
    response_cc = parse_cache_control(_get(response_headers, "Cache-Control"))
    if "no-cache" in response_cc:
        return False
    if request_headers is not None:
        request_cc = parse_cache_control(_get(request_headers, "Cache-Control"))
        if "no-cache" in request_cc or _seconds(request_cc.get("max-age")) == 0:
            return False
        if _get(request_headers, "Pragma") == "no-cache" and not request_cc:
            return False
    lifetime = freshness_lifetime(response_headers)
    if lifetime is None:
        return False
    return current_age(response_headers, stored_at, now) < lifetime


def validators(response_headers: Mapping[str, str]) -> dict[str, str]:
    """The conditional request headers that revalidate a stored answer (may be empty)."""
    conditional: dict[str, str] = {}
    etag = _get(response_headers, "ETag")
    if etag:
        conditional["If-None-Match"] = etag
    last_modified = _get(response_headers, "Last-Modified")
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    return conditional


def vary_names(response_headers: Mapping[str, str]) -> tuple[str, ...]:
    """The lowercase request header names an answer varies on (``*`` kept as is)."""
    value = _get(response_headers, "Vary") or ""
    return tuple(sorted({name.strip().lower() for name in value.split(",") if name.strip()}))


def vary_key(response_headers: Mapping[str, str], request_headers: Mapping[str, str]) -> dict[str, str]:
    """The values of the request headers named by ``Vary``, to store beside the answer."""
    return {
        name: _get(request_headers, name) or ""
        for name in vary_names(response_headers)
        if name != "*"
    }


def vary_matches(stored_vary: Mapping[str, str], request_headers: Mapping[str, str]) -> bool:
    """Whether a new request agrees with the one that fetched the stored answer."""
    return all((_get(request_headers, name) or "") == value for name, value in stored_vary.items())


#: Headers a 304 must not overwrite: they describe the stored body, not the validation.
_BODY_HEADERS = frozenset({"content-length", "content-encoding", "content-type", "transfer-encoding"})


def merge_not_modified(
    stored_headers: Mapping[str, str], not_modified_headers: Mapping[str, str]
) -> dict[str, str]:
    """The stored headers refreshed by a ``304`` answer's headers (RFC 9111 4.3.4)."""
    merged = {key.lower(): value for key, value in stored_headers.items()}
    for key, value in not_modified_headers.items():
        if key.lower() not in _BODY_HEADERS:
            merged[key.lower()] = value
    return merged
