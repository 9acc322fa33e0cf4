"""Which files of a project may be installed on a target, and which is best.

Pure functions over :class:`~spoke.models.IndexFile` values and the target's tags and Python
version. The policy follows pip and the PEPs:

* a wheel fits when one of its tags is supported by the target; the best wheel is the one whose
  best tag comes earliest in the target's (most-preferred-first) tag list;
* a file whose ``Requires-Python`` excludes the target's Python is ignored;
* yanked files (PEP 592) are ignored unless the request pins that exact version;
* pre-releases are considered only when allowed (``--pre``, a specifier that names a
  pre-release) or when no final release matches at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.version import Version

from spoke.models import IndexFile, Interpreter
from spoke.plan.markerset import PLATFORMS, MarkerSet, PySet, py_subset, specifier_pythons


@dataclass(frozen=True, slots=True, kw_only=True)
class FilePolicy:
    """What a command allows: binaries only, sources never, which Python, which tags."""

    tags: dict[Tag, int]
    python_version: Version
    no_binary: frozenset[str] = frozenset()  # names, or ":all:"
    only_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False
    #: A universal resolution's part: files are kept for every platform, and a file's
    #: ``Requires-Python`` must admit every Python of the region (``tags`` and
    #: ``python_version`` are then unused).
    region: MarkerSet | None = None

    @classmethod
    def for_interpreter(cls, interp: Interpreter, **options: Any) -> FilePolicy:
        """The policy of ``interp``'s tags (most preferred first) and Python version, with
        ``options`` (``no_binary``…) as given."""
        return cls(tags={tag: i for i, tag in enumerate(interp.tags)},
                   python_version=Version(interp.python_full_version.split("+")[0]), **options)

    def wheels_allowed(self, name: str) -> bool:
        """False when ``--no-binary`` covers ``name``."""
        if name in self.only_binary:
            return True
        return not (":all:" in self.no_binary or name in self.no_binary)

    def sdists_allowed(self, name: str) -> bool:
        """False when ``--only-binary`` covers ``name``."""
        if name in self.no_binary:
            return True
        return not (":all:" in self.only_binary or name in self.only_binary)


@lru_cache(maxsize=4096)
def _specifier(text: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def python_matches(requires_python: str | None, python_version: Version) -> bool:
    """True when ``requires_python`` admits ``python_version`` (an invalid value admits all)."""
    if not requires_python:
        return True
    return _python_matches(requires_python, python_version)


@lru_cache(maxsize=4096)
def _python_matches(requires_python: str, python_version: Version) -> bool:
    # Thousands of files of a project share a handful of Requires-Python strings.
    spec = _specifier(requires_python.strip())
    if spec is None:
        return True
    return spec.contains(python_version, prereleases=True)


def wheel_rank(file: IndexFile, policy: FilePolicy) -> int | None:
    """The position of the wheel's best tag in the target's list, or None when it does not fit."""
    best: int | None = None
    for tag in file.tags:
        rank = policy.tags.get(tag)
        if rank is not None and (best is None or rank < best):
            best = rank
    return best


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionChoice:
    """The files of one version that may be installed, best first, and why others were not."""

    version: Version
    files: tuple[IndexFile, ...]
    yanked: bool

    @property
    def best(self) -> IndexFile:
        """The file to install."""
        return self.files[0]

    @property
    def has_wheel(self) -> bool:
        """True when at least one fitting file is a wheel."""
        return any(f.is_wheel for f in self.files)


def group_versions(
    name: str, files: Iterable[IndexFile], policy: FilePolicy
) -> tuple[dict[Version, VersionChoice], dict[Version, str]]:
    """Group a project's files by version, keeping only files that fit the target — or, for
    a universal region (``policy.region``), files whose ``Requires-Python`` admits every Python
    of the region, every platform's wheels (with ``--only-binary`` a version needs a wheel for
    each CPython machine of the region).

    Returns the usable versions (each with its files, best first) and, for versions with
    files but none usable, the reason (shown when nothing matches).
    """
    region = policy.region
    pythons = region.all_pythons() if region is not None else None
    fitting: dict[Version, list[tuple[tuple[int, int], IndexFile]]] = {}
    rejected: dict[Version, str] = {}
    elsewhere: dict[Version, list[IndexFile]] = {}  # wheels that do not fit (named only if needed)
    for f in files:
        if not (python_matches(f.requires_python, policy.python_version) if pythons is None
                else not f.requires_python or covers(f.requires_python, pythons)):
            rejected.setdefault(f.version, f"requires Python {f.requires_python}")
            continue
        if f.is_wheel:
            if not policy.wheels_allowed(name):
                rejected.setdefault(f.version, "binaries are disabled (--no-binary)")
                continue
            # Universal: every platform's wheel counts, a pure one first (its metadata is the
            # most general); else the target's best tag ranks.
            rank = wheel_rank(f, policy) if region is None else 0 if f.filename.endswith("-any.whl") else 1
            if rank is None:
                rejected.setdefault(f.version, _NO_WHEEL)
                elsewhere.setdefault(f.version, []).append(f)
                continue
            key = (0, rank)
        else:
            if not policy.sdists_allowed(name):
                rejected.setdefault(f.version, "has only a source distribution (--only-binary)")
                continue
            # Sources after any wheel; with --prefer-binary a wheel wins across versions too.
            key = (1, 0)
        fitting.setdefault(f.version, []).append((key, f))
    choices: dict[Version, VersionChoice] = {}
    for version, ranked in fitting.items():
        ranked.sort(key=lambda item: (item[0], item[1].filename))
        ordered = tuple(f for _, f in ranked)
        missing = wheel_gaps(ordered, region) if region is not None and not policy.sdists_allowed(name) else []
        if missing:  # universal --only-binary: a wheel for each machine of the region
            more = " and others" if len(missing) > 3 else ""
            rejected[version] = f"has no wheel for {', '.join(missing[:3])}{more}"
            continue
        # A version counts as yanked only when every fitting file is (PEP 592).
        yanked = all(f.yanked is not None for f in ordered)
        if not yanked:
            ordered = tuple(f for f in ordered if f.yanked is None)
        choices[version] = VersionChoice(version=version, files=ordered, yanked=yanked)
        rejected.pop(version, None)
    for version, reason in rejected.items():
        if reason is _NO_WHEEL and elsewhere.get(version):
            # Index pages may be thinned to this target's wheels (one other kept per version),
            # so these are examples, not the whole list.
            shown = sorted({f"{t.interpreter}-{t.platform}" for f in elsewhere[version] for t in f.tags})[:4]
            rejected[version] = f"{_NO_WHEEL} (it has wheels for other targets, such as {', '.join(shown)})"
    return choices, rejected


_NO_WHEEL = "has no wheel for this platform or Python"


@lru_cache(maxsize=4096)
def covers(requires_python: str, pythons: PySet) -> bool:
    """``requires_python`` admits every Python of ``pythons`` (a project's thousands of files
    share a handful of these)."""
    return py_subset(pythons, specifier_pythons(requires_python))


def wheel_gaps(files: Sequence[IndexFile], region: MarkerSet) -> list[str]:
    """The CPython platforms of ``region`` (at its lowest Python) that no wheel of ``files`` fits."""
    missing = []
    for i in region.platform_indexes():
        platform = PLATFORMS[i]
        if platform.implementation_name != "cpython" or platform.sys_platform not in ("linux", "darwin", "win32") or (
                platform.named):
            continue  # PyPy, and systems PyPI has no wheels for (emscripten, cygwin, FreeBSD), are not asked
        low = region.pythons[i][0][0]
        tags = _platform_tags(i, (low[0], low[1]))
        if not any(tag in tags for f in files if f.is_wheel for tag in f.tags):
            missing.append(f"{platform.sys_platform} {platform.platform_machine} with Python {low[0]}.{low[1]}")
    return missing


@lru_cache(maxsize=256)
def _platform_tags(index: int, python: tuple[int, int]) -> frozenset[Tag]:
    """The wheel tags a CPython ``python`` on platform ``index`` takes."""
    from packaging.tags import compatible_tags, cpython_tags, mac_platforms

    platform = PLATFORMS[index]
    machine = platform.platform_machine
    if platform.sys_platform == "linux":
        arch = {"armv7l": "armv7l"}.get(machine, machine)
        names = [f"manylinux_2_{minor}_{arch}" for minor in range(40, 4, -1)]
        names += [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}", f"linux_{arch}"]
    elif platform.sys_platform == "darwin":
        names = list(mac_platforms((26, 0), machine))
    else:
        names = [{"AMD64": "win_amd64", "ARM64": "win_arm64", "x86": "win32"}[machine]]
    tags = [*cpython_tags(python, platforms=names), *compatible_tags(python, f"cp{python[0]}{python[1]}", names)]
    return frozenset(tags)


def order_versions(
    choices: dict[Version, VersionChoice], *, prefer_binary: bool = False
) -> Sequence[Version]:
    """Versions from most to least preferred (newest first; with prefer_binary, wheels first)."""
    versions = sorted(choices, reverse=True)
    if prefer_binary:
        versions.sort(key=lambda v: not choices[v].has_wheel)
    return versions
