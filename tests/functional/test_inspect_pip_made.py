"""Inspection commands on an environment pip made, and on a mix of pip and spoke installs."""

from __future__ import annotations

import json

from tests.support.packages import Pkg, build_cached

PKGS = [
    Pkg("Alpha_Pkg", "1.0", deps=("beta>=1",), summary="first"),
    Pkg("beta", "2.0", summary="second"),
    Pkg("gamma", "0.5", deps=("beta<3",)),
]


def test_list_freeze_check_show_agree_with_pip_on_a_mixed_env(
    spoke, index, venv, pip_in, tmp_path, build_cache
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for pkg in PKGS[:2]:
        for path in build_cached(pkg, build_cache):
            (wheels / path.name).write_bytes(path.read_bytes())
    env = venv()
    pip_in(env.python, "install", "--no-index", "--no-compile", "-f", str(wheels), "alpha-pkg")
    server = index(*PKGS)
    spoke("install", "gamma", "--python", str(env.python), "-i", server.simple_url)
    py = ("--python", str(env.python))
    assert spoke("freeze", *py).stdout == pip_in(env.python, "freeze").stdout
    assert spoke("check", *py).stdout == pip_in(env.python, "check").stdout
    ours = json.loads(spoke("list", "--format", "json", *py).stdout)
    theirs = json.loads(pip_in(env.python, "list", "--format", "json").stdout)
    # pip lists itself only when installed; here it runs from outside the venv.
    assert ours == [row for row in theirs if row["name"] != "pip"]
    assert spoke("show", "alpha-pkg", "beta", *py).stdout == pip_in(env.python, "show", "alpha-pkg", "beta").stdout
    assert "gamma" in spoke("why", "beta", *py).stdout
