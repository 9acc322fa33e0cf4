"""spoke.pep517.pyproject: ``[build-system]`` with PEP 517/518 defaults, and ``-C`` settings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from spoke.errors import BuildError, RequirementError
from spoke.pep517.pyproject import (
    LEGACY_BACKEND,
    LEGACY_REQUIRES,
    BuildSystem,
    parse_config_settings,
    read_build_system,
)


def tree(tmp_path: Path, pyproject: str | None = None, *, setup_py: bool = False) -> Path:
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(textwrap.dedent(pyproject), encoding="utf-8")
    if setup_py:
        (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    return tmp_path


def test_declared_build_system(tmp_path: Path) -> None:
    system = read_build_system(tree(tmp_path, """
        [build-system]
        requires = ["hatchling>=1.10", "hatch-vcs; python_version >= '3.8'"]
        build-backend = "hatchling.build"
        backend-path = ["_build", "."]
    """))
    assert system == BuildSystem(
        requires=("hatchling>=1.10", "hatch-vcs; python_version >= '3.8'"),
        backend="hatchling.build", backend_path=("_build", "."), declared=True,
    )


def test_defaults_without_pyproject_or_without_the_table(tmp_path: Path) -> None:
    legacy = BuildSystem(requires=LEGACY_REQUIRES, backend=LEGACY_BACKEND, declared=False)
    (tmp_path / "setup-py-only").mkdir()
    assert read_build_system(tree(tmp_path / "setup-py-only", setup_py=True)) == legacy
    (tmp_path / "no-table").mkdir()
    assert read_build_system(tree(tmp_path / "no-table", "[project]\nname = 'x'\n")) == legacy
    assert LEGACY_REQUIRES == ("setuptools>=40.8.0",) and LEGACY_BACKEND == "setuptools.build_meta:__legacy__"


def test_requires_without_backend_uses_the_legacy_backend(tmp_path: Path) -> None:
    system = read_build_system(tree(tmp_path, '[build-system]\nrequires = ["setuptools>=64", "cython"]\n'))
    assert system == BuildSystem(requires=("setuptools>=64", "cython"), backend=LEGACY_BACKEND, declared=True)


def test_a_folder_that_is_no_project(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="neither `pyproject.toml` nor `setup.py`"):
        read_build_system(tmp_path)


@pytest.mark.parametrize(
    "text,problem,hint",
    [
        ("[build-system\n", "not valid TOML", "syntax"),
        ('build-system = "setuptools"\n', "`build-system` is not a table", "[build-system]"),
        ("[build-system]\nbuild-backend = 'x'\n", "has no `requires` key", "requires = ["),
        ("[build-system]\nrequires = 'setuptools'\n", "`requires` must be a list of strings", "requires = ["),
        ("[build-system]\nrequires = [1]\n", "`requires` must be a list of strings", "requires = ["),
        ("[build-system]\nrequires = ['not a requirement!']\n", "invalid requirement `not a requirement!`", "PEP 508"),
        (
            "[build-system]\nrequires = []\nbuild-backend = 'my backend'\n",
            "`build-backend` must be a module path",
            "module:object",
        ),
        (
            "[build-system]\nrequires = []\nbuild-backend = 3\n",
            "`build-backend` must be a module path",
            "module:object",
        ),
        (
            "[build-system]\nrequires = []\nbackend-path = '.'\n",
            "`backend-path` must be a list",
            'backend-path = ["."]',
        ),
        (
            "[build-system]\nrequires = []\nbackend-path = ['../elsewhere']\n",
            "outside the source tree",
            "inside the project",
        ),
        ("[build-system]\nrequires = []\nbackend-path = ['/abs']\n", "outside the source tree", "inside the project"),
        ("[build-system]\nrequires = []\nbuild_backend = 'x'\n", "unknown key `build_backend`", "`build-backend`"),
        ("[build_system]\nrequires = []\n", "found `[build_system]`", "`[build-system]`"),
    ],
)
def test_malformed_build_system_names_the_file_and_the_fix(tmp_path: Path, text: str, problem: str, hint: str) -> None:
    with pytest.raises(BuildError) as info:
        read_build_system(tree(tmp_path, text))
    assert str(tmp_path / "pyproject.toml") in info.value.message
    assert problem in info.value.message
    assert hint in (info.value.hint or "")


def test_unknown_keys_far_from_any_known_one_are_ignored(tmp_path: Path) -> None:
    system = read_build_system(tree(tmp_path, "[build-system]\nrequires = []\nsomething-else = 1\n"))
    assert system.requires == () and system.backend == LEGACY_BACKEND


def test_parse_config_settings() -> None:
    assert parse_config_settings([]) == {}
    assert parse_config_settings(["a=1", "b=", "a=2", "c=x=y", "a=3"]) == {"a": ["1", "2", "3"], "b": "", "c": "x=y"}
    for bad in ("novalue", "=value"):
        with pytest.raises(RequirementError, match=f"`{bad}`"):
            parse_config_settings([bad])
