"""``spoke sync`` through the CLI (issue 14): the environment made exactly the pinned file."""

from __future__ import annotations

from tests.support.packages import Pkg

PKGS = (Pkg("alpha", "1.0"), Pkg("alpha", "2.0"), Pkg("beta", "1.0", deps=("alpha",)), Pkg("gamma", "1.0"),
        Pkg("pip", "24.0"), Pkg("setuptools", "80.0"))


def frozen(spoke, env) -> str:  # noqa: ANN001
    return spoke("freeze", "--all", "--python", str(env.python)).stdout


def test_installs_changes_removes_in_one_transaction(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    py = ("--python", str(env.python), "-i", server.simple_url)
    spoke("install", *py, "alpha==1.0", "gamma", "setuptools")
    pins = tmp_path / "requirements.txt"
    pins.write_text("alpha==2.0\nbeta==1.0\n")
    dry = spoke("sync", *py, str(pins), "--dry-run")
    assert "gamma" in dry.stderr and frozen(spoke, env) == "alpha==1.0\ngamma==1.0\nsetuptools==80.0\n"
    result = spoke("sync", *py, str(pins))
    # gamma removed, alpha changed, beta added; setuptools kept (pip-sync's rule: never removed unless listed)
    assert frozen(spoke, env) == "alpha==2.0\nbeta==1.0\nsetuptools==80.0\n", result.describe()
    history = spoke("history", "--python", str(env.python)).stdout
    spoke("rollback", "--python", str(env.python), "-i", server.simple_url)
    assert frozen(spoke, env) == "alpha==1.0\ngamma==1.0\nsetuptools==80.0\n", history
    again = spoke("sync", *py, str(pins))
    noop = spoke("sync", *py, str(pins))
    assert "Audited" in noop.stderr and "already satisfied" in noop.stderr, (again.describe(), noop.describe())


def test_unpinned_lines_hashes_and_bad_input(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    py = ("--python", str(env.python), "-i", server.simple_url)
    spoke("install", *py, "gamma")
    loose = tmp_path / "loose.txt"
    loose.write_text("alpha>=1\ngamma==1.0\n")
    refused = spoke("sync", *py, str(loose), check=False)
    assert refused.returncode == 1 and "`alpha>=1`" in refused.stderr and "spoke compile" in refused.stderr
    assert frozen(spoke, env) == "gamma==1.0\n"  # nothing changed
    wrong = tmp_path / "hashed.txt"
    wrong.write_text("alpha==1.0 --hash=sha256:" + "0" * 64 + "\n")
    bad_hash = spoke("sync", *py, str(wrong), check=False)
    assert bad_hash.returncode == 1 and frozen(spoke, env) == "gamma==1.0\n", bad_hash.describe()
    good = tmp_path / "good.txt"
    good.write_text(f"alpha==1.0 --hash=sha256:{server.sha256('alpha-1.0-py3-none-any.whl')}\n")
    spoke("sync", *py, str(good))
    assert frozen(spoke, env) == "alpha==1.0\n"
    missing = spoke("sync", *py, str(tmp_path / "nope.txt"), check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_ask_reads_the_answer(spoke, index, venv, tmp_path) -> None:
    server = index(*PKGS)
    env = venv()
    py = ("--python", str(env.python), "-i", server.simple_url)
    pins = tmp_path / "requirements.txt"
    pins.write_text("gamma==1.0\n")
    no = spoke("sync", *py, str(pins), "--ask", input="n\n", check=False)
    assert no.returncode == 1 and "Nothing changed" in no.stderr and frozen(spoke, env) == ""
    spoke("sync", *py, str(pins), "-a", input="y\n")
    assert frozen(spoke, env) == "gamma==1.0\n"


def test_ask_and_no_input_together_are_refused(spoke, tmp_path) -> None:
    pins = tmp_path / "requirements.txt"
    pins.write_text("six==1.16.0\n")
    result = spoke("sync", "-a", "--no-input", str(pins), check=2)
    assert "--no-input forbids asking" in result.stderr
