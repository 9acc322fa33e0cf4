"""`spoke config`: set/get/unset round trips in a temporary home, list, edit and debug."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from spoke.config import ConfigCommand, load_settings
from spoke.errors import ConfigurationError


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def _command(tmp_path: Path, home: Path, **env: str) -> ConfigCommand:
    return ConfigCommand(
        environ={"HOME": str(home), **env},
        site_config=tmp_path / "venv" / "pip.conf",
        platform="linux",
        system_root=tmp_path / "system",
    )


def test_set_get_unset_round_trip_in_the_user_file(tmp_path: Path, home: Path) -> None:
    config = _command(tmp_path, home)
    path = config.set("global.index_url", "http://example/simple")
    assert path == home / ".config" / "pip" / "pip.conf"
    assert config.get("global.index-url") == "http://example/simple"
    config.set("install.no-deps", "yes")

    # The file stays readable by pip's own parser.
    parser = configparser.RawConfigParser()
    parser.read(path)
    assert parser.get("global", "index-url") == "http://example/simple"
    assert parser.get("install", "no-deps") == "yes"

    # ... and by spoke's settings.
    settings = load_settings("install", {}, config.environ, platform="linux",
                             system_root=tmp_path / "system")
    assert settings.index_url == "http://example/simple" and settings.no_deps is True

    assert config.unset("install.no_deps") == path
    assert "install" not in path.read_text()
    with pytest.raises(ConfigurationError, match="no such key"):
        config.get("install.no-deps")
    with pytest.raises(ConfigurationError, match="no such key"):
        config.unset("install.no-deps")


def test_set_replaces_every_spelling_of_a_key(tmp_path: Path, home: Path) -> None:
    config = _command(tmp_path, home)
    path = home / ".config" / "pip" / "pip.conf"
    path.parent.mkdir(parents=True)
    path.write_text("[global]\nindex_url = http://old\ntimeout = 3\n")
    config.set("global.index-url", "http://new")
    parser = configparser.RawConfigParser()
    parser.read(path)
    assert dict(parser.items("global")) == {"timeout": "3", "index-url": "http://new"}


def test_keys_need_a_section(tmp_path: Path, home: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        _command(tmp_path, home).get("index-url")
    assert info.value.hint and "global.index-url" in info.value.hint


def test_scopes_pick_their_files(tmp_path: Path, home: Path) -> None:
    config = _command(tmp_path, home)
    site = tmp_path / "venv" / "pip.conf"
    assert config.file_to_modify("global") == tmp_path / "system" / "etc" / "pip.conf"
    assert config.file_to_modify("user") == home / ".config" / "pip" / "pip.conf"
    assert config.file_to_modify("site") == site
    assert config.file_to_modify() == home / ".config" / "pip" / "pip.conf"
    assert config.set("global.timeout", "5", scope="site") == site
    # pip's rule: with no scope, an existing site file is the one changed.
    assert config.file_to_modify() == site
    assert config.get("global.timeout", scope="site") == "5"
    with pytest.raises(ConfigurationError):
        config.get("global.timeout", scope="user")
    no_target = ConfigCommand(environ={"HOME": str(home)}, platform="linux")
    with pytest.raises(ConfigurationError, match="site"):
        no_target.file_to_modify("site")


def test_get_takes_the_last_file_that_sets_the_key(tmp_path: Path, home: Path) -> None:
    config = _command(tmp_path, home)
    config.set("global.retries", "1", scope="global")
    config.set("global.retries", "2", scope="user")
    assert config.get("global.retries") == "2"
    assert config.get("global.retries", scope="global") == "1"


def test_list_shows_files_unknown_keys_and_pip_variables(tmp_path: Path, home: Path) -> None:
    config = _command(tmp_path, home, PIP_NO_INPUT="1", OTHER="x")
    config.set("global.index-url", "http://u", scope="user")
    config.set("global.unknown-key", "kept", scope="user")
    config.set("install.timeout", "3", scope="global")
    assert config.list() == (
        (":env:.no-input", "1"),
        ("global.index-url", "http://u"),
        ("global.unknown-key", "kept"),
        ("install.timeout", "3"),
    )
    assert config.list(scope="global") == (("install.timeout", "3"),)


def test_edit_names_the_file_and_the_editor(tmp_path: Path, home: Path) -> None:
    target = _command(tmp_path, home, EDITOR="vi", VISUAL="code").edit()
    assert target.path == home / ".config" / "pip" / "pip.conf" and target.editor == "code"
    assert _command(tmp_path, home, EDITOR="vi").edit("global").editor == "vi"
    assert _command(tmp_path, home).edit().editor is None


def test_debug_lists_every_file_in_load_order_and_the_variables(
    tmp_path: Path, home: Path
) -> None:
    extra = tmp_path / "extra.conf"
    extra.write_text("[global]\nretries = 9\n")
    config = _command(tmp_path, home, PIP_CONFIG_FILE=str(extra), SPOKE_TIMEOUT="3", PATH="/b")
    config.set("install.pre", "yes", scope="global")
    report = config.debug()
    assert [(f.variant, f.exists) for f in report.files] == [
        ("global", False), ("global", True), ("user", False), ("user", False),
        ("site", False), ("env", True), ("spoke", False),
    ]
    assert report.files[1].entries == (("install", "pre", "yes"),)
    assert report.files[5].entries == (("global", "retries", "9"),)
    # pip skips user files when PIP_CONFIG_FILE exists; debug says so.
    assert all(f.skipped for f in report.files if f.variant == "user")
    assert report.variables == (("PIP_CONFIG_FILE", str(extra)), ("SPOKE_TIMEOUT", "3"))


def test_writing_the_global_file_without_rights_is_a_clear_error(
    tmp_path: Path, home: Path
) -> None:
    system = tmp_path / "system"
    system.mkdir()
    (system / "etc").write_text("not a folder")
    config = _command(tmp_path, home)
    with pytest.raises(ConfigurationError, match="cannot write") as info:
        config.set("global.timeout", "1", scope="global")
    assert info.value.hint and "--user" in info.value.hint
