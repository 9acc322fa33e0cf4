"""A failed build's explaining lines: errors and missing tools, not pages of progress."""

from __future__ import annotations

from spoke.pep517.frontend import TAIL_LINES, explaining_lines


def test_errors_first_then_the_end() -> None:
    progress = [f"compiling feature table entry {i}" for i in range(300)]
    lines = [*progress[:150], "src/x.c:3:10: fatal error: Python.h: No such file or directory",
             *progress[150:], "error: command 'gcc' failed with exit code 1", "done"]
    picked = explaining_lines(lines)
    assert picked[0] == "src/x.c:3:10: fatal error: Python.h: No such file or directory"
    assert "error: command 'gcc' failed with exit code 1" in picked and picked[-1] == "done"
    assert len(picked) < 15


def test_without_error_lines_the_tail() -> None:
    lines = [f"line {i}" for i in range(100)]
    assert explaining_lines(lines) == lines[-TAIL_LINES:]
