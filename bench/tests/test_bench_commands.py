"""bench/commands.py's pure parts: medians of partly failed runs and the ratio table."""

from __future__ import annotations

from commands import Row, median_or_none, render, sample_project


def test_median_skips_failed_runs() -> None:
    assert median_or_none([1.0, None, 3.0]) == 2.0
    assert median_or_none([None, None]) is None


def test_table_gives_each_tool_over_spoke() -> None:
    rows = [Row("compile", "cold", {"spoke": 0.5, "uv": 0.4, "pip-compile": 2.0}),
            Row("compile", "warm", {"spoke": 0.25, "uv": None, "pip-compile": 1.0})]
    text = render(rows)
    lines = text.splitlines()
    assert lines[0].split() == ["scenario", "case", "spoke", "uv", "pip-compile", "uv/spoke", "pip-compile/spoke"]
    assert lines[1].split() == ["compile", "cold", "0.50", "0.40", "2.00", "0.80x", "4.00x"]
    assert lines[2].split() == ["compile", "warm", "0.25", "-", "1.00", "-", "4.00x"]
    md = render(rows, markdown=True)
    assert md.splitlines()[1] == "|---|---|---|---|---|---|---|"
    assert "| compile | cold | 0.50 | 0.40 | 2.00 | 0.80x | 4.00x |" in md


def test_sample_project_is_a_buildable_layout(tmp_path) -> None:  # noqa: ANN001
    project = sample_project(tmp_path / "p", "hatchling")
    assert (project / "src" / "sample_pkg" / "__init__.py").is_file()
    assert 'build-backend = "hatchling.build"' in (project / "pyproject.toml").read_text()
