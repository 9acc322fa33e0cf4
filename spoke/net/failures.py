"""What went wrong with a request, in words a user can act on, and whether to try again.

The client retries *transient* failures: a refused or dropped connection, a timeout, a name
that did not resolve (resolvers hiccup), and the statuses a busy or restarting server answers
(429, 500, 502, 503, 504). It does not retry what a retry cannot cure: a certificate that does
not verify, or a status such as 401, 403 or 404. Waits grow exponentially from
``backoff_base`` with jitter, so that many workers retrying together do not hit the server in
lockstep; a ``Retry-After`` the server sends is honoured up to a cap.

One hidden, test-only setting lives here: ``SPOKE_TEST_BACKOFF_SCALE`` (see
:func:`backoff_scale_from`) multiplies every wait, so that tests of faulty servers can run the
real CLI with the real retry loop without sleeping through it. It is not an option: users tune
retries with ``--retries`` and ``--timeout``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from spoke.errors import HTTPStatusError, NetworkError
from spoke.net.redact import redact_text, redact_url

#: Statuses worth another attempt.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: Longest wait between two attempts, whatever the server or the backoff says.
MAX_DELAY = 30.0

_NETWORK_HINT = (
    "Check your connection and the index URL (`--index-url`); a slow network may need a larger "
    "`--timeout` or `--retries`; behind a proxy, set `--proxy` or HTTPS_PROXY."
)
_TLS_HINT = (
    "The server's certificate could not be verified. If you are behind a proxy that intercepts "
    "TLS, point `--cert` (or REQUESTS_CA_BUNDLE / PIP_CERT) at its CA bundle; for a host you "
    "trust on a private network, `--trusted-host <host>` skips verification."
)
_TLS_HANDSHAKE_HINT = (
    "The TLS handshake with the server failed. If the server requires a client certificate, "
    "pass it with `--client-cert` (one PEM file holding the certificate and its key); if a proxy "
    "intercepts TLS, point `--cert` at its CA bundle."
)
_CLIENT_CERT_HINT = (
    "Pass a client certificate the server accepts with `--client-cert` (one PEM file holding "
    "the certificate and its private key)."
)
_PROXY_AUTH_HINT = (
    "Give the proxy's login in its URL (`--proxy http://user:password@host:port`, or in "
    "HTTPS_PROXY / HTTP_PROXY), and check it if you did."
)
_CREDENTIALS_HINT = (
    "Give credentials in the index URL (https://user:password@host/simple), in a .netrc file "
    "(`machine <host> login <user> password <password>`), or in a keyring (install `keyring`)."
)


def backoff_delay(attempt: int, base: float, jitter: float, retry_after: str | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    ``jitter`` is a number in [0, 1) (injected, so the result is deterministic in tests);
    the delay is ``base * 2**attempt`` scaled into its upper half by it. A numeric
    ``Retry-After`` raises the delay, never beyond :data:`MAX_DELAY`.
    """
    delay = min(base * (2**attempt), MAX_DELAY) * (0.5 + jitter / 2)
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, float(retry_after.strip()))
    return min(delay, MAX_DELAY)


#: The test-only variable read by :func:`backoff_scale_from`.
BACKOFF_SCALE_VARIABLE = "SPOKE_TEST_BACKOFF_SCALE"


def backoff_scale_from(environ: Mapping[str, str]) -> float:
    """The factor ``SPOKE_TEST_BACKOFF_SCALE`` in ``environ`` sets for every wait between
    attempts (``Retry-After`` included): ``0`` retries at once, ``0.01`` waits a hundredth.

    Unset, empty, negative or not a number: ``1`` (the waits :func:`backoff_delay` computes).
    Read by :class:`~spoke.net.client.HttpClient` when it is made, and by nothing else; it
    exists so that functional tests can drive the real CLI against a failing server quickly.
    """
    raw = environ.get(BACKOFF_SCALE_VARIABLE, "").strip()
    try:
        scale = float(raw) if raw else 1.0
    except ValueError:
        return 1.0
    return scale if 0.0 <= scale < float("inf") else 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """A failed attempt described: a short ``cause``, whether to ``retry``, whether it is TLS,
    and whether the server was ``reached`` (the failure came after the connection was made:
    no answer in time, or a body cut short)."""

    cause: str
    retry: bool
    tls: bool = False
    hint: str | None = None
    reached: bool = False


def describe(exc: BaseException, *, timeout: float) -> Failure | None:
    """Classify an exception raised by urllib3 (or the socket layer) during one attempt.

    ``None`` means it is no network failure at all (a bug): the caller re-raises it.
    """
    import http.client
    import ssl

    from urllib3 import exceptions as e

    if isinstance(exc, (e.SSLError, ssl.SSLError)):
        inner: BaseException | None = exc.__cause__ or exc.__context__ or exc
        text = str(inner) or str(exc)
        verify = isinstance(inner, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text
        if verify:
            reason = getattr(inner, "verify_message", None) or "certificate verify failed"
            return Failure(cause=f"TLS certificate verification failed ({reason})", retry=False, tls=True)
        upper = text.upper()
        if "CERTIFICATE_REQUIRED" in upper or "PEER DID NOT RETURN A CERTIFICATE" in upper:
            return Failure(
                cause="the server requires a client certificate", retry=False, tls=True,
                hint=_CLIENT_CERT_HINT,
            )
        if any(alert in upper for alert in ("ALERT_BAD_CERTIFICATE", "ALERT_UNKNOWN_CA", "ALERT_CERTIFICATE_UNKNOWN")):
            return Failure(
                cause=f"the server rejected the client certificate ({_short(text)})", retry=False,
                tls=True, hint=_CLIENT_CERT_HINT,
            )
        return Failure(cause=f"TLS error ({_short(text)})", retry=True, tls=True, hint=_TLS_HANDSHAKE_HINT)
    if isinstance(exc, e.ProxyError):
        text = _short(str(exc.__cause__ or exc))
        if "407" in text:
            # A CONNECT the proxy refused for want of (valid) credentials: no retry cures it.
            return Failure(
                cause="the proxy requires authentication (407 Proxy Authentication Required)",
                retry=False, hint=_PROXY_AUTH_HINT,
            )
        return Failure(cause=f"proxy error ({text})", retry=True)
    if isinstance(exc, e.NameResolutionError):
        return Failure(cause="the host name could not be resolved", retry=True)
    if isinstance(exc, e.NewConnectionError):
        inner = exc.__cause__ or exc.__context__
        strerror = getattr(inner, "strerror", None)
        if isinstance(inner, TimeoutError) or "timed out" in str(exc):
            return Failure(cause=f"connection timed out after {timeout:g}s", retry=True)
        return Failure(cause=(strerror or "connection failed").lower(), retry=True)
    if isinstance(exc, e.ConnectTimeoutError):
        return Failure(cause=f"connection timed out after {timeout:g}s", retry=True)
    if isinstance(exc, (e.ReadTimeoutError, TimeoutError)):
        return Failure(cause=f"read timed out after {timeout:g}s", retry=True, reached=True)
    if isinstance(exc, (e.IncompleteRead, http.client.IncompleteRead)):
        return Failure(cause=_incomplete(exc), retry=True, reached=True)
    if isinstance(exc, e.ProtocolError):
        # urllib3 wraps what broke the connection: the original is its second argument.
        inner = next((a for a in exc.args[1:] if isinstance(a, BaseException)), exc.__cause__)
        if isinstance(inner, (e.IncompleteRead, http.client.IncompleteRead)):
            return Failure(cause=_incomplete(inner), retry=True, reached=True)
        if isinstance(inner, http.client.RemoteDisconnected):
            return Failure(
                cause="the server closed the connection without answering", retry=True,
                reached=True,
            )
        if isinstance(inner, ConnectionResetError):
            return Failure(cause="the server reset the connection", retry=True, reached=True)
        return Failure(cause="the connection was dropped", retry=True, reached=True)
    if isinstance(exc, (ConnectionError, e.HTTPError, http.client.HTTPException, OSError)):
        return Failure(cause=_short(str(exc)) or type(exc).__name__, retry=True)
    return None


def _incomplete(exc: BaseException) -> str:
    """The cause for a body cut short, with its byte counts when the exception has them."""
    cause = "the connection closed before the whole body arrived"
    partial = getattr(exc, "partial", None)
    got = len(partial) if isinstance(partial, bytes) else partial
    more = getattr(exc, "expected", None)
    if isinstance(got, int) and isinstance(more, int):
        return f"{cause} ({got} bytes received, {more} more expected)"
    return cause


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def network_error(
    url: str,
    failure: Failure,
    attempts: int,
    secrets: tuple[str, ...] = (),
    *,
    action: str = "fetch",
    notes: Sequence[str] = (),
) -> NetworkError:
    """The error for a request that failed on every attempt (its last failure is ``failure``).

    It reads "Could not reach <url>: <cause>" when no connection was made, else "Could not
    <action> <url>: <cause>" (``action``: ``"fetch"``, ``"download"``). The URL is redacted
    and the cause cleared of ``secrets``; ``notes`` follow the count of attempts.
    """
    cause = redact_text(failure.cause, secrets)
    all_notes = [f"tried {attempts} time{'s' if attempts != 1 else ''}", *notes]
    verb = action if failure.reached else "reach"
    return NetworkError(
        f"Could not {verb} {redact_url(url)}: {cause}",
        hint=failure.hint or (_TLS_HINT if failure.tls else _NETWORK_HINT),
        notes=all_notes,
    )


def status_error(
    status: int,
    url: str,
    *,
    reason: str = "",
    sent_credentials: bool = False,
    attempts: int = 1,
) -> HTTPStatusError:
    """The error for an answer whose status the caller did not accept."""
    shown = redact_url(url)
    host = urlsplit(url).netloc.rpartition("@")[2] or shown
    label = f"{status} {reason}".strip()
    if status == 401:
        if sent_credentials:
            message = f"{host} rejected the credentials spoke sent ({label}) for {shown}"
        else:
            message = f"{host} requires authentication ({label}) for {shown}"
        return HTTPStatusError(message, status=status, url=shown, hint=_CREDENTIALS_HINT)
    if status == 407:
        return HTTPStatusError(
            f"The proxy requires authentication ({label}) for {shown}",
            status=status,
            url=shown,
            hint=_PROXY_AUTH_HINT,
        )
    if status == 403:
        message = f"{host} refused access ({label}) to {shown}"
        hint = _CREDENTIALS_HINT if not sent_credentials else "Check that this account may read the index."
        return HTTPStatusError(message, status=status, url=shown, hint=hint)
    if status == 404:
        return HTTPStatusError(
            f"Not found ({label}): {shown}",
            status=status,
            url=shown,
            hint="Check the project name and the index URL (`--index-url`, `--extra-index-url`).",
        )
    if status in RETRY_STATUSES:
        return HTTPStatusError(
            f"{host} answered {label} for {shown}",
            status=status,
            url=shown,
            hint="The server is failing or busy; try again later, or raise `--retries`.",
            notes=[f"tried {attempts} time{'s' if attempts != 1 else ''}"],
        )
    return HTTPStatusError(f"{host} answered {label} for {shown}", status=status, url=shown)
