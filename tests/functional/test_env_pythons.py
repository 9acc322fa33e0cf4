"""spoke.env against the real interpreters of this machine: probe, tags, PEP 668, venvs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from spoke.cache import Cache
from spoke.env.discovery import check_externally_managed, find_interpreter
from spoke.env.installed import installed_distributions
from spoke.env.interpreter import inspect_interpreter
from spoke.env.venv import bundled_pip_wheel, create_venv
from spoke.errors import ExternallyManagedError, InterpreterError
from tests.support.pythons import find_python

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX interpreters")

_found: dict[str, str | None] = {}


def python(version: str) -> Path:
    """A real ``python{version}`` or skip the test."""
    if version not in _found:
        _found[version] = find_python(version)
    path = _found[version]
    if path is None:
        pytest.skip(f"no python{version} on this machine")
    return Path(path)


@pytest.fixture(scope="module")
def packaging_copy(tmp_path_factory) -> Path:
    """spoke's own ``packaging``, copied to a folder another interpreter can import it from."""
    import packaging

    root = tmp_path_factory.mktemp("pkgcopy")
    shutil.copytree(Path(packaging.__file__).parent, root / "packaging", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _inside(exe: Path, packaging_root: Path, expression: str):
    """Evaluate ``expression`` (JSON-able) inside ``exe`` with the copied packaging importable."""
    code = (
        f"import sys, json; sys.path.insert(0, {str(packaging_root)!r})\n"
        "import packaging.tags, packaging.markers\n"
        f"print(json.dumps({expression}))"
    )
    out = subprocess.run([str(exe), "-I", "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


# packaging 26 needs Python >= 3.10, so tag parity is checked on 3.10, 3.11 and 3.12.
@pytest.mark.parametrize("version", ["3.10", "3.11", "3.12"])
def test_tags_and_markers_match_packaging_inside_target(version, packaging_copy):
    exe = python(version)
    interp = inspect_interpreter(exe)
    expected = _inside(exe, packaging_copy, "[str(t) for t in packaging.tags.sys_tags()]")
    assert [str(t) for t in interp.tags] == expected
    assert interp.markers == _inside(exe, packaging_copy, "packaging.markers.default_environment()")


def test_inspect_python_38():
    exe = python("3.8")
    interp = inspect_interpreter(exe)
    assert interp.version[:2] == (3, 8)
    assert interp.markers["python_version"] == "3.8"
    assert interp.tags[0].interpreter == "cp38"
    assert interp.tags[0].abi == "cp38"
    assert "python3.8" in str(interp.scheme.purelib)
    assert not interp.is_venv


def test_inspect_through_cache_spawns_once(tmp_path):
    exe = python("3.12")
    cache = Cache.open(tmp_path / "cache")
    first = inspect_interpreter(exe, cache=cache)

    def no_spawn(*args, **kwargs):
        raise AssertionError("cached: no process expected")

    assert inspect_interpreter(exe, cache=cache, runner=no_spawn) == first


def test_old_pythons_are_refused():
    found = [v for v in ("2.7", "3.6") if (_found.setdefault(v, find_python(v)))]
    if not found:
        pytest.skip("no Python 2.7 or 3.6 here")
    for version in found:
        with pytest.raises(InterpreterError) as info:
            inspect_interpreter(Path(_found[version]))
        assert info.value.hint


def test_debian_system_python_is_externally_managed():
    exe = Path("/usr/bin/python3.11")
    if not exe.exists():
        pytest.skip("no Debian python3.11")
    interp = inspect_interpreter(exe)
    marker = Path(interp.stdlib or "/nonexistent") / "EXTERNALLY-MANAGED"
    if not marker.exists():
        assert interp.externally_managed is None
        return
    assert interp.externally_managed == str(marker)
    # What pip would use there: Debian's posix_local scheme, /usr/local/.../dist-packages.
    assert interp.scheme.purelib == Path("/usr/local/lib/python3.11/dist-packages")
    with pytest.raises(ExternallyManagedError) as info:
        check_externally_managed(interp, False)
    assert any("apt install" in note for note in info.value.notes)
    check_externally_managed(interp, True)


def _run(venv_python: Path, code: str) -> str:
    out = subprocess.run([str(venv_python), "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize("version", ["3.8", "3.11", "3.12", "3.13"])
def test_created_venv_works(version, tmp_path):
    base = inspect_interpreter(python(version))
    venv = create_venv(tmp_path / "env", interpreter=base, prompt="spoke-test")
    exe = venv / "bin" / "python"
    prefix, base_prefix = _run(exe, "import sys; print(sys.prefix); print(sys.base_prefix)").splitlines()
    assert Path(prefix) == venv
    assert prefix != base_prefix
    assert Path(base_prefix) == base.base_prefix

    inside = inspect_interpreter(exe)
    assert inside.is_venv
    assert inside.version == base.version
    assert inside.sys_prefix == venv
    assert inside.scheme.purelib.is_relative_to(venv)
    assert inside.externally_managed is None
    (inside.scheme.purelib / "spoke_marker_mod.py").write_text("VALUE = 42\n")
    assert _run(exe, "import spoke_marker_mod; print(spoke_marker_mod.VALUE)") == "42"
    assert _run(venv / "bin" / f"python{version}", "import sys; print(sys.prefix)") == str(venv)
    assert installed_distributions([inside.scheme.purelib]) == {}

    shell = subprocess.run(
        [
            "bash",
            "--noprofile",
            "--norc",
            "-c",
            'source "$1/bin/activate" && echo "$VIRTUAL_ENV" && command -v python && echo "$PS1"',
            "x",
            str(venv),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.defpath, "PS1": "$ "},
    )
    assert shell.returncode == 0, shell.stderr
    virtual_env, which_python, ps1 = shell.stdout.splitlines()[:3]
    assert virtual_env == str(venv)
    assert which_python == str(venv / "bin" / "python")
    assert ps1.startswith("(spoke-test) ")

    # Discovery finds it from inside the project.
    project = tmp_path / "src"
    project.mkdir()
    (tmp_path / ".venv").symlink_to(venv)
    assert (
        find_interpreter(python=None, virtual_env=None, cwd=project, system=False, path_env="")
        == tmp_path / ".venv" / "bin" / "python"
    )


@pytest.mark.parametrize("version", ["3.8", "3.12", "3.13"])
def test_layout_matches_python_m_venv(version, tmp_path):
    exe = python(version)
    ours = create_venv(tmp_path / "ours", interpreter=inspect_interpreter(exe))
    theirs = tmp_path / "theirs"
    subprocess.run([str(exe), "-m", "venv", "--without-pip", str(theirs)], check=True, timeout=120)

    def layout(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if ".gitignore" not in p.name}

    assert layout(theirs) <= layout(ours)
    ours_cfg = dict(line.split(" = ", 1) for line in (ours / "pyvenv.cfg").read_text().splitlines())
    theirs_cfg = dict(line.split(" = ", 1) for line in (theirs / "pyvenv.cfg").read_text().splitlines())
    for key in ("home", "include-system-site-packages", "version"):
        assert ours_cfg[key] == theirs_cfg[key]
    for script in ("activate", "activate.csh", "activate.fish"):
        expected = (theirs / "bin" / script).read_text().replace(str(theirs), str(ours)).replace("theirs", "ours")
        assert (ours / "bin" / script).read_text() == expected


def test_venv_from_a_venv_links_the_real_base(tmp_path):
    base = inspect_interpreter(python("3.11"))
    first = create_venv(tmp_path / "first", interpreter=base)
    inner = inspect_interpreter(first / "bin" / "python")
    second = create_venv(tmp_path / "second", interpreter=inner)
    home = dict(line.split(" = ", 1) for line in (second / "pyvenv.cfg").read_text().splitlines())["home"]
    assert Path(home) == base.base_executable.parent
    assert _run(second / "bin" / "python", "import sys; print(sys.base_prefix)") == str(base.base_prefix)


def test_bundled_pip_wheel_is_found():
    wheel = bundled_pip_wheel(inspect_interpreter(python("3.12")))
    assert wheel is not None and wheel.name.startswith("pip-")
