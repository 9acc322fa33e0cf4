"""proxy_for and NO_PROXY matching (pure)."""

from __future__ import annotations

from spoke.net import proxy_for
from spoke.net.proxy import bypasses_proxy


def test_scheme_specific_and_fallback() -> None:
    env = {"HTTPS_PROXY": "http://p:3128", "http_proxy": "http://hp:80"}
    assert proxy_for("https://pypi.org/simple/", env) == "http://p:3128"
    assert proxy_for("http://pypi.org/simple/", env) == "http://hp:80"
    assert proxy_for("file:///tmp/x", env) is None
    assert proxy_for("https://x/", {"ALL_PROXY": "proxy.corp:8080"}) == "http://proxy.corp:8080"
    assert proxy_for("https://x/", {}) is None


def test_lowercase_wins() -> None:
    assert proxy_for("https://x/", {"https_proxy": "http://low", "HTTPS_PROXY": "http://up"}) == "http://low"


def test_no_proxy() -> None:
    env = {"https_proxy": "http://p:1", "NO_PROXY": "internal.corp, .example.com,10.0.0.0/8,h:8443"}
    assert proxy_for("https://internal.corp/simple", env) is None
    assert proxy_for("https://pkg.internal.corp/simple", env) is None
    assert proxy_for("https://example.com/", env) is None
    assert proxy_for("https://a.example.com/", env) is None
    assert proxy_for("https://10.1.2.3/", env) is None
    assert proxy_for("https://h:8443/", env) is None
    assert proxy_for("https://h/", env) == "http://p:1"
    assert proxy_for("https://notexample.com/", env) == "http://p:1"
    assert bypasses_proxy("https://anything/", "*")
    assert not bypasses_proxy("https://anything/", "")
