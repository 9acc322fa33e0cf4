"""Credentials for requests: from index URLs, ``.netrc`` and, as a last resort, keyring.

The rule that matters: **credentials go only to the origin they were given for**. An origin is
scheme + host + port (``https://host`` and ``https://host:8443`` are two origins). Credentials
written into an index URL apply to every request to that origin, whatever the path (the files
of a private index usually live beside its pages); a redirect to another host, or a file
served from a CDN, is asked for without them. ``.netrc`` entries are looked up by host name,
as curl does. The keyring is asked only after a server answered ``401`` to a request that
carried no credentials, because importing and querying a keyring backend can be slow.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """A user name and password for HTTP Basic authentication (the password may be empty)."""

    username: str
    password: str

    def header(self) -> str:
        """The value of an ``Authorization`` header carrying these credentials."""
        token = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(token).decode("ascii")

    def secrets(self) -> tuple[str, ...]:
        """The strings to mask in messages: the password, or a token-only user name."""
        return (self.password,) if self.password else (self.username,)


def origin_of(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, lowercase, with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def credentials_in_url(url: str) -> Credentials | None:
    """The credentials written into ``url`` (``user:password@`` or ``token@``), if any."""
    parts = urlsplit(url)
    if parts.username is None:
        return None
    return Credentials(
        username=unquote(parts.username), password=unquote(parts.password or "")
    )


class AuthProvider(Protocol):
    """Supplies credentials for request URLs (already stripped of any credentials).

    Implementations must be thread-safe: the client calls them from many workers.
    """

    def credentials_for(self, url: str) -> Credentials | None:
        """Credentials to send with a request to ``url``; a cheap lookup, asked every request."""

    def credentials_after_401(self, url: str) -> Credentials | None:
        """Credentials to retry ``url`` with after it answered ``401`` to a request without any.

        May be slow (keyring); asked at most once per origin.
        """


class UrlAndNetrcAuth:
    """Credentials from index URLs, then a ``.netrc`` file, then keyring (when importable).

    ``netrc_path`` is the ``.netrc`` file to read (``None``: none); the config layer finds it
    (``NETRC`` variable or ``~/.netrc``). ``index_urls`` are the configured index and find-links
    URLs, with their credentials.
    """

    def __init__(self, netrc_path: Path | None, index_urls: Sequence[str]) -> None:
        self._netrc_path = netrc_path
        self._by_origin: dict[tuple[str, str, int | None], Credentials] = {}
        self._index_urls: dict[tuple[str, str, int | None], str] = {}
        for index_url in index_urls:
            origin = origin_of(index_url)
            found = credentials_in_url(index_url)
            if found is not None:
                self._by_origin.setdefault(origin, found)
            self._index_urls.setdefault(origin, _without_userinfo(index_url))
        self._lock = threading.Lock()
        self._netrc: object | None = None
        self._netrc_loaded = False
        self._keyring_asked: dict[tuple[str, str, int | None], Credentials | None] = {}

    def credentials_for(self, url: str) -> Credentials | None:
        """URL credentials of the same origin, else ``.netrc`` by host (a user-only URL entry
        takes its password from ``.netrc`` when the login matches)."""
        origin = origin_of(url)
        from_url = self._by_origin.get(origin)
        if from_url is not None and from_url.password:
            return from_url
        from_netrc = self._from_netrc(origin[1])
        if from_url is not None:
            if from_netrc is not None and from_netrc.username == from_url.username:
                return from_netrc
            return from_url
        with self._lock:
            asked = self._keyring_asked.get(origin)
        return from_netrc or asked

    def credentials_after_401(self, url: str) -> Credentials | None:
        """Ask keyring (when it is installed) for the index URL of ``url``'s origin."""
        origin = origin_of(url)
        with self._lock:
            if origin in self._keyring_asked:
                return self._keyring_asked[origin]
        username = self._by_origin[origin].username if origin in self._by_origin else None
        found = ask_keyring(self._index_urls.get(origin) or _origin_url(origin), username)
        if found is None and origin in self._index_urls:
            found = ask_keyring(origin[1], username)
        with self._lock:
            self._keyring_asked[origin] = found
        return found

    def _from_netrc(self, host: str) -> Credentials | None:
        if self._netrc_path is None or not host:
            return None
        with self._lock:
            if not self._netrc_loaded:
                self._netrc = _load_netrc(self._netrc_path)
                self._netrc_loaded = True
            parsed = self._netrc
        if parsed is None:
            return None
        entry = parsed.authenticators(host)  # type: ignore[attr-defined]
        if not entry:
            return None
        login, _account, password = entry
        return Credentials(username=login or "", password=password or "")


def _load_netrc(path: Path) -> object | None:
    import netrc

    try:
        return netrc.netrc(str(path))
    except (OSError, netrc.NetrcParseError):
        # pip ignores an unreadable .netrc too: credentials are optional.
        return None


def _without_userinfo(url: str) -> str:
    from spoke.net.redact import strip_credentials

    return strip_credentials(url)


def _origin_url(origin: tuple[str, str, int | None]) -> str:
    scheme, host, port = origin
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def ask_keyring(service: str, username: str | None) -> Credentials | None:
    """The credentials the ``keyring`` package holds for ``service`` (and ``username``), when
    it is installed and has them; any keyring failure counts as "none"."""
    try:
        import keyring  # type: ignore[import-not-found]
    except Exception:  # noqa: BLE001 - keyring is optional; a broken install is "absent"
        return None
    try:
        found = keyring.get_credential(service, username)
    except Exception:  # noqa: BLE001 - a failing backend must not fail the install
        return None
    if found is None or not getattr(found, "password", None):
        return None
    return Credentials(username=found.username or username or "", password=found.password)
