"""Requirements as the user gives them: command-line strings and pip's requirements files.

Parsing produces values (:class:`UserRequirement`, :class:`RequirementsFile`) that remember
where each item came from (``file:line``), so every later error can point at it.
"""

from spoke.reqs.parse import (
    RequirementsFile,
    UserRequirement,
    parse_requirement,
    parse_requirements_file,
)

__all__ = ["RequirementsFile", "UserRequirement", "parse_requirement", "parse_requirements_file"]
