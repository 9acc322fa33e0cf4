"""The environment the tools run in carries no host configuration."""

import os
from pathlib import Path

from benchkit.hermetic import hermetic_env

HOST = {
    "PATH": "/usr/bin",
    "HOME": "/root",
    "PIP_FIND_LINKS": "/opt/wheels",
    "PIP_CONSTRAINT": "/etc/xdg/pip/constraints.txt",
    "UV_INDEX_URL": "http://mirror/simple",
    "SPOKE_CACHE_DIR": "/somewhere",
    "PYTHONPATH": "/odd",
    "PYTHONDONTWRITEBYTECODE": "1",
    "VIRTUAL_ENV": "/some/venv",
    "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
}


def test_tool_variables_are_dropped_and_config_files_switched_off():
    env = hermetic_env(HOST)
    tool_vars = {k: v for k, v in env.items() if k.startswith(("PIP_", "UV_", "SPOKE_"))}
    assert tool_vars == {
        "PIP_CONFIG_FILE": os.devnull,
        "UV_NO_CONFIG": "1",
        "SPOKE_CONFIG_FILE": os.devnull,
    }
    for key in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV"):
        assert key not in env


def test_machine_variables_are_kept():
    env = hermetic_env(HOST)
    assert env["PATH"] == "/usr/bin"
    assert env["HOME"] == "/root"
    assert env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"
    assert "XDG_CACHE_HOME" not in env


def test_xdg_cache_home_is_replaced_when_given(tmp_path: Path):
    env = hermetic_env({**HOST, "XDG_CACHE_HOME": "/root/.cache"}, xdg_cache_home=tmp_path)
    assert env["XDG_CACHE_HOME"] == str(tmp_path)


def test_the_input_is_left_alone():
    host = dict(HOST)
    hermetic_env(host)
    assert host == HOST
