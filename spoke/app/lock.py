"""``spoke lock``: the resolution of ``spoke compile``, written as a PEP 751 lock (``pylock.toml``).

    inputs ─▶ run_compile (one resolution for the target) ─▶ packaging.pylock.Pylock ─▶ TOML

A lock is universal by default: one resolution for every platform and every Python of its
``requires-python`` (``--python-requirement``, the project's, else this Python and newer),
within the ``--environment`` markers, which become its ``environments`` (see
:mod:`spoke.plan.universal`); each package carries the marker under which it is installed. With
``--platform`` / ``--python-version`` it is for that one environment, as ``pip lock`` writes it:
its ``environments`` marker names the platform, machine, implementation and Python version, so
an installer elsewhere refuses it instead of guessing.
Each package lists every file of its version on its index — all platforms' wheels and the sdist,
with ``url``, ``hashes``, ``size`` and ``upload-time`` — or the folder, archive or VCS commit
it was given as. The document is built and validated by ``packaging.pylock`` and loaded back
before it is written. An existing lock's versions are kept where they still fit (minimal
change); ``-U`` / ``-P NAME`` lift them, as for ``compile``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from spoke.app.context import Context
from spoke.errors import SpokeError

if TYPE_CHECKING:
    from packaging.pylock import Package, Pylock

    from spoke.app.compile import CompileOutcome
    from spoke.models import Interpreter
    from spoke.plan.markerset import MarkerSet
    from spoke.plan.resolve import ResolvedPackage
    from spoke.plan.universal import UniversalPackage

CREATED_BY = "spoke"


def environment_marker(interp: Interpreter) -> str:
    """The one environment a single-target lock is for, as a PEP 508 marker."""
    m = interp.markers
    parts = [f'sys_platform == "{m.get("sys_platform", "")}"',
             f'platform_machine == "{m.get("platform_machine", "")}"',
             f'implementation_name == "{m.get("implementation_name", "")}"',
             f'python_version == "{m.get("python_version", "")}"']
    return " and ".join(p for p in parts if not p.endswith('""'))


def locked_versions(path: Path) -> dict[NormalizedName, Version]:
    """The versions an existing lock pins (for minimal change); empty when there is none."""
    from spoke.reqs.pylock import read_lock

    if not path.is_file():
        return {}
    lock = read_lock(path)
    return {canonicalize_name(p.name): p.version for p in lock.packages if p.version is not None}


def build_lock(ctx: Context, outcome: CompileOutcome, *, lock_path: Path,
               requires_python: str | None = None, environments: Sequence[str] = ()) -> Pylock:
    """The lock of ``outcome``'s resolution (:func:`render_lock` validates it)."""
    from dataclasses import replace

    from packaging.markers import Marker
    from packaging.pylock import Pylock
    from packaging.specifiers import SpecifierSet

    base = lock_path.parent.absolute()
    if outcome.universal is not None:
        scope = outcome.universal.scope
        packages = []
        for item in outcome.universal.packages:
            package = _package(ctx, item.package, base, where=item.marker & scope)
            text = lock_marker(item, scope)
            packages.append(replace(package, marker=Marker(text)) if text else package)
        where = [Marker(text) for text in environments] or None
    else:
        packages = [_package(ctx, pkg, base) for pkg in sorted(outcome.resolution.packages, key=lambda p: p.name)]
        where = [Marker(environment_marker(outcome.interpreter))]
    lock = Pylock(
        lock_version=Version("1.0"), created_by=CREATED_BY,
        environments=where,
        requires_python=SpecifierSet(requires_python) if requires_python else None,
        packages=packages,
        extras=[canonicalize_name(e) for e in outcome.extras] or None,
        dependency_groups=[canonicalize_name(g) for g in outcome.groups] or None,
        # As uv: a project's `dev` group is installed unless other groups are asked for.
        default_groups=[canonicalize_name("dev")] if "dev" in outcome.groups else None,
    )
    return lock  # validated when render_lock loads it back


def lock_marker(item: UniversalPackage, scope: MarkerSet) -> str:
    """Where a locked package is installed: its environments when the requirements bring it in,
    or ``'NAME' in extras`` / ``'NAME' in dependency_groups`` with the environments of each
    extra and group that does (PEP 751's lock-file markers); ``""`` for everywhere."""
    from packaging.markers import Marker

    from spoke.plan.markerset import render

    always = item.activations.get(None)
    terms: list[str] = []
    if always:
        text = render(always, scope)
        if not text:
            return ""
        terms.append(text if len(item.activations) == 1 else f"({text})")
    for label, where in sorted(item.activations.items(), key=lambda pair: pair[0] or ""):
        if label is None or (always is not None and not (where - always) & scope):
            continue
        kind, _, name = label.partition(":")
        condition = f"'{name}' in {'extras' if kind == 'extra' else 'dependency_groups'}"
        text = render(where, scope)
        terms.append(f"({condition} and ({text}))" if text else condition)
    if not terms:
        return render(item.marker, scope)
    return str(Marker(" or ".join(terms)))


def render_lock(lock: Pylock) -> str:
    """The lock as TOML, loaded back by ``packaging.pylock`` before it is returned."""

    import tomli_w
    from packaging.pylock import Pylock

    from spoke.config.toml import tomllib

    text = tomli_w.dumps(lock.to_dict())
    Pylock.from_dict(tomllib.loads(text))  # what is written reads back
    return text


def _package(ctx: Context, pkg: ResolvedPackage, base: Path, *, where: MarkerSet | None = None) -> Package:
    from packaging.pylock import Package

    name = canonicalize_name(pkg.name)
    if pkg.direct is not None:
        return _direct(pkg, base)
    wheels, sdist, index = _files(ctx, pkg, where)
    if not wheels and sdist is None:
        raise SpokeError(f"The index offers no file of {pkg.name} {pkg.version} to lock",
                         hint="Check the index; a lock names the files an installer fetches.")
    return Package(name=name, version=pkg.version, index=index, wheels=wheels or None, sdist=sdist,
                   requires_python=_requires_python(pkg))


def _requires_python(pkg: ResolvedPackage) -> Any:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    text = pkg.file.requires_python if pkg.file is not None else None
    try:
        return SpecifierSet(text) if text else None
    except InvalidSpecifier:
        return None


def _files(ctx: Context, pkg: ResolvedPackage, where: MarkerSet | None) -> tuple[list[Any], Any, str | None]:
    """Every wheel of ``pkg``'s version on its index (all platforms; in a universal lock, those
    some environment of ``where`` — the package's environments — can install), its sdist, the
    index's URL."""
    from packaging.pylock import PackageSdist, PackageWheel

    from spoke.app.compile import _digest_of
    from spoke.plan.markerset import wheel_set

    wheels: list[Any] = []
    sdist: Any = None
    index: str | None = None
    for file in ctx.index.files(pkg.name):
        if file.version != pkg.version:
            continue
        hashes = {k: v for k, v in (file.hashes or {}).items() if k in ("sha256", "sha384", "sha512")}
        if not hashes:
            hashes = {"sha256": _digest_of(ctx, file)}
        when = _time(file.upload_time)
        if file.filename.endswith(".whl") and where is not None and not (
                wheel_set(file.filename, len(where.pythons)) & where):
            continue  # no environment that installs this package can install this wheel
        if file.filename.endswith(".whl"):
            wheels.append(PackageWheel(name=file.filename, url=file.url, hashes=hashes, size=file.size,
                                       upload_time=when))
        elif sdist is None and file.filename.endswith((".tar.gz", ".zip")):
            sdist = PackageSdist(name=file.filename, url=file.url, hashes=hashes, size=file.size, upload_time=when)
        else:
            continue
        index = index or _simple_root(file.index_url)
    wheels.sort(key=lambda w: w.name or "")
    return wheels, sdist, index


def _simple_root(index_url: str | None) -> str | None:
    if not index_url or index_url.startswith("file:") or "://" not in index_url:
        return None  # a find-links folder is no index
    return index_url


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _direct(pkg: ResolvedPackage, base: Path) -> Package:
    """A package given as a folder, an archive or a VCS URL, locked as that source."""
    from packaging.pylock import Package, PackageArchive, PackageDirectory, PackageVcs

    from spoke.prepare import file_digests, local_path

    assert pkg.direct is not None
    source = pkg.direct.source
    record: Mapping[str, Any] = pkg.direct.direct_url or {}
    name = canonicalize_name(pkg.name)
    if source.kind == "vcs":
        info = record.get("vcs_info", {})
        url = str(record.get("url", source.url))
        return Package(name=name, vcs=PackageVcs(type=str(info.get("vcs", "git")), url=url,
                                                 requested_revision=info.get("requested_revision"),
                                                 commit_id=str(info.get("commit_id", "")),
                                                 subdirectory=source.subdirectory))
    if source.kind == "dir" and source.path is not None:
        return Package(name=name, directory=PackageDirectory(path=_relative(source.path, base),
                                                             editable=source.editable or None,
                                                             subdirectory=source.subdirectory))
    path = source.path or local_path(source.url)
    if path is not None and path.is_file():
        digest = file_digests(path)["sha256"]
        return Package(name=name, version=pkg.version,
                       archive=PackageArchive(path=_relative(path, base), hashes={"sha256": digest}))
    hashes = dict(h.split(":", 1) for h in source.hashes if ":" in h)
    if not hashes:
        raise SpokeError(f"{pkg.name} is given as {source.shown_url} without a hash, which a lock needs",
                         hint="Add `#sha256=…` to the URL, or lock a release from an index.")
    return Package(name=name, version=pkg.version, archive=PackageArchive(url=source.url, hashes=hashes))


def _relative(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base).replace(os.sep, "/")
    except ValueError:  # another drive (Windows)
        return str(path)
