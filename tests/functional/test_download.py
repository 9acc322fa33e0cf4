"""``spoke download`` through the CLI against the local index (issue 13, first part)."""

from __future__ import annotations

import hashlib

from tests.functional.test_sources import build_index, wheels_of_backends  # noqa: F401
from tests.support.packages import Pkg

PKGS = (
    Pkg("alpha", "2.0", deps=("beta>=2", "srconly")),
    Pkg("beta", "2.1"),
    Pkg("srconly", "1.0", sdist=True, wheel=False),  # only an sdist: its metadata comes from a build
)


def files(folder) -> set[str]:  # noqa: ANN001
    return {p.name for p in folder.iterdir()}


def test_download_saves_the_index_files_and_a_second_run_fetches_nothing(spoke, build_index, tmp_path) -> None:  # noqa: F811
    server = build_index(*PKGS)
    dest = tmp_path / "wheels"
    result = spoke("download", "alpha", "-d", str(dest), "-i", server.simple_url)
    assert files(dest) == {"alpha-2.0-py3-none-any.whl", "beta-2.1-py3-none-any.whl", "srconly-1.0.tar.gz"}
    assert "Successfully downloaded alpha-2.0 beta-2.1 srconly-1.0" in result.stderr, result.describe()
    for name in files(dest):  # as the index publishes them, byte for byte
        assert hashlib.sha256((dest / name).read_bytes()).hexdigest() == server.sha256(name), name
    server.clear_log()
    again = spoke("download", "alpha", "-d", str(dest), "-i", server.simple_url)
    assert again.stderr.count("File was already downloaded") == 3, again.describe()
    assert not [r for r in server.requests if r.path.startswith("/files/")]  # not one file fetched


def test_a_wrong_file_in_the_folder_is_replaced_and_nothing_partial_is_left(spoke, index, tmp_path) -> None:
    server = index(Pkg("beta", "2.1"))
    dest = tmp_path / "wheels"
    dest.mkdir()
    (dest / "beta-2.1-py3-none-any.whl").write_bytes(b"not the wheel")
    spoke("download", "beta", "-d", str(dest), "-i", server.simple_url, "--no-cache-dir")
    data = (dest / "beta-2.1-py3-none-any.whl").read_bytes()
    assert data != b"not the wheel"
    assert hashlib.sha256(data).hexdigest() == server.sha256("beta-2.1-py3-none-any.whl")
    assert files(dest) == {"beta-2.1-py3-none-any.whl"}  # no temporary file left


def test_the_wheelhouse_installs_offline(spoke, index, venv, tmp_path) -> None:
    server = index(Pkg("alpha", "2.0", deps=("beta>=2",)), Pkg("beta", "2.1"))
    work = tmp_path / "work"
    spoke("download", "alpha", "-d", "local-packages", "-i", server.simple_url)
    server.close()  # no index from here on
    (work / "requirements.txt").write_text("--find-links ./local-packages\n--only-binary :all:\nalpha\n")
    env = venv()
    spoke("install", "--python", str(env.python), "--no-index", "-r", "requirements.txt")
    assert {p.name for p in env.site_packages.glob("*.dist-info")} == {"alpha-2.0.dist-info", "beta-2.1.dist-info"}


def test_bad_destination_and_no_requirement_are_clear_errors(spoke, index, tmp_path) -> None:
    server = index(Pkg("beta", "2.1"))
    a_file = tmp_path / "file"
    a_file.write_text("x")
    result = spoke("download", "beta", "-d", str(a_file), "-i", server.simple_url, check=False)
    assert result.returncode == 1 and "it is a file, not a folder" in result.stderr, result.describe()
    assert "Traceback" not in result.output
    empty = spoke("download", check=False)
    assert empty.returncode == 2 and "at least one requirement" in empty.stderr


def test_a_file_that_does_not_match_the_index_hash_is_not_saved(spoke, index, tmp_path) -> None:
    server = index(Pkg("beta", "2.1"))
    name = "beta-2.1-py3-none-any.whl"
    server.corrupt(f"/files/{name}", exact=True, times=None)
    dest = tmp_path / "wheels"
    result = spoke("download", "beta", "-d", str(dest), "-i", server.simple_url, "--no-cache-dir", check=False)
    assert result.returncode == 1 and f"Hash mismatch for {name}" in result.stderr, result.describe()
    assert "Traceback" not in result.output
    assert files(dest) == set()  # nothing partial, nothing unverified


def test_a_project_folder_and_a_git_checkout_are_saved_as_their_sdists(spoke, build_index, tmp_path) -> None:  # noqa: F811
    import tarfile

    from tests.support.projects import git_repo, write_project

    server = build_index(Pkg("beta", "2.1"))
    folder = write_project(tmp_path / "mine", "mine", "0.1", deps=("beta",))
    repo = write_project(tmp_path / "repo", "gitpkg", "1.0")
    git_repo(repo)
    dest = tmp_path / "out"
    result = spoke("download", str(folder), f"gitpkg @ git+{repo.as_uri()}", "-d", str(dest),
                   "-i", server.simple_url)
    assert files(dest) == {"mine-0.1.tar.gz", "gitpkg-1.0.tar.gz", "beta-2.1-py3-none-any.whl"}, result.describe()
    assert "built as an sdist" in result.stderr
    with tarfile.open(dest / "mine-0.1.tar.gz") as tar:  # a real sdist (PKG-INFO), not a zip of the tree
        assert "mine-0.1/PKG-INFO" in tar.getnames()
    # The saved sdist installs like any other (here: its wheel builds from it).
    wheel = spoke("wheel", str(dest / "gitpkg-1.0.tar.gz"), "-w", str(tmp_path / "w"), "-i", server.simple_url)
    assert files(tmp_path / "w") == {"gitpkg-1.0-py3-none-any.whl"}, wheel.describe()
    # Once the checkout's wheel is in the build cache (resolving then needs no checkout), the
    # sdist still comes from a fresh checkout.
    spoke("wheel", f"gitpkg @ git+{repo.as_uri()}", "--no-deps", "-w", str(tmp_path / "w2"), "-i", server.simple_url)
    (dest / "gitpkg-1.0.tar.gz").unlink()
    again = spoke("download", f"gitpkg @ git+{repo.as_uri()}", "-d", str(dest), "--no-deps", "-i", server.simple_url)
    assert "gitpkg-1.0.tar.gz (built as an sdist" in again.stderr, again.describe()
    assert (dest / "gitpkg-1.0.tar.gz").is_file()
