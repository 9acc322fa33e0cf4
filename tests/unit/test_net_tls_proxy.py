"""TLS verification, trusted hosts, CA bundles, and proxies, against loopback servers."""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from spoke.errors import NetworkError
from spoke.net import HttpClient, NetSettings
from tests.unit._httpd import LoopbackServer, Reply, always


def fast(**overrides: object) -> NetSettings:
    options: dict[str, object] = {"timeout": 3.0, "retries": 1, "backoff_base": 0.01}
    options.update(overrides)
    return NetSettings(**options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with LoopbackServer(tls=context) as server:
        server.routes["/simple/"] = always(Reply(body=b"secure"))
        yield server


def test_unverifiable_certificate_is_a_tls_error(tls_server: LoopbackServer) -> None:
    with HttpClient(fast(retries=3), sleep=lambda s: None) as client, pytest.raises(NetworkError) as caught:
        client.get(tls_server.url("/simple/"))
    assert "certificate" in caught.value.message.lower()
    hint = caught.value.hint or ""
    assert "--cert" in hint and "REQUESTS_CA_BUNDLE" in hint and "proxy" in hint
    assert tls_server.requests() == []  # verification failed before any request, and no retry


def test_ca_bundle_makes_it_verify(tls_server: LoopbackServer, certificate: tuple[Path, Path]) -> None:
    with HttpClient(fast(cert=str(certificate[0]))) as client:
        assert client.get(tls_server.url("/simple/")).content == b"secure"


def test_ca_bundle_is_read_once_for_many_connections(
    tls_server: LoopbackServer, certificate: tuple[Path, Path], monkeypatch,  # noqa: ANN001
) -> None:
    # Each answer closes its connection, so each request needs a new one.
    tls_server.routes["/closing/"] = always(Reply(body=b"secure", headers={"Connection": "close"}))
    loads: list[object] = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args or kwargs)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    with HttpClient(fast(cert=str(certificate[0]))) as client:
        for _ in range(3):
            assert client.get(tls_server.url("/closing/")).content == b"secure"
    assert len(tls_server.requests("/closing/")) == 3
    assert len(loads) == 1


def test_ca_bundle_folder_makes_it_verify(tls_server: LoopbackServer, certificate: tuple[Path, Path],
                                          tmp_path: Path) -> None:
    folder = tmp_path / "cas"
    folder.mkdir()
    subject_hash = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(certificate[0])],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip()
    shutil.copy(certificate[0], folder / f"{subject_hash}.0")
    with HttpClient(fast(cert=str(folder))) as client:
        assert client.get(tls_server.url("/simple/")).content == b"secure"


@pytest.mark.parametrize(("content", "problem"), [(None, "no such file"), ("not a pem\n", "not a PEM file")])
def test_unusable_ca_bundle_is_named_before_any_request(
    tls_server: LoopbackServer, tmp_path: Path, content: str | None, problem: str,
) -> None:
    bundle = tmp_path / "bundle.pem"
    if content is not None:
        bundle.write_text(content)
    with HttpClient(fast(cert=str(bundle))) as client, pytest.raises(NetworkError) as caught:
        client.get(tls_server.url("/simple/"))
    assert caught.value.message == f"Cannot use the CA bundle {bundle}: {problem}" or (
        caught.value.message.startswith(f"Cannot use the CA bundle {bundle}: {problem}"))
    assert "--cert" in (caught.value.hint or "")
    assert tls_server.requests() == []


@pytest.mark.parametrize("entry", ["127.0.0.1", "127.0.0.1:{port}"])
def test_trusted_host_skips_verification(tls_server: LoopbackServer, entry: str) -> None:
    trusted = (entry.format(port=tls_server.port),)
    with HttpClient(fast(trusted_hosts=trusted)) as client:
        assert client.get(tls_server.url("/simple/")).content == b"secure"


def test_trusted_host_with_other_port_does_not_match(tls_server: LoopbackServer) -> None:
    with (HttpClient(fast(trusted_hosts=(f"127.0.0.1:{tls_server.port + 1}",))) as client,
          pytest.raises(NetworkError)):
        client.get(tls_server.url("/simple/"))


def test_explicit_proxy_with_credentials() -> None:
    with LoopbackServer() as proxy:
        proxy.routes["http://index.invalid/simple/"] = always(Reply(body=b"via proxy"))
        proxy_url = proxy.base.replace("http://", "http://pu:ppw@")
        with HttpClient(fast(proxy=proxy_url)) as client:
            assert client.get("http://index.invalid/simple/").content == b"via proxy"
        seen = proxy.requests()[0]
        assert seen.path == "http://index.invalid/simple/"
        assert seen.headers["proxy-authorization"] == "Basic " + base64.b64encode(b"pu:ppw").decode()


def test_environment_proxy_and_no_proxy() -> None:
    with LoopbackServer() as proxy, LoopbackServer() as direct:
        proxy.routes["http://index.invalid/x"] = always(Reply(body=b"proxied"))
        direct.routes["/x"] = always(Reply(body=b"direct"))
        env = (("http_proxy", proxy.base), ("no_proxy", "127.0.0.1"))
        with HttpClient(fast(proxy_env=env)) as client:
            assert client.get("http://index.invalid/x").content == b"proxied"
            assert client.get(direct.url("/x")).content == b"direct"
        assert len(proxy.requests()) == 1 and len(direct.requests()) == 1


def test_proxy_failure_message_hides_proxy_password() -> None:
    with LoopbackServer() as gone:
        dead = gone.base.replace("http://", "http://pu:topsecret@")
    with HttpClient(fast(proxy=dead), sleep=lambda s: None) as client, pytest.raises(NetworkError) as caught:
        client.get("https://index.invalid/simple/")
    text = " ".join([caught.value.message, caught.value.hint or "", *caught.value.notes])
    assert "topsecret" not in text
