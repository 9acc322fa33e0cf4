"""``spoke uninstall`` end to end."""

from __future__ import annotations

from tests.functional.conftest import installed_files, snapshot
from tests.support.packages import Pkg

PKGS = [
    Pkg("tool", "1.0", deps=("lib",), console_scripts={"tool-run": "tool:main"},
        data_files={"share/tool/readme.txt": "hi\n"},
        files={"tool/__init__.py": "X = 1\n", "tool/sub/deep.py": "Y = 2\n"}),
    Pkg("lib", "1.0"),
]


def test_uninstall_removes_every_file_and_empty_folder(spoke, index, venv, pip_in) -> None:
    server = index(*PKGS)
    env = venv()
    before = installed_files(env)
    spoke("install", "tool", "--python", str(env.python), "-i", server.simple_url)
    assert (env.bin / "tool-run").exists()
    result = spoke("uninstall", "-y", "tool", "lib", "--python", str(env.python))
    assert "- tool==1.0" in result.stderr and "- lib==1.0" in result.stderr
    assert installed_files(env) == before
    assert not (env.site_packages / "tool").exists()
    assert not (env.path / "share" / "tool").exists()
    assert "tool" not in pip_in(env.python, "list").stdout


def test_uninstall_dry_run_lists_and_keeps(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "tool", "--python", str(env.python), "-i", server.simple_url)
    before = snapshot(env.path)
    result = spoke("uninstall", "--dry-run", "tool", "--python", str(env.python))
    assert "Would remove" in result.stderr and "tool-run" in result.stderr
    assert snapshot(env.path) == before


def test_uninstall_not_installed_is_a_warning(spoke, venv) -> None:
    env = venv()
    result = spoke("uninstall", "-y", "nothing-here", "--python", str(env.python))
    assert "not installed" in result.stderr


def test_uninstall_warns_about_dependents(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "tool", "--python", str(env.python), "-i", server.simple_url)
    result = spoke("uninstall", "-y", "lib", "--python", str(env.python))
    assert "lib is required by tool" in result.stderr


def test_uninstall_from_requirements_file(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "tool", "--python", str(env.python), "-i", server.simple_url)
    req = tmp_path / "r.txt"
    req.write_text("tool==1.0\nlib\n")
    spoke("uninstall", "-y", "-r", str(req), "--python", str(env.python))
    assert not list(env.site_packages.glob("*.dist-info"))


def test_uninstall_without_y_proceeds_when_not_a_terminal(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    spoke("install", "lib", "--python", str(env.python), "-i", server.simple_url)
    spoke("uninstall", "lib", "--python", str(env.python), input="")
    assert not list(env.site_packages.glob("lib-*.dist-info"))


def test_uninstall_a_pip_installed_package(spoke, index, venv, pip_in, tmp_path, build_cache) -> None:
    from tests.support.packages import build_cached

    wheels = tmp_path / "w"
    wheels.mkdir()
    for pkg in PKGS:
        for path in build_cached(pkg, build_cache):
            (wheels / path.name).write_bytes(path.read_bytes())
    env = venv()
    before = installed_files(env)
    pip_in(env.python, "install", "--no-index", "--no-compile", "-f", str(wheels), "tool")
    spoke("uninstall", "-y", "tool", "lib", "--python", str(env.python))
    assert installed_files(env) == before
