"""The option table: complete for the commands the CLI builds, consistent, and pip's keys."""

from __future__ import annotations

import pytest

from spoke.config.options import (
    GLOBAL,
    OPTIONS,
    normalize_key,
    option_for_dest,
    option_for_key,
    options_for,
)
from spoke.config.values import convert, strtobool
from spoke.errors import ConfigurationError

COMMANDS = ("install", "uninstall", "venv", "list", "freeze")

EXPECTED_FLAGS = {
    "install": [
        "-v", "--verbose", "-q", "--quiet", "--python", "--system", "--break-system-packages",
        "--cache-dir", "--no-cache-dir", "-i", "--index-url", "--extra-index-url", "-f",
        "--find-links", "--no-index", "--index-strategy", "--timeout", "--retries", "--proxy",
        "--cert", "--client-cert", "--trusted-host", "--no-color", "--isolated", "--no-input",
        "--disable-pip-version-check", "--require-virtualenv",
        "-r", "--requirement", "-c", "--constraint", "-U", "--upgrade", "--upgrade-strategy",
        "--force-reinstall", "-I", "--ignore-installed", "--no-deps", "--pre", "--dry-run",
        "-t", "--target", "--prefix", "--user", "--root", "--report", "--no-binary",
        "--only-binary", "--prefer-binary", "--require-hashes", "--compile", "--no-compile",
        "--no-warn-script-location", "--no-warn-conflicts", "--link-mode", "-e", "--editable",
        "--no-build-isolation", "-C", "--config-settings", "--upgrade-all",
    ],
    "uninstall": ["-r", "--requirement", "-y", "--yes", "--dry-run", "--index-url"],
    "venv": ["--seed", "--prompt", "--system-site-packages", "--clear", "--python"],
}


def _all_flags(command: str) -> list[str]:
    flags: list[str] = []
    for option in options_for(command):
        flags.extend(option.flags)
        if option.negative_flag:
            flags.append(option.negative_flag)
    return flags


@pytest.mark.parametrize("command", sorted(EXPECTED_FLAGS))
def test_every_flag_the_cli_needs_is_declared(command: str) -> None:
    missing = set(EXPECTED_FLAGS[command]) - set(_all_flags(command))
    assert not missing


@pytest.mark.parametrize("command", COMMANDS)
def test_flags_keys_and_dests_are_unique_per_command(command: str) -> None:
    flags = _all_flags(command)
    assert len(flags) == len(set(flags))
    keys = [key for option in options_for(command) for key in option.keys]
    assert len(keys) == len(set(keys))
    dests = [option.dest for option in options_for(command)]
    assert len(dests) == len(set(dests))


def test_options_are_well_formed() -> None:
    for option in OPTIONS:
        assert option.dest.isidentifier(), option
        assert option.help and "\n" not in option.help, option
        assert all(flag.startswith("-") for flag in option.flags), option
        if option.kind == "choice":
            assert option.default in option.choices, option
        if option.kind == "bool":
            assert isinstance(option.default, bool), option
        else:
            assert option.negative_flag is None and not option.pip_quirk, option
        if option.kind == "list":
            assert option.default == (), option
        if option.negative_flag:
            assert option.negative_flag.startswith("--no-"), option


def test_global_options_apply_to_every_command_and_others_only_to_theirs() -> None:
    index_url = option_for_dest("index_url", "whatever")
    assert index_url is not None and index_url.commands is GLOBAL
    assert option_for_dest("seed", "venv") is not None
    assert option_for_dest("seed", "install") is None
    assert option_for_dest("upgrade", "uninstall") is None
    # One name, two commands, two help lines.
    install_r = option_for_dest("requirements", "install")
    uninstall_r = option_for_dest("requirements", "uninstall")
    assert install_r is not None and uninstall_r is not None
    assert install_r.help != uninstall_r.help


def test_keys_come_from_long_flags_negative_flag_and_config_keys() -> None:
    timeout = option_for_dest("timeout", "install")
    assert timeout is not None
    assert timeout.keys == ("timeout", "default-timeout")
    assert timeout.env_names("PIP_") == ("PIP_TIMEOUT", "PIP_DEFAULT_TIMEOUT")
    assert timeout.env_names("SPOKE_") == ("SPOKE_TIMEOUT", "SPOKE_DEFAULT_TIMEOUT")
    compile_ = option_for_dest("compile", "install")
    assert compile_ is not None and compile_.keys == ("compile", "no-compile")
    isolated = option_for_dest("isolated", "install")
    assert isolated is not None and "PIP_ISOLATED_MODE" in isolated.env_names("PIP_")
    assert option_for_dest("clear", "venv").env_names("PIP_") == ()  # type: ignore[union-attr]


def test_keys_are_normalized_as_pip_does() -> None:
    assert normalize_key("--Index_URL") == "index-url"
    assert option_for_key("INDEX_URL", "install") is option_for_dest("index_url", "install")
    assert option_for_key("no_dependencies", "install") is option_for_dest("no_deps", "install")
    assert option_for_key("no-such-thing", "install") is None
    assert option_for_key("seed", "install") is None


@pytest.mark.parametrize(
    ("word", "expected"),
    [("yes", True), ("Y", True), ("true", True), ("on", True), ("1", True), ("t", True),
     ("no", False), ("N", False), ("False", False), ("off", False), ("0", False), ("f", False)],
)
def test_strtobool_accepts_pips_words(word: str, expected: bool) -> None:
    assert strtobool(word) is expected


def test_strtobool_rejects_other_words() -> None:
    with pytest.raises(ValueError):
        strtobool("maybe")


def _option(dest: str, command: str = "install"):  # noqa: ANN202 - test helper
    option = option_for_dest(dest, command)
    assert option is not None
    return option


def test_counts_take_booleans_or_non_negative_integers() -> None:
    verbose = _option("verbose")
    assert convert(verbose, "true", key="verbose", where="x") == 1
    assert convert(verbose, "no", key="verbose", where="x") == 0
    assert convert(verbose, "3", key="verbose", where="x") == 3
    assert convert(verbose, 2, key="verbose", where="x") == 2
    with pytest.raises(ConfigurationError, match="verbose"):
        convert(verbose, "-1", key="verbose", where="x")


def test_lists_split_on_whitespace_and_newlines() -> None:
    find_links = _option("find_links")
    assert convert(find_links, "\na\n  b c\n", key="find-links", where="x") == ("a", "b", "c")
    assert convert(find_links, ["a b"], key="find-links", where="x") == ("a b",)


@pytest.mark.parametrize(
    ("dest", "key", "raw", "pip_rules", "expected"),
    [
        # pip stores a --no-x key's value into x: "no-compile = no" means do not compile.
        ("compile", "no-compile", "no", True, False),
        ("compile", "no-compile", "yes", True, True),
        ("compile", "no-compile", "yes", False, False),
        ("compile", "compile", "yes", True, True),
        # pip's documented inversion: falsy values turn these no-* flags on.
        ("no_warn_script_location", "no-warn-script-location", "false", True, True),
        ("no_warn_script_location", "no-warn-script-location", "true", True, False),
        ("no_warn_script_location", "no-warn-script-location", "true", False, True),
        ("no_build_isolation", "no-build-isolation", "0", True, True),
        ("no_warn_conflicts", "no-warn-conflicts", "off", True, True),
        # any valid value disables the cache in pip.
        ("no_cache_dir", "no-cache-dir", "false", True, True),
        ("no_cache_dir", "no-cache-dir", "false", False, False),
        # plain no-* options mean what they say.
        ("no_deps", "no-deps", "yes", True, True),
        ("no_index", "no-index", "false", True, False),
    ],
)
def test_pip_reads_no_star_booleans_its_own_way(
    dest: str, key: str, raw: str, pip_rules: bool, expected: bool
) -> None:
    assert convert(_option(dest), raw, key=key, where="x", pip_rules=pip_rules) is expected


def test_no_cache_dir_still_rejects_a_non_boolean() -> None:
    with pytest.raises(ConfigurationError, match="no-cache-dir"):
        convert(_option("no_cache_dir"), "sometimes", key="no-cache-dir", where="x",
                pip_rules=True)


def test_bad_values_name_key_and_source() -> None:
    with pytest.raises(ConfigurationError) as info:
        convert(_option("timeout"), "abc", key="timeout", where="/etc/pip.conf [global]")
    assert "`timeout`" in info.value.message and "/etc/pip.conf [global]" in info.value.message
    assert info.value.hint and "number" in info.value.hint
    with pytest.raises(ConfigurationError) as info:
        convert(_option("link_mode"), "symlink", key="link-mode", where="here")
    assert info.value.hint and "hardlink" in info.value.hint
    with pytest.raises(ConfigurationError):
        convert(_option("retries"), 2.5, key="retries", where="spoke.toml [global]")
    with pytest.raises(ConfigurationError):
        convert(_option("timeout"), "nan", key="timeout", where="x")
