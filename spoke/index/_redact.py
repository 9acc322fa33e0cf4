"""URL redaction for messages, through :mod:`spoke.net.redact` when it is available."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact(url: str) -> str:
    """``url`` with any password (or token) in it replaced by ``****``."""
    try:
        from spoke.net.redact import redact_url
    except ImportError:  # pragma: no cover - only while spoke.net.redact is being written
        return _strip_password(url)
    return redact_url(url)


def _strip_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None and "@" not in parts.netloc:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{user}:****@{host}" if parts.password is not None else f"****@{host}"
    return urlunsplit(parts._replace(netloc=netloc))
