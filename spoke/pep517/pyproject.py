"""A source tree's ``[build-system]`` (PEP 517 / 518) and the ``-C`` config settings of a build.

PEP 518's defaults apply to trees that say nothing: without a ``pyproject.toml`` or without a
``[build-system]`` table the build needs ``setuptools>=40.8.0`` and runs through setuptools'
legacy backend (which runs ``setup.py``); with ``requires`` but no ``build-backend`` it uses
the legacy backend too, with the requirements the project listed. A table that is present
but malformed is an error (as PEP 518 asks and pip does), reported with the file, the key and
the fix, and a "did you mean" when a key is misspelt.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spoke.errors import BuildError, RequirementError

__all__ = ["LEGACY_BACKEND", "LEGACY_REQUIRES", "BuildSystem", "parse_config_settings", "read_build_system"]

#: The backend of a tree that names none: setuptools running ``setup.py`` (PEP 517).
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
#: The build requirements of a tree without ``[build-system]`` (PEP 518, as pip has them).
LEGACY_REQUIRES: tuple[str, ...] = ("setuptools>=40.8.0",)

_TABLE = "build-system"
_KEYS = ("requires", "build-backend", "backend-path")


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildSystem:
    """How to build a source tree: what to install, and which backend to call.

    ``declared`` is false when the tree has no ``[build-system]`` table and PEP 518's
    defaults were used.
    """

    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...] = ()
    declared: bool = True


def read_build_system(source_dir: Path) -> BuildSystem:
    """Read ``source_dir/pyproject.toml``'s ``[build-system]``, applying PEP 517/518's defaults.

    Raises :class:`~spoke.errors.BuildError` naming the file and the fix when the file is not
    valid TOML or the table is malformed, and when the folder is no Python project at all
    (neither ``pyproject.toml`` nor ``setup.py``).
    """
    source_dir = Path(source_dir)
    path = source_dir / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not (source_dir / "setup.py").is_file() and not (source_dir / "setup.cfg").is_file():
            raise BuildError(
                f"`{source_dir}` is not a Python project: it has neither `pyproject.toml` nor `setup.py`",
                label=str(source_dir),
                hint="Point spoke at the folder that holds the project's `pyproject.toml`.",
            ) from None
        return BuildSystem(requires=LEGACY_REQUIRES, backend=LEGACY_BACKEND, declared=False)
    except (OSError, UnicodeDecodeError) as exc:
        raise _invalid(path, f"unreadable ({exc})", "Check the file's permissions and encoding (UTF-8).") from None
    data = _parse_toml(path, text)
    table = data.get(_TABLE)
    if table is None:
        typo = _close(_TABLE, [k for k in data if isinstance(data[k], dict)])
        if typo is not None:
            raise _invalid(path, f"found `[{typo}]` but no `[{_TABLE}]` table", f"Did you mean `[{_TABLE}]`?")
        return BuildSystem(requires=LEGACY_REQUIRES, backend=LEGACY_BACKEND, declared=False)
    if not isinstance(table, dict):
        raise _invalid(path, f"`{_TABLE}` is not a table", f"Write it as a `[{_TABLE}]` table.")
    unknown = [k for k in table if k not in _KEYS]
    for key in unknown:
        typo = _close(key, _KEYS)
        if typo is not None:
            raise _invalid(path, f"`[{_TABLE}]` has an unknown key `{key}`", f"Did you mean `{typo}`?")
    requires = _requires(path, table)
    backend = table.get("build-backend")
    if backend is None:
        backend = LEGACY_BACKEND
    elif not isinstance(backend, str) or not _is_object_reference(backend):
        raise _invalid(
            path, f"`build-backend` must be a module path such as `\"setuptools.build_meta\"`, not `{backend!r}`",
            "Name the backend as `module` or `module:object`.",
        )
    return BuildSystem(requires=requires, backend=backend, backend_path=_backend_path(path, table, source_dir))


def _parse_toml(path: Path, text: str) -> dict[str, Any]:
    from spoke.config.toml import tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _invalid(path, f"not valid TOML ({exc})", "Fix the syntax error at the place named.") from None


def _requires(path: Path, table: dict[str, Any]) -> tuple[str, ...]:
    from packaging.requirements import InvalidRequirement, Requirement

    if "requires" not in table:
        raise _invalid(
            path, f"`[{_TABLE}]` has no `requires` key",
            'List the build requirements, e.g. `requires = ["setuptools>=61"]` (PEP 518).',
        )
    requires = table["requires"]
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise _invalid(
            path, f"`requires` must be a list of strings, not `{requires!r}`",
            'Write it as `requires = ["setuptools>=61", "wheel"]`.',
        )
    for item in requires:
        try:
            Requirement(item)
        except InvalidRequirement as exc:
            raise _invalid(
                path, f"`requires` has an invalid requirement `{item}` ({exc})",
                "Each item must be a PEP 508 requirement such as `name>=1.0`.",
            ) from None
    return tuple(requires)


def _backend_path(path: Path, table: dict[str, Any], source_dir: Path) -> tuple[str, ...]:
    entries = table.get("backend-path", [])
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise _invalid(
            path, f"`backend-path` must be a list of strings, not `{entries!r}`",
            'Write it as `backend-path = ["."]`.',
        )
    root = os.path.abspath(source_dir)
    for entry in entries:
        full = os.path.normpath(os.path.join(root, entry))
        if os.path.isabs(entry) or os.path.commonpath([root, full]) != root:
            raise _invalid(
                path, f"`backend-path` entry `{entry}` is outside the source tree",
                "PEP 517 allows only relative folders inside the project.",
            )
    return tuple(entries)


def _is_object_reference(value: str) -> bool:
    module, _, obj = value.partition(":")
    parts = module.split(".") + (obj.split(".") if obj else [])
    return all(part.isidentifier() for part in parts)


def _close(word: str, candidates: Sequence[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return matches[0] if matches else None


def _invalid(path: Path, problem: str, hint: str) -> BuildError:
    return BuildError(f"Invalid `{path}`: {problem}", label=str(path.parent), hint=hint)


def parse_config_settings(items: Sequence[str]) -> dict[str, str | list[str]]:
    """``-C/--config-settings KEY=VALUE`` items as the dict passed to the backend's hooks.

    A key given more than once collects its values in a list, in order (pip's behaviour);
    the value may itself contain ``=``. An item without ``=`` (or with an empty key) raises
    :class:`~spoke.errors.RequirementError`.
    """
    settings: dict[str, str | list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise RequirementError(
                f"Invalid config setting `{item}`: expected `KEY=VALUE`",
                hint="Pass each backend setting as `-C KEY=VALUE` (repeat the key for a list).",
            )
        previous = settings.get(key)
        if previous is None:
            settings[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            settings[key] = [previous, value]
    return settings
