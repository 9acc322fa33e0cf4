"""Backoff arithmetic, error wording, and the cheap import of spoke.net."""

from __future__ import annotations

import subprocess
import sys

from spoke.net.failures import MAX_DELAY, backoff_delay, status_error


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    assert backoff_delay(0, 0.25, 0.0) == 0.125
    assert backoff_delay(0, 0.25, 0.999999) < 0.25
    assert backoff_delay(3, 0.25, 0.0) == 1.0
    assert backoff_delay(30, 0.25, 0.5) <= MAX_DELAY
    assert backoff_delay(0, 0.01, 0.0, retry_after="2") == 2.0
    assert backoff_delay(0, 0.01, 0.0, retry_after="999") == MAX_DELAY
    assert backoff_delay(0, 0.01, 0.0, retry_after="Wed, 21 Oct 2015") == 0.005


def test_status_errors_redact_and_hint() -> None:
    error = status_error(403, "https://u:pw@host.example/simple/", reason="Forbidden")
    assert error.status == 403
    assert "host.example" in error.message and "pw" not in error.message
    assert error.url == "https://u:****@host.example/simple/"
    assert ".netrc" in (error.hint or "")
    busy = status_error(503, "https://h/", attempts=6)
    assert "503" in busy.message and busy.notes == ("tried 6 times",)


def test_import_does_not_load_urllib3() -> None:
    code = (
        "import sys, spoke.net; "
        "heavy = [m for m in ('urllib3', 'certifi', 'ssl', 'http.client') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
