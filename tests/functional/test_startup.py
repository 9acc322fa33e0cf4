"""The start-up budget (issue 19): ``spoke --version`` and ``spoke --help`` load none of the
heavy modules a real command needs. Timings never go into a test; what is imported does."""

from __future__ import annotations

import re
import sys

import pytest

from tests.functional.conftest import run_checked

#: What a command that changes nothing must never pay for.
HEAVY = ("rich", "urllib3", "certifi", "ssl", "pyproject_hooks", "spoke.resolver", "spoke.plan", "spoke.net.client",
         "spoke.app.install", "spoke.index", "packaging.metadata", "concurrent.futures")


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["install", "--help"]])
def test_startup_imports_nothing_heavy(hermetic, tmp_path, args: list[str]) -> None:
    result = run_checked([sys.executable, "-X", "importtime", "-m", "spoke", *args], env=hermetic, cwd=tmp_path)
    imported = {m.group(1) for m in re.finditer(r"\|\s+([\w.]+)\s*$", result.stderr, re.MULTILINE)}
    assert "spoke.cli.quick" in imported and "spoke.cli.main" in imported  # the listing was read
    loaded = sorted(name for name in imported if name in HEAVY or name.startswith(tuple(f"{h}." for h in HEAVY)))
    assert loaded == [], loaded
