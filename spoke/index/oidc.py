"""Trusted publishing: an upload token for a repository, minted from the CI system's OIDC identity.

The exchange PyPI specifies (https://docs.pypi.org/trusted-publishers/using-a-publisher/) and
twine and uv follow, for GitHub Actions:

1. ``GET {repository origin}/_/oidc/audience`` → ``{"audience": "pypi"}``: the audience the
   repository wants its identity tokens made for;
2. ``GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUDIENCE`` with
   ``Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`` → ``{"value": JWT}``: the job's
   identity token, from GitHub;
3. ``POST {repository origin}/_/oidc/mint-token`` with ``{"token": JWT}`` → ``{"token": …}``: a
   short-lived API token for the projects this workflow may publish (or ``{"errors": [{"code",
   "description"}]}``).

The minted token is then the password of user ``__token__``. No token ever appears in a
message: the HTTP client masks every password it sends, and errors here name only URLs and the
repository's reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from spoke.errors import PublishError, SpokeError
from spoke.net.client import HttpClient

REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
_HINT = ("Check that the workflow job has `permissions: id-token: write` and that the project on the "
         "repository has this repository and workflow registered as a trusted publisher.")


def available(environ: Mapping[str, str]) -> bool:
    """Whether this process runs where an OIDC identity can be asked for (GitHub Actions)."""
    return bool(environ.get(REQUEST_URL)) and bool(environ.get(REQUEST_TOKEN))


def _origin(repository_url: str) -> str:
    parts = urlsplit(repository_url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def mint_token(http: HttpClient, repository_url: str, environ: Mapping[str, str]) -> str:
    """An upload token for ``repository_url`` from this CI job's identity; a
    :class:`~spoke.errors.PublishError` that says which step failed and why otherwise."""
    if not available(environ):
        raise PublishError(
            "Trusted publishing needs an OIDC identity, and this is not a GitHub Actions job that may ask "
            f"for one ({REQUEST_URL} and {REQUEST_TOKEN} are not set)",
            hint=f"Give the job `permissions: id-token: write`, or publish with a token (-p). {_HINT}",
        )
    origin = _origin(repository_url)
    try:
        audience = http.get(f"{origin}/_/oidc/audience", headers={"Accept": "application/json"}).json()["audience"]
    except (SpokeError, ValueError, KeyError, TypeError) as exc:
        raise PublishError(f"{origin} does not support trusted publishing: {_why(exc)}",
                           hint="Publish with an API token or password (-p), or ask the repository's "
                                "administrators whether it supports trusted publishing.") from None
    request_url = environ[REQUEST_URL]
    joiner = "&" if "?" in request_url else "?"
    try:
        answer = http.get(f"{request_url}{joiner}audience={quote(str(audience))}",
                          headers={"Authorization": f"bearer {environ[REQUEST_TOKEN]}", "Accept": "application/json"})
        identity = answer.json()["value"]
    except (SpokeError, ValueError, KeyError, TypeError) as exc:
        raise PublishError(f"GitHub Actions did not give an OIDC token: {_why(exc)}", hint=_HINT) from None
    minted = http.post_json(f"{origin}/_/oidc/mint-token", {"token": identity}, accept_status=range(200, 500))
    try:
        payload = minted.json()
    except ValueError:
        raise PublishError(f"{origin} answered the token request with something that is not JSON "
                           f"(status {minted.status})", hint=_HINT) from None
    token = payload.get("token") if isinstance(payload, dict) else None
    if minted.status != 200 or not isinstance(token, str) or not token:
        errors = payload.get("errors") if isinstance(payload, dict) else None
        reasons = [f"{e.get('code', '?')}: {e.get('description', '')}" for e in errors or () if isinstance(e, dict)]
        raise PublishError(f"{origin} refused to mint an upload token (status {minted.status})",
                           notes=reasons, hint=_HINT)
    return token


def _why(exc: BaseException) -> str:
    if isinstance(exc, SpokeError):
        return exc.message
    if isinstance(exc, (KeyError, TypeError)):
        return "the answer lacks the expected field"
    return f"the answer is not JSON ({exc})"
