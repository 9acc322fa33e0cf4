"""``spoke upgrade`` / ``spoke install --upgrade-all``: one joint resolution over the installed set."""

from __future__ import annotations

from tests.functional.conftest import snapshot
from tests.support.packages import Pkg

# a 1.0 needs b<2; a 2.0 allows b 2.x. Upgrading b alone (the naive loop's first step: b is
# outdated) would break a 1.0; the joint upgrade moves a and b together.
JOINT = [
    Pkg("a", "1.0", deps=("b<2",)),
    Pkg("a", "2.0", deps=("b<3",)),
    Pkg("b", "1.0"),
    Pkg("b", "2.0"),
    Pkg("x", "1.0"),
    Pkg("x", "2.0"),
]


def dist_infos(env) -> set[str]:
    return {p.name for p in env.site_packages.glob("*.dist-info")}


def setup(spoke, server, env, *pins: str) -> None:
    spoke("install", *pins, "--python", str(env.python), "-i", server.simple_url)


def test_joint_upgrade_keeps_every_requirement_satisfied(spoke, index, venv, pip_in) -> None:
    server = index(*JOINT)
    env = venv()
    setup(spoke, server, env, "a==1.0", "b==1.0", "x==1.0")
    result = spoke("upgrade", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"a-2.0.dist-info", "b-2.0.dist-info", "x-2.0.dist-info"}
    for line in ("- a==1.0", "+ a==2.0", "- b==1.0", "+ b==2.0", "+ x==2.0"):
        assert line in result.stderr, result.describe()
    assert "warning" not in result.stderr
    # The naive loop would have put b 2.0 next to a 1.0 (which needs b<2); ours is consistent.
    assert pip_in(env.python, "check").returncode == 0
    # Only what the user asked for originally stays "requested".
    assert (env.site_packages / "a-2.0.dist-info" / "REQUESTED").exists()


def test_held_back_is_reported_with_the_requirement_that_holds_it(spoke, index, venv, pip_in) -> None:
    server = index(*JOINT, Pkg("b", "3.0"), Pkg("c", "1.0", deps=("b<2.5",)))
    env = venv()
    setup(spoke, server, env, "a==1.0", "b==1.0", "c==1.0")
    result = spoke("upgrade", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"a-2.0.dist-info", "b-2.0.dist-info", "c-1.0.dist-info"}
    assert "warning: not upgrading b to 3.0 (b 2.0 chosen): a 2.0 requires b<3; c 1.0 requires b<2.5" \
        in result.stderr, result.describe()
    assert pip_in(env.python, "check").returncode == 0
    # pip agrees b 3.0 exists (it is what the naive loop would install, breaking a and c).
    outdated = pip_in(env.python, "list", "--outdated", "-i", server.simple_url).stdout
    assert "3.0" in outdated and "b" in outdated


def test_dry_run_changes_nothing(spoke, index, venv) -> None:
    server = index(*JOINT)
    env = venv()
    setup(spoke, server, env, "a==1.0", "b==1.0")
    before = snapshot(env.site_packages)
    result = spoke("upgrade", "--dry-run", "--python", str(env.python), "-i", server.simple_url)
    assert snapshot(env.site_packages) == before
    for line in ("- a==1.0", "+ a==2.0", "- b==1.0", "+ b==2.0"):
        assert line in result.stderr, result.describe()
    assert "x==" not in result.stderr  # not installed, not needed: not added


def test_nothing_outdated(spoke, index, venv) -> None:
    server = index(*JOINT)
    env = venv()
    setup(spoke, server, env, "a==2.0", "x==2.0")
    before = snapshot(env.site_packages)
    result = spoke("upgrade", "--python", str(env.python), "-i", server.simple_url)
    assert result.returncode == 0
    assert "Nothing to upgrade" in result.stderr
    assert snapshot(env.site_packages) == before


def test_never_downgrades_and_keeps_unknown_projects(spoke, index, venv) -> None:
    # b 2.0 installed from a first index; the second index only has b 1.0 and knows no `x`.
    first = index(*JOINT)
    env = venv()
    setup(spoke, first, env, "b==2.0", "x==1.0")
    second = index(Pkg("b", "1.0"), Pkg("a", "1.0", deps=("b<2",)))
    result = spoke("upgrade", "--python", str(env.python), "-i", second.simple_url)
    assert "Nothing to upgrade" in result.stderr, result.describe()
    assert dist_infos(env) == {"b-2.0.dist-info", "x-1.0.dist-info"}


def test_upgrade_named_only(spoke, index, venv, pip_in) -> None:
    server = index(*JOINT)
    env = venv()
    setup(spoke, server, env, "a==1.0", "b==1.0", "x==1.0")
    result = spoke("upgrade", "x", "--python", str(env.python), "-i", server.simple_url)
    assert "+ x==2.0" in result.stderr
    assert dist_infos(env) == {"a-1.0.dist-info", "b-1.0.dist-info", "x-2.0.dist-info"}
    assert pip_in(env.python, "check").returncode == 0
    # A name that is not installed is a clear error, not an install.
    missing = spoke("upgrade", "nothere", "--python", str(env.python), "-i", server.simple_url, check=1)
    assert "Cannot upgrade nothere: not installed" in missing.stderr
    assert "spoke install nothere" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_upgrade_all_with_a_new_name(spoke, index, venv, pip_in) -> None:
    server = index(*JOINT)
    env = venv()
    setup(spoke, server, env, "a==1.0", "b==1.0")
    result = spoke("install", "--upgrade-all", "x", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"a-2.0.dist-info", "b-2.0.dist-info", "x-2.0.dist-info"}, result.describe()
    assert (env.site_packages / "x-2.0.dist-info" / "REQUESTED").exists()
    assert pip_in(env.python, "check").returncode == 0


def test_direct_url_installs_are_left_as_they_are(spoke, index, venv) -> None:
    import json

    server = index(*JOINT)
    env = venv()
    setup(spoke, server, env, "x==1.0", "b==1.0")
    info = env.site_packages / "x-1.0.dist-info"
    (info / "direct_url.json").write_text(json.dumps({"url": "file:///wheels/x-1.0-py3-none-any.whl",
                                                      "archive_info": {}}))
    result = spoke("upgrade", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"x-1.0.dist-info", "b-2.0.dist-info"}, result.describe()
    assert "x==" not in result.stderr
