"""PEP 723 inline script metadata: ``--requirements-from-script SCRIPT`` (pip 26's option).

The ``# /// script`` block is found with the PEP's reference regular expression and read as
TOML; its ``dependencies`` become requirements labelled with the script, and its
``requires-python`` is returned for the caller to check against the target.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from spoke.errors import RequirementError
from spoke.reqs.parse import UserRequirement, parse_requirement

# PEP 723's reference expression, verbatim.
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


def script_metadata(text: str, *, shown: str) -> dict[str, object] | None:
    """The TOML of the ``script`` block, ``None`` without one; two blocks are an error."""
    blocks = [m for m in _BLOCK.finditer(text) if m.group("type") == "script"]
    if len(blocks) > 1:
        raise RequirementError(f"{shown} has {len(blocks)} `# /// script` blocks; PEP 723 allows one",
                               hint="Merge them into one block.")
    if not blocks:
        return None
    content = "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in blocks[0].group("content").splitlines(keepends=True)
    )
    from spoke.config.toml import tomllib
    try:
        return tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise RequirementError(f"The `# /// script` block of {shown} is not valid TOML: {exc}",
                               hint="Fix the block (each line starts with `# `; PEP 723).") from None


@functools.lru_cache(maxsize=8)
def script_requirements(path: str) -> tuple[tuple[UserRequirement, ...], str | None]:
    """The script's dependencies as requirements, and its ``requires-python`` (or ``None``);
    read once per run (the requirements and the Python check both ask)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RequirementError(f"Script `{path}` does not exist",
                               hint="Check the path given to --requirements-from-script.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RequirementError(f"Cannot read script `{path}`: {exc}") from None
    data = script_metadata(text, shown=path)
    if data is None:
        raise RequirementError(f"{path} has no `# /// script` block (PEP 723 inline metadata)",
                               hint="Add one: `# /// script`, `# dependencies = [\"requests\"]`, `# ///`.")
    deps = data.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise RequirementError(f"The `dependencies` of {path}'s script block must be a list of strings")
    requires_python = data.get("requires-python")
    if requires_python is not None and not isinstance(requires_python, str):
        raise RequirementError(f"The `requires-python` of {path}'s script block must be a string")
    return tuple(parse_requirement(d, source=f"{path} (script metadata)") for d in deps), requires_python
