"""spoke.env.probe and spoke.env.interpreter: probe data → Interpreter, tags, schemes, cache."""

from __future__ import annotations

import ast
import copy
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from packaging import tags
from packaging.markers import default_environment
from packaging.tags import Tag

from spoke.cache import Cache
from spoke.env import probe as probe_module
from spoke.env.interpreter import (
    PREFIX_SENTINEL,
    InspectedInterpreter,
    cache_key,
    compute_tags,
    generic_abis,
    inspect_interpreter,
    interpreter_from_probe,
    linux_platforms,
    platforms_for,
    prefix_scheme,
    probe_source,
    target_scheme,
)
from spoke.errors import InterpreterError
from spoke.models.interpreter import Interpreter, Scheme


@pytest.fixture(scope="module")
def own_probe() -> dict:
    """The probe run in-process, in the test interpreter (same data a subprocess would give)."""
    return json.loads(json.dumps(probe_module.probe()))


class FakeRunner:
    """Stands in for subprocess.run: records calls, answers with canned output."""

    def __init__(self, stdout: str = "", returncode: int = 0, stderr: str = "", exc: Exception | None = None):
        self.calls: list[list[str]] = []
        self.stdout, self.returncode, self.stderr, self.exc = stdout, returncode, stderr, exc

    def __call__(self, argv, **kwargs):
        self.calls.append(list(argv))
        if self.exc is not None:
            raise self.exc
        return subprocess.CompletedProcess(argv, self.returncode, self.stdout, self.stderr)


def _fake_python(tmp_path: Path, name: str = "python3") -> Path:
    exe = tmp_path / "bin" / name
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_bytes(b"\x7fELF not really")
    exe.chmod(0o755)
    return exe


# -- the probe script ------------------------------------------------------------------------


def test_probe_source_parses_as_python_38():
    tree = ast.parse(probe_source(), feature_version=(3, 8))
    for node in ast.walk(tree):
        assert not isinstance(node, ast.JoinedStr), "no f-strings: the probe must parse on old Pythons"
        assert not isinstance(node, ast.NamedExpr)
        assert not isinstance(node, ast.AnnAssign)


def test_probe_markers_match_packaging(own_probe):
    assert own_probe["markers"] == default_environment()


def test_probe_reports_this_interpreter(own_probe):
    assert own_probe["version_info"][:3] == list(sys.version_info[:3])
    assert own_probe["executable"] == sys.executable
    assert own_probe["is_venv"] == (sys.prefix != sys.base_prefix)
    assert own_probe["platform"] == sysconfig.get_platform()
    assert own_probe["schemes"]["default"]["purelib"] == sysconfig.get_paths()["purelib"]


def test_probe_templates_hold_the_sentinel(own_probe):
    for name in ("prefix_template", "venv_template"):
        template = own_probe["schemes"][name]
        assert template["purelib"].startswith(PREFIX_SENTINEL)
        assert template["scripts"].startswith(PREFIX_SENTINEL)


def test_probe_runs_as_a_script_with_isolation():
    out = subprocess.run([sys.executable, "-I", "-c", probe_source()], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["format"] == probe_module.PROBE_FORMAT
    assert data["unsupported"] is False


# -- probe data → Interpreter -------------------------------------------------------------------


def test_interpreter_from_probe(own_probe):
    interp = interpreter_from_probe(own_probe)
    assert isinstance(interp, InspectedInterpreter)
    assert isinstance(interp, Interpreter)
    assert interp.version == tuple(sys.version_info[:3])
    assert interp.executable == Path(sys.executable)
    assert interp.implementation == sys.implementation.name
    assert interp.scheme.purelib == Path(sysconfig.get_paths()["purelib"])
    assert interp.sys_prefix == Path(sys.prefix)
    assert interp.base_prefix == Path(sys.base_prefix)
    assert interp.markers["python_version"] == "{}.{}".format(*sys.version_info[:2])
    assert interp.stdlib == Path(sysconfig.get_path("stdlib"))


def test_tags_equal_sys_tags_for_this_interpreter(own_probe):
    assert compute_tags(own_probe) == list(tags.sys_tags())


def test_venv_interpreter_user_site_hidden(own_probe):
    data = copy.deepcopy(own_probe)
    data.update(is_venv=True, include_system_site_packages=False, user_site="/u/site", user_site_enabled=False)
    data["externally_managed"] = "/x/EXTERNALLY-MANAGED"
    interp = interpreter_from_probe(data)
    assert interp.is_venv
    assert interp.user_site is None
    assert interp.externally_managed is None  # a venv is never externally managed


def test_externally_managed_path_carried(own_probe):
    data = copy.deepcopy(own_probe)
    data.update(is_venv=False, externally_managed="/usr/lib/python3.11/EXTERNALLY-MANAGED")
    assert interpreter_from_probe(data).externally_managed == "/usr/lib/python3.11/EXTERNALLY-MANAGED"


def _foreign(own_probe: dict, **changes) -> dict:
    data = copy.deepcopy(own_probe)
    data.update(changes)
    return data


def test_cpython_debug_and_free_threaded_abis(own_probe):
    data = _foreign(
        own_probe, version_info=[3, 13, 0, "final", 0], py_version_nodot="313", py_debug=True, gil_disabled=True
    )
    result = compute_tags(data)
    abis = [t.abi for t in result if t.interpreter == "cp313"]
    assert abis[0] == "cp313td"
    assert "cp313t" in abis
    assert "abi3" not in abis  # free-threaded builds cannot load abi3 extensions
    assert result[-1] == Tag("py30", "none", "any")


def test_pypy_tags_from_soabi(own_probe):
    data = _foreign(
        own_probe,
        implementation={"name": "pypy", "version": "7.3.17", "cache_tag": "pypy310"},
        version_info=[3, 10, 14, "final", 0],
        py_version_nodot="310",
        ext_suffix=".pypy310-pp73-x86_64-linux-gnu.so",
    )
    assert generic_abis(data) == ["pypy310_pp73"]
    result = compute_tags(data)
    assert result[0].interpreter == "pp310"
    assert result[0].abi == "pypy310_pp73"
    assert Tag("pp310", "none", result[0].platform) in result
    assert Tag("pp3", "none", "any") in result
    assert not any(t.interpreter.startswith("cp") for t in result)


def test_generic_abis_edge_cases():
    assert generic_abis({"ext_suffix": ".cpython-312-x86_64-linux-gnu.so"}) == ["cp312"]
    assert generic_abis({"ext_suffix": ".cp312-win_amd64.pyd"}) == ["cp312"]
    assert generic_abis({"ext_suffix": ".graalpy-38-native-x86_64-darwin.dylib"}) == ["graalpy_38_native"]
    assert generic_abis({"ext_suffix": ".pyd"}) == []
    assert generic_abis({"ext_suffix": None}) == []


@pytest.mark.skipif(not sysconfig.get_platform().startswith("linux-"), reason="Linux host")
def test_derived_linux_platforms_match_packaging_here(own_probe):
    # Pretend spoke runs elsewhere: the derivation from the probe's libc must agree with
    # what packaging computes on this very machine.
    derived = platforms_for(own_probe, host_platform="elsewhere", host_is_64bit=True)
    assert derived == list(tags.platform_tags())


def test_linux_platforms_32_bit_and_musl():
    assert linux_platforms("x86_64", is_64bit=False, libc=None) == ["linux_i686"]
    armv8 = linux_platforms("aarch64", is_64bit=False, libc={"name": "glibc", "version": "2.17"})
    assert armv8[:2] == ["linux_armv8l", "linux_armv7l"]
    assert "manylinux2014_armv7l" in armv8
    assert "manylinux_2_16_armv8l" not in armv8  # arm starts at glibc 2.17
    musl = linux_platforms("x86_64", is_64bit=True, libc={"name": "musl", "version": "1.2"})
    assert musl == ["linux_x86_64", "musllinux_1_2_x86_64", "musllinux_1_1_x86_64", "musllinux_1_0_x86_64"]


def test_foreign_windows_and_mac_platforms(own_probe):
    win = _foreign(own_probe, platform="win-amd64")
    win["markers"] = dict(win["markers"], platform_system="Windows")
    assert platforms_for(win, host_platform="linux-x86_64", host_is_64bit=True) == ["win_amd64"]
    mac = _foreign(own_probe, platform="macosx-11.0-arm64", mac_version="14.2")
    mac["markers"] = dict(mac["markers"], platform_system="Darwin", platform_machine="arm64")
    plats = platforms_for(mac, host_platform="linux-x86_64", host_is_64bit=True)
    assert plats[0] == "macosx_14_0_arm64"
    assert "macosx_11_0_universal2" in plats


# -- schemes --------------------------------------------------------------------------------------


def test_prefix_scheme_from_template(own_probe, tmp_path):
    interp = interpreter_from_probe(own_probe)
    scheme = prefix_scheme(interp, tmp_path / "pfx")
    xy = "python{}.{}".format(*sys.version_info[:2])
    assert scheme.purelib == tmp_path / "pfx" / "lib" / xy / "site-packages"
    assert scheme.scripts == tmp_path / "pfx" / "bin"
    assert scheme.data == tmp_path / "pfx"
    assert PREFIX_SENTINEL not in str(scheme.headers)


def test_prefix_scheme_without_template(tmp_path):
    base = Scheme(
        purelib=Path("/opt/py/lib/python3.9/site-packages"),
        platlib=Path("/opt/py/lib/python3.9/site-packages"),
        scripts=Path("/opt/py/bin"),
        data=Path("/opt/py"),
        headers=Path("/usr/local/include/python3.9"),
    )
    interp = Interpreter(
        executable=Path("/opt/py/bin/python3"), version=(3, 9, 1), implementation="cpython", markers={},
        tags=(), sys_prefix=Path("/opt/py"), base_prefix=Path("/opt/py"), scheme=base,
    )
    scheme = prefix_scheme(interp, tmp_path)
    assert scheme.purelib == tmp_path / "lib" / "python3.9" / "site-packages"
    assert scheme.scripts == tmp_path / "bin"
    assert scheme.headers == tmp_path / "include" / "python3.9"  # not under sys.prefix: POSIX layout


def test_target_scheme(tmp_path):
    scheme = target_scheme(tmp_path / "t")
    assert scheme.purelib == scheme.platlib == scheme.data == tmp_path / "t"
    assert scheme.scripts == tmp_path / "t" / "bin"
    assert scheme.path_for("headers") == tmp_path / "t" / "include" / "python"


# -- running and caching the probe ------------------------------------------------------------------


def test_inspect_runs_probe_isolated_and_caches(own_probe, tmp_path):
    exe = _fake_python(tmp_path)
    cache = Cache.open(tmp_path / "cache")
    runner = FakeRunner(stdout=json.dumps(own_probe) + "\n")
    first = inspect_interpreter(exe, cache=cache, runner=runner)
    assert len(runner.calls) == 1
    assert runner.calls[0][:3] == [str(exe), "-I", "-c"]
    assert runner.calls[0][3] == probe_source()

    def no_spawn(*a, **k):
        raise AssertionError("a cache hit must not spawn a process")

    second = inspect_interpreter(exe, cache=cache, runner=no_spawn)
    assert second == first
    assert second.tags == first.tags


def test_cache_invalidated_when_executable_changes(own_probe, tmp_path):
    exe = _fake_python(tmp_path)
    cache = Cache.open(tmp_path / "cache")
    runner = FakeRunner(stdout=json.dumps(own_probe))
    inspect_interpreter(exe, cache=cache, runner=runner)
    st = exe.stat()
    os.utime(exe, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    inspect_interpreter(exe, cache=cache, runner=runner)
    assert len(runner.calls) == 2


def test_cache_invalidated_when_pyvenv_cfg_changes(own_probe, tmp_path):
    exe = _fake_python(tmp_path)
    cfg = tmp_path / "pyvenv.cfg"
    cfg.write_text("home = /x\n")
    key = cache_key(exe)
    st = cfg.stat()
    os.utime(cfg, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert cache_key(exe) != key


def test_symlinked_venv_python_keyed_on_its_own_link(tmp_path):
    base = _fake_python(tmp_path / "base")
    (tmp_path / "a" / "bin").mkdir(parents=True)
    (tmp_path / "b" / "bin").mkdir(parents=True)
    (tmp_path / "a" / "bin" / "python").symlink_to(base)
    (tmp_path / "b" / "bin" / "python").symlink_to(base)
    assert cache_key(tmp_path / "a" / "bin" / "python") != cache_key(tmp_path / "b" / "bin" / "python")


def test_launcher_scripts_are_not_cached(own_probe, tmp_path):
    shim = tmp_path / "python3"
    shim.write_text("#!/bin/sh\nexec python3 \"$@\"\n")
    shim.chmod(0o755)
    assert cache_key(shim) is None
    runner = FakeRunner(stdout=json.dumps(own_probe))
    cache = Cache.open(tmp_path / "cache")
    inspect_interpreter(shim, cache=cache, runner=runner)
    inspect_interpreter(shim, cache=cache, runner=runner)
    assert len(runner.calls) == 2


def test_corrupt_cache_entry_is_ignored(own_probe, tmp_path):
    exe = _fake_python(tmp_path)
    cache = Cache.open(tmp_path / "cache")
    runner = FakeRunner(stdout=json.dumps(own_probe))
    inspect_interpreter(exe, cache=cache, runner=runner)
    for f in cache.bucket("interpreters").iterdir():
        f.write_text("{not json")
    inspect_interpreter(exe, cache=cache, runner=runner)
    assert len(runner.calls) == 2


def test_missing_executable(tmp_path):
    with pytest.raises(InterpreterError) as info:
        inspect_interpreter(tmp_path / "nope", runner=FakeRunner())
    assert "No Python interpreter" in info.value.message
    assert info.value.hint and "--python" in info.value.hint


def test_directory_is_not_an_interpreter(tmp_path):
    with pytest.raises(InterpreterError, match="not an executable"):
        inspect_interpreter(tmp_path, runner=FakeRunner())


@pytest.mark.parametrize(
    ("runner", "needle"),
    [
        (FakeRunner(returncode=2, stderr="Unknown option: -I\nusage: python [option]"), "exit code 2"),
        (FakeRunner(stdout="hello, I am not python"), "cannot read"),
        (FakeRunner(stdout=json.dumps({"unsupported": True, "version_info": [3, 6, 15]})), "3.6.15"),
        (FakeRunner(exc=PermissionError(13, "Permission denied")), "cannot be run"),
        (FakeRunner(exc=subprocess.TimeoutExpired(["x"], 60)), "did not answer"),
    ],
)
def test_probe_failures_become_interpreter_errors(tmp_path, runner, needle):
    exe = _fake_python(tmp_path)
    with pytest.raises(InterpreterError) as info:
        inspect_interpreter(exe, runner=runner)
    assert needle in info.value.message
    assert info.value.hint


def test_probe_failure_notes_carry_stderr(tmp_path):
    exe = _fake_python(tmp_path)
    with pytest.raises(InterpreterError) as info:
        inspect_interpreter(exe, runner=FakeRunner(returncode=1, stderr="Traceback\nSyntaxError: bad"))
    assert info.value.notes[-1] == "SyntaxError: bad"
