"""``spoke list`` and ``spoke show`` against pip's own answers on the same venv."""

from __future__ import annotations

import json

import pytest

from tests.support.packages import Pkg

PKGS = [
    Pkg("Alpha", "1.0", deps=("beta>=1.0", "gamma; python_version < '3'", "delta[x]; extra == 'x'"),
        summary="The first letter.", metadata={"Author": "Ann Author", "License": "MIT",
                                                "Author-email": "ann@example.org",
                                                "Home-page": "https://alpha.example.org"},
        console_scripts={"alpha-cli": "alpha:main"}),
    Pkg("beta", "1.0", summary="Second.", deps=("Zeta_Pkg",)),
    Pkg("Zeta_Pkg", "0.5", metadata={"License": "BSD"}),
    Pkg("lone", "3.0"),
]


@pytest.fixture
def populated(spoke, index, venv):
    server = index(*PKGS)
    env = venv()
    spoke("install", "Alpha", "lone", "--python", str(env.python), "-i", server.simple_url)
    return env, server


def _editable(env, tmp_path) -> str:
    """Mark ``lone`` editable the way an installer records it (PEP 660 direct_url.json)."""
    project = tmp_path / "lone-src"
    project.mkdir()
    info = env.site_packages / "lone-3.0.dist-info"
    (info / "direct_url.json").write_text(json.dumps({"url": project.as_uri(), "dir_info": {"editable": True}}))
    return str(project)


@pytest.mark.parametrize(
    "args", [["Alpha", "zeta-pkg"], ["beta", "alpha"], ["-v", "alpha", "beta"], ["--files", "alpha", "lone"]],
)
def test_show_matches_pip(spoke, pip_in, populated, args) -> None:
    env, _ = populated
    ours = spoke("show", *args, "--python", str(env.python))
    theirs = pip_in(env, "show", *args)
    assert ours.stdout == theirs.stdout, args


def test_show_fields(spoke, populated) -> None:
    env, _ = populated
    out = spoke("show", "alpha", "--python", str(env.python)).stdout.splitlines()
    assert out[:4] == ["Name: Alpha", "Version: 1.0", "Summary: The first letter.", "Home-page: https://alpha.example.org"]
    assert "Requires: beta" in out and "Required-by: " in out
    beta = spoke("show", "beta", "--python", str(env.python)).stdout
    assert "Requires: Zeta_Pkg\nRequired-by: Alpha\n" in beta


def test_show_unknown(spoke, pip_in, populated) -> None:
    env, _ = populated
    ours = spoke("show", "nope", "--python", str(env.python), check=1)
    assert "Package(s) not found: nope" in ours.stderr and ours.stdout == ""
    pip_in(env, "show", "nope", check=1)
    # Some found, some not: pip warns and succeeds.
    ours = spoke("show", "nope", "lone", "--python", str(env.python))
    assert "Package(s) not found: nope" in ours.stderr
    assert ours.stdout == pip_in(env, "show", "nope", "lone").stdout
    err = spoke("show", "--python", str(env.python), check=1)
    assert "package name" in err.stderr and "Traceback" not in err.stderr


@pytest.mark.parametrize("extra", [[], ["--not-required"], ["--exclude", "beta", "--exclude", "LONE"]])
def test_list_formats_match_pip(spoke, pip_in, populated, extra) -> None:
    env, _ = populated
    py = str(env.python)
    for fmt in ("columns", "freeze", "json"):
        ours = spoke("list", "--format", fmt, *extra, "--python", py).stdout
        theirs = pip_in(env, "list", "--format", fmt, *extra).stdout
        if fmt == "json":
            assert json.loads(ours) == json.loads(theirs), extra
        else:
            assert ours == theirs, (fmt, extra)
    if not extra:
        assert ours  # the venv is not empty
        assert spoke("list", "--python", py).stdout.splitlines()[:2] == ["Package  Version", "-------- -------"]


@pytest.mark.parametrize("extra", [[], ["-e"], ["--exclude-editable"]])
def test_list_editable_matches_pip(spoke, pip_in, populated, tmp_path, extra) -> None:
    env, _ = populated
    py = str(env.python)
    _editable(env, tmp_path)
    ours = spoke("list", *extra, "--python", py).stdout
    assert ours == pip_in(env, "list", *extra).stdout, extra
    ours = spoke("list", "--format", "json", *extra, "--python", py).stdout
    assert json.loads(ours) == json.loads(pip_in(env, "list", "--format", "json", *extra).stdout)


def test_editable_location(spoke, pip_in, populated, tmp_path) -> None:
    env, _ = populated
    py = str(env.python)
    location = _editable(env, tmp_path)
    assert "Editable project location" in spoke("list", "--python", py).stdout
    assert json.loads(spoke("list", "-e", "--format", "json", "--python", py).stdout) == [
        {"name": "lone", "version": "3.0", "editable_project_location": location}
    ]
    shown = spoke("show", "lone", "--python", py).stdout
    assert f"Editable project location: {location}\n" in shown
    assert shown == pip_in(env, "show", "lone").stdout


def _publish_newer(server) -> None:
    server.add(Pkg("beta", "2.0", summary="Second."))
    server.add(Pkg("lone", "4.0", sdist=True, wheel=False))
    server.add(Pkg("Alpha", "2.0rc1"))  # a pre-release: only with --pre
    server.add(Pkg("Zeta_Pkg", "0.9", requires_python="<3"))  # not for this Python
    server.add(Pkg("Zeta_Pkg", "0.8", yanked="broken"))  # yanked: never


@pytest.mark.parametrize("extra", [["--outdated"], ["--uptodate"], ["--outdated", "--pre"]])
def test_list_outdated_and_uptodate_match_pip(spoke, pip_in, populated, extra) -> None:
    env, server = populated
    py = str(env.python)
    _publish_newer(server)
    ours = spoke("list", *extra, "--format", "json", "--python", py, "-i", server.simple_url).stdout
    theirs = pip_in(env, "list", *extra, "--format", "json", "-i", server.simple_url).stdout
    assert json.loads(ours) == json.loads(theirs), extra
    assert json.loads(ours)
    ours = spoke("list", *extra, "--python", py, "-i", server.simple_url).stdout
    assert ours == pip_in(env, "list", *extra, "-i", server.simple_url).stdout, extra


def test_list_outdated_picks(spoke, populated) -> None:
    env, server = populated
    py = str(env.python)
    _publish_newer(server)
    names = {row["name"]: row for row in json.loads(
        spoke("list", "-o", "--format", "json", "--python", py, "-i", server.simple_url).stdout)}
    assert names == {
        "beta": {"name": "beta", "version": "1.0", "latest_version": "2.0", "latest_filetype": "wheel"},
        "lone": {"name": "lone", "version": "3.0", "latest_version": "4.0", "latest_filetype": "sdist"},
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--outdated", "--uptodate"], "cannot be combined"),
        (["--outdated", "--format", "freeze"], "cannot be used with the --outdated"),
        (["--path", "/tmp", "--local"], "Cannot combine '--path'"),
    ],
)
def test_list_bad_option_combinations(spoke, venv, args, message) -> None:
    env = venv()
    result = spoke("list", *args, "--python", str(env.python), check=1)
    assert message in result.stderr and "hint" in result.stderr and "Traceback" not in result.stderr


def test_list_path_and_empty(spoke, pip_in, populated, venv) -> None:
    env, _ = populated
    empty = venv(name="empty")
    assert spoke("list", "--python", str(empty.python)).stdout == ""
    assert spoke("list", "--format", "json", "--python", str(empty.python)).stdout == "[]\n"
    ours = spoke("list", "--path", str(env.site_packages), "--format", "freeze", "--python", str(empty.python)).stdout
    assert ours == pip_in(env, "list", "--path", str(env.site_packages), "--format", "freeze").stdout
    assert "lone==3.0" in ours


def test_list_outdated_names_what_holds_a_package_back(spoke, index, venv) -> None:
    server = index(Pkg("flask", "3.0", deps=("werkzeug<3",)), Pkg("werkzeug", "2.3"), Pkg("free", "1.0"))
    env = venv()
    py = str(env.python)
    spoke("install", "flask", "free", "--python", py, "-i", server.simple_url)
    server.add(Pkg("werkzeug", "3.1"))
    server.add(Pkg("free", "2.0"))
    table = spoke("list", "--outdated", "--python", py, "-i", server.simple_url).stdout
    assert table.splitlines()[0].split() == ["Package", "Version", "Latest", "Type", "Held", "back", "by"], table
    werkzeug = next(line for line in table.splitlines() if line.startswith("werkzeug"))
    assert werkzeug.split()[-2:] == ["flask", "(werkzeug<3)"], table
    assert next(line for line in table.splitlines() if line.startswith("free")).split()[-1] == "wheel"
    rows = {r["name"]: r for r in json.loads(
        spoke("list", "-o", "--format", "json", "--python", py, "-i", server.simple_url).stdout)}
    assert rows["werkzeug"]["held_back_by"] == ["flask (werkzeug<3)"] and "held_back_by" not in rows["free"]
