"""Resolving for another platform or Python (``--platform``, ``--python-version``,
``--implementation``, ``--abi``) with ``download``, ``wheel`` and ``index versions``."""

from __future__ import annotations

import pytest

from tests.support.packages import Pkg

PKGS = (
    Pkg("native", "1.0", tag="cp311-cp311-manylinux_2_17_x86_64",
        deps=("winonly; sys_platform == 'win32'", "old; python_version < '3.12'")),
    Pkg("native", "1.0", tag="cp311-cp311-win_amd64",
        deps=("winonly; sys_platform == 'win32'", "old; python_version < '3.12'")),
    Pkg("native", "1.0", tag="cp312-cp312-macosx_11_0_arm64",
        deps=("winonly; sys_platform == 'win32'", "old; python_version < '3.12'")),
    Pkg("native", "2.0", tag="cp313-cp313-win_amd64", requires_python=">=3.13"),
    Pkg("winonly", "1.0"),
    Pkg("old", "1.0"),
)


def names(folder) -> set[str]:  # noqa: ANN001
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize(("options", "expected"), [
    (["--platform", "win_amd64", "--python-version", "3.11"],
     {"native-1.0-cp311-cp311-win_amd64.whl", "winonly-1.0-py3-none-any.whl", "old-1.0-py3-none-any.whl"}),
    (["--platform", "manylinux_2_17_x86_64", "--python-version", "311"],
     {"native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "old-1.0-py3-none-any.whl"}),
    # macOS 12 takes a macOS 11 wheel (pip's expansion); the markers are those of 3.12 on macOS.
    (["--platform", "macosx_12_0_arm64", "--python-version", "3.12"],
     {"native-1.0-cp312-cp312-macosx_11_0_arm64.whl"}),
    (["--platform", "win_amd64", "--python-version", "3.13", "--implementation", "cp", "--abi", "cp313"],
     {"native-2.0-cp313-cp313-win_amd64.whl"}),
])
def test_download_for_another_environment(spoke, index, tmp_path, options, expected) -> None:
    server = index(*PKGS)
    out = tmp_path / "out"
    spoke("download", "native", "-d", str(out), "-i", server.simple_url, "--only-binary=:all:", *options)
    assert names(out) == expected


def test_wheel_and_index_versions_for_another_environment(spoke, index, tmp_path) -> None:
    server = index(*PKGS)
    out = tmp_path / "out"
    spoke("wheel", "native", "-w", str(out), "-i", server.simple_url, "--only-binary=:all:",
          "--platform", "win_amd64", "--python-version", "3.13")
    assert names(out) == {"native-2.0-cp313-cp313-win_amd64.whl"}
    listed = spoke("index", "versions", "native", "-i", server.simple_url,
                   "--platform", "manylinux_2_17_x86_64", "--python-version", "3.11").stdout
    assert listed.splitlines()[:2] == ["native (1.0)", "Available versions: 1.0"]


def test_foreign_options_need_binaries_and_a_known_platform(spoke, index, tmp_path) -> None:
    server = index(*PKGS)
    out = tmp_path / "out"
    no_binary = spoke("download", "native", "-d", str(out), "-i", server.simple_url,
                      "--platform", "win_amd64", check=False)
    assert no_binary.returncode == 2 and "--only-binary=:all:" in no_binary.stderr, no_binary.describe()
    unknown = spoke("download", "native", "-d", str(out), "-i", server.simple_url, "--only-binary=:all:",
                    "--platform", "windows-64bit", check=False)
    assert unknown.returncode == 2 and "Unknown platform tag `windows-64bit`" in unknown.stderr
    assert "manylinux_2_28_x86_64" in unknown.stderr and "Traceback" not in unknown.output


def test_each_platform_fills_one_wheelhouse_for_several_systems(spoke, index, tmp_path) -> None:
    server = index(*PKGS)
    out = tmp_path / "out"
    spoke("download", "native", "-d", str(out), "-i", server.simple_url, "--only-binary=:all:",
          "--each-platform", "--platform", "win_amd64", "--platform", "manylinux_2_17_x86_64",
          "--python-version", "3.11")
    assert names(out) == {"native-1.0-cp311-cp311-win_amd64.whl", "native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
                          "winonly-1.0-py3-none-any.whl", "old-1.0-py3-none-any.whl"}
    both = spoke("download", "native", "-d", str(tmp_path / "two"), "-i", server.simple_url, "--only-binary=:all:",
                 "--each-platform", "--platform", "macosx_11_0_arm64", "--python-version", "3.12",
                 "--python-version", "3.11", check=False)
    # macOS with 3.12 has a wheel, with 3.11 none: the environment that fails is named.
    assert both.returncode == 1 and "while resolving for macosx_11_0_arm64, Python 3.11" in both.stderr, both.describe()


def test_python_version_twice_needs_each_platform(spoke, index, tmp_path) -> None:
    server = index(*PKGS)
    result = spoke("download", "native", "-d", str(tmp_path / "out"), "-i", server.simple_url,
                   "--only-binary=:all:", "--python-version", "3.11", "--python-version", "3.12", check=False)
    assert result.returncode == 2 and "--each-platform" in result.stderr, result.describe()


def test_install_for_another_environment_into_a_folder_or_as_a_dry_run(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    foreign = ("--only-binary=:all:", "--platform", "win_amd64", "--python-version", "3.11")
    out = tmp_path / "vendor"
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "--target", str(out), "native", *foreign)
    assert {p.name for p in out.glob("*.dist-info")} == {"native-1.0.dist-info", "winonly-1.0.dist-info",
                                                          "old-1.0.dist-info"}
    assert "win_amd64" in (out / "native-1.0.dist-info" / "WHEEL").read_text()
    report = spoke("install", "--python", str(env.python), "-i", server.simple_url, "--dry-run",
                   "--report", "-", "native", *foreign).stdout
    assert '"sys_platform": "win32"' in report and "native-1.0-cp311-cp311-win_amd64.whl" in report
    into_env = spoke("install", "--python", str(env.python), "-i", server.simple_url, "native", *foreign, check=False)
    assert into_env.returncode == 2 and "need --dry-run or --target DIR" in into_env.stderr, into_env.describe()
    assert not list(env.site_packages.glob("native*"))
