"""``spoke tree``, ``spoke why``, ``spoke autoremove`` and ``uninstall --with-unused-deps``."""

from __future__ import annotations

from tests.functional.conftest import snapshot
from tests.support.packages import Pkg

GRAPH = [
    Pkg("app", "1.0", deps=("lib>=1.0",)),
    Pkg("lib", "1.0", deps=("base",)),
    Pkg("base", "2.0"),
    Pkg("app2", "1.0", deps=("base>=2",)),
    Pkg("extra-user", "1.0", deps=("feat[fast]",)),
    Pkg("feat", "1.0", extras={"fast": ("speed>=1",)}),
    Pkg("speed", "1.5"),
]


def installed(env) -> set[str]:
    return {p.name.split("-")[0] for p in env.site_packages.glob("*.dist-info")}


def setup(spoke, index, venv, *names: str):
    server = index(*GRAPH)
    env = venv()
    spoke("install", *names, "--python", str(env.python), "-i", server.simple_url)
    return env


def test_tree_forward_reverse_and_depth(spoke, index, venv) -> None:
    env = setup(spoke, index, venv, "app", "app2")
    py = ("--python", str(env.python))
    assert spoke("tree", *py).stdout == (
        "app==1.0\n"
        "└── lib [required: >=1.0, installed: 1.0]\n"
        "    └── base [required: Any, installed: 2.0]\n"
        "app2==1.0\n"
        "└── base [required: >=2, installed: 2.0]\n"
    )
    assert spoke("tree", "app", "--depth", "1", *py).stdout == (
        "app==1.0\n"
        "└── lib [required: >=1.0, installed: 1.0]\n"
    )
    assert spoke("tree", "--reverse", *py).stdout == (
        "base==2.0\n"
        "├── app2==1.0 [requires: base>=2]\n"
        "└── lib==1.0 [requires: base]\n"
        "    └── app==1.0 [requires: lib>=1.0]\n"
    )
    assert spoke("tree", "BASE", "--reverse", "--depth", "0", *py).stdout == "base==2.0\n"


def test_tree_extras_and_missing(spoke, index, venv) -> None:
    env = setup(spoke, index, venv, "extra-user")
    py = ("--python", str(env.python))
    assert spoke("tree", *py).stdout == (
        "extra-user==1.0\n"
        "└── feat [required: Any, installed: 1.0]\n"
        "    └── speed [required: >=1, installed: 1.5, extra: fast]\n"
    )
    spoke("uninstall", "-y", "speed", *py)
    assert spoke("tree", "feat", *py).stdout == (
        "feat==1.0\n"
        "└── speed [required: >=1, installed: ?, extra: fast]\n"
    )


def test_tree_unknown_name_is_an_error(spoke, venv) -> None:
    env = venv()
    result = spoke("tree", "nope", "--python", str(env.python), check=1)
    assert "error: Package `nope` is not installed" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_why(spoke, index, venv, pip_in) -> None:
    env = setup(spoke, index, venv, "app", "app2")
    py = ("--python", str(env.python))
    # The first step of each reverse path agrees with pip's Required-by.
    reverse = spoke("tree", "base", "--reverse", "--depth", "1", *py).stdout
    parents = sorted(line.split("── ")[1].split("==")[0] for line in reverse.splitlines()[1:])
    assert f"Required-by: {', '.join(parents)}" in pip_in(env.python, "show", "base").stdout
    assert spoke("why", "base", *py).stdout == "app==1.0 → lib>=1.0 → base\napp2==1.0 → base>=2\n"
    result = spoke("why", "app", *py)
    assert result.stdout == ""
    assert "app is not required by any installed package (it was installed on request)" in result.stderr
    result = spoke("why", "nope", *py, check=1)
    assert "not installed" in result.stderr and "Traceback" not in result.stderr


def test_uninstall_with_unused_deps(spoke, index, venv, pip_in) -> None:
    env = setup(spoke, index, venv, "app", "app2")
    result = spoke("uninstall", "-y", "--with-unused-deps", "app", "--python", str(env.python))
    assert "- lib==1.0" in result.stderr and "base" not in result.stderr.split("Uninstalled")[1]
    assert installed(env) == {"app2", "base"}
    pip_in(env.python, "check")


def test_autoremove_keeps_requested(spoke, index, venv, pip_in) -> None:
    env = setup(spoke, index, venv, "app", "app2")
    py = ("--python", str(env.python))
    # Removing app alone leaves lib unused (base is still required by app2).
    spoke("uninstall", "-y", "app", *py)
    before = snapshot(env.path)
    result = spoke("autoremove", "--dry-run", *py)
    assert "Unused packages (1): lib==1.0" in result.stderr and "Would remove" in result.stderr
    assert snapshot(env.path) == before
    result = spoke("autoremove", "-y", *py)
    assert "- lib==1.0" in result.stderr
    assert installed(env) == {"app2", "base"}
    assert pip_in(env.python, "check").returncode == 0
    assert "Nothing to remove" in spoke("autoremove", "-y", *py).stderr


def test_autoremove_to_a_fixed_point(spoke, index, venv, pip_in) -> None:
    env = setup(spoke, index, venv, "app", "app2")
    py = ("--python", str(env.python))
    (env.site_packages / "app-1.0.dist-info" / "REQUESTED").unlink()
    result = spoke("autoremove", "-y", *py)
    assert "Unused packages (2): app==1.0, lib==1.0" in result.stderr
    assert installed(env) == {"app2", "base"}
    pip_in(env.python, "check")
