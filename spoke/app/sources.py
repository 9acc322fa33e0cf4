"""From sources to wheels: source distributions, direct URLs, local projects, VCS checkouts.

:class:`SourceBuilder` is the dispatcher DESIGN.md speaks of: resolving needs metadata, which
for a source distribution needs a build, which needs a build environment, which needs a
resolve and an install. It owns, for one command:

* **sdists from an index** — :meth:`sdist_metadata` (for the solver) and :meth:`sdist_wheel`
  (for the install); the source is downloaded once, unpacked safely, asked for its metadata
  through ``prepare_metadata_for_build_wheel`` and built with ``build_wheel``. Built wheels are
  cached by the sdist's sha256 and the target's tag, so a second install builds nothing.
* **direct sources** — :meth:`materialize` turns a :class:`~spoke.reqs.direct.DirectSource` (a
  wheel or archive URL or path, a project folder, a git URL, editable or not) into a
  :class:`DirectCandidate`: name, version, metadata and the PEP 610 record; :meth:`direct_wheel`
  then gives the wheel to install.
* **build environments** — a fresh virtual environment per build, filled by spoke's own
  resolver and installer (same cache, same hardlinks) through the
  :class:`~spoke.protocols.BuildContext` it is given (this module never calls the install
  stages itself: they call it).

Build folders live under the cache's ``builds`` bucket (same filesystem as the cache, so
wheels move by rename) and are removed by :meth:`close`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.errors import BuildError, MetadataError, NotCachedError, RequirementError, not_cached
from spoke.models import CoreMetadata, IndexFile, Interpreter
from spoke.models.direct import DirectCandidate, DirectProject, DirectSource, DirectWheel
from spoke.protocols import BuildContext
from spoke.reqs.direct import direct_url_record, path_to_url

_MAX_BUILD_DEPTH = 6


class _VenvForBuilds:
    """A throw-away virtual environment holding build requirements.

    Its hooks keep their bytecode in the cache's ``bytecode`` bucket (``PYTHONPYCACHEPREFIX``,
    unless the user set one): the environment is made afresh for every command, but at the same
    place for the same requirements (:meth:`SourceBuilder._env_root`), and its files are hard
    links to the cache's unpacked wheels, so the bytecode of setuptools compiled by one build
    still matches its sources in the next, which then imports it without compiling (a third of
    a small setuptools build's time).
    """

    def __init__(self, owner: SourceBuilder, root: Path) -> None:
        from spoke.env.venv import create_venv

        create_venv(root, interpreter=owner.interpreter)
        scripts = root / ("Scripts" if os.name == "nt" else "bin")
        self.python = scripts / ("python.exe" if os.name == "nt" else "python")
        self.environ = {"PATH": str(scripts) + os.pathsep + os.environ.get("PATH", ""),
                        "VIRTUAL_ENV": str(root)}
        if not os.environ.get("PYTHONPYCACHEPREFIX"):
            # Written under spoke's cache only, so a PYTHONDONTWRITEBYTECODE meant for the
            # user's folders does not apply (an empty value turns it off).
            self.environ.update(PYTHONPYCACHEPREFIX=str(owner.bytecode_dir()), PYTHONDONTWRITEBYTECODE="")
        self.installed: set[str] = set()


class _IsolatedEnv:
    """The build environment of one source tree.

    Trees that declare the same ``build-system.requires`` share one environment within a
    command (ten setuptools sdists set up setuptools once); what a backend asks for on top
    (``get_requires_for_build_wheel``) is added to it.
    """

    def __init__(self, owner: SourceBuilder, label: str) -> None:
        self._owner = owner
        self._label = label
        self._venv: _VenvForBuilds | None = None

    def _env(self, key: frozenset[str] = frozenset()) -> _VenvForBuilds:
        if self._venv is None:
            shared = self._owner._build_envs
            self._venv = shared.get(key)
            if self._venv is None:
                self._venv = shared[key] = _VenvForBuilds(self._owner, self._owner._env_root(key))
        return self._venv

    @property
    def python(self) -> Path:
        return self._env().python

    @property
    def environ(self) -> dict[str, str]:
        return self._env().environ

    def install(self, requirements: Sequence[str]) -> None:
        venv = self._env(frozenset(requirements))
        todo = [r for r in requirements if r not in venv.installed]
        if todo:
            self._owner.install_into(venv.python, todo, label=self._label)
            venv.installed.update(todo)


class SourceBuilder:
    """Metadata and wheels from sources, for one command (see the module docstring)."""

    def __init__(
        self,
        ctx: Any,
        interpreter: Interpreter,
        *,
        isolation: bool = True,
        config_settings: Sequence[str] = (),
        hashes: Mapping[str, Sequence[str]] | None = None,
        src_dir: Path | None = None,
        per_name_settings: Mapping[str, Sequence[str]] | None = None,
        build_context: BuildContext,
        check_requirements: bool = True,
    ) -> None:
        self._ctx = ctx
        self._check_requirements = check_requirements
        self._build_context = build_context
        self.interpreter = interpreter
        self._isolation = isolation
        self._config_settings = tuple(config_settings)
        self._hashes = hashes or {}
        self._src_dir = src_dir
        # `name -C key=value` lines of a requirements file: settings for that project's build only.
        self._per_name = per_name_settings or {}
        self._stack: tuple[str, ...] = ctx.build_stack
        self._current = "a build"  # the source being built (for messages about its environment)
        self._build_envs: dict[frozenset[str], _VenvForBuilds] = {}  # by build-system.requires
        self._env_slots: list[tuple[Any, Path]] = []  # (lock, folder) of each environment's place
        self._lock = threading.RLock()
        self._work: Path | None = None
        self._builder: Any = None
        # url → (project root, metadata folder, metadata, sdist sha256) of index sdists
        self._sdists: dict[str, tuple[Path, Path | None, CoreMetadata, str]] = {}
        self._wheels: dict[str, Path] = {}  # url → wheel built from it

    # -- plumbing ----------------------------------------------------------------------------

    def _work_dir(self) -> Path:
        if self._work is None:
            base = self._ctx.cache.bucket("builds") / "work"
            base.mkdir(parents=True, exist_ok=True)
            self._work = Path(tempfile.mkdtemp(dir=base, prefix="run-"))
        return self._work

    def _fresh(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(dir=self._work_dir(), prefix=prefix))

    def bytecode_dir(self) -> Path:
        """Where build hooks keep their bytecode (see :class:`_VenvForBuilds`)."""
        return Path(self._ctx.cache.bucket("bytecode"))

    def _env_root(self, requires: frozenset[str]) -> Path:
        """An empty folder for a build environment of ``requires``: the same place every time
        for this interpreter and these requirements (one of eight slots, each held under a lock
        for the command's life, so concurrent builds never share one); a fresh temporary
        folder when every slot is taken."""
        from filelock import FileLock, Timeout

        from spoke.cache import key_for

        base = self._ctx.cache.bucket("builds") / "envs"
        base.mkdir(parents=True, exist_ok=True)
        key = key_for(f"{self.interpreter.executable}|{sorted(requires)}")[:16]
        for slot in range(8):
            lock = FileLock(str(base / f"{key}-{slot}.lock"))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue
            root = base / f"{key}-{slot}"
            shutil.rmtree(root, ignore_errors=True)  # what a killed build left
            self._env_slots.append((lock, root))
            return root
        return self._fresh("env-")

    def builder(self) -> Any:
        """The PEP 517 frontend for this command (built on first use)."""
        if self._builder is None:
            from spoke.pep517 import Builder

            self._builder = Builder(
                make_env=self._make_env if self._isolation else None,
                python=Path(self.interpreter.executable),
                work_dir=self._work_dir(),
                log=self._log_line,
                markers=self.interpreter.markers,
                check_requirements=self._check_requirements,
                log_dir=self._ctx.cache.bucket("builds") / "logs",
            )
        return self._builder

    def _log_line(self, line: str) -> None:
        """A line a backend printed: detail for ``-v``, and the latest line of the build under way."""
        reporter = self._ctx.reporter
        reporter.debug(line)
        if line.strip():
            reporter.build_output(self._current, line.strip())

    def _make_env(self) -> _IsolatedEnv:
        return _IsolatedEnv(self, self._current)

    def _settings(self, extra: Sequence[str] = ()) -> dict[str, str | list[str]] | None:
        items = [*self._config_settings, *extra]
        if not items:
            return None
        from spoke.pep517 import parse_config_settings

        return parse_config_settings(items)

    def install_into(self, python: Path, requirements: Sequence[str], *, label: str) -> None:
        """Install ``requirements`` into the build environment at ``python``, through the
        :class:`~spoke.protocols.BuildContext` this builder was given."""
        stack = (*self._stack, label.split(" ", 1)[0])
        self._build_context.install_build_requirements(python, requirements, label=label, stack=stack)

    def close(self) -> None:
        """Remove this command's build folders and environments (built wheels stay in the cache)."""
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None
        slots, self._env_slots = self._env_slots, []
        for lock, root in slots:
            shutil.rmtree(root, ignore_errors=True)
            lock.release()

    def _enter(self, label: str) -> None:
        if label in self._stack:
            chain = " → ".join([*self._stack, label])
            raise BuildError(
                f"Building {label} needs {label} itself to be built first ({chain})",
                hint=f"Install a wheel of {label} first, or use --only-binary {label}.",
            )
        if len(self._stack) >= _MAX_BUILD_DEPTH:
            raise BuildError(
                f"Build requirements nest too deeply ({' → '.join([*self._stack, label])})",
                hint="Use --only-binary :all: for build requirements, or install them first.",
            )

    # -- source distributions from an index --------------------------------------------------

    def _built_key(self, sha256: str, settings: Any) -> Path:
        """Where the wheel built from an sdist with this hash, for this target, is cached."""
        from spoke.cache import key_for

        flavour = key_for(f"{self.interpreter.tags[0] if self.interpreter.tags else ''}|{settings!r}")
        return self._ctx.cache.bucket("builds") / "wheels" / sha256 / flavour

    @staticmethod
    def _cached_wheel(folder: Path) -> Path | None:
        try:
            return next(p for p in folder.iterdir() if p.suffix == ".whl")
        except (OSError, StopIteration):
            return None

    def _fetch(
        self, url: str, filename: str, hashes: Mapping[str, str] | None, allowed: Sequence[str]
    ) -> tuple[Path, str]:
        """Download (or find locally) an archive; check hashes; return (path, sha256)."""
        from spoke.prepare import check_allowed_hashes, file_digests, local_path

        local = local_path(url)
        if local is not None:
            if not local.exists():
                raise RequirementError(f"`{local}` does not exist")
            path = local
        else:
            known = (hashes or {}).get("sha256")
            # A file named by its hash never changes and is kept; a bare URL may change, so it
            # is fetched again each run.
            path = (self._ctx.cache.bucket("wheels") / known if known else self._fresh("dl-")) / filename
            if not path.exists():
                try:
                    self._ctx.http.download(url, path, expected_hashes=hashes or None, progress_name=filename)
                except NotCachedError:
                    raise not_cached(filename, "it was never downloaded", project=None) from None
        if allowed:
            return path, check_allowed_hashes(path, allowed, filename=filename)
        if hashes and hashes.get("sha256") and local is None:
            return path, hashes["sha256"]
        return path, file_digests(path)["sha256"]

    def sdist_metadata(self, file: IndexFile) -> CoreMetadata:
        """Core metadata of an index sdist (from a cached build, else from its backend)."""
        with self._lock:
            entry = self._sdists.get(file.url)
            if entry is not None:
                return entry[2]
            name = canonicalize_name(file.name)
            path, sha = self._fetch(file.url, file.filename, file.hashes, self._hashes.get(name, ()))
            extra = self._per_name.get(name, ())
            settings = self._settings(extra)
            cached = self._cached_wheel(self._built_key(sha, settings))
            if cached is not None:
                meta = _wheel_metadata(cached)
                self._wheels[file.url] = cached
                self._sdists[file.url] = (cached, None, meta, sha)
                return meta
            root = self._unpack(path)
            static = static_sdist_metadata(root, file.filename)
            if static is not None:  # PEP 643: what a build would say, without the build
                _check_identity(static, file.name, file.version, file.filename)
                self._sdists[file.url] = (root, None, static, sha)
                return static
            meta_dir, meta = self._metadata(root, f"{file.name} {file.version} ({file.filename})", settings=extra)
            _check_identity(meta, file.name, file.version, file.filename)
            self._sdists[file.url] = (root, meta_dir, meta, sha)
            return meta

    def sdist_wheel(self, file: IndexFile) -> Path:
        """The wheel built from an index sdist (cached by the sdist's sha256)."""
        with self._lock:
            if file.url in self._wheels:
                return self._wheels[file.url]
            self.sdist_metadata(file)
            if file.url in self._wheels:
                return self._wheels[file.url]
            root, _meta_dir, _meta, sha = self._sdists[file.url]
            extra = self._per_name.get(canonicalize_name(file.name), ())
            folder = self._built_key(sha, self._settings(extra))
            try:
                wheel = self._build(root, f"{file.name} {file.version} ({file.filename})", editable=False,
                                    settings=extra)
            except BuildError as exc:
                note = self._wheels_elsewhere(file)
                if note is None or type(exc) is not BuildError:
                    raise
                raise BuildError(exc.message, label=exc.label, hook=exc.hook, notes=(*exc.notes, note),
                                 hint=exc.hint) from exc
            wheel = _publish_wheel(wheel, folder)
            self._wheels[file.url] = wheel
            return wheel

    def _wheels_elsewhere(self, file: IndexFile) -> str | None:
        """After an sdist failed to build: the nearest newer and older releases that have a wheel
        for this target (installing one needs no build), or that none has."""
        from spoke.plan.candidates import FilePolicy, group_versions

        interp = self.interpreter
        try:
            files = self._ctx.index.files(file.name)
            choices, _rejected = group_versions(file.name, files, FilePolicy.for_interpreter(interp))
        except Exception:  # noqa: BLE001 - a note, never a second failure
            return None
        with_wheel = sorted(v for v, c in choices.items() if c.has_wheel and not c.yanked and not v.is_prerelease)
        newer = [v for v in with_wheel if v > file.version]
        older = [v for v in with_wheel if v < file.version]
        if not newer and not older:
            return f"no release of {file.name} has a wheel for this target: it must build"
        picks = [f"{min(newer)} (newer)"] if newer else []
        picks += [f"{max(older)} (older)"] if older else []
        best = min(newer) if newer else max(older)
        return (f"{file.name} has a wheel for this target in {' and '.join(picks)}: "
                f"`{file.name}=={best}` installs without building")

    def _unpack(self, archive: Path) -> Path:
        from spoke.pep517 import unpack_sdist

        return unpack_sdist(archive, self._fresh("src-"))

    def _metadata(self, root: Path, label: str, *, editable: bool = False,
                  settings: Sequence[str] = ()) -> tuple[Path, CoreMetadata]:
        from spoke.metadata.parse import parse_core_metadata

        self._enter(label.split(" ", 1)[0])
        self._current = label
        meta_dir = self.builder().metadata(root, editable=editable, config_settings=self._settings(settings),
                                           label=label)
        data = (Path(meta_dir) / "METADATA").read_bytes()
        return Path(meta_dir), parse_core_metadata(data, source=label)

    def _build(self, root: Path, label: str, *, editable: bool, settings: Sequence[str] = ()) -> Path:
        """Build ``root``'s wheel (the Builder hands the backend the metadata it prepared)."""
        out = self._fresh("out-")
        self._current = label
        try:
            return Path(self.builder().build(root, out, editable=editable, config_settings=self._settings(settings),
                                             label=label))
        finally:
            self._ctx.reporter.build_done(label)

    # -- direct sources ----------------------------------------------------------------------

    def materialize(self, source: DirectSource) -> DirectCandidate:
        """Look at a direct source: fetch or check it out, read or build its metadata."""
        if source.kind == "wheel":
            return self._direct_wheel_file(source)
        if source.kind == "sdist":
            return self._direct_sdist(source)
        if source.kind == "dir":
            assert source.path is not None
            return self._direct_project(source, source.path, direct_url_record(source))
        if source.kind == "vcs":
            return self._direct_vcs(source)
        raise RequirementError(f"Cannot install `{source.text}`")  # pragma: no cover

    def _direct_wheel_file(self, source: DirectSource) -> DirectCandidate:
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        try:
            name, version, _build, tags = parse_wheel_filename(source.filename)
        except InvalidWheelFilename as exc:
            raise RequirementError(f"`{source.filename}` is not a valid wheel file name: {exc}") from None
        supported = set(self.interpreter.tags)
        if not any(tag in supported for tag in tags):
            raise RequirementError(
                f"{source.filename} is not a supported wheel on this platform",
                hint="Pick the wheel built for this Python and platform, or its source archive.",
            )
        _check_name(source, name)
        path, sha = self._fetch(source.url, source.filename, None, source.hashes)
        meta = _wheel_metadata(path)
        _check_identity(meta, name, version, source.filename)
        return DirectWheel(
            name=name, version=version, metadata=meta, source=source,
            direct_url=direct_url_record(source, sha256=sha), wheel=path,
        )

    def _from_cache(self, source: DirectSource, record: dict[str, Any], folder: Path) -> DirectWheel | None:
        """The candidate of a source whose wheel was built before (same archive or commit)."""
        cached = self._cached_wheel(folder)
        if cached is None:
            return None
        meta = _wheel_metadata(cached)
        _check_name(source, meta.name)
        return DirectWheel(name=meta.name, version=meta.version, metadata=meta, source=source,
                           direct_url=record, wheel=cached)

    def _direct_sdist(self, source: DirectSource) -> DirectCandidate:
        path, sha = self._fetch(source.url, source.filename, None, source.hashes)
        record = direct_url_record(source, sha256=sha)
        settings = self._settings(source.config_settings)
        folder = self._built_key(sha + (f"-{source.subdirectory}" if source.subdirectory else ""), settings)
        cached = self._from_cache(source, record, folder)
        if cached is not None:
            return cached
        root = self._unpack(path)
        if source.subdirectory:
            root = root / source.subdirectory
            if not root.is_dir():
                raise RequirementError(f"{source.filename} has no folder `{source.subdirectory}`")
        return self._direct_project(source, root, record, build_key=str(folder))

    def _direct_project(self, source: DirectSource, root: Path, record: dict[str, Any],
                        build_key: str | None = None) -> DirectProject:
        from spoke.errors import EditableUnsupported

        label = f"{source.name or root.name} ({source.label()})"
        legacy = False
        try:
            meta_dir, meta = self._metadata(root, label, editable=source.editable, settings=source.config_settings)
        except EditableUnsupported:
            # No PEP 660 hook: install the metadata and a .pth file, as `setup.py develop` did.
            meta_dir, meta = self._metadata(root, label, settings=source.config_settings)
            legacy = True
        _check_name(source, meta.name)
        return DirectProject(
            name=meta.name, version=meta.version, metadata=meta, source=source, direct_url=record,
            source_dir=root, metadata_dir=meta_dir, build_key=build_key, legacy_editable=legacy,
        )

    def _direct_vcs(self, source: DirectSource) -> DirectCandidate:
        vcs_url = self._vcs_url(source)
        if source.editable:
            project = self._editable_checkout(source, vcs_url)
            # pip's record of an editable VCS install: the checkout folder, editable; `freeze`
            # reads the repository and commit from the checkout itself.
            local = DirectSource(
                kind="dir", url=path_to_url(project), text=source.text, origin=source.origin, path=project,
                name=source.name, extras=source.extras, marker=source.marker, editable=True,
                config_settings=source.config_settings,
            )
            return self._direct_project(local, project, direct_url_record(local))
        got = self._checkout(vcs_url)
        record = vcs_url.direct_url(got.commit_id)
        settings = self._settings(source.config_settings)
        folder = self._built_key(f"git-{got.commit_id}-{source.subdirectory or ''}", settings)
        cached = self._from_cache(source, record, folder)
        if cached is not None:
            return cached
        return self._direct_project(source, got.path, record, build_key=str(folder))

    def _vcs_url(self, source: DirectSource) -> Any:
        from spoke.vcs import parse_vcs_url

        return parse_vcs_url(source.url + (f"#subdirectory={source.subdirectory}" if source.subdirectory else ""))

    def _checkout(self, vcs_url: Any) -> Any:
        """A fresh checkout of ``vcs_url`` (from the cached clone when there is one)."""
        from spoke.vcs import checkout

        dest = self._fresh("vcs-") / "checkout"
        return checkout(vcs_url, self._ctx.cache.bucket("vcs"), dest, environ=self._ctx.environ or None,
                        log=self._ctx.reporter.debug)

    def direct_sdist(self, cand: DirectCandidate) -> Path:
        """The source distribution of a project folder or a VCS checkout, built by its backend's
        PEP 517 ``build_sdist`` (``download`` saves it; pip zips the tree instead)."""
        source = cand.source
        if isinstance(cand, DirectProject):
            root = cand.source_dir
        elif source.kind == "vcs":  # its wheel was built before: the tree is checked out again
            root = self._checkout(self._vcs_url(source)).path
        else:
            raise RequirementError(f"{source.label()} is not a project folder or a checkout")
        label = f"{cand.name} ({source.label()})"
        self._enter(cand.name)
        self._current = label
        return Path(self.builder().sdist(root, self._fresh("sdist-"),
                                         config_settings=self._settings(source.config_settings), label=label))

    def build_project(self, root: Path, out_dir: Path, *, sdist: bool, wheel: bool) -> list[Path]:
        """``spoke build``: the project's sdist, then its wheel built *from that sdist* (what
        users will build); with ``wheel`` alone, the wheel straight from the tree."""
        from spoke.pep517 import unpack_sdist

        label = root.name
        self._current = label
        settings = self._settings()
        made: list[Path] = []
        if sdist:
            made.append(Path(self.builder().sdist(root, out_dir, config_settings=settings, label=label)))
        if wheel:
            tree = unpack_sdist(made[0], self._fresh("sdist-tree-")) if sdist else root
            made.append(Path(self.builder().build(tree, out_dir, config_settings=settings,
                                                  label=made[0].name if sdist else label)))
        return made

    def _editable_checkout(self, source: DirectSource, vcs_url: Any) -> Path:
        """pip's ``<prefix>/src/<name>`` for ``-e git+…`` (``--src`` elsewhere); the project folder.

        An existing checkout of the same repository is used as it is — it may hold the user's
        work, so spoke never replaces it (update it with git); anything else there is an error.
        """
        from spoke.errors import VcsError
        from spoke.vcs import checkout, checkout_origin

        base = self._src_dir or (Path(self.interpreter.sys_prefix) / "src")
        name = source.name or vcs_url.repo_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        dest = base / canonicalize_name(name)
        sub = vcs_url.subdirectory
        if dest.exists() and any(dest.iterdir()):
            origin = checkout_origin(vcs_url, dest, environ=self._ctx.environ or None) or ""
            if origin.rstrip("/") != vcs_url.pep610_url().rstrip("/"):
                raise VcsError(
                    f"{dest} already exists and is not a checkout of {vcs_url.shown}",
                    hint="Move it away, or choose another folder with --src.",
                )
            self._ctx.reporter.warning(f"Using the existing checkout in {dest} as it is (update it with git)")
            return dest / sub if sub else dest
        base.mkdir(parents=True, exist_ok=True)
        got = checkout(vcs_url, self._ctx.cache.bucket("vcs"), dest, environ=self._ctx.environ or None,
                       log=self._ctx.reporter.debug)
        return Path(got.path)

    def direct_wheel(self, cand: DirectCandidate, *, regular: bool = False) -> Path:
        """The wheel to install for a direct candidate (built now if needed); ``regular`` asks
        for a plain wheel even of an editable project (``spoke wheel -e``, as pip's)."""
        if isinstance(cand, DirectWheel):
            return cand.wheel
        label = f"{cand.name} ({cand.source.label()})"
        if cand.legacy_editable and not regular:
            return legacy_editable_wheel(cand, self._fresh("editable-"))
        if cand.editable and not regular:
            return self._build(cand.source_dir, label, editable=True, settings=cand.source.config_settings)
        wheel = self._build(cand.source_dir, label, editable=False, settings=cand.source.config_settings)
        if cand.build_key is not None:
            wheel = _publish_wheel(wheel, Path(cand.build_key))
        return wheel


def _publish_wheel(wheel: Path, folder: Path) -> Path:
    """Move a freshly built wheel into its cache folder (atomically; first writer wins)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / wheel.name
    if final.exists():
        return final
    tmp = folder / f".tmp-{os.getpid()}-{wheel.name}"
    shutil.copyfile(wheel, tmp)
    os.replace(tmp, final)
    return final


def _wheel_metadata(path: Path) -> CoreMetadata:
    from packaging.utils import parse_wheel_filename

    from spoke.metadata.parse import parse_core_metadata
    from spoke.metadata.zipread import read_local_metadata

    name = parse_wheel_filename(path.name)[0]
    return parse_core_metadata(read_local_metadata(path, project=name, source=path.name), source=path.name)


def _check_name(source: DirectSource, actual: str) -> None:
    if source.name and canonicalize_name(source.name) != canonicalize_name(actual):
        raise RequirementError(
            f"`{source.text}` asks for {source.name}, but {source.label()} contains {actual}",
            hint=f"Use `{actual} @ …`, or check the URL or path.",
        )


#: The fields resolving reads; an sdist whose PKG-INFO marks one of them ``Dynamic`` is built.
_RESOLVING_FIELDS = frozenset({"requires-dist", "requires-python", "provides-extra"})


def static_sdist_metadata(root: Path, filename: str) -> CoreMetadata | None:
    """The core metadata of an unpacked sdist when its ``PKG-INFO`` may be trusted (PEP 643:
    Metadata-Version 2.2 or newer, none of the fields resolving reads marked ``Dynamic``);
    None when the backend must be asked."""
    from packaging.metadata import parse_email
    from packaging.version import InvalidVersion

    from spoke.errors import MetadataError
    from spoke.metadata.parse import parse_core_metadata

    try:
        data = (root / "PKG-INFO").read_bytes()
    except OSError:
        return None
    raw, _unparsed = parse_email(data)
    try:
        if Version(str(raw.get("metadata_version", "0"))) < Version("2.2"):
            return None
    except InvalidVersion:
        return None
    if {field.lower() for field in raw.get("dynamic", ())} & _RESOLVING_FIELDS:
        return None
    try:
        return parse_core_metadata(data, source=f"{filename} (PKG-INFO)")
    except MetadataError:
        return None  # the backend may know better


def _check_identity(meta: CoreMetadata, name: str, version: Version, filename: str) -> None:
    if canonicalize_name(meta.name) != canonicalize_name(name) or meta.version != version:
        raise MetadataError(
            f"{filename} says it is {meta.display_name} {meta.version}, not {name} {version}",
            hint="The file is mislabelled; report it to the project, or pick another version.",
        )


def legacy_editable_wheel(cand: DirectProject, folder: Path) -> Path:
    """An editable wheel for a backend without PEP 660: its metadata plus a ``.pth`` file.

    The ``.pth`` file puts the project's import root (``src/`` when the project uses that
    layout) on ``sys.path``, as ``setup.py develop`` did.
    """
    import hashlib
    import zipfile

    from spoke.prepare.unpack import record_hash

    assert cand.metadata_dir is not None
    root = cand.source_dir
    import_root = root / "src" if (root / "src").is_dir() and not (root / cand.name).is_dir() else root
    dist_info = f"{cand.name.replace('-', '_')}-{cand.version}.dist-info"
    files: dict[str, bytes] = {}
    for member in sorted(Path(cand.metadata_dir).iterdir()):
        if member.is_file() and member.name not in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
            files[f"{dist_info}/{member.name}"] = member.read_bytes()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: spoke (editable)\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"__editable__.{cand.name.replace('-', '_')}-{cand.version}.pth"] = (str(import_root) + "\n").encode()
    record_lines = []
    for name, data in files.items():
        record_lines.append(f"{name},{record_hash(hashlib.sha256(data).digest())},{len(data)}")
    record_lines.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    wheel = folder / f"{cand.name.replace('-', '_')}-{cand.version}-0editable-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return wheel


def materialize_all(builder: SourceBuilder, sources: Sequence[DirectSource]) -> list[DirectCandidate]:
    """Every direct source looked at, in order. Two different sources of one project are an
    error (pip's "Cannot install X from both …")."""
    out: list[DirectCandidate] = []
    by_name: dict[str, DirectCandidate] = {}
    for source in sources:
        cand = builder.materialize(source)
        prev = by_name.get(cand.name)
        if prev is not None and prev.direct_url != cand.direct_url:
            if prev.source.label() == cand.source.label() and prev.source.editable != cand.source.editable:
                raise RequirementError(
                    f"{cand.name} is requested both as an editable and as a regular install of "
                    f"{cand.source.label()}",
                    hint="Keep one of the two requirements (extras can be joined: `-e .[a,b]`).",
                )
            raise RequirementError(
                f"{cand.name} is requested from two different sources: "
                f"{prev.source.label()} and {cand.source.label()}",
                hint="Keep one of the two requirements.",
            )
        by_name[cand.name] = cand
        out.append(cand)
    return out


__all__ = ["DirectCandidate", "SourceBuilder", "legacy_editable_wheel", "materialize_all"]
