"""Backoff arithmetic, error wording, and the cheap import of spoke.net."""

from __future__ import annotations

import http.client
import subprocess
import sys

import pytest

from spoke.net.failures import (
    MAX_DELAY,
    Failure,
    backoff_delay,
    backoff_scale_from,
    describe,
    network_error,
    status_error,
)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    assert backoff_delay(0, 0.25, 0.0) == 0.125
    assert backoff_delay(0, 0.25, 0.999999) < 0.25
    assert backoff_delay(3, 0.25, 0.0) == 1.0
    assert backoff_delay(30, 0.25, 0.5) <= MAX_DELAY
    assert backoff_delay(0, 0.01, 0.0, retry_after="2") == 2.0
    assert backoff_delay(0, 0.01, 0.0, retry_after="999") == MAX_DELAY
    assert backoff_delay(0, 0.01, 0.0, retry_after="Wed, 21 Oct 2015") == 0.005


@pytest.mark.parametrize(
    ("value", "scale"),
    [(None, 1.0), ("", 1.0), ("0", 0.0), ("0.01", 0.01), ("2", 2.0), ("-1", 1.0), ("fast", 1.0),
     ("inf", 1.0), ("nan", 1.0)],
)
def test_backoff_scale_from_the_test_variable(value: str | None, scale: float) -> None:
    environ = {} if value is None else {"SPOKE_TEST_BACKOFF_SCALE": value}
    assert backoff_scale_from(environ) == scale


def test_broken_bodies_are_told_apart_and_retried() -> None:
    from urllib3 import exceptions as e

    cut = describe(e.ProtocolError("Connection broken", e.IncompleteRead(100, 900)), timeout=1)
    assert cut == Failure(
        cause="the connection closed before the whole body arrived (100 bytes received, 900 more expected)",
        retry=True, reached=True,
    )
    reset = describe(e.ProtocolError("Connection broken", ConnectionResetError(104, "reset")), timeout=1)
    assert reset is not None and reset.cause == "the server reset the connection" and reset.retry
    silent = describe(
        e.ProtocolError("Connection aborted.", http.client.RemoteDisconnected("closed")), timeout=1
    )
    assert silent is not None and silent.cause == "the server closed the connection without answering"
    stalled = describe(e.ReadTimeoutError(None, "/", "read timed out"), timeout=0.5)  # type: ignore[arg-type]
    assert stalled == Failure(cause="read timed out after 0.5s", retry=True, reached=True)
    refused = describe(e.NewConnectionError(None, "refused"), timeout=1)  # type: ignore[arg-type]
    assert refused is not None and refused.retry and not refused.reached


def test_network_error_names_the_redacted_url_and_what_failed() -> None:
    url = "https://user:hunter2@host.example/simple/demo/"
    reached = network_error(url, Failure(cause="read timed out after 2s", retry=True, reached=True), 3)
    assert reached.message == "Could not fetch https://user:****@host.example/simple/demo/: read timed out after 2s"
    assert reached.notes == ("tried 3 times",)
    unreached = network_error(url, Failure(cause="connection refused", retry=True), 1, action="download")
    assert unreached.message.startswith("Could not reach https://user:****@host.example/")
    assert unreached.notes == ("tried 1 time",)
    downloaded = network_error(
        url, Failure(cause="token hunter2 rejected", retry=True, reached=True), 2, ("hunter2",), action="download"
    )
    assert downloaded.message.startswith("Could not download ") and "hunter2" not in downloaded.message


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
