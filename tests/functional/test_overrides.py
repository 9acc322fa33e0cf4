"""``--overrides FILE`` (issue 14, uv's): a wrong upper bound upstream replaced for the resolution."""

from __future__ import annotations

from tests.support.packages import Pkg

PKGS = (Pkg("alpha", "1.0", deps=("beta<2",)), Pkg("beta", "1.0"), Pkg("beta", "2.0"),
        Pkg("gamma", "1.0", deps=("beta>=2",)))


def test_an_override_replaces_the_upstream_bound(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    py = ("--python", str(env.python), "-i", server.simple_url)
    stuck = spoke("install", *py, "alpha", "gamma", check=False)
    assert stuck.returncode == 1, stuck.describe()
    overrides = tmp_path / "overrides.txt"
    overrides.write_text("beta>=2\nnever-used>=1 ; python_version < '3'\n")
    installed = spoke("install", *py, "alpha", "gamma", "--overrides", str(overrides), "--report", "-")
    assert spoke("freeze", "--python", str(env.python)).stdout == "alpha==1.0\nbeta==2.0\ngamma==1.0\n"
    import json

    report = json.loads(installed.stdout)
    assert report["overrides"][0] == {"requirement": "beta>=2", "source": f"{overrides}:1"}, report["overrides"]
    (tmp_path / "requirements.in").write_text("alpha\ngamma\n")
    out = spoke("compile", "--overrides", "overrides.txt", "-o", "-", "--no-header", "-i", server.simple_url,
                "--no-emit-index-url", cwd=tmp_path).stdout
    assert "beta==2.0\n    # via\n    #   --overrides overrides.txt\n    #   alpha\n    #   gamma\n" in out, out
    spoke("download", "alpha", "gamma", "--overrides", str(overrides), "-d", str(tmp_path / "d"),
          "-i", server.simple_url)
    assert "beta-2.0-py3-none-any.whl" in {p.name for p in (tmp_path / "d").iterdir()}


def test_an_override_without_a_version_is_refused(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    bad = tmp_path / "o.txt"
    bad.write_text("beta\n")
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha", "--overrides",
                   str(bad), check=False)
    assert result.returncode == 1 and "The override `beta`" in result.stderr and "names no version" in result.stderr
    assert spoke("freeze", "--python", str(env.python)).stdout == ""


def test_requirements_from_a_script(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    script = tmp_path / "tool.py"
    script.write_text('# /// script\n# requires-python = ">=3.8"\n# dependencies = ["gamma"]\n# ///\nprint(1)\n')
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "--requirements-from-script", str(script))
    assert spoke("freeze", "--python", str(env.python)).stdout == "beta==2.0\ngamma==1.0\n"
    script.write_text('# /// script\n# requires-python = ">=3.99"\n# dependencies = ["alpha"]\n# ///\n')
    bad = spoke("install", "--python", str(env.python), "-i", server.simple_url, "--requirements-from-script",
                str(script), check=False)
    assert bad.returncode == 1 and "requires Python >=3.99, but the target runs Python 3." in bad.stderr
