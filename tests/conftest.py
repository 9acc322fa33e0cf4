"""Suite-wide pytest hooks: tests marked ``live`` need PyPI.

Live tests run by default, but when PyPI cannot be reached they are *skipped* with the reason,
not failed: an offline laptop or a sandboxed CI job is not a spoke bug. ``SPOKE_LIVE=1`` forces
them to run (and fail loudly if the network is down); ``SPOKE_LIVE=0`` always skips them.
"""

from __future__ import annotations

import functools
import os

import pytest

_PROBE_URL = "https://pypi.org/simple/pip/"


@functools.cache
def _pypi_unreachable() -> str | None:
    """Why PyPI cannot be reached (``None`` when it can); asked once per session."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(_PROBE_URL, method="HEAD")
    try:
        # urllib honours the *_proxy variables, so a proxied machine counts as online.
        with urllib.request.urlopen(request, timeout=5):
            return None
    except urllib.error.HTTPError:
        return None  # an HTTP answer of any kind means the network path works
    except (OSError, ValueError) as exc:
        return f"PyPI is unreachable ({_PROBE_URL}: {exc}); set SPOKE_LIVE=1 to run anyway"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    live = [item for item in items if item.get_closest_marker("live") is not None]
    if not live:
        return
    forced = os.environ.get("SPOKE_LIVE", "").strip()
    if forced == "1":
        return
    reason = "SPOKE_LIVE=0" if forced == "0" else _pypi_unreachable()
    if reason is not None:
        skip = pytest.mark.skip(reason=f"live test skipped: {reason}")
        for item in live:
            item.add_marker(skip)
