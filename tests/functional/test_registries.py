"""Private registries end to end: credentials, TLS, client certificates, proxies, and the
dependency-confusion defence — the real CLI against real servers on 127.0.0.1.

Every test that uses a password checks that it never appears in anything spoke printed (both
streams, and the ``--report`` file where one is written).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fake_keyring import fake_keyring
from tests.support.index_server import IndexServer
from tests.support.packages import Pkg
from tests.support.proxy import ForwardProxy

USER = "alice"
PASSWORD = "s3cr3t-Pa55word"
PKGS = [Pkg("private-lib", "1.0"), Pkg("private-lib", "1.2")]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    pytest.importorskip("trustme")
    from tests.support.tls import TestPKI

    return TestPKI(tmp_path_factory.mktemp("pki"))


def installed(env) -> set[str]:
    return {p.name for p in env.site_packages.glob("*.dist-info")}


def assert_no_secret(result, *secrets: str, files: tuple[Path, ...] = ()) -> None:
    texts = [result.stdout, result.stderr] + [f.read_text() for f in files if f.exists()]
    for secret in secrets:
        for text in texts:
            assert secret not in text, result.describe()


def install(spoke, env, *args: str, check=True, env_vars=None):
    return spoke("install", "--python", str(env.python), *args, check=check, env=env_vars)


# ----------------------------------------------------------------------------- 1. basic auth


def test_credentials_in_index_url(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS, auth=(USER, PASSWORD))
    env = venv()
    report = tmp_path / "report.json"
    result = install(spoke, env, "private-lib", "-i", server.authed_url(), "--report", str(report))
    assert installed(env) == {"private_lib-1.2.dist-info"}
    assert_no_secret(result, PASSWORD, files=(report,))
    # Every request carried the login (files live beside the pages: same origin).
    assert all(r.status != 401 for r in server.requests)


def test_credentials_never_reach_files_spoke_writes(spoke, index, venv, hermetic) -> None:
    server = index(*PKGS, auth=(USER, PASSWORD))
    env = venv()
    install(spoke, env, "private-lib", "-i", server.authed_url())
    install(spoke, env, "private-lib", "-i", server.authed_url())  # the no-op record too
    secret = PASSWORD.encode()
    for folder in (Path(hermetic["SPOKE_CACHE_DIR"]), env.path):
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert secret not in path.read_bytes(), path


def test_missing_credentials_names_host_and_the_three_ways(spoke, index, venv) -> None:
    server = index(*PKGS, auth=(USER, PASSWORD))
    env = venv()
    result = install(spoke, env, "private-lib", "-i", server.simple_url, check=1)
    assert "Traceback" not in result.output
    assert f"127.0.0.1:{server.port}" in result.stderr
    assert "requires authentication" in result.stderr and "401" in result.stderr
    for way in ("index URL", ".netrc", "keyring"):
        assert way in result.stderr, result.describe()
    assert installed(env) == set()


def test_wrong_password_is_a_clear_401(spoke, index, venv) -> None:
    server = index(*PKGS, auth=(USER, PASSWORD))
    env = venv()
    wrong = "Wr0ng-Guess-xyz"
    url = server.simple_url.replace("http://", f"http://{USER}:{wrong}@")
    result = install(spoke, env, "private-lib", "-i", url, check=1)
    assert "rejected the credentials" in result.stderr and "401" in result.stderr
    assert "Traceback" not in result.output
    assert_no_secret(result, wrong, PASSWORD)


def test_netrc_credentials(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS, auth=(USER, PASSWORD))
    env = venv()
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    result = install(spoke, env, "private-lib", "-i", server.simple_url, env_vars={"NETRC": str(netrc)})
    assert installed(env) == {"private_lib-1.2.dist-info"}
    assert_no_secret(result, PASSWORD)


def test_keyring_credentials(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS, auth=(USER, PASSWORD))
    env = venv()
    asked = tmp_path / "keyring-asked.txt"
    fake = fake_keyring(tmp_path / "fake-keyring", asked, username=USER, password=PASSWORD)
    result = install(
        spoke, env, "private-lib", "-i", server.simple_url,
        env_vars={"PYTHONPATH": str(fake)},
    )
    assert installed(env) == {"private_lib-1.2.dist-info"}
    assert_no_secret(result, PASSWORD)
    # Asked once per origin, for the index URL, after the server said 401.
    lines = asked.read_text().splitlines()
    assert lines == [f"{server.simple_url} None"], lines


# ----------------------------------------------------------------------------- 2. same origin only


class _FilesElsewhere(IndexServer):
    """An index whose pages point at files hosted on another server (a CDN)."""

    files_base = ""

    def file_url(self, filename: str) -> str:
        return f"{self.files_base}/files/{filename}"


def test_credentials_never_sent_to_another_origin(spoke, index, venv, build_cache) -> None:
    cdn = index(*PKGS)
    private = _FilesElsewhere(*PKGS, build_dir=build_cache, auth=(USER, PASSWORD))
    private.files_base = cdn.url
    try:
        env = venv()
        result = install(spoke, env, "private-lib", "-i", private.authed_url())
    finally:
        private.close()
    assert installed(env) == {"private_lib-1.2.dist-info"}
    assert_no_secret(result, PASSWORD)
    assert cdn.downloads("private_lib-1.2-py3-none-any.whl") == 1
    assert not any(r.path.startswith("/files/") for r in private.requests)
    assert cdn.requests and all("Authorization" not in r.headers for r in cdn.requests)
    assert all("authorization" not in {k.lower() for k in r.headers} for r in cdn.requests)


def test_find_links_page_on_other_host_gets_no_credentials(spoke, index, venv) -> None:
    private = index(Pkg("private-lib", "1.0"), auth=(USER, PASSWORD))
    public = index(Pkg("other-lib", "1.0"))
    env = venv()
    result = install(
        spoke, env, "private-lib", "other-lib", "-i", private.authed_url(),
        "--find-links", public.links_url,
    )
    assert installed(env) == {"private_lib-1.0.dist-info", "other_lib-1.0.dist-info"}
    assert public.requests
    assert all("authorization" not in {k.lower() for k in r.headers} for r in public.requests)
    assert_no_secret(result, PASSWORD)


# ----------------------------------------------------------------------------- 3. HTTPS


def test_https_untrusted_certificate_fails_with_cert_hint(spoke, index, venv, pki) -> None:
    server = index(*PKGS, ssl_context=pki.server_context())
    env = venv()
    result = install(spoke, env, "private-lib", "-i", server.simple_url, check=1)
    assert "Traceback" not in result.output
    assert "certificate" in result.stderr.lower()
    hint = result.stderr[result.stderr.lower().find("certificate"):]
    assert "--cert" in hint, result.describe()
    # Not retried: a certificate that does not verify will not verify next time either.
    assert "Retrying" not in result.stderr
    # Who issued what the server presented (an intercepting proxy's CA shows its name here).
    assert "the server presented a certificate issued by: organizationName=trustme" in result.stderr, result.describe()
    # Trusting some other CA does not help.
    install(spoke, env, "private-lib", "-i", server.simple_url, "--cert", str(pki.other_ca_pem), check=1)
    assert installed(env) == set()


def test_https_with_cert_option(spoke, index, venv, pki) -> None:
    server = index(*PKGS, ssl_context=pki.server_context(), auth=(USER, PASSWORD))
    env = venv()
    result = install(spoke, env, "private-lib", "-i", server.authed_url(), "--cert", str(pki.ca_pem))
    assert installed(env) == {"private_lib-1.2.dist-info"}
    assert_no_secret(result, PASSWORD)


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_https_with_ca_bundle_env(spoke, index, venv, pki, variable: str) -> None:
    server = index(*PKGS, ssl_context=pki.server_context())
    env = venv()
    # The host's own CA variables are dropped first: REQUESTS_CA_BUNDLE wins over SSL_CERT_FILE.
    env_vars = {"REQUESTS_CA_BUNDLE": None, "SSL_CERT_FILE": None, variable: str(pki.ca_pem)}
    install(spoke, env, "private-lib==1.0", "-i", server.simple_url, env_vars=env_vars)
    assert installed(env) == {"private_lib-1.0.dist-info"}


@pytest.mark.parametrize("flag", [("--use-system-certs",), ("--native-tls",), ("--use-feature", "truststore")])
def test_https_with_the_system_store_alone(spoke, index, venv, pki, flag: tuple[str, ...]) -> None:
    server = index(*PKGS, ssl_context=pki.server_context())
    env = venv()
    # The system store, here the CA named by SSL_CERT_FILE (OpenSSL's default location override).
    env_vars = {"REQUESTS_CA_BUNDLE": None, "SSL_CERT_FILE": str(pki.ca_pem)}
    install(spoke, env, "private-lib==1.0", "-i", server.simple_url, *flag, env_vars=env_vars)
    assert installed(env) == {"private_lib-1.0.dist-info"}


def test_https_trusted_host_skips_verification(spoke, index, venv, pki) -> None:
    server = index(*PKGS, ssl_context=pki.server_context())
    env = venv()
    # A trusted host on another port does not cover this one.
    install(spoke, env, "private-lib", "-i", server.simple_url, "--trusted-host", "127.0.0.1:1", check=1)
    result = install(
        spoke, env, "private-lib", "-i", server.simple_url, "--trusted-host", f"127.0.0.1:{server.port}"
    )
    assert installed(env) == {"private_lib-1.2.dist-info"}
    assert "InsecureRequestWarning" not in result.output


# ----------------------------------------------------------------------------- 4. mutual TLS


def test_client_certificate(spoke, index, venv, pki) -> None:
    server = index(*PKGS, ssl_context=pki.server_context(require_client_cert=True))
    env = venv()
    install(
        spoke, env, "private-lib", "-i", server.simple_url, "--cert", str(pki.ca_pem),
        "--client-cert", str(pki.client_pem),
    )
    assert installed(env) == {"private_lib-1.2.dist-info"}


def test_missing_client_certificate_is_a_clear_error(spoke, index, venv, pki) -> None:
    server = index(*PKGS, ssl_context=pki.server_context(require_client_cert=True))
    env = venv()
    result = install(
        spoke, env, "private-lib", "-i", server.simple_url, "--cert", str(pki.ca_pem),
        "--retries", "0", check=1,
    )
    assert "Traceback" not in result.output
    assert f"127.0.0.1:{server.port}" in result.stderr
    # TLS 1.3 reports the server's refusal as an alert ("requires a client certificate") or,
    # when the alert is lost, as a failed handshake; both hints name --client-cert.
    assert "TLS" in result.stderr or "client certificate" in result.stderr, result.describe()
    assert "--client-cert" in result.stderr
    assert installed(env) == set()


def test_unreadable_client_certificate_is_a_clear_error(spoke, index, venv, pki, tmp_path) -> None:
    server = index(*PKGS, ssl_context=pki.server_context(require_client_cert=True))
    env = venv()
    missing = tmp_path / "nope.pem"
    result = install(
        spoke, env, "private-lib", "-i", server.simple_url, "--cert", str(pki.ca_pem),
        "--client-cert", str(missing), "--retries", "0", check=1,
    )
    assert "Traceback" not in result.output
    assert f"Cannot use the client certificate {missing}: no such file" in result.stderr
    assert "--client-cert" in result.stderr
    # Not a certificate and key (the CA certificate alone): refused before connecting.
    result = install(
        spoke, env, "private-lib", "-i", server.simple_url, "--cert", str(pki.ca_pem),
        "--client-cert", str(pki.ca_pem), check=1,
    )
    assert "not a PEM file holding a certificate and its private key" in result.stderr
    assert "Traceback" not in result.output
    assert all(r.method != "GET" for r in server.requests)


# ----------------------------------------------------------------------------- 5. proxies


@pytest.fixture
def proxy():
    servers: list[ForwardProxy] = []

    def make(**kwargs: object) -> ForwardProxy:
        server = ForwardProxy(**kwargs)  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


NO_PROXY_OFF = {"NO_PROXY": None, "no_proxy": None}


def test_proxy_option_routes_requests(spoke, index, venv, proxy) -> None:
    server = index(*PKGS)
    fwd = proxy()
    env = venv()
    install(spoke, env, "private-lib", "-i", server.simple_url, "--proxy", fwd.url, env_vars=NO_PROXY_OFF)
    assert installed(env) == {"private_lib-1.2.dist-info"}
    seen = fwd.targets("GET")
    assert f"{server.simple_url}private-lib/" in seen
    assert server.file_url("private_lib-1.2-py3-none-any.whl") in seen


def test_https_through_proxy_uses_connect(spoke, index, venv, proxy, pki) -> None:
    server = index(*PKGS, ssl_context=pki.server_context())
    fwd = proxy()
    env = venv()
    install(
        spoke, env, "private-lib", "-i", server.simple_url, "--cert", str(pki.ca_pem),
        env_vars={**NO_PROXY_OFF, "HTTPS_PROXY": fwd.url},
    )
    assert installed(env) == {"private_lib-1.2.dist-info"}
    assert f"127.0.0.1:{server.port}" in fwd.targets("CONNECT")


def test_proxy_env_and_no_proxy(spoke, index, venv, proxy) -> None:
    server = index(*PKGS)
    fwd = proxy()
    via_localhost = server.simple_url.replace("127.0.0.1", "localhost")
    # NO_PROXY lists 127.0.0.1 only: "localhost" goes through the proxy...
    env = venv()
    install(
        spoke, env, "private-lib==1.0", "-i", via_localhost,
        env_vars={"HTTP_PROXY": fwd.url, "http_proxy": None, "NO_PROXY": "127.0.0.1", "no_proxy": None},
    )
    assert installed(env) == {"private_lib-1.0.dist-info"}
    assert f"{via_localhost}private-lib/" in fwd.targets("GET")
    # ...and 127.0.0.1 bypasses it.
    fwd_count = len(fwd.requests)
    other = venv(name="other")
    install(
        spoke, other, "private-lib==1.0", "-i", server.simple_url,
        env_vars={"HTTP_PROXY": fwd.url, "http_proxy": None, "NO_PROXY": "127.0.0.1", "no_proxy": None},
    )
    assert installed(other) == {"private_lib-1.0.dist-info"}
    assert len(fwd.requests) == fwd_count


def test_proxy_with_credentials(spoke, index, venv, proxy, tmp_path) -> None:
    proxy_password = "Pr0xy-Pa55-qwe"
    server = index(*PKGS)
    fwd = proxy(auth=("puser", proxy_password))
    env = venv()
    report = tmp_path / "report.json"
    result = install(
        spoke, env, "private-lib", "-i", server.simple_url, "--proxy", fwd.authed_url(),
        "--report", str(report), "-v", env_vars=NO_PROXY_OFF,
    )
    assert installed(env) == {"private_lib-1.2.dist-info"}
    assert all(r.status == 200 for r in fwd.requests) and fwd.requests
    assert_no_secret(result, proxy_password, files=(report,))
    # The proxy login went to the proxy, not to the index.
    assert all("authorization" not in {k.lower() for k in r.headers} for r in server.requests)
    assert all("proxy-authorization" not in {k.lower() for k in r.headers} for r in server.requests)


def test_proxy_wrong_credentials_is_clear(spoke, index, venv, proxy) -> None:
    proxy_password = "Pr0xy-Pa55-qwe"
    server = index(*PKGS)
    fwd = proxy(auth=("puser", proxy_password))
    env = venv()
    bad = f"http://puser:Bad-Pa55-zzz@127.0.0.1:{fwd.port}"
    result = install(
        spoke, env, "private-lib", "-i", server.simple_url, "--proxy", bad, "--retries", "0",
        env_vars=NO_PROXY_OFF, check=1,
    )
    assert "Traceback" not in result.output
    assert "The proxy requires authentication (407" in result.stderr, result.describe()
    assert "--proxy http://user:password@" in result.stderr
    assert_no_secret(result, "Bad-Pa55-zzz", proxy_password)


def test_https_proxy_refusing_connect_is_clear(spoke, index, venv, proxy, pki) -> None:
    server = index(*PKGS, ssl_context=pki.server_context())
    fwd = proxy(auth=("puser", "Pr0xy-Pa55-qwe"))
    env = venv()
    bad = f"http://puser:Bad-Pa55-zzz@127.0.0.1:{fwd.port}"
    result = install(
        spoke, env, "private-lib", "-i", server.simple_url, "--cert", str(pki.ca_pem),
        env_vars={**NO_PROXY_OFF, "HTTPS_PROXY": bad}, check=1,
    )
    assert "the proxy requires authentication (407" in result.stderr, result.describe()
    assert "Retrying" not in result.stderr
    assert [r.status for r in fwd.requests] == [407]
    assert_no_secret(result, "Bad-Pa55-zzz", "Pr0xy-Pa55-qwe")


# ----------------------------------------------------------------------------- 6. dependency confusion


def _two_indexes(index):
    primary = index(Pkg("internal", "1.0"))
    public = index(Pkg("internal", "99.0"))
    return primary, public


def test_first_index_strategy_keeps_private_package(spoke, index, venv) -> None:
    primary, public = _two_indexes(index)
    env = venv()
    install(spoke, env, "internal", "-i", primary.simple_url, "--extra-index-url", public.simple_url)
    assert installed(env) == {"internal-1.0.dist-info"}
    assert public.downloads("internal-99.0-py3-none-any.whl") == 0


def test_unsafe_best_match_takes_highest(spoke, index, venv) -> None:
    primary, public = _two_indexes(index)
    env = venv()
    install(
        spoke, env, "internal", "-i", primary.simple_url, "--extra-index-url", public.simple_url,
        "--index-strategy", "unsafe-best-match",
    )
    assert installed(env) == {"internal-99.0.dist-info"}


def test_pip_merges_indexes_like_unsafe_best_match(index, venv, pip_in) -> None:
    """pip takes the best version across all indexes (hence spoke's first-index default)."""
    primary, public = _two_indexes(index)
    pip_env = venv(name="pip-env")
    pip_in(pip_env, "install", "internal", "-i", primary.simple_url, "--extra-index-url", public.simple_url)
    assert installed(pip_env) == {"internal-99.0.dist-info"}


# ----------------------------------------------------------------------------- 7. plain http


def test_plain_http_and_trusted_host(spoke, index, venv) -> None:
    """spoke, like pip, accepts plain http to 127.0.0.1/localhost without a warning (pip
    counts loopback as a secure origin). ``--trusted-host`` is accepted for an http host (it
    changes nothing there) and, for https, skips verification (tested above)."""
    server = index(*PKGS)
    env = venv()
    result = install(spoke, env, "private-lib==1.0", "-i", server.simple_url)
    assert "warning" not in result.stderr.lower(), result.describe()
    result = install(
        spoke, env, "private-lib==1.2", "-i", server.simple_url, "--trusted-host", "127.0.0.1"
    )
    assert installed(env) == {"private_lib-1.2.dist-info"}
    assert "warning" not in result.stderr.lower(), result.describe()
