"""PEP 723 inline script metadata, read with the PEP's reference expression."""

from __future__ import annotations

import pytest

from spoke.errors import RequirementError
from spoke.reqs.script import script_metadata, script_requirements

PEP_EXAMPLE = """\
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "requests<3",
#   "rich",
# ]
# ///

import requests
"""


def test_the_pep_example(tmp_path) -> None:  # noqa: ANN001
    script = tmp_path / "s.py"
    script.write_text(PEP_EXAMPLE)
    reqs, python = script_requirements(str(script))
    assert [str(r.requirement) for r in reqs] == ["requests<3", "rich"] and python == ">=3.11"
    assert reqs[0].source.endswith("(script metadata)")


def test_other_blocks_are_ignored_and_two_script_blocks_refused() -> None:
    assert script_metadata("# /// pyproject\n# x = 1\n# ///\n", shown="s") is None
    with pytest.raises(RequirementError, match="2 `# /// script` blocks"):
        script_metadata(PEP_EXAMPLE + "\n" + PEP_EXAMPLE, shown="s")
    with pytest.raises(RequirementError, match="not valid TOML"):
        script_metadata("# /// script\n# dependencies = [\n# ///\n", shown="s")


def test_no_block_and_no_file(tmp_path) -> None:  # noqa: ANN001
    plain = tmp_path / "p.py"
    plain.write_text("print(1)\n")
    with pytest.raises(RequirementError, match="has no `# /// script` block"):
        script_requirements(str(plain))
    with pytest.raises(RequirementError, match="does not exist"):
        script_requirements(str(tmp_path / "nope.py"))
