"""Where advisories come from: the OSV API (``--osv-url``, the default https://api.osv.dev).

:class:`OsvService` asks in two steps, as OSV is meant to be asked: ``POST /v1/querybatch``
with every ``(name, version)`` at once (in chunks of :data:`BATCH`; the answer names only the
ids of the records affecting each, paged with ``next_page_token``), then ``GET
/v1/vulns/{id}`` once per id found, concurrently, for the whole record. The records are turned
into advisories by :mod:`spoke.audit.osv` (withdrawn ones dropped, aliases folded). OSV
matched the versions itself; its answer is trusted as given (it also evaluates ``GIT``
ranges, which need the repository).

A service that cannot be asked — unreachable, an error status, an answer that is not OSV's
JSON — raises :class:`~spoke.errors.AuditServiceError` (exit status 2): an audit that could
not look must never read as "no known vulnerabilities".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol

from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.audit.osv import ECOSYSTEM, Advisory, advisory, fold
from spoke.errors import AuditServiceError, NetworkError

DEFAULT_OSV_URL = "https://api.osv.dev"
"""OSV's public API (``/v1/query``, ``/v1/querybatch``, ``/v1/vulns/{id}``)."""

BATCH = 1000
"""Queries per ``querybatch`` request (OSV's limit)."""

_PAGES = 100
"""Pages of one query followed at most (a guard against a server that pages forever)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """One ``name`` (normalized) at one ``version`` to look up."""

    name: str
    version: Version


class Http(Protocol):
    """What the service needs of :class:`spoke.net.client.HttpClient`."""

    def get(self, url: str, *, headers: Mapping[str, str] | None = ..., cache: bool = ...,
            accept_status: Any = ...) -> Any: ...

    def post_json(self, url: str, payload: object, *, accept_status: Any = ...) -> Any: ...


class VulnerabilityService(Protocol):
    """A source of advisories for exact versions."""

    #: Packages the service does not know (after :meth:`advisories`), with the reason: they
    #: are reported as skipped, never as clean.
    unknown: dict[Package, str]

    def advisories(self, packages: Sequence[Package]) -> dict[Package, list[Advisory]]:
        """The folded advisories of each package (an empty list when it has none)."""
        ...


class _JsonService:
    """What the services asking a JSON API over HTTP share: errors that say which service and
    setting, JSON decoding, concurrent requests."""

    url_setting = "--osv-url, SPOKE_OSV_URL"
    url_hint = "Check that --osv-url points at an OSV API (https://api.osv.dev or a mirror of it)."

    def __init__(self, http: Http, base_url: str, *, executor: Executor | None = None) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self._executor = executor

    def _call(self, request: Callable[[], Any]) -> Any:
        from spoke.net.redact import redact_url

        try:
            return request()
        except NetworkError as exc:
            raise AuditServiceError(
                f"Cannot ask the vulnerability service at {redact_url(self.base_url)}: {exc.message}",
                notes=exc.notes,
                hint=f"Check the network and the service URL ({self.url_setting}); nothing was "
                     "audited, so nothing is known to be safe.",
            ) from exc

    def _decode(self, path: str, response: Any) -> Any:
        try:
            return json.loads(response.content or b"null")
        except ValueError:
            raise self._malformed(path, "the answer is not JSON") from None

    def _malformed(self, path: str, why: str) -> AuditServiceError:
        from spoke.net.redact import redact_url

        return AuditServiceError(
            f"The vulnerability service at {redact_url(self.base_url)} gave an answer spoke cannot read "
            f"({path}: {why})",
            hint=self.url_hint,
        )

    def _map(self, fn: Callable[[str], Any], items: Iterable[str]) -> list[Any]:
        items = list(items)
        if self._executor is None or len(items) < 2:
            return [fn(i) for i in items]
        futures = [self._executor.submit(fn, i) for i in items]
        return [f.result() for f in futures]


class OsvService(_JsonService):
    """The OSV API at ``base_url`` through ``http``; ``executor`` fetches records concurrently."""

    def __init__(self, http: Http, base_url: str = DEFAULT_OSV_URL, *, executor: Executor | None = None) -> None:
        super().__init__(http, base_url, executor=executor)
        self.unknown: dict[Package, str] = {}

    def advisories(self, packages: Sequence[Package]) -> dict[Package, list[Advisory]]:
        unique = list(dict.fromkeys(packages))
        ids: dict[Package, list[str]] = {p: [] for p in unique}
        for start in range(0, len(unique), BATCH):
            chunk = unique[start:start + BATCH]
            for package, found in zip(chunk, self._query_batch(chunk), strict=True):
                ids[package].extend(found)
        wanted = list(dict.fromkeys(i for found in ids.values() for i in found))
        records = dict(zip(wanted, self._map(self._record, wanted), strict=True))
        out: dict[Package, list[Advisory]] = {}
        for package in unique:
            picked = [records[i] for i in dict.fromkeys(ids[package])]
            out[package] = fold(advisory(r, package.name) for r in picked if not r.get("withdrawn"))
        return out

    # -- requests -----------------------------------------------------------------------------

    def _query_batch(self, chunk: Sequence[Package]) -> list[list[str]]:
        """The ids affecting each package of ``chunk``, every page followed."""
        found: list[list[str]] = [[] for _ in chunk]
        tokens: dict[int, str | None] = dict.fromkeys(range(len(chunk)))
        for _page in range(_PAGES):
            if not tokens:
                return found
            asked = list(tokens)
            queries = [_query(chunk[i], tokens[i]) for i in asked]
            answer = self._post("/v1/querybatch", {"queries": queries})
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(asked):
                raise self._malformed("/v1/querybatch", "the results do not match the queries")
            tokens = {}
            for i, result in zip(asked, results, strict=True):
                if not isinstance(result, dict):
                    raise self._malformed("/v1/querybatch", "a result is not an object")
                for vuln in result.get("vulns") or ():
                    if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                        found[i].append(vuln["id"])
                token = result.get("next_page_token")
                if token:
                    tokens[i] = str(token)
        raise self._malformed("/v1/querybatch", f"it kept paging after {_PAGES} pages")

    def _record(self, vuln_id: str) -> dict[str, Any]:
        from urllib.parse import quote

        path = f"/v1/vulns/{quote(vuln_id, safe='')}"
        record = self._decode(path, self._call(lambda: self._http.get(self.base_url + path)))
        if not isinstance(record, dict) or record.get("id") != vuln_id:
            raise self._malformed(path, "the record's id is not the one asked for")
        return record

    def _post(self, path: str, payload: object) -> Any:
        return self._decode(path, self._call(lambda: self._http.post_json(self.base_url + path, payload)))


def _query(package: Package, token: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {
        "package": {"name": canonicalize_name(package.name), "ecosystem": ECOSYSTEM},
        "version": str(package.version),
    }
    if token:
        query["page_token"] = token
    return query


DEFAULT_PYPI_URL = "https://pypi.org"
"""Where PyPI's JSON API lives (``/pypi/<project>/<version>/json``)."""


class PyPIService(_JsonService):
    """PyPI's JSON API (``-s pypi``): ``GET /pypi/<project>/<version>/json`` per package,
    concurrently; its ``vulnerabilities`` are OSV's data as PyPI serves it (``id``, ``aliases``,
    ``summary``/``details``, ``fixed_in``, ``withdrawn``). A release PyPI does not have (404)
    is :attr:`unknown`, reported as skipped."""

    url_setting = "--pypi-url, SPOKE_PYPI_URL"
    url_hint = "Check that --pypi-url points at PyPI's JSON API (https://pypi.org or a mirror of it)."

    def __init__(self, http: Http, base_url: str = DEFAULT_PYPI_URL, *, executor: Executor | None = None) -> None:
        super().__init__(http, base_url, executor=executor)
        self.unknown: dict[Package, str] = {}

    def advisories(self, packages: Sequence[Package]) -> dict[Package, list[Advisory]]:
        unique = list(dict.fromkeys(packages))
        keys = [f"{p.name}\0{p.version}" for p in unique]
        answers = self._map(self._release, keys)
        out: dict[Package, list[Advisory]] = {}
        for package, answer in zip(unique, answers, strict=True):
            if answer is None:
                self.unknown[package] = (f"Dependency not found on PyPI and could not be audited: "
                                         f"{package.name} ({package.version})")
                out[package] = []
                continue
            vulns = answer.get("vulnerabilities") if isinstance(answer, dict) else None
            if not isinstance(vulns, list):
                where = f"/pypi/{package.name}/{package.version}/json"
                raise self._malformed(where, "it has no `vulnerabilities` list")
            out[package] = fold(_pypi_advisory(v) for v in vulns if isinstance(v, dict) and not v.get("withdrawn"))
        return out

    def _release(self, key: str) -> dict[str, Any] | None:
        from urllib.parse import quote

        name, _, version = key.partition("\0")
        path = f"/pypi/{quote(name, safe='')}/{quote(version, safe='')}/json"
        answer = self._call(lambda: self._http.get(self.base_url + path, headers={"Accept": "application/json"},
                                                   accept_status=(200, 404)))
        if answer.status == 404:
            return None
        found = self._decode(path, answer)
        return found if isinstance(found, dict) else {}


def _pypi_advisory(vuln: Mapping[str, Any]) -> Advisory:
    """One entry of the JSON API's ``vulnerabilities`` as an :class:`Advisory`."""
    from spoke.audit.osv import ordered_ids

    ids = ordered_ids([str(vuln.get("id", "")), *(str(a) for a in vuln.get("aliases") or ())])
    words = vuln.get("summary") or vuln.get("details") or "N/A"
    fixes: set[Version] = set()
    for text in vuln.get("fixed_in") or ():
        try:
            fixes.add(Version(str(text)))
        except ValueError:
            continue
    return Advisory(id=ids[0] if ids else "UNKNOWN", aliases=tuple(ids[1:]), description=" ".join(str(words).split()),
                    fix_versions=tuple(sorted(fixes)))
