"""``freeze``: the installed set as requirement lines, written the way pip writes them.

pip's rules (``pip/_internal/operations/freeze.py``, pip 23.2):

* a distribution is ``Name==version`` (``Name===version`` for a version PEP 440 rejects),
  with the name as its METADATA spells it;
* one installed from a direct URL (PEP 610 ``direct_url.json``) is ``Name @ url``: a VCS
  checkout as ``Name @ git+url@commit``, an archive with its ``#sha256=…`` fragment, a
  ``subdirectory`` kept as a fragment;
* an editable install is ``-e <location>`` preceded by pip's comment
  ``# Editable install with no version control (Name==version)``, or, when the location is
  in a git checkout, ``-e git+<remote>@<commit>#egg=Name[&subdirectory=…]`` (other VCSs are
  shown as plain folders);
* lines are sorted by the lower-cased name; ``pip``, ``setuptools``, ``wheel`` and
  ``distribute`` are skipped unless ``--all`` (pip 23.2 skips the last three only on Python
  older than 3.12, and so do we, by the target's version);
* with ``-r FILE``: the file's blank, comment and option lines once each, every requirement
  line replaced by the installed form of its package (a package not installed is dropped
  with a warning), then ``## The following requirements were added by pip freeze:`` and
  the rest.

Everything here is values in, values out, except :func:`frozen_installed`, which reads each
distribution's ``direct_url.json``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName, canonicalize_name

if TYPE_CHECKING:
    from spoke.models import InstalledDist

ADDED_HEADER = "## The following requirements were added by pip freeze:"
STDLIB_NAMES = frozenset({"python", "wsgiref", "argparse"})
# Lines pip copies from a requirements file as they are (matched at the very start).
_OPTION_PREFIXES = (
    "-r", "--requirement", "-f", "--find-links", "-i", "--index-url", "--pre", "--trusted-host",
    "--process-dependency-links", "--extra-index-url", "--use-feature",
)
_COMMENT = re.compile(r"(^|\s+)#.*$")
_EGG = re.compile(r"[#&]egg=([^&]+)")
_WHEEL = re.compile(r"^([^-/\\]+)-[^-]+(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$")


def dev_names(python_version: tuple[int, int], *, freeze_all: bool) -> frozenset[str]:
    """The names ``freeze`` leaves out: pip's ``stdlib_pkgs`` and, unless ``--all``, its own
    tools (pip; setuptools, distribute and wheel too before Python 3.12)."""
    if freeze_all:
        return STDLIB_NAMES
    tools = {"pip"} if python_version >= (3, 12) else {"pip", "setuptools", "distribute", "wheel"}
    return STDLIB_NAMES | tools


@dataclass(frozen=True, slots=True, kw_only=True)
class Frozen:
    """One installed distribution in requirement form."""

    name: str
    requirement: str
    editable: bool = False
    comments: tuple[str, ...] = ()
    canonical: NormalizedName = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "canonical", canonicalize_name(self.name))

    def lines(self) -> list[str]:
        """The comment lines, then ``[-e ]requirement``."""
        return [*self.comments, f"-e {self.requirement}" if self.editable else self.requirement]


def pin(name: str, version: str) -> str:
    """``name==version``, or ``name===version`` for a version PEP 440 cannot parse."""
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        return f"{name}==={version}"
    return f"{name}=={version}"


def direct_reference(direct_url: Mapping[str, Any], name: str) -> str | None:
    """``name @ url`` from a PEP 610 ``direct_url.json`` (pip's
    ``direct_url_as_pep440_direct_reference``); ``None`` when the record is not usable."""
    url = direct_url.get("url")
    if not isinstance(url, str) or not url:
        return None
    fragments: list[str] = []
    vcs_info = direct_url.get("vcs_info")
    archive_info = direct_url.get("archive_info")
    dir_info = direct_url.get("dir_info")
    if isinstance(vcs_info, dict):
        vcs, commit = vcs_info.get("vcs"), vcs_info.get("commit_id")
        if not isinstance(vcs, str) or not isinstance(commit, str):
            return None
        target = f"{vcs}+{url}@{commit}"
    elif isinstance(archive_info, dict):
        target = url
        digest = archive_info.get("hash")
        if not isinstance(digest, str):
            hashes = archive_info.get("hashes")
            if isinstance(hashes, dict) and hashes:
                # PEP 610's newer form: pip shows the sha256 when present, else any.
                algo = "sha256" if "sha256" in hashes else min(hashes)
                digest = f"{algo}={hashes[algo]}"
        if isinstance(digest, str) and digest:
            fragments.append(digest)
    elif isinstance(dir_info, dict):
        target = url
    else:
        return None
    subdirectory = direct_url.get("subdirectory")
    if isinstance(subdirectory, str) and subdirectory:
        fragments.append(f"subdirectory={subdirectory}")
    if fragments:
        target += "#" + "&".join(fragments)
    return f"{name} @ {target}"


def editable_location(direct_url: Mapping[str, Any]) -> str | None:
    """The project folder of an editable install (``file://`` URL → path), else ``None``."""
    from urllib.parse import unquote, urlsplit
    from urllib.request import url2pathname

    url = direct_url.get("url")
    dir_info = direct_url.get("dir_info")
    if not isinstance(url, str) or not (isinstance(dir_info, dict) and dir_info.get("editable") is True):
        return None
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path = url2pathname(unquote(parts.path)) if os.name == "nt" else unquote(parts.path)
    return os.path.normcase(os.path.abspath(path))


@dataclass(frozen=True, slots=True, kw_only=True)
class GitCheckout:
    """What git says about the checkout holding an editable project."""

    remotes: tuple[str, ...]
    """``git config --get-regexp 'remote\\..*\\.url'`` lines (``remote.origin.url URL``)."""
    commit: str
    subdirectory: str | None = None
    """The project's folder relative to the repository root, ``None`` at the root."""


_SCP = re.compile(r"^(\w+@)?([^/:]+):(\w[^:]*)$")


def _git_remote_url(url: str) -> str | None:
    """pip's ``_git_remote_to_pip_url``: a URL, a local path as ``file://``, scp syntax as
    ``ssh://``; ``None`` for anything else."""
    from pathlib import PurePath

    if re.match(r"\w+://", url):
        return url
    if os.path.exists(url):
        return PurePath(url).as_uri()
    match = _SCP.match(url)
    if match:
        return match.expand(r"ssh://\1\2/\3")
    return None


def git_editable(name: str, version: str, location: str, checkout: GitCheckout) -> Frozen:
    """An editable install in a git checkout, as pip's git backend writes it."""
    display = pin(name, version)
    if not checkout.remotes:
        return Frozen(name=name, requirement=location, editable=True,
                      comments=(f"# Editable Git install with no remote ({display})",))
    found = next((r for r in checkout.remotes if r.startswith("remote.origin.url ")), checkout.remotes[0])
    raw = found.split(" ")[1].strip() if " " in found else ""
    url = _git_remote_url(raw)
    if url is None:
        return Frozen(name=name, requirement=location, editable=True, comments=(
            f"# Editable Git install ({display}) with either a deleted local remote or invalid URI:",
            f"# '{raw}'",
        ))
    if not url.lower().startswith("git:"):
        url = f"git+{url}"
    requirement = f"{url}@{checkout.commit}#egg={name.replace('-', '_')}"
    if checkout.subdirectory:
        requirement += f"&subdirectory={checkout.subdirectory}"
    return Frozen(name=name, requirement=requirement, editable=True)


def frozen_for(
    name: str, version: str, direct_url: Mapping[str, Any] | None, *, git: GitCheckout | None = None,
) -> Frozen:
    """The requirement form of one distribution given its ``direct_url.json`` (or ``None``)
    and, for an editable install in a git checkout, what git says about it."""
    if direct_url is not None:
        location = editable_location(direct_url)
        if location is not None and git is not None:
            return git_editable(name, version, location, git)
        if location is not None:
            return Frozen(
                name=name, requirement=location, editable=True,
                comments=(f"# Editable install with no version control ({pin(name, version)})",),
            )
        reference = direct_reference(direct_url, name)
        if reference is not None:
            return Frozen(name=name, requirement=reference)
    return Frozen(name=name, requirement=pin(name, version))


def _git(location: str, *args: str) -> str | None:
    import subprocess

    try:
        proc = subprocess.run(["git", *args], cwd=location, capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def _installable(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "pyproject.toml")) or os.path.isfile(
        os.path.join(folder, "setup.py"))


def read_git_checkout(location: str) -> GitCheckout | None:
    """What git says about the checkout holding ``location``; ``None`` outside one (or
    without git)."""
    if not os.path.isdir(location):
        return None
    root = _git(location, "rev-parse", "--show-toplevel")
    commit = _git(location, "rev-parse", "HEAD")
    if root is None or commit is None:
        return None
    remotes = _git(location, "config", "--get-regexp", r"remote\..*\.url") or ""
    project = location
    while not _installable(project):  # pip's find_path_to_project_root_from_repo_root
        parent = os.path.dirname(project)
        if parent == project:
            project = ""
            break
        project = parent
    subdirectory = None
    if project and not os.path.samefile(root.strip(), project):
        subdirectory = os.path.relpath(project, root.strip())
    return GitCheckout(remotes=tuple(line for line in remotes.splitlines() if line.strip()),
                       commit=commit.strip(), subdirectory=subdirectory)


def frozen_installed(dists: Iterable[InstalledDist]) -> list[Frozen]:
    """:func:`frozen_for` of each distribution, reading its ``direct_url.json`` (and asking
    git about editable projects)."""
    from spoke.env.installed import read_direct_url

    out: list[Frozen] = []
    for dist in dists:
        direct_url = None if dist.dist_info.name.endswith(".egg-info") else read_direct_url(dist)
        location = editable_location(direct_url) if direct_url is not None else None
        git = read_git_checkout(location) if location is not None else None
        out.append(frozen_for(dist.display_name, str(dist.version), direct_url, git=git))
    return out


def line_name(line: str, *, editable: bool = False) -> str | None:
    """The project a requirements-file line names, as written; ``None`` when only a build
    would tell (a path or URL without ``#egg=``)."""
    from packaging.requirements import InvalidRequirement, Requirement

    text = line.strip()
    egg = _EGG.search(text)
    if egg:
        return egg.group(1).split("[")[0].strip() or None
    base = text.split("#", 1)[0].rstrip("/\\")
    wheel = _WHEEL.match(os.path.basename(base)) if base.endswith(".whl") else None
    if wheel:
        return wheel.group(1)
    if editable or "/" in text.split("@", 1)[0] or "\\" in text or text.startswith("."):
        return None
    # Options written after the requirement (`--hash=…`) are not part of it.
    text = re.split(r"\s-{1,2}[A-Za-z]", text, maxsplit=1)[0].strip()
    try:
        return Requirement(text).name
    except InvalidRequirement:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class FreezeOutput:
    """The lines for stdout and the warnings / notes for stderr."""

    lines: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def freeze_lines(
    frozen: Sequence[Frozen],
    *,
    skip: Iterable[str] = (),
    exclude_editable: bool = False,
    requirement_files: Sequence[tuple[str, str]] = (),
) -> FreezeOutput:
    """pip's freeze output for ``frozen`` (every installed distribution).

    ``skip`` holds normalized names left out of the added section (never out of lines a
    requirements file asked for); ``requirement_files`` are ``(path as given, text)`` pairs.
    """
    installations: dict[str, Frozen] = {}
    for item in frozen:
        if exclude_editable and item.editable:
            continue
        installations[item.canonical] = item
    lines: list[str] = []
    warnings: list[str] = []
    notes: list[str] = []
    if requirement_files:
        emitted_options: set[str] = set()
        seen_in: dict[str, list[str]] = {}
        for path, text in requirement_files:
            for raw in text.splitlines():
                stripped = raw.strip()
                if not stripped or stripped.startswith("#") or raw.startswith(_OPTION_PREFIXES):
                    kept = raw.rstrip()
                    if kept not in emitted_options:
                        emitted_options.add(kept)
                        lines.append(kept)
                    continue
                if raw.startswith(("-e", "--editable")):
                    body = raw[2:].strip() if raw.startswith("-e") else raw[len("--editable"):].strip().lstrip("=")
                    name = line_name(body, editable=True)
                    shown = _COMMENT.sub("", body).strip()
                else:
                    shown = _COMMENT.sub("", raw).strip()
                    name = line_name(shown)
                if name is None:
                    notes.append(
                        f"Skipping line in requirement file [{path}] because it's not clear what it "
                        f"would install: {raw.strip()}"
                    )
                    notes.append("  (add #egg=PackageName to the URL to avoid this warning)")
                    continue
                key = canonicalize_name(name)
                if key not in installations:
                    if not seen_in.get(name):
                        warnings.append(
                            f"Requirement file [{path}] contains {shown}, but package {name!r} "
                            "is not installed"
                        )
                    else:
                        seen_in[name].append(path)
                else:
                    lines.extend(installations.pop(key).lines())
                    seen_in.setdefault(name, []).append(path)
        for name, files in seen_in.items():
            if len(files) > 1:
                warnings.append(f"Requirement {name} included multiple times [{', '.join(sorted(set(files)))}]")
        lines.append(ADDED_HEADER)
    skipped = {canonicalize_name(s) for s in skip}
    for item in sorted(installations.values(), key=lambda f: f.name.lower()):
        if item.canonical not in skipped:
            lines.extend(item.lines())
    return FreezeOutput(lines=tuple(lines), warnings=tuple(warnings), notes=tuple(notes))
