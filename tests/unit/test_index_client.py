"""IndexClient: requests, content negotiation, the multi-index policy, memoization."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from packaging.version import Version

from spoke.cache import flush_later
from spoke.errors import ConfigurationError, HTTPStatusError, PackageNotFoundError
from spoke.index.client import ACCEPT, IndexClient
from tests.unit.fake_http import FakeHttp, Route

A = "https://a.example.org/simple"
B = "https://b.example.org/simple"


def _json_page(*filenames: str, base: str = "https://files.example.org/") -> Route:
    files = [{"filename": f, "url": base + f, "hashes": {"sha256": "0" * 64}} for f in filenames]
    body = json.dumps({"meta": {"api-version": "1.1"}, "name": "x", "files": files}).encode()
    return Route(content=body, content_type="application/vnd.pypi.simple.v1+json")


def _html_page(*filenames: str, content_type: str = "text/html; charset=utf-8") -> Route:
    body = "".join(f'<a href="{f}">{f}</a>' for f in filenames).encode()
    return Route(content=body, content_type=content_type)


def test_files_requests_the_normalized_page_with_accept_and_cache():
    http = FakeHttp({f"{A}/foo-bar/": _json_page("foo_bar-1.0-py3-none-any.whl")})
    client = IndexClient(http, index_urls=[A + "/"], find_links=[])
    (file,) = client.files("Foo.Bar")
    assert file.name == "foo-bar" and file.version == Version("1.0")
    assert file.index_url == A + "/"
    assert http.calls == [("get", f"{A}/foo-bar/")]
    assert http.request_headers[0]["Accept"] == ACCEPT
    assert http.get_kwargs[0]["cache"] is True
    assert 404 in http.get_kwargs[0]["accept_status"]


def test_parser_follows_the_content_type_and_final_url():
    http = FakeHttp(
        {
            f"{A}/foo/": Route(
                content=b'<a href="../../files/foo-1.0.tar.gz">x</a>',
                content_type="application/vnd.pypi.simple.v1+html",
                final_url="https://mirror.example.org/simple/foo/",
            ),
            f"{A}/bar/": _html_page("bar-1.0.tar.gz", content_type="text/html; charset=latin-1"),
            f"{A}/baz/": Route(content=_json_page("baz-1.0.tar.gz").content),  # no Content-Type
        }
    )
    client = IndexClient(http, index_urls=[A], find_links=[])
    assert client.files("foo")[0].url == "https://mirror.example.org/files/foo-1.0.tar.gz"
    assert client.files("bar")[0].url == f"{A}/bar/bar-1.0.tar.gz"
    assert client.files("baz")[0].url == "https://files.example.org/baz-1.0.tar.gz"


def test_first_index_takes_the_first_index_that_knows_the_project():
    http = FakeHttp(
        {
            f"{B}/foo/": _json_page("foo-2.0.tar.gz"),
            f"{A}/bar/": _json_page("bar-1.0.tar.gz"),
            f"{B}/bar/": _json_page("bar-9.0.tar.gz"),
        }
    )
    client = IndexClient(http, index_urls=[A, B], find_links=[])
    assert [f.version for f in client.files("foo")] == [Version("2.0")]  # A answers 404
    assert [f.version for f in client.files("bar")] == [Version("1.0")]  # B never asked
    assert [c[1] for c in http.calls] == [f"{A}/foo/", f"{B}/foo/", f"{A}/bar/"]


def test_an_index_page_with_no_files_still_claims_the_project():
    http = FakeHttp({f"{A}/foo/": _json_page(), f"{B}/foo/": _json_page("foo-1.0.tar.gz")})
    client = IndexClient(http, index_urls=[A, B], find_links=[])
    assert client.files("foo") == []
    assert len(http.calls) == 1


def test_unsafe_best_match_merges_every_index():
    http = FakeHttp(
        {
            f"{A}/bar/": _json_page("bar-1.0.tar.gz", base="https://a.example.org/f/"),
            f"{B}/bar/": _json_page("bar-9.0.tar.gz", "bar-1.0.tar.gz", base="https://b.example.org/f/"),
        }
    )
    client = IndexClient(http, index_urls=[A, B], find_links=[], strategy="unsafe-best-match")
    files = client.files("bar")
    assert [(f.version, f.index_url) for f in files] == [
        (Version("1.0"), A),
        (Version("9.0"), B),
        (Version("1.0"), B),
    ]


def test_identical_urls_from_two_indexes_are_listed_once():
    http = FakeHttp({f"{A}/bar/": _json_page("bar-1.0.tar.gz"), f"{B}/bar/": _json_page("bar-1.0.tar.gz")})
    client = IndexClient(http, index_urls=[A, B], find_links=[], strategy="unsafe-best-match")
    assert len(client.files("bar")) == 1


def test_find_links_always_count(tmp_path):
    (tmp_path / "foo-0.5-py3-none-any.whl").write_bytes(b"w")
    http = FakeHttp({f"{A}/foo/": _json_page("foo-1.0.tar.gz")})
    client = IndexClient(http, index_urls=[A], find_links=[str(tmp_path)])
    assert sorted(str(f.version) for f in client.files("foo")) == ["0.5", "1.0"]
    # Known only to find-links: the indexes' 404s do not make it "not found".
    (tmp_path / "local-1.0.tar.gz").write_bytes(b"s")
    client = IndexClient(http, index_urls=[A], find_links=[str(tmp_path)])
    assert [f.filename for f in client.files("local")] == ["local-1.0.tar.gz"]


def test_no_index_uses_find_links_only(tmp_path):
    (tmp_path / "foo-0.5-py3-none-any.whl").write_bytes(b"w")
    http = FakeHttp({f"{A}/foo/": _json_page("foo-1.0.tar.gz")})
    client = IndexClient(http, index_urls=[A], find_links=[str(tmp_path)], no_index=True)
    assert [str(f.version) for f in client.files("foo")] == ["0.5"]
    assert http.calls == []
    with pytest.raises(PackageNotFoundError) as info:
        client.files("bar")
    assert "--no-index" in info.value.message


def test_not_found_anywhere_names_the_indexes_redacted():
    http = FakeHttp({f"{B}/gone/": Route(status=410)})
    private = "https://user:s3cret@private.example.org/simple"
    client = IndexClient(http, index_urls=[private, B], find_links=[])
    with pytest.raises(PackageNotFoundError) as info:
        client.files("Gone")
    error = info.value
    assert "No package named 'gone'" in error.message
    assert "private.example.org" in error.message and B in error.message
    assert "s3cret" not in error.message
    assert error.hint and error.hint.startswith("Check the spelling")
    # The failure is memoized like a result.
    with pytest.raises(PackageNotFoundError):
        client.files("gone")
    assert len(http.calls) == 2


def test_an_error_on_the_primary_index_is_not_skipped():
    http = FakeHttp({f"{A}/foo/": Route(status=503), f"{B}/foo/": _json_page("foo-1.0.tar.gz")})
    client = IndexClient(http, index_urls=[A, B], find_links=[])
    with pytest.raises(HTTPStatusError) as info:
        client.files("foo")
    assert info.value.status == 503
    assert [c[1] for c in http.calls] == [f"{A}/foo/"]


def test_file_url_index(tmp_path):
    (tmp_path / "foo").mkdir()
    (tmp_path / "foo" / "index.html").write_text('<a href="foo-1.0.tar.gz">f</a>', encoding="utf-8")
    (tmp_path / "bar").mkdir()
    (tmp_path / "bar" / "bar-2.0-py3-none-any.whl").write_bytes(b"w")
    client = IndexClient(FakeHttp(), index_urls=[tmp_path.as_uri()], find_links=[])
    assert client.files("foo")[0].url == (tmp_path / "foo" / "foo-1.0.tar.gz").as_uri()
    assert client.files("bar")[0].filename == "bar-2.0-py3-none-any.whl"
    with pytest.raises(PackageNotFoundError):
        client.files("baz")


def test_unknown_strategy_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        IndexClient(FakeHttp(), index_urls=[A], strategy="best")


def test_memoized_one_request_for_two_calls_and_results_are_copies():
    http = FakeHttp({f"{A}/foo/": _json_page("foo-1.0.tar.gz")})
    client = IndexClient(http, index_urls=[A], find_links=[])
    first = client.files("foo")
    first.clear()
    assert len(client.files("FOO")) == 1
    assert len(http.calls) == 1


def test_memoized_across_eight_concurrent_threads():
    http = FakeHttp({f"{A}/foo/": _json_page("foo-1.0.tar.gz")}, delay=0.05)
    client = IndexClient(http, index_urls=[A], find_links=[])
    barrier = threading.Barrier(8)
    results = []

    def ask():
        barrier.wait(timeout=10)
        results.append(client.files("foo"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(results) == 8 and all(len(r) == 1 for r in results)
    assert len(http.calls) == 1


def test_prefetch_runs_in_the_executor_and_files_reuses_it():
    http = FakeHttp(
        {f"{A}/foo/": _json_page("foo-1.0.tar.gz"), f"{A}/bar/": _json_page("bar-1.0.tar.gz")},
        delay=0.02,
    )
    with ThreadPoolExecutor(max_workers=2) as executor:
        client = IndexClient(http, index_urls=[A], find_links=[], executor=executor)
        client.prefetch(["foo", "Bar", "foo"])
        assert client.files("foo")[0].name == "foo"
        assert client.files("bar")[0].name == "bar"
    assert sorted(c[1] for c in http.calls) == [f"{A}/bar/", f"{A}/foo/"]


def test_prefetch_without_executor_is_lazy():
    http = FakeHttp({f"{A}/foo/": _json_page("foo-1.0.tar.gz")})
    client = IndexClient(http, index_urls=[A], find_links=[])
    client.prefetch(["foo"])
    assert http.calls == []
    client.files("foo")
    assert len(http.calls) == 1


def test_files_claims_prefetched_work_still_queued_behind_a_busy_worker():
    http = FakeHttp({f"{A}/foo/": _json_page("foo-1.0.tar.gz")})
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(release.wait, 10)  # the only worker is busy
        client = IndexClient(http, index_urls=[A], find_links=[], executor=executor)
        client.prefetch(["foo"])
        # Does not wait for the queued task: the caller runs the fetch itself.
        assert len(client.files("foo")) == 1
        release.set()
    assert len(http.calls) == 1


def _big_page() -> Route:
    """A page of many versions built for many platforms (over the thinning threshold)."""
    platforms = ["manylinux_2_17_x86_64", "manylinux_2_17_aarch64", "macosx_11_0_arm64", "win_amd64",
                 "musllinux_1_1_x86_64", "win32"]
    names = [f"big-{v}.0.tar.gz" for v in range(1, 300)]
    names += [f"big-{v}.0-cp311-cp311-{p}.whl" for v in range(1, 300) for p in platforms]
    names += ["big-299.0-py3-none-any.whl"]
    route = _json_page(*names)
    assert len(route.content) > 256 << 10
    return route


def test_big_pages_are_parsed_again_through_a_thinned_copy(tmp_path):
    from packaging.tags import Tag

    supported = frozenset({Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("py3", "none", "any")})
    http = FakeHttp({f"{A}/big/": _big_page()})
    first = IndexClient(http, index_urls=[A], supported_tags=supported, pages_dir=tmp_path).files("big")
    flush_later()  # copies are written in the background
    (copy,) = tmp_path.rglob("*.json")
    assert len(copy.read_bytes()) < len(_big_page().content) / 2  # 3 of every 7 files are kept
    again = IndexClient(http, index_urls=[A], supported_tags=supported, pages_dir=tmp_path).files("big")
    assert again == first
    # Fitting wheels, sdists, and one witness per version for "no wheel for this platform".
    assert len(first) == 299 + 299 + 1 + 299
    # Another target's tags, or damage, never reuse a copy made for this one.
    other = frozenset({Tag("cp311", "cp311", "win_amd64")})
    theirs = IndexClient(http, index_urls=[A], supported_tags=other, pages_dir=tmp_path).files("big")
    flush_later()
    assert {f.filename for f in theirs if "win_amd64" in f.filename} and len(list(tmp_path.rglob("*.json"))) == 2
    copy.write_bytes(b"{damaged")
    assert IndexClient(http, index_urls=[A], supported_tags=supported, pages_dir=tmp_path).files("big") == first


# -- the upload cut-off and --offline (issue 14) ------------------------------------------------


def _timed_page(*entries: tuple[str, str | None]) -> Route:
    files = []
    for filename, uploaded in entries:
        item: dict[str, object] = {"filename": filename, "url": "https://files.example.org/" + filename,
                                   "hashes": {"sha256": "0" * 64}}
        if uploaded is not None:
            item["upload-time"] = uploaded
        files.append(item)
    body = json.dumps({"meta": {"api-version": "1.1"}, "name": "x", "files": files}).encode()
    return Route(content=body, content_type="application/vnd.pypi.simple.v1+json")


def _cutoff(text: str):  # noqa: ANN202
    from datetime import datetime, timezone

    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_files_uploaded_at_or_after_the_cutoff_are_left_out_and_said_why():
    http = FakeHttp({f"{A}/foo/": _timed_page(
        ("foo-1.0.tar.gz", "2024-01-01T00:00:00.000000Z"),
        ("foo-2.0.tar.gz", "2024-03-01T00:00:00Z"),  # exactly at the cut-off: not *before* it
        ("foo-2.0-py3-none-any.whl", "2024-02-29T23:59:59Z"),
        ("foo-3.0.tar.gz", "2024-05-01T00:00:00+02:00"),
    )})
    client = IndexClient(http, index_urls=[A], exclude_newer=_cutoff("2024-03-01T00:00:00"))
    assert sorted(f.filename for f in client.files("foo")) == ["foo-1.0.tar.gz", "foo-2.0-py3-none-any.whl"]
    assert list(client.left_out("foo")) == [Version("3.0")]
    assert "uploaded after the upload cut-off 2024-03-01T00:00:00Z" in client.left_out("foo")[Version("3.0")]


def test_an_index_without_any_upload_time_is_an_error_naming_it():
    http = FakeHttp({f"{A}/foo/": _html_page("foo-1.0.tar.gz")})
    client = IndexClient(http, index_urls=[A], exclude_newer=_cutoff("2024-03-01T00:00:00"))
    with pytest.raises(ConfigurationError, match=r"does not publish upload times \(PEP 700\)") as caught:
        client.files("foo")
    assert A in caught.value.message


def test_a_file_without_upload_time_among_others_is_left_out_with_a_warning():
    from spoke.protocols import NullReporter

    class Warnings(NullReporter):
        def __init__(self) -> None:
            self.seen: list[str] = []

        def warning(self, message: str) -> None:
            self.seen.append(message)

    reporter = Warnings()
    http = FakeHttp({f"{A}/foo/": _timed_page(("foo-1.0.tar.gz", "2024-01-01T00:00:00Z"), ("foo-1.1.tar.gz", None))})
    client = IndexClient(http, index_urls=[A], exclude_newer=_cutoff("2030-01-01T00:00:00"), reporter=reporter)
    assert [f.filename for f in client.files("foo")] == ["foo-1.0.tar.gz"]
    assert len(reporter.seen) == 1 and "foo-1.1.tar.gz" in reporter.seen[0]


def test_without_a_cutoff_upload_times_do_not_matter():
    http = FakeHttp({f"{A}/foo/": _html_page("foo-1.0.tar.gz")})
    assert len(IndexClient(http, index_urls=[A]).files("foo")) == 1


def test_offline_a_page_never_fetched_names_the_project_without_any_request(tmp_path):
    from spoke.errors import NotCachedError
    from spoke.net.client import HttpClient
    from spoke.net.settings import NetSettings

    # A host that cannot resolve: a request would fail slowly, with retries; none is made.
    with HttpClient(NetSettings(offline=True, retries=5), cache_dir=tmp_path) as http:
        client = IndexClient(http, index_urls=["https://index.invalid/simple/"])
        with pytest.raises(NotCachedError, match="flask is not in spoke's cache: its page on") as caught:
            client.files("Flask")
    assert "spoke download flask" in (caught.value.hint or "")
