"""spoke.env.venv: the files a venv is made of, template filling, refusals, the fallback."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from spoke.env import probe as probe_module
from spoke.env.interpreter import interpreter_from_probe
from spoke.env.venv import _activation_style, _Context, bundled_pip_wheel, create_venv, replace_variables
from spoke.errors import VenvError

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout")


@pytest.fixture(scope="module")
def interp():
    """This test interpreter, inspected in-process (its base interpreter is real)."""
    return interpreter_from_probe(json.loads(json.dumps(probe_module.probe())))


@pytest.fixture
def fake_stdlib(tmp_path, interp):
    """A stdlib holding venv templates and a venv/__init__.py in a chosen style."""
    stdlib = tmp_path / "stdlib"
    common = stdlib / "venv" / "scripts" / "common"
    posix = stdlib / "venv" / "scripts" / "posix"
    nt = stdlib / "venv" / "scripts" / "nt"
    for d in (common, posix, nt):
        d.mkdir(parents=True)
    (common / "activate").write_text('VIRTUAL_ENV="__VENV_DIR__"\nPS1="__VENV_PROMPT__$PS1"\nBIN=__VENV_BIN_NAME__\n')
    (posix / "activate.csh").write_text('setenv VIRTUAL_ENV "__VENV_DIR__" # __VENV_NAME__ __VENV_PYTHON__\n')
    (nt / "activate.bat").write_text("set VIRTUAL_ENV=__VENV_DIR__\n")
    (stdlib / "venv" / "__init__.py").write_text("context.prompt = '(%s) ' % prompt\n")
    return stdlib


class Runner:
    def __init__(self, returncode=0, stderr=""):
        self.calls = []
        self.returncode, self.stderr = returncode, stderr

    def __call__(self, argv, **kwargs):
        self.calls.append(list(argv))
        return subprocess.CompletedProcess(argv, self.returncode, "", self.stderr)


def no_runner(*args, **kwargs):
    raise AssertionError("spoke must not run `python -m venv` here")


def test_layout_written_without_running_python(tmp_path, interp, fake_stdlib):
    target = dataclasses.replace(interp, stdlib=fake_stdlib)
    venv = create_venv(tmp_path / "env", interpreter=target, prompt="demo", runner=no_runner)
    assert venv == tmp_path / "env"
    xy = "python{}.{}".format(*sys.version_info[:2])
    base = interp.base_executable
    cfg = (venv / "pyvenv.cfg").read_text()
    assert f"home = {base.parent}\n" in cfg
    assert "include-system-site-packages = false\n" in cfg
    assert f"version = {interp.python_version}\n" in cfg
    assert "prompt = 'demo'\n" in cfg
    assert f"executable = {os.path.realpath(base)}\n" in cfg
    assert cfg.splitlines()[-1].startswith("command = ")
    assert os.readlink(venv / "bin" / base.name) == str(base)
    for name in ("python", "python3", xy):
        assert (venv / "bin" / name).is_symlink()
        assert os.path.realpath(venv / "bin" / name) == os.path.realpath(base)
    assert (venv / "lib" / xy / "site-packages").is_dir()
    if sys.maxsize > 2**32 and sys.platform != "darwin":
        assert os.readlink(venv / "lib64") == "lib"
    assert (venv / ".gitignore").read_text().splitlines()[-1] == "*"
    activate = (venv / "bin" / "activate").read_text()
    assert f'VIRTUAL_ENV="{venv}"' in activate
    assert 'PS1="(demo) $PS1"' in activate
    assert "BIN=bin" in activate
    csh = (venv / "bin" / "activate.csh").read_text()
    assert f"# env {venv / 'bin' / base.name}" in csh
    assert not (venv / "bin" / "activate.bat").exists()  # nt scripts are not for POSIX


def test_system_site_packages_and_default_prompt(tmp_path, interp, fake_stdlib):
    target = dataclasses.replace(interp, stdlib=fake_stdlib)
    venv = create_venv(tmp_path / "named", interpreter=target, system_site_packages=True, runner=no_runner)
    cfg = (venv / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = true" in cfg
    assert "prompt =" not in cfg
    assert 'PS1="(named) $PS1"' in (venv / "bin" / "activate").read_text()


def test_refuses_non_empty_folder_unless_clear(tmp_path, interp, fake_stdlib):
    target = dataclasses.replace(interp, stdlib=fake_stdlib)
    folder = tmp_path / "stuff"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep")
    with pytest.raises(VenvError) as info:
        create_venv(folder, interpreter=target, runner=no_runner)
    assert "--clear" in info.value.hint
    assert (folder / "precious.txt").exists()
    create_venv(folder, interpreter=target, clear=True, runner=no_runner)
    assert not (folder / "precious.txt").exists()
    assert (folder / "pyvenv.cfg").exists()


def test_refuses_a_file(tmp_path, interp):
    (tmp_path / "file").write_text("x")
    with pytest.raises(VenvError, match="not a folder"):
        create_venv(tmp_path / "file", interpreter=interp, runner=no_runner)


def test_existing_venv_updated_in_place(tmp_path, interp, fake_stdlib):
    target = dataclasses.replace(interp, stdlib=fake_stdlib)
    venv = create_venv(tmp_path / "env", interpreter=target, runner=no_runner)
    xy = "python{}.{}".format(*sys.version_info[:2])
    marker = venv / "lib" / xy / "site-packages" / "installed.py"
    marker.write_text("")
    create_venv(venv, interpreter=target, prompt="again", runner=no_runner)
    assert marker.exists()
    assert "prompt = 'again'" in (venv / "pyvenv.cfg").read_text()


def test_empty_existing_folder_is_fine(tmp_path, interp, fake_stdlib):
    (tmp_path / "empty").mkdir()
    target = dataclasses.replace(interp, stdlib=fake_stdlib)
    assert (create_venv(tmp_path / "empty", interpreter=target, runner=no_runner) / "pyvenv.cfg").exists()


def test_fallback_runs_venv_module_for_other_implementations(tmp_path, interp):
    pypy = dataclasses.replace(interp, implementation="pypy")
    runner = Runner()
    create_venv(tmp_path / "env", interpreter=pypy, prompt="p", system_site_packages=True, runner=runner)
    assert runner.calls == [
        [str(interp.base_executable), "-m", "venv", "--without-pip", "--system-site-packages", "--prompt", "p",
         str(tmp_path / "env")]
    ]


def test_fallback_failure_is_a_venv_error(tmp_path, interp):
    pypy = dataclasses.replace(interp, implementation="pypy")
    with pytest.raises(VenvError) as info:
        create_venv(tmp_path / "env", interpreter=pypy, runner=Runner(returncode=1, stderr="Error: no venv\n"))
    assert info.value.notes == ("Error: no venv",)


def _context(**kw) -> _Context:
    values = {
        "env_dir": "/tmp/my env", "env_name": "my env", "prompt": "my env", "bin_name": "bin",
        "env_exe": "/tmp/my env/bin/python",
    }
    values.update(kw)
    return _Context(**values)


def test_replace_variables_plain_and_quoted():
    text = "D=__VENV_DIR__ P=__VENV_PROMPT__ B=__VENV_BIN_NAME__ N=__VENV_NAME__ X=__VENV_PYTHON__"
    plain = replace_variables(text, _context(), script="activate", quoted=False)
    assert plain == "D=/tmp/my env P=my env B=bin N=my env X=/tmp/my env/bin/python"
    quoted = replace_variables(text, _context(), script="activate", quoted=True)
    assert quoted == "D='/tmp/my env' P='my env' B=bin N='my env' X='/tmp/my env/bin/python'"
    ps1 = replace_variables("$x = __VENV_DIR__", _context(env_dir="C:\\it's"), script="Activate.ps1", quoted=True)
    assert ps1 == "$x = 'C:\\it''s'"


def test_activation_style_read_from_venv_source(tmp_path):
    old = tmp_path / "old.py"
    old.write_text("        context.prompt = '(%s) ' % prompt\n")
    new = tmp_path / "new.py"
    new.write_text("        context.prompt = self.prompt\n        quote = shlex.quote\n")
    assert _activation_style(old).parenthesized_prompt and not _activation_style(old).quoted
    assert not _activation_style(new).parenthesized_prompt and _activation_style(new).quoted
    missing = _activation_style(tmp_path / "missing.py")
    assert not missing.parenthesized_prompt and not missing.quoted


def test_bundled_pip_wheel_picks_newest(tmp_path, interp):
    bundled = tmp_path / "stdlib" / "ensurepip" / "_bundled"
    bundled.mkdir(parents=True)
    for name in ("pip-9.0.1-py2.py3-none-any.whl", "pip-23.0.1-py3-none-any.whl", "setuptools-70.0-py3-none-any.whl",
                 "pip-bad.whl"):
        (bundled / name).write_bytes(b"")
    target = dataclasses.replace(interp, stdlib=tmp_path / "stdlib")
    assert bundled_pip_wheel(target) == bundled / "pip-23.0.1-py3-none-any.whl"


def test_bundled_pip_wheel_of_this_interpreter(interp):
    wheel = bundled_pip_wheel(interp)
    if wheel is None:
        pytest.skip("this Python ships no pip wheel")
    assert wheel.name.startswith("pip-") and wheel.suffix == ".whl" and wheel.is_file()
