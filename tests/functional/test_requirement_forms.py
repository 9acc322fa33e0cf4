"""pip's requirement forms through the real CLI (issue 20): ``.[tests]``, ``..[a]``, archives with
extras, markers after paths, in arguments, ``-e``, ``-r`` and ``-c`` files; ``--target`` with no
virtual environment anywhere; and the note that says why the version asked for cannot be used.

The table of forms is :mod:`tests.unit.test_requirement_forms`; here each kind is installed for
real from a project on disk, with its extras' dependencies from a local index.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.functional.test_sources import build_index, run_py, wheels_of_backends  # noqa: F401
from tests.support.packages import Pkg, build_wheel
from tests.support.projects import write_project

DEPS = (Pkg("beta", "1.0"), Pkg("gamma", "1.0"))


def project_with_extras(folder: Path, name: str = "withx") -> Path:
    """A setuptools project whose extra `tests` needs beta and `docs` needs gamma."""
    write_project(folder, name, "1.0")
    with (folder / "pyproject.toml").open("a") as fh:
        fh.write('\n[project.optional-dependencies]\ntests = ["beta"]\ndocs = ["gamma"]\n')
    return folder


def names(env) -> set[str]:  # noqa: ANN001
    return {p.name.split("-")[0] for p in env.site_packages.glob("*.dist-info")}


@pytest.mark.parametrize(("args", "where", "expected"), [
    ([".[tests]"], "proj", {"withx", "beta"}),
    ([".[tests,docs]"], "proj", {"withx", "beta", "gamma"}),
    (["..[docs]"], "proj/sub", {"withx", "gamma"}),
    (["proj/[tests]"], ".", {"withx", "beta"}),
    (['.[tests]; python_version >= "3"'], "proj", {"withx", "beta"}),
    (['.[tests]; python_version < "3"'], "proj", set()),  # the marker leaves it out
    (["-e", ".[docs]"], "proj", {"withx", "gamma"}),
    (["-e", "..[tests]"], "proj/sub", {"withx", "beta"}),
])
def test_project_folder_forms_on_the_command_line(spoke, build_index, venv, tmp_path, args, where,  # noqa: F811
                                                  expected) -> None:
    project_with_extras(tmp_path / "proj")
    (tmp_path / "proj" / "sub").mkdir()
    server = build_index(*DEPS)
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, *args,
                   cwd=tmp_path / where, check=False)
    assert result.returncode == 0, result.describe()
    assert names(env) == expected
    if expected:
        assert run_py(env, "import withx; print(withx.hello())") == "hello from withx 1.0"


def test_forms_in_requirements_and_constraints_files(spoke, build_index, venv, tmp_path) -> None:  # noqa: F811
    project_with_extras(tmp_path / "proj")
    other = write_project(tmp_path / "proj" / "vendored" / "other", "other", "2.0")
    server = build_index(*DEPS)
    env = venv()
    project_with_extras(tmp_path / "proj" / "lib", "libx")
    (tmp_path / "proj" / "requirements.txt").write_text(
        '.[tests]; python_version >= "3"\n'
        '-e lib[docs]\n'
    )
    # A constraint given as a path pins the project a requirement names to that folder.
    (tmp_path / "proj" / "constraints.txt").write_text("vendored/other\n")
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url,
                   "-r", "requirements.txt", "-c", "constraints.txt", "other", cwd=tmp_path / "proj")
    assert names(env) == {"withx", "libx", "beta", "gamma", "other"}, result.describe()
    assert run_py(env, "import other; print(other.__version__)") == "2.0"
    assert "warning" not in result.stderr and other.is_dir()


def test_archives_with_extras_by_bare_file_name(spoke, index, venv, tmp_path) -> None:
    wheel = build_wheel(Pkg("arch", "1.0", extras={"more": ("beta",)}), tmp_path / "here")
    server = index(*DEPS)
    env = venv()
    spoke("install", "--python", str(env.python), "-i", server.simple_url, f"{wheel.name}[more]",
          cwd=tmp_path / "here")
    assert names(env) == {"arch", "beta"}


def test_a_name_that_is_also_a_folder_installs_the_name_and_says_so(spoke, index, venv, tmp_path) -> None:
    project_with_extras(tmp_path / "beta")  # a folder called like the project on the index
    server = index(*DEPS)
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "beta[tests]",
                   cwd=tmp_path)
    assert names(env) == {"beta"}  # pip's rule: no separator, no leading dot → a name
    assert "warning:" in result.stderr and "write `./beta[tests]`" in result.stderr, result.describe()


def test_bad_forms_are_clear_errors_and_change_nothing(spoke, venv, tmp_path) -> None:
    env = venv()
    (tmp_path / "work" / "reqs.txt").write_text("requests\n")
    before = names(env)
    for args, words in [
        (["./reqs.txt"], "use `-r ./reqs.txt`"),
        (["toto=42"], "did you mean `==`"),
        (["./nowhere[a]"], "does not exist"),
        (["-e", "requests"], "-e takes a project folder"),
        ([".[a b]"], "Invalid extras"),
    ]:
        result = spoke("install", "--python", str(env.python), "--no-index", *args, check=False)
        assert result.returncode == 1, result.describe()
        assert "Traceback" not in result.output and words in result.stderr, result.describe()
    assert names(env) == before


def _bare_python_on_path(tmp_path: Path) -> Path:
    """A PATH folder whose only `python3` is the interpreter behind this test's venv."""
    base = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    folder = tmp_path / "pathbin"
    folder.mkdir()
    (folder / "python3").symlink_to(base)
    return folder


@pytest.mark.parametrize("option", ["--target", "--prefix", "--root"])
def test_target_and_prefix_without_any_virtual_environment_use_python_on_path(spoke, index, tmp_path,
                                                                             option) -> None:
    path_bin = _bare_python_on_path(tmp_path)
    server = index(Pkg("beta", "1.0"))
    out = tmp_path / "out"
    result = spoke("install", option, str(out), "-i", server.simple_url, "beta",
                   env={"PATH": f"{path_bin}{os.pathsep}/usr/bin:/bin", "VIRTUAL_ENV": None})
    assert f"Using {path_bin / 'python3'}" in result.stderr, result.describe()
    assert "from PATH" in result.stderr
    assert list(out.rglob("beta/__init__.py")), result.describe()
    # Without one of those options, a bare interpreter is still refused.
    refused = spoke("install", "-i", server.simple_url, "beta", check=False,
                    env={"PATH": f"{path_bin}{os.pathsep}/usr/bin:/bin", "VIRTUAL_ENV": None})
    assert refused.returncode == 1 and "No virtual environment found" in refused.stderr, refused.describe()


def test_the_version_asked_for_is_named_with_its_real_reason(spoke, index, venv) -> None:
    server = index(
        Pkg("nump", "1.5"),
        Pkg("nump", "2.0.0", requires_python=">=3.99"),
        Pkg("nump", "2.5.1", requires_python=">=3.99"),
    )
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "nump==2.0.0", check=False)
    assert result.returncode == 1, result.describe()
    text = result.stderr
    assert "there is no version of nump==2.0.0" not in text, text
    assert "nump 2.0.0 requires Python >=3.99 (the target runs Python 3." in text, text
    assert "nump 2.0.0 cannot be used: it requires Python >=3.99" in text, text
    assert "2.5.1" not in text, text  # not a word about versions nobody asked for
    assert "nump has versions for this target: 1.5" in text, text
    assert "`nump==1.5` is the newest version usable here" in text, text
