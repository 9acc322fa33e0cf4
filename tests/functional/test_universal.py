"""Universal resolution: ``spoke compile --universal`` and ``spoke lock`` for every platform and
Python of a range, forking on markers, against the local index."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.markers import Marker

from tests.support.packages import Pkg
from tests.support.packse_uv import parse_pins

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib


def _pins(text: str) -> dict[tuple[str, str], str]:
    """``name==version ; marker`` lines → {(name, version): marker}."""
    return {(pin.name, pin.version): pin.marker for pin in parse_pins(text)}


def _same(a: str, b: str) -> bool:
    """Two markers hold on the same environments (a grid of Pythons and platforms)."""
    for python in ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13"):
        for platform, system, machine in (("linux", "Linux", "x86_64"), ("darwin", "Darwin", "arm64"),
                                          ("win32", "Windows", "AMD64"), ("linux", "Linux", "aarch64")):
            env = {"python_version": python, "python_full_version": python + ".0", "sys_platform": platform,
                   "platform_system": system, "platform_machine": machine, "implementation_name": "cpython",
                   "os_name": "nt" if platform == "win32" else "posix"}
            if (not a or Marker(a).evaluate(env)) != (not b or Marker(b).evaluate(env)):
                return False
    return True


def test_forks_on_python_version_and_keeps_platform_markers(spoke, index, tmp_path: Path) -> None:
    server = index(
        Pkg("app", "1.0", deps=('numpy>=2; python_version >= "3.10"', 'numpy<2; python_version < "3.10"',
                                'colorama; sys_platform == "win32"', 'tomli; python_version < "3.11"',
                                'never; sys_platform == "linux" and sys_platform == "win32"')),
        Pkg("numpy", "1.26.4", requires_python=">=3.9"), Pkg("numpy", "2.0.0", requires_python=">=3.10"),
        Pkg("numpy", "2.1.0", requires_python=">=3.10"),
        Pkg("colorama", "0.4.6"), Pkg("tomli", "2.0.1", deps=("helper",)), Pkg("helper", "1.0"),
        Pkg("never", "1.0"),
    )
    (tmp_path / "requirements.in").write_text("app\n")
    result = spoke("compile", "--universal", "--python-requirement", ">=3.9", "requirements.in",
                   "-o", "requirements.txt", "-i", server.simple_url, cwd=tmp_path)
    pins = _pins((tmp_path / "requirements.txt").read_text())
    assert set(pins) == {("app", "1.0"), ("numpy", "1.26.4"), ("numpy", "2.1.0"), ("colorama", "0.4.6"),
                         ("tomli", "2.0.1"), ("helper", "1.0")}, result.describe()
    assert pins[("app", "1.0")] == ""
    assert _same(pins[("numpy", "1.26.4")], 'python_version < "3.10"')
    assert _same(pins[("numpy", "2.1.0")], 'python_version >= "3.10"')
    assert _same(pins[("colorama", "0.4.6")], 'sys_platform == "win32"')
    # A marker combined along the path: helper is needed where tomli is.
    assert _same(pins[("helper", "1.0")], 'python_version < "3.11"')
    assert "# via app" in (tmp_path / "requirements.txt").read_text()


def test_requires_python_forks_newer_pythons_to_newer_versions(spoke, index, tmp_path: Path) -> None:
    server = index(Pkg("lib", "1.0", requires_python=">=3.8"), Pkg("lib", "2.0", requires_python=">=3.11"),
                   Pkg("lib", "3.0", requires_python=">=3.12,<4"), Pkg("lib", "4.0", requires_python=">=3.13,!=3.13.1"))
    (tmp_path / "requirements.in").write_text("lib\n")
    spoke("compile", "--universal", "--python-requirement", ">=3.9", "requirements.in", "-o", "out.txt",
          "-i", server.simple_url, cwd=tmp_path)
    # The newest version each Python can have; `<4` forks nothing (Python 3 is the scope's end),
    # and a release a project excludes gets the version before.
    assert _pins((tmp_path / "out.txt").read_text()) == {
        ("lib", "1.0"): 'python_version < "3.11"', ("lib", "2.0"): 'python_version == "3.11"',
        ("lib", "3.0"): 'python_version == "3.12" or python_full_version == "3.13.1"',
        ("lib", "4.0"): 'python_version >= "3.13" and python_full_version != "3.13.1"'}
    # The old file's pins are kept where they still fit (minimal change); -U lifts them.
    (tmp_path / "old.txt").write_text("lib==1.0\n")
    spoke("compile", "--universal", "--python-requirement", ">=3.11", "requirements.in", "-o", "old.txt",
          "-i", server.simple_url, cwd=tmp_path)
    assert set(_pins((tmp_path / "old.txt").read_text())) == {("lib", "1.0")}
    spoke("compile", "--universal", "--python-requirement", ">=3.13", "requirements.in", "-o", "old.txt", "-U",
          "-i", server.simple_url, cwd=tmp_path)
    assert set(_pins((tmp_path / "old.txt").read_text())) == {("lib", "3.0"), ("lib", "4.0")}


def test_environment_limits_the_scope_and_platform_wheels_are_locked(spoke, index, tmp_path: Path) -> None:
    server = index(
        Pkg("app", "1.0", deps=('winonly; sys_platform == "win32"', 'macdep; sys_platform == "darwin"')),
        Pkg("winonly", "1.0"), Pkg("macdep", "1.0", tag="cp39-abi3-macosx_11_0_arm64"),
        Pkg("macdep", "1.0", tag="cp39-abi3-manylinux_2_17_x86_64"),
    )
    (tmp_path / "requirements.in").write_text("app\n")
    spoke("lock", "requirements.in", "--python-requirement", ">=3.9", "--environment", "sys_platform == 'darwin'",
          "--environment", "sys_platform == 'linux'", "-i", server.simple_url, cwd=tmp_path)
    data = tomllib.loads((tmp_path / "pylock.toml").read_text())
    assert data["requires-python"] == ">=3.9"
    assert data["environments"] == ['sys_platform == "darwin"', 'sys_platform == "linux"']
    packages = {p["name"]: p for p in data["packages"]}
    assert set(packages) == {"app", "macdep"}  # win32 is out of scope
    assert _same(packages["macdep"]["marker"], 'sys_platform == "darwin"')
    # Only the wheels an environment of the package's marker can install (its Linux wheel cannot).
    assert [w["name"] for w in packages["macdep"]["wheels"]] == ["macdep-1.0-cp39-abi3-macosx_11_0_arm64.whl"]


def test_only_binary_needs_a_wheel_for_every_platform(spoke, index, tmp_path: Path) -> None:
    server = index(
        Pkg("ext", "1.0", tag="cp39-abi3-manylinux_2_17_x86_64"), Pkg("ext", "1.0", tag="cp39-abi3-win_amd64"),
        Pkg("ext", "1.0", tag="cp39-abi3-macosx_11_0_arm64"), Pkg("ext", "1.0", tag="cp39-abi3-macosx_10_9_x86_64"),
        Pkg("ext", "1.0", tag="cp39-abi3-manylinux_2_17_aarch64"),
        Pkg("ext", "2.0", tag="cp39-abi3-manylinux_2_17_x86_64"),
    )
    (tmp_path / "requirements.in").write_text("ext\n")
    args = ("compile", "--universal", "--python-requirement", ">=3.9", "requirements.in", "-o", "out.txt",
            "-i", server.simple_url)
    common = ("implementation_name == 'cpython' and (platform_machine == 'x86_64' or platform_machine == 'aarch64' "
              "or platform_machine == 'arm64' or platform_machine == 'AMD64')")
    spoke(*args, "--only-binary", ":all:", "--environment", common, cwd=tmp_path)
    assert set(_pins((tmp_path / "out.txt").read_text())) == {("ext", "1.0")}
    # Every platform: no version has a wheel for linux i686 and the others.
    refused = spoke(*args, "--only-binary", ":all:", cwd=tmp_path, check=1)
    assert "has no wheel for linux i686" in refused.stderr and "Traceback" not in refused.stderr
    assert "--environment" in refused.stderr and "--python`" not in refused.stderr, refused.describe()
    spoke(*args, "-U", cwd=tmp_path)  # without --only-binary any wheel will do (2.0 has one)
    assert set(_pins((tmp_path / "out.txt").read_text())) == {("ext", "2.0")}


def test_bad_options_are_usage_errors(spoke, index, tmp_path: Path) -> None:
    server = index(Pkg("lib", "1.0"))
    (tmp_path / "requirements.in").write_text("lib\n")
    bad = spoke("compile", "--universal", "--python-requirement", "three", "requirements.in",
                "-i", server.simple_url, cwd=tmp_path, check=2)
    assert "Invalid Python requirement" in bad.stderr and "Traceback" not in bad.stderr
    bad = spoke("compile", "--environment", "sys_platform == 'linux'", "requirements.in",
                "-i", server.simple_url, cwd=tmp_path, check=2)
    assert "--universal" in bad.stderr
    bad = spoke("lock", "--environment", "sys_platform ==", "requirements.in",
                "-i", server.simple_url, cwd=tmp_path, check=2)
    assert "Invalid --environment" in bad.stderr
    bad = spoke("lock", "--python-requirement", ">=3.12", "--environment", "python_version < '3.10'",
                "requirements.in", "-i", server.simple_url, cwd=tmp_path, check=2)
    assert "No environment is left" in bad.stderr and "Widen" in bad.stderr
    bad = spoke("compile", "--universal", "--python-version", "3.12", "--only-binary", ":all:", "requirements.in",
                "-i", server.simple_url, cwd=tmp_path, check=2)
    assert "--universal resolves for every environment" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "pylock.toml").exists()


@pytest.mark.parametrize("python", ["3.9", "3.12"])
def test_one_lock_installs_on_two_pythons(spoke, index, venv, tmp_path: Path, python: str) -> None:
    from tests.support.pythons import find_python

    interpreter = find_python(python)
    if interpreter is None:
        pytest.skip(f"no Python {python} on this machine")
    server = index(Pkg("app", "1.0", deps=('old; python_version < "3.10"', 'new; python_version >= "3.10"')),
                   Pkg("old", "1.0"), Pkg("new", "1.0"))
    (tmp_path / "requirements.in").write_text("app\n")
    spoke("lock", "requirements.in", "--python-requirement", ">=3.9", "-i", server.simple_url, cwd=tmp_path)
    env = venv(str(interpreter))
    spoke("install", "-r", str(tmp_path / "pylock.toml"), "--python", str(env.python))
    names = {p.name.split("-")[0] for p in env.site_packages.glob("*.dist-info")}
    assert names == {"app", "old" if python == "3.9" else "new"}


def test_project_lock_marks_extras_and_groups_and_installs_them_on_request(spoke, index, venv,
                                                                          tmp_path: Path) -> None:
    server = index(Pkg("core", "1.0"), Pkg("fastlib", "1.0"), Pkg("winlib", "1.0"), Pkg("testlib", "1.0"),
                   Pkg("lintlib", "1.0"))
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0"\nrequires-python = ">=3.9"\ndependencies = ["core"]\n'
        '[project.optional-dependencies]\nfast = ["fastlib", \'winlib; sys_platform == "win32"\']\n'
        '[dependency-groups]\ndev = ["testlib"]\nlint = ["lintlib", {include-group = "dev"}]\n')
    spoke("lock", "pyproject.toml", "-i", server.simple_url, cwd=tmp_path)
    data = tomllib.loads((tmp_path / "pylock.toml").read_text())
    assert (data["requires-python"], data["extras"], data["dependency-groups"], data["default-groups"]) == (
        ">=3.9", ["fast"], ["dev", "lint"], ["dev"])
    markers = {p["name"]: p.get("marker", "") for p in data["packages"]}
    assert markers["core"] == ""
    assert markers["fastlib"] == '"fast" in extras'
    assert markers["winlib"] == '"fast" in extras and sys_platform == "win32"'
    assert markers["testlib"] == '"dev" in dependency_groups or "lint" in dependency_groups'
    assert markers["lintlib"] == '"lint" in dependency_groups'

    def installed(env) -> set[str]:  # noqa: ANN001
        return {p.name.split("-")[0] for p in env.site_packages.glob("*.dist-info")}

    plain = venv(name="plain")
    spoke("install", "-r", str(tmp_path / "pylock.toml"), "--python", str(plain.python))
    assert installed(plain) == {"core", "testlib"}  # the default group
    chosen = venv(name="chosen")
    spoke("install", "-r", str(tmp_path / "pylock.toml"), "--extra", "fast", "--group", "lint",
          "--python", str(chosen.python))
    assert installed(chosen) == {"core", "fastlib", "testlib", "lintlib"}
    spoke("sync", str(tmp_path / "pylock.toml"), "--python", str(chosen.python), "-y")
    assert installed(chosen) == {"core", "testlib"}
    bad = spoke("install", "-r", str(tmp_path / "pylock.toml"), "--extra", "nope", "--python",
                str(chosen.python), check=1)
    assert "has no extra `nope`" in bad.stderr and "`fast`" in bad.stderr, bad.describe()


def test_hashes_exclude_newer_and_a_local_project_in_a_universal_lock(spoke, index, tmp_path: Path) -> None:
    server = index(
        Pkg("lib", "1.0", upload_time="2024-01-10T08:00:00.000000Z"),
        Pkg("lib", "1.0", tag="cp39-abi3-win_amd64", upload_time="2024-01-10T08:00:00.000000Z"),
        Pkg("lib", "2.0", upload_time="2024-06-01T08:00:00.000000Z"),
    )
    local = tmp_path / "local"
    local.mkdir()
    (local / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
        '[project]\nname = "local"\nversion = "0.1"\ndependencies = [\'lib; sys_platform != "darwin"\']\n')
    (local / "backend.py").write_text(
        "def prepare_metadata_for_build_wheel(d, config_settings=None):\n"
        "    import os\n"
        "    os.makedirs(os.path.join(d, 'local-0.1.dist-info'))\n"
        "    with open(os.path.join(d, 'local-0.1.dist-info', 'METADATA'), 'w') as f:\n"
        "        f.write('Metadata-Version: 2.1\\nName: local\\nVersion: 0.1\\n"
        "Requires-Dist: lib; sys_platform != \"darwin\"\\n')\n"
        "    return 'local-0.1.dist-info'\n"
        "def get_requires_for_build_wheel(config_settings=None):\n    return []\n")
    (tmp_path / "requirements.in").write_text("./local\n")
    spoke("compile", "--universal", "--python-requirement", ">=3.9", "--generate-hashes", "requirements.in",
          "-o", "out.txt", "--exclude-newer", "2024-03-01", "-i", server.simple_url, cwd=tmp_path)
    text = (tmp_path / "out.txt").read_text()
    assert 'lib==1.0 ; sys_platform != "darwin"' in text, text
    assert text.count("--hash=sha256:") == 2  # both of lib 1.0's files; 2.0 is newer than the cut-off
    spoke("lock", "requirements.in", "--python-requirement", ">=3.9", "--exclude-newer", "2024-03-01",
          "-i", server.simple_url, cwd=tmp_path)
    packages = {p["name"]: p for p in tomllib.loads((tmp_path / "pylock.toml").read_text())["packages"]}
    assert packages["local"]["directory"]["path"] == "local" and "marker" not in packages["local"]
    assert packages["lib"]["version"] == "1.0" and packages["lib"]["marker"] == 'sys_platform != "darwin"'


def test_fork_on_the_same_project_with_other_extras_and_a_cycle(spoke, index, tmp_path: Path) -> None:
    server = index(
        Pkg("app", "1.0", deps=('lib[fast]>=2; sys_platform == "linux"', 'lib<2; sys_platform != "linux"')),
        Pkg("lib", "1.5", deps=("app",)), Pkg("lib", "2.1", extras={"fast": ("speedup",)}, deps=("app",)),
        Pkg("speedup", "1.0"),
    )
    (tmp_path / "requirements.in").write_text("app\n")
    result = spoke("compile", "--universal", "--python-requirement", ">=3.9", "requirements.in", "-o", "out.txt",
                   "-i", server.simple_url, cwd=tmp_path)
    pins = _pins((tmp_path / "out.txt").read_text())
    assert set(pins) == {("app", "1.0"), ("lib", "1.5"), ("lib", "2.1"), ("speedup", "1.0")}, result.describe()
    assert pins[("lib", "2.1")] == pins[("speedup", "1.0")] == 'sys_platform == "linux"'
    assert pins[("lib", "1.5")] == 'sys_platform != "linux"'


def test_overrides_in_a_universal_compile(spoke, index, tmp_path: Path) -> None:
    server = index(Pkg("app", "1.0", deps=("lib<2",)), Pkg("lib", "1.0"), Pkg("lib", "2.0"))
    (tmp_path / "requirements.in").write_text("app\n")
    (tmp_path / "overrides.txt").write_text("lib>=2\n")
    spoke("compile", "--universal", "requirements.in", "-o", "out.txt", "--overrides", "overrides.txt",
          "-i", server.simple_url, cwd=tmp_path)
    text = (tmp_path / "out.txt").read_text()
    assert set(_pins(text)) == {("app", "1.0"), ("lib", "2.0")} and "--overrides overrides.txt" in text
