"""HttpClient against a real loopback server: requests, cache, retries, downloads, ranges."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from spoke.cache import flush_later
from spoke.errors import HashMismatchError, HTTPStatusError, NetworkError
from spoke.net import HttpClient, NetSettings
from spoke.protocols import RecordingReporter
from tests.unit._httpd import LoopbackServer, Reply, always, ranged, sequence

BODY = bytes(range(256)) * 400  # 100 kB, several chunks


def fast(**overrides: object) -> NetSettings:
    options: dict[str, object] = {"timeout": 3.0, "retries": 3, "backoff_base": 0.01}
    options.update(overrides)
    return NetSettings(**options)  # type: ignore[arg-type]


@pytest.fixture
def server():
    with LoopbackServer() as running:
        yield running


@pytest.fixture
def client(tmp_path: Path):
    sleeps: list[float] = []
    with HttpClient(fast(), cache_dir=tmp_path / "http", sleep=sleeps.append) as made:
        made.sleeps = sleeps  # type: ignore[attr-defined]
        yield made


def test_get_json_and_user_agent(server: LoopbackServer, client: HttpClient) -> None:
    server.routes["/p.json"] = always(
        Reply(body=b'{"name": "demo"}', headers={"Content-Type": "application/json"})
    )
    response = client.get(server.url("/p.json"), headers={"Accept": "application/json"})
    assert response.status == 200
    assert response.json() == {"name": "demo"}
    assert response.headers["content-type"] == "application/json"
    assert response.from_cache is False
    seen = server.requests("/p.json")[0]
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["user-agent"].startswith("spoke/")


def test_connections_are_reused(server: LoopbackServer, client: HttpClient) -> None:
    server.routes["/a"] = always(Reply(body=b"a"))
    for _ in range(5):
        assert client.get(server.url("/a")).content == b"a"
    seen = server.requests("/a")
    assert len(seen) == 5
    assert len({r.peer_port for r in seen}) == 1  # one kept-alive connection


def test_redirect_is_followed_and_final_url_reported(server: LoopbackServer, client: HttpClient) -> None:
    server.routes["/old"] = always(Reply(status=301, headers={"Location": "/new"}))
    server.routes["/new"] = always(Reply(body=b"moved"))
    response = client.get(server.url("/old"))
    assert response.content == b"moved"
    assert response.url == server.url("/new")


def test_etag_revalidation_serves_304_from_cache(server: LoopbackServer, client: HttpClient) -> None:
    def page(request, count):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply(body=b"<html>v1</html>", headers={"ETag": '"v1"'})

    server.routes["/simple/demo/"] = page
    first = client.get(server.url("/simple/demo/"), cache=True)
    second = client.get(server.url("/simple/demo/"), cache=True)
    assert first.from_cache is False and second.from_cache is True
    assert second.content == b"<html>v1</html>" and second.status == 200
    seen = server.requests("/simple/demo/")
    assert len(seen) == 2
    assert "if-none-match" not in seen[0].headers
    assert seen[1].headers["if-none-match"] == '"v1"'


def test_last_modified_revalidation(server: LoopbackServer, client: HttpClient) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    server.routes["/lm"] = sequence(
        [Reply(body=b"old", headers={"Last-Modified": stamp}), Reply(body=b"new")]
    )
    client.get(server.url("/lm"), cache=True)
    second = client.get(server.url("/lm"), cache=True)
    assert second.content == b"new" and not second.from_cache
    assert server.requests("/lm")[1].headers["if-modified-since"] == stamp


def test_fresh_max_age_sends_no_request(server: LoopbackServer, client: HttpClient) -> None:
    server.routes["/fresh"] = always(Reply(body=b"x", headers={"Cache-Control": "max-age=600"}))
    client.get(server.url("/fresh"), cache=True)
    again = client.get(server.url("/fresh"), cache=True)
    assert again.from_cache and again.content == b"x"
    assert len(server.requests("/fresh")) == 1


def test_max_age_expires_with_injected_clock(server: LoopbackServer, tmp_path: Path) -> None:
    now = [1000.0]
    server.routes["/short"] = always(Reply(body=b"x", headers={"Cache-Control": "max-age=10"}))
    with HttpClient(fast(), cache_dir=tmp_path, clock=lambda: now[0]) as client:
        client.get(server.url("/short"), cache=True)
        now[0] += 5
        client.get(server.url("/short"), cache=True)
        assert len(server.requests("/short")) == 1
        now[0] += 10
        client.get(server.url("/short"), cache=True)
        assert len(server.requests("/short")) == 2


def test_no_store_is_not_cached(server: LoopbackServer, client: HttpClient) -> None:
    server.routes["/secret"] = always(
        Reply(body=b"x", headers={"Cache-Control": "no-store, max-age=600", "ETag": '"e"'})
    )
    client.get(server.url("/secret"), cache=True)
    client.get(server.url("/secret"), cache=True)
    seen = server.requests("/secret")
    assert len(seen) == 2 and "if-none-match" not in seen[1].headers


def test_a_repeated_answer_without_validators_is_not_rewritten(server: LoopbackServer, client: HttpClient,
                                                                 tmp_path: Path) -> None:
    bodies = iter([b"page-1", b"page-1", b"page-2"])
    server.routes["/plain"] = lambda request, count: Reply(body=next(bodies))  # no ETag, no lifetime
    client.get(server.url("/plain"), cache=True)
    flush_later()  # entries are written in the background
    (stored,) = (tmp_path / "http").rglob("*.http")
    first = stored.stat()
    assert client.get(server.url("/plain"), cache=True).content == b"page-1"
    flush_later()
    assert stored.stat().st_ino == first.st_ino  # the same answer: the entry was left alone
    assert client.get(server.url("/plain"), cache=True).content == b"page-2"
    flush_later()
    (stored,) = (tmp_path / "http").rglob("*.http")
    assert stored.read_bytes().endswith(b"page-2")  # a new answer replaces it


def test_cache_keyed_by_accept(server: LoopbackServer, client: HttpClient) -> None:
    def page(request, count):
        body = b"{}" if "json" in request.headers.get("accept", "") else b"<html/>"
        return Reply(body=body, headers={"Cache-Control": "max-age=600"})

    server.routes["/both"] = page
    as_json = client.get(server.url("/both"), headers={"Accept": "application/json"}, cache=True)
    as_html = client.get(server.url("/both"), headers={"Accept": "text/html"}, cache=True)
    assert (as_json.content, as_html.content) == (b"{}", b"<html/>")
    assert len(server.requests("/both")) == 2


def test_offline_serves_stale_cache_and_refuses_network(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/page"] = always(Reply(body=b"seen", headers={"ETag": '"1"'}))
    with HttpClient(fast(), cache_dir=tmp_path) as online:
        online.get(server.url("/page"), cache=True)
    with HttpClient(fast(offline=True), cache_dir=tmp_path) as offline:
        assert offline.get(server.url("/page"), cache=True).content == b"seen"
        with pytest.raises(NetworkError, match="offline"):
            offline.get(server.url("/other"))
    assert len(server.requests()) == 1


def test_retries_503_then_succeeds(server: LoopbackServer, client: HttpClient) -> None:
    server.routes["/flaky"] = sequence([Reply(status=503), Reply(status=503), Reply(body=b"ok")])
    assert client.get(server.url("/flaky")).content == b"ok"
    assert len(server.requests("/flaky")) == 3
    assert len(client.sleeps) == 2  # type: ignore[attr-defined]
    assert client.sleeps[1] > client.sleeps[0] * 0.99  # type: ignore[attr-defined]


def test_retry_budget_is_bounded(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/down"] = always(Reply(status=502))
    reporter = RecordingReporter()
    with (HttpClient(fast(retries=2), reporter=reporter, sleep=lambda s: None) as client,
          pytest.raises(HTTPStatusError) as caught):
        client.get(server.url("/down"))
    assert caught.value.status == 502
    assert len(server.requests("/down")) == 3
    assert sum(1 for e in reporter.events if e[0] == "warning") == 2


def test_404_accepted_or_raised(server: LoopbackServer, client: HttpClient) -> None:
    missing = client.get(server.url("/simple/nope/"), accept_status=(200, 404))
    assert missing.status == 404
    with pytest.raises(HTTPStatusError) as caught:
        client.get(server.url("/simple/nope/"))
    assert caught.value.status == 404
    assert "Not found" in caught.value.message and caught.value.hint
    assert len(server.requests("/simple/nope/")) == 2  # a 404 is not retried


def test_head(server: LoopbackServer, client: HttpClient) -> None:
    server.routes["/f.whl"] = always(Reply(body=BODY, headers={"Accept-Ranges": "bytes"}))
    response = client.head(server.url("/f.whl"))
    assert response.status == 200 and response.content == b""
    assert response.headers["Content-Length"] == str(len(BODY))
    assert server.requests("/f.whl")[0].method == "HEAD"


def test_download_hash_ok(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/f.whl"] = always(Reply(body=BODY))
    reporter = RecordingReporter()
    dest = tmp_path / "out" / "f.whl"
    with HttpClient(fast(), reporter=reporter) as client:
        digests = client.download(
            server.url("/f.whl"),
            dest,
            expected_hashes={"sha256": hashlib.sha256(BODY).hexdigest(), "md5": hashlib.md5(BODY).hexdigest()},
            progress_name="f",
        )
    assert dest.read_bytes() == BODY
    assert digests["sha256"] == hashlib.sha256(BODY).hexdigest()
    assert digests["md5"] == hashlib.md5(BODY).hexdigest()
    assert ("download_start", "f") in reporter.events and reporter.events[-1] == ("download_done", "f")
    assert list(dest.parent.iterdir()) == [dest]
    assert server.requests("/f.whl")[0].headers["accept-encoding"] == "identity"


def test_download_hash_mismatch_leaves_nothing(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/f.whl"] = always(Reply(body=BODY))
    dest = tmp_path / "f.whl"
    with HttpClient(fast()) as client, pytest.raises(HashMismatchError) as caught:
        client.download(server.url("/f.whl"), dest, expected_hashes={"sha256": "0" * 64})
    assert caught.value.message == "Hash mismatch for f.whl"
    assert any("0" * 64 in note for note in caught.value.notes)
    assert any(hashlib.sha256(BODY).hexdigest() in note for note in caught.value.notes)
    assert caught.value.hint
    assert list(tmp_path.iterdir()) == []


def test_download_dropped_connection_restarts(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/f.whl"] = sequence([Reply(body=BODY, drop_after=30_000), Reply(body=BODY)])
    dest = tmp_path / "f.whl"
    with HttpClient(fast(), sleep=lambda s: None) as client:
        digests = client.download(server.url("/f.whl"), dest)
    assert dest.read_bytes() == BODY
    assert digests["sha256"] == hashlib.sha256(BODY).hexdigest()
    assert len(server.requests("/f.whl")) == 2
    assert "range" not in server.requests("/f.whl")[1].headers


def test_download_dropped_connection_resumes_with_range(server: LoopbackServer, tmp_path: Path) -> None:
    serve = ranged(BODY, etag='"abc"')

    def handler(request, count):
        reply = serve(request, count)
        if count == 0:
            return Reply(status=reply.status, body=reply.body, headers=reply.headers, drop_after=40_000)
        return reply

    server.routes["/f.whl"] = handler
    dest = tmp_path / "f.whl"
    with HttpClient(fast(), sleep=lambda s: None) as client:
        digests = client.download(
            server.url("/f.whl"), dest, expected_hashes={"sha256": hashlib.sha256(BODY).hexdigest()}
        )
    assert dest.read_bytes() == BODY
    assert digests["sha256"] == hashlib.sha256(BODY).hexdigest()
    second = server.requests("/f.whl")[1]
    # Every byte that arrived before the drop was kept, even within one read chunk.
    assert second.headers["range"] == "bytes=40000-"
    assert second.headers["if-range"] == '"abc"'


def test_resume_from_a_few_bytes_keeps_them(server: LoopbackServer, tmp_path: Path) -> None:
    serve = ranged(BODY, etag='"abc"')

    def handler(request, count):
        reply = serve(request, count)
        if count == 0:
            return Reply(status=reply.status, body=reply.body, headers=reply.headers, drop_after=300)
        return reply

    server.routes["/f.whl"] = handler
    with HttpClient(fast(), sleep=lambda s: None) as client:
        client.download(server.url("/f.whl"), tmp_path / "f.whl")
    assert (tmp_path / "f.whl").read_bytes() == BODY
    assert server.requests("/f.whl")[1].headers["range"] == "bytes=300-"


def test_changed_file_is_restarted_not_spliced(server: LoopbackServer, tmp_path: Path) -> None:
    new = BODY[::-1]

    def handler(request, count):
        if count == 0:
            return Reply(body=BODY, headers={"Accept-Ranges": "bytes", "ETag": '"v1"'}, drop_after=500)
        # The file changed meanwhile: If-Range no longer holds, so the whole new file comes.
        assert request.headers["if-range"] == '"v1"'
        return Reply(body=new, headers={"Accept-Ranges": "bytes", "ETag": '"v2"'})

    server.routes["/f.whl"] = handler
    with HttpClient(fast(), sleep=lambda s: None) as client:
        digests = client.download(server.url("/f.whl"), tmp_path / "f.whl")
    assert (tmp_path / "f.whl").read_bytes() == new
    assert digests["sha256"] == hashlib.sha256(new).hexdigest()


def test_unrequested_range_restarts_without_ranges(server: LoopbackServer, tmp_path: Path) -> None:
    def handler(request, count):
        headers = {"Accept-Ranges": "bytes"}
        if count == 0:
            return Reply(body=BODY, headers=headers, drop_after=1000)
        if count == 1:  # a range other than the one asked for: not spliced in
            return Reply(
                status=206,
                body=BODY[10:],
                headers={**headers, "Content-Range": f"bytes 10-{len(BODY) - 1}/{len(BODY)}"},
            )
        return Reply(body=BODY, headers=headers)

    server.routes["/f.whl"] = handler
    with HttpClient(fast(), sleep=lambda s: None) as client:
        client.download(server.url("/f.whl"), tmp_path / "f.whl")
    assert (tmp_path / "f.whl").read_bytes() == BODY
    ranges = [r.headers.get("range") for r in server.requests("/f.whl")]
    assert ranges == [None, "bytes=1000-", None]


def test_short_body_is_retried(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/f.whl"] = sequence([Reply(body=BODY[:1000], length=len(BODY)), Reply(body=BODY)])
    server.routes["/page"] = sequence([Reply(body=b"abc", length=10), Reply(body=b"abcdefghij")])
    with HttpClient(fast(), sleep=lambda s: None) as client:
        client.download(server.url("/f.whl"), tmp_path / "f.whl")
        assert client.get(server.url("/page")).content == b"abcdefghij"
    assert (tmp_path / "f.whl").read_bytes() == BODY
    assert len(server.requests("/f.whl")) == 2 and len(server.requests("/page")) == 2


def test_download_gives_up_after_budget(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/f.whl"] = always(Reply(body=BODY, drop_after=100))
    with HttpClient(fast(retries=1), sleep=lambda s: None) as client, pytest.raises(NetworkError) as caught:
        client.download(server.url("/f.whl"), tmp_path / "f.whl")
    assert caught.value.message == (
        f"Could not download {server.url('/f.whl')}: the connection closed before the whole "
        f"body arrived (100 bytes received, {len(BODY) - 100} more expected)"
    )
    # Without ranges each attempt starts over: 100 bytes are all spoke ever held.
    assert caught.value.notes == ("tried 2 times", f"100 of {len(BODY)} bytes arrived in all")
    assert len(server.requests("/f.whl")) == 2
    assert list(tmp_path.iterdir()) == []


def test_last_status_after_retries_names_url_and_count(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/f.whl"] = always(Reply(status=503))
    with HttpClient(fast(retries=2), sleep=lambda s: None) as client, pytest.raises(HTTPStatusError) as caught:
        client.download(server.url("/f.whl"), tmp_path / "f.whl")
    assert caught.value.status == 503 and server.url("/f.whl") in caught.value.message
    assert caught.value.notes == ("tried 3 times",)
    assert len(server.requests("/f.whl")) == 3
    assert list(tmp_path.iterdir()) == []


def test_backoff_scale_multiplies_every_wait(server: LoopbackServer) -> None:
    server.routes["/flaky"] = sequence([Reply(status=503), Reply(status=503), Reply(body=b"ok")])
    sleeps: list[float] = []
    settings = fast(backoff_base=1.0)
    with HttpClient(settings, sleep=sleeps.append, jitter=lambda: 0.0, backoff_scale=0.01) as client:
        assert client.get(server.url("/flaky")).content == b"ok"
    assert sleeps == pytest.approx([0.005, 0.01])  # 0.5 s and 1 s, scaled


def test_stall_times_out_after_retries(server: LoopbackServer) -> None:
    server.routes["/slow"] = always(Reply(body=b"late", stall=1.5))
    with (HttpClient(fast(timeout=0.3, retries=1), sleep=lambda s: None) as client,
          pytest.raises(NetworkError) as caught):
        client.get(server.url("/slow"))
    assert caught.value.message == f"Could not fetch {server.url('/slow')}: read timed out after 0.3s"
    assert "--timeout" in (caught.value.hint or "")
    assert len(server.requests("/slow")) == 2


def test_connection_refused_is_network_error(tmp_path: Path) -> None:
    with LoopbackServer() as gone:
        url = gone.url("/simple/")
    with HttpClient(fast(retries=1), sleep=lambda s: None) as client, pytest.raises(NetworkError) as caught:
        client.get(url)
    assert caught.value.message.startswith(f"Could not reach {url}: ")
    assert "--index-url" in (caught.value.hint or "")


def test_range_reads(server: LoopbackServer, client: HttpClient) -> None:
    server.routes["/r.whl"] = ranged(BODY)
    server.routes["/plain.whl"] = ranged(BODY, ranges=False)
    assert client.get_range(server.url("/r.whl"), 10, 19) == BODY[10:20]
    assert client.get_range(server.url("/r.whl"), -100, None) == BODY[-100:]
    assert client.get_range(server.url("/r.whl"), 100, None) == BODY[100:]
    assert client.get_range(server.url("/plain.whl"), 10, 19) is None
    ranges = [r.headers.get("range") for r in server.requests("/r.whl")]
    assert ranges == ["bytes=10-19", "bytes=-100", "bytes=100-"]
    with pytest.raises(ValueError):
        client.get_range(server.url("/r.whl"), -5, 10)


def test_file_urls(tmp_path: Path, client: HttpClient) -> None:
    source = tmp_path / "pkg-1.0.tar.gz"
    source.write_bytes(BODY)
    url = source.as_uri()
    assert client.get(url).content == BODY
    assert client.get_range(url, -10, None) == BODY[-10:]
    assert client.get(url + ".missing", accept_status=(200, 404)).status == 404
    digests = client.download(url, tmp_path / "copy" / "pkg.tar.gz")
    assert digests["sha256"] == hashlib.sha256(BODY).hexdigest()
    assert (tmp_path / "copy" / "pkg.tar.gz").read_bytes() == BODY


def test_concurrent_gets_share_one_client(server: LoopbackServer, client: HttpClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for i in range(20):
        server.routes[f"/p{i}"] = always(Reply(body=json.dumps({"i": i}).encode()))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: client.get(server.url(f"/p{i}")).json()["i"], range(20)))
    assert results == list(range(20))
