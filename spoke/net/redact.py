"""Keep secrets off the screen: redaction of URLs and of free text.

Index URLs may carry credentials (``https://user:password@host/simple``, or a bare token as the
user name, ``https://TOKEN@host/simple``). Every message, warning and log line that names a URL
passes it through :func:`redact_url` first; any other text that might quote a secret (an error
cause returned by the network stack, a proxy's answer) passes through :func:`redact_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

MASK = "****"

# scheme://userinfo@ inside free text; userinfo stops at the first character a URL
# authority cannot hold before '@'.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s]+)@")


def _redact_userinfo(userinfo: str) -> str:
    user, sep, _password = userinfo.partition(":")
    if sep:
        return f"{user}:{MASK}"
    # A user name with no password is most often a token: hide it whole.
    return MASK


def redact_url(url: str) -> str:
    """``url`` with its password (or its token-only user name) replaced by ``****``.

    ``https://user:secret@host/simple`` becomes ``https://user:****@host/simple`` and
    ``https://TOKEN@host/`` becomes ``https://****@host/``. A URL without credentials is returned
    unchanged. Never raises: a URL the parser rejects is redacted by pattern instead.
    """
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _URL_USERINFO.sub(lambda m: m["scheme"] + _redact_userinfo(m["userinfo"]) + "@", url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url
    netloc = f"{_redact_userinfo(userinfo)}@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def strip_credentials(url: str) -> str:
    """``url`` without any ``user:password@`` part (the URL spoke actually requests)."""
    if "@" not in url:
        return url
    parts = urlsplit(url)
    _userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url
    return urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every URL's credentials and every string of ``secrets`` masked.

    Each secret is masked as written, percent-decoded and percent-encoded, longest first, so
    that a password that contains another one is masked whole. Empty secrets are ignored.
    """
    text = _URL_USERINFO.sub(lambda m: m["scheme"] + _redact_userinfo(m["userinfo"]) + "@", text)
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        forms.update({secret, unquote(secret), quote(secret, safe="")})
    for form in sorted((f for f in forms if f and f != MASK), key=len, reverse=True):
        text = text.replace(form, MASK)
    return text
