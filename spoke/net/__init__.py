"""spoke's HTTP layer: one thread-safe client with pooling, retries, caching, TLS, proxies,
credentials and redaction of secrets.

Importing this package is cheap: urllib3 and certifi are imported on the first request.
"""

from __future__ import annotations

from spoke.net.auth import AuthProvider, Credentials, UrlAndNetrcAuth
from spoke.net.client import HttpClient
from spoke.net.proxy import proxy_for
from spoke.net.redact import redact_text, redact_url, strip_credentials
from spoke.net.settings import Headers, NetSettings, Response

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
