"""spoke.pep517.frontend: real projects built by real backends (setuptools, hatchling, flit-core,
pdm-backend, poetry-core) through the PEP 517 / 660 hooks.

One build environment holding every backend serves the whole session (``VenvBuildEnv`` runs
pip only for what it lacks); tests that count installs wrap it in :class:`RecordingEnv`.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from spoke.errors import BuildError, EditableUnsupported
from spoke.pep517 import Builder, parse_config_settings
from tests.support.backends import VenvBuildEnv, pytest_backend_wheels

ALL_BACKENDS = ("setuptools>=64", "wheel", "hatchling", "editables", "flit-core", "pdm-backend", "poetry-core")


@pytest.fixture(scope="session")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> VenvBuildEnv:
    env = VenvBuildEnv.create(tmp_path_factory.mktemp("build-env") / "venv", pytest_backend_wheels())
    env.install(ALL_BACKENDS)
    return env


class RecordingEnv:
    """A BuildEnv that records what the Builder asks of it and delegates to the shared env."""

    def __init__(self, inner: VenvBuildEnv) -> None:
        self.inner = inner
        self.python = inner.python
        self.environ = inner.environ
        self.asked: list[tuple[str, ...]] = []

    def install(self, requirements: Sequence[str]) -> None:
        self.asked.append(tuple(requirements))
        self.inner.install(requirements)


@pytest.fixture
def envs(shared_env: VenvBuildEnv) -> list[RecordingEnv]:
    """Every env a test's Builder made, in order."""
    return []


@pytest.fixture
def lines() -> list[str]:
    """What the backends printed, line by line (the Builder's log)."""
    return []


@pytest.fixture
def builder(tmp_path: Path, shared_env: VenvBuildEnv, envs: list[RecordingEnv], lines: list[str]) -> Builder:
    def make_env() -> RecordingEnv:
        envs.append(RecordingEnv(shared_env))
        return envs[-1]

    return Builder(make_env=make_env, python=Path(sys.executable), work_dir=tmp_path / "work", log=lines.append)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def metadata_fields(dist_info: Path) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in (dist_info / "METADATA").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(": ")
        fields.setdefault(key, []).append(value)
    return fields


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# --- the projects, one per backend ---------------------------------------------------------

PROJECTS: dict[str, dict[str, str]] = {
    "setuptools": {
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "st-demo"
            version = "1.2"
            dependencies = ["attrs>=20"]

            [tool.setuptools]
            packages = ["st_demo"]
        """,
        "st_demo/__init__.py": "VALUE = 1\n",
    },
    "hatchling": {
        "pyproject.toml": """
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "hatch-demo"
            version = "0.3"
            dependencies = ["idna"]
        """,
        "hatch_demo/__init__.py": "VALUE = 1\n",
    },
    "flit-core": {
        "pyproject.toml": """
            [build-system]
            requires = ["flit_core>=3.2,<4"]
            build-backend = "flit_core.buildapi"

            [project]
            name = "flit_demo"
            version = "4.0"
            description = "a flit demo"
            dependencies = ["certifi"]
        """,
        "flit_demo/__init__.py": "VALUE = 1\n",
    },
    "pdm-backend": {
        "pyproject.toml": """
            [build-system]
            requires = ["pdm-backend"]
            build-backend = "pdm.backend"

            [project]
            name = "pdm-demo"
            version = "5.1"
            dependencies = ["urllib3"]
        """,
        "src/pdm_demo/__init__.py": "VALUE = 1\n",
    },
    "poetry-core": {
        "pyproject.toml": """
            [build-system]
            requires = ["poetry-core>=1.0.0"]
            build-backend = "poetry.core.masonry.api"

            [tool.poetry]
            name = "poetry-demo"
            version = "6.0"
            description = "a poetry demo"
            authors = ["Test <test@example.com>"]

            [tool.poetry.dependencies]
            python = ">=3.8"
            packaging = ">=20"
        """,
        "poetry_demo/__init__.py": "VALUE = 1\n",
    },
}
EXPECTED = {  # backend -> (name in METADATA, version, a dependency, wheel file name prefix, module file)
    "setuptools": ("st-demo", "1.2", "attrs", "st_demo-1.2-", "st_demo/__init__.py"),
    "hatchling": ("hatch-demo", "0.3", "idna", "hatch_demo-0.3-", "hatch_demo/__init__.py"),
    "flit-core": ("flit_demo", "4.0", "certifi", "flit_demo-4.0-", "flit_demo/__init__.py"),
    "pdm-backend": ("pdm-demo", "5.1", "urllib3", "pdm_demo-5.1-", "pdm_demo/__init__.py"),
    "poetry-core": ("poetry-demo", "6.0", "packaging", "poetry_demo-6.0-", "poetry_demo/__init__.py"),
}


@pytest.mark.parametrize("backend", list(PROJECTS))
def test_metadata_then_wheel_then_editable(
    backend: str, builder: Builder, envs: list[RecordingEnv], tmp_path: Path,
) -> None:
    name, version, dependency, prefix, module = EXPECTED[backend]
    tree = write_tree(tmp_path / "src", PROJECTS[backend])

    dist_info = builder.metadata(tree)
    assert dist_info.name.endswith(".dist-info") and dist_info.is_relative_to(tmp_path / "work")
    fields = metadata_fields(dist_info)
    assert fields["Name"] == [name] and fields["Version"] == [version]
    assert any(r.startswith(dependency) for r in fields["Requires-Dist"])
    # prepare_metadata_for_build_wheel wrote the metadata; no wheel was built for it.
    assert not list(dist_info.parent.glob("*.whl"))

    out = tmp_path / "out"
    wheel = builder.build(tree, out)
    assert wheel.parent == out and wheel.name.startswith(prefix) and wheel.name.endswith(".whl")
    assert module in wheel_names(wheel)
    assert sorted(p.name for p in out.iterdir()) == [wheel.name]

    editable = builder.build(tree, out, editable=True)
    names = wheel_names(editable)
    assert editable.name.startswith(prefix)
    assert any(n.endswith(".pth") for n in names), names
    assert module not in names  # the sources stay where they are
    # One environment for the tree, asked for [build-system] requires once.
    assert len(envs) == 1 and envs[0].asked[0] == tuple(builder.build_system(tree).requires)
    builder.close()
    assert leftovers(tmp_path / "work") == []


def test_setup_py_only_project_builds_with_the_legacy_backend(
    builder: Builder, envs: list[RecordingEnv], tmp_path: Path
) -> None:
    tree = write_tree(tmp_path / "legacy", {
        "setup.py": """
            from setuptools import setup
            setup(name="legacy-demo", version="2.0", py_modules=["legacy_demo"], install_requires=["six"])
        """,
        "legacy_demo.py": "VALUE = 1\n",
    })
    system = builder.build_system(tree)
    assert system.backend == "setuptools.build_meta:__legacy__" and not system.declared
    fields = metadata_fields(builder.metadata(tree))
    assert fields["Name"] == ["legacy-demo"] and fields["Requires-Dist"] == ["six"]
    wheel = builder.build(tree, tmp_path / "out")
    assert wheel.name.startswith("legacy_demo-2.0-") and "legacy_demo.py" in wheel_names(wheel)
    assert envs[0].asked == [("setuptools>=40.8.0",)]


def test_editable_metadata_uses_the_editable_hooks(builder: Builder, tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "src", PROJECTS["hatchling"])
    dist_info = builder.metadata(tree, editable=True)
    assert metadata_fields(dist_info)["Name"] == ["hatch-demo"]
    assert builder.metadata(tree, editable=True) == dist_info  # asked again: the same folder
    assert builder.metadata(tree) != dist_info  # the wheel's metadata is prepared apart


# --- an in-tree backend (backend-path) that records its calls ------------------------------

RECORDING_BACKEND = '''
import json, os, warnings
from setuptools import build_meta as _st

def _record(hook, config_settings):
    with open(os.path.join(os.path.dirname(__file__), "calls.jsonl"), "a") as f:
        f.write(json.dumps({"hook": hook, "config_settings": config_settings}) + "\\n")

def get_requires_for_build_wheel(config_settings=None):
    _record("get_requires_for_build_wheel", config_settings)
    return ["wheel", "setuptools>=64"]

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _record("build_wheel", config_settings)
    warnings.warn("recording backend says hello")
    print("building with the recording backend")
    return _st.build_wheel(wheel_directory)

build_sdist = _st.build_sdist
# No prepare_metadata_for_build_wheel (metadata falls back to a wheel build), and no
# build_editable (setuptools before PEP 660).
'''


def recording_project(root: Path) -> Path:
    return write_tree(root, {
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "recbackend"
            backend-path = ["_backend"]

            [project]
            name = "rec-demo"
            version = "0.1"

            [tool.setuptools]
            py-modules = ["rec_demo"]
        """,
        "rec_demo.py": "VALUE = 1\n",
        "_backend/recbackend.py": RECORDING_BACKEND,
    })


def recorded_calls(tree: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (tree / "_backend/calls.jsonl").read_text().splitlines()]


def test_metadata_fallback_builds_once_and_config_settings_pass_through(
    builder: Builder, envs: list[RecordingEnv], lines: list[str], tmp_path: Path, recwarn: pytest.WarningsRecorder,
) -> None:
    tree = recording_project(tmp_path / "rec")
    settings = parse_config_settings(["--opt=a", "--opt=b", "x=1=2"])
    assert settings == {"--opt": ["a", "b"], "x": "1=2"}

    dist_info = builder.metadata(tree, config_settings=settings)
    assert metadata_fields(dist_info)["Name"] == ["rec-demo"]
    wheel = builder.build(tree, tmp_path / "out", config_settings=settings)
    assert wheel.name.startswith("rec_demo-0.1-")
    calls = recorded_calls(tree)
    # get_requires once, then build_wheel once: the metadata fallback's wheel was reused.
    assert [c["hook"] for c in calls] == ["get_requires_for_build_wheel", "build_wheel"]
    assert all(c["config_settings"] == settings for c in calls)
    # Only the requirement the backend added and [build-system] did not already ask for.
    assert envs[0].asked == [("setuptools>=64",), ("wheel",)]
    assert "building with the recording backend" in lines
    assert "warning: recording backend says hello" in lines
    assert not [w for w in recwarn if "recording backend" in str(w.message)]

    # Other settings are another build: the backend is asked again, the env is kept.
    builder.build(tree, tmp_path / "out2", config_settings={"y": "2"})
    assert [c["hook"] for c in recorded_calls(tree)][2:] == ["get_requires_for_build_wheel", "build_wheel"]
    assert len(envs) == 1


def test_backend_without_build_editable_raises_editable_unsupported(builder: Builder, tmp_path: Path) -> None:
    tree = recording_project(tmp_path / "rec")
    with pytest.raises(EditableUnsupported) as info:
        builder.metadata(tree, editable=True, label="rec_demo-0.1.tar.gz")
    assert info.value.backend == "recbackend" and info.value.has_setup_py is False
    assert "rec_demo-0.1.tar.gz" in info.value.message and "build_editable" in info.value.message
    with pytest.raises(EditableUnsupported):
        builder.build(tree, tmp_path / "out", editable=True)
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path / "work") == []


# --- failures --------------------------------------------------------------------------------


def test_failing_setup_py_names_the_tree_and_hook_and_keeps_the_output(
    builder: Builder, lines: list[str], tmp_path: Path,
) -> None:
    tree = write_tree(tmp_path / "broken", {
        "setup.py": """
            print("about to fail")
            raise RuntimeError("boom from setup.py")
        """,
    })
    with pytest.raises(BuildError) as info:
        builder.metadata(tree, label="broken-1.0.tar.gz")
    error = info.value
    assert error.label == "broken-1.0.tar.gz" and "broken-1.0.tar.gz" in error.message
    assert error.hook == "get_requires_for_build_wheel" and "`get_requires_for_build_wheel`" in error.message
    assert any("boom from setup.py" in note for note in error.notes)
    assert 0 < len(error.notes) <= 40
    assert "about to fail" in lines
    assert error.hint and "build failed" in error.hint
    assert leftovers(tmp_path / "work") == []


def test_failing_wheel_build_leaves_no_partial_files(builder: Builder, tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "half", {
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"
        """,
        "setup.py": """
            import sys
            from setuptools import setup
            if "bdist_wheel" in sys.argv:
                raise SystemExit("refusing to build a wheel")
            setup(name="half", version="1.0", py_modules=[])
        """,
    })
    builder.metadata(tree)
    with pytest.raises(BuildError) as info:
        builder.build(tree, tmp_path / "out")
    assert info.value.hook == "build_wheel"
    assert any("refusing to build a wheel" in n for n in info.value.notes)
    assert leftovers(tmp_path / "out") == []
    # The successful metadata stays; nothing of the failed build does.
    (tree_folder,) = (tmp_path / "work").iterdir()
    assert [p.name.split("-")[:2] for p in tree_folder.iterdir()] == [["metadata", "wheel"]]


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_missing_c_header_hints_at_the_dev_package(builder: Builder, tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "cext", {
        "setup.py": """
            from setuptools import Extension, setup
            setup(name="cext", version="1.0", ext_modules=[Extension("cext", ["cext.c"])])
        """,
        "cext.c": '#include <Python.h>\n#include "spoke_no_such_header.h"\n',
    })
    with pytest.raises(BuildError) as info:
        builder.build(tree, tmp_path / "out")
    assert info.value.hook == "build_wheel"
    assert "spoke_no_such_header.h" in (info.value.hint or "")
    assert any("spoke_no_such_header.h" in note for note in info.value.notes)


def test_unimportable_backend_names_the_requirement_to_add(builder: Builder, tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "nob", {
        "pyproject.toml": """
            [build-system]
            requires = []
            build-backend = "spoke_missing_backend.api"
        """,
    })
    with pytest.raises(BuildError) as info:
        builder.metadata(tree)
    assert "spoke_missing_backend.api" in info.value.message
    assert "`spoke-missing-backend`" in (info.value.hint or "") and "requires" in (info.value.hint or "")


# --- without build isolation ---------------------------------------------------------------


def no_isolation(tmp_path: Path) -> Builder:
    return Builder(make_env=None, python=Path(sys.executable), work_dir=tmp_path / "work")


def test_no_isolation_refuses_missing_build_requirements(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "needy", {
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=40", "spoke-no-such-package>=1", "pip>=1000", "skipped; python_version < '3'"]
            build-backend = "setuptools.build_meta"
        """,
    })
    with pytest.raises(BuildError) as info:
        no_isolation(tmp_path).metadata(tree)
    message = info.value.message
    assert "`spoke-no-such-package`" in message and "`pip`" in message
    assert "setuptools" not in message and "skipped" not in message
    assert any("is installed" in n for n in info.value.notes)
    assert "--no-build-isolation" in (info.value.hint or "")


def test_no_isolation_builds_with_the_target_interpreter(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "src", PROJECTS["setuptools"])
    with no_isolation(tmp_path) as builder:
        wheel = builder.build(tree, tmp_path / "out")
        assert wheel.name.startswith("st_demo-1.2-")
    assert leftovers(tmp_path / "work") == []


def test_unrunnable_python_is_a_build_error(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "src", PROJECTS["setuptools"])
    builder = Builder(make_env=None, python=tmp_path / "no-python", work_dir=tmp_path / "work")
    with pytest.raises(BuildError, match="Cannot list the packages"):
        builder.metadata(tree)


def test_builder_runs_the_hooks_with_the_env_python_and_environ(tmp_path: Path, shared_env: VenvBuildEnv) -> None:
    tree = write_tree(tmp_path / "probe", {
        "pyproject.toml": """
            [build-system]
            requires = []
            build-backend = "probe"
            backend-path = ["."]
        """,
        "probe.py": """
            import os, sys
            def get_requires_for_build_wheel(config_settings=None):
                print("python=" + sys.executable)
                print("marker=" + os.environ.get("SPOKE_TEST_MARKER", ""))
                return []
            def build_wheel(*args):
                raise RuntimeError("not needed")
        """,
    })

    class MarkedEnv(RecordingEnv):
        def __init__(self) -> None:
            super().__init__(shared_env)
            self.environ = {**shared_env.environ, "SPOKE_TEST_MARKER": "from-env"}

    lines: list[str] = []
    builder = Builder(make_env=MarkedEnv, python=Path(sys.executable), work_dir=tmp_path / "work", log=lines.append)
    with pytest.raises(BuildError):
        builder.build(tree, tmp_path / "out")
    assert f"python={shared_env.python}" in lines and "marker=from-env" in lines


def test_build_and_metadata_accept_any_path_form(
    builder: Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = write_tree(tmp_path / "src", PROJECTS["flit-core"])
    monkeypatch.chdir(tmp_path)
    first = builder.metadata(Path("src"))
    assert builder.metadata(tree) == first  # relative and absolute name one tree



def test_old_target_python_builds_in_its_own_isolated_env(tmp_path: Path) -> None:
    """The hooks run in the target's interpreter (3.8 here), with backends installed for it."""
    from tests.support.pythons import find_python

    python38 = find_python("3.8")
    if python38 is None:
        pytest.skip("no Python 3.8 on this machine")
    wheels = pytest_backend_wheels()
    tree = write_tree(tmp_path / "src", PROJECTS["hatchling"])
    made: list[VenvBuildEnv] = []

    def make_env() -> VenvBuildEnv:
        made.append(VenvBuildEnv.create(tmp_path / "env38", wheels, base_python=python38))
        return made[-1]

    with Builder(make_env=make_env, python=Path(python38), work_dir=tmp_path / "work") as builder:
        wheel = builder.build(tree, tmp_path / "out")
    assert wheel.name == "hatch_demo-0.3-py2.py3-none-any.whl"
    assert made[0].satisfies("tomli")  # hatchling's dependency below 3.11, from the pure wheel
