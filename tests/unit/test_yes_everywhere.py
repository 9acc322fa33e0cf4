"""``-y/--yes`` is accepted by every command that changes an environment (scripts written for
``pip uninstall -y`` keep working), and ``--no-input`` by every command."""

from __future__ import annotations

import pytest

from spoke.cli.main import build_parser

CHANGING = ["install", "upgrade", "uninstall", "sync", "autoremove", "rollback", "audit", "self", "venv",
            "build", "compile"]


@pytest.mark.parametrize("command", CHANGING)
def test_yes_is_accepted(command: str) -> None:
    _parser, subs = build_parser(only=command)
    flags = {flag for action in subs[command]._actions for flag in action.option_strings}
    assert {"-y", "--yes", "--no-input"} <= flags, command
