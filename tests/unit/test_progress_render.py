"""Download progress on a terminal: labelled ``name version``, readable at 80 and 120 columns,
a bar per large file and a total; nothing on a pipe."""

from __future__ import annotations

import io
import re

import pytest

from spoke.cli.render import CliReporter, Printer

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _frame(width: int, monkeypatch: pytest.MonkeyPatch, files: dict[str, int]) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.delenv("NO_COLOR", raising=False)
    err = _Terminal()
    reporter = CliReporter(Printer(err=err, environ={}, color=False))
    for name, size in files.items():
        reporter.download_start(name, size)
        reporter.download_progress(name, size // 3)
    progress = reporter._progress
    assert progress is not None
    progress.refresh()
    text = _ANSI.sub("", err.getvalue())
    reporter.close()
    lines = [line for chunk in text.split("\r") for line in chunk.split("\n") if line.strip()]
    return lines


@pytest.mark.parametrize("width", [80, 120])
def test_bars_fit_the_terminal_with_their_labels(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"pandas 3.1.1": 12_400_000, "numpy 2.3.4": 16_800_000, "six 1.17.0": 11_000}
    lines = _frame(width, monkeypatch, files)
    assert all(len(line) <= width for line in lines), lines
    shown = "\n".join(lines)
    assert "pandas 3.1.1" in shown and "numpy 2.3.4" in shown
    assert "six 1.17.0" not in shown  # a small file only counts in the total
    assert "3 files" in shown  # the total row
    pandas = [line for line in lines if "pandas 3.1.1" in line][-1]  # the last frame drawn
    assert "━" in pandas and re.search(r"4\.1/12\.4 MB", pandas), pandas  # a real bar and whole sizes


def test_nothing_is_drawn_on_a_pipe() -> None:
    err = io.StringIO()
    reporter = CliReporter(Printer(err=err, environ={}))
    reporter.download_start("pandas 3.1.1", 12_400_000)
    reporter.download_progress("pandas 3.1.1", 1000)
    reporter.download_done("pandas 3.1.1")
    reporter.close()
    assert err.getvalue() == ""


def test_a_build_shows_what_is_built_and_the_backends_latest_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    err = _Terminal()
    reporter = CliReporter(Printer(err=err, environ={}, color=False))
    reporter.download_start("pandas 3.1.1", 12_400_000)
    reporter.build_output("cext 1.0 (cext-1.0.tar.gz)", "running build_ext")
    reporter.build_output("cext 1.0 (cext-1.0.tar.gz)", "building 'cext._speed' extension")
    progress = reporter._progress
    assert progress is not None
    progress.refresh()
    lines = [line for chunk in _ANSI.sub("", err.getvalue()).split("\r") for line in chunk.split("\n") if line.strip()]
    build = [line for line in lines if line.startswith("Building cext 1.0")][-1]
    assert "building 'cext._speed'" in build and "MB" not in build, build  # no byte counts on a build's row
    assert len(build) <= 100
    assert len(progress.tasks) == 2
    reporter.build_done("cext 1.0 (cext-1.0.tar.gz)")
    assert len(progress.tasks) == 1
    reporter.close()
