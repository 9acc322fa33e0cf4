"""load_settings: each step of precedence, pip's quirks, isolation, and errors naming sources."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from spoke.config import EnvironmentFacts, Settings, load_settings
from spoke.errors import ConfigurationError


class Sandbox:
    """A hermetic machine: a home, a system root and a venv, all under one temporary folder."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.system = root / "system"
        self.venv = root / "venv"
        for folder in (self.home, self.system, self.venv):
            folder.mkdir()
        self.global_file = self.system / "etc" / "pip.conf"
        self.xdg_global_file = self.system / "etc" / "xdg" / "pip" / "pip.conf"
        self.legacy_user_file = self.home / ".pip" / "pip.conf"
        self.user_file = self.home / ".config" / "pip" / "pip.conf"
        self.site_file = self.venv / "pip.conf"
        self.env_file = root / "env.conf"
        self.spoke_file = self.home / ".config" / "spoke" / "spoke.toml"

    def write(self, path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def load(
        self,
        command: str = "install",
        cli: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        environ = {"HOME": str(self.home), **(env or {})}
        return load_settings(
            command, cli or {}, environ, site_config=self.site_file, platform="linux",
            system_root=self.system,
        )


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


def test_defaults_when_nothing_is_configured(box: Sandbox) -> None:
    s = box.load()
    assert s.index_url == "https://pypi.org/simple"
    assert s.get("timeout") == 15.0 and s.retries == 5
    assert s.extra_index_urls == () and s.compile is False and s.verbose == 0
    assert s.source("index_url") == "default"
    assert s.command == "install" and not s.isolated


def test_each_file_overrides_the_one_loaded_before(box: Sandbox) -> None:
    box.write(box.xdg_global_file, "[global]\nretries = 1\ntimeout = 1\n")
    assert box.load().retries == 1
    box.write(box.global_file, "[global]\nretries = 2\n")
    s = box.load()
    assert s.retries == 2 and s.source("retries") == f"{box.global_file} [global]"
    assert s.source("timeout") == f"{box.xdg_global_file} [global]"
    box.write(box.legacy_user_file, "[global]\nretries = 3\n")
    assert box.load().retries == 3
    box.write(box.user_file, "[global]\nretries = 4\n")
    assert box.load().retries == 4
    box.write(box.site_file, "[global]\nretries = 5\n")
    assert box.load().source("retries") == f"{box.site_file} [global]"
    box.write(box.env_file, "[global]\nretries = 6\n")
    s = box.load(env={"PIP_CONFIG_FILE": str(box.env_file)})
    assert s.retries == 6 and s.source("retries") == f"{box.env_file} [global]"


def test_the_command_section_beats_global_in_any_file(box: Sandbox) -> None:
    box.write(box.global_file, "[install]\ntimeout = 7\n[uninstall]\ntimeout = 8\n")
    box.write(box.user_file, "[global]\ntimeout = 9\n")
    install = box.load("install")
    assert install.timeout == 7.0 and install.source("timeout") == f"{box.global_file} [install]"
    assert box.load("uninstall").timeout == 8.0
    assert box.load("venv").timeout == 9.0


def test_spoke_toml_beats_pip_files(box: Sandbox) -> None:
    box.write(box.site_file, "[install]\ntimeout = 1\nretries = 1\n")
    box.write(box.spoke_file, "[global]\ntimeout = 2.5\n[install]\nretries = 3\n")
    s = box.load()
    assert s.timeout == 2.5 and s.source("timeout") == f"{box.spoke_file} [global]"
    assert s.retries == 3 and s.source("retries") == f"{box.spoke_file} [install]"


def test_spoke_toml_values_mean_what_their_keys_say(box: Sandbox) -> None:
    box.write(box.spoke_file, '[install]\nno-compile = true\nno-cache-dir = false\n'
                              'find-links = ["a", "b c"]\nverbose = 2\n')
    s = box.load()
    assert s.compile is False and s.no_cache_dir is False
    assert s.find_links == ("a", "b c") and s.verbose == 2


def test_pip_variables_beat_files_and_spoke_variables_beat_pip_ones(box: Sandbox) -> None:
    box.write(box.spoke_file, '[global]\nindex-url = "http://toml"\n')
    assert box.load().index_url == "http://toml"
    s = box.load(env={"PIP_INDEX_URL": "http://pip"})
    assert s.index_url == "http://pip"
    assert s.source("index_url") == "environment variable PIP_INDEX_URL"
    s = box.load(env={"PIP_INDEX_URL": "http://pip", "SPOKE_INDEX_URL": "http://spoke"})
    assert s.index_url == "http://spoke"
    assert s.source("index_url") == "environment variable SPOKE_INDEX_URL"


def test_the_command_line_beats_everything(box: Sandbox) -> None:
    s = box.load(cli={"index_url": "http://cli", "timeout": 4},
                 env={"SPOKE_INDEX_URL": "http://spoke", "PIP_TIMEOUT": "9"})
    assert s.index_url == "http://cli" and s.source("index_url") == "command line"
    assert s.timeout == 4.0


def test_pip_default_timeout_is_honoured_and_pip_timeout_wins(box: Sandbox) -> None:
    s = box.load(env={"PIP_DEFAULT_TIMEOUT": "60"})
    assert s.timeout == 60.0
    assert s.source("timeout") == "environment variable PIP_DEFAULT_TIMEOUT"
    assert box.load(env={"PIP_DEFAULT_TIMEOUT": "60", "PIP_TIMEOUT": "30"}).timeout == 30.0
    box.write(box.user_file, "[global]\ndefault-timeout = 45\n")
    assert box.load().timeout == 45.0


def test_cache_dir_variables(box: Sandbox) -> None:
    s = box.load(env={"SPOKE_CACHE_DIR": "~/spoke-cache"})
    assert s.cache_dir == box.home / "spoke-cache"
    assert s.source("cache_dir") == "environment variable SPOKE_CACHE_DIR"
    assert box.load(env={"PIP_NO_CACHE_DIR": "false"}).no_cache_dir is True
    assert box.load(env={"SPOKE_NO_CACHE_DIR": "false"}).no_cache_dir is False


def test_boolean_words_and_pips_no_star_quirk_in_files(box: Sandbox) -> None:
    box.write(box.user_file, "[install]\nno-deps = yes\nno-compile = no\n"
                             "no-warn-script-location = false\nno-build-isolation = off\n"
                             "pre = on\nupgrade = 0\n")
    s = box.load()
    assert s.no_deps is True and s.pre is True and s.upgrade is False
    assert s.compile is False
    assert s.no_warn_script_location is True and s.no_build_isolation is True
    box.write(box.user_file, "[install]\nno-compile = yes\n")
    assert box.load().compile is True  # pip stores the value into --compile's destination


def test_lists_on_several_lines_and_the_command_line_adds_to_them(box: Sandbox) -> None:
    box.write(box.user_file, "[global]\nfind-links =\n    /wheels/a\n    /wheels/b\n"
                             "extra-index-url = http://one http://two\n")
    s = box.load()
    assert s.find_links == ("/wheels/a", "/wheels/b")
    assert s.extra_index_urls == ("http://one", "http://two")
    s = box.load(cli={"find_links": ["/wheels/c"]})
    assert s.find_links == ("/wheels/a", "/wheels/b", "/wheels/c")
    assert s.source("find_links").startswith("command line")
    assert str(box.user_file) in s.source("find_links")
    assert box.load(env={"PIP_FIND_LINKS": "x y"}).find_links == ("x", "y")


def test_counts_from_words_numbers_and_the_command_line(box: Sandbox) -> None:
    box.write(box.user_file, "[global]\nverbose = true\n")
    assert box.load().verbose == 1
    assert box.load(env={"PIP_VERBOSE": "2"}).verbose == 2
    assert box.load(cli={"verbose": 2}).verbose == 3
    assert box.load(cli={"quiet": 1}).quiet == 1


def test_empty_values_are_ignored(box: Sandbox) -> None:
    box.write(box.user_file, "[global]\nindex-url = http://file\ntimeout =\n")
    s = box.load(env={"PIP_INDEX_URL": "", "PIP_RETRIES": ""})
    assert s.index_url == "http://file" and s.timeout == 15.0 and s.retries == 5


def test_options_of_other_commands_are_ignored_in_global(box: Sandbox) -> None:
    box.write(box.user_file, "[global]\nlink-mode = bogus\nseed = maybe\ntypo-key = 1\n")
    s = box.load("uninstall")
    assert "link_mode" not in s.values and "seed" not in s.values
    assert s.ignored == (f"typo-key ({box.user_file} [global])",)
    with pytest.raises(ConfigurationError, match="link-mode"):
        box.load("install")


def test_isolated_ignores_variables_and_user_files(box: Sandbox) -> None:
    box.write(box.global_file, "[global]\nretries = 2\n")
    box.write(box.user_file, "[global]\nretries = 3\ntimeout = 3\n")
    box.write(box.spoke_file, "[global]\ntimeout = 4\n")
    box.write(box.site_file, "[global]\nproxy = http://site\n")
    env = {"PIP_INDEX_URL": "http://pip", "SPOKE_CERT": "/x.pem"}
    for s in (box.load(cli={"isolated": True}, env=env),
              box.load(env={**env, "PIP_ISOLATED_MODE": "1"})):
        assert s.isolated
        assert s.retries == 2 and s.timeout == 15.0 and s.proxy == "http://site"
        assert s.index_url == "https://pypi.org/simple" and s.cert is None
    assert box.load(env={**env, "PIP_ISOLATED_MODE": "0"}).index_url == "http://pip"
    s = box.load(env={"PIP_ISOLATED_MODE": "yes"})
    assert s.get("isolated") is True
    assert s.source("isolated") == "environment variable PIP_ISOLATED_MODE"
    box.write(box.user_file, "[global]\nisolated = true\n")
    s = box.load()
    assert s.isolated is False and s.get("isolated") is False


def test_no_option_hides_a_settings_field() -> None:
    from spoke.config import OPTIONS

    fields = {f.name for f in dataclasses.fields(Settings)} - {"isolated"}
    assert not fields & {option.dest for option in OPTIONS}


def test_pip_config_file_devnull_loads_no_file(box: Sandbox) -> None:
    for path in (box.global_file, box.user_file, box.site_file):
        box.write(path, "[global]\nretries = 1\n")
    box.write(box.spoke_file, "[global]\nretries = 2\n")
    s = box.load(env={"PIP_CONFIG_FILE": "/dev/null"})
    assert s.retries == 5 and s.source("retries") == "default"
    assert not any(f.loaded for f in s.files)


def test_bad_values_name_their_source(box: Sandbox) -> None:
    box.write(box.user_file, "[global]\ntimeout = abc\n")
    with pytest.raises(ConfigurationError) as info:
        box.load()
    assert "`timeout`" in info.value.message
    assert f"{box.user_file} [global]" in info.value.message
    box.user_file.unlink()
    with pytest.raises(ConfigurationError, match="environment variable PIP_RETRIES"):
        box.load(env={"PIP_RETRIES": "many"})
    with pytest.raises(ConfigurationError, match="SPOKE_INDEX_STRATEGY") as info:
        box.load(env={"SPOKE_INDEX_STRATEGY": "fastest"})
    assert info.value.hint and "unsafe-best-match" in info.value.hint
    with pytest.raises(ConfigurationError, match="PIP_ISOLATED_MODE"):
        box.load(env={"PIP_ISOLATED_MODE": "perhaps"})


def test_every_bad_value_is_reported_at_once(box: Sandbox) -> None:
    box.write(box.user_file, "[install]\ntimeout = abc\nretries = x\nlink-mode = soft\n")
    with pytest.raises(ConfigurationError) as info:
        box.load()
    text = " ".join((info.value.message, *info.value.notes))
    assert "`timeout`" in text and "`retries`" in text and "`link-mode`" in text


def test_settings_are_frozen_and_answer_by_attribute_or_get(box: Sandbox) -> None:
    s = box.load(cli={"packages": ["requests"]})
    assert s.packages == ["requests"] and s.source("packages") == "command line"
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.command = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="seed"):
        _ = s.seed
    with pytest.raises(KeyError):
        s.get("seed")
    assert s.get("seed", None) is None
    with pytest.raises(TypeError):
        s.values["index_url"] = "x"  # type: ignore[index]


def test_paths_expand_home_and_are_paths(box: Sandbox) -> None:
    box.write(box.user_file, "[install]\ntarget = ~/t\n[global]\ncert = /etc/ca.pem\n")
    s = box.load()
    assert s.target == box.home / "t" and s.cert == Path("/etc/ca.pem")


def test_environment_facts_are_read_once_here() -> None:
    facts = EnvironmentFacts.from_environ({
        "VIRTUAL_ENV": "/venv", "HTTPS_PROXY": "http://upper", "https_proxy": "http://lower",
        "no_proxy": "localhost", "NO_COLOR": "1", "FORCE_COLOR": "", "PATH": "/bin",
        "REQUESTS_CA_BUNDLE": "/ca.pem", "SSL_CERT_FILE": "/ssl.pem", "NETRC": "/n",
        "HOME": "/h", "EDITOR": "vi", "VISUAL": "code",
    })
    assert facts.virtual_env == "/venv" and facts.path == "/bin" and facts.home == "/h"
    assert facts.https_proxy == "http://lower" and facts.no_proxy == "localhost"
    assert facts.http_proxy is None
    assert facts.no_color is True and facts.force_color is False
    assert facts.requests_ca_bundle == "/ca.pem" and facts.ssl_cert_file == "/ssl.pem"
    assert facts.netrc == "/n" and facts.editor == "code"
    windows = EnvironmentFacts.from_environ({"USERPROFILE": "C:\\u", "HOME": "/h"},
                                            platform="win32")
    assert windows.home == "C:\\u"


def test_settings_carry_environment_facts_and_files(box: Sandbox) -> None:
    s = box.load(env={"VIRTUAL_ENV": "/venv"})
    assert s.environment.virtual_env == "/venv"
    assert [f.variant for f in s.files] == ["global", "global", "user", "user", "site", "spoke"]
