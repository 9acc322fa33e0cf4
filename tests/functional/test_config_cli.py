"""``spoke config`` and configuration through real commands, checked against pip's own answers.

The hermetic environment points HOME and the XDG folders under ``tmp_path`` and sets
``PIP_CONFIG_FILE``/``SPOKE_CONFIG_FILE`` to ``os.devnull``; tests that exercise files pass
``env={"PIP_CONFIG_FILE": None}`` (and ``SPOKE_CONFIG_FILE``) to let files be read.

Which index a command used is told by what it would install: index ``old`` serves
``alpha 1.0`` and index ``new`` serves ``alpha 2.0``.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tests.support.packages import Pkg

FILES_ON = {"PIP_CONFIG_FILE": None, "SPOKE_CONFIG_FILE": None}
"""Let pip's and spoke's default files be read."""


@pytest.fixture
def indexes(index):
    """Two index servers: ``old`` serves alpha 1.0, ``new`` serves alpha 2.0."""
    return index(Pkg("alpha", "1.0")), index(Pkg("alpha", "2.0"))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def user_file(hermetic: dict[str, str]) -> Path:
    return Path(hermetic["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"


def would_install(spoke, env, *args: str, extra_env=None) -> str:
    """The version of alpha a dry-run install picks."""
    result = spoke("install", "alpha", "--dry-run", "--python", str(env.python), *args,
                   env={**FILES_ON, **(extra_env or {})})
    for version in ("1.0", "2.0"):
        if f"+ alpha=={version}" in result.stderr:
            return version
    raise AssertionError(result.describe())


# ----------------------------------------------------------------------------- through install


def test_user_pip_conf_sets_the_index(spoke, venv, indexes, hermetic) -> None:
    old, _new = indexes
    write(user_file(hermetic), f"[global]\nindex-url = {old.simple_url}\n")
    assert would_install(spoke, venv()) == "1.0"
    assert old.paths()  # the configured index was asked


def test_command_section_beats_global_whatever_the_file(spoke, venv, indexes, hermetic) -> None:
    old, new = indexes
    # [install] in the legacy file (loaded first) still beats [global] in the later XDG file.
    write(Path(hermetic["HOME"]) / ".pip" / "pip.conf", f"[install]\nindex-url = {old.simple_url}\n")
    write(user_file(hermetic), f"[global]\nindex-url = {new.simple_url}\n")
    assert would_install(spoke, venv()) == "1.0"


def test_environment_beats_file_and_command_line_beats_environment(spoke, venv, indexes, hermetic) -> None:
    old, new = indexes
    env = venv()
    write(user_file(hermetic), f"[global]\nindex-url = {old.simple_url}\n")
    assert would_install(spoke, env, extra_env={"PIP_INDEX_URL": new.simple_url}) == "2.0"
    assert would_install(spoke, env, "--index-url", old.simple_url,
                         extra_env={"PIP_INDEX_URL": new.simple_url}) == "1.0"


def test_spoke_variable_beats_pip_variable(spoke, venv, indexes) -> None:
    old, new = indexes
    assert would_install(spoke, venv(), extra_env={
        "PIP_INDEX_URL": old.simple_url, "SPOKE_INDEX_URL": new.simple_url,
    }) == "2.0"


def test_spoke_toml_beats_pip_files(spoke, venv, indexes, hermetic) -> None:
    old, new = indexes
    write(user_file(hermetic), f"[global]\nindex-url = {old.simple_url}\n")
    write(Path(hermetic["XDG_CONFIG_HOME"]) / "spoke" / "spoke.toml",
          f'[global]\nindex-url = "{new.simple_url}"\n')
    assert would_install(spoke, venv()) == "2.0"


def test_site_file_of_the_active_venv_applies(spoke, venv, indexes, hermetic) -> None:
    old, new = indexes
    env = venv()
    write(user_file(hermetic), f"[global]\nindex-url = {old.simple_url}\n")
    write(env.path / "pip.conf", f"[global]\nindex-url = {new.simple_url}\n")
    result = spoke("install", "alpha", "--dry-run", env={**FILES_ON, "VIRTUAL_ENV": str(env.path)})
    assert "+ alpha==2.0" in result.stderr, result.describe()


def test_pip_config_file_variable_loads_that_file(spoke, venv, indexes, hermetic, tmp_path) -> None:
    old, new = indexes
    write(user_file(hermetic), f"[global]\nindex-url = {old.simple_url}\n")
    chosen = write(tmp_path / "chosen.conf", f"[global]\nindex-url = {new.simple_url}\n")
    assert would_install(spoke, venv(), extra_env={"PIP_CONFIG_FILE": str(chosen)}) == "2.0"


def test_extra_index_urls_from_one_variable(spoke, venv, index) -> None:
    main = index(Pkg("alpha", "1.0", deps=("beta", "gamma")))
    second, third = index(Pkg("beta", "1.0")), index(Pkg("gamma", "1.0"))
    result = spoke("install", "alpha", "--dry-run", "--python", str(venv().python), env={
        "PIP_INDEX_URL": main.simple_url,
        "PIP_EXTRA_INDEX_URL": f"{second.simple_url} {third.simple_url}",
    })
    for line in ("+ alpha==1.0", "+ beta==1.0", "+ gamma==1.0"):
        assert line in result.stderr, result.describe()


def _cached_files(hermetic: dict[str, str]) -> list[str]:
    root = Path(hermetic["SPOKE_CACHE_DIR"])
    return [str(p) for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize("how", ["variable", "file"])
def test_no_cache_dir_from_variable_or_file_leaves_the_cache_empty(spoke, venv, indexes, hermetic, how) -> None:
    old, _new = indexes
    env = venv()
    extra = {"PIP_INDEX_URL": old.simple_url}
    if how == "variable":
        extra["PIP_NO_CACHE_DIR"] = "1"
    else:
        write(user_file(hermetic), "[global]\nno-cache-dir = true\n")
    spoke("install", "alpha", "--python", str(env.python), env={**FILES_ON, **extra})
    assert (env.site_packages / "alpha-1.0.dist-info").is_dir()
    assert _cached_files(hermetic) == []


def test_no_cache_dir_leaves_no_temporary_cache_behind(spoke, venv, indexes, tmp_path) -> None:
    # Regression: the context that starts the interpreter probe was never closed, so its
    # temporary cache (--no-cache-dir) stayed in the temporary folder after every install.
    old, _new = indexes
    env = venv()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    spoke("install", "alpha", "--no-cache-dir", "--python", str(env.python), "-i", old.simple_url,
          env={**FILES_ON, "TMPDIR": str(tmp)})
    assert (env.site_packages / "alpha-1.0.dist-info").is_dir()
    assert list(tmp.iterdir()) == []


def test_cache_is_used_without_no_cache_dir(spoke, venv, indexes, hermetic) -> None:
    old, _new = indexes
    env = venv()
    spoke("install", "alpha", "--python", str(env.python), env={"PIP_INDEX_URL": old.simple_url})
    assert _cached_files(hermetic)  # the control for the test above


# ----------------------------------------------------------------------------- spoke config


def _without_env(listing: str) -> str:
    """pip's ``config --user list`` also shows its ``PIP_*`` variables (``:env:.key``)."""
    return "".join(line for line in listing.splitlines(keepends=True) if not line.startswith(":env:."))


def test_set_then_get_agrees_with_pip(spoke, venv, pip_in, hermetic) -> None:
    env = venv()
    url = "https://example.org/simple"
    result = spoke("config", "--python", str(env.python), "set", "global.index-url", url, env=FILES_ON)
    path = user_file(hermetic)
    assert f"Writing to {path}" in result.stderr
    assert result.stdout == ""
    assert spoke("config", "get", "global.index-url", env=FILES_ON).stdout == f"{url}\n"
    assert pip_in(env, "config", "get", "global.index-url", env=FILES_ON).stdout == f"{url}\n"


def test_pip_reads_what_spoke_wrote_and_spoke_reads_what_pip_wrote(spoke, venv, pip_in) -> None:
    env = venv()
    spoke("config", "--python", str(env.python), "set", "install.no-deps", "yes", env=FILES_ON)
    pip_in(env, "config", "set", "global.timeout", "7", env=FILES_ON)
    mine = spoke("config", "--python", str(env.python), "--user", "list", env=FILES_ON).stdout
    theirs = _without_env(pip_in(env, "config", "--user", "list", env=FILES_ON).stdout)
    assert mine == theirs == "global.timeout='7'\ninstall.no-deps='yes'\n"


def test_default_scope_is_the_site_file_when_it_exists_as_for_pip(spoke, venv, pip_in) -> None:
    env = venv()
    site = write(env.path / "pip.conf", "[global]\ntimeout = 3\n")
    ours = spoke("config", "--python", str(env.python), "set", "global.retries", "2", env=FILES_ON)
    assert f"Writing to {site}" in ours.stderr
    theirs = pip_in(env, "config", "set", "global.cert", "/x.pem", env=FILES_ON)
    assert str(site) in theirs.output
    assert spoke("config", "--python", str(env.python), "--site", "list", env=FILES_ON).stdout == (
        "global.cert='/x.pem'\nglobal.retries='2'\nglobal.timeout='3'\n"
    )


def test_unset_removes_the_key_for_pip_too(spoke, venv, pip_in, hermetic) -> None:
    env = venv()
    write(user_file(hermetic), "[global]\ntimeout = 3\nretries = 2\n")
    result = spoke("config", "--python", str(env.python), "--user", "unset", "global.timeout", env=FILES_ON)
    assert f"Writing to {user_file(hermetic)}" in result.stderr
    assert pip_in(env, "config", "get", "global.timeout", env=FILES_ON, check=1)
    assert pip_in(env, "config", "get", "global.retries", env=FILES_ON).stdout == "2\n"
    missing = spoke("config", "--user", "unset", "global.timeout", env=FILES_ON, check=1)
    assert "no such key" in missing.stderr and "Traceback" not in missing.stderr


def test_list_get_and_debug_mask_passwords(spoke, hermetic) -> None:
    write(user_file(hermetic), "[global]\nindex-url = https://me:s3cret@example.org/simple\n")
    extra = {**FILES_ON, "PIP_EXTRA_INDEX_URL": "https://you:hidden@example.com/simple"}
    for args in (("list",), ("get", "global.index-url"), ("debug",)):
        result = spoke("config", *args, env=extra)
        assert "s3cret" not in result.output and "hidden" not in result.output, args
        assert "https://me:****@example.org/simple" in result.stdout, args


def test_debug_names_every_file_pip_names_and_the_file_that_sets_a_value(spoke, venv, pip_in, hermetic) -> None:
    env = venv()
    path = write(user_file(hermetic), "[global]\nindex-url = https://example.org/simple\n")
    ours = spoke("config", "--python", str(env.python), "debug", env={**FILES_ON, "PIP_TIMEOUT": "5"}).stdout
    theirs = pip_in(env, "config", "debug", env={**FILES_ON, "PIP_TIMEOUT": "5"}).stdout
    lines = ours.splitlines()
    assert f"  {path}, exists: True" in lines
    assert lines[lines.index(f"  {path}, exists: True") + 1] == "    global.index-url: https://example.org/simple"
    assert "  PIP_TIMEOUT='5'" in lines and lines[0] == "env_var:"
    # Every file pip lists, spoke lists with the same existence.
    pip_files = {line for line in theirs.splitlines() if ", exists: " in line}
    assert pip_files and pip_files <= set(lines)
    spoke_toml = Path(hermetic["XDG_CONFIG_HOME"]) / "spoke" / "spoke.toml"
    assert f"  {spoke_toml}, exists: False" in lines
    # Under the hermetic default (PIP_CONFIG_FILE=os.devnull) files are listed as not loaded.
    off = spoke("config", "--python", str(env.python), "debug").stdout
    assert f"  {path}, exists: True, not loaded: PIP_CONFIG_FILE is os.devnull" in off.splitlines()


def _editor(tmp_path: Path) -> Path:
    script = tmp_path / "fake-editor"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "with open(sys.argv[-1], 'a') as f:\n    f.write('[global]\\ntimeout = 42\\n')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.mark.skipif(os.name == "nt", reason="a shebang script as the editor")
def test_edit_runs_the_editor_on_the_file_creating_its_folder(spoke, hermetic, tmp_path) -> None:
    editor = _editor(tmp_path)
    path = user_file(hermetic)
    assert not path.parent.exists()
    spoke("config", "--user", "edit", env={**FILES_ON, "EDITOR": str(editor), "VISUAL": None})
    assert path.read_text() == "[global]\ntimeout = 42\n"
    assert spoke("config", "get", "global.timeout", env=FILES_ON).stdout == "42\n"


@pytest.mark.skipif(os.name == "nt", reason="`false` as the editor")
def test_edit_errors_without_an_editor_or_when_it_fails(spoke, tmp_path) -> None:
    editor = _editor(tmp_path)
    # --editor beats EDITOR; a failing editor is an error, not a traceback.
    failed = spoke("config", "--user", "edit", "--editor", "false", env={**FILES_ON, "EDITOR": str(editor)},
                   check=1)
    assert "exited with code 1" in failed.stderr and "Traceback" not in failed.stderr
    none = spoke("config", "--user", "edit", env={**FILES_ON, "EDITOR": None, "VISUAL": None}, check=1)
    assert "editor" in none.stderr and "hint:" in none.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ((), 2, "Need an action"),
        (("frobnicate",), 2, "Unknown action `frobnicate`"),
        (("get",), 2, "takes KEY"),
        (("set", "global.timeout"), 2, "takes KEY VALUE"),
        (("get", "timeout"), 1, "perhaps you wanted to use `global.timeout`"),
        (("get", "global.nothing"), 1, "no such key"),
        (("--global", "--user", "list"), 2, "Need exactly one file"),
    ],
)
def test_errors_have_a_message_a_hint_and_no_traceback(spoke, args, code, message) -> None:
    result = spoke("config", *args, env=FILES_ON, check=code)
    assert message in result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_read_only_actions_write_nothing(spoke, hermetic, tmp_path) -> None:
    from tests.functional.conftest import snapshot

    write(user_file(hermetic), "[global]\ntimeout = 3\n")
    before = snapshot(tmp_path / "home"), snapshot(tmp_path / "xdg-config")
    for args in (("list",), ("get", "global.timeout"), ("debug",)):
        spoke("config", *args, env=FILES_ON)
    assert (snapshot(tmp_path / "home"), snapshot(tmp_path / "xdg-config")) == before


def test_site_config_of_a_venv_named_by_python_applies(spoke, index, venv) -> None:
    from tests.support.packages import Pkg

    old = index(Pkg("sitecfg", "1.0"))
    new = index(Pkg("sitecfg", "2.0"))
    env = venv()
    (env.path / "pip.conf").write_text(f"[global]\nindex-url = {new.simple_url}\n")
    files_on = {"PIP_CONFIG_FILE": None}  # the hermetic default (os.devnull) turns every file off
    result = spoke("install", "sitecfg", "--dry-run", "--python", str(env.python), env=files_on)
    assert "+ sitecfg==2.0" in result.stderr
    # The command line still wins over the site file.
    result = spoke("install", "sitecfg", "--dry-run", "--python", str(env.python), "-i", old.simple_url,
                   env=files_on)
    assert "+ sitecfg==1.0" in result.stderr
