"""``spoke venv`` through the CLI."""

from __future__ import annotations

import subprocess

import pytest


def test_venv_creates_a_working_environment(spoke, tmp_path) -> None:
    result = spoke("venv", str(tmp_path / "env"), "--prompt", "demo")
    assert "Created virtual environment" in result.stderr
    python = tmp_path / "env" / "bin" / "python"
    out = subprocess.run([str(python), "-c", "import sys; print(sys.prefix != sys.base_prefix)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "True"
    assert "prompt = 'demo'" in (tmp_path / "env" / "pyvenv.cfg").read_text()  # as python -m venv writes it
    assert not list((tmp_path / "env").glob("lib/python3*/site-packages/pip"))


def test_venv_default_path_is_dot_venv(spoke, tmp_path) -> None:
    spoke("venv", cwd=tmp_path)
    assert (tmp_path / ".venv" / "pyvenv.cfg").exists()


def test_venv_seed_installs_pip(spoke, tmp_path) -> None:
    spoke("venv", str(tmp_path / "env"), "--seed")
    python = tmp_path / "env" / "bin" / "python"
    out = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert str(tmp_path / "env") in out.stdout


@pytest.mark.parametrize("version", ["3.8", "3.12"])
def test_venv_for_another_python(spoke, tmp_path, version: str) -> None:
    from tests.support.pythons import find_python

    python = find_python(version)
    if python is None:
        pytest.skip(f"no python{version} on this machine")
    spoke("venv", str(tmp_path / "env"), "--python", python)
    python = tmp_path / "env" / "bin" / "python"
    out = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == version


def test_venv_refuses_a_non_empty_folder(spoke, tmp_path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "file.txt").write_text("x")
    result = spoke("venv", str(target), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (target / "file.txt").exists()
