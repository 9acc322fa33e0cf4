"""VCS requirement URLs, as pip writes them: ``git+https://host/repo.git@v1.0#egg=name&subdirectory=pkg``.

The grammar (pip's ``VersionControl.get_url_rev_and_auth`` and ``Link`` fragments)::

    <vcs>+<scheme>://[user[:password]@]host[:port]/path[@rev][?query][#fragment]

* ``<vcs>`` is ``git``, ``hg``, ``svn`` or ``bzr``, each with its own set of transports
  (``git+https``, ``git+ssh``, ``git+file``, ``git+http``, ``git+git``...);
* ``@rev`` is what follows the *last* ``@`` of the path — never the ``@`` of a user name in
  the host part (``git+ssh://git@host/repo.git`` has no revision). A branch, a tag, a
  commit (full or abbreviated) or a full ref such as ``refs/pull/1/head``;
* the fragment holds ``egg=<name>`` and ``subdirectory=<folder>``, in any order.

What git is given (:attr:`VcsUrl.repo_url`) keeps the credentials the user wrote, because
that is how they reach the server. Everything spoke *shows* or *writes* does not: messages
go through :func:`display_url`, and the PEP 610 forms (:meth:`VcsUrl.pep610_url`,
:meth:`VcsUrl.with_commit`, :meth:`VcsUrl.direct_url`) strip ``user:password`` the way pip
and ``packaging.direct_url`` do, keeping only the well-known ``git`` user of ssh URLs and
``${VAR}`` placeholders. Everything here is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from spoke.errors import VcsError
from spoke.net.redact import redact_url

SCHEMES: dict[str, frozenset[str]] = {
    "git": frozenset({"http", "https", "ssh", "git", "file"}),
    "hg": frozenset({"http", "https", "ssh", "file", "static-http"}),
    "svn": frozenset({"http", "https", "ssh", "svn", "file"}),
    "bzr": frozenset({"http", "https", "ssh", "sftp", "ftp", "lp", "file"}),
}
"""The transports pip accepts after each ``<vcs>+`` prefix."""

_HEX = re.compile(r"^[0-9a-fA-F]+$")
# git@host:path, the scp-like syntax git understands but a URL cannot hold.
_SCP_LIKE = re.compile(r"^(?P<user>[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>(?!//).+)$")
# Characters git forbids in a ref name (git-check-ref-format) or that a shell or an option
# parser would read specially; a revision holding one cannot name a branch or a tag.
_BAD_REV = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.")
# pip's project-name rule for #egg= (PEP 508 names).
_EGG = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_USER_ONLY_SCHEMES = frozenset({"ssh", "git", "sftp", "svn", "lp"})


def is_commit_id(rev: str | None) -> bool:
    """True when ``rev`` is a full commit id: 40 hex digits (SHA-1) or 64 (SHA-256)."""
    return rev is not None and len(rev) in (40, 64) and _HEX.match(rev) is not None


def display_url(url: str) -> str:
    """``url`` fit for a message: its password (or token) masked.

    A bare user name on an ssh-like transport (``git+ssh://git@host/…``) is a login, not a
    secret, and is kept; on http(s) a bare user name is usually a token and is masked.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_url(url)
    userinfo, at, _ = parts.netloc.rpartition("@")
    transport = parts.scheme.rpartition("+")[2].lower()
    if at and ":" not in userinfo and transport in _USER_ONLY_SCHEMES:
        return url
    return redact_url(url)


@dataclass(frozen=True, slots=True, kw_only=True)
class VcsUrl:
    """A parsed VCS requirement URL. Build one with :func:`parse_vcs_url`.

    ``repo_url`` may hold credentials (it is what the VCS is given), so ``repr()`` shows the
    URL redacted.
    """

    vcs: str
    """``"git"``, ``"hg"``, ``"svn"`` or ``"bzr"``."""
    repo_url: str
    """The URL the VCS understands: no ``git+`` prefix, no ``@rev``, no fragment."""
    rev: str | None = None
    """The revision after ``@`` (branch, tag, commit or ref), ``None`` for the default branch."""
    subdirectory: str | None = None
    """The project's folder inside the repository (``#subdirectory=``), normalized."""
    egg: str | None = None
    """The project name given by ``#egg=``."""
    url: str
    """The URL exactly as the user wrote it."""

    def __repr__(self) -> str:
        return (
            f"VcsUrl(vcs={self.vcs!r}, repo_url={display_url(self.repo_url)!r}, rev={self.rev!r}, "
            f"subdirectory={self.subdirectory!r}, egg={self.egg!r})"
        )

    @property
    def shown(self) -> str:
        """The repository as messages name it: ``git+https://host/repo.git``, password masked."""
        return display_url(f"{self.vcs}+{self.repo_url}")

    def pep610_url(self) -> str:
        """``repo_url`` as PEP 610 records it: credentials stripped, except a ``git`` user
        name and ``${VAR}`` placeholders (pip's and ``packaging.direct_url``'s rule)."""
        from packaging.direct_url import DirectUrl, VcsInfo

        record = DirectUrl(url=self.repo_url, vcs_info=VcsInfo(vcs=self.vcs, commit_id="0"))
        return str(record.to_dict()["url"])

    def with_commit(self, commit_id: str) -> str:
        """The pinned form ``name @ <this>`` uses: ``git+https://host/repo.git@<commit>``,
        plus ``#subdirectory=…`` when there is one; credentials stripped as in PEP 610."""
        _check_commit(commit_id)
        pinned = f"{self.vcs}+{self.pep610_url()}@{commit_id}"
        return f"{pinned}#subdirectory={self.subdirectory}" if self.subdirectory else pinned

    def vcs_info(self, commit_id: str) -> dict[str, str]:
        """PEP 610 ``vcs_info``: ``{"vcs", "commit_id", "requested_revision"?}`` (the last
        only when the URL named a revision)."""
        _check_commit(commit_id)
        info = {"vcs": self.vcs, "commit_id": commit_id}
        if self.rev is not None:
            info["requested_revision"] = self.rev
        return info

    def direct_url(self, commit_id: str) -> dict[str, Any]:
        """The whole PEP 610 ``direct_url.json`` value for an install of ``commit_id``:
        ``url`` (stripped, without rev and fragment), ``vcs_info`` and ``subdirectory``."""
        record: dict[str, Any] = {"url": self.pep610_url(), "vcs_info": self.vcs_info(commit_id)}
        if self.subdirectory:
            record["subdirectory"] = self.subdirectory
        return record


def _check_commit(commit_id: str) -> None:
    if not is_commit_id(commit_id):
        raise ValueError(f"not a full commit id: {commit_id!r}")


def parse_vcs_url(url: str) -> VcsUrl:
    """Parse a VCS requirement URL (``git+https://host/repo.git@rev#egg=name``).

    Raises :class:`~spoke.errors.VcsError` for a missing or unknown transport, a missing
    host or path, an empty or malformed ``@rev``, an invalid ``#egg=`` or a
    ``#subdirectory=`` that is absolute or climbs out with ``..``. ``hg``, ``svn`` and
    ``bzr`` URLs parse; only checking them out is unsupported.
    """
    text = url.strip()
    vcs, plus, rest = text.partition("+")
    vcs = vcs.lower()
    if not plus or vcs not in SCHEMES:
        raise VcsError(
            f"`{display_url(text)}` is not a VCS URL",
            hint="Write a repository as `git+https://host/repo.git[@rev]`.",
        )
    if not rest:
        raise VcsError(f"`{text}` has no repository URL after `{vcs}+`",
                       hint=f"Write it as `{vcs}+https://host/repo[@rev]`.")
    location, _, fragment = rest.partition("#")
    if "://" not in location:
        scp = _SCP_LIKE.match(location)
        if scp and vcs == "git" and scp["host"].lower() not in SCHEMES[vcs]:
            user = scp["user"] or ""
            raise VcsError(
                f"`{display_url(text)}` uses scp-like syntax, which a URL cannot hold",
                hint=f"Write it as `git+ssh://{user}{scp['host']}/{scp['path']}`.",
            )
        raise VcsError(f"`{display_url(text)}` has no `scheme://` after `{vcs}+`",
                       hint=f"Write it as `{vcs}+https://host/repo[@rev]`.")
    try:
        parts = urlsplit(location)
    except ValueError as exc:
        raise VcsError(f"`{display_url(text)}` is not a valid URL ({exc})",
                       hint="Check the host part of the URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES[vcs]:
        known = ", ".join(f"`{vcs}+{s}://`" for s in sorted(SCHEMES[vcs]))
        raise VcsError(f"Unsupported transport `{vcs}+{parts.scheme}://` in `{display_url(text)}`",
                       hint=f"{vcs} URLs start with one of {known}.")
    path, rev = parts.path, None
    if "@" in path:
        path, rev = path.rsplit("@", 1)
        if not rev:
            raise VcsError(
                f"`{display_url(text)}` has an empty revision after `@`",
                hint="Name a branch, tag or commit after `@`, or remove the `@`.",
            )
        if rev.startswith("-") or _BAD_REV.search(rev) or rev.endswith(("/", ".lock")):
            raise VcsError(f"Invalid revision `{rev}` in `{display_url(text)}`",
                           hint="A revision is a branch, a tag or a commit id.")
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise VcsError(f"`{display_url(text)}` names a host in a `file://` URL",
                           hint=f"Write a local repository as `{vcs}+file:///absolute/path`.")
        if not path.strip("/"):
            raise VcsError(f"`{display_url(text)}` has no path",
                           hint=f"Write a local repository as `{vcs}+file:///absolute/path`.")
    elif not parts.hostname:
        raise VcsError(f"`{display_url(text)}` has no host",
                       hint=f"Write it as `{vcs}+{scheme}://host/path`.")
    egg, subdirectory = _fragment(fragment, text)
    repo_url = urlunsplit((scheme, parts.netloc, path, parts.query, ""))
    return VcsUrl(vcs=vcs, repo_url=repo_url, rev=rev, subdirectory=subdirectory, egg=egg, url=url)


def _fragment(fragment: str, text: str) -> tuple[str | None, str | None]:
    """``(egg, subdirectory)`` from ``egg=…&subdirectory=…``; other keys are ignored, as pip
    ignores them."""
    egg = subdirectory = None
    for item in fragment.split("&"):
        key, eq, value = item.partition("=")
        if key == "egg" and eq:
            if not _EGG.match(value):
                raise VcsError(f"Invalid project name `#egg={value}` in `{display_url(text)}`",
                               hint="`#egg=` takes a project name, e.g. `#egg=my-project`.")
            egg = value
        elif key == "subdirectory" and eq:
            subdirectory = _check_subdirectory(value, text)
    return egg, subdirectory


def _check_subdirectory(value: str, text: str) -> str:
    """``value`` as a clean relative POSIX path (``./a//b/`` → ``a/b``), or :class:`VcsError`."""
    unsafe = (
        not value
        or value.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", value) is not None
        or "\x00" in value
    )
    parts = [p for p in value.replace("\\", "/").split("/") if p not in ("", ".")]
    if unsafe or ".." in parts or not parts:
        raise VcsError(
            f"Invalid subdirectory `{value}` in `{display_url(text)}`",
            hint="`#subdirectory=` names a folder inside the repository, e.g. `#subdirectory=pkg`.",
        )
    return "/".join(parts)
