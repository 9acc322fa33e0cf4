"""The PEP 517 / PEP 660 build frontend: a source tree's metadata and wheels, over ``pyproject_hooks``.

A :class:`Builder` turns source trees into ``.dist-info`` folders (for the resolver) and wheels
(for the installer). For each tree it reads ``[build-system]``, gets a build environment from
the caller, installs the declared requirements into it, asks the backend what else it needs
(``get_requires_for_build_wheel`` / ``_editable``), installs only what is new, and then calls
the hooks, each in a subprocess of the environment's interpreter:

    metadata()  →  prepare_metadata_for_build_wheel / _editable
                   (a backend without it builds the wheel; pyproject_hooks extracts the
                   ``.dist-info`` and keeps the wheel, so the later build() costs nothing)
    build()     →  build_wheel / build_editable, given the metadata folder of the earlier
                   metadata() call as PEP 517 allows

The environment and the requirements it has are kept per tree for the Builder's life, so the
metadata and the wheel of one tree share one environment and one install.

Without build isolation (``make_env=None``) the hooks run in the target interpreter as it is
and the requirements are only *checked*: a missing or mismatched one is a
:class:`~spoke.errors.BuildError` naming it, never an install into the user's environment.

Hook subprocesses inherit spoke's environment plus the build environment's ``environ``; like
pip, spoke keeps ``PYTHONPATH`` and ``PYTHONHOME`` (a user who sets them usually means them
for builds too; an environment that must not see them overrides them in its ``environ``).
Their stdout and stderr are merged and fed line by line to ``log``; the last lines become the
``notes`` of the error when the hook fails, and :mod:`spoke.pep517.hints` reads every line for
the one that names the fix (a missing compiler, header or module). Backend warnings that
``pyproject_hooks`` would re-raise in this process with :mod:`warnings` go to ``log`` as well,
so nothing below the CLI prints.

Everything written for a tree lives in one folder under ``work_dir``; a failed call removes
what it created, and :meth:`Builder.close` removes the rest.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from spoke.errors import BuildError, EditableUnsupported
from spoke.pep517.hints import OutputScanner, requirement_for_module
from spoke.pep517.pyproject import BuildSystem, read_build_system

__all__ = ["TAIL_LINES", "BuildEnv", "Builder", "ConfigSettings"]

#: A backend's ``config_settings``: ``-C KEY=VALUE`` items, repeated keys as lists.
ConfigSettings = Mapping[str, "str | list[str]"]

#: The real entry point of common backends, by top-level module: a ``build-backend`` naming
#: another module of the same package (the seed's ``setuptools.backends._legacy:_Backend``) is
#: told this one.
_REAL_BACKENDS = {
    "setuptools": "setuptools.build_meta", "hatchling": "hatchling.build", "flit_core": "flit_core.buildapi",
    "pdm": "pdm.backend", "poetry": "poetry.core.masonry.api", "maturin": "maturin",
    "scikit_build_core": "scikit_build_core.build", "mesonpy": "mesonpy",
}

#: How many of the last lines of a failed hook's output the error keeps.
TAIL_LINES = 40

_T = TypeVar("_T")
_SettingsKey = tuple[tuple[str, "str | tuple[str, ...]"], ...]


class BuildEnv(Protocol):
    """An environment the hooks of one source tree run in; made by the caller's ``make_env``.

    spoke's own implementation is an isolated venv filled by spoke's installer; tests use a
    venv filled by pip from a folder of wheels.
    """

    #: The interpreter that runs the hooks.
    python: Path
    #: Variables added to spoke's environment for the hook subprocesses (``PATH`` with the
    #: environment's scripts first, ``VIRTUAL_ENV``...).
    environ: Mapping[str, str]

    def install(self, requirements: Sequence[str]) -> None:
        """Add PEP 508 ``requirements`` to the environment, keeping what it already has.

        Called once with ``[build-system] requires``, then with the requirements the
        backend's ``get_requires_for_build_*`` added and not asked for before.
        """
        ...


@dataclass(eq=False)
class _Tree:
    """What a Builder knows about one source tree (guarded by ``lock``)."""

    source_dir: Path
    label: str
    system: BuildSystem
    lock: threading.Lock = field(default_factory=threading.Lock)
    env: BuildEnv | None = None
    ready: bool = False
    asked: set[str] = field(default_factory=set)
    requires_done: set[tuple[str, _SettingsKey]] = field(default_factory=set)
    metadata: dict[tuple[str, _SettingsKey], Path] = field(default_factory=dict)
    folder: Path | None = None


class Builder:
    """Builds metadata, wheels and sdists of source trees with their PEP 517 backends.

    ``make_env`` makes a fresh build environment (one per source tree); ``None`` turns build
    isolation off: hooks run with ``python`` (the target interpreter) and build requirements
    are checked, not installed. Scratch folders go under ``work_dir``; ``log`` receives each
    line the backends print; ``markers`` is the target's marker environment (probed when not
    given), for build requirements with markers; ``check_requirements=False`` trusts the target
    to hold them without isolation. Safe to use from several threads: calls for
    one tree take turns, different trees build concurrently.
    """

    def __init__(
        self,
        *,
        make_env: Callable[[], BuildEnv] | None,
        python: Path,
        work_dir: Path,
        log: Callable[[str], None] = lambda line: None,
        markers: Mapping[str, str] | None = None,
        check_requirements: bool = True,
        log_dir: Path | None = None,
    ) -> None:
        self._log_dir = log_dir
        self._make_env = make_env
        self._check_requirements = check_requirements
        self._markers = dict(markers) if markers is not None else None
        self._python = Path(python)
        self._work_dir = Path(os.path.abspath(work_dir))
        self._log = log
        self._trees: dict[Path, _Tree] = {}
        self._lock = threading.Lock()

    @property
    def isolated(self) -> bool:
        """Whether build requirements are installed into a fresh environment per tree."""
        return self._make_env is not None

    def build_system(self, source_dir: Path) -> BuildSystem:
        """The tree's ``[build-system]`` (read once per Builder)."""
        return self._tree(source_dir, None).system

    def metadata(
        self,
        source_dir: Path,
        *,
        editable: bool = False,
        config_settings: ConfigSettings | None = None,
        label: str | None = None,
    ) -> Path:
        """Prepare the tree's core metadata; return the ``.dist-info`` folder (under ``work_dir``).

        Asked again with the same settings, returns the same folder without calling the
        backend. ``label`` names the tree in errors (the sdist's file name; the folder by
        default). An ``editable`` request of a backend without PEP 660 raises
        :class:`~spoke.errors.EditableUnsupported`.
        """
        tree = self._tree(source_dir, label)
        kind = "editable" if editable else "wheel"
        key = (kind, _settings_key(config_settings))
        with tree.lock:
            known = tree.metadata.get(key)
            if known is not None:
                return known
            self._ready(tree, kind, config_settings)
            hook = f"prepare_metadata_for_build_{kind}"
            with self._scratch(tree, f"metadata-{kind}-", keep=True) as folder:
                name = self._call(
                    tree, hook,
                    lambda caller: getattr(caller, hook)(str(folder), _plain(config_settings), _allow_fallback=True),
                )
                dist_info = _returned(tree, hook, folder, name, ".dist-info")
                if not (dist_info / "METADATA").is_file():
                    raise BuildError(
                        f"The backend of {tree.label} wrote `{name}` without a `METADATA` file",
                        label=tree.label, hook=hook,
                        hint="The build backend is broken; report it to the package's maintainers.",
                    )
            tree.metadata[key] = dist_info
            return dist_info

    def build(
        self,
        source_dir: Path,
        out_dir: Path,
        *,
        editable: bool = False,
        config_settings: ConfigSettings | None = None,
        label: str | None = None,
    ) -> Path:
        """Build the tree's wheel (or PEP 660 editable wheel) into ``out_dir``; return its path.

        The wheel appears in ``out_dir`` complete or not at all, replacing a file of the same
        name (a project's editable and regular wheels may share one: build them into different
        folders). The metadata folder of an earlier :meth:`metadata` call with the same
        settings is handed to the backend.
        """
        tree = self._tree(source_dir, label)
        kind = "editable" if editable else "wheel"
        key = (kind, _settings_key(config_settings))
        with tree.lock:
            self._ready(tree, kind, config_settings)
            known = tree.metadata.get(key)
            metadata_directory = str(known) if known is not None else None
            hook = f"build_{kind}"
            with self._scratch(tree, f"{kind}-", keep=False) as folder:
                name = self._call(
                    tree, hook,
                    lambda caller: getattr(caller, hook)(
                        str(folder), _plain(config_settings), metadata_directory=metadata_directory,
                    ),
                )
                return _move_into(_returned(tree, hook, folder, name, ".whl"), Path(out_dir))

    def sdist(
        self,
        source_dir: Path,
        out_dir: Path,
        *,
        config_settings: ConfigSettings | None = None,
        label: str | None = None,
    ) -> Path:
        """Build the tree's source distribution (PEP 517 ``build_sdist``) into ``out_dir``;
        return its path. The archive appears in ``out_dir`` complete or not at all."""
        tree = self._tree(source_dir, label)
        with tree.lock:
            self._ready(tree, "sdist", config_settings)
            with self._scratch(tree, "sdist-", keep=False) as folder:
                name = self._call(
                    tree, "build_sdist", lambda caller: caller.build_sdist(str(folder), _plain(config_settings)),
                )
                return _move_into(_returned(tree, "build_sdist", folder, name, ".tar.gz"), Path(out_dir))

    def close(self) -> None:
        """Remove every folder this Builder made under ``work_dir`` (returned metadata included)."""
        with self._lock:
            trees, self._trees = list(self._trees.values()), {}
        for tree in trees:
            with tree.lock:
                if tree.folder is not None:
                    shutil.rmtree(tree.folder, ignore_errors=True)
                    tree.folder = None

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- per tree -------------------------------------------------------------------------

    def _tree(self, source_dir: Path, label: str | None) -> _Tree:
        path = Path(os.path.abspath(source_dir))
        with self._lock:
            tree = self._trees.get(path)
            if tree is None:
                tree = _Tree(path, label or str(path), read_build_system(path))
                self._trees[path] = tree
            elif label:
                tree.label = label
            return tree

    def _ready(self, tree: _Tree, kind: str, config_settings: ConfigSettings | None) -> None:
        """Make sure the tree's environment has what ``[build-system]`` and the backend ask for."""
        if not tree.ready:
            requires = list(tree.system.requires)
            if self._make_env is None:
                self._check_installed(tree, requires, "`[build-system] requires`")
            else:
                env = self._make_env()
                if requires:
                    env.install(requires)
                tree.env = env
            tree.asked.update(_requirement_key(r) for r in requires)
            tree.ready = True
        done = (kind, _settings_key(config_settings))
        if done in tree.requires_done:
            return
        hook = f"get_requires_for_build_{kind}"
        extra = self._call(tree, hook, lambda caller: getattr(caller, hook)(_plain(config_settings)))
        new = {_requirement_key(item): item for item in _requirement_list(tree, hook, extra)}
        for key in tree.asked:
            new.pop(key, None)
        if new:
            if tree.env is None:
                self._check_installed(tree, list(new.values()), f"the backend's `{hook}`")
            else:
                tree.env.install(list(new.values()))
            tree.asked.update(new)
        tree.requires_done.add(done)

    @contextmanager
    def _scratch(self, tree: _Tree, prefix: str, *, keep: bool) -> Iterator[Path]:
        """A new folder in the tree's folder; removed on error (and at the end unless ``keep``)."""
        if tree.folder is None:
            self._work_dir.mkdir(parents=True, exist_ok=True)
            tree.folder = Path(tempfile.mkdtemp(dir=self._work_dir, prefix=f"{_slug(tree.source_dir.name)}-"))
        folder = Path(tempfile.mkdtemp(dir=tree.folder, prefix=prefix))
        try:
            yield folder
        except BaseException:
            keep = False
            raise
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
                if not any(folder.parent.iterdir()):  # the tree's first folder failed: no trace
                    folder.parent.rmdir()
                    tree.folder = None

    # --- running hooks --------------------------------------------------------------------

    def _call(self, tree: _Tree, hook: str, call: Callable[[Any], _T]) -> _T:
        """Run one hook through pyproject_hooks, turning every way it can fail into a BuildError."""
        from pyproject_hooks import (
            BackendUnavailable,
            BuildBackendHookCaller,
            HookMissing,
        )

        if tree.env is not None:
            python, environ = Path(tree.env.python), dict(tree.env.environ)
        else:
            python, environ = self._python, {}
        runner = _HookRunner(environ, self._log)
        caller = BuildBackendHookCaller(
            str(tree.source_dir),
            tree.system.backend,
            backend_path=list(tree.system.backend_path) or None,
            runner=runner,
            python_executable=str(python),
        )
        try:
            return call(caller)
        except _HookFailed as exc:
            raise self._failure(tree, hook, runner, f"failed (exit code {exc.returncode})") from None
        except BackendUnavailable as exc:
            raise self._unavailable(tree, hook, runner, exc) from None
        except HookMissing as exc:
            if exc.hook_name == "build_editable" or hook.endswith("_editable"):
                raise EditableUnsupported(
                    f"The build backend `{tree.system.backend}` of {tree.label} cannot build editable "
                    "installs: it has no PEP 660 `build_editable` hook",
                    backend=tree.system.backend,
                    has_setup_py=(tree.source_dir / "setup.py").is_file(),
                    label=tree.label, hook=hook,
                    hint="Upgrade the build backend (setuptools supports PEP 660 from version 64), "
                    "or install the project without `-e`.",
                ) from None
            raise BuildError(
                f"The build backend `{tree.system.backend}` of {tree.label} has no `{exc.hook_name}` hook",
                label=tree.label, hook=hook,
                hint="The build backend is broken or too old; report it to the package's maintainers.",
            ) from None
        except OSError as exc:
            if not runner.started:
                raise BuildError(
                    f"Cannot run the build's Python `{python}` for {tree.label}: {exc}",
                    label=tree.label, hook=hook,
                    hint="Check that the interpreter exists and runs.",
                ) from None
            raise self._failure(tree, hook, runner, "exited without reporting a result") from None
        except ValueError:  # output.json unreadable
            raise self._failure(tree, hook, runner, "exited without reporting a result") from None

    def _failure(self, tree: _Tree, hook: str, runner: _HookRunner, what: str) -> BuildError:
        notes = explaining_lines(runner.lines)
        log = self._write_log(tree, hook, runner.lines)
        if log is not None:
            notes.append(f"the backend's whole output: {log}")
        return BuildError(
            f"Building {tree.label} failed: the backend's `{hook}` hook {what}",
            label=tree.label, hook=hook,
            notes=tuple(notes),
            hint=runner.scanner.hint(isolated=self.isolated),
        )

    def _write_log(self, tree: _Tree, hook: str, lines: Sequence[str]) -> Path | None:
        """Keep the backend's whole output in a log file (its path goes into the error)."""
        if self._log_dir is None or not lines:
            return None
        try:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self._log_dir, prefix=f"{_slug(tree.label)}-{hook}-", suffix=".log")
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as out:
                out.write("\n".join(lines) + "\n")
        except OSError:
            return None
        return Path(name)

    def _unavailable(self, tree: _Tree, hook: str, runner: _HookRunner, exc: Any) -> BuildError:
        scanner = OutputScanner()
        scanner.feed_text(exc.traceback)
        backend = tree.system.backend
        module = scanner.module or backend.split(":", 1)[0]
        requirement = requirement_for_module(module)
        real = _REAL_BACKENDS.get(module.split(".")[0])
        version = self._version_in_env(tree, requirement) if real and not backend.startswith(real) else None
        if real and version is not None:
            hint = (
                f"`{backend}` names no backend: {requirement} {version} (installed for this build) has no "
                f"`{module}`. Its backend is `{real}`: write `build-backend = \"{real}\"` in pyproject.toml (if you "
                "maintain the package), or report it to the package's maintainers."
            )
        elif tree.system.backend_path and module.split(".")[0] == backend.split(":")[0].split(".")[0]:
            hint = (
                "The backend is meant to come from the source tree: "
                f"check `backend-path` ({', '.join(tree.system.backend_path)})."
            )
        elif self.isolated:
            hint = (
                f"`{module}` is not among what `[build-system] requires` installs: add `{requirement}` there "
                "(if you maintain the package), or report it to the package's maintainers."
            )
        else:
            hint = f"Install `{requirement}` into the target environment, or drop `--no-build-isolation`."
        # The import machinery's own frames say nothing to a user.
        lines = [line for line in exc.traceback.splitlines() if line.strip() and "<frozen importlib" not in line]
        return BuildError(
            f"Cannot import the build backend `{backend}` of {tree.label}",
            label=tree.label, hook=hook,
            notes=tuple(list(runner.tail) + lines)[-TAIL_LINES:],
            hint=hint,
        )

    def _version_in_env(self, tree: _Tree, distribution: str) -> str | None:
        """The version of ``distribution`` in the tree's build environment (or the target
        without isolation), ``None`` when it is not there."""
        python = Path(tree.env.python) if tree.env is not None else self._python
        code = ("import importlib.metadata as m, sys\ntry:\n    print(m.version(sys.argv[1]))\n"
                "except m.PackageNotFoundError:\n    pass\n")
        try:
            proc = subprocess.run([str(python), "-c", code, distribution], capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, check=False, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() or None

    def _target_markers(self) -> Mapping[str, str]:
        """The marker environment of ``python`` (given by the caller, else probed once)."""
        if self._markers is None:
            from spoke.env.interpreter import inspect_interpreter

            self._markers = dict(inspect_interpreter(self._python).markers)
        return self._markers

    def _check_installed(self, tree: _Tree, requirements: Sequence[str], source: str) -> None:
        """Without isolation: refuse to build when the target lacks a build requirement."""
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name
        from packaging.version import InvalidVersion

        if not requirements or not self._check_requirements:  # `spoke build --skip-dependency-check`
            return
        data: object = None
        try:
            proc = subprocess.run(
                [str(self._python), "-c", _INSTALLED_PROBE],
                capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
            )
        except OSError as exc:
            detail = str(exc)
        else:
            lines = proc.stderr.strip().splitlines()
            detail = lines[-1] if lines else f"exit code {proc.returncode}"
            if proc.returncode == 0:
                try:
                    data = json.loads(proc.stdout)
                except ValueError:
                    detail = "unreadable answer"
        if not isinstance(data, dict):
            raise BuildError(
                f"Cannot list the packages of `{self._python}` to check the build requirements of "
                f"{tree.label}: {detail}",
                label=tree.label,
                hint="Check that the interpreter exists and runs.",
            )
        markers = {**self._target_markers(), "extra": ""}
        versions: dict[str, str] = data["versions"]
        names: list[str] = []
        problems: list[str] = []
        for text in requirements:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate(markers):
                continue
            version = versions.get(canonicalize_name(req.name))
            if version is not None:
                try:
                    if not req.specifier or req.specifier.contains(version, prereleases=True):
                        continue
                except InvalidVersion:
                    pass
            names.append(f"`{req.name}`")
            problems.append(
                f"`{text}` is not installed"
                if version is None
                else f"`{text}` is needed, {req.name} {version} is installed"
            )
        if problems:
            raise BuildError(
                f"Cannot build {tree.label} without build isolation: the target environment lacks build "
                f"requirements from {source}: {', '.join(names)}",
                label=tree.label, notes=problems,
                hint="Install them into the target environment, or drop `--no-build-isolation` "
                "so spoke installs them into an isolated build environment.",
            )


# --- the hook subprocess -----------------------------------------------------------------


class _HookFailed(Exception):
    def __init__(self, returncode: int) -> None:
        super().__init__(f"exit code {returncode}")
        self.returncode = returncode


class _HookRunner:
    """A pyproject_hooks subprocess runner: merged output to ``log``, the tail kept, the hints read."""

    def __init__(self, environ: Mapping[str, str], log: Callable[[str], None]) -> None:
        self._environ = environ
        self._log = log
        self.lines: list[str] = []  # the whole output (bounded), for the log file
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.scanner = OutputScanner()
        self.started = False

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = dict(os.environ)
        env.update(self._environ)
        env.update(extra_environ or {})
        # Unbuffered, so the merged stdout and stderr keep the order they were written in.
        env.setdefault("PYTHONUNBUFFERED", "1")
        with subprocess.Popen(
            list(cmd), cwd=cwd, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        ) as proc:
            self.started = True
            assert proc.stdout is not None
            for raw in proc.stdout:
                self._line(raw.decode("utf-8", "replace").rstrip("\r\n"))
            returncode = proc.wait()
        if returncode != 0:
            raise _HookFailed(returncode)
        self._take_warnings(Path(cmd[-1]) / "output.json")

    def _line(self, line: str) -> None:
        self.tail.append(line)
        if len(self.lines) < _MAX_LOG_LINES:
            self.lines.append(line)
        self.scanner.feed(line)
        self._log(line)

    def _take_warnings(self, output: Path) -> None:
        """Move the backend's warnings from the hook's answer to ``log``.

        pyproject_hooks re-raises them with :func:`warnings.warn_explicit`, which would print
        to stderr from inside spoke (and :func:`warnings.catch_warnings` is not thread-safe).
        The answer's format is pyproject_hooks' (``{"warnings": [{"message": ...}]}``), stable
        since its first release; anything unexpected is left alone.
        """
        try:
            data = json.loads(output.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or not isinstance(data.get("warnings"), list) or not data["warnings"]:
            return
        for warning in data["warnings"]:
            if isinstance(warning, dict):
                self._line(f"warning: {warning.get('message', '')}")
        data["warnings"] = []
        output.write_text(json.dumps(data), encoding="utf-8")


#: Run by the target interpreter (Python 3.8+, stdlib only): its installed distributions, as
#: JSON. The first distribution of a name on sys.path wins, as on import.
_INSTALLED_PROBE = r"""
import json, re
from importlib.metadata import distributions
versions = {}
for dist in distributions():
    name = dist.metadata["Name"]
    if name:
        versions.setdefault(re.sub(r"[-_.]+", "-", name).lower(), dist.version)
print(json.dumps({"versions": versions}))
"""


# --- small helpers -------------------------------------------------------------------------


def _settings_key(settings: ConfigSettings | None) -> _SettingsKey:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in (settings or {}).items()))


def _plain(settings: ConfigSettings | None) -> dict[str, str | list[str]] | None:
    return {k: list(v) if isinstance(v, list) else v for k, v in settings.items()} if settings else None


def _requirement_key(text: str) -> str:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    req = Requirement(text)
    extras = ",".join(sorted(canonicalize_name(e) for e in req.extras))
    return f"{canonicalize_name(req.name)}[{extras}]{req.specifier}@{req.url or ''};{req.marker or ''}"


def _requirement_list(tree: _Tree, hook: str, value: object) -> list[str]:
    """The backend's answer to ``get_requires_for_build_*``, checked to be PEP 508 strings."""
    from packaging.requirements import InvalidRequirement, Requirement

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BuildError(
            f"The backend of {tree.label} answered `{hook}` with `{value!r}`, not a list of requirements",
            label=tree.label, hook=hook,
            hint="The build backend is broken; report it to the package's maintainers.",
        )
    for item in value:
        try:
            Requirement(item)
        except InvalidRequirement as exc:
            raise BuildError(
                f"The backend of {tree.label} asked `{hook}` for an invalid requirement `{item}` ({exc})",
                label=tree.label, hook=hook,
                hint="The build backend is broken; report it to the package's maintainers.",
            ) from None
    return list(value)


def _returned(tree: _Tree, hook: str, folder: Path, name: object, suffix: str) -> Path:
    """The file or folder a hook says it made in ``folder``, checked to be there."""
    path = folder / name if isinstance(name, str) and name and "/" not in name and "\\" not in name else None
    if path is None or not name.endswith(suffix) or not path.exists():  # type: ignore[union-attr]
        raise BuildError(
            f"The backend of {tree.label} answered `{hook}` with `{name!r}`, which is not a `{suffix}` it made",
            label=tree.label, hook=hook,
            hint="The build backend is broken; report it to the package's maintainers.",
        )
    return path


def _move_into(built: Path, out_dir: Path) -> Path:
    """Move ``built`` into ``out_dir`` in one step (a copy and a rename across file systems)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / built.name
    try:
        os.replace(built, final)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{built.name}-")
        os.close(fd)
        try:
            shutil.copyfile(built, tmp)
            os.replace(tmp, final)
        except BaseException:
            os.unlink(tmp)
            raise
    return final


_MAX_LOG_LINES = 200_000
_EXPLAINING = re.compile(
    r"(\berror\b|fatal|not found|no such file|cannot find|undefined reference|"
    r"ModuleNotFoundError|ImportError|Exception:|Traceback \(most recent)",
    re.IGNORECASE,
)


def explaining_lines(lines: Sequence[str], *, matches: int = 12, tail: int = 8) -> list[str]:
    """The lines of a failed build's output that explain it: those naming an error (compiler
    errors, missing headers and tools, exceptions), then the last few lines; not pages of
    progress. With no such line, the last :data:`TAIL_LINES`."""
    found = [line for line in lines if _EXPLAINING.search(line)]
    if not found:
        return list(lines[-TAIL_LINES:])
    picked = list(dict.fromkeys([*found[-matches:], *lines[-tail:]]))
    return [line for line in picked if line.strip()]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:40] or "source"
