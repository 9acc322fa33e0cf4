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


def test_ending_the_process_early_keeps_exit_handlers_output_and_code() -> None:
    import subprocess
    import sys

    script = (
        "import atexit, sys\n"
        "from spoke.cli.quick import end_now\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "sys.stdout.write('x' * 100000)\n"
        "sys.stderr.write('to stderr')\n"
        "end_now(3)\n"
        "print('never')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert done.stdout == "x" * 100000 + "handler ran\n"
    assert done.stderr == "to stderr"
