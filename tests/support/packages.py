"""Declarative test packages (:class:`Pkg`) and builders of real wheels and sdists from them.

A functional test describes the packages it needs in one line each::

    Pkg("app", "1.0", deps=("lib>=2",), extras={"fast": ("speedups",)},
        console_scripts={"app": "app:main"})

and :func:`build_wheel` / :func:`build_sdist` turn the spec into files that any installer
accepts: a wheel with ``WHEEL``, ``METADATA`` 2.1, ``entry_points.txt`` and a ``RECORD`` whose
hashes and sizes are right; an sdist whose ``pyproject.toml`` uses setuptools, so a real
PEP 517 build can turn it into a wheel.

The bytes are a pure function of the spec (fixed timestamps, modes and member order), so a
session can build each spec once into a folder named by :func:`spec_hash` and every test that
asks for the same spec reuses the files (:func:`build_cached`). Index-side facts of a file
(``yanked``, ``upload_time``) are not part of the hash: they change the index page, not the file.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import gzip
import hashlib
import io
import os
import re
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name

__all__ = [
    "Pkg",
    "build",
    "build_cached",
    "build_sdist",
    "build_wheel",
    "core_metadata",
    "spec_hash",
]

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The earliest timestamp a zip can hold; fixed so equal specs give equal bytes."""

_TAR_EPOCH = 315532800
"""1980-01-01 in Unix time, for the same reason (and so no tool complains about 1970)."""

Pairs = tuple[tuple[str, str], ...]


def _pairs(value: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> Pairs:
    """A mapping (or pairs) as sorted pairs, so a frozen spec stays hashable and comparable."""
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), str(v)) for k, v in items))


@dataclass(frozen=True, slots=True)
class Pkg:
    """One distribution (name and version) as a test wants it to exist on an index.

    Mapping fields accept a ``dict`` and are stored as sorted tuples of pairs (so the spec is
    hashable); read them back with ``dict(pkg.files)``.

    ``files``: path inside the wheel → text; ``None`` means one module
    ``<module_name>/__init__.py`` defining ``__version__``. ``console_scripts``: script name →
    ``"module:func"``; each function is added to its module (created when missing) and prints
    ``"<func> from <name> <version>"``. ``data_files``: path under ``.data/data/`` → text.
    ``scripts``: name → text under ``.data/scripts/`` (a ``#!python`` line is added when the
    text has no shebang). ``metadata``: extra core-metadata headers (``{"License": "MIT"}``).
    ``sdist`` also builds an sdist; ``wheel=False`` builds no wheel. ``yanked`` (a reason,
    ``""`` for none) and ``upload_time`` (ISO 8601) describe the index entry, not the file.
    """

    name: str
    version: str
    _: KW_ONLY
    deps: tuple[str, ...] = ()
    extras: tuple[tuple[str, tuple[str, ...]], ...] = ()
    requires_python: str | None = None
    tag: str = "py3-none-any"
    files: Pairs | None = None
    console_scripts: Pairs = ()
    data_files: Pairs = ()
    scripts: Pairs = ()
    metadata: Pairs = ()
    summary: str = ""
    sdist: bool = False
    wheel: bool = True
    yanked: str | None = None
    upload_time: str | None = None
    #: Metadata-Version 2.2 with no ``Dynamic`` field: the sdist's PKG-INFO may be trusted
    #: without a build (PEP 643), as sdists made by current backends say.
    static_metadata: bool = False

    def __post_init__(self) -> None:
        # Normalise dict arguments into hashable sorted tuples; frozen, hence object.__setattr__.
        set_ = object.__setattr__
        if isinstance(self.deps, str):
            raise TypeError("Pkg.deps is a sequence of requirement strings, not one string")
        set_(self, "deps", tuple(self.deps))
        extras = self.extras.items() if isinstance(self.extras, Mapping) else self.extras
        set_(self, "extras", tuple(sorted((str(k), tuple(v)) for k, v in extras)))
        if self.files is not None:
            set_(self, "files", _pairs(self.files))
        for field in ("console_scripts", "data_files", "scripts", "metadata"):
            set_(self, field, _pairs(getattr(self, field)))
        if not (self.wheel or self.sdist):
            raise ValueError(f"Pkg {self.name} {self.version}: neither a wheel nor an sdist")

    @property
    def project(self) -> str:
        """The normalized project name (PEP 503), as in ``/simple/<project>/``."""
        return canonicalize_name(self.name)

    @property
    def module_name(self) -> str:
        """The importable name of the default module: the normalized name with underscores."""
        return self.project.replace("-", "_")

    @property
    def dist_name(self) -> str:
        """The name as spelled in filenames and ``.dist-info`` folders (PEP 427/491)."""
        return self.module_name

    @property
    def file_version(self) -> str:
        """The version as spelled in filenames (a ``-`` would split the filename)."""
        return self.version.replace("-", "_")

    @property
    def wheel_filename(self) -> str:
        """``{name}-{version}-{tag}.whl``."""
        return f"{self.dist_name}-{self.file_version}-{self.tag}.whl"

    @property
    def sdist_filename(self) -> str:
        """``{name}-{version}.tar.gz``."""
        return f"{self.dist_name}-{self.file_version}.tar.gz"

    @property
    def dist_info(self) -> str:
        """The wheel's ``.dist-info`` folder name."""
        return f"{self.dist_name}-{self.file_version}.dist-info"

    @property
    def filenames(self) -> tuple[str, ...]:
        """The names of the files :func:`build` writes for this spec (wheel first)."""
        names = (self.wheel_filename,) if self.wheel else ()
        return names + ((self.sdist_filename,) if self.sdist else ())


def spec_hash(pkg: Pkg) -> str:
    """A short digest of everything that shapes the built files' bytes.

    ``yanked`` and ``upload_time`` are left out: they belong to the index entry.
    """
    content = dataclasses.replace(pkg, yanked=None, upload_time=None)
    return hashlib.sha256(repr(content).encode()).hexdigest()[:20]


# ----------------------------------------------------------------------------- file contents


def _module_files(pkg: Pkg) -> dict[str, str]:
    """The importable files: the spec's (or the default module) plus console-script functions."""
    if pkg.files is None:
        files = {f"{pkg.module_name}/__init__.py": f'__version__ = "{pkg.version}"\n'}
    else:
        files = dict(pkg.files)
    for _script, target in pkg.console_scripts:
        module, _, func = target.partition(":")
        func = func.split(".")[0].strip()
        module = module.strip()
        parts = module.split(".")
        package_path = "/".join(parts) + "/__init__.py"
        path = package_path if package_path in files else "/".join(parts) + ".py"
        text = files.get(path, "")
        if not re.search(rf"^def {re.escape(func)}\(", text, re.MULTILINE):
            if text and not text.endswith("\n"):
                text += "\n"
            text += f'\n\ndef {func}():\n    print("{func} from {pkg.name} {pkg.version}")\n'
        files[path] = text
        # Parent packages of a dotted module must exist for the import to work.
        for depth in range(1, len(parts)):
            init = "/".join(parts[:depth]) + "/__init__.py"
            files.setdefault(init, "")
    return files


def _script_text(text: str) -> str:
    """A ``.data/scripts`` file body: ``#!python`` is the placeholder installers rewrite."""
    return text if text.startswith("#!") else "#!python\n" + text


def _extra_requirement(dep: str, extra: str) -> str:
    """``dep`` made conditional on ``extra``, keeping (and parenthesising) its own marker."""
    req = Requirement(dep)
    marker = f'extra == "{extra}"'
    if req.marker is not None:
        marker = f"({req.marker}) and {marker}"
    req.marker = None
    return f"{req}; {marker}"


def core_metadata(pkg: Pkg) -> str:
    """The ``METADATA`` / ``PKG-INFO`` text (Metadata-Version 2.1, 2.2 with ``static_metadata``)."""
    lines = [
        f"Metadata-Version: {'2.2' if pkg.static_metadata else '2.1'}",
        f"Name: {pkg.name}",
        f"Version: {pkg.version}",
    ]
    if pkg.summary:
        lines.append(f"Summary: {pkg.summary}")
    if pkg.requires_python is not None:
        lines.append(f"Requires-Python: {pkg.requires_python}")
    lines += [f"{key}: {value}" for key, value in pkg.metadata]
    lines += [f"Requires-Dist: {dep}" for dep in pkg.deps]
    for extra, deps in pkg.extras:
        lines.append(f"Provides-Extra: {extra}")
        lines += [f"Requires-Dist: {_extra_requirement(dep, extra)}" for dep in deps]
    return "\n".join(lines) + "\n\n"


def _wheel_text(pkg: Pkg) -> str:
    """The ``WHEEL`` file: purelib unless the platform tag says the wheel is binary."""
    tags = sorted(str(t) for t in parse_tag(pkg.tag))
    purelib = all(t.endswith("-any") for t in tags)
    lines = [
        "Wheel-Version: 1.0",
        "Generator: spoke-tests",
        f"Root-Is-Purelib: {'true' if purelib else 'false'}",
    ]
    lines += [f"Tag: {t}" for t in tags]
    return "\n".join(lines) + "\n"


def _entry_points_text(pkg: Pkg) -> str:
    lines = ["[console_scripts]"] + [f"{name} = {target}" for name, target in pkg.console_scripts]
    return "\n".join(lines) + "\n"


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# ----------------------------------------------------------------------------- builders


def _zip_member(zf: zipfile.ZipFile, path: str, data: bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(path, date_time=_ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so external_attr carries the mode on every platform
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    zf.writestr(info, data)


def build_wheel(pkg: Pkg, out_dir: Path | str) -> Path:
    """Write ``pkg``'s wheel into ``out_dir`` (created if needed) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    members: list[tuple[str, bytes, bool]] = []
    for path, text in sorted(_module_files(pkg).items()):
        members.append((path, text.encode(), False))
    data_dir = f"{pkg.dist_name}-{pkg.file_version}.data"
    for path, text in pkg.data_files:
        members.append((f"{data_dir}/data/{path}", text.encode(), False))
    for name, text in pkg.scripts:
        members.append((f"{data_dir}/scripts/{name}", _script_text(text).encode(), True))
    members.append((f"{pkg.dist_info}/METADATA", core_metadata(pkg).encode(), False))
    members.append((f"{pkg.dist_info}/WHEEL", _wheel_text(pkg).encode(), False))
    if pkg.console_scripts:
        entry_points = _entry_points_text(pkg).encode()
        members.append((f"{pkg.dist_info}/entry_points.txt", entry_points, False))
    members.append((f"{pkg.dist_info}/top_level.txt", _top_level(pkg).encode(), False))

    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path, data, _exe in members:
        writer.writerow([path, _record_hash(data), len(data)])
    record_path = f"{pkg.dist_info}/RECORD"
    writer.writerow([record_path, "", ""])
    members.append((record_path, record.getvalue().encode(), False))

    target = out / pkg.wheel_filename
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path, data, executable in members:
            _zip_member(zf, path, data, executable=executable)
    _write_atomic(target, buffer.getvalue())
    return target


def _top_level(pkg: Pkg) -> str:
    names = sorted({p.split("/")[0].removesuffix(".py") for p in _module_files(pkg)})
    return "".join(f"{n}\n" for n in names)


def _pyproject(pkg: Pkg, files: Mapping[str, str]) -> dict[str, object]:
    """The sdist's ``pyproject.toml`` as data: static ``[project]`` metadata, setuptools."""
    project: dict[str, object] = {"name": pkg.name, "version": pkg.version}
    if pkg.summary:
        project["description"] = pkg.summary
    if pkg.requires_python is not None:
        project["requires-python"] = pkg.requires_python
    project["dependencies"] = list(pkg.deps)
    if pkg.extras:
        project["optional-dependencies"] = {extra: list(deps) for extra, deps in pkg.extras}
    if pkg.console_scripts:
        project["scripts"] = dict(pkg.console_scripts)

    # Explicit packages and modules: setuptools' flat-layout discovery refuses some layouts.
    packages = sorted(
        p.removesuffix("/__init__.py").replace("/", ".") for p in files if p.endswith("__init__.py")
    )
    modules = sorted(p.removesuffix(".py") for p in files if "/" not in p and p.endswith(".py"))
    setuptools: dict[str, object] = {"packages": packages, "py-modules": modules}
    setuptools["package-data"] = {"*": ["*"]}
    if pkg.data_files:
        grouped: dict[str, list[str]] = {}
        for path, _text in pkg.data_files:
            folder = path.rpartition("/")[0]
            grouped.setdefault(folder, []).append(f"_data/{path}")
        setuptools["data-files"] = grouped
    if pkg.scripts:
        setuptools["script-files"] = [f"_scripts/{name}" for name, _text in pkg.scripts]
    return {
        "build-system": {
            "requires": ["setuptools>=61"],
            "build-backend": "setuptools.build_meta",
        },
        "project": project,
        "tool": {"setuptools": setuptools},
    }


def build_sdist(pkg: Pkg, out_dir: Path | str) -> Path:
    """Write ``pkg``'s sdist ``{name}-{version}.tar.gz`` into ``out_dir`` and return its path.

    It holds ``PKG-INFO``, a setuptools ``pyproject.toml`` and the module files, under one
    top-level ``{name}-{version}/`` folder, as PEP 625 asks.
    """
    import tomli_w

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = f"{pkg.dist_name}-{pkg.file_version}"
    files = _module_files(pkg)
    members: dict[str, tuple[bytes, bool]] = {
        "PKG-INFO": (core_metadata(pkg).encode(), False),
        "pyproject.toml": (tomli_w.dumps(_pyproject(pkg, files)).encode(), False),
    }
    for path, text in files.items():
        members[path] = (text.encode(), False)
    for path, text in pkg.data_files:
        members[f"_data/{path}"] = (text.encode(), False)
    for name, text in pkg.scripts:
        members[f"_scripts/{name}"] = (_script_text(text).encode(), True)

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, (data, executable) in sorted(members.items()):
            info = tarfile.TarInfo(f"{root}/{path}")
            info.size = len(data)
            info.mtime = _TAR_EPOCH
            info.mode = 0o755 if executable else 0o644
            tar.addfile(info, io.BytesIO(data))
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    target = out / pkg.sdist_filename
    _write_atomic(target, compressed.getvalue())
    return target


def build(pkg: Pkg, out_dir: Path | str) -> list[Path]:
    """Every file ``pkg`` asks for (wheel first, then sdist), written into ``out_dir``."""
    paths = [build_wheel(pkg, out_dir)] if pkg.wheel else []
    if pkg.sdist:
        paths.append(build_sdist(pkg, out_dir))
    return paths


def build_cached(pkg: Pkg, cache_dir: Path | str) -> list[Path]:
    """:func:`build`, once per spec: files live in ``cache_dir/<spec_hash>/`` and are reused.

    Safe when several processes share ``cache_dir``: each writes through a temp file and an
    atomic rename, and equal specs give equal bytes anyway.
    """
    folder = Path(cache_dir) / spec_hash(pkg)
    paths = [folder / name for name in pkg.filenames]
    if all(p.is_file() for p in paths):
        return paths
    return build(pkg, folder)


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
