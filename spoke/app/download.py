"""``spoke download``: install's stages up to *resolved*, then every chosen file saved whole.

    resolving_target ─▶ make_policy ─▶ resolve_request ─▶ save_files

Files keep the names the index publishes (wheels, and sdists where an sdist is the chosen
file; an sdist's dependencies come from its metadata, built as for an install); a project
folder or a VCS checkout is saved as the sdist its backend builds (PEP 517). Each file
lands whole in ``dest``: a file already there with the right sha256 is kept ("already
downloaded"), one with another content is replaced; a new file is copied from the cache when a
verified copy is there (wheels fetched whole for their metadata usually are), else downloaded
to a temporary name beside it, hash-checked, then renamed, so an interrupted or failed download
leaves nothing partial behind.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from spoke.app.context import Context
from spoke.app.requests import DownloadRequest
from spoke.errors import HashMismatchError, NotCachedError, SpokeError, not_cached
from spoke.models import IndexFile, Interpreter
from spoke.models.direct import DirectCandidate
from spoke.plan.resolve import Resolution, ResolvedPackage

if TYPE_CHECKING:
    from spoke.app.sources import SourceBuilder
    from spoke.app.stages import Resolved
    from spoke.env.foreign import ForeignTarget

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Saved:
    """One file in the destination folder, and how it got there."""

    path: Path
    source: str  # the URL (redacted) or local path it came from
    how: str  # "downloaded", "copied from the cache", "already downloaded"


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadOutcome:
    """What a download resolved and saved."""

    interpreter: Interpreter
    resolution: Resolution
    saved: tuple[Saved, ...]
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0


def run_download(ctx: Context, request: DownloadRequest) -> DownloadOutcome:
    """Resolve ``request`` for the target (or each environment of ``--each-platform``) and save
    every chosen file into ``request.dest``."""
    from spoke.app.stages import hashes_by_name

    started = time.perf_counter()
    hashes = hashes_by_name(request) if request.require_hashes else {}
    runs = resolve_each(
        ctx, request, lambda packages, sources: save_files(ctx, packages, request.dest, sources, hashes=hashes),
    )
    saved = {s.path: s for _interp, _resolved, files in runs for s in files}
    return DownloadOutcome(
        interpreter=runs[-1][0], resolution=joined(resolved for _i, resolved, _f in runs),
        saved=tuple(saved[p] for p in sorted(saved)),
        warnings=tuple(w for _i, resolved, _f in runs for w in resolved.warnings),
        seconds=time.perf_counter() - started,
    )


def resolve_each(
    ctx: Context, request: DownloadRequest, act: Callable[[Sequence[ResolvedPackage], SourceBuilder], _T],
) -> list[tuple[Interpreter, Resolved, _T]]:
    """:func:`resolve_then` for the target, or for each environment of ``--each-platform`` in
    turn (one resolution each: pip would pick one wheel for all of them together)."""
    from dataclasses import replace

    if not request.each_platform:
        return [resolve_then(ctx, request, act)]
    runs = []
    for env in request.each_platform:
        try:
            runs.append(resolve_then(ctx, replace(request, foreign=env, each_platform=()), act))
        except SpokeError as exc:
            # Which of the environments failed is the first thing to know.
            exc.notes = (f"while resolving for {_described(env)} (--each-platform)", *exc.notes)
            raise
    return runs


def _described(env: ForeignTarget) -> str:
    parts = [*env.platforms, *([f"Python {env.python_version}"] if env.python_version else [])]
    return ", ".join(parts) or "this interpreter"


def joined(results: Iterable[Resolved]) -> Resolution:
    """The packages of several resolutions, each name and version once."""
    seen: dict[tuple[str, str], ResolvedPackage] = {}
    for resolved in results:
        for pkg in resolved.resolution.packages:
            seen.setdefault((pkg.name, str(pkg.version)), pkg)
    return Resolution(packages=tuple(seen[key] for key in sorted(seen)))


def resolve_then(
    ctx: Context, request: DownloadRequest, act: Callable[[Sequence[ResolvedPackage], SourceBuilder], _T],
) -> tuple[Interpreter, Resolved, _T]:
    """``download``'s and ``wheel``'s stage list up to *resolved* (a target whose installed set
    does not count, policy, resolution), then ``act`` on the packages while the source builder
    is still open (``wheel`` builds with it)."""
    from spoke.app.install import BuildEnvironments
    from spoke.app.sources import SourceBuilder
    from spoke.app.stages import hashes_by_name, make_policy, resolve_request, resolving_target

    check_destination(request.dest)
    _check_foreign(request)
    interp: Interpreter = ctx.interpreter
    hashes = hashes_by_name(request) if request.require_hashes else {}
    sources = SourceBuilder(
        ctx, interp, isolation=request.build_isolation, config_settings=request.config_settings,
        hashes=hashes or None, src_dir=request.src_dir, build_context=BuildEnvironments(ctx),
    )
    try:
        target = resolving_target(ctx, request.foreign)
        policy = make_policy(ctx, request, target, sources)
        resolved = resolve_request(ctx, request, target, policy, sources, fetch_early=False)
        return target.interpreter, resolved, act(resolved.resolution.packages, sources)
    finally:
        sources.close()


def _check_foreign(request: DownloadRequest) -> None:
    """Another environment's files are taken as wheels only (:func:`check_wheels_only`)."""
    if request.foreign is not None and request.foreign.given:
        from spoke.env.foreign import check_wheels_only

        check_wheels_only(request.only_binary, request.no_deps)


def check_destination(dest: Path) -> None:
    """Make ``dest`` (and its parents); refuse a path that is a file or cannot be written."""
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SpokeError(f"Cannot download into `{dest}`: it is a file, not a folder",
                         hint="Give -d/--dest a folder (it is made when missing).") from None
    except OSError as exc:
        raise SpokeError(f"Cannot make the folder `{dest}`: {exc.strerror or exc}",
                         hint="Give -d/--dest a folder you can write to.") from None
    if not os.access(dest, os.W_OK | os.X_OK):
        raise SpokeError(f"Cannot write into `{dest}`: permission denied",
                         hint="Give -d/--dest a folder you can write to.")


def save_files(
    ctx: Context, packages: Sequence[ResolvedPackage], dest: Path, sources: SourceBuilder, *,
    hashes: Mapping[str, Sequence[str]] | None = None,
) -> list[Saved]:
    """Save the chosen file of every package into ``dest``: files concurrently, while the
    sdists of project folders and checkouts are built here, one after the other. The first
    failure is raised once every save has ended (files already saved stay: each is whole)."""
    from spoke.prepare import gather

    pool = ctx.preparer.downloads
    jobs: dict[str, Future[Saved]] = {}
    built: list[ResolvedPackage] = []
    for pkg in packages:
        if pkg.direct is not None and _archive_of(pkg.direct) is None:
            built.append(pkg)
        elif pkg.direct is not None:
            jobs[pkg.name] = pool.submit(_save_archive, pkg.direct, dest)
        elif pkg.file is not None:
            allowed = tuple((hashes or {}).get(pkg.name, ()))
            jobs[pkg.name] = pool.submit(save_index_file, ctx, pkg.file, dest, allowed)
    try:
        saved = [_save_built_sdist(pkg.direct, dest, sources) for pkg in built if pkg.direct is not None]
    except BaseException:
        wait(jobs.values())  # every file whole or gone before the build's error is told
        raise
    return sorted([*saved, *gather(jobs).values()], key=lambda s: s.path.name)


def save_index_file(ctx: Context, file: IndexFile, dest: Path, allowed: Sequence[str]) -> Saved:
    from spoke.net.redact import redact_url
    from spoke.prepare import check_allowed_hashes, file_digests, local_path, wheel_download_path

    target = dest / plain_name(file.filename)
    shown = redact_url(file.url)
    if target.is_file() and file.sha256 and file_digests(target)["sha256"] == file.sha256:
        if allowed:
            check_allowed_hashes(target, allowed, filename=file.filename)
        return Saved(path=target, source=shown, how="already downloaded")
    local = local_path(file.url)
    cached = local if local is not None else wheel_download_path(ctx.cache, file)
    if cached.is_file() and (not file.sha256 or file_digests(cached)["sha256"] == file.sha256):
        copy_whole(cached, target)
        how = "copied from the cache" if local is None else "copied"
    else:
        try:
            ctx.http.download(file.url, target, expected_hashes=file.hashes or None, progress_name=file.filename)
        except NotCachedError:
            raise not_cached(f"{file.name} {file.version}", f"{file.filename} was never downloaded") from None
        how = "downloaded"
        if local is None and file.sha256 and not ctx.cache.temporary:
            _keep_in_cache(target, cached)
    if allowed:
        try:
            check_allowed_hashes(target, allowed, filename=file.filename)
        except HashMismatchError:
            target.unlink(missing_ok=True)
            raise
    return Saved(path=target, source=shown, how=how)


def _archive_of(cand: DirectCandidate) -> Path | None:
    """The file a direct source names when it is a wheel or a source archive (local, or
    fetched while resolving); ``None`` for a project folder or a VCS checkout."""
    from spoke.models.direct import DirectWheel
    from spoke.prepare import local_path

    source = cand.source
    if source.kind in ("dir", "vcs"):
        return None
    if isinstance(cand, DirectWheel) and source.kind == "wheel":
        return cand.wheel
    return source.path if source.path is not None else local_path(source.url)


def _save_archive(cand: DirectCandidate, dest: Path) -> Saved:
    """A wheel or source archive given by path or URL, saved as it is."""
    source = cand.source
    archive = _archive_of(cand)
    if archive is None or not archive.is_file():
        raise SpokeError(f"Cannot download {cand.name} from {source.label()}: the archive is gone",
                         hint="Check that the file still exists, then run the command again.")
    target = dest / plain_name(source.filename)
    if not (target.is_file() and os.path.samefile(target, archive)):
        copy_whole(archive, target)
    return Saved(path=target, source=source.label(), how="copied")


def _save_built_sdist(cand: DirectCandidate, dest: Path, sources: SourceBuilder) -> Saved:
    """A project folder or VCS checkout, saved as the sdist its PEP 517 backend builds."""
    sdist = sources.direct_sdist(cand)
    target = dest / plain_name(sdist.name)
    copy_whole(sdist, target)
    return Saved(path=target, source=cand.source.label(), how="built as an sdist")


def plain_name(filename: str) -> str:
    """A file name from an index, refused when it would leave the destination folder."""
    if not filename or "/" in filename or "\\" in filename or filename in (".", ".."):
        raise SpokeError(f"Refusing to save a file named `{filename}`: not a plain file name",
                         hint="The index serves a malformed file name; report it to its maintainers.")
    return filename


def _keep_in_cache(saved: Path, cached: Path) -> None:
    """Link a file just downloaded into the ``wheels`` bucket too (no copy: a second name for
    the same bytes), so that ``--offline`` finds it later (``download``, ``wheel`` and
    ``install``). The cached copy is checked against the index's sha256 before it is used
    again. A folder on another file system, or one that refuses links, costs only that."""
    from spoke.cache import temp_path_beside

    try:
        tmp = temp_path_beside(cached)
    except OSError:
        return
    try:
        tmp.unlink()
        os.link(saved, tmp)
        os.replace(tmp, cached)
    except OSError:
        tmp.unlink(missing_ok=True)


def copy_whole(source: Path, target: Path) -> None:
    """Copy through a temporary file beside ``target`` and a rename: never half a file."""
    from spoke.cache import temp_path_beside

    tmp = temp_path_beside(target)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
