"""``spoke index versions NAME``: pip's output and JSON, for the target, against a local index."""

from __future__ import annotations

import json

from tests.support.packages import Pkg

PKGS = (
    Pkg("multi", "1.0"), Pkg("multi", "1.5"), Pkg("multi", "2.0"),
    Pkg("multi", "2.1", yanked="broken"),  # left out, as pip leaves it
    Pkg("multi", "3.0rc1"),  # only with --pre
    Pkg("multi", "3.0", requires_python=">=4"),  # not for this Python
    Pkg("multi", "4.0", tag="cp27-cp27m-win32"),  # not for this platform
)


def test_versions_for_the_target_with_the_installed_one(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    args = ("--python", str(env.python), "-i", server.simple_url)
    out = spoke("index", "versions", "multi", *args).stdout
    assert out == "multi (2.0)\nAvailable versions: 2.0, 1.5, 1.0\n"
    spoke("install", "multi==1.5", *args)
    out = spoke("index", "versions", "multi", *args).stdout
    assert out.splitlines()[-2:] == ["  INSTALLED: 1.5", "  LATEST:    2.0"]
    pre = spoke("index", "versions", "multi", "--pre", "--json", *args).stdout
    assert json.loads(pre) == {"name": "multi", "versions": ["3.0rc1", "2.0", "1.5", "1.0"], "latest": "3.0rc1",
                               "installed_version": "1.5"}


def test_unknown_project_and_bad_usage_are_clear_errors(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    args = ("--python", str(env.python), "-i", server.simple_url)
    missing = spoke("index", "versions", "nothere", *args, check=False)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr, missing.describe()
    assert "nothere" in missing.stderr and "hint:" in missing.stderr
    usage = spoke("index", "multi", *args, check=False)
    assert usage.returncode == 2 and "versions NAME" in usage.stderr, usage.describe()
