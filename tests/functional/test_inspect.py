"""``spoke inspect`` against ``pip inspect`` on the same environment: the same report."""

from __future__ import annotations

import json

from tests.support.packages import Pkg, build_wheel

PKGS = (
    Pkg("alpha", "2.0", deps=("beta>=2",), summary="The alpha package",
        metadata={"Project-URL": "Home, https://example.org/alpha", "Classifier": "Topic :: Utilities"}),
    Pkg("beta", "2.1"),
)


def test_the_report_is_pips(spoke, index, venv, pip_in, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "alpha")
    wheel = build_wheel(Pkg("gamma", "1.0"), tmp_path / "dist")
    spoke("install", "--python", str(env.python), "--no-index", str(wheel))
    ours = json.loads(spoke("inspect", "--python", str(env.python)).stdout)
    theirs = json.loads(pip_in(env, "inspect").stdout)
    assert ours["version"] == theirs["version"] == "1"
    assert ours["environment"] == theirs["environment"]
    mine = {e["metadata"]["name"]: e for e in ours["installed"]}
    assert set(mine) == {"alpha", "beta", "gamma"}
    for entry in theirs["installed"]:
        name = entry["metadata"]["name"]
        if name in mine:
            assert mine[name] == entry, name
    assert mine["alpha"]["requested"] is True and mine["beta"]["requested"] is False
    assert mine["alpha"]["metadata"]["requires_dist"] == ["beta>=2"]
    assert mine["alpha"]["metadata"]["project_url"] == ["Home, https://example.org/alpha"]
    assert mine["gamma"]["direct_url"]["url"] == wheel.as_uri()


def test_names_are_refused_and_path_narrows_the_report(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "beta")
    refused = spoke("inspect", "--python", str(env.python), "beta", check=False)
    assert refused.returncode == 2 and "unrecognized arguments: beta" in refused.stderr
    empty = env.path / "empty"
    empty.mkdir()
    report = json.loads(spoke("inspect", "--python", str(env.python), "--path", str(empty)).stdout)
    assert report["installed"] == []
