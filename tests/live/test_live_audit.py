"""``spoke audit -s pypi`` against PyPI's JSON API itself (issue 16's live test)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.live

PYPI = "https://pypi.org/simple/"


def _json_api_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://pypi.org/pypi/jinja2/2.10/json", timeout=20) as answer:
            return "vulnerabilities" in json.loads(answer.read())
    except (OSError, ValueError):
        return False


def test_a_small_environment_through_pypis_json_api(spoke, venv) -> None:
    if not _json_api_reachable():
        # Some networks (this project's CI machines among them) reach PyPI's simple API and
        # files only: the JSON API answers 404 there.
        pytest.skip("PyPI's JSON API (/pypi/NAME/VERSION/json) is not reachable from this machine")
    env = venv()
    spoke("install", "jinja2==2.10", "--python", str(env.python), "-i", PYPI)
    result = spoke("audit", "--python", str(env.python), "-i", PYPI, "-s", "pypi", "-f", "json", check=1)
    deps = {d["name"]: d for d in json.loads(result.stdout)["dependencies"]}
    ids = {v["id"] for v in deps["jinja2"]["vulns"]}
    assert ids and all(i.startswith(("PYSEC-", "GHSA-", "CVE-")) for i in ids), result.describe()
    assert all(v["fix_versions"] for v in deps["jinja2"]["vulns"])
