"""checkout(): real git against repositories made in tmp_path (no network, no global config).

The origin repository (made once per module, never changed by a test)::

    c1 ── c2 ── c4        main (default branch); tag v1.0 (annotated) on c1,
            \\                                  c2 adds sub/project/
             c3            feature

A test that deletes or rewrites its origin works on a copy (:func:`own_origin`).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from spoke.errors import VcsError
from spoke.vcs import Checkout, checkout, parse_vcs_url

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git_environ(home: Path) -> dict[str, str]:
    """A hermetic environment: no system or global git config, a fixed identity, and local
    (file://) submodules allowed, as the tests' submodule lives on disk."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "LANG": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Spoke Tests",
        "GIT_AUTHOR_EMAIL": "tests@spoke.invalid",
        "GIT_COMMITTER_NAME": "Spoke Tests",
        "GIT_COMMITTER_EMAIL": "tests@spoke.invalid",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "protocol.file.allow",
        "GIT_CONFIG_VALUE_0": "always",
    }


def git(env: dict[str, str], cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def commit_file(env: dict[str, str], repo: Path, name: str, text: str, message: str) -> str:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(env, repo, "add", name)
    git(env, repo, "commit", "--quiet", "-m", message)
    return git(env, repo, "rev-parse", "HEAD")


class Origin:
    """The module's origin repository and the commits the tests name."""

    def __init__(self, root: Path) -> None:
        self.env = git_environ(root / "home")
        (root / "home").mkdir()
        self.path = root / "origin"
        self.path.mkdir()
        env, repo = self.env, self.path
        git(env, repo, "init", "--quiet", "--initial-branch=main")
        self.c1 = commit_file(env, repo, "pyproject.toml", "[project]\nname = 'demo'\n", "c1")
        git(env, repo, "tag", "-a", "v1.0", "-m", "release 1.0")
        self.c2 = commit_file(env, repo, "sub/project/pyproject.toml", "[project]\nname = 'sub'\n", "c2")
        git(env, repo, "checkout", "--quiet", "-b", "feature")
        self.c3 = commit_file(env, repo, "feature.txt", "feature\n", "c3")
        git(env, repo, "checkout", "--quiet", "main")
        self.c4 = commit_file(env, repo, "main.txt", "main\n", "c4")

    @property
    def url(self) -> str:
        return f"git+{self.path.as_uri()}"


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    return Origin(tmp_path_factory.mktemp("vcs-origin"))


@pytest.fixture
def env(origin: Origin) -> dict[str, str]:
    return dict(origin.env)


def own_origin(origin: Origin, tmp_path: Path) -> Path:
    """A copy of the origin this test may change or delete."""
    copy = tmp_path / "own-origin"
    shutil.copytree(origin.path, copy, symlinks=True)
    return copy


def fetch(url: str, tmp_path: Path, env: dict[str, str], dest: str = "dest", **kwargs: object) -> Checkout:
    return checkout(parse_vcs_url(url), tmp_path / "cache", tmp_path / dest, environ=env, **kwargs)  # type: ignore[arg-type]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- revisions ------------------------------------------------------------------------------


def test_default_branch(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    got = fetch(origin.url, tmp_path, env)
    assert got.commit_id == origin.c4
    assert got.requested_revision is None
    assert got.branch == "main"
    assert got.path == got.root == tmp_path / "dest"
    assert (got.path / "main.txt").read_text() == "main\n"
    # A real working checkout, on the default branch, its origin the repository's URL.
    assert git(env, got.root, "rev-parse", "HEAD") == origin.c4
    assert git(env, got.root, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(env, got.root, "remote", "get-url", "origin") == origin.path.as_uri()
    assert git(env, got.root, "status", "--porcelain") == ""


def test_branch(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    got = fetch(f"{origin.url}@feature", tmp_path, env)
    assert (got.commit_id, got.branch, got.requested_revision) == (origin.c3, "feature", "feature")
    assert (got.path / "feature.txt").is_file() and not (got.path / "main.txt").exists()
    assert git(env, got.root, "rev-parse", "--abbrev-ref", "feature@{upstream}") == "origin/feature"


def test_tag(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    got = fetch(f"{origin.url}@v1.0", tmp_path, env)
    assert (got.commit_id, got.branch, got.requested_revision) == (origin.c1, None, "v1.0")
    assert not (got.path / "sub").exists()
    assert git(env, got.root, "rev-parse", "HEAD") == origin.c1  # the commit, not the tag object


@pytest.mark.parametrize("length", [40, 12, 7])
def test_commit(origin: Origin, tmp_path: Path, env: dict[str, str], length: int) -> None:
    got = fetch(f"{origin.url}@{origin.c2[:length]}", tmp_path, env)
    assert got.commit_id == origin.c2
    assert got.branch is None
    assert got.requested_revision == origin.c2[:length]
    assert git(env, got.root, "rev-parse", "HEAD") == origin.c2


def test_full_ref(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    repo = own_origin(origin, tmp_path)
    git(env, repo, "update-ref", "refs/pull/7/head", origin.c3)
    got = fetch(f"git+{repo.as_uri()}@refs/pull/7/head", tmp_path, env)
    assert got.commit_id == origin.c3


def test_subdirectory(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    got = fetch(f"{origin.url}@main#egg=sub&subdirectory=sub/project", tmp_path, env)
    assert got.root == tmp_path / "dest"
    assert got.path == got.root / "sub" / "project"
    assert (got.path / "pyproject.toml").is_file()


def test_dest_may_be_an_empty_folder(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "dest").mkdir()
    assert fetch(origin.url, tmp_path, env).commit_id == origin.c4


def test_submodules(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    git(env, lib, "init", "--quiet", "--initial-branch=main")
    commit_file(env, lib, "lib.txt", "lib\n", "lib")
    superproject = own_origin(origin, tmp_path)
    git(env, superproject, "submodule", "--quiet", "add", lib.as_uri(), "vendor/lib")
    git(env, superproject, "commit", "--quiet", "-m", "add lib")
    got = fetch(f"git+{superproject.as_uri()}", tmp_path, env)
    assert (got.root / "vendor" / "lib" / "lib.txt").read_text() == "lib\n"
    moved = shutil.move(str(got.root), str(tmp_path / "moved"))  # renamed into place: paths are relative
    assert git(env, Path(moved) / "vendor" / "lib", "status", "--porcelain") == ""


# --- the mirror -------------------------------------------------------------------------------


def test_second_checkout_uses_the_mirror_offline(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    repo = own_origin(origin, tmp_path)
    url = f"git+{repo.as_uri()}"
    first = fetch(url, tmp_path, env, dest="one")
    shutil.rmtree(repo)  # the origin is gone: only the mirror can answer now
    lines: list[str] = []
    again = fetch(f"{url}@{first.commit_id}", tmp_path, env, dest="two", log=lines.append)
    assert again.commit_id == first.commit_id
    assert not any(" fetch " in line or "ls-remote" in line for line in lines)
    assert any("not fetching" in line for line in lines)
    # A tag or an abbreviated commit the mirror holds is used when the fetch fails ...
    assert fetch(f"{url}@v1.0", tmp_path, env, dest="three").commit_id == origin.c1
    assert fetch(f"{url}@{origin.c3[:8]}", tmp_path, env, dest="four").commit_id == origin.c3
    # ... but a branch is never served stale.
    with pytest.raises(VcsError, match="Cannot fetch"):
        fetch(f"{url}@feature", tmp_path, env, dest="five")
    assert not (tmp_path / "five").exists()


def test_commit_kept_after_upstream_deletes_its_branch(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    repo = own_origin(origin, tmp_path)
    url = f"git+{repo.as_uri()}"
    assert fetch(f"{url}@feature", tmp_path, env, dest="one").commit_id == origin.c3
    git(env, repo, "branch", "--quiet", "-D", "feature")
    git(env, repo, "reflog", "expire", "--expire=now", "--all")
    git(env, repo, "gc", "--quiet", "--prune=now")
    assert fetch(f"{url}@{origin.c3}", tmp_path, env, dest="two").commit_id == origin.c3
    mirror = next((tmp_path / "cache").glob("*.git"))
    assert git(env, mirror, "for-each-ref", "--format=%(refname)", "refs/spoke/commits/") != ""


def test_fetches_new_commits(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    repo = own_origin(origin, tmp_path)
    url = f"git+{repo.as_uri()}"
    assert fetch(url, tmp_path, env, dest="one").commit_id == origin.c4
    c5 = commit_file(env, repo, "five.txt", "5\n", "c5")
    assert fetch(url, tmp_path, env, dest="two").commit_id == c5
    assert fetch(f"{url}@main", tmp_path, env, dest="three").commit_id == c5
    assert len(list((tmp_path / "cache").glob("*.git"))) == 1


def test_concurrent_checkouts_share_one_mirror(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    results: dict[int, object] = {}

    def work(i: int) -> None:
        try:
            results[i] = fetch(f"{origin.url}@feature", tmp_path, env, dest=f"d{i}").commit_id
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {0: origin.c3, 1: origin.c3, 2: origin.c3}


# --- failures -------------------------------------------------------------------------------


def test_unknown_revision(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(VcsError) as info:
        fetch(f"{origin.url}@nope", tmp_path, env)
    assert info.value.message == f"There is no branch, tag or commit named `nope` in `{origin.url}`"
    assert not (tmp_path / "dest").exists()
    assert leftovers(tmp_path) == []


def test_unknown_commit(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(VcsError, match="no branch, tag or commit named `deadbeef"):
        fetch(f"{origin.url}@{'deadbeef' * 5}", tmp_path, env)
    with pytest.raises(VcsError) as info:
        fetch(f"{origin.url}@abcdef0", tmp_path, env)
    assert info.value.hint is not None and "more digits" in info.value.hint


def test_missing_subdirectory_leaves_nothing(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(VcsError) as info:
        fetch(f"{origin.url}@v1.0#subdirectory=sub/project", tmp_path, env)
    assert info.value.message == f"There is no folder `sub/project` in `{origin.url}` at commit {origin.c1}"
    assert not (tmp_path / "dest").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("rev", ["", "@main"])
def test_unreachable_repository(tmp_path: Path, env: dict[str, str], rev: str) -> None:
    url = f"git+{(tmp_path / 'missing').as_uri()}{rev}"
    with pytest.raises(VcsError) as info:
        fetch(url, tmp_path, env)
    assert info.value.message.startswith(("Cannot reach the git repository", "Cannot fetch the git repository"))
    assert f"`git+{(tmp_path / 'missing').as_uri()}`" in info.value.message
    assert info.value.notes and all(note.startswith("git: ") for note in info.value.notes)
    assert not (tmp_path / "dest").exists()


def test_missing_git(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    env["PATH"] = ""
    with pytest.raises(VcsError) as info:
        fetch(origin.url, tmp_path, env)
    assert "git is not installed" in info.value.message
    assert info.value.hint is not None and "Install git" in info.value.hint


def test_dest_taken(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "keep.txt").write_text("mine")
    with pytest.raises(VcsError, match="already exists"):
        fetch(origin.url, tmp_path, env)
    assert (tmp_path / "dest" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("vcs", ["hg", "svn", "bzr"])
def test_only_git(tmp_path: Path, env: dict[str, str], vcs: str) -> None:
    with pytest.raises(VcsError, match=f"supports only git repositories, not {vcs}"):
        fetch(f"{vcs}+https://host/repo", tmp_path, env)


def test_git_variables_of_another_repository_are_ignored(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    env["GIT_DIR"] = str(tmp_path / "elsewhere")
    env["GIT_WORK_TREE"] = str(tmp_path)
    assert fetch(origin.url, tmp_path, env).commit_id == origin.c4


def test_runner_is_injected(origin: Origin, tmp_path: Path, env: dict[str, str]) -> None:
    seen: list[list[str]] = []

    def runner(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        seen.append(args)
        assert kwargs["env"]["GIT_TERMINAL_PROMPT"] == "0"  # type: ignore[index]
        return subprocess.run(args, check=False, **{k: v for k, v in kwargs.items() if k != 'check'})  # type: ignore[call-overload, no-any-return]

    fetch(origin.url, tmp_path, env, runner=runner)
    assert any("ls-remote" in args for args in seen) and any("clone" in args for args in seen)


# --- credentials ----------------------------------------------------------------------------


def test_credentials_never_in_errors(tmp_path: Path, env: dict[str, str]) -> None:
    for url in ("git+https://user:hunter22@127.0.0.1:1/repo.git",
                "git+https://user:hunter22@127.0.0.1:1/repo.git@v1",
                "git+https://TOKEN123@127.0.0.1:1/repo.git@v1"):
        lines: list[str] = []
        with pytest.raises(VcsError) as info:
            fetch(url, tmp_path, env, log=lines.append)
        shown = "\n".join([info.value.message, info.value.hint or "", *info.value.notes, *lines, str(info.value)])
        assert "hunter22" not in shown and "TOKEN123" not in shown
        assert "127.0.0.1:1/repo.git" in info.value.message


@pytest.fixture
def dumb_http(origin: Origin, tmp_path: Path) -> Iterator[str]:
    """The origin served over git's dumb HTTP protocol by a static file server; the server
    ignores the credentials the URL carries."""
    served = tmp_path / "served"
    served.mkdir()
    subprocess.run(["git", "clone", "--quiet", "--bare", str(origin.path), str(served / "repo.git")],
                   env=origin.env, check=True, capture_output=True)
    git(origin.env, served / "repo.git", "update-server-info")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_credentials_never_written(origin: Origin, tmp_path: Path, env: dict[str, str], dumb_http: str) -> None:
    url = f"git+http://user:hunter22@{dumb_http}/repo.git"
    got = fetch(f"{url}@feature", tmp_path, env)
    assert got.commit_id == origin.c3
    again = fetch(url, tmp_path, env, dest="again")  # the default branch: ls-remote, fetch
    assert again.commit_id == origin.c4
    assert git(env, got.root, "remote", "get-url", "origin") == f"http://{dumb_http}/repo.git"
    for folder in (tmp_path / "cache", got.root, again.root):
        for path in folder.rglob("*"):
            if path.is_file():
                assert b"hunter22" not in path.read_bytes(), path
