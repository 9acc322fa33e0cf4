"""Where pip's files and spoke.toml are found, per platform, and how they are read."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from spoke.config.files import (
    SKIPPED_DEVNULL,
    SKIPPED_ISOLATED,
    SKIPPED_PIP_CONFIG_FILE,
    config_locations,
    load_config_files,
    read_config_file,
    site_config_path,
    spoke_user_dir,
)
from spoke.errors import ConfigurationError


def _never(_: str) -> bool:
    return False


def _paths(files, variant: str | None = None) -> list[str]:  # noqa: ANN001 - test helper
    return [str(f.path) for f in files if variant is None or f.variant == variant]


def test_linux_default_locations_in_load_order() -> None:
    files = config_locations({"HOME": "/home/u"}, platform="linux", exists=_never)
    assert [(f.variant, str(f.path)) for f in files] == [
        ("global", "/etc/xdg/pip/pip.conf"),
        ("global", "/etc/pip.conf"),
        ("user", "/home/u/.pip/pip.conf"),
        ("user", "/home/u/.config/pip/pip.conf"),
        ("spoke", "/home/u/.config/spoke/spoke.toml"),
    ]
    assert all(f.loaded for f in files)


def test_linux_xdg_variables_and_site_and_pip_config_file() -> None:
    environ = {
        "HOME": "/home/u",
        "XDG_CONFIG_DIRS": "/opt/a:/opt/b",
        "XDG_CONFIG_HOME": "/cfg",
        "PIP_CONFIG_FILE": "/tmp/extra.conf",
    }
    files = config_locations(
        environ, platform="linux", site_config=PurePosixPath("/venv/pip.conf"), exists=_never
    )
    assert _paths(files) == [
        "/opt/a/pip/pip.conf",
        "/opt/b/pip/pip.conf",
        "/etc/pip.conf",
        "/home/u/.pip/pip.conf",
        "/cfg/pip/pip.conf",
        "/venv/pip.conf",
        "/tmp/extra.conf",
        "/cfg/spoke/spoke.toml",
    ]
    assert [f.variant for f in files][-3:] == ["site", "env", "spoke"]


def test_system_root_reroots_only_global_files() -> None:
    files = config_locations(
        {"HOME": "/home/u"}, platform="linux", system_root="/sandbox", exists=_never
    )
    assert _paths(files, "global") == ["/sandbox/etc/xdg/pip/pip.conf", "/sandbox/etc/pip.conf"]
    assert _paths(files, "user")[0] == "/home/u/.pip/pip.conf"


def test_macos_locations_prefer_application_support_when_it_exists() -> None:
    environ = {"HOME": "/Users/u"}
    without = config_locations(environ, platform="darwin", exists=_never, is_dir=_never)
    assert _paths(without, "global") == ["/Library/Application Support/pip/pip.conf"]
    assert _paths(without, "user") == ["/Users/u/.pip/pip.conf", "/Users/u/.config/pip/pip.conf"]
    assert _paths(without, "spoke") == ["/Users/u/Library/Application Support/spoke/spoke.toml"]
    with_dir = config_locations(
        environ, platform="darwin", exists=_never,
        is_dir=lambda p: p == "/Users/u/Library/Application Support/pip",
    )
    assert _paths(with_dir, "user")[-1] == "/Users/u/Library/Application Support/pip/pip.conf"


def test_windows_locations() -> None:
    environ = {
        "USERPROFILE": "C:\\Users\\u",
        "APPDATA": "C:\\Users\\u\\AppData\\Roaming",
        "LOCALAPPDATA": "C:\\Users\\u\\AppData\\Local",
        "PROGRAMDATA": "D:\\ProgramData",
    }
    files = config_locations(environ, platform="win32", exists=_never)
    assert all(isinstance(f.path, PureWindowsPath) for f in files)
    assert _paths(files) == [
        "D:\\ProgramData\\pip\\pip.ini",
        "C:\\Users\\u\\pip\\pip.ini",
        "C:\\Users\\u\\AppData\\Roaming\\pip\\pip.ini",
        "C:\\Users\\u\\AppData\\Local\\spoke\\spoke.toml",
    ]
    defaults = config_locations({"USERPROFILE": "C:\\Users\\u"}, platform="win32",
                                exists=_never)
    assert _paths(defaults, "global") == ["C:\\ProgramData\\pip\\pip.ini"]
    assert _paths(defaults, "user")[-1] == "C:\\Users\\u\\AppData\\Roaming\\pip\\pip.ini"
    assert str(site_config_path("C:\\venv", platform="win32")) == "C:\\venv\\pip.ini"
    assert str(spoke_user_dir({"USERPROFILE": "C:\\u"}, platform="win32")) == (
        "C:\\u\\AppData\\Local\\spoke"
    )


def test_windows_devnull_is_nul() -> None:
    files = config_locations({"USERPROFILE": "C:\\u", "PIP_CONFIG_FILE": "NUL"},
                             platform="win32", exists=_never)
    assert all(f.skipped == SKIPPED_DEVNULL for f in files)


def test_site_config_path_on_posix() -> None:
    assert str(site_config_path("/venv", platform="linux")) == "/venv/pip.conf"


def test_pip_config_file_devnull_disables_every_file() -> None:
    files = config_locations(
        {"HOME": "/home/u", "PIP_CONFIG_FILE": "/dev/null"},
        platform="linux", site_config=PurePosixPath("/venv/pip.conf"), exists=_never,
    )
    assert files and all(f.skipped == SKIPPED_DEVNULL for f in files)
    assert "env" not in [f.variant for f in files]


def test_spoke_config_file_overrides_or_disables_spoke_toml() -> None:
    named = config_locations(
        {"HOME": "/h", "PIP_CONFIG_FILE": "/dev/null", "SPOKE_CONFIG_FILE": "/x/s.toml"},
        platform="linux", exists=_never,
    )
    spoke = [f for f in named if f.variant == "spoke"]
    assert [str(f.path) for f in spoke] == ["/x/s.toml"] and spoke[0].loaded
    disabled = config_locations({"HOME": "/h", "SPOKE_CONFIG_FILE": "/dev/null"},
                                platform="linux", exists=_never)
    assert "spoke" not in [f.variant for f in disabled]


def test_existing_pip_config_file_skips_user_files_as_pip_does() -> None:
    environ = {"HOME": "/h", "PIP_CONFIG_FILE": "/x/pip.conf"}
    present = config_locations(environ, platform="linux", exists=lambda p: p == "/x/pip.conf")
    assert {f.skipped for f in present if f.variant == "user"} == {SKIPPED_PIP_CONFIG_FILE}
    assert all(f.loaded for f in present if f.variant != "user")
    missing = config_locations(environ, platform="linux", exists=_never)
    assert all(f.loaded for f in missing)


def test_isolated_skips_user_files_and_default_spoke_toml() -> None:
    files = config_locations({"HOME": "/h"}, platform="linux", isolated=True, exists=_never)
    skipped = {f.variant for f in files if f.skipped == SKIPPED_ISOLATED}
    assert skipped == {"user", "spoke"}
    assert all(f.loaded for f in files if f.variant == "global")


def test_reading_normalizes_keys_and_keeps_sections(tmp_path: Path) -> None:
    home = tmp_path / "home"
    conf = home / ".config" / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[global]\nIndex_URL = http://x\n[install]\nno_deps = yes\n[freeze]\nall=1\n")
    files = load_config_files({"HOME": str(home)}, platform="linux",
                              system_root=tmp_path / "root")
    user = next(f for f in files if f.path == conf)
    assert user.exists and user.loaded
    assert user.entries == (
        ("global", "index-url", "http://x"),
        ("install", "no-deps", "yes"),
        ("freeze", "all", "1"),
    )
    assert user.section("install") == {"no-deps": "yes"}
    assert user.describe("global") == f"{conf} [global]"
    missing = [f for f in files if f.variant == "global"]
    assert missing and not any(f.exists for f in missing)


def test_a_broken_pip_file_is_an_error_naming_it(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("index-url = http://no-section\n")
    [candidate] = [f for f in config_locations({"HOME": str(tmp_path), "PIP_CONFIG_FILE":
                   str(conf)}, platform="linux", exists=_never) if f.variant == "env"]
    with pytest.raises(ConfigurationError, match=str(conf)):
        read_config_file(candidate)


def test_spoke_toml_is_read_with_native_values(tmp_path: Path) -> None:
    toml = tmp_path / "spoke.toml"
    toml.write_text('[global]\nindex_url = "http://t"\ntimeout = 3\n'
                    '[install]\nfind-links = ["a", "b"]\nno-deps = true\n')
    files = load_config_files({"HOME": str(tmp_path), "SPOKE_CONFIG_FILE": str(toml)},
                              platform="linux", system_root=tmp_path)
    [spoke] = [f for f in files if f.variant == "spoke"]
    assert spoke.is_toml and spoke.exists
    assert spoke.section("global") == {"index-url": "http://t", "timeout": 3}
    assert spoke.section("install") == {"find-links": ["a", "b"], "no-deps": True}


@pytest.mark.parametrize(
    ("text", "match"),
    [("timeout = 3\n", "outside any table"), ("[global\n", "cannot parse")],
)
def test_a_broken_spoke_toml_is_an_error_naming_it(tmp_path: Path, text: str, match: str) -> None:
    toml = tmp_path / "spoke.toml"
    toml.write_text(text)
    with pytest.raises(ConfigurationError, match=match) as info:
        load_config_files({"HOME": str(tmp_path), "SPOKE_CONFIG_FILE": str(toml)},
                          platform="linux", system_root=tmp_path)
    assert str(toml) in info.value.message
