"""``--offline`` (issue 14) through the CLI: only what spoke's cache holds, not one request."""

from __future__ import annotations

import socket

from tests.support.packages import Pkg

PKGS = (Pkg("alpha", "2.0", deps=("beta>=2",)), Pkg("beta", "2.1"), Pkg("gamma", "1.0"))


def dists(env) -> set[str]:  # noqa: ANN001
    return {p.name for p in env.site_packages.glob("*.dist-info")}


def closed_port_url() -> str:
    """An index URL on a loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/simple/"


def test_install_offline_from_a_warm_cache_makes_no_request(spoke, index, venv) -> None:
    server = index(*PKGS)
    first = venv(name="first")
    spoke("install", "--python", str(first.python), "alpha", "-i", server.simple_url)
    server.clear_log()
    fresh = venv(name="fresh")
    spoke("install", "--python", str(fresh.python), "--offline", "alpha", "-i", server.simple_url)
    assert dists(fresh) == {"alpha-2.0.dist-info", "beta-2.1.dist-info"}
    assert server.requests == []  # not one connection, though the server is up


def test_install_offline_works_with_the_index_gone(spoke, index, venv) -> None:
    server = index(*PKGS)
    url = server.simple_url
    spoke("install", "--python", str(venv(name="first").python), "alpha", "-i", url)
    server.close()
    fresh = venv(name="fresh")
    result = spoke("install", "--python", str(fresh.python), "alpha", "-i", url, env={"SPOKE_OFFLINE": "1"})
    assert dists(fresh) == {"alpha-2.0.dist-info", "beta-2.1.dist-info"}
    assert "Retrying" not in result.output


def test_a_package_never_fetched_is_a_clear_error_and_nothing_is_installed(spoke, index, venv) -> None:
    server = index(*PKGS)
    spoke("install", "--python", str(venv(name="first").python), "alpha", "-i", server.simple_url)
    server.clear_log()
    fresh = venv(name="fresh")
    result = spoke("install", "--python", str(fresh.python), "--offline", "alpha", "gamma",
                   "-i", server.simple_url, check=1)
    assert "error: gamma is not in spoke's cache: its page on" in result.stderr, result.describe()
    assert "without `--offline`" in result.stderr and "spoke download gamma" in result.stderr
    assert "Traceback" not in result.output
    assert dists(fresh) == set()  # all or nothing
    assert server.requests == []


def test_offline_with_a_cold_cache_fails_at_once_without_retries(spoke, tmp_path) -> None:
    dest = tmp_path / "out"
    result = spoke("download", "--offline", "alpha", "-d", str(dest), "-i", closed_port_url(),
                   "--retries", "5", "--timeout", "30", check=1, timeout=20)
    assert "error: alpha is not in spoke's cache" in result.stderr, result.describe()
    assert "Retrying" not in result.output
    assert not dest.exists() or list(dest.iterdir()) == []


def test_a_version_whose_wheel_was_never_downloaded_is_named(spoke, index, venv) -> None:
    server = index(Pkg("beta", "2.1"), Pkg("beta", "3.0"))
    spoke("install", "--python", str(venv(name="first").python), "beta==2.1", "-i", server.simple_url)
    fresh = venv(name="fresh")
    result = spoke("install", "--python", str(fresh.python), "--offline", "beta==3.0",
                   "-i", server.simple_url, check=1)
    assert "error: beta 3.0 is not in spoke's cache" in result.stderr, result.describe()
    assert dists(fresh) == set()


def test_download_then_download_offline_and_the_config_file_key(spoke, index, tmp_path) -> None:
    server = index(*PKGS)
    spoke("download", "alpha", "-d", str(tmp_path / "online"), "-i", server.simple_url)
    server.clear_log()
    config = tmp_path / "spoke.toml"
    config.write_text('[global]\noffline = true\n')
    spoke("download", "alpha", "-d", str(tmp_path / "offline"), "-i", server.simple_url,
          env={"SPOKE_CONFIG_FILE": str(config)})
    assert {p.name for p in (tmp_path / "offline").iterdir()} == {
        "alpha-2.0-py3-none-any.whl", "beta-2.1-py3-none-any.whl"}
    assert server.requests == []


def test_local_find_links_work_offline_with_an_empty_cache(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    spoke("download", "alpha", "-d", str(tmp_path / "wheels"), "-i", server.simple_url, "--no-cache-dir")
    server.close()
    fresh = venv(name="fresh")
    spoke("install", "--python", str(fresh.python), "--offline", "--no-index", "-f", str(tmp_path / "wheels"), "alpha")
    assert dists(fresh) == {"alpha-2.0.dist-info", "beta-2.1.dist-info"}
