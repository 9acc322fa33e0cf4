"""Installing from a PEP 751 lock: ``spoke install -r pylock.toml`` and ``spoke sync pylock.toml``
install the locked files (marker and tags chosen by ``packaging.pylock``), hashes checked, nothing
resolved."""

from __future__ import annotations

from tests.support.packages import Pkg

PACKAGES = [
    Pkg("alpha", "1.0", deps=("never-asked",)),  # a lock is complete: its deps are not resolved
    Pkg("beta", "2.0"),
    Pkg("gamma", "3.0"),
    Pkg("delta", "1.0"),
]


def _wheel(server, filename: str, *, sha256: str | None = None) -> str:  # noqa: ANN001
    digest = sha256 or server.sha256(filename)
    return (f'[[packages.wheels]]\nname = "{filename}"\nurl = "{server.file_url(filename)}"\n'
            f'hashes = {{sha256 = "{digest}"}}\n')


def _lock(server, *, alpha_hash: str | None = None, requires_python: str = ">=3.8") -> str:  # noqa: ANN001
    return (
        f'lock-version = "1.0"\ncreated-by = "a test"\nrequires-python = "{requires_python}"\n\n'
        '[[packages]]\nname = "alpha"\nversion = "1.0"\n' + _wheel(server, "alpha-1.0-py3-none-any.whl",
                                                                 sha256=alpha_hash) + "\n"
        # A wheel for another platform first: the tags decide, not the order.
        '[[packages]]\nname = "beta"\nversion = "2.0"\n'
        '[[packages.wheels]]\nname = "beta-2.0-cp27-cp27m-win32.whl"\nurl = "https://example.invalid/beta.whl"\n'
        'hashes = {sha256 = "' + "0" * 64 + '"}\n' + _wheel(server, "beta-2.0-py3-none-any.whl") + "\n"
        '[[packages]]\nname = "gamma"\nversion = "3.0"\nmarker = "sys_platform == \'nonesuch\'"\n'
        + _wheel(server, "gamma-3.0-py3-none-any.whl")
    )


def _installed(env) -> set[str]:  # noqa: ANN001
    return {p.name for p in env.site_packages.glob("*.dist-info")}


def test_install_and_sync_a_lock(spoke, index, venv, tmp_path) -> None:
    server = index(*PACKAGES)
    lock = tmp_path / "pylock.toml"
    lock.write_text(_lock(server))
    env = venv()
    spoke("install", "--python", str(env.python), "-r", str(lock))
    assert _installed(env) == {"alpha-1.0.dist-info", "beta-2.0.dist-info"}
    assert not [p for p in server.paths() if p.startswith("/simple/")]  # nothing resolved
    # sync: what the lock does not name goes, in one transaction.
    spoke("install", "--python", str(env.python), "-i", server.simple_url, "delta")
    synced = spoke("sync", str(lock), "--python", str(env.python))
    assert _installed(env) == {"alpha-1.0.dist-info", "beta-2.0.dist-info"}, synced.describe()
    assert "delta" in synced.stderr


def test_a_lock_that_does_not_fit_or_lies_changes_nothing(spoke, index, venv, tmp_path) -> None:
    server = index(*PACKAGES)
    env = venv()
    lock = tmp_path / "pylock.toml"
    lock.write_text(_lock(server, alpha_hash="1" * 64))
    tampered = spoke("install", "--python", str(env.python), "-r", str(lock), check=1)
    assert "alpha" in tampered.stderr and "hash" in tampered.stderr.lower(), tampered.describe()
    assert _installed(env) == set()
    lock.write_text(_lock(server, requires_python=">=4"))
    elsewhere = spoke("install", "--python", str(env.python), "-r", str(lock), check=1)
    assert "has nothing to install into this environment" in elsewhere.stderr, elsewhere.describe()
    assert _installed(env) == set()
    mixed = spoke("install", "--python", str(env.python), "-r", str(lock), "delta", check=2)
    assert "A lock file is installed on its own" in mixed.stderr
    download = spoke("download", "-r", str(lock), "-d", str(tmp_path / "d"), check=2)
    assert "is a lock file" in download.stderr
    bad = tmp_path / "pylock.bad.toml"
    bad.write_text('lock-version = "1.0"\n[[packages]]\nversion = "1"\n')
    invalid = spoke("sync", str(bad), "--python", str(env.python), check=1)
    assert "is not a valid PEP 751 lock file" in invalid.stderr, invalid.describe()
