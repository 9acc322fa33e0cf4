"""spoke's HTTP layer: one thread-safe client with pooling, retries, caching, TLS, proxies,
credentials and redaction of secrets.

Importing this package is cheap: the names below load on first use (urllib3 and certifi on
the first request), so that the configuration layer can read the network defaults from
:mod:`spoke.net.settings` without bringing the client along (``spoke list`` never needs it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spoke.net.auth import AuthProvider, Credentials, UrlAndNetrcAuth
    from spoke.net.client import HttpClient
    from spoke.net.proxy import proxy_for
    from spoke.net.redact import redact_text, redact_url, strip_credentials
    from spoke.net.settings import Headers, NetSettings, Response

_EXPORTS = {
    "AuthProvider": "auth", "Credentials": "auth", "UrlAndNetrcAuth": "auth",
    "HttpClient": "client",
    "proxy_for": "proxy",
    "redact_text": "redact", "redact_url": "redact", "strip_credentials": "redact",
    "Headers": "settings", "NetSettings": "settings", "Response": "settings",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"spoke.net.{module}"), name)


__all__ = [
    "AuthProvider",
    "Credentials",
    "Headers",
    "HttpClient",
    "NetSettings",
    "Response",
    "UrlAndNetrcAuth",
    "proxy_for",
    "redact_text",
    "redact_url",
    "strip_credentials",
]
