"""A small suite against PyPI itself (skipped when PyPI cannot be reached)."""

from __future__ import annotations

import subprocess

import pytest

from tests.functional.conftest import installed_files

pytestmark = pytest.mark.live

PYPI = "https://pypi.org/simple/"


def test_requests_and_flask_install_import_check_and_uninstall(spoke, venv, pip_in, hermetic) -> None:
    env = venv()
    before = installed_files(env)
    # The machine's CA bundle may differ from certifi's (TLS interception); honour it if set.
    spoke("install", "requests", "flask", "--python", str(env.python), "-i", PYPI)
    code = "import requests, flask; print(requests.__version__, flask.__version__)"
    run = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert pip_in(env.python, "check").returncode == 0
    names = {line.split("==")[0].lower() for line in pip_in(env.python, "freeze").stdout.split()}
    assert {"requests", "flask", "urllib3", "werkzeug", "jinja2"} <= names
    spoke("uninstall", "-y", *sorted(names), "--python", str(env.python))
    assert installed_files(env) == before
