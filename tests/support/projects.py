"""Source projects on disk for build tests: a folder with a ``pyproject.toml`` for one backend.

``write_project(folder, name, version, backend=..., deps=...)`` writes a minimal, importable
project (one package ``<module>/__init__.py`` defining ``__version__`` and ``hello()``) built
by the named backend: ``setuptools`` (pyproject.toml), ``setuptools-legacy`` (a ``setup.py``
only), ``hatchling``, ``flit-core``, ``pdm-backend``, ``poetry-core``, ``no-pep660`` (an
in-tree backend wrapping setuptools without ``build_editable``) or ``echo-settings`` (an
in-tree backend that writes the config settings it was given into the package).
``make_sdist(folder, out)`` packs a project as ``{name}-{version}.tar.gz``;
``git_repo(folder)`` turns a folder into a git repository with one commit.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

REQUIRES = {
    "setuptools": ["setuptools>=61"],
    "hatchling": ["hatchling"],
    "flit-core": ["flit_core>=3.4,<4"],
    "pdm-backend": ["pdm-backend"],
    "poetry-core": ["poetry-core>=1.0"],
}
BACKENDS = {
    "setuptools": "setuptools.build_meta",
    "hatchling": "hatchling.build",
    "flit-core": "flit_core.buildapi",
    "pdm-backend": "pdm.backend",
    "poetry-core": "poetry.core.masonry.api",
}

_NO_PEP660 = '''\
from setuptools import build_meta as _orig

get_requires_for_build_wheel = _orig.get_requires_for_build_wheel
get_requires_for_build_sdist = _orig.get_requires_for_build_sdist
prepare_metadata_for_build_wheel = _orig.prepare_metadata_for_build_wheel
build_wheel = _orig.build_wheel
build_sdist = _orig.build_sdist
'''

_ECHO = '''\
import json, os
from setuptools import build_meta as _orig

get_requires_for_build_wheel = _orig.get_requires_for_build_wheel
prepare_metadata_for_build_wheel = _orig.prepare_metadata_for_build_wheel

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    pkg = [p for p in os.listdir(".") if os.path.isfile(os.path.join(p, "__init__.py"))][0]
    with open(os.path.join(pkg, "settings.json"), "w") as fh:
        json.dump(config_settings or {}, fh, sort_keys=True)
    return _orig.build_wheel(wheel_directory, config_settings=None, metadata_directory=metadata_directory)
'''


def module_of(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def write_project(
    folder: Path, name: str, version: str = "1.0", *, backend: str = "setuptools",
    deps: Sequence[str] = (), body: str = "",
) -> Path:
    """Write a project into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    module = module_of(name)
    pkg = folder / module
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text(
        f'"""The {name} test project."""\n__version__ = "{version}"\n\n'
        f'def hello():\n    return "hello from {name} {version}"\n{body}'
    )
    dep_list = ", ".join(f'"{d}"' for d in deps)
    if backend == "setuptools-legacy":
        (folder / "setup.py").write_text(
            "from setuptools import setup\n"
            f"setup(name={name!r}, version={version!r}, packages=[{module!r}], "
            f"install_requires=[{dep_list}])\n"
        )
        return folder
    if backend == "poetry-core":
        poetry_deps = "".join(f'{d.split(">")[0].split("=")[0]} = "*"\n' for d in deps)
        (folder / "pyproject.toml").write_text(
            f'[tool.poetry]\nname = "{name}"\nversion = "{version}"\ndescription = "test"\n'
            f'authors = ["Test <t@example.com>"]\npackages = [{{ include = "{module}" }}]\n\n'
            f'[tool.poetry.dependencies]\npython = ">=3.8"\n{poetry_deps}\n'
            f'[build-system]\nrequires = ["poetry-core>=1.0"]\nbuild-backend = "poetry.core.masonry.api"\n'
        )
        return folder
    in_tree = backend in ("no-pep660", "echo-settings")
    if in_tree:
        (folder / "_backend").mkdir(exist_ok=True)
        (folder / "_backend" / "tree_backend.py").write_text(_NO_PEP660 if backend == "no-pep660" else _ECHO)
        build_system = (
            '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "tree_backend"\n'
            'backend-path = ["_backend"]\n'
        )
    else:
        reqs = ", ".join(f'"{r}"' for r in REQUIRES[backend])
        build_system = f'[build-system]\nrequires = [{reqs}]\nbuild-backend = "{BACKENDS[backend]}"\n'
    project = (
        f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "test project"\n'
        f'dependencies = [{dep_list}]\n'
    )
    tool = ""
    if backend in ("setuptools", "no-pep660", "echo-settings"):
        tool = f'\n[tool.setuptools]\npackages = ["{module}"]\n'
        tool += '\n[tool.setuptools.package-data]\n"*" = ["*.json"]\n'
    if backend == "hatchling":
        tool = f'\n[tool.hatch.build.targets.wheel]\npackages = ["{module}"]\n'
    (folder / "pyproject.toml").write_text(build_system + "\n" + project + tool)
    return folder


def make_sdist(project: Path, out: Path, *, name: str, version: str, extra: dict[str, bytes] | None = None) -> Path:
    """Pack ``project`` as an sdist ``{name}-{version}.tar.gz`` in ``out`` (plus ``extra`` members)."""
    out.mkdir(parents=True, exist_ok=True)
    root = f"{module_of(name)}-{version}"
    target = out / f"{root}.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        for path in sorted(project.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and ".git" not in path.parts:
                tar.add(path, arcname=f"{root}/{path.relative_to(project).as_posix()}")
        for member, data in (extra or {}).items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(folder: Path, *args: str) -> str:
    """Run git in ``folder``; return its stdout."""
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=folder, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def git_repo(folder: Path, message: str = "first") -> str:
    """Make ``folder`` a git repository with everything committed; return the commit id."""
    git(folder, "init", "-q", "-b", "main")
    return git_commit(folder, message)


def git_commit(folder: Path, message: str) -> str:
    """Commit everything in ``folder``; return the new commit id."""
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)
    return git(folder, "rev-parse", "HEAD")
