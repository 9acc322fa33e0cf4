"""PEP 735 dependency groups: ``--group [PATH:]NAME`` (pip 25.1's syntax) as requirements.

``PATH`` is a ``pyproject.toml`` (default: the one in the current folder); its
``[dependency-groups]`` table is resolved by the ``dependency-groups`` library (the one pip
uses: ``{include-group = "…"}``, normalized names, cycles refused). Each requirement is
labelled with where it came from, so messages say ``(from --group dev)``.
"""

from __future__ import annotations

from pathlib import Path

from spoke.errors import RequirementError, UsageError
from spoke.reqs.parse import UserRequirement, parse_requirement


def split_group(spec: str) -> tuple[Path, str]:
    """``"dev"`` → (``pyproject.toml``, ``dev``); ``"sub/pyproject.toml:dev"`` → that file."""
    path, sep, name = spec.rpartition(":")
    if not sep:
        return Path("pyproject.toml"), spec.strip()
    if not name.strip() or not path.strip():
        raise UsageError(f"Invalid --group `{spec}`",
                         hint="Write `--group NAME` or `--group path/pyproject.toml:NAME`.")
    file = Path(path)
    if file.name != "pyproject.toml":
        raise UsageError(f"Invalid --group `{spec}`: `{path}` is not a pyproject.toml",
                         hint="Name the pyproject.toml that holds the group: `--group path/pyproject.toml:NAME`.")
    return file, name.strip()


def group_requirements(specs: list[str] | tuple[str, ...], cwd: Path | None = None) -> list[UserRequirement]:
    """The requirements of every group named (in order, each file read once)."""
    out: list[UserRequirement] = []
    tables: dict[Path, dict[str, object]] = {}
    for spec in specs:
        path, name = split_group(spec)
        full = (cwd or Path.cwd()) / path
        if full not in tables:
            tables[full] = _read_groups(full, path)
        origin = f"--group {spec}"
        for text in _resolve(tables[full], name, path):
            out.append(parse_requirement(text, source=origin))
    return out


def _read_groups(full: Path, shown: Path) -> dict[str, object]:
    from spoke.config.toml import tomllib
    try:
        data = tomllib.loads(full.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RequirementError(f"`{shown}` does not exist (asked for by --group)",
                               hint="Run the command in the project's folder, or write `--group PATH:NAME`.") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RequirementError(f"Cannot read `{shown}`: {exc}",
                               hint="Fix the file, then run the command again.") from None
    groups = data.get("dependency-groups")
    if not isinstance(groups, dict):
        raise RequirementError(f"`{shown}` has no `[dependency-groups]` table (PEP 735)",
                               hint="Declare the group there, e.g. `[dependency-groups]` then `dev = [\"pytest\"]`.")
    return groups


def _resolve(groups: dict[str, object], name: str, shown: Path) -> tuple[str, ...]:
    from dependency_groups import CyclicDependencyError, resolve

    try:
        return tuple(resolve(groups, name))  # type: ignore[arg-type]
    except CyclicDependencyError as exc:
        raise RequirementError(f"The dependency groups of `{shown}` include each other: {exc}",
                               hint="Remove one of the `include-group` entries of the cycle.") from None
    except LookupError:
        known = ", ".join(f"`{g}`" for g in sorted(groups)) or "none"
        raise RequirementError(f"`{shown}` has no dependency group `{name}`",
                               hint=f"Its groups: {known}.") from None
    except (ValueError, TypeError) as exc:
        raise RequirementError(f"The dependency group `{name}` of `{shown}` is invalid: {exc}",
                               hint='Each entry is a requirement or `{include-group = "NAME"}` (PEP 735).') from None
