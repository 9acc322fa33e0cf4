"""Bad input and failures: one clear line and a hint, exit code 1, no traceback, nothing changed."""

from __future__ import annotations

import pytest

from tests.functional.conftest import snapshot
from tests.support.packages import Pkg

PKGS = [Pkg("alpha", "1.0", deps=("beta<2",)), Pkg("beta", "1.0"), Pkg("beta", "2.0"), Pkg("beta", "3.0")]


def assert_clean_failure(result, before, env) -> None:  # noqa: ANN001
    assert result.returncode == 1, result.describe()
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr and "hint:" in result.stderr
    assert snapshot(env.path) == before


@pytest.mark.parametrize("bad", ["foo>=", "foo[bar", "foo==1; python_version >"])
def test_malformed_requirement(spoke, venv, bad: str) -> None:
    env = venv()
    before = snapshot(env.path)
    result = spoke("install", bad, "--python", str(env.python), "-i", "http://127.0.0.1:9/simple/", check=False)
    assert_clean_failure(result, before, env)
    assert bad.split()[0] in result.stderr


def test_unknown_package(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    before = snapshot(env.path)
    result = spoke("install", "does-not-exist", "--python", str(env.python), "-i", server.simple_url, check=False)
    assert_clean_failure(result, before, env)
    assert "does-not-exist" in result.stderr


def test_version_that_does_not_exist_lists_nearest(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    before = snapshot(env.path)
    result = spoke("install", "beta==2.5", "--python", str(env.python), "-i", server.simple_url, check=False)
    assert_clean_failure(result, before, env)
    assert "1.0, 2.0, 3.0" in result.stderr


def test_conflict_is_explained(spoke, index, venv) -> None:
    server = index(*PKGS)
    env = venv()
    before = snapshot(env.path)
    result = spoke("install", "alpha", "beta>=2", "--python", str(env.python), "-i", server.simple_url, check=False)
    assert_clean_failure(result, before, env)
    assert "alpha" in result.stderr and "beta" in result.stderr and "ecause" in result.stderr


def test_unreachable_index(spoke, venv) -> None:
    env = venv()
    before = snapshot(env.path)
    result = spoke("install", "alpha", "--python", str(env.python), "-i", "http://127.0.0.1:9/simple/",
                   "--retries", "0", "--timeout", "2", check=False)
    assert_clean_failure(result, before, env)
    assert "127.0.0.1:9" in result.stderr


def test_hash_mismatch_installs_nothing(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    req = tmp_path / "r.txt"
    req.write_text("beta==1.0 --hash=sha256:" + "0" * 64 + "\n")
    before = snapshot(env.path)
    result = spoke(
        "install", "-r", str(req), "--no-deps", "--python", str(env.python), "-i", server.simple_url, check=False
    )
    assert_clean_failure(result, before, env)
    assert "beta-1.0-py3-none-any.whl" in result.stderr and "0" * 64 in result.stderr


def test_sdist_only_package_names_the_file(spoke, index, venv) -> None:
    server = index(Pkg("srconly", "1.0", sdist=True, wheel=False))
    env = venv()
    before = snapshot(env.path)
    result = spoke("install", "srconly", "--python", str(env.python), "-i", server.simple_url, check=False)
    assert_clean_failure(result, before, env)
    assert "srconly-1.0.tar.gz" in result.stderr


def test_no_environment_found(spoke, tmp_path) -> None:
    result = spoke("install", "alpha", cwd=tmp_path, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "spoke venv" in result.stderr


def test_externally_managed_interpreter_is_refused(spoke, tmp_path) -> None:
    import os

    python = "/usr/bin/python3.11"
    if not os.path.exists("/usr/lib/python3.11/EXTERNALLY-MANAGED"):
        pytest.skip("no externally managed interpreter on this machine")
    result = spoke("install", "alpha", "--python", python, "--system", "-i", "http://127.0.0.1:9/simple/", check=False)
    assert result.returncode == 1 and "externally" in result.stderr.lower()
    assert "--break-system-packages" in result.stderr


def test_system_interpreter_needs_system_flag(spoke, tmp_path) -> None:
    from tests.support.pythons import base_interpreter, find_python

    base = base_interpreter(find_python("3.12") or "python3")
    result = spoke("install", "alpha", "--python", base, "-i", "http://127.0.0.1:9/simple/", check=False)
    assert result.returncode == 1 and "--system" in result.stderr


def test_unknown_option_is_usage_error(spoke) -> None:
    result = spoke("install", "--frobnicate", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_install_without_arguments(spoke, venv) -> None:
    env = venv()
    result = spoke("install", "--python", str(env.python), check=False)
    assert result.returncode == 2 and "requirement" in result.stderr


def test_unwritable_target_is_a_clear_error(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    result = spoke("install", "beta==1.0", "--target", str(blocker / "sub"), "--python", str(env.python),
                   "-i", server.simple_url, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error:" in result.stderr and "hint:" in result.stderr


def test_a_quick_error_exit_never_crashes_the_process(spoke, venv) -> None:
    # Regression: spoke install starts building the TLS trust store and probing the target in
    # the background; a usage error moments later once ended in SIGSEGV (a daemon thread
    # inside OpenSSL during interpreter shutdown). Repeated, since it was a race.
    env = venv()
    codes = {spoke("install", "--python", str(env.python), check=False).returncode for _ in range(8)}
    assert codes == {2}


def test_a_request_that_would_break_an_installed_package(spoke, index, venv) -> None:
    server = index(Pkg("flask", "2.3", deps=("werkzeug<3",)), Pkg("flask", "3.0", deps=("werkzeug>=3",)),
                   Pkg("werkzeug", "2.3"), Pkg("werkzeug", "3.0"))
    env = venv()
    spoke("install", "flask", "--python", str(env.python), "-i", server.simple_url)
    before = snapshot(env.path)
    refused = spoke("install", "werkzeug<3", "--python", str(env.python), "-i", server.simple_url, check=False)
    assert_clean_failure(refused, before, env)
    assert "would break what is installed: flask 3.0 requires werkzeug>=3, and werkzeug 2.3 would be installed" \
        in refused.stderr, refused.describe()
    assert "spoke install 'werkzeug<3' flask" in refused.stderr
    # The joint request the hint gives moves flask to the version that allows it.
    spoke("install", "werkzeug<3", "flask", "--python", str(env.python), "-i", server.simple_url)
    assert {p.name for p in env.site_packages.glob("*.dist-info")} == {"flask-2.3.dist-info",
                                                                       "werkzeug-2.3.dist-info"}
    # --no-deps: the user gives the set; the breakage is said, not refused.
    forced = spoke("install", "--no-deps", "werkzeug==3.0", "--python", str(env.python), "-i", server.simple_url)
    assert "flask 2.3 requires werkzeug<3, and werkzeug 3.0 would be installed" in forced.stderr


def test_no_version_fits_names_each_reason_and_a_requirement_that_works(spoke, index, venv) -> None:
    server = index(Pkg("foo", "1.0"), Pkg("foo", "2.0"), Pkg("foo", "2.5"), Pkg("foo", "3.0", requires_python=">=4"),
                   Pkg("foo", "3.1rc1"))
    server.yank("foo-2.5-py3-none-any.whl", "broken build")
    env = venv()
    before = snapshot(env.path)
    result = spoke("install", "foo>2.0,<3.1", "--python", str(env.python), "-i", server.simple_url, check=False)
    assert_clean_failure(result, before, env)
    text = result.stderr
    assert "foo has versions for this target: 1.0, 2.0, 2.5 (yanked), 3.1rc1 (pre-release)" in text, text
    assert "foo 3.0 cannot be used: it requires Python >=4" in text
    assert "foo 2.5 is yanked (broken build): only an exact pin (`foo==2.5`) selects it" in text
    assert "`foo==2.0` is the newest version usable here" in text
    # And the pre-release the notes point at installs when the request names one (PEP 440).
    pre = spoke("install", "foo>=3.1.dev0,<3.2", "--python", str(env.python), "-i", server.simple_url, check=False)
    assert pre.returncode == 0, pre.describe()  # PEP 440: a range naming a pre-release admits it


def test_permission_denied_names_the_folder_before_anything_is_written(spoke, index, venv, tmp_path) -> None:
    import os
    from pathlib import Path

    server = index(*PKGS)
    env = venv()
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        target, folder = locked / "site", str(locked)
    elif os.path.isdir("/proc/sys") and not os.access("/proc/sys", os.W_OK):
        target, folder = Path("/proc/sys/spoke-test"), "/proc/sys"  # read-only even for root here
    else:
        pytest.skip("running as root with no read-only folder at hand, and an unprivileged user cannot run "
                    "this test's Python (it lives under /root)")
    result = spoke("install", "beta==1.0", "--target", str(target), "--python", str(env.python),
                   "-i", server.simple_url, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.describe()
    assert f"Permission denied: spoke cannot write to {folder}" in result.stderr
    assert "spoke venv && spoke install" in result.stderr
    assert not [p for p in server.paths() if p.startswith("/files/") and not p.endswith(".metadata")]
