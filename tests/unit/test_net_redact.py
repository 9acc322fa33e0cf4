"""redact_url / redact_text / strip_credentials."""

from __future__ import annotations

import pytest

from spoke.net import redact_text, redact_url, strip_credentials


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:secret@host/simple", "https://user:****@host/simple"),
        ("https://user:p%40ss@host:8443/simple/?q=1#f", "https://user:****@host:8443/simple/?q=1#f"),
        ("https://TOKEN@host/simple", "https://****@host/simple"),
        ("https://user:@host/", "https://user:****@host/"),
        ("https://host/simple", "https://host/simple"),
        ("https://host/path/with@sign", "https://host/path/with@sign"),
        ("file:///tmp/x", "file:///tmp/x"),
        ("not a url", "not a url"),
        ("http://u:pw@[::1/broken", "http://u:****@[::1/broken"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_strip_credentials() -> None:
    assert strip_credentials("https://u:p@h:1/x?y#z") == "https://h:1/x?y#z"
    assert strip_credentials("https://h/x") == "https://h/x"


def test_redact_text_masks_urls_and_secrets() -> None:
    text = "failed https://me:pa ss@h/simple and https://tok@h2/ with pa%20ss and pa ss"
    shown = redact_text(text, ["pa ss"])
    assert "pa ss" not in shown and "pa%20ss" not in shown and "tok" not in shown
    assert "https://me:****@h/simple" in shown and "https://****@h2/" in shown
    assert redact_text("nothing here", ["", "zz"]) == "nothing here"
