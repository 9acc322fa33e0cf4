"""Credentials: from URLs, .netrc and keyring, sent only to their own origin, never shown."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from spoke.errors import HTTPStatusError
from spoke.net import Credentials, HttpClient, NetSettings, UrlAndNetrcAuth
from spoke.net.auth import credentials_in_url, origin_of
from spoke.protocols import RecordingReporter
from tests.unit._httpd import LoopbackServer, Reply, always


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def settings() -> NetSettings:
    return NetSettings(timeout=3.0, retries=1, backoff_base=0.01)


def with_userinfo(url: str, userinfo: str) -> str:
    return url.replace("http://", f"http://{userinfo}@", 1)


def needs_auth(expected: str):
    def handle(request, count):
        if request.headers.get("authorization") == expected:
            return Reply(body=b"welcome")
        return Reply(status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})

    return handle


def test_origin_and_url_credentials() -> None:
    assert origin_of("HTTPS://Host.example/simple") == ("https", "host.example", 443)
    assert origin_of("http://h:8080/") == ("http", "h", 8080)
    assert credentials_in_url("https://u:p%40ss@h/") == Credentials(username="u", password="p@ss")
    assert credentials_in_url("https://tok@h/") == Credentials(username="tok", password="")
    assert credentials_in_url("https://h/") is None


def test_url_credentials_go_to_same_origin_only() -> None:
    with LoopbackServer() as index, LoopbackServer() as other:
        index.routes["/simple/demo/"] = always(
            Reply(status=302, headers={"Location": other.url("/files/demo.whl")})
        )
        index.routes["/files/own.whl"] = always(Reply(body=b"own"))
        other.routes["/files/demo.whl"] = always(Reply(body=b"wheel"))
        index_url = with_userinfo(index.url("/simple/"), "alice:s3cret")
        auth = UrlAndNetrcAuth(None, [index_url])
        with HttpClient(settings(), auth=auth) as client:
            response = client.get(index.url("/simple/demo/"))
            assert response.content == b"wheel"
            assert response.url == other.url("/files/demo.whl")
            # A file on the index's own origin gets the credentials too.
            assert client.get(index.url("/files/own.whl")).content == b"own"
        assert index.requests("/simple/demo/")[0].headers["authorization"] == basic("alice", "s3cret")
        assert index.requests("/files/own.whl")[0].headers["authorization"] == basic("alice", "s3cret")
        assert "authorization" not in other.requests("/files/demo.whl")[0].headers


def test_credentials_written_into_request_url_are_stripped_and_learned() -> None:
    with LoopbackServer() as index, LoopbackServer() as other:
        index.routes["/simple/"] = needs_auth(basic("bob", "pw"))
        index.routes["/f.whl"] = needs_auth(basic("bob", "pw"))
        other.routes["/x"] = always(Reply(body=b"x"))
        with HttpClient(settings()) as client:
            page = client.get(with_userinfo(index.url("/simple/"), "bob:pw"))
            assert page.url == index.url("/simple/")  # no credentials in what callers see
            assert client.get(index.url("/f.whl")).content == b"welcome"
            client.get(other.url("/x"))
        assert "authorization" not in other.requests("/x")[0].headers
        assert all(r.path.startswith("/") and "@" not in r.path for r in index.requests())


def test_netrc_by_host(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login carol password fromnetrc\n")
    netrc.chmod(0o600)
    with LoopbackServer() as index:
        index.routes["/simple/"] = needs_auth(basic("carol", "fromnetrc"))
        with HttpClient(settings(), auth=UrlAndNetrcAuth(netrc, [index.url("/simple/")])) as client:
            assert client.get(index.url("/simple/")).content == b"welcome"


def test_user_only_index_url_takes_password_from_netrc(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login dave password pw2\n")
    auth = UrlAndNetrcAuth(netrc, ["https://dave@127.0.0.1/simple/"])
    assert auth.credentials_for("https://127.0.0.1/simple/x/") == Credentials(username="dave", password="pw2")
    assert UrlAndNetrcAuth(tmp_path / "absent", []).credentials_for("https://h/") is None


def test_broken_netrc_is_ignored(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine\n")
    assert UrlAndNetrcAuth(netrc, []).credentials_for("https://h/") is None


def test_401_message_names_host_never_password() -> None:
    with LoopbackServer() as index:
        index.routes["/simple/"] = needs_auth(basic("x", "y"))
        reporter = RecordingReporter()
        with HttpClient(settings(), reporter=reporter) as client:
            with pytest.raises(HTTPStatusError) as anonymous:
                client.get(index.url("/simple/"))
            with pytest.raises(HTTPStatusError) as rejected:
                client.get(with_userinfo(index.url("/simple/"), "eve:hunter2"))
    host = f"127.0.0.1:{index.port}"
    assert anonymous.value.status == 401
    assert host in anonymous.value.message and "requires authentication" in anonymous.value.message
    hint = anonymous.value.hint or ""
    assert ".netrc" in hint and "keyring" in hint and "user:password@" in hint
    assert host in rejected.value.message and "rejected" in rejected.value.message
    for error in (anonymous.value, rejected.value):
        text = " ".join([error.message, error.hint or "", *error.notes, error.url])
        assert "hunter2" not in text
    assert not any("hunter2" in " ".join(e) for e in reporter.events)


def test_keyring_asked_after_401_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in keyring module on sys.path: the optional import is the seam here.
    fake = tmp_path / "site"
    fake.mkdir()
    (fake / "keyring.py").write_text(
        "from types import SimpleNamespace\n"
        "calls = []\n"
        "def get_credential(service, username):\n"
        "    calls.append(service)\n"
        "    return SimpleNamespace(username='kr', password='fromkeyring')\n"
    )
    monkeypatch.syspath_prepend(str(fake))
    monkeypatch.delitem(__import__("sys").modules, "keyring", raising=False)
    import keyring  # type: ignore[import-not-found]

    monkeypatch.setitem(__import__("sys").modules, "keyring", keyring)  # gone again after the test

    with LoopbackServer() as index:
        index.routes["/simple/"] = needs_auth(basic("kr", "fromkeyring"))
        index.routes["/open"] = always(Reply(body=b"public"))
        auth = UrlAndNetrcAuth(None, [index.url("/simple/")])
        with HttpClient(settings(), auth=auth) as client:
            assert client.get(index.url("/open")).content == b"public"
            assert keyring.calls == []
            assert client.get(index.url("/simple/")).content == b"welcome"
            assert client.get(index.url("/simple/")).content == b"welcome"
        assert keyring.calls == [index.url("/simple/")]
        statuses = [r.headers.get("authorization") for r in index.requests("/simple/")]
        assert statuses == [None, basic("kr", "fromkeyring"), basic("kr", "fromkeyring")]
