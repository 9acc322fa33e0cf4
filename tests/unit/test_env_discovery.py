"""spoke.env.discovery: --python, VIRTUAL_ENV, .venv, PATH; PEP 668 refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spoke.env.discovery import (
    check_externally_managed,
    check_version_request,
    find_dot_venv,
    find_interpreter,
    parse_version_request,
    read_externally_managed,
    venv_python,
)
from spoke.errors import EnvironmentNotFound, ExternallyManagedError, InterpreterError
from spoke.models.interpreter import Interpreter, Scheme

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX layouts")


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def _venv(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return _exe(folder / "bin" / "python")


@pytest.fixture
def path_dirs(tmp_path):
    """Two fake PATH folders: the first has python3 and python3.11, the second python3.12."""
    a, b = tmp_path / "path-a", tmp_path / "path-b"
    _exe(a / "python3")
    _exe(a / "python3.11")
    _exe(b / "python3.12")
    _exe(b / "python3")
    return os.pathsep.join([str(a), str(b)])


def find(tmp_path, path_env="", **kw):
    args = {"python": None, "virtual_env": None, "cwd": tmp_path, "system": False, "path_env": path_env}
    args.update(kw)
    return find_interpreter(**args)


def test_python_option_venv_folder(tmp_path):
    exe = _venv(tmp_path / "env")
    assert find(tmp_path, python=str(tmp_path / "env")) == exe


def test_python_option_relative_venv_folder(tmp_path):
    exe = _venv(tmp_path / "env")
    assert find(tmp_path, python="env") == exe
    (tmp_path / "sub").mkdir()
    assert find(tmp_path / "sub", python="../env") == exe
    assert find(tmp_path, python="./env") == exe


def test_python_option_executable_path(tmp_path):
    exe = _exe(tmp_path / "somewhere" / "python9")
    assert find(tmp_path, python=str(exe)) == exe
    assert find(tmp_path, python="somewhere/python9") == exe


def test_python_option_missing_path(tmp_path):
    with pytest.raises(InterpreterError) as info:
        find(tmp_path, python="./nothing/python")
    assert "No Python interpreter at" in info.value.message
    assert info.value.hint


def test_python_option_folder_without_python(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InterpreterError, match="no Python interpreter"):
        find(tmp_path, python=str(tmp_path / "empty"))


def test_python_option_prefix_folder_without_cfg(tmp_path):
    exe = _exe(tmp_path / "prefix" / "bin" / "python3")
    assert find(tmp_path, python=str(tmp_path / "prefix")) == exe


@pytest.mark.parametrize(
    ("request_", "name"), [("3.11", "python3.11"), ("3.11.7", "python3.11"), ("3.12", "python3.12"), ("3", "python3")]
)
def test_python_option_version(tmp_path, path_dirs, request_, name):
    found = find(tmp_path, python=request_, path_env=path_dirs)
    assert found.name == name


def test_python_option_version_first_on_path_wins(tmp_path, path_dirs):
    assert find(tmp_path, python="3", path_env=path_dirs).parent.name == "path-a"


def test_python_option_version_not_on_path(tmp_path, path_dirs):
    with pytest.raises(InterpreterError) as info:
        find(tmp_path, python="3.9", path_env=path_dirs)
    assert "python3.9" in info.value.message


def test_python_option_name_on_path(tmp_path, path_dirs):
    assert find(tmp_path, python="python3.12", path_env=path_dirs).parent.name == "path-b"
    with pytest.raises(InterpreterError, match="No `pypy3` found on PATH"):
        find(tmp_path, python="pypy3", path_env=path_dirs)


def test_python_option_beats_virtual_env_and_dot_venv(tmp_path, path_dirs):
    _venv(tmp_path / ".venv")
    active = _venv(tmp_path / "active")
    found = find(tmp_path, python="3.12", virtual_env=str(active.parent.parent), path_env=path_dirs)
    assert found.name == "python3.12"


def test_virtual_env_beats_dot_venv(tmp_path):
    _venv(tmp_path / ".venv")
    active = _venv(tmp_path / "active")
    assert find(tmp_path, virtual_env=str(tmp_path / "active")) == active


def test_stale_virtual_env_is_an_error(tmp_path):
    with pytest.raises(InterpreterError) as info:
        find(tmp_path, virtual_env=str(tmp_path / "gone"))
    assert "VIRTUAL_ENV" in info.value.message
    assert "deactivate" in info.value.hint


def test_dot_venv_in_cwd_or_parent(tmp_path):
    exe = _venv(tmp_path / "project" / ".venv")
    deep = tmp_path / "project" / "src" / "pkg"
    deep.mkdir(parents=True)
    assert find(deep) == exe
    assert find_dot_venv(tmp_path / "project") == exe
    assert find_dot_venv(tmp_path) is None


def test_dot_venv_without_cfg_is_ignored(tmp_path):
    _exe(tmp_path / ".venv" / "bin" / "python")
    with pytest.raises(EnvironmentNotFound):
        find(tmp_path)


def test_system_only_when_asked(tmp_path, path_dirs):
    with pytest.raises(EnvironmentNotFound) as info:
        find(tmp_path, path_env=path_dirs)
    assert info.value.message == "No virtual environment found"
    assert info.value.hint == (
        "Create one with `spoke venv` (then activate it or run spoke in its folder), "
        "or pass `--python PATH` / `--system`."
    )
    found = find(tmp_path, path_env=path_dirs, system=True)
    assert found == Path(path_dirs.split(os.pathsep)[0]) / "python3"


def test_system_with_nothing_on_path(tmp_path):
    with pytest.raises(EnvironmentNotFound, match="PATH"):
        find(tmp_path, path_env=str(tmp_path / "void"), system=True)


def test_venv_python_requires_cfg(tmp_path):
    assert venv_python(tmp_path) is None
    exe = _venv(tmp_path / "v")
    assert venv_python(tmp_path / "v") == exe


def test_parse_version_request():
    assert parse_version_request("3.11") == (3, 11)
    assert parse_version_request(" 3.11.7 ") == (3, 11, 7)
    assert parse_version_request("3") == (3,)
    assert parse_version_request("python3.11") is None
    assert parse_version_request("3.11.7.1") is None
    assert parse_version_request(None) is None


def _interp(version=(3, 11, 7), *, is_venv=False, managed: str | None = None) -> Interpreter:
    p = Path("/usr/lib/python3/site-packages")
    return Interpreter(
        executable=Path("/usr/bin/python3"), version=version, implementation="cpython", markers={}, tags=(),
        sys_prefix=Path("/usr"), base_prefix=Path("/usr"),
        scheme=Scheme(purelib=p, platlib=p, scripts=Path("/usr/bin"), data=Path("/usr"), headers=Path("/usr/include")),
        is_venv=is_venv, externally_managed=managed,
    )


def test_check_version_request():
    check_version_request(_interp(), "3.11")
    check_version_request(_interp(), "3.11.7")
    check_version_request(_interp(), "python3")
    with pytest.raises(InterpreterError, match="not 3.11.8"):
        check_version_request(_interp(), "3.11.8")


MANAGED = """\
[externally-managed]
Error=To install Python packages system-wide, try apt install
 python3-xyz, where xyz is the package you are trying to
 install.
"""


def test_externally_managed_refused_with_distributor_text(tmp_path):
    marker = tmp_path / "EXTERNALLY-MANAGED"
    marker.write_text(MANAGED)
    with pytest.raises(ExternallyManagedError) as info:
        check_externally_managed(_interp(managed=str(marker)), False)
    err = info.value
    assert "externally managed" in err.message
    assert err.notes[0] == "To install Python packages system-wide, try apt install"
    assert "install." in err.notes
    assert "spoke venv" in err.hint and "--break-system-packages" in err.hint


def test_externally_managed_overrides(tmp_path):
    marker = tmp_path / "EXTERNALLY-MANAGED"
    marker.write_text(MANAGED)
    check_externally_managed(_interp(managed=str(marker)), True)  # --break-system-packages
    check_externally_managed(_interp(managed=str(marker), is_venv=True), False)  # venvs never are
    check_externally_managed(_interp(managed=None), False)


def test_externally_managed_without_error_text(tmp_path):
    marker = tmp_path / "EXTERNALLY-MANAGED"
    marker.write_text("garbage without sections\n")
    assert read_externally_managed(marker) is None
    with pytest.raises(ExternallyManagedError) as info:
        check_externally_managed(_interp(managed=str(marker)), False)
    assert "PEP 668" in info.value.notes[0]


def test_read_externally_managed_missing_file(tmp_path):
    assert read_externally_managed(tmp_path / "absent") is None
