"""Every install source through the real CLI: wheel files and URLs, sdists built through PEP 517
in isolated environments spoke makes itself, project folders, editables, git, hashes.

Build environments get their backends from a local index serving real backend wheels (downloaded
once per machine from PyPI by :mod:`tests.support.backends`), so these tests run on loopback.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.functional.conftest import installed_files
from tests.support.packages import Pkg, build_wheel
from tests.support.projects import git, git_commit, git_repo, make_sdist, write_project


@pytest.fixture(scope="session")
def wheels_of_backends() -> list[Path]:
    from tests.support.backends import backend_wheels

    return sorted(backend_wheels().glob("*.whl"))


@pytest.fixture
def build_index(index, wheels_of_backends):  # noqa: ANN001, ANN201
    """``build_index(*pkgs)``: an index serving ``pkgs`` plus the real build backends."""

    def make(*pkgs, **opts):  # noqa: ANN002, ANN003, ANN202
        return index(*pkgs, *wheels_of_backends, **opts)

    return make


def run_py(env, code: str) -> str:  # noqa: ANN001
    return subprocess.run([str(env.python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def direct_url(env, dist_info: str) -> dict:  # noqa: ANN001
    return json.loads((env.site_packages / dist_info / "direct_url.json").read_text())


# ----------------------------------------------------------------------------- wheel files and URLs


def test_install_wheel_by_path_url_and_name_at_url(spoke, venv, tmp_path, pip_in) -> None:
    wheel = build_wheel(Pkg("gamma", "1.0"), tmp_path / "dist")
    env = venv()
    # A relative path is taken from the current folder (the fixture runs spoke in tmp_path/work).
    spoke("install", "--python", str(env.python), "--no-index", "../dist/" + wheel.name)
    assert run_py(env, "import gamma; print(gamma.__version__)") == "1.0"
    record = direct_url(env, "gamma-1.0.dist-info")
    assert record["url"] == wheel.as_uri()
    assert record["archive_info"]["hashes"]["sha256"]
    frozen = spoke("freeze", "--python", str(env.python)).stdout
    assert f"gamma @ {wheel.as_uri()}" in frozen
    # The same wheel again is already satisfied (same archive, same hash).
    again = spoke("install", "--python", str(env.python), "--no-index", f"gamma @ {wheel.as_uri()}")
    assert "already satisfied" in again.stderr
    assert pip_in(env.python, "check").returncode == 0
    spoke("uninstall", "-y", "--python", str(env.python), "gamma")
    assert not any("gamma" in f for f in installed_files(env))


def test_install_wheel_from_url_checks_the_fragment_hash(spoke, index, venv) -> None:
    server = index(Pkg("delta", "1.0"))
    env = venv()
    url = server.file_url("delta-1.0-py3-none-any.whl")
    bad = spoke("install", "--python", str(env.python), "--no-index", f"{url}#sha256={'0' * 64}", check=1)
    assert "Hash mismatch for delta-1.0-py3-none-any.whl" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert not list(env.site_packages.glob("delta*"))
    good = f"{url}#sha256={server.sha256('delta-1.0-py3-none-any.whl')}"
    spoke("install", "--python", str(env.python), "--no-index", good)
    assert direct_url(env, "delta-1.0.dist-info")["url"] == url


def test_wheel_for_another_platform_is_refused(spoke, venv, tmp_path) -> None:
    wheel = build_wheel(Pkg("plat", "1.0", tag="cp27-cp27m-win32"), tmp_path / "dist")
    env = venv()
    result = spoke("install", "--python", str(env.python), "--no-index", str(wheel), check=1)
    assert "not a supported wheel on this platform" in result.stderr


def test_missing_path_and_name_mismatch_are_clear_errors(spoke, venv, tmp_path) -> None:
    env = venv()
    result = spoke("install", "--python", str(env.python), "./nowhere/x-1.0.tar.gz", check=1)
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    wheel = build_wheel(Pkg("gamma", "1.0"), tmp_path / "dist")
    result = spoke("install", "--python", str(env.python), "--no-index", f"other @ {wheel.as_uri()}", check=1)
    assert "asks for other" in result.stderr and "gamma" in result.stderr


# ----------------------------------------------------------------------------- sdists from an index


def test_sdist_only_package_is_built_in_an_isolated_env_and_cached(spoke, build_index, venv, pip_in) -> None:
    server = build_index(Pkg("srconly", "1.0", wheel=False, sdist=True, deps=("beta",)), Pkg("beta", "1.0"))
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "srconly")
    assert "+ srconly==1.0" in result.stderr and "+ beta==1.0" in result.stderr
    assert run_py(env, "import srconly; print(srconly.__version__)") == "1.0"
    assert pip_in(env.python, "check").returncode == 0
    # The build environment was spoke's own, throw-away: the target got no setuptools.
    assert not list(env.site_packages.glob("setuptools*"))
    assert not (env.site_packages / "srconly-1.0.dist-info" / "direct_url.json").exists()
    # A second install (another venv) reuses the built wheel: no build environment is made.
    server.clear_log()
    other = venv(name="other")
    spoke("install", "--python", str(other.python), "-i", server.simple_url, "srconly")
    assert run_py(other, "import srconly; print(srconly.__version__)") == "1.0"
    assert not [p for p in server.paths() if "setuptools" in p]


def test_only_binary_refuses_sdists_with_a_clear_error(spoke, build_index, venv) -> None:
    server = build_index(Pkg("srconly", "1.0", wheel=False, sdist=True))
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "--only-binary", ":all:",
                   "srconly", check=1)
    assert "srconly" in result.stderr and "--only-binary" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_binary_builds_from_source_even_when_a_wheel_exists(spoke, build_index, venv) -> None:
    server = build_index(Pkg("both", "1.0", sdist=True))
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "--no-binary", "both", "both")
    generator = (env.site_packages / "both-1.0.dist-info" / "WHEEL").read_text()
    assert "setuptools" in generator or "bdist_wheel" in generator


def test_failing_build_shows_backend_output_and_changes_nothing(spoke, build_index, venv, tmp_path) -> None:
    project = write_project(tmp_path / "broken", "broken", "1.0", backend="setuptools-legacy")
    (project / "setup.py").write_text("raise SystemExit('this build is broken on purpose')\n")
    sdist = make_sdist(project, tmp_path / "sd", name="broken", version="1.0")
    server = build_index(sdist)
    env = venv()
    before = installed_files(env)
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "broken", check=1)
    assert "broken on purpose" in result.stderr
    assert "Traceback" not in result.stderr.split("broken on purpose")[-1]
    assert installed_files(env) == before


def test_hostile_sdist_is_refused_before_anything_is_written(spoke, build_index, venv, tmp_path) -> None:
    project = write_project(tmp_path / "evil", "evil", "1.0")
    sdist = make_sdist(project, tmp_path / "sd", name="evil", version="1.0",
                       extra={"evil-1.0/../../escaped.txt": b"gotcha"})
    server = build_index(sdist)
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "evil", check=1)
    assert "evil-1.0.tar.gz" in result.stderr and "Traceback" not in result.stderr
    assert not list(tmp_path.rglob("escaped.txt"))


# ----------------------------------------------------------------------------- project folders


@pytest.mark.parametrize("backend", ["setuptools", "setuptools-legacy", "hatchling", "flit-core",
                                     "pdm-backend", "poetry-core"])
def test_project_folder_with_each_backend(spoke, build_index, venv, tmp_path, backend: str) -> None:
    name = f"proj-{backend.replace('-', '')}"
    project = write_project(tmp_path / "src" / name, name, "1.2", backend=backend, deps=("beta",))
    server = build_index(Pkg("beta", "1.0"))
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, str(project))
    assert f"+ {name}==1.2" in result.stderr and "+ beta==1.0" in result.stderr
    module = name.replace("-", "_")
    assert run_py(env, f"import {module}; print({module}.hello())") == f"hello from {name} 1.2"
    info = next(env.site_packages.glob(f"{module}-1.2.dist-info"))
    assert json.loads((info / "direct_url.json").read_text()) == {"url": project.as_uri(), "dir_info": {}}
    frozen = spoke("freeze", "--python", str(env.python)).stdout.splitlines()
    assert (name, project.as_uri()) in [
        (canonicalize_name(line.split(" @ ")[0]), line.split(" @ ")[-1]) for line in frozen
    ]


def test_project_folder_is_reinstalled_every_time(spoke, build_index, venv, tmp_path) -> None:
    project = write_project(tmp_path / "p", "again", "1.0")
    server = build_index()
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, str(project))
    (project / "again" / "__init__.py").write_text("__version__ = 'changed'\n")
    spoke("install", "--python", str(env.python), "-i", server.simple_url, str(project))
    assert run_py(env, "import again; print(again.__version__)") == "changed"


def test_config_settings_reach_the_backend(spoke, build_index, venv, tmp_path) -> None:
    project = write_project(tmp_path / "cs", "echoer", "1.0", backend="echo-settings")
    server = build_index()
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "-C", "mode=fast",
          "-C", "flag=a", "-C", "flag=b", str(project))
    settings = json.loads((env.site_packages / "echoer" / "settings.json").read_text())
    assert settings == {"flag": ["a", "b"], "mode": "fast"}


def test_no_build_isolation_uses_the_target_and_names_what_is_missing(spoke, build_index, venv, tmp_path,
                                                                      wheels_of_backends) -> None:
    project = write_project(tmp_path / "ni", "noiso", "1.0")
    server = build_index()
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "--no-build-isolation",
                   str(project), check=1)
    assert "setuptools" in result.stderr and "Traceback" not in result.stderr
    setuptools = next(p for p in wheels_of_backends if p.name.startswith("setuptools-"))
    spoke("install", "--python", str(env.python), "--no-index", str(setuptools))
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "--no-build-isolation", str(project))
    assert run_py(env, "import noiso; print(noiso.__version__)") == "1.0"


# ----------------------------------------------------------------------------- editables


@pytest.mark.parametrize("backend", ["setuptools", "hatchling", "no-pep660"])
def test_editable_install_follows_source_changes(spoke, build_index, venv, tmp_path, backend: str) -> None:
    project = write_project(tmp_path / "ed", "edit-me", "0.1", backend=backend)
    server = build_index()
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "-e", str(project))
    assert run_py(env, "import edit_me; print(edit_me.hello())") == "hello from edit-me 0.1"
    (project / "edit_me" / "__init__.py").write_text("def hello():\n    return 'edited'\n")
    assert run_py(env, "import edit_me; print(edit_me.hello())") == "edited"
    info = next(env.site_packages.glob("edit_me-0.1.dist-info"))
    record = json.loads((info / "direct_url.json").read_text())
    assert record == {"url": project.as_uri(), "dir_info": {"editable": True}}
    frozen = spoke("freeze", "--python", str(env.python)).stdout
    assert f"-e {project}" in frozen
    listed = spoke("list", "--python", str(env.python), "--editable", "--format", "json").stdout
    assert json.loads(listed)[0]["editable_project_location"] == str(project)
    spoke("uninstall", "-y", "--python", str(env.python), "edit-me")
    assert not any("edit_me" in f for f in installed_files(env))


# ----------------------------------------------------------------------------- git


@pytest.fixture
def repo(tmp_path):  # noqa: ANN001, ANN201
    folder = write_project(tmp_path / "repo", "gitpkg", "1.0")
    first = git_repo(folder)
    git(folder, "tag", "v1.0")
    write_project(folder, "gitpkg", "2.0")
    second = git_commit(folder, "two")
    git(folder, "branch", "stable", first)
    return folder, first, second


def test_git_url_at_tag_branch_and_commit(spoke, build_index, venv, repo) -> None:
    folder, first, second = repo
    server = build_index()
    env = venv()
    url = f"git+{folder.as_uri()}"
    spoke("install", "--python", str(env.python), "-i", server.simple_url, f"gitpkg @ {url}@v1.0")
    assert run_py(env, "import gitpkg; print(gitpkg.__version__)") == "1.0"
    record = direct_url(env, "gitpkg-1.0.dist-info")
    assert record == {"url": folder.as_uri(), "vcs_info": {"vcs": "git", "commit_id": first,
                                                            "requested_revision": "v1.0"}}
    frozen = spoke("freeze", "--python", str(env.python)).stdout
    assert f"gitpkg @ git+{folder.as_uri()}@{first}" in frozen
    spoke("install", "--python", str(env.python), "-i", server.simple_url, f"{url}@main#egg=gitpkg")
    assert run_py(env, "import gitpkg; print(gitpkg.__version__)") == "2.0"
    assert direct_url(env, "gitpkg-2.0.dist-info")["vcs_info"]["commit_id"] == second
    spoke("install", "--python", str(env.python), "-i", server.simple_url, f"{url}@{first[:10]}")
    assert run_py(env, "import gitpkg; print(gitpkg.__version__)") == "1.0"


def test_git_subdirectory_and_editable_checkout(spoke, build_index, venv, tmp_path) -> None:
    mono = tmp_path / "mono"
    write_project(mono / "libs" / "inner", "inner", "3.0")
    (mono / "README").write_text("monorepo\n")
    commit = git_repo(mono)
    server = build_index()
    env = venv()
    url = f"git+{mono.as_uri()}#subdirectory=libs/inner"
    spoke("install", "--python", str(env.python), "-i", server.simple_url, f"inner @ {url}")
    record = direct_url(env, "inner-3.0.dist-info")
    assert record["subdirectory"] == "libs/inner" and record["vcs_info"]["commit_id"] == commit
    frozen = spoke("freeze", "--python", str(env.python)).stdout
    assert f"inner @ git+{mono.as_uri()}@{commit}#subdirectory=libs/inner" in frozen

    project = write_project(tmp_path / "edrepo", "edgit", "1.0")
    git_repo(project)
    env2 = venv(name="env2")
    spoke("install", "--python", str(env2.python), "-i", server.simple_url, "-e",
          f"git+{project.as_uri()}#egg=edgit")
    checkout = env2.path / "src" / "edgit"
    assert (checkout / ".git").exists()
    (checkout / "edgit" / "__init__.py").write_text("def hello():\n    return 'live'\n")
    assert run_py(env2, "import edgit; print(edgit.hello())") == "live"
    commit = git(checkout, "rev-parse", "HEAD")
    frozen = spoke("freeze", "--python", str(env2.python)).stdout
    assert f"-e git+{project.as_uri()}@{commit}#egg=edgit" in frozen
    # Installing again keeps the checkout and the user's work in it.
    again = spoke("install", "--python", str(env2.python), "-i", server.simple_url, "-e",
                  f"git+{project.as_uri()}#egg=edgit")
    assert "existing checkout" in again.stderr
    assert run_py(env2, "import edgit; print(edgit.hello())") == "live"


def test_unknown_git_revision_is_a_clear_error(spoke, build_index, venv, repo) -> None:
    folder, _first, _second = repo
    env = venv()
    result = spoke("install", "--python", str(env.python), "--no-index", f"git+{folder.as_uri()}@nope#egg=gitpkg",
                   check=1)
    assert "nope" in result.stderr and "Traceback" not in result.stderr


# ----------------------------------------------------------------------------- requirements files and hashes


def test_requirements_file_with_every_kind_of_source(spoke, build_index, venv, tmp_path, repo) -> None:
    folder, first, _second = repo
    wheel = build_wheel(Pkg("gamma", "1.0"), tmp_path / "dist")
    project = write_project(tmp_path / "local", "localproj", "0.5")
    server = build_index(Pkg("beta", "2.0"), Pkg("srconly", "1.0", wheel=False, sdist=True))
    reqs = tmp_path / "reqs.txt"
    reqs.write_text(
        f"-i {server.simple_url}\n"
        "beta==2.0  # by name\n"
        "srconly\n"
        f"{wheel}\n"
        f"localproj @ {project.as_uri()}\n"
        f"gitpkg @ git+{folder.as_uri()}@{first}\n"
    )
    env = venv()
    result = spoke("install", "--python", str(env.python), "-r", str(reqs))
    for line in ("+ beta==2.0", "+ srconly==1.0", "+ gamma==1.0", "+ localproj==0.5", "+ gitpkg==1.0"):
        assert line in result.stderr
    frozen = spoke("freeze", "--python", str(env.python)).stdout
    # What freeze writes installs the same set again into a fresh venv.
    again = tmp_path / "frozen.txt"
    again.write_text(f"-i {server.simple_url}\n{frozen}")
    env2 = venv(name="env2")
    spoke("install", "--python", str(env2.python), "-r", str(again))
    assert spoke("freeze", "--python", str(env2.python)).stdout == frozen


def test_hash_checking_mode(spoke, index, venv, tmp_path) -> None:
    server = index(Pkg("alpha", "1.0", deps=("beta",)), Pkg("beta", "1.0"))
    env = venv()
    a, b = server.sha256("alpha-1.0-py3-none-any.whl"), server.sha256("beta-1.0-py3-none-any.whl")
    reqs = tmp_path / "r.txt"
    # A dependency without a hash stops the install, naming it with the hash to add.
    reqs.write_text(f"alpha==1.0 --hash=sha256:{a}\n")
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "-r", str(reqs), check=1)
    assert "beta" in result.stderr and f"--hash=sha256:{b}" in result.stderr
    assert not list(env.site_packages.glob("*.dist-info"))
    # A wrong hash names the file, the expected and the actual hash, and installs nothing.
    reqs.write_text(f"alpha==1.0 --hash=sha256:{a}\nbeta==1.0 --hash=sha256:{'1' * 64}\n")
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "-r", str(reqs), check=1)
    assert "beta-1.0-py3-none-any.whl" in result.stderr and "1" * 64 in result.stderr and b in result.stderr
    assert not list(env.site_packages.glob("*.dist-info"))
    # Unpinned requirements are refused in hash mode.
    reqs.write_text(f"alpha>=1.0 --hash=sha256:{a}\n")
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "-r", str(reqs), check=1)
    assert "pinned" in result.stderr
    # Everything pinned and hashed installs (several hashes per requirement allowed).
    reqs.write_text(f"alpha==1.0 --hash=sha256:{'2' * 64} --hash=sha256:{a}\nbeta==1.0 \\\n    --hash=sha256:{b}\n")
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "-r", str(reqs))
    assert {p.name for p in env.site_packages.glob("*.dist-info")} == {"alpha-1.0.dist-info", "beta-1.0.dist-info"}
    # --require-hashes on the command line without any hash refuses.
    other = venv(name="other")
    result = spoke("install", "--python", str(other.python), "-i", server.simple_url, "--require-hashes",
                   "beta==1.0", check=1)
    assert "--hash" in result.stderr


def test_hash_mode_refuses_folders_and_vcs(spoke, venv, tmp_path) -> None:
    project = write_project(tmp_path / "p", "hp", "1.0")
    env = venv()
    reqs = tmp_path / "r.txt"
    reqs.write_text(f"{project} --hash=sha256:{'0' * 64}\n")
    result = spoke("install", "--python", str(env.python), "--no-index", "-r", str(reqs), check=1)
    assert "cannot be checked" in result.stderr


def test_sdist_by_url_with_hash_and_per_requirement_settings(spoke, build_index, venv, tmp_path) -> None:
    project = write_project(tmp_path / "echo", "echoer", "1.0", backend="echo-settings")
    sdist = make_sdist(project, tmp_path / "sd", name="echoer", version="1.0")
    server = build_index(sdist)
    env = venv()
    url = server.file_url(sdist.name)
    digest = server.sha256(sdist.name)
    reqs = tmp_path / "r.txt"
    reqs.write_text(f"echoer @ {url}#sha256={digest} --config-settings=level=3\n")
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "-r", str(reqs))
    assert json.loads((env.site_packages / "echoer" / "settings.json").read_text()) == {"level": "3"}
    record = direct_url(env, "echoer-1.0.dist-info")
    assert record == {"url": url, "archive_info": {"hashes": {"sha256": digest}, "hash": f"sha256={digest}"}}
    frozen = spoke("freeze", "--python", str(env.python)).stdout
    assert f"echoer @ {url}#sha256={digest}" in frozen
    # By name from the index, a requirement's own -C reaches that build only.
    other = venv(name="other")
    reqs.write_text("echoer==1.0 --config-settings=level=4\n")
    spoke("install", "--python", str(other.python), "-i", server.simple_url, "-r", str(reqs))
    assert json.loads((other.site_packages / "echoer" / "settings.json").read_text()) == {"level": "4"}


def test_sdists_with_the_same_build_requirements_share_one_build_env(spoke, build_index, venv) -> None:
    server = build_index(Pkg("srcone", "1.0", wheel=False, sdist=True), Pkg("srctwo", "1.0", wheel=False, sdist=True))
    env = venv()
    result = spoke("install", "-v", "--python", str(env.python), "-i", server.simple_url, "srcone", "srctwo")
    assert "+ srcone==1.0" in result.stderr and "+ srctwo==1.0" in result.stderr
    assert result.stderr.count("Installing build requirements of") == 1


def test_report_dry_run_and_constraints_with_direct_sources(spoke, index, venv, tmp_path) -> None:
    wheel = build_wheel(Pkg("gamma", "1.0"), tmp_path / "dist")
    server = index(Pkg("uses-gamma", "1.0", deps=("gamma",)), Pkg("gamma", "2.0"))
    env = venv()
    # --dry-run --report: the direct source is described as pip describes it, nothing installed.
    out = spoke("install", "--python", str(env.python), "-i", server.simple_url, "--dry-run", "--report", "-",
                str(wheel)).stdout
    entry = json.loads(out)["install"][0]
    assert entry["is_direct"] is True and entry["download_info"]["url"] == wheel.as_uri()
    assert "sha256" in entry["download_info"]["archive_info"]["hashes"]
    assert not list(env.site_packages.glob("gamma*"))
    # A constraint given as a URL is used when something needs that project.
    constraints = tmp_path / "c.txt"
    constraints.write_text(f"gamma @ {wheel.as_uri()}\n")
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "-c", str(constraints), "uses-gamma")
    assert direct_url(env, "gamma-1.0.dist-info")["url"] == wheel.as_uri()


def test_no_deps_with_a_project_folder(spoke, build_index, venv, tmp_path) -> None:
    project = write_project(tmp_path / "nd", "nodeps", "1.0", deps=("gamma",))
    server = build_index(Pkg("gamma", "1.0"))
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "--no-deps", str(project))
    assert "+ nodeps==1.0" in result.stderr and "gamma" not in result.stderr
    assert not list(env.site_packages.glob("gamma*"))


def test_a_failing_c_build_names_the_fix_per_system_and_a_release_with_a_wheel(spoke, build_index, venv,
                                                                                tmp_path) -> None:
    project = write_project(tmp_path / "cext", "cext", "1.0", backend="setuptools-legacy")
    # Metadata builds; the wheel's compile step fails as gcc does on a missing header.
    (project / "setup.py").write_text(
        "import sys\nfrom setuptools import setup\n"
        "if 'bdist_wheel' in sys.argv:\n"
        "    print('cext/_speed.c:1:10: fatal error: ffi.h: No such file or directory')\n"
        "    print(\"error: command '/usr/bin/gcc' failed with exit code 1\")\n"
        "    raise SystemExit(1)\n"
        "setup(name='cext', version='1.0', packages=['cext'])\n"
    )
    sdist = make_sdist(project, tmp_path / "sd", name="cext", version="1.0")
    server = build_index(sdist, Pkg("cext", "1.1"), Pkg("cext", "0.9"))
    env = venv()
    before = installed_files(env)
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "cext==1.0", check=1)
    text = result.stderr
    assert "ffi.h: No such file or directory" in text, result.describe()
    assert "`apt install libffi-dev` (Debian/Ubuntu)" in text and "`dnf install libffi-devel` (Fedora/RHEL)" in text
    assert "`apk add libffi-dev` (Alpine)" in text and "`brew install libffi` (macOS)" in text
    assert "cext has a wheel for this target in 1.1 (newer) and 0.9 (older): `cext==1.1` installs without " \
           "building" in text
    assert installed_files(env) == before


def test_an_sdist_with_static_metadata_is_resolved_without_a_build(spoke, index, tmp_path) -> None:
    """PEP 643: a PKG-INFO of Metadata-Version 2.2+ with no Dynamic resolving field is what a
    build would say, so no build environment is made (this index has no setuptools at all)."""
    server = index(Pkg("app", "1.0", deps=("lib",)),
                   Pkg("lib", "1.0", deps=("leaf>=2",), wheel=False, sdist=True, static_metadata=True),
                   Pkg("leaf", "2.0"))
    (tmp_path / "requirements.in").write_text("app\n")
    spoke("compile", "requirements.in", "-o", "out.txt", "-i", server.simple_url, cwd=tmp_path)
    text = (tmp_path / "out.txt").read_text()
    assert "lib==1.0" in text and "leaf==2.0" in text
    # Metadata-Version 2.1: the backend is asked, and it needs setuptools, which is not there.
    other = index(Pkg("app", "1.0", deps=("lib",)), Pkg("lib", "1.0", deps=("leaf>=2",), wheel=False, sdist=True),
                  Pkg("leaf", "2.0"))
    built = spoke("compile", "requirements.in", "-o", "out2.txt", "-i", other.simple_url, cwd=tmp_path, check=1)
    assert "setuptools" in built.stderr
