#!/usr/bin/env python3
"""Benchmark spoke against uv and pip: ``python3 bench/run.py [--quick] [--markdown] ...``.

One command: makes (once) a venv with pip, uv and this repository's spoke in it (brought up to
date with the working tree on every start), then for each requirement set in ``bench/sets`` and
each tool times a cold, a warm and a no-op install into fresh target venvs, repeats that
``--runs`` times, and prints the medians with the ratios spoke/uv and pip/spoke. With
``--scenarios download`` (or ``install,download``) it also times ``spoke download`` against
``pip download`` into an empty folder (cold) and again into the full one (rerun). Raw results
go to ``bench/.work/results-<timestamp>.json``. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
# Run as a script, this folder is on sys.path already; imported some other way, make it so.
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from benchkit.hermetic import hermetic_env  # noqa: E402
from benchkit.measure import (  # noqa: E402
    OPERATIONS,
    SCENARIOS,
    HarnessError,
    Measurement,
    make_target_venv,
    measure_download_sequence,
    measure_sequence,
)
from benchkit.process import Runner, run_subprocess  # noqa: E402
from benchkit.report import (  # noqa: E402
    disagreements,
    failure_report,
    format_seconds,
    memory_table,
    render_markdown,
    render_text,
    results_document,
    summarize,
    summarize_downloads,
)
from benchkit.tools import (  # noqa: E402
    DEFAULT_INDEX,
    DOWNLOAD_TOOL_NAMES,
    TOOL_NAMES,
    bootstrap_tools,
    source_fingerprint,
)

SETS_DIR = BENCH_DIR / "sets"


def available_sets() -> list[str]:
    """The names of the requirement sets in ``bench/sets``, smallest first by convention."""
    order = {"small": 0, "medium": 1, "large": 2, "xlarge": 3}
    names = [p.stem for p in SETS_DIR.glob("*.txt")]
    return sorted(names, key=lambda n: (order.get(n, 9), n))


def default_sets() -> list[str]:
    """The sets a plain run times: all but ``xlarge``, whose pip runs alone take many minutes
    (ask for it with ``--sets xlarge``)."""
    return [s for s in available_sets() if s != "xlarge"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; ``--quick`` means one run of the small set unless told otherwise."""
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Time spoke, uv and pip installing the same requirement sets.",
    )
    parser.add_argument("--quick", action="store_true", help="one run of the small set")
    parser.add_argument("--runs", type=int, help="runs per set and tool; the median is shown (default 3)")
    parser.add_argument("--sets", help=f"comma-separated sets (default: {','.join(default_sets())}; also: "
                                          f"{','.join(s for s in available_sets() if s not in default_sets())})")
    parser.add_argument("--tools", default=",".join(TOOL_NAMES), help="comma-separated tools (default: all)")
    parser.add_argument(
        "--scenarios", default="install",
        help="what to time: install (cold, warm, no-op), download (cold, rerun; spoke and pip), "
             "or both as install,download (default: install)",
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--index-url", default=DEFAULT_INDEX, help="the index every tool uses")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one install may take")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / ".work", help="tools, scratch, results")
    parser.add_argument("--refresh-tools", action="store_true", help="rebuild the tools venv")
    parser.add_argument("--keep-scratch", action="store_true", help="keep target venvs and caches")
    parser.add_argument("--prepare-tools", action="store_true",
                        help="only bring the tools venv up to date with the working tree, then exit")
    args = parser.parse_args(argv)

    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in args.tools if t not in TOOL_NAMES]
    if unknown or not args.tools:
        parser.error(f"unknown tool(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(TOOL_NAMES)}")
    args.scenarios = [o.strip() for o in args.scenarios.split(",") if o.strip()]
    wrong = [o for o in args.scenarios if o not in OPERATIONS]
    if wrong or not args.scenarios:
        parser.error(f"unknown scenario(s) {', '.join(wrong) or '(none given)'}; known: {', '.join(OPERATIONS)}")
    args.scenarios = [o for o in OPERATIONS if o in args.scenarios]  # installs first, once each
    if args.scenarios == ["download"] and not set(args.tools) & set(DOWNLOAD_TOOL_NAMES):
        parser.error(f"download is timed for {' and '.join(DOWNLOAD_TOOL_NAMES)} only; --tools names neither")
    if args.sets is None:
        args.sets = "small" if args.quick else ",".join(default_sets())
    args.sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    missing = [s for s in args.sets if not (SETS_DIR / f"{s}.txt").is_file()]
    if missing or not args.sets:
        parser.error(f"unknown set(s) {', '.join(missing) or '(none given)'}; known: {', '.join(available_sets())}")
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def say(message: str) -> None:
    """Progress and diagnostics go to stderr, so stdout holds only the table."""
    print(message, file=sys.stderr, flush=True)


def unavailable(set_name: str, tool: str, run: int, why: str, operation: str = "install") -> list[Measurement]:
    """The measurements of a tool that could not even be installed."""
    scenarios = SCENARIOS if operation == "install" else ("cold", "rerun")
    first = Measurement(set_name=set_name, tool=tool, scenario="cold", run=run, status="failed",
                        seconds=None, output=why, operation=operation)
    rest = [
        Measurement(set_name=set_name, tool=tool, scenario=s, run=run, status="skipped",
                    seconds=None, output="the tool is not installed", operation=operation)
        for s in scenarios[1:]
    ]
    return [first, *rest]


def rotated(tools: list[str], run: int) -> list[str]:
    """``tools`` starting ``run - 1`` places further on: drift (network, thermal) then hits
    every tool alike over the runs."""
    if not tools:
        return []
    shift = (run - 1) % len(tools)
    return tools[shift:] + tools[:shift]


def describe(done: tuple[Measurement, ...] | list[Measurement]) -> str:
    """One progress line's worth: ``cold 2.31s  warm 0.52s  no-op 0.021s``."""
    parts = []
    for m in done:
        value = format_seconds(m.seconds) + "s" if m.seconds is not None else m.status
        parts.append(f"{m.scenario} {value}")
    return "  ".join(parts)


def main(argv: list[str] | None = None, *, runner: Runner = run_subprocess) -> int:
    """Run the benchmark; 0 when it ran (even if some tool failed), 1 when the harness could not.

    ``runner`` starts (and times) every process; tests pass a fake one.
    """
    args = parse_args(argv)
    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    base_python = Path(sys.executable)
    environ = dict(os.environ)

    say(f"preparing the tools venv in {work / 'tools'} ...")
    source = source_fingerprint(REPO)
    setup = bootstrap_tools(
        work / "tools", repo=REPO, runner=runner, environ=environ,
        base_python=base_python, index_url=args.index_url, refresh=args.refresh_tools,
    )
    for name, version in setup.versions.items():
        say(f"  {name}: {version}")
    for name in setup.problems:
        if name in args.tools:
            say(f"  {name} is unavailable; its cells will read 'failed'")
    if args.prepare_tools:
        for name, why in setup.problems.items():
            say(f"{name}: {why}")
        return 1 if setup.problems else 0
    download_tools = [t for t in args.tools if t in DOWNLOAD_TOOL_NAMES] if "download" in args.scenarios else []

    make_target = make_target_venv(base_python, runner, hermetic_env(environ))
    measurements: list[Measurement] = []
    started = time.strftime("%Y%m%d-%H%M%S")
    interrupted = False
    try:
        for set_name in args.sets:
            requirements = SETS_DIR / f"{set_name}.txt"
            for run in range(1, args.runs + 1):
                for tool in rotated(args.tools, run) if "install" in args.scenarios else []:
                    if tool in setup.problems:
                        done = unavailable(set_name, tool, run, setup.problems[tool])
                    else:
                        done = list(measure_sequence(
                            set_name=set_name, requirements=requirements, tool=tool, run=run,
                            scratch=work / "scratch" / f"{set_name}-{tool}-{run}",
                            tools=setup.tools, runner=runner, make_target=make_target,
                            environ=environ, index_url=args.index_url, timeout=args.timeout,
                            keep=args.keep_scratch, trash=work / "trash",
                        ))
                    measurements.extend(done)
                    say(f"[{set_name} run {run}/{args.runs}] {tool:<15} {describe(done)}")
                for tool in rotated(download_tools, run):
                    if tool in setup.problems:
                        done = unavailable(set_name, tool, run, setup.problems[tool], "download")
                    else:
                        done = list(measure_download_sequence(
                            set_name=set_name, requirements=requirements, tool=tool, run=run,
                            scratch=work / "scratch" / f"{set_name}-{tool}-download-{run}",
                            tools=setup.tools, runner=runner, environ=environ,
                            index_url=args.index_url, timeout=args.timeout,
                            keep=args.keep_scratch, trash=work / "trash",
                        ))
                    measurements.extend(done)
                    say(f"[{set_name} run {run}/{args.runs}] {tool + ' download':<15} {describe(done)}")
    except HarnessError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        interrupted = True
        say("interrupted: reporting what was measured so far")

    # Deleted only now: deleting files slows the disk for a while, which would be timed.
    shutil.rmtree(work / "trash", ignore_errors=True)
    try:
        (work / "scratch").rmdir()  # only when empty: --keep-scratch leaves its folders
    except OSError:
        pass
    rows: tuple = ()
    if "install" in args.scenarios:
        rows += summarize(measurements, sets=args.sets, tools=args.tools)
    if "download" in args.scenarios:
        rows += summarize_downloads(measurements, sets=args.sets, tools=args.tools)
    source_moved = source_fingerprint(REPO) != source
    meta = {
        "started": started,
        "runs": args.runs,
        "scenarios": args.scenarios,
        "sets": {s: (SETS_DIR / f"{s}.txt").read_text(encoding="utf-8") for s in args.sets},
        "tools": args.tools,
        "versions": dict(setup.versions),
        "spoke_source": source,
        "spoke_source_changed_during_run": source_moved,
        "index_url": args.index_url,
        "interrupted": interrupted,
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        },
    }
    results = work / f"results-{started}.json"
    results.write_text(json.dumps(results_document(measurements, rows, meta=meta), indent=2) + "\n",
                       encoding="utf-8")

    print(render_markdown(rows) if args.markdown else render_text(rows))
    counted = " (files saved, for downloads)" if "download" in args.scenarios else ""
    print(f"\nmedian of {args.runs} run(s), in seconds; * = some runs failed; (n) = distributions installed{counted}")
    memory = memory_table(measurements, markdown=args.markdown)
    if memory:
        print(f"\npeak memory of the whole process tree, MB (median of the successful runs; - where a command "
              f"ended before it could be sampled):\n{memory}")
    for note in disagreements(measurements):
        say(f"note: {note}")
    if source_moved:
        say("note: spoke's source changed during the run; every spoke command ran the copy made at its start")
    failures = failure_report(measurements)
    if failures:
        say("\nfailures (last lines of each tool's output):")
        say(failures)
    say(f"\nraw results: {results}")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
