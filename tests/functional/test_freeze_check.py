"""``spoke freeze`` and ``spoke check`` end to end, each answer compared with pip's on the same venv."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.packages import Pkg

PKGS = [
    Pkg("alpha", "1.0", deps=("beta>=1.0",)),
    Pkg("alpha", "2.0", deps=("beta>=2.0", "gone; python_version < '3'"), extras=(("fast", ("turbo",)),)),
    Pkg("beta", "1.0"),
    Pkg("beta", "2.1"),
    Pkg("Zeta_Pkg", "0.3", deps=("Beta>=1",)),
    Pkg("wheel", "0.40.0"),
    Pkg("setuptools", "68.0.0"),
    Pkg("pip", "23.2.1"),
    Pkg("omega", "1.0rc1", deps=("alpha", "beta<2", "missing-one", "Missing_Two>=1")),
]


def fake_dist(venv, name: str, version: str, *, direct_url: dict | None = None,
              requires: tuple[str, ...] = ()) -> Path:
    """A hand-written ``*.dist-info`` (what an install leaves), for records pip reads too."""
    info = venv.site_packages / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text(f"{info.name}/METADATA,,\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return info


def populated(spoke, index, venv):
    server = index(*PKGS)
    env = venv()
    spoke("install", "alpha==2.0", "Zeta_Pkg", "wheel", "setuptools", "pip", "--python", str(env.python),
          "-i", server.simple_url)
    return server, env


def fake_direct_dists(env, project: Path) -> None:
    """An editable, a VCS checkout, a hashed archive in a subdirectory and a local folder."""
    fake_dist(env, "Editable-Thing", "0.1", direct_url={"url": project.as_uri(), "dir_info": {"editable": True}})
    fake_dist(env, "vcs-thing", "1.2", direct_url={
        "url": "https://example.com/repo.git", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}})
    fake_dist(env, "Archived", "3.0", direct_url={
        "url": "https://example.com/archived-3.0.tar.gz", "archive_info": {"hash": "sha256=" + "b" * 64},
        "subdirectory": "sub"})
    fake_dist(env, "localdir", "0.5", direct_url={"url": project.as_uri(), "dir_info": {}})


def test_freeze_matches_pip(spoke, index, venv, pip_in, tmp_path) -> None:
    _, env = populated(spoke, index, venv)
    project = tmp_path / "proj"
    project.mkdir()
    fake_direct_dists(env, project)
    py = str(env.python)
    for args in ([], ["--all"]):
        ours = spoke("freeze", "--python", py, *args)
        theirs = pip_in(env, "freeze", *args)
        assert ours.stdout == theirs.stdout, args
        assert ("pip==23.2.1" in ours.stdout) == bool(args)
    assert f"# Editable install with no version control (Editable-Thing==0.1)\n-e {project}\n" in ours.stdout
    assert "vcs-thing @ git+https://example.com/repo.git@" + "a" * 40 in ours.stdout


def test_freeze_filters_match_pip(spoke, venv, pip_in, tmp_path) -> None:
    env = venv()
    project = tmp_path / "proj"
    project.mkdir()
    fake_direct_dists(env, project)
    fake_dist(env, "Zeta_Pkg", "0.3")
    py = str(env.python)
    for args in (["--exclude-editable"], ["--exclude", "zeta-pkg", "--exclude", "Archived"]):
        ours = spoke("freeze", "--python", py, *args)
        theirs = pip_in(env, "freeze", *args)
        assert ours.stdout == theirs.stdout, args
    assert "Zeta_Pkg" not in ours.stdout and "Archived" not in ours.stdout


def test_freeze_with_requirements_file_matches_pip(spoke, index, venv, pip_in, tmp_path) -> None:
    _, env = populated(spoke, index, venv)
    reqs = tmp_path / "work" / "reqs.txt"
    reqs.parent.mkdir(exist_ok=True)
    reqs.write_text(
        "# top comment\n"
        "-i https://example.invalid/simple\n"
        "\n"
        "zeta-pkg>=0.1  # the zeta\n"
        "notinstalled==1.0\n"
        "BETA\n"
        "pip\n"
        "beta\n"
        "--extra-index-url https://example.invalid/extra\n"
        "-i https://example.invalid/simple\n"
    )
    other = tmp_path / "work" / "more.txt"
    other.write_text("alpha\n# second file\n")
    args = ["-r", str(reqs), "-r", str(other)]
    ours = spoke("freeze", "--python", str(env.python), *args)
    theirs = pip_in(env, "freeze", *args)
    assert ours.stdout == theirs.stdout
    assert "## The following requirements were added by pip freeze:" in ours.stdout
    assert f"Requirement file [{reqs}] contains notinstalled==1.0, but package 'notinstalled' is not installed" \
        in ours.stderr
    # The same warnings, in the same order ("BETA" then "beta": pip tracks names as written).
    def warnings(text: str) -> list[str]:
        return [line.split(": ", 1)[1] for line in text.splitlines() if line.lower().startswith("warning: ")]

    assert warnings(ours.stderr) == warnings(theirs.stderr)


def test_freeze_output_reinstalls_the_same_set(spoke, index, venv, tmp_path) -> None:
    server, env = populated(spoke, index, venv)
    frozen = spoke("freeze", "--python", str(env.python), "--all").stdout
    reqs = tmp_path / "frozen.txt"
    reqs.write_text(frozen)
    fresh = venv(name="fresh")
    spoke("install", "-r", str(reqs), "--python", str(fresh.python), "-i", server.simple_url)
    assert spoke("freeze", "--python", str(fresh.python), "--all").stdout == frozen


def test_freeze_missing_requirements_file_is_a_clear_error(spoke, venv, tmp_path) -> None:
    env = venv()
    result = spoke("freeze", "--python", str(env.python), "-r", str(tmp_path / "nope.txt"), check=False)
    assert result.returncode != 0
    assert "nope.txt" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_clean_matches_pip(spoke, index, venv, pip_in) -> None:
    _, env = populated(spoke, index, venv)
    ours = spoke("check", "--python", str(env.python))
    theirs = pip_in(env, "check")
    assert ours.stdout == theirs.stdout == "No broken requirements found.\n"
    assert ours.returncode == theirs.returncode == 0


def test_check_broken_matches_pip(spoke, index, venv, pip_in) -> None:
    server = index(*PKGS)
    env = venv()
    py = str(env.python)
    # omega: alpha (present), beta<2 (conflict with 2.1), two missing; alpha 2.0 wants beta>=2.0 (ok).
    spoke("install", "--no-deps", "omega==1.0rc1", "alpha==2.0", "beta==2.1", "--python", py, "-i", server.simple_url)
    ours = spoke("check", "--python", py, check=False)
    theirs = pip_in(env, "check", check=False)
    assert ours.stdout == theirs.stdout
    assert ours.returncode == theirs.returncode == 1
    assert "omega 1.0rc1 requires missing-one, which is not installed." in ours.stdout
    assert "omega 1.0rc1 has requirement beta<2, but you have beta 2.1." in ours.stdout


def test_check_several_broken_packages_same_lines_as_pip(spoke, index, venv, pip_in) -> None:
    server = index(*PKGS)
    env = venv()
    py = str(env.python)
    spoke("install", "--no-deps", "alpha==2.0", "Zeta_Pkg", "--python", py, "-i", server.simple_url)
    fake_dist(env, "Beta", "1.0")
    fake_dist(env, "Marked", "1.0", requires=("nothere; python_version < '3'", "alsonot; extra == 'x'",
                                              "beta>=5; sys_platform == 'never'", "Beta!=1.0"))
    ours = spoke("check", "--python", py, check=False)
    theirs = pip_in(env, "check", check=False)
    # pip walks site-packages in directory order; spoke sorts by name. Same lines, same code.
    assert sorted(ours.stdout.splitlines()) == sorted(theirs.stdout.splitlines())
    assert ours.returncode == theirs.returncode == 1
    assert "alpha 2.0 has requirement beta>=2.0, but you have beta 1.0." in ours.stdout
    assert "marked 1.0 has requirement Beta!=1.0, but you have beta 1.0." in ours.stdout
    assert "nothere" not in ours.stdout and "alsonot" not in ours.stdout


def test_corrupt_dist_info_is_a_clear_message(spoke, index, venv, pip_in) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "alpha==2.0", "--python", str(env.python), "-i", server.simple_url)
    (env.site_packages / "beta-2.1.dist-info" / "METADATA").unlink()
    # pip skips a distribution it cannot read, so what requires it reads as missing.
    result = spoke("check", "--python", str(env.python), check=False)
    theirs = pip_in(env, "check", check=False)
    assert result.stdout == theirs.stdout == "alpha 2.0 requires beta, which is not installed.\n"
    assert result.returncode == theirs.returncode == 1
    assert "Traceback" not in result.stderr
    assert "beta" in result.stderr and "METADATA" in result.stderr
    # freeze leaves the broken one out, with a warning, and still lists the rest.
    frozen = spoke("freeze", "--python", str(env.python))
    assert frozen.stdout == "alpha==2.0\n"
    assert "beta-2.1.dist-info" in frozen.stderr and "Traceback" not in frozen.stderr


def test_freeze_editable_git_checkouts_match_pip(spoke, venv, pip_in, tmp_path, hermetic) -> None:
    import subprocess

    def git(cwd: Path, *args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, env=hermetic,
                       check=True, capture_output=True)

    env = venv()
    for repo, remote in (("with-remote", "https://example.com/r.git"), ("no-remote", None)):
        root = tmp_path / repo
        (root / "pkg").mkdir(parents=True)
        (root / "pkg" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "one")
        if remote:
            git(root, "remote", "add", "origin", remote)
        fake_dist(env, f"{repo}-proj", "0.1",
                  direct_url={"url": (root / "pkg").as_uri(), "dir_info": {"editable": True}})
    ours = spoke("freeze", "--python", str(env.python))
    theirs = pip_in(env, "freeze")
    assert ours.stdout == theirs.stdout
    assert "-e git+https://example.com/r.git@" in ours.stdout
    assert "#egg=with_remote_proj&subdirectory=pkg" in ours.stdout
    assert "# Editable Git install with no remote (no-remote-proj==0.1)" in ours.stdout
