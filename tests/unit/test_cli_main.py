"""The dispatcher finds the command without building every subparser."""

from __future__ import annotations

import pytest

from spoke.cli.main import _command_in, build_parser


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["install", "x"], "install"),
        (["-v", "install", "x"], "install"),
        (["--python", "/venv", "list"], "list"),
        (["--python=/venv", "-i", "http://x/simple", "freeze"], "freeze"),
        (["remove", "x"], "uninstall"),
        (["--help"], None),
        (["bogus"], None),
        ([], None),
    ],
)
def test_command_is_found_past_global_options(argv: list[str], command: str | None) -> None:
    assert _command_in(argv) == command


def test_full_parser_still_knows_every_command() -> None:
    _, subs = build_parser()
    assert {"install", "uninstall", "list", "show", "freeze", "check", "config", "venv"} <= set(subs)
    _, only = build_parser(only="show")
    assert set(only) == {"show"}
