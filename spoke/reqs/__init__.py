"""Requirements as the user gives them: command-line strings and pip's requirements files.

Parsing produces values (:class:`UserRequirement`, :class:`RequirementsFile`) that remember
where each item came from (``file:line``), so every later error can point at it.
"""

from typing import Any

_EXPORTS = ("RequirementsFile", "UserRequirement", "parse_requirement", "parse_requirements_file")


def __getattr__(name: str) -> Any:
    # Imported on first use: parsing pulls in packaging's requirement grammar, which a
    # satisfied no-op install never needs.
    if name not in _EXPORTS:
        raise AttributeError(name)
    from spoke.reqs import parse

    return getattr(parse, name)


__all__ = ["RequirementsFile", "UserRequirement", "parse_requirement", "parse_requirements_file"]
