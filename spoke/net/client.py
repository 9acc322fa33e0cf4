"""``HttpClient``: every request spoke makes goes through here.

One client serves a whole command and is shared by its worker threads (the resolver prefetches
with 16–32). It keeps a urllib3 pool manager per (proxy, verification) pair, so connections to
an index are reused across threads; urllib3 itself is imported on the first request, not
when spoke starts. Each public method is one attempt loop: an attempt follows redirects
itself (re-deciding credentials for every hop, so they never follow a redirect to another
origin), transient failures are retried with backoff (:mod:`spoke.net.failures`), and what
finally fails becomes a :class:`~spoke.errors.NetworkError` or
:class:`~spoke.errors.HTTPStatusError` whose text names no secret.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from spoke.errors import HashMismatchError, NetworkError, NotCachedError, SpokeError, write_error
from spoke.net import cache_policy, interrupt
from spoke.net.auth import AuthProvider, Credentials, credentials_in_url, origin_of
from spoke.net.failures import (
    RETRY_STATUSES,
    Failure,
    backoff_delay,
    backoff_scale_from,
    describe,
    network_error,
    status_error,
)
from spoke.net.http_cache import CachedResponse, HttpCacheStore
from spoke.net.proxy import bypasses_proxy, proxy_for
from spoke.net.redact import redact_text, redact_url, strip_credentials
from spoke.net.settings import Headers, NetSettings, Response
from spoke.protocols import NullReporter, Reporter

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse, PoolManager

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 10
_CHUNK = 64 * 1024


def _same_answer(entry: CachedResponse, response: Response, stored_headers: Mapping[str, str]) -> bool:
    """Whether a new ``200`` repeats a stored answer so exactly that storing it changes nothing.

    The stored time only matters to an answer with a freshness lifetime, so one with a
    lifetime is always stored again.
    """
    if entry.status != 200 or entry.url != response.url or entry.content != response.content:
        return False
    if cache_policy.freshness_lifetime(stored_headers) is not None:
        return False
    return {k: v for k, v in entry.headers.items() if k != "date"} == {
        k: v for k, v in stored_headers.items() if k != "date"
    }


def _merge(base: Mapping[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    """``base`` overridden by ``extra``, header names compared without case."""
    merged = dict(base)
    for key, value in (extra or {}).items():
        for existing in [k for k in merged if k.lower() == key.lower()]:
            del merged[existing]
        merged[key] = value
    return merged


def _is_file_url(url: str) -> bool:
    return url[:7].lower() == "file://"


def _file_path(url: str) -> Path:
    from urllib.request import url2pathname

    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        # file://server/share is a UNC path on Windows; keep the host in the path.
        return Path(url2pathname(f"//{parts.netloc}{parts.path}"))
    return Path(url2pathname(parts.path))


def _filename(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2]) or url


class HttpClient:
    """A thread-safe HTTP client with retries, an HTTP cache, TLS, proxies and credentials.

    ``cache_dir`` is the folder for ``get(..., cache=True)`` answers (the cache's ``http``
    bucket; ``None``: no HTTP cache). ``auth`` supplies credentials beyond the ones written
    into request URLs. ``clock``, ``sleep`` and ``jitter`` are injectable for tests (the default
    ``sleep`` ends early on Ctrl-C, see :mod:`spoke.net.interrupt`).
    ``backoff_scale`` multiplies every wait between attempts; when ``None`` it comes from the
    test-only ``SPOKE_TEST_BACKOFF_SCALE`` variable
    (:func:`~spoke.net.failures.backoff_scale_from`), so that functional tests can run the real
    CLI against failing servers without sleeping.
    """

    def __init__(
        self,
        settings: NetSettings,
        *,
        cache_dir: Path | None = None,
        reporter: Reporter | None = None,
        auth: AuthProvider | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = interrupt.pause,
        jitter: Callable[[], float] = random.random,
        backoff_scale: float | None = None,
    ) -> None:
        self.settings = settings
        # The one environment variable spoke.net reads, test-only (see spoke.net.failures).
        self._backoff_scale = (
            backoff_scale if backoff_scale is not None else backoff_scale_from(os.environ)
        )
        self._store = HttpCacheStore(cache_dir) if cache_dir is not None else None
        self._reporter: Reporter = reporter if reporter is not None else NullReporter()
        self._auth = auth
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._lock = threading.RLock()  # re-entered: _manager → _new_manager → _note_secrets
        self._managers: dict[tuple[str | None, bool], PoolManager] = {}
        self._learned: dict[tuple[str, str, int | None], Credentials] = {}
        self._secrets: set[str] = set()
        self._trusted = tuple(h.strip().lower() for h in settings.trusted_hosts if h.strip())
        self._base_headers = {
            "User-Agent": settings.user_agent,
            "Accept-Encoding": "gzip, deflate",
            "Accept": "*/*",
        }

    # -- public API ---------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        cache: bool = False,
        accept_status: Collection[int] = (200,),
    ) -> Response:
        """GET ``url`` and return the whole answer.

        With ``cache=True`` (and a ``cache_dir``), a fresh stored answer is returned without a
        request, a stale one is revalidated (``304`` → stored body, ``from_cache=True``), and a
        storable answer is stored. Statuses outside ``accept_status`` raise
        :class:`~spoke.errors.HTTPStatusError`; ``file://`` URLs read the local file.
        """
        url = urldefrag(url)[0]
        if _is_file_url(url):
            return self._get_file(url, accept_status)
        request_headers = _merge(self._base_headers, headers)
        store = self._store if cache else None
        key_url = strip_credentials(url)
        entry = store.load(key_url, request_headers) if store is not None else None
        now = self._clock()
        if entry is not None and (
            self.settings.offline
            or cache_policy.is_fresh(entry.headers, entry.stored_at, now, request_headers)
        ):
            self._reporter.debug(f"GET {redact_url(url)} (fresh in cache)")
            return self._cached(entry)
        self._check_online(url)
        send = request_headers
        accepted = set(accept_status)
        if entry is not None:
            conditional = cache_policy.validators(entry.headers)
            if conditional:
                send = _merge(request_headers, conditional)
                accepted.add(304)
        response = self._fetch("GET", url, send, accepted)
        if entry is not None and store is not None and response.status == 304:
            refreshed = CachedResponse(
                url=entry.url,
                status=entry.status,
                headers=cache_policy.merge_not_modified(entry.headers, response.headers),
                vary=entry.vary,
                stored_at=self._clock(),
                content=entry.content,
            )
            store.save(key_url, request_headers, refreshed)
            return self._cached(refreshed)
        if store is not None:
            if cache_policy.is_storable(request_headers, response.status, response.headers):
                stored_headers = {
                    k.lower(): v
                    for k, v in response.headers.items()
                    # The body is stored decoded: these would describe the wire form.
                    if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
                }
                if entry is not None and _same_answer(entry, response, stored_headers):
                    # A server without validators sends the same page again: rewriting it
                    # would only cost a write (megabytes for big projects) and nothing more.
                    return response
                store.save(
                    key_url,
                    request_headers,
                    CachedResponse(
                        url=response.url,
                        status=response.status,
                        headers=stored_headers,
                        vary=cache_policy.vary_key(response.headers, request_headers),
                        stored_at=self._clock(),
                        content=response.content,
                    ),
                )
            elif entry is not None:
                store.delete(key_url, request_headers)
        return response

    def post_json(self, url: str, payload: object, *, accept_status: Collection[int] = (200,)) -> Response:
        """POST ``payload`` as JSON to ``url`` and return the whole answer (never cached).

        For query APIs whose POST is safe to repeat (OSV's ``/v1/querybatch``): failures are
        retried as for :meth:`get`; a 307/308 redirect re-sends the body, a 301/302/303 one
        turns into a GET, as browsers and ``requests`` do. Errors as for :meth:`get`.
        """
        import json

        url = urldefrag(url)[0]
        self._check_online(url)
        headers = _merge(self._base_headers, {"Content-Type": "application/json", "Accept": "application/json"})
        body = json.dumps(payload).encode()
        return self._fetch("POST", url, headers, set(accept_status), body=body)

    def upload(
        self,
        url: str,
        body: Callable[[], Iterable[bytes]],
        *,
        length: int,
        headers: Mapping[str, str],
        credentials: Credentials | None = None,
        progress_name: str | None = None,
    ) -> Response:
        """POST a streamed body (an upload form) to ``url`` and return the answer, whatever its status.

        ``body`` is called once per attempt and yields the ``length`` bytes to send. Connection
        failures and 5xx answers are retried with backoff; a 4xx answer never is (the same body
        would be refused again). A redirect is returned, not followed: a POST that follows one
        loses its body, so the caller names the right URL instead. ``credentials`` go to
        ``url`` alone (none given: those written into it or ``.netrc``'s); they join the secrets
        no message shows. Progress goes to the reporter under ``progress_name``.
        """
        import urllib3

        url = urldefrag(url)[0]
        self._check_online(url)
        clean, found = self._credentials(url)
        credentials = credentials or found
        send = _merge(self._base_headers, headers)
        send["Content-Length"] = str(length)
        if credentials is not None:
            self._note_secrets(credentials)
            send["Authorization"] = credentials.header()
        timeout = urllib3.Timeout(connect=self.settings.timeout, read=self.settings.timeout)
        name = progress_name or _filename(url)
        attempts = max(self.settings.retries, 0) + 1
        failure: Failure | None = None
        retry_after: str | None = None
        for attempt in range(attempts):
            if attempt:
                self._wait(attempt, retry_after)
                retry_after = None
            interrupt.check()
            started: list[bool] = []
            try:
                resp = self._manager(clean).request(
                    "POST", clean, headers=send, body=self._reported(body(), name, length, started),
                    redirect=False, retries=False, preload_content=False, timeout=timeout,
                )
                content = b"" if resp.status >= 500 and attempt + 1 < attempts else resp.read()
            except Exception as exc:  # noqa: BLE001 - classified by _failed, unknown ones re-raised
                interrupt.check()
                failure = self._failed(exc, url, attempt, attempts)
                continue
            finally:
                if started:
                    self._reporter.download_done(name)
            if resp.status >= 500 and attempt + 1 < attempts:
                retry_after = resp.headers.get("Retry-After")
                self._discard(resp)
                self._reporter.warning(
                    f"Retrying ({attempt + 1}/{attempts - 1}) {redact_url(url)}: server answered {resp.status}"
                )
                continue
            resp.release_conn()
            self._reporter.debug(f"POST {redact_url(url)} -> {resp.status}")
            return Response(url=clean, status=resp.status, headers=Headers(resp.headers.items()), content=content,
                            reason=resp.reason or "")
        assert failure is not None
        raise network_error(url, failure, attempts, self._secret_list(), action="upload to")

    def _reported(self, chunks: Iterable[bytes], name: str, total: int, started: list[bool]) -> Iterator[bytes]:
        """``chunks`` as they are sent, reported as progress under ``name``; Ctrl-C stops them."""
        self._reporter.download_start(name, total)
        started.append(True)
        for chunk in chunks:
            interrupt.check()
            yield chunk
            self._reporter.download_progress(name, len(chunk))

    def head(self, url: str, *, accept_status: Collection[int] = (200,)) -> Response:
        """HEAD ``url``: status and headers, empty content; errors as for :meth:`get`."""
        url = urldefrag(url)[0]
        if _is_file_url(url):
            found = self._get_file(url, accept_status)
            return Response(url=found.url, status=found.status, headers=found.headers)
        self._check_online(url)
        return self._fetch("HEAD", url, dict(self._base_headers), set(accept_status))

    def get_range(self, url: str, start: int, end: int | None) -> bytes | None:
        """Bytes ``start``..``end`` (inclusive; to the end when ``None``) of ``url``.

        A negative ``start`` asks for the last ``-start`` bytes (``end`` must be ``None``).
        Returns ``None`` when the server does not serve the range (answers ``200`` or ``416``,
        or a different range): the caller then downloads the whole file.
        """
        if start < 0 and end is not None:
            raise ValueError("a suffix range (negative start) takes no end")
        url = urldefrag(url)[0]
        if _is_file_url(url):
            return self._file_range(url, start, end)
        self._check_online(url)
        spec = f"bytes={start}" if start < 0 else f"bytes={start}-{'' if end is None else end}"
        headers = _merge(self._base_headers, {"Range": spec, "Accept-Encoding": "identity"})
        response = self._fetch(
            "GET", url, headers, {200, 206, 416}, decode=False, skip_body={200, 416}
        )
        if response.status != 206:
            return None
        if start >= 0:
            content_range = response.headers.get("Content-Range", "")
            first = content_range.removeprefix("bytes ").partition("-")[0].strip()
            if content_range and first != str(start):
                return None
        return response.content

    def download(
        self,
        url: str,
        dest: Path,
        *,
        expected_hashes: Mapping[str, str] | None = None,
        progress_name: str | None = None,
    ) -> dict[str, str]:
        """Download ``url`` to ``dest`` and return its digests (``sha256`` always).

        The body streams to a temporary file beside ``dest``, renamed into place only when every
        known algorithm of ``expected_hashes`` matches; on a mismatch nothing is left behind and
        :class:`~spoke.errors.HashMismatchError` is raised. A dropped connection or short body is
        resumed with a range request when the server allows, else restarted, within the retry
        budget. Progress goes to the reporter under ``progress_name`` (default: the file name).

        A write the disk refuses raises :class:`~spoke.errors.WriteError` (a
        :class:`~spoke.errors.DiskFullError` when it is full, over quota or past a file-size
        limit) at once, not retried; a Ctrl-C (:func:`spoke.net.interrupt.interrupt`) stops the
        transfer with ``KeyboardInterrupt``. On every failure the temporary file is removed.
        """
        url = urldefrag(url)[0]
        dest = Path(dest)
        name = progress_name or _filename(url)
        algorithms = self._algorithms(url, expected_hashes)
        if not _is_file_url(url):
            self._check_online(url)
        from spoke.cache import temp_path_beside

        try:
            tmp = temp_path_beside(dest)
        except OSError as exc:
            raise write_error(exc, dest.parent, dest.name) from exc
        started: list[bool] = []
        try:
            with _Sink(tmp, dest) as out:
                if _is_file_url(url):
                    hashers = self._copy_file(url, out, algorithms, name, started)
                else:
                    hashers = self._stream(url, out, algorithms, name, started)
            digests = {algorithm: hasher.hexdigest() for algorithm, hasher in hashers.items()}
            self._verify(url, dest, expected_hashes or {}, digests)
            try:
                os.replace(tmp, dest)
            except OSError as exc:
                raise write_error(exc, dest.parent, dest.name) from exc
            return digests
        except BaseException:
            try:
                tmp.unlink()
            except OSError:
                pass
            raise
        finally:
            if started:
                self._reporter.download_done(name)

    def close(self) -> None:
        """Close every pooled connection and finish storing answers (see
        :func:`spoke.cache.write_later`); the client may still be used afterwards."""
        from spoke.cache import flush_later

        with self._lock:
            managers = list(self._managers.values())
            self._managers.clear()
        for manager in managers:
            manager.clear()
        flush_later()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- attempts -----------------------------------------------------------------------------

    def _fetch(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        accept_status: Collection[int],
        *,
        decode: bool = True,
        skip_body: Collection[int] = (),
        body: bytes | None = None,
    ) -> Response:
        """One request with retries; the whole body read (unless its status is in ``skip_body``)."""
        attempts = max(self.settings.retries, 0) + 1
        failure: Failure | None = None
        retry_after: str | None = None
        for attempt in range(attempts):
            if attempt:
                self._wait(attempt, retry_after)
                retry_after = None
            interrupt.check()
            try:
                final_url, resp, sent = self._open(method, url, headers, decode=decode, body=body)
            except Exception as exc:  # noqa: BLE001 - classified below, unknown ones re-raised
                failure = self._failed(exc, url, attempt, attempts)
                continue
            status = resp.status
            if status in RETRY_STATUSES and status not in accept_status and attempt + 1 < attempts:
                retry_after = resp.headers.get("Retry-After")
                self._discard(resp)
                self._reporter.warning(
                    f"Retrying ({attempt + 1}/{attempts - 1}) {redact_url(url)}: server answered {status}"
                )
                continue
            try:
                if method == "HEAD" or status in skip_body or status not in accept_status:
                    content = b""
                    self._discard(resp, close=status in skip_body)
                else:
                    with interrupt.stoppable(_stopper(resp)):
                        content = resp.read()
                        interrupt.check()
                    resp.release_conn()
            except Exception as exc:  # noqa: BLE001
                resp.close()
                resp.release_conn()
                interrupt.check()  # a read cut by Ctrl-C is no network failure
                failure = self._failed(exc, url, attempt, attempts)
                continue
            except BaseException:
                resp.close()
                resp.release_conn()
                raise
            self._reporter.debug(f"{method} {redact_url(url)} -> {status}")
            if status not in accept_status:
                raise status_error(
                    status, final_url, reason=resp.reason or "", sent_credentials=sent,
                    attempts=attempt + 1,
                )
            return Response(
                url=final_url, status=status, headers=Headers(resp.headers.items()), content=content
            )
        assert failure is not None
        raise network_error(url, failure, attempts, self._secret_list())

    def _stream(
        self,
        url: str,
        out: _Sink,
        algorithms: tuple[str, ...],
        name: str,
        started: list[bool],
    ) -> dict[str, Any]:
        """GET ``url`` into ``out``, resuming or restarting after a broken body. A write that
        fails (:class:`~spoke.errors.WriteError`) and a Ctrl-C end it at once."""
        attempts = max(self.settings.retries, 0) + 1
        hashers = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
        total: int | None = None  # the whole file's size, when the server said
        resumable = False
        validator: str | None = None
        failure: Failure | None = None
        retry_after: str | None = None
        base = _merge(self._base_headers, {"Accept-Encoding": "identity"})
        for attempt in range(attempts):
            if attempt:
                self._wait(attempt, retry_after)
                retry_after = None
            headers = _resume_headers(base, out.size if resumable else 0, validator)
            interrupt.check()
            try:
                final_url, resp, sent = self._open("GET", url, headers, decode=False)
            except Exception as exc:  # noqa: BLE001
                failure = self._failed(exc, url, attempt, attempts)
                continue
            status = resp.status
            if status in RETRY_STATUSES and attempt + 1 < attempts:
                retry_after = resp.headers.get("Retry-After")
                self._discard(resp)
                self._reporter.warning(
                    f"Retrying ({attempt + 1}/{attempts - 1}) {redact_url(url)}: server answered {status}"
                )
                continue
            resumed = status == 206 and "Range" in headers and _range_start(resp.headers) == out.size
            if status != 200 and not resumed:
                self._discard(resp)
                if status == 206:
                    # A range we did not ask for: start over without ranges.
                    resumable = False
                    failure = Failure(cause="the server answered an unexpected range", retry=True)
                    continue
                raise status_error(
                    status, final_url, reason=resp.reason or "", sent_credentials=sent,
                    attempts=attempt + 1,
                )
            if not resumed and out.size:
                out.seek(0)
                out.truncate()
                hashers = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
            if status == 200:
                total, resumable, validator = _resume_facts(resp.headers)
            self._announce(name, resp.headers, started)
            try:
                self._copy_body(resp, out, hashers, name)
                resp.release_conn()
                return hashers
            except Exception as exc:
                resp.close()
                resp.release_conn()
                if isinstance(exc, SpokeError):
                    raise  # the disk refused a write: no retry cures that
                interrupt.check()  # a read cut by Ctrl-C is no network failure
                out.flush()
                failure = self._failed(exc, url, attempt, attempts)
                continue
            except BaseException:
                resp.close()
                resp.release_conn()
                raise
        assert failure is not None
        size = "?" if total is None else str(total)
        notes = [f"{out.size} of {size} bytes arrived in all"] if out.size else []
        raise network_error(
            url, failure, attempts, self._secret_list(), action="download", notes=notes
        )

    def _copy_body(self, resp: Any, out: _Sink, hashers: dict[str, Any], name: str) -> None:
        """The body into ``out`` and the hashers, reporting progress; Ctrl-C stops it."""
        with interrupt.stoppable(_stopper(resp)):
            for chunk in _body_chunks(resp):
                interrupt.check()
                out.write(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
                self._reporter.download_progress(name, len(chunk))
            interrupt.check()

    def _announce(self, name: str, headers: Any, started: list[bool]) -> None:
        """Tell the reporter a download began, once however many attempts it takes."""
        if not started:
            length = headers.get("Content-Length", "")
            self._reporter.download_start(name, int(length) if length.isdigit() else None)
            started.append(True)

    def _open(
        self, method: str, url: str, headers: Mapping[str, str], *, decode: bool, body: bytes | None = None,
    ) -> tuple[str, BaseHTTPResponse, bool]:
        """One attempt: send, follow redirects, retry once with keyring credentials on a 401.

        Returns the final URL (without credentials), the unread response and whether
        credentials were sent with the final hop.
        """
        import urllib3

        timeout = urllib3.Timeout(connect=self.settings.timeout, read=self.settings.timeout)
        current = url
        for _hop in range(_MAX_REDIRECTS + 1):
            clean, credentials = self._credentials(current)
            hop_headers = dict(headers)
            if credentials is not None:
                hop_headers["Authorization"] = credentials.header()
            manager = self._manager(clean)
            resp = manager.request(
                method, clean, headers=hop_headers, body=body, redirect=False, retries=False,
                preload_content=False, decode_content=decode, timeout=timeout,
            )
            if resp.status == 401 and credentials is None and self._auth is not None:
                late = self._auth.credentials_after_401(clean)
                if late is not None:
                    self._discard(resp)
                    self._note_secrets(late)
                    credentials = late
                    hop_headers["Authorization"] = late.header()
                    resp = manager.request(
                        method, clean, headers=hop_headers, body=body, redirect=False, retries=False,
                        preload_content=False, decode_content=decode, timeout=timeout,
                    )
            location = resp.headers.get("Location")
            if resp.status in _REDIRECTS and location:
                self._discard(resp)
                if body is not None and resp.status in (301, 302, 303):
                    method, body = "GET", None  # what a browser does; 307/308 keep the body
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                current = urljoin(clean, location)
                self._reporter.debug(f"{redact_url(clean)} redirected to {redact_url(current)}")
                continue
            return clean, resp, credentials is not None
        raise NetworkError(
            f"Too many redirects from {redact_url(url)}",
            hint="The server redirects in a loop; check the index URL.",
        )

    # -- helpers ------------------------------------------------------------------------------

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        """Sleep before attempt number ``attempt`` (1 for the first retry)."""
        delay = backoff_delay(attempt - 1, self.settings.backoff_base, self._jitter(), retry_after)
        self._sleep(delay * self._backoff_scale)

    def _failed(self, exc: Exception, url: str, attempt: int, attempts: int) -> Failure:
        """Classify a failed attempt; raise at once when retrying cannot help."""
        if isinstance(exc, NetworkError):
            raise exc
        failure = describe(exc, timeout=self.settings.timeout)
        if failure is None:
            raise exc
        if not failure.retry:
            notes = _presented_issuer(url) if failure.tls and "verification failed" in failure.cause else []
            raise network_error(url, failure, attempt + 1, self._secret_list(), notes=notes) from None
        if attempt + 1 < attempts:
            cause = redact_text(failure.cause, self._secret_list())
            self._reporter.warning(
                f"Retrying ({attempt + 1}/{attempts - 1}) {redact_url(url)}: {cause}"
            )
        return failure

    def _credentials(self, url: str) -> tuple[str, Credentials | None]:
        """The URL to request and the credentials to send to it (same origin only)."""
        embedded = credentials_in_url(url) if "@" in url else None
        clean = strip_credentials(url) if embedded is not None else url
        origin = origin_of(clean)
        if embedded is not None:
            self._note_secrets(embedded)
            with self._lock:
                # Credentials written into a URL hold for its whole origin (its files too).
                self._learned.setdefault(origin, embedded)
            if embedded.password or self._auth is None:
                return clean, embedded
        with self._lock:
            learned = self._learned.get(origin)
        if learned is not None and learned.password:
            return clean, learned
        provided = self._auth.credentials_for(clean) if self._auth is not None else None
        if provided is not None:
            self._note_secrets(provided)
            return clean, provided
        return clean, learned

    def _note_secrets(self, credentials: Credentials) -> None:
        with self._lock:
            self._secrets.update(s for s in credentials.secrets() if s)

    def _secret_list(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._secrets)

    def _is_trusted(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        try:
            port = parts.port
        except ValueError:
            port = None
        return any(entry == host or (port is not None and entry == f"{host}:{port}") for entry in self._trusted)

    def _proxy(self, url: str) -> str | None:
        environ = dict(self.settings.proxy_env)
        if self.settings.proxy:
            no_proxy = environ.get("no_proxy") or environ.get("NO_PROXY")
            return None if bypasses_proxy(url, no_proxy) else self.settings.proxy
        return proxy_for(url, environ) if environ else None

    def _manager(self, url: str) -> PoolManager:
        """The pool manager for ``url``: by proxy, and verified unless the host is trusted."""
        key = (self._proxy(url), self._is_trusted(url))
        with self._lock:
            manager = self._managers.get(key)
            if manager is None:
                manager = self._managers[key] = self._new_manager(*key)
            return manager

    def _new_manager(self, proxy: str | None, trusted: bool) -> PoolManager:
        import urllib3

        options: dict[str, Any] = {
            "num_pools": 64,
            "maxsize": max(self.settings.max_connections, 1),
            "block": False,
            "retries": False,
        }
        if trusted:
            import warnings

            # The user asked for this host to be trusted; urllib3 would warn on every request.
            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
            options["cert_reqs"] = "CERT_NONE"
        else:
            options["cert_reqs"] = "CERT_REQUIRED"
            if self.settings.cert:
                # A context of our own, loaded once: given ``ca_certs``, urllib3 loads the
                # bundle again for every new connection (50 ms of CPU for the 144 certificates
                # of a Debian bundle).
                options["ssl_context"] = _ca_bundle_context(self.settings.cert)
            elif self.settings.system_certs_only:
                import ssl

                options["ssl_context"] = ssl.create_default_context()  # the system's CAs alone
            else:
                options["ssl_context"] = _default_ssl_context()
        if self.settings.client_cert:
            _check_client_cert(self.settings.client_cert)
            options["cert_file"] = self.settings.client_cert
        if proxy is None:
            return urllib3.PoolManager(**options)
        proxy_credentials = credentials_in_url(proxy) if "@" in proxy else None
        if proxy_credentials is not None:
            self._note_secrets(proxy_credentials)
            options["proxy_headers"] = urllib3.make_headers(
                proxy_basic_auth=f"{proxy_credentials.username}:{proxy_credentials.password}"
            )
        return urllib3.ProxyManager(strip_credentials(proxy), **options)

    @staticmethod
    def _discard(resp: BaseHTTPResponse, *, close: bool = False) -> None:
        """Let go of a response whose body we do not want, keeping the connection if cheap."""
        try:
            if close:
                resp.close()
            else:
                resp.drain_conn()
        except Exception:  # noqa: BLE001 - a broken connection is simply not reused
            resp.close()
        resp.release_conn()

    def _check_online(self, url: str) -> None:
        """Refuse a request offline, before any connection (no socket, no retry, no wait).

        The callers that know which package the URL belongs to re-raise the error naming it
        (:func:`spoke.errors.not_cached`); this message is the fallback for the others.
        """
        if self.settings.offline:
            raise NotCachedError(
                f"{redact_url(url)} is not in spoke's cache, and `--offline` forbids fetching it",
                hint="run the command once without `--offline` to fill the cache, then retry with `--offline`",
            )

    def _cached(self, entry: CachedResponse) -> Response:
        return Response(
            url=entry.url,
            status=entry.status,
            headers=Headers(entry.headers),
            content=entry.content,
            from_cache=True,
        )

    # -- local files and hashes ---------------------------------------------------------------

    def _get_file(self, url: str, accept_status: Collection[int]) -> Response:
        path = _file_path(url)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            if 404 in accept_status:
                return Response(url=url, status=404, headers=Headers())
            raise status_error(404, url, reason="Not Found") from None
        except OSError as exc:
            raise NetworkError(
                f"Could not read {redact_url(url)}: {exc.strerror or exc}",
                hint="Check that the path exists and is a readable file.",
            ) from None
        return Response(url=url, status=200, headers=Headers({"Content-Length": str(len(content))}), content=content)

    def _file_range(self, url: str, start: int, end: int | None) -> bytes | None:
        path = _file_path(url)
        try:
            with open(path, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                first = max(size + start, 0) if start < 0 else start
                last = size - 1 if end is None else min(end, size - 1)
                if first >= size or last < first:
                    return None
                f.seek(first)
                return f.read(last - first + 1)
        except OSError as exc:
            raise NetworkError(f"Could not read {redact_url(url)}: {exc.strerror or exc}") from None

    def _copy_file(
        self, url: str, out: _Sink, algorithms: tuple[str, ...], name: str, started: list[bool]
    ) -> dict[str, Any]:
        hashers = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
        path = _file_path(url)
        try:
            source = open(path, "rb")  # noqa: SIM115 - a with would hide which step failed
        except FileNotFoundError:
            raise status_error(404, url, reason="Not Found") from None
        except OSError as exc:
            raise NetworkError(f"Could not read {redact_url(url)}: {exc.strerror or exc}") from None
        with source:
            self._reporter.download_start(name, os.fstat(source.fileno()).st_size)
            started.append(True)
            while chunk := source.read(_CHUNK):
                interrupt.check()
                out.write(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
                self._reporter.download_progress(name, len(chunk))
        return hashers

    @staticmethod
    def _algorithms(url: str, expected: Mapping[str, str] | None) -> tuple[str, ...]:
        known = {"sha256"}
        recognised = {a.lower() for a in expected or {} if a.lower() in hashlib.algorithms_available}
        if expected and not recognised:
            raise HashMismatchError(
                f"Cannot check the hash of {_filename(url)}: unsupported algorithm "
                + ", ".join(f"`{a}`" for a in sorted(expected)),
                hint="Give a sha256 hash (`--hash=sha256:...`).",
            )
        known.update(recognised)
        return tuple(sorted(known))

    @staticmethod
    def _verify(url: str, dest: Path, expected: Mapping[str, str], digests: Mapping[str, str]) -> None:
        for algorithm, want in expected.items():
            got = digests.get(algorithm.lower())
            if got is None or got == want.strip().lower():
                continue
            raise HashMismatchError(
                f"Hash mismatch for {dest.name}",
                notes=[
                    f"expected {algorithm.lower()}:{want.strip().lower()}",
                    f"got      {algorithm.lower()}:{got}",
                    f"from {redact_url(url)}",
                ],
                hint=(
                    "The file differs from the one the index or your hashes describe: it may "
                    "have been replaced or corrupted in transit. If you updated a pin, update "
                    "its `--hash` too."
                ),
            )


def _resume_headers(base: Mapping[str, str], start: int, validator: str | None) -> dict[str, str]:
    """The request headers of an attempt: a ``Range`` from ``start`` when resuming (with the
    ``If-Range`` validator, so a changed file comes whole)."""
    headers = dict(base)
    if start:
        headers["Range"] = f"bytes={start}-"
        if validator:
            headers["If-Range"] = validator
    return headers


class _Sink:
    """The temporary file ``tmp`` a download of ``dest`` is written to, as a context manager.

    Every ``OSError`` of opening, writing, flushing or closing it becomes the
    :class:`~spoke.errors.WriteError` that names ``dest`` (a
    :class:`~spoke.errors.DiskFullError` for a full disk), so that a refused write is never
    taken for a network failure and retried. A failed close is reported only when nothing else
    failed first.
    """

    def __init__(self, tmp: Path, dest: Path) -> None:
        self._tmp = tmp
        self._dest = dest
        self._file: Any = None
        self.size = 0  # bytes written so far (where a resumed download starts)

    def __enter__(self) -> _Sink:
        with self._refused():
            self._file = open(self._tmp, "r+b")
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if kind is not None:
            try:
                self._file.close()
            except OSError:
                pass  # the first failure is the one to tell
            return
        with self._refused():
            self._file.close()

    def write(self, data: bytes) -> None:
        with self._refused():
            self._file.write(data)
        self.size += len(data)

    def flush(self) -> None:
        with self._refused():
            self._file.flush()

    def seek(self, offset: int) -> None:
        with self._refused():
            self._file.seek(offset)
        self.size = offset

    def truncate(self) -> None:
        with self._refused():
            self._file.truncate()

    @contextmanager
    def _refused(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise write_error(exc, self._dest.parent, self._dest.name) from exc


def _stopper(resp: BaseHTTPResponse) -> Callable[[], None]:
    """What stops a read of ``resp``'s body from another thread: its socket shut down (urllib3
    2.3 has ``shutdown``; before, the connection's socket is reached directly)."""

    def stop() -> None:
        shutdown = getattr(resp, "shutdown", None)
        if shutdown is not None:
            shutdown()
            return
        sock = getattr(getattr(resp, "_connection", None), "sock", None)
        if sock is not None:
            import socket

            sock.shutdown(socket.SHUT_RDWR)

    return stop


def _body_chunks(resp: BaseHTTPResponse) -> Iterator[bytes]:
    """The raw body of ``resp`` in pieces of at most :data:`_CHUNK` bytes, as they arrive.

    ``read1`` hands over whatever the socket has, so when a connection drops midway every
    byte that did arrive is already written and a resume starts from there; ``stream``
    (urllib3 before 2.3 has no ``read1``) would lose a partly filled chunk. A body shorter
    than its ``Content-Length`` raises either way.
    """
    read1 = getattr(resp, "read1", None)
    if read1 is None:
        yield from resp.stream(_CHUNK, decode_content=False)
        return
    while chunk := read1(_CHUNK, decode_content=False):
        yield chunk


def _resume_facts(headers: Any) -> tuple[int | None, bool, str | None]:
    """From a whole answer's headers: the file's size, whether a broken body can be resumed
    with a range request, and the validator (strong ETag or Last-Modified) that pins it."""
    announced = headers.get("Content-Length", "").strip()
    etag = headers.get("ETag")
    return (
        int(announced) if announced.isdigit() else None,
        headers.get("Accept-Ranges", "").strip().lower() == "bytes",
        etag if etag and not etag.startswith("W/") else headers.get("Last-Modified"),
    )


def _range_start(headers: Mapping[str, str]) -> int | None:
    """The first byte of a ``206`` answer's ``Content-Range`` (``bytes a-b/total``)."""
    value = headers.get("Content-Range", "").strip()
    if not value.startswith("bytes "):
        return None
    first = value[6:].partition("-")[0].strip()
    return int(first) if first.isdigit() else None


def _check_client_cert(path: str) -> None:
    """Fail clearly, before any connection, when ``--client-cert`` cannot be used: urllib3
    would only report a dropped connection or an opaque "PEM lib" error, on every request."""
    import ssl

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(path)
    except OSError as exc:
        problem = _pem_problem(exc, "not a PEM file holding a certificate and its private key")
    else:
        return
    raise NetworkError(
        f"Cannot use the client certificate {path}: {problem}",
        hint="`--client-cert` takes one PEM file holding the client certificate and its "
        "(unencrypted) private key.",
    )


def _pem_problem(exc: OSError, not_pem: str) -> str:
    """What is wrong with a PEM file that OpenSSL would not load (``not_pem``: its content)."""
    import ssl

    if isinstance(exc, ssl.SSLError):
        return not_pem
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return exc.strerror or str(exc)


def _ca_bundle_context(path: str) -> Any:
    """A verifying context that trusts the CAs of ``path`` (a PEM file, or a folder of
    hashed certificates as ``c_rehash`` makes), and nothing else, as pip's ``--cert`` does."""
    import ssl

    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except OSError as exc:
        problem = _pem_problem(exc, "not a PEM file of CA certificates")
    raise NetworkError(
        f"Cannot use the CA bundle {path}: {problem}",
        hint="`--cert` (pip's `cert` setting, PIP_CERT) takes a PEM file of the certificate "
        "authorities to trust.",
    )


def _default_ssl_context() -> Any:
    """The trust store when no ``--cert`` is given: the system's CAs plus certifi's.

    Machines behind a TLS-intercepting proxy add its CA to the system store (that is where
    pip users point ``--cert``), while certifi covers systems whose store is empty. Trusting
    both means spoke works out of the box in both places. A fresh context per pool manager,
    since urllib3 loads a client certificate into the context it is given; the first one may
    have been built ahead (:func:`warm_default_ssl_context`).
    """
    global _warm_context
    with _warm_lock:
        ahead, _warm_context = _warm_context, None
    if ahead is not None:
        try:
            return ahead.result()
        except Exception:  # noqa: BLE001 - built again below, where its error surfaces
            pass
    return _build_default_ssl_context()


def _build_default_ssl_context() -> Any:
    import ssl

    import certifi

    ctx = ssl.create_default_context()
    try:
        ctx.load_verify_locations(cafile=certifi.where())
    except (OSError, ssl.SSLError):
        pass
    return ctx


_warm_lock = threading.Lock()
_warm_context: Future[Any] | None = None


def warm_default_ssl_context() -> None:
    """Start building the default trust store in the background.

    Loading the system's and certifi's certificates takes about 0.14 s here, and it used to
    happen on the first request, the one every later step waits for. A command that will go
    online calls this first thing; the first pool manager then takes the context ready.
    """
    global _warm_context
    with _warm_lock:
        if _warm_context is not None:
            return
        future: Future[Any] = Future()
        _warm_context = future

    def build() -> None:
        try:
            future.set_result(_build_default_ssl_context())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever takes the context
            future.set_exception(exc)

    # Not a daemon: a process ending while OpenSSL loads certificates in a daemon thread can
    # crash in interpreter finalization (seen: exit by SIGSEGV after a quick usage error).
    threading.Thread(target=build, name="spoke-tls-warm").start()


def _presented_issuer(url: str) -> list[str]:
    """Who issued the certificate the server at ``url`` presents (a note for a failed
    verification: an intercepting proxy's CA shows its name here), fetched again without
    verifying; nothing when that fails. The certificate is decoded by the ``ssl`` module's own
    reader (CPython's; other interpreters simply get no note)."""
    import os
    import ssl
    import tempfile

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return []
    try:
        pem = ssl.get_server_certificate((parts.hostname, parts.port or 443), timeout=5)
        with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as handle:
            handle.write(pem)
        try:
            decoded = ssl._ssl._test_decode_cert(handle.name)  # type: ignore[attr-defined]
        finally:
            os.unlink(handle.name)
        issuer = ", ".join(f"{key}={value}" for rdn in decoded.get("issuer", ()) for key, value in rdn)
    except Exception:  # noqa: BLE001 - a note, never a second failure
        return []
    return [f"the server presented a certificate issued by: {issuer}"] if issuer else []

