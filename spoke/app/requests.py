"""What each command was asked to do: one frozen, typed request per command.

The CLI builds a command's request once from its settings (and what requirements files
said); the stages (:mod:`spoke.app.stages`) read its fields. Kept apart from the stages so a
command can build its request without importing the resolver (the no-op path stays light).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.version import Version

    from spoke.env.foreign import ForeignTarget
    from spoke.reqs import UserRequirement


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditCheck:
    """``install --audit``: where to look the resolved versions up, and what to accept."""

    service: str = "osv"  # osv or pypi
    osv_url: str = "https://api.osv.dev"
    pypi_url: str = "https://pypi.org"
    db: Path | None = None
    ignore: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallRequest:
    """Everything ``spoke install`` was asked to do."""

    requirements: tuple[UserRequirement, ...]
    constraints: tuple[UserRequirement, ...] = ()
    upgrade: bool = False
    upgrade_strategy: str = "only-if-needed"
    force_reinstall: bool = False
    ignore_installed: bool = False
    no_deps: bool = False
    pre: bool = False
    dry_run: bool = False
    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False
    require_hashes: bool = False
    link_mode: str = "auto"
    compile: bool = False
    audit: AuditCheck | None = None  # --audit: refuse vulnerable versions before downloading
    report: str | None = None
    upgrade_all: bool = False  # one joint resolution over everything installed (spoke.app.upgrade)
    build_isolation: bool = True
    remove: tuple[str, ...] = ()  # also uninstall these, in the same transaction (rollback)
    config_settings: tuple[str, ...] = ()
    src_dir: Path | None = None
    #: ``--platform``…: resolve for that environment (with ``--dry-run`` or ``--target`` only).
    foreign: ForeignTarget | None = None
    #: ``--overrides FILE``: ranges that replace every requirement's own on those projects.
    overrides: tuple[UserRequirement, ...] = ()
    #: Versions the solver tries first where they fit (``audit --fix``: the lowest safe ones).
    preferred: Mapping[str, Version] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadRequest:
    """Everything ``spoke download`` was asked to do: resolve as ``install`` would, for the
    target, with nothing counted as installed, and save each chosen file into ``dest``."""

    requirements: tuple[UserRequirement, ...]
    dest: Path
    constraints: tuple[UserRequirement, ...] = ()
    no_deps: bool = False
    pre: bool = False
    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False
    require_hashes: bool = False
    report: str | None = None
    build_isolation: bool = True
    config_settings: tuple[str, ...] = ()
    src_dir: Path | None = None
    #: ``--platform``/``--python-version``/``--implementation``/``--abi``: resolve for that
    #: environment instead of the interpreter's (:mod:`spoke.env.foreign`).
    foreign: ForeignTarget | None = None
    #: ``--each-platform``: each environment resolved on its own, the files of all kept
    #: (one per pair of a ``--platform`` and a ``--python-version``).
    each_platform: tuple[ForeignTarget, ...] = ()
    overrides: tuple[UserRequirement, ...] = ()  # --overrides FILE
    # What the resolving stages read of an install request, fixed for a download.
    upgrade: bool = False
    upgrade_strategy: str = "only-if-needed"
    upgrade_all: bool = False
    force_reinstall: bool = False
    ignore_installed: bool = True
    dry_run: bool = False
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class WheelRequest(DownloadRequest):
    """Everything ``spoke wheel`` was asked to do: what ``download`` resolves, with a wheel
    built for every package that has none; ``dest`` is the wheel folder (``-w``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileRequest:
    """Everything ``spoke compile`` was asked to do: resolve the inputs for the target (nothing
    installed counts) and write every chosen version as a pinned requirements file."""

    requirements: tuple[UserRequirement, ...]  # from requirements.in files
    constraints: tuple[UserRequirement, ...] = ()
    #: pyproject.toml, setup.cfg or setup.py inputs: their project's dependencies are read
    #: (statically when declared so, else from the PEP 517 backend's metadata).
    projects: tuple[Path, ...] = ()
    extras: tuple[str, ...] = ()
    all_extras: bool = False
    output: Path | None = None  # None: standard output
    #: ``-U``: no pin of the existing output file is kept; ``-P NAME[==VER]``: not these.
    upgrade_pins: bool = False
    upgrade_packages: tuple[str, ...] = ()
    generate_hashes: bool = False
    pre: bool = False
    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False
    build_isolation: bool = True
    config_settings: tuple[str, ...] = ()
    src_dir: Path | None = None
    foreign: ForeignTarget | None = None
    dry_run: bool = False
    overrides: tuple[UserRequirement, ...] = ()  # --overrides FILE
    #: Versions the solver keeps when they still fit: the pins of the file written before.
    preferred: Mapping[str, Version] = field(default_factory=dict)
    #: One resolution for every environment of ``python_requirement`` × ``environments``.
    universal: bool = False
    python_requirement: str | None = None  # None: the projects', else this Python's minor and newer
    environments: tuple[str, ...] = ()
    #: ``spoke lock`` of a project: every extra and dependency group is locked, each package
    #: marked with the ones that bring it in (PEP 751's ``'x' in extras`` markers).
    project_activations: bool = False
    # What the resolving stages read of an install request, fixed for a compile.
    no_deps: bool = False
    require_hashes: bool = False
    upgrade: bool = False
    upgrade_strategy: str = "only-if-needed"
    upgrade_all: bool = False
    force_reinstall: bool = False
    ignore_installed: bool = True
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRequest:
    """Everything ``spoke audit`` was asked to do: which packages (the target's installed set,
    or ``requirements`` resolved for the target), where the advisories come from, what to
    leave out, and whether to fix."""

    osv_url: str
    db: Path | None = None  # --db: an offline OSV export (zip or folder) instead of the API
    service: str = "osv"  # -s/--vulnerability-service: osv or pypi
    update_db: bool = False  # --update-db: download the OSV export first (to db, or the cache's)
    db_url: str = ""  # where --update-db downloads it from (the CLI fills in OSV's export)
    pypi_url: str = "https://pypi.org"  # --pypi-url: PyPI's JSON API (-s pypi)
    #: ``-r`` files, parsed; empty: audit the installed set.
    requirements: tuple[UserRequirement, ...] = ()
    constraints: tuple[UserRequirement, ...] = ()
    files: tuple[Path, ...] = ()  # the -r files themselves (--fix rewrites their pins)
    lock: Path | None = None  # a pylock.toml audited as written (every package, every platform)
    project: Path | None = None  # a project folder: its dependencies are the requirements (resolved)
    paths: tuple[Path, ...] = ()  # --path: these site-packages folders only
    local: bool = False
    skip_editable: bool = False
    ignore: frozenset[str] = frozenset()  # --ignore-vuln ids (an alias matches too)
    fix: bool = False
    dry_run: bool = False
    # What the resolving stages read (with -r): resolved as a download would be.
    no_deps: bool = False
    pre: bool = False
    require_hashes: bool = False
    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False
    upgrade: bool = False
    upgrade_strategy: str = "only-if-needed"
    upgrade_all: bool = False
    force_reinstall: bool = False
    ignore_installed: bool = True
    remove: tuple[str, ...] = ()
    foreign: ForeignTarget | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildRequest:
    """Everything ``spoke build`` was asked to do: the project in ``source_dir`` built into
    ``out_dir`` (an sdist, then a wheel from it, unless only one is asked for)."""

    source_dir: Path
    out_dir: Path
    sdist: bool = True
    wheel: bool = True
    config_settings: tuple[str, ...] = ()
    isolation: bool = True
    check_requirements: bool = True  # --skip-dependency-check turns it off


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishRequest:
    """Everything ``spoke publish`` was asked to do: upload ``paths`` (files or folders of
    them; none: ``dist/``) to a repository named in ``.pypirc`` or given by URL.

    ``username``/``password`` are what the command line or ``TWINE_*``/``SPOKE_PUBLISH_*``
    gave; ``.pypirc``, the URL, keyring, trusted publishing and a prompt fill in the rest.
    """

    paths: tuple[Path, ...] = ()
    repository: str | None = None
    repository_url: str | None = None
    config_file: Path | None = None
    username: str | None = None
    password: str | None = None
    skip_existing: bool = False
    dry_run: bool = False
    check: bool = True
    allow_private: bool = False
    trusted_publishing: str = "auto"  # auto | always | never
    interactive: bool = False


__all__ = ["AuditCheck", "AuditRequest", "BuildRequest", "CompileRequest", "DownloadRequest", "InstallRequest",
           "PublishRequest", "WheelRequest"]
