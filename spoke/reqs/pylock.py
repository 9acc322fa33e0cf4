"""Installing from a PEP 751 lock file (``pylock.toml``): what it says this environment gets.

``packaging.pylock`` reads and validates the file and selects, for one environment (its marker
values and tags), one distribution per package: the best wheel by tag order, else the sdist,
or the folder, archive or VCS commit the package was locked from. It refuses a lock whose
``requires-python`` or ``environments`` exclude the environment. Each selection becomes a
direct requirement carrying the file's hashes — ``name @ url`` with ``--hash`` values — so
spoke installs exactly the locked files without resolving anything, and a file whose hash
differs is refused as in hash-checking mode. Paths in the lock are relative to its folder.

Locks written by uv (``uv export --format pylock.toml``), by pip (``pip lock``) and by spoke
are the same format and read the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from spoke.errors import RequirementError
from spoke.reqs.parse import UserRequirement, parse_requirement

if TYPE_CHECKING:
    from packaging.pylock import Pylock
    from packaging.tags import Tag


def is_lock_file(path: str | Path) -> bool:
    """Whether ``path`` is named as a PEP 751 lock file (``pylock.toml``, ``pylock.NAME.toml``)."""
    from packaging.pylock import is_valid_pylock_path

    return is_valid_pylock_path(Path(path))


def read_lock(path: Path) -> Pylock:
    """The lock at ``path``, validated; a :class:`~spoke.errors.RequirementError` naming what is wrong."""

    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    from spoke.config.toml import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RequirementError(f"Lock file `{path}` does not exist",
                               hint="Check the path (`uv export --format pylock.toml` makes one).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RequirementError(f"Cannot read lock file `{path}`: {exc}") from None
    try:
        return Pylock.from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise RequirementError(f"`{path}` is not valid TOML: {exc}", hint="Make the lock again.") from None
    except PylockUnsupportedVersionError as exc:
        raise RequirementError(f"`{path}` uses a lock version spoke cannot read: {exc}",
                               hint="Make the lock again with a tool writing lock-version 1.x.") from None
    except PylockValidationError as exc:
        raise RequirementError(f"`{path}` is not a valid PEP 751 lock file: {exc}",
                               hint="Make the lock again with the tool that wrote it.") from None


def lock_requirements(
    path: Path, *, markers: Mapping[str, str], tags: Sequence[Tag],
    extras: Collection[str] = (), groups: Collection[str] | None = None,
) -> list[UserRequirement]:
    """What the lock at ``path`` installs into the environment of ``markers`` and ``tags``, as
    direct requirements with their hashes (see the module's text)."""
    from packaging.pylock import (
        PackageArchive,
        PackageDirectory,
        PackageSdist,
        PackageVcs,
        PackageWheel,
        PylockSelectError,
    )

    lock = read_lock(path)
    base = path.parent.absolute()
    source = f"from {path}"
    out: list[UserRequirement] = []
    for kind, asked, declared in (("extra", extras, lock.extras),
                                  ("dependency group", groups or (), lock.dependency_groups)):
        unknown = sorted({canonicalize_name(x) for x in asked} - {canonicalize_name(x) for x in declared or ()})
        if unknown:
            known = ", ".join(f"`{x}`" for x in declared or ()) or "none"
            raise RequirementError(f"The lock `{path}` has no {kind} {', '.join(f'`{x}`' for x in unknown)}",
                                   hint=f"Its {kind}s: {known}.")
    try:
        selected = list(lock.select(environment=dict(markers), tags=list(tags), extras=extras,  # type: ignore[arg-type]
                                    dependency_groups=groups))
    except PylockSelectError as exc:
        raise RequirementError(
            f"The lock `{path}` has nothing to install into this environment: {exc}",
            hint="Lock again for this Python and platform (its `requires-python`, `environments` and wheels "
                 "say what it covers), or install into an environment it covers.",
        ) from None
    for package, dist in selected:
        name = str(package.name)
        if isinstance(dist, PackageDirectory):
            folder = _local(base, dist.path)
            if dist.editable:
                out.append(parse_requirement(str(folder), source=source, editable=True))
            else:
                out.append(parse_requirement(f"{name} @ {folder.as_uri()}", source=source))
        elif isinstance(dist, PackageVcs):
            url = dist.url or (_local(base, dist.path).as_uri() if dist.path else "")
            fragment = f"#subdirectory={dist.subdirectory}" if dist.subdirectory else ""
            out.append(parse_requirement(f"{name} @ {dist.type}+{url}@{dist.commit_id}{fragment}", source=source))
        elif isinstance(dist, (PackageWheel, PackageSdist, PackageArchive)):
            location = dist.url or (_local(base, dist.path).as_uri() if dist.path else None)
            if location is None:
                raise RequirementError(f"The lock `{path}` gives neither a URL nor a path for {name}",
                                       hint="Make the lock again.")
            fragment = f"#subdirectory={dist.subdirectory}" if isinstance(dist, PackageArchive) and (
                dist.subdirectory) else ""
            hashes = tuple(f"{algo}:{value}" for algo, value in sorted(_hashes(dist).items()))
            out.append(parse_requirement(f"{name} @ {location}{fragment}", source=source, hashes=hashes))
    return out


def _local(base: Path, path: str | None) -> Path:
    return (base / (path or ".")).resolve()


def _hashes(dist: Any) -> Mapping[str, str]:
    return dict(getattr(dist, "hashes", None) or {})
