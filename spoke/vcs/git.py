"""Check out a git repository at a revision, through a cached bare mirror.

How a ``git+URL@rev`` becomes a project folder:

1. **Mirror.** Each repository has one bare mirror under the cache folder, named by a hash
   of its credential-free URL and guarded by a file lock, so concurrent spoke processes
   take turns. The first use fetches every branch and tag; later uses fetch again, which
   transfers only what is new. The URL (with any credentials) is given to ``git fetch`` on
   the command line and never stored in the mirror's config.
2. **Resolve.** A full commit id already in the mirror needs no network at all — that is
   what makes a pinned reinstall fast and possible offline. Otherwise, after the fetch, the
   revision is looked up as pip does: a branch first, then a tag, then a (possibly
   abbreviated) commit; a full ref (``refs/pull/1/head``) or a commit that no branch or tag
   holds is fetched on its own. No revision means the remote's default branch, asked with
   ``git ls-remote --symref``. If the fetch fails but the mirror already holds the named
   tag or commit, that copy is used (a branch is never served stale). Every resolved
   commit is kept under ``refs/spoke/commits/`` so ``git gc`` never drops it.
3. **Materialize.** The commit is cloned from the mirror (hard links when on the same file
   system) into a temporary sibling of ``dest``, checked out — on the branch when one was
   named or defaulted, like pip, detached otherwise — its submodules updated, the
   subdirectory checked, and only then renamed to ``dest``. A failure leaves no ``dest``.
   The result is a real working checkout: editable installs live in it and ``freeze`` reads
   its ``origin`` remote, which is the PEP 610 URL (no password).

git runs with ``GIT_TERMINAL_PROMPT=0`` (never wait on a password prompt) and with the
user's own configuration, because credential helpers, ``insteadOf`` rewrites and proxies
live there. Variables that would point git at another repository (``GIT_DIR``...) are
dropped. Nothing git prints reaches a message unredacted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from spoke.errors import VcsError
from spoke.net.redact import redact_text, strip_credentials
from spoke.vcs.url import VcsUrl, is_commit_id

Runner = Callable[..., "subprocess.CompletedProcess[str]"]
Log = Callable[[str], None]

# Variables that make git act on some other repository than the one it is pointed at
# (set, for example, when spoke runs from inside a git hook).
_REPOSITORY_VARIABLES = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_QUARANTINE_PATH",
    "GIT_PREFIX",
)
_BRANCHES_AND_TAGS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_NOTE_LINES = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkout:
    """A repository checked out at one commit."""

    path: Path
    """The project folder: the checkout's root, or its ``#subdirectory=`` inside it."""
    root: Path
    """The root of the git working tree (``dest``)."""
    commit_id: str
    """The full commit id checked out."""
    requested_revision: str | None = None
    """The ``@rev`` the URL named, ``None`` for the default branch (PEP 610)."""
    branch: str | None = None
    """The local branch the checkout is on, ``None`` when HEAD is detached."""


def checkout(
    vcs_url: VcsUrl,
    cache_dir: Path,
    dest: Path,
    *,
    environ: Mapping[str, str] | None = None,
    log: Log | None = None,
    runner: Runner = subprocess.run,
) -> Checkout:
    """Check ``vcs_url`` out into ``dest`` through a mirror kept in ``cache_dir``.

    ``dest`` must not exist (or be an empty folder); its parent is created. ``cache_dir``
    holds one ``<key>.git`` mirror and ``<key>.lock`` per repository; pass a versioned cache
    bucket. ``environ`` is the environment git runs with (``os.environ`` when ``None``; its
    ``PATH`` finds git). ``log`` receives one line per git command and decision (for ``-v``);
    ``runner`` runs the commands (``subprocess.run``'s signature).

    Raises :class:`~spoke.errors.VcsError` when the VCS is not git, git is missing, the
    repository cannot be fetched, the revision or subdirectory does not exist, or ``dest``
    is taken. On any failure ``dest`` is left as it was.
    """
    if vcs_url.vcs != "git":
        raise VcsError(
            f"Cannot check out `{vcs_url.shown}`: spoke supports only git repositories, "
            f"not {vcs_url.vcs}",
            hint="Install it from a git repository, a source archive or a local folder.",
        )
    dest = Path(dest)
    _check_dest(dest)
    git = _Git.find(vcs_url, environ=environ, log=log or _ignore, runner=runner)
    from filelock import FileLock

    from spoke.cache import key_for

    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = key_for(strip_credentials(vcs_url.repo_url))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        with FileLock(str(cache_dir / f"{key}.lock")):
            mirror = _Mirror(git, cache_dir / f"{key}.git", vcs_url)
            commit, branch = mirror.resolve()
            mirror.keep(commit)
            _clone(git, mirror.path, tmp, vcs_url, commit=commit, branch=branch)
        # The mirror is no longer needed: submodules are fetched without holding its lock.
        _finish(git, tmp, vcs_url, commit=commit)
        if dest.is_dir():
            dest.rmdir()  # empty, checked before anything began
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    path = dest / vcs_url.subdirectory if vcs_url.subdirectory else dest
    return Checkout(path=path, root=dest, commit_id=commit, requested_revision=vcs_url.rev,
                    branch=branch)


def checkout_origin(
    vcs_url: VcsUrl, path: Path, *, environ: Mapping[str, str] | None = None, runner: Runner = subprocess.run,
) -> str | None:
    """The ``origin`` URL of the git checkout at ``path`` (None when it is not one or has none)."""
    git = _Git.find(vcs_url, environ=environ, log=_ignore, runner=runner)
    proc = git.run("remote", "get-url", "origin", cwd=path)
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def _ignore(line: str) -> None:
    pass


def _check_dest(dest: Path) -> None:
    if dest.is_dir() and not any(dest.iterdir()):
        return
    if dest.exists() or dest.is_symlink():
        raise VcsError(f"Cannot check out into `{dest}`: it already exists",
                       hint="Remove it, or choose another folder.")


class _Git:
    """git, run with one environment, its output captured and its messages redacted."""

    def __init__(self, executable: str, env: dict[str, str], vcs_url: VcsUrl, log: Log,
                 runner: Runner) -> None:
        self.executable = executable
        self.env = env
        self.vcs_url = vcs_url
        self.log = log
        self.runner = runner
        self.secrets = _secrets(vcs_url.repo_url)

    @classmethod
    def find(cls, vcs_url: VcsUrl, *, environ: Mapping[str, str] | None, log: Log,
             runner: Runner) -> _Git:
        env = dict(os.environ if environ is None else environ)
        for name in _REPOSITORY_VARIABLES:
            env.pop(name, None)
        env["GIT_TERMINAL_PROMPT"] = "0"
        executable = shutil.which("git", path=env.get("PATH", os.defpath))
        if executable is None:
            raise VcsError(
                f"Cannot check out `{vcs_url.shown}`: git is not installed (no `git` on PATH)",
                hint="Install git (https://git-scm.com/downloads) and try again.",
            )
        return cls(executable, env, vcs_url, log, runner)

    def redact(self, text: str) -> str:
        return redact_text(text, self.secrets)

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``git -c advice.detachedHead=false <args>``; the result whatever its status."""
        command = [self.executable, "-c", "advice.detachedHead=false", *args]
        self.log(self.redact("git " + " ".join(args)))
        try:
            return self.runner(
                command, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                text=True, encoding="utf-8", errors="replace", check=False,
            )
        except OSError as exc:
            raise VcsError(f"Cannot run git ({self.executable}): {exc.strerror or exc}",
                           hint="Check that git is installed and runs.") from None

    def check(self, *args: str, cwd: Path | None = None, message: str, hint: str | None = None) -> str:
        """:meth:`run`, and its stdout; a :class:`VcsError` saying ``message`` when it fails."""
        proc = self.run(*args, cwd=cwd)
        if proc.returncode != 0:
            raise self.failure(message, proc, hint=hint)
        return proc.stdout

    def failure(self, message: str, proc: subprocess.CompletedProcess[str], *,
                hint: str | None = None) -> VcsError:
        """A :class:`VcsError` with the first lines git printed as notes (redacted)."""
        lines = [line.strip() for line in self.redact(proc.stderr or "").splitlines()]
        # The first lines name the cause; what follows is advice ("Please make sure ...").
        lines = [line for line in lines if line and not line.startswith("hint:")][:_NOTE_LINES]
        return VcsError(message, hint=hint, notes=[f"git: {line}" for line in lines])


def _secrets(repo_url: str) -> tuple[str, ...]:
    """The parts of ``repo_url``'s user info that must never be shown: the password, and a
    user name that stands alone on http(s) (a token)."""
    netloc = urlsplit(repo_url).netloc
    userinfo, at, _ = netloc.rpartition("@")
    if not at:
        return ()
    user, colon, password = userinfo.partition(":")
    if colon:
        return tuple(s for s in (password, unquote(password)) if len(s) > 1)
    if urlsplit(repo_url).scheme in ("http", "https") and len(user) > 1 and user != "git":
        return (user, unquote(user))
    return ()


class _Mirror:
    """The bare mirror of one repository, used with its lock held."""

    def __init__(self, git: _Git, path: Path, vcs_url: VcsUrl) -> None:
        self.git = git
        self.path = path
        self.vcs_url = vcs_url
        self.url = vcs_url.repo_url

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.git.run(f"--git-dir={self.path}", *args, cwd=self.path)

    def ensure(self) -> bool:
        """Create the mirror when missing (atomically: a crash leaves no half-made one);
        True when it was created now."""
        if (self.path / "HEAD").is_file():
            return False
        if self.path.exists():
            shutil.rmtree(self.path)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", suffix=".git", dir=self.path.parent))
        try:
            self.git.check("init", "--quiet", "--bare", str(tmp),
                           message=f"Cannot create a git mirror in `{self.path.parent}`")
            # Garbage collection runs in the foreground, under our lock, never behind it.
            self.git.check(f"--git-dir={tmp}", "config", "gc.autoDetach", "false", cwd=tmp,
                           message=f"Cannot configure the git mirror in `{self.path.parent}`")
            os.rename(tmp, self.path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return True

    def resolve(self) -> tuple[str, str | None]:
        """``(commit, branch)`` for the URL's revision, fetching what is needed."""
        rev = self.vcs_url.rev
        created = self.ensure()
        if rev is not None and is_commit_id(rev) and self.has_commit(rev):
            self.git.log(f"commit {rev} is already in the mirror; not fetching")
            return rev.lower(), None
        if rev is None:
            return self._default_branch()
        try:
            self.fetch()
        except VcsError:
            found = None if created else self.lookup(rev, branches=False)
            if found is None:
                raise
            self.git.log(f"cannot fetch {self.vcs_url.shown}; using {rev} from the mirror")
            return found
        found = self.lookup(rev)
        if found is None and (rev.startswith("refs/") or is_commit_id(rev)):
            found = self.fetch_one(rev)
        if found is None:
            hint = "Check the revision after `@` in the URL."
            if len(rev) < 40 and all(c in "0123456789abcdefABCDEF" for c in rev):
                hint += " An abbreviated commit id may also be ambiguous: give more digits."
            raise VcsError(f"There is no branch, tag or commit named `{rev}` in `{self.vcs_url.shown}`",
                           hint=hint)
        return found

    def _default_branch(self) -> tuple[str, str | None]:
        out = self.git.check(
            "ls-remote", "--symref", "--", self.url, "HEAD", cwd=self.path,
            message=f"Cannot reach the git repository `{self.vcs_url.shown}`",
            hint="Check the URL, your network and your credentials for this host.",
        )
        branch = sha = None
        for line in out.splitlines():
            target, _, name = line.partition("\t")
            if name.strip() != "HEAD":
                continue
            if target.startswith("ref: refs/heads/"):
                branch = target.removeprefix("ref: refs/heads/").strip()
            elif is_commit_id(target.strip()):
                sha = target.strip().lower()
        if sha is None:
            raise VcsError(f"`{self.vcs_url.shown}` has no default branch (is it empty?)",
                           hint="Name a branch, tag or commit after `@` in the URL.")
        self.fetch()
        if branch is not None:
            commit = self.ref_commit(f"refs/heads/{branch}")
            if commit is not None:
                # The mirror's HEAD follows the remote's, so a clone of it starts there too.
                self._git("symbolic-ref", "HEAD", f"refs/heads/{branch}")
                return commit, branch
        if not self.has_commit(sha):
            found = self.fetch_one(sha)
            if found is None:
                raise VcsError(f"Cannot fetch the default branch of `{self.vcs_url.shown}`",
                               hint="Name a branch, tag or commit after `@` in the URL.")
        return sha, None

    def fetch(self) -> None:
        """Fetch every branch and tag (pruning those deleted upstream)."""
        self.git.check(
            f"--git-dir={self.path}", "fetch", "--quiet", "--prune", "--no-write-fetch-head",
            "--", self.url, *_BRANCHES_AND_TAGS, cwd=self.path,
            message=f"Cannot fetch the git repository `{self.vcs_url.shown}`",
            hint="Check the URL, your network and your credentials for this host.",
        )

    def fetch_one(self, rev: str) -> tuple[str, None] | None:
        """Fetch a ref or commit no branch or tag holds (pip does the same); ``None`` when the
        server does not have it."""
        local = f"refs/spoke/fetched/{rev}" if rev.startswith("refs/") else f"refs/spoke/commits/{rev.lower()}"
        proc = self._git("fetch", "--quiet", "--no-write-fetch-head", "--", self.url, f"+{rev}:{local}")
        if proc.returncode != 0:
            return None
        commit = self.ref_commit(local)
        return (commit, None) if commit is not None else None

    def lookup(self, rev: str, *, branches: bool = True) -> tuple[str, str | None] | None:
        """``rev`` as a branch, a tag, a full ref or a commit (prefix) already in the mirror."""
        if branches:
            commit = self.ref_commit(f"refs/heads/{rev}")
            if commit is not None:
                return commit, rev
        commit = self.ref_commit(f"refs/tags/{rev}")
        if commit is not None:
            return commit, None
        if rev.startswith(("refs/heads/", "refs/tags/")) and branches:
            commit = self.ref_commit(rev)
            if commit is not None:
                branch = rev.removeprefix("refs/heads/") if rev.startswith("refs/heads/") else None
                return commit, branch
        if 4 <= len(rev) <= 64 and all(c in "0123456789abcdefABCDEF" for c in rev):
            commit = self.ref_commit(rev.lower())
            if commit is not None:
                return commit, None
        return None

    def ref_commit(self, name: str) -> str | None:
        """The commit ``name`` (a ref or an object id prefix) points to, ``None`` if none."""
        proc = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}")
        out = proc.stdout.strip()
        return out.lower() if proc.returncode == 0 and is_commit_id(out) else None

    def has_commit(self, commit: str) -> bool:
        return self._git("cat-file", "-e", f"{commit.lower()}^{{commit}}").returncode == 0

    def keep(self, commit: str) -> None:
        """Keep ``commit`` reachable in the mirror, whatever happens to branches upstream."""
        self._git("update-ref", f"refs/spoke/commits/{commit}", commit)


def _clone(git: _Git, mirror: Path, tmp: Path, vcs_url: VcsUrl, *, commit: str,
           branch: str | None) -> None:
    """Clone ``mirror`` into the empty folder ``tmp`` and check ``commit`` out there."""
    shown = vcs_url.shown
    git.check("clone", "--quiet", "--no-checkout", "--", str(mirror), str(tmp),
              message=f"Cannot copy `{shown}` from its mirror into `{tmp.parent}`")
    git.check("-C", str(tmp), "remote", "set-url", "origin", vcs_url.pep610_url(),
              message=f"Cannot configure the checkout of `{shown}`")
    what = f"Cannot check out commit {commit} of `{shown}`"
    if branch is not None:
        git.check("-C", str(tmp), "checkout", "--quiet", "-B", branch, commit, message=what)
        # Like a clone (and pip): the branch tracks its upstream, so `git pull` works.
        git.run("-C", str(tmp), "branch", "--quiet", f"--set-upstream-to=origin/{branch}", branch)
    else:
        git.check("-C", str(tmp), "checkout", "--quiet", "--detach", commit, message=what)


def _finish(git: _Git, tmp: Path, vcs_url: VcsUrl, *, commit: str) -> None:
    """Update the submodules of the checkout in ``tmp`` and check the subdirectory is there."""
    shown = vcs_url.shown
    if (tmp / ".gitmodules").is_file():
        git.check("-C", str(tmp), "submodule", "update", "--quiet", "--init", "--recursive",
                  message=f"Cannot check out the submodules of `{shown}` at {commit}",
                  hint="Check that the submodules' URLs are reachable with your credentials.")
    if vcs_url.subdirectory and not (tmp / vcs_url.subdirectory).is_dir():
        raise VcsError(
            f"There is no folder `{vcs_url.subdirectory}` in `{shown}` at commit {commit}",
            hint="Check `#subdirectory=` in the URL (it is relative to the repository root).",
        )
