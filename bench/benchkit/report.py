"""From measurements to what a reader sees: medians, ratios, tables, the JSON record.

Pure functions over :class:`~benchkit.measure.Measurement` values; ``run.py`` prints the strings.

Installs and downloads make separate tables (their tools differ): ``set | scenario | spoke | uv |
pip | pip --no-compile | spoke/uv | pip/spoke`` and ``set | download | spoke | pip | pip/spoke``;
given rows of both, :func:`render_text` and :func:`render_markdown` draw one table after the
other, with a blank line between.

A cell is the median of the runs that succeeded. A cell some of whose runs failed shows that
median with a ``*`` (and the failures are listed below the table); a cell with no successful run
says ``failed``, ``timeout`` or ``skipped``; a tool that was not benchmarked shows ``-``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from benchkit.measure import DOWNLOAD_SCENARIOS, OPERATIONS, SCENARIOS, Measurement
from benchkit.tools import DOWNLOAD_TOOL_NAMES, TOOL_NAMES, TOOL_TITLES


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One tool's result for one set and scenario over all runs.

    ``seconds`` is the median of the successful runs (``None`` if there was none); ``status`` is
    ``"ok"``, ``"partial"`` (some runs failed), ``"failed"``, ``"timeout"``, ``"skipped"`` or
    ``"absent"`` (the tool was not run).
    """

    seconds: float | None
    status: str
    ok_runs: int = 0
    runs: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One row of a table: a set, a scenario, and a cell per tool.

    ``packages`` is the number of distributions an install left (or files a download saved).
    """

    set_name: str
    scenario: str
    cells: Mapping[str, Cell]
    packages: int | None = None
    operation: str = "install"


ABSENT = Cell(seconds=None, status="absent")


def summarize_cell(measurements: Sequence[Measurement]) -> Cell:
    """The cell for the runs of one tool, set and scenario."""
    if not measurements:
        return ABSENT
    times = [m.seconds for m in measurements if m.status == "ok" and m.seconds is not None]
    if times:
        status = "ok" if len(times) == len(measurements) else "partial"
        return Cell(seconds=statistics.median(times), status=status, ok_runs=len(times), runs=len(measurements))
    statuses = {m.status for m in measurements}
    # The worst thing that happened names the cell: a failure says more than a skip.
    for status in ("failed", "timeout", "skipped"):
        if status in statuses:
            return Cell(seconds=None, status=status, runs=len(measurements))
    return Cell(seconds=None, status="failed", runs=len(measurements))


def package_count(measurements: Iterable[Measurement], set_name: str, operation: str = "install") -> int | None:
    """How many distributions the set installs, as uv's (else any tool's) cold install found;
    for a download, how many files pip's (else spoke's) cold download saved."""
    counts: dict[str, int] = {}
    for m in measurements:
        if m.set_name == set_name and m.operation == operation and m.scenario == "cold" and m.status == "ok":
            counts.setdefault(m.tool, len(m.installed))
    for tool in ("uv", "pip", *TOOL_NAMES):
        if tool in counts:
            return counts[tool]
    return None


def summarize(
    measurements: Sequence[Measurement], *, sets: Sequence[str], tools: Sequence[str]
) -> tuple[Row, ...]:
    """Rows of set x scenario, in the order of ``sets`` and :data:`SCENARIOS`, for ``tools``:
    the install table (downloads are left to :func:`summarize_downloads`)."""
    return _summarize(measurements, sets=sets, tools=tools, operation="install")


def summarize_downloads(
    measurements: Sequence[Measurement], *, sets: Sequence[str], tools: Sequence[str]
) -> tuple[Row, ...]:
    """The download table's rows: set x :data:`DOWNLOAD_SCENARIOS`, a cell per tool of
    :data:`DOWNLOAD_TOOL_NAMES` (``-`` for one not in ``tools``)."""
    return _summarize(measurements, sets=sets, tools=tools, operation="download")


def _summarize(
    measurements: Sequence[Measurement], *, sets: Sequence[str], tools: Sequence[str], operation: str
) -> tuple[Row, ...]:
    if operation == "install":
        scenarios, columns = SCENARIOS, TOOL_NAMES
    else:
        scenarios, columns = DOWNLOAD_SCENARIOS, DOWNLOAD_TOOL_NAMES
    rows = []
    for set_name in sets:
        packages = package_count(measurements, set_name, operation)
        for scenario in scenarios:
            cells = {}
            for tool in columns:
                mine = [
                    m for m in measurements
                    if m.operation == operation and m.set_name == set_name and m.scenario == scenario
                    and m.tool == tool
                ]
                cells[tool] = summarize_cell(mine) if tool in tools else ABSENT
            rows.append(Row(set_name=set_name, scenario=scenario, cells=cells, packages=packages,
                            operation=operation))
    return tuple(rows)


def ratio(numerator: Cell, denominator: Cell) -> float | None:
    """``numerator / denominator`` in seconds, when both have a time (and the divisor is not 0)."""
    if numerator.seconds is None or denominator.seconds is None or denominator.seconds <= 0:
        return None
    return numerator.seconds / denominator.seconds


def format_seconds(seconds: float) -> str:
    """Seconds with about three significant digits: ``12.3``, ``1.23``, ``0.042``."""
    if seconds >= 10:
        return f"{seconds:.1f}"
    if seconds >= 1:
        return f"{seconds:.2f}"
    return f"{seconds:.3f}"


def format_cell(cell: Cell) -> str:
    """The text of one cell (see the module docstring)."""
    if cell.status == "absent":
        return "-"
    if cell.seconds is None:
        return cell.status
    return format_seconds(cell.seconds) + ("*" if cell.status == "partial" else "")


def format_ratio(value: float | None) -> str:
    """A ratio as ``2.4x``, or ``-`` when it cannot be computed."""
    return "-" if value is None else f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


HEADERS = ("set", "scenario", *(TOOL_TITLES[t] for t in TOOL_NAMES), "spoke/uv", "pip/spoke")

#: The download table's header: the second column names the scenario (cold, rerun).
DOWNLOAD_HEADERS = ("set", "download", *(TOOL_TITLES[t] for t in DOWNLOAD_TOOL_NAMES), "pip/spoke")


def _cell(row: Row, tool: str) -> Cell:
    return row.cells.get(tool, ABSENT)


def table_cells(rows: Sequence[Row]) -> list[list[str]]:
    """One table as strings, header first: what both renderings draw. The rows are of one
    operation (the first row's decides the layout)."""
    download = bool(rows) and rows[0].operation == "download"
    lines = [list(DOWNLOAD_HEADERS if download else HEADERS)]
    for row in rows:
        set_label = row.set_name if row.packages is None else f"{row.set_name} ({row.packages})"
        if download:
            lines.append([
                set_label,
                row.scenario,
                *(format_cell(_cell(row, t)) for t in DOWNLOAD_TOOL_NAMES),
                format_ratio(ratio(_cell(row, "pip"), _cell(row, "spoke"))),
            ])
            continue
        lines.append([
            set_label,
            row.scenario,
            *(format_cell(_cell(row, t)) for t in TOOL_NAMES),
            format_ratio(ratio(_cell(row, "spoke"), _cell(row, "uv"))),
            format_ratio(ratio(_cell(row, "pip"), _cell(row, "spoke"))),
        ])
    return lines


def _tables(rows: Sequence[Row]) -> list[list[Row]]:
    """``rows`` split by operation, installs first; an empty list still makes one table."""
    groups = [[r for r in rows if r.operation == op] for op in OPERATIONS]
    return [g for g in groups if g] or [[]]


def render_text(rows: Sequence[Row]) -> str:
    """The tables for a terminal: columns aligned, numbers to the right."""
    return "\n\n".join(_render_text_table(table_cells(group)) for group in _tables(rows))


def _render_text_table(lines: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for n, line in enumerate(lines):
        parts = [
            cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(line)
        ]
        out.append("  ".join(parts).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def render_markdown(rows: Sequence[Row]) -> str:
    """The tables as GitHub Markdown, for the README (a blank line between two tables)."""
    return "\n\n".join(_render_markdown_table(table_cells(group)) for group in _tables(rows))


def _render_markdown_table(lines: list[list[str]]) -> str:
    align = ["---", "---", *["---:"] * (len(lines[0]) - 2)]
    out = ["| " + " | ".join(lines[0]) + " |", "| " + " | ".join(align) + " |"]
    out += ["| " + " | ".join(line) + " |" for line in lines[1:]]
    return "\n".join(out)


_SAMPLED = 10_000_000  # bytes: below this, the command ended before the sampler saw it grow


def memory_table(measurements: Sequence[Measurement], *, markdown: bool = False) -> str:
    """Peak memory of each tool's whole process tree, median over the successful runs, in MB,
    one row per set and scenario, with spoke's over uv's; empty when nothing was measured."""
    cells: dict[tuple[str, str, str], dict[str, list[int]]] = {}
    tools: list[str] = []
    for m in measurements:
        if m.peak_rss is None:
            continue
        cells.setdefault((m.operation, m.set_name, m.scenario), {}).setdefault(m.tool, []).append(m.peak_rss)
        if m.tool not in tools:
            tools.append(m.tool)
    if not cells:
        return ""
    header = ["set", "scenario", *(f"{TOOL_TITLES.get(t, t)} MB" for t in tools)]
    ratio = "spoke" in tools and "uv" in tools
    if ratio:
        header.append("spoke/uv")
    lines = [header]
    for (operation, set_name, scenario), per_tool in cells.items():
        # A command over before the first samples (a no-op's 25 ms) shows nothing to compare.
        medians = {t: statistics.median(v) for t, v in per_tool.items() if statistics.median(v) >= _SAMPLED}
        what = scenario if operation == "install" else f"{operation} {scenario}"
        row = [set_name, what, *(f"{medians[t] / 1e6:.0f}" if t in medians else "-" for t in tools)]
        if ratio:
            row.append(f"{medians['spoke'] / medians['uv']:.2f}x" if "spoke" in medians and "uv" in medians
                       and medians["uv"] else "-")
        lines.append(row)
    return _render_markdown_table(lines) if markdown else _render_text_table(lines)


def failure_report(measurements: Sequence[Measurement]) -> str:
    """The last output lines of every tool that failed, once per set, tool and scenario.

    Skipped steps are left out: the failure that caused them is listed already.
    """
    seen: set[tuple[str, str, str, str]] = set()
    blocks = []
    for m in measurements:
        key = (m.operation, m.set_name, m.tool, m.scenario)
        if m.status not in ("failed", "timeout") or key in seen:
            continue
        seen.add(key)
        runs = sum(
            1 for o in measurements
            if (o.operation, o.set_name, o.tool, o.scenario) == key and o.status in ("failed", "timeout")
        )
        what = m.scenario if m.operation == "install" else f"{m.operation} {m.scenario}"
        head = f"--- {m.tool} / {m.set_name} / {what}: {m.status}"
        head += f" (exit code {m.returncode})" if m.returncode is not None else ""
        head += f", {runs} run(s)"
        body = "\n".join("    " + line for line in (m.output or "(no output)").splitlines())
        blocks.append(f"{head}\n    $ {' '.join(m.command)}\n{body}" if m.command else f"{head}\n{body}")
    return "\n".join(blocks)


def disagreements(measurements: Sequence[Measurement]) -> list[str]:
    """Notes on sets where the tools' successful cold installs left different distributions,
    or their cold downloads saved different files.

    The same names at different versions are expected when an index changes between runs; a
    different set of names means the tools did not do the same work. Downloads are compared by
    file name: a different file (another wheel of the same version, an sdist) is worth a note.
    """
    notes = []
    by_set: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
    for m in measurements:
        if m.scenario == "cold" and m.status == "ok":
            if m.operation == "install":
                names = frozenset(item.partition("==")[0] for item in m.installed)
            else:
                names = frozenset(m.installed)
            by_set.setdefault((m.operation, m.set_name), {}).setdefault(m.tool, names)
    for (operation, set_name), per_tool in by_set.items():
        if len(set(per_tool.values())) <= 1:
            continue
        union = frozenset().union(*per_tool.values())
        for tool, names in per_tool.items():
            missing = sorted(union - names)
            if missing and operation == "install":
                notes.append(
                    f"{set_name}: {tool} installed {len(names)} distributions, "
                    f"without {', '.join(missing)}"
                )
            elif missing:
                notes.append(
                    f"{set_name}: {tool} downloaded {len(names)} files, "
                    f"without {', '.join(missing)}"
                )
    return notes


def results_document(
    measurements: Sequence[Measurement],
    rows: Sequence[Row],
    *,
    meta: Mapping[str, object],
) -> dict[str, object]:
    """Everything a run found, as JSON data: ``meta``, the summary rows and every measurement."""
    return {
        **meta,
        "summary": [
            {
                "operation": row.operation,
                "set": row.set_name,
                "scenario": row.scenario,
                "packages": row.packages,
                "cells": {
                    tool: {"median_seconds": cell.seconds, "status": cell.status,
                           "ok_runs": cell.ok_runs, "runs": cell.runs}
                    for tool, cell in row.cells.items()
                },
                "spoke_over_uv": ratio(_cell(row, "spoke"), _cell(row, "uv")),
                "pip_over_spoke": ratio(_cell(row, "pip"), _cell(row, "spoke")),
            }
            for row in rows
        ],
        "measurements": [m.to_dict() for m in measurements],
    }
