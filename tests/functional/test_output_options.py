"""pip's output options (issue 18): -y everywhere that changes things, --color, --progress-bar."""

from __future__ import annotations

from tests.support.packages import Pkg


def test_yes_color_and_raw_progress(spoke, index, venv) -> None:
    server = index(Pkg("alpha", "1.0", files={"alpha/__init__.py": "x = 1\n" + "# pad\n" * 20000}))
    env = venv()
    py = ("--python", str(env.python), "-i", server.simple_url)
    coloured = spoke("install", *py, "-y", "--color", "always", "--progress-bar", "raw", "alpha")
    assert "\x1b[" in coloured.stderr, coloured.describe()
    assert "Progress " in coloured.stderr and " of " in coloured.stderr
    spoke("uninstall", "--python", str(env.python), "-y", "alpha")
    plain = spoke("install", *py, "--color", "never", "--progress-bar", "off", "alpha", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in plain.stderr and "Progress " not in plain.stderr
    bad = spoke("install", *py, "--color", "sometimes", "alpha", check=False)
    assert bad.returncode != 0 and "sometimes" in bad.stderr


def test_the_environment_is_named_when_not_obvious(spoke, index, venv, tmp_path) -> None:
    server = index(Pkg("alpha", "1.0"))
    here = venv()  # tmp_path/.venv: the one in the folder
    active = venv(name="active")
    work = tmp_path / "proj"
    work.mkdir()
    result = spoke("install", "-i", server.simple_url, "alpha", cwd=work, env={"VIRTUAL_ENV": str(active.path)})
    assert f"Using {active.path} (Python 3." in result.stderr, result.describe()
    assert f"so {here.path} is not used" in result.stderr
    verbose = spoke("install", "--python", str(here.path), "-i", server.simple_url, "alpha", "-v", cwd=work)
    assert f"Using {here.path} (Python 3." in verbose.stderr, verbose.describe()
    spoke("uninstall", "-y", "--python", str(here.path), "alpha")
    quiet = spoke("install", "--python", str(here.path), "-i", server.simple_url, "alpha", cwd=work)
    assert "Using " not in quiet.stderr
