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


def test_the_seeds_wheelhouse_exercise(spoke, venv, tmp_path) -> None:
    work = tmp_path / "work"
    spoke("download", "flask", "-d", "local-packages", "-i", PYPI)
    assert any(p.name.startswith("flask-") for p in (work / "local-packages").iterdir())
    (work / "requirements.txt").write_text("--find-links ./local-packages\n--only-binary :all:\nflask\n")
    env = venv()
    spoke("install", "--python", str(env.python), "--no-index", "-r", "requirements.txt")
    run = subprocess.run([str(env.python), "-c", "import flask"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_one_wheelhouse_for_three_systems(spoke, tmp_path) -> None:
    out = tmp_path / "wheels"
    spoke("download", "markupsafe==3.0.2", "-d", str(out), "-i", PYPI, "--only-binary=:all:", "--each-platform",
          "--platform", "manylinux_2_17_x86_64", "--platform", "win_amd64", "--platform", "macosx_11_0_arm64",
          "--python-version", "3.12")
    tags = sorted(p.name.split("-", 2)[2] for p in out.iterdir())
    assert len(tags) == 3, tags
    assert any("manylinux" in t for t in tags) and any("win_amd64" in t for t in tags)
    assert any("macosx" in t for t in tags)


def test_a_version_for_an_older_python_is_named_with_its_reason(spoke, tmp_path) -> None:
    result = spoke("install", "numpy==2.0.0", "--dry-run", "--only-binary=:all:", "--python-version", "3.8",
                   "--platform", "manylinux_2_17_x86_64", "-i", PYPI, "--target", str(tmp_path / "t"), check=False)
    assert result.returncode == 1, result.describe()
    assert "numpy 2.0.0 requires Python >=3.9 (the target runs Python 3.8.0)" in result.stderr, result.describe()
    assert "there is no version of numpy==2.0.0" not in result.stderr


def test_index_versions_as_pip_shows_them(spoke) -> None:
    import json

    data = json.loads(spoke("index", "versions", "requests", "--json", "-i", PYPI, "--system").stdout)
    assert data["name"] == "requests" and "2.28.0" in data["versions"] and data["latest"] == data["versions"][0]


@pytest.mark.parametrize("python", ["3.9", "3.12"])
def test_one_universal_lock_of_the_seeds_first_exercise_installs_on_two_pythons(
        spoke, venv, tmp_path, python: str) -> None:
    """The lock of `requests flask pytest`, made once here for Python >= 3.9 on every platform,
    installs on a 3.9 and a 3.12 interpreter from the same file."""
    from tests.support.pythons import find_python

    interpreter = find_python(python)
    if interpreter is None:
        pytest.skip(f"no Python {python} on this machine")
    work = tmp_path / "work"
    (work / "requirements.in").write_text("requests\nflask\npytest\n")
    spoke("lock", "requirements.in", "--python-requirement", ">=3.9", "-i", PYPI, cwd=work)
    env = venv(interpreter)
    spoke("install", "-r", str(work / "pylock.toml"), "--python", str(env.python))
    code = "import requests, flask, pytest; print(pytest.__version__)"
    run = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    names = {p.name.split("-")[0].lower() for p in env.site_packages.glob("*.dist-info")}
    # Markers decided per Python: exceptiongroup and tomli come with pytest on 3.9 only.
    assert ("exceptiongroup" in names) == (python == "3.9") and ("tomli" in names) == (python == "3.9")


def test_a_lock_written_by_pip_lock_installs(spoke, venv, hermetic, tmp_path) -> None:
    """`pip lock` (pip 25.1 and newer) writes a PEP 751 lock; spoke installs it."""
    tools = venv(name="pip-tools-env")
    spoke("install", "pip>=25.1", "--python", str(tools.python), "-i", PYPI)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    made = subprocess.run([str(tools.python), "-m", "pip", "lock", "requests", "-o", "pylock.toml", "-i", PYPI],
                          capture_output=True, text=True, cwd=work, env=dict(hermetic))
    assert made.returncode == 0, made.stderr
    env = venv()
    spoke("install", "-r", str(work / "pylock.toml"), "--python", str(env.python))
    names = {p.name.split("-")[0].lower() for p in env.site_packages.glob("*.dist-info")}
    assert {"requests", "urllib3", "idna", "certifi"} <= names
