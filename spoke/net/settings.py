"""The network settings and the value a request returns."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from spoke import __version__

#: Seconds a connection or a read may wait before it fails: pip's ``--timeout`` default. The
#: one declaration: the option table, the index settings and :class:`NetSettings` import it.
DEFAULT_TIMEOUT = 15.0
#: Retries after the first attempt: pip's ``--retries`` default (declared once, like
#: :data:`DEFAULT_TIMEOUT`).
DEFAULT_RETRIES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class NetSettings:
    """How spoke talks to the network; built by ``spoke.config`` from options and environment.

    ``cert`` is a CA bundle (default: certifi's); ``client_cert`` one PEM file holding a client
    certificate and its key. ``trusted_hosts`` (``host`` or ``host:port``) may be reached over
    plain http or unverified https. ``proxy`` (``http://[user:pass@]host:port``) is used for every
    request; when it is ``None``, ``proxy_env`` (the ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``
    values the config layer read, as pairs) chooses per URL. ``retries`` counts retries after the
    first attempt; the wait between attempts grows from ``backoff_base`` seconds.
    ``max_connections`` bounds the kept-alive connections per host.
    """

    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    cert: str | None = None
    client_cert: str | None = None
    trusted_hosts: tuple[str, ...] = ()
    proxy: str | None = None
    proxy_env: tuple[tuple[str, str], ...] = ()
    user_agent: str = f"spoke/{__version__}"
    max_connections: int = 16
    offline: bool = False
    backoff_base: float = 0.25
    system_certs_only: bool = False  # --use-system-certs / --native-tls / --use-feature truststore


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive mapping of HTTP headers (repeated values joined by ``, ``)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        merged: dict[str, tuple[str, str]] = {}
        for key, value in pairs:
            lowered = key.lower()
            if lowered in merged:
                merged[lowered] = (merged[lowered][0], f"{merged[lowered][1]}, {value}")
            else:
                merged[lowered] = (key, value)
        self._items = merged

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {k.lower(): v for k, v in self.items()} == {
            str(k).lower(): v for k, v in other.items()
        }

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Response:
    """A complete HTTP answer: final URL (after redirects, without credentials), status,
    case-insensitive headers and the whole (decoded) body. ``from_cache`` is true when the body
    came from the HTTP cache, fresh or revalidated by a ``304``.
    """

    url: str
    status: int
    headers: Mapping[str, str] = field(default_factory=Headers)
    content: bytes = b""
    from_cache: bool = False
    reason: str = ""
    """The status line's reason phrase, where it matters (an upload's refusal: PyPI says why there)."""

    @property
    def text(self) -> str:
        """The body decoded with the charset of ``Content-Type`` (UTF-8 when absent)."""
        charset = "utf-8"
        for part in self.headers.get("Content-Type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not)."""
        return json.loads(self.content)
