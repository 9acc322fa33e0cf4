"""PEP 735 dependency groups read for ``--group [PATH:]NAME`` (pip 25.1's syntax)."""

from __future__ import annotations

import pytest

from spoke.errors import RequirementError, UsageError
from spoke.reqs.groups import group_requirements, split_group

PYPROJECT = """
[project]
name = "app"
version = "1"

[dependency-groups]
test = ["pytest>=8", {include-group = "Lint_Tools"}]
lint-tools = ["ruff"]
loop-a = [{include-group = "loop-b"}]
loop-b = [{include-group = "loop-a"}]
"""


def test_groups_with_includes_and_origins(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    reqs = group_requirements(["test"], cwd=tmp_path)
    assert [str(r.requirement) for r in reqs] == ["pytest>=8", "ruff"]
    assert {r.source for r in reqs} == {"--group test"}
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[dependency-groups]\ndocs = ["sphinx"]\n')
    other = group_requirements(["sub/pyproject.toml:docs", "lint-tools"], cwd=tmp_path)
    assert [str(r.requirement) for r in other] == ["sphinx", "ruff"]


def test_split_group() -> None:
    assert split_group("dev") == (split_group("pyproject.toml:dev")[0], "dev")
    with pytest.raises(UsageError, match="is not a pyproject.toml"):
        split_group("reqs.txt:dev")
    with pytest.raises(UsageError):
        split_group("pyproject.toml:")


@pytest.mark.parametrize(("spec", "message"), [
    ("missing", "has no dependency group `missing`"),
    ("loop-a", "include each other"),
])
def test_bad_groups(tmp_path, spec: str, message: str) -> None:  # noqa: ANN001
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    with pytest.raises(RequirementError, match=message) as info:
        group_requirements([spec], cwd=tmp_path)
    if spec == "missing":
        assert "`lint-tools`" in (info.value.hint or "")


def test_no_file_and_no_table(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(RequirementError, match="does not exist"):
        group_requirements(["dev"], cwd=tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(RequirementError, match=r"no `\[dependency-groups\]` table"):
        group_requirements(["dev"], cwd=tmp_path)


def test_scripts_and_groups_are_both_read_files(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Both count for the quick no-op answer (a group once replaced the script's entry)."""
    from spoke.cli.install import gather_requirements

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "tool.py").write_text('# /// script\n# dependencies = ["rich"]\n# ///\n')
    settings = {"scripts": ["tool.py"], "groups": ["lint-tools"]}

    class Settings:
        def get(self, key: str, default: object = None) -> object:
            return settings.get(key, default)

    reqs, _constraints, read = gather_requirements([], Settings(), {})
    assert [str(r.requirement) for r in reqs] == ["rich", "ruff"]
    assert set(read.files) == {"tool.py", "pyproject.toml"}
