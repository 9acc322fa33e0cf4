#!/usr/bin/env python3
"""How the cost of resolving grows: spoke, uv and pip against synthetic indexes on 127.0.0.1.

    python3 bench/scaling.py --plot bench/scaling.png          # every series below, and the PNG
    python3 bench/scaling.py --shapes sizes --sizes 100,1000   # only the size series
    python3 bench/scaling.py --shapes backtracking,versions,extras --depths 10,50 --timeout 120
    python3 bench/scaling.py --replot bench/scaling.png        # redraw from the last results

Each series generates indexes from a fixed seed (so every run and tool sees the same one), serves
them with the test suite's index server (PEP 691 pages, PEP 658 metadata) from this process, no
network noise (each page rendered once, Nagle's algorithm off: see :func:`static_index`), and
times each tool resolving its roots with an empty cache, ``install --dry-run`` into an empty
venv: time (whole process, start-up included) and peak memory of its process tree.

``sizes`` (``--sizes``, default 100, 1,000, 5,000 projects)
    each project has versions 1.0, 1.1 and 2.0, and each version depends on 0 to 4 projects
    further down the list (a realistic fan-out, no cycles) with ``>=1.0``, ``>=1.1`` or ``<2``,
    so a solution always exists; the roots are the first N/20 projects.
``backtracking`` (``--depths``, default 10, 20, 30, 100, 1,000 projects in a chain)
    ``a0`` … ``a{D-1}``, each with versions 1.0 … 5.0; version v of ``a{i}`` needs
    ``a{i+1}>=v``, and the roots ask for ``a0`` and ``a{D-1}<5``. The newest of every project
    leads down the whole chain to a conflict at its end, so a solver that tries newest first backs
    off level by level; the one best answer is 4.0 everywhere.
``versions`` (``--versions``, default 30, 300, 1,000 versions of each of 50 projects)
    ``m{i}`` needs ``m{i+1}`` and up to two more projects further down, each with a window
    ``>=1.{lo},<1.{hi}`` whose top is fixed per project and whose bottom varies with the version
    asking, and the roots (``m0`` … ``m4``) ask for their windows too: picking means filtering
    long version lists, and the answer (the top of each window, all 50 projects) is known.
``extras`` (``--extras``, default 10, 50, 200, 400 extras asked for at once)
    ``hub`` has E extras, each pulling a few of E pool projects ``x{j}``, mostly with one of
    their own extras ``f0`` … ``f2``, which in turn pull projects further down the pool with their
    extras; a tenth of the requirements say ``<2``. The root is ``hub[e0,e1,…]``; the answer
    (2.0, or 1.0 where some requirement reached says ``<2``) is known in advance.

Every tool's resolved ``name==version`` set is read back (``--report`` of spoke and pip, the
``+ name==version`` lines of uv) and checked: against the generator's known answer where there is
one (``ok``, ``valid, not newest`` or ``INVALID``), otherwise for validity (every requirement met,
nothing extra) and against the other tools (``same``, ``valid, differs`` or ``INVALID``). A tool that
times out, crashes, hits a recursion limit or gives up is reported as such in the table, never
stops the run; a timeout (``--timeout``) kills the command's whole process tree. pip runs only up
to ``--pip-max`` (defaults: 1,000 projects, a chain of 30, 200 extras: beyond them its resolves
take many minutes); ``--pip-max 2000`` still caps the size series alone, and
``--pip-max backtracking=50,extras=400`` the shapes. The table prints milliseconds per unit of
size (per project, chain level, version or extra), so a cost that grows faster than the work
shows as a growing number. Results are saved to ``bench/.work/scaling-results.json``;
``--plot`` draws time and memory against size for the size series and time against size for
each shape (matplotlib, installed into the tools venv on demand).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from benchkit.hermetic import hermetic_env  # noqa: E402
from benchkit.process import Completed, run_subprocess, tail  # noqa: E402
from benchkit.tools import bootstrap_tools  # noqa: E402

VERSIONS = ("1.0", "1.1", "2.0")
SPECS = (">=1.0", ">=1.1", "<2")
RESULTS = HERE / ".work" / "scaling-results.json"


@dataclass(frozen=True)
class Index:
    """A generated index: its packages, the root requirement lines and, where the generator knows
    it, the one right answer (normalized name → version)."""

    packages: list[object]
    roots: list[str]
    expected: dict[str, str] | None = None


def universe(size: int, seed: int = 19) -> Index:
    """The size series: an index of ``size`` projects and its roots (the first ``size/20``)."""
    from tests.support.packages import Pkg

    rng = random.Random(seed)
    packages = []
    for i in range(size):
        for version in VERSIONS:
            later = range(i + 1, size)
            count = min(len(later), rng.choices((0, 1, 2, 3, 4), weights=(2, 3, 3, 2, 1))[0])
            deps = tuple(f"p{j}{rng.choice(SPECS)}" for j in sorted(rng.sample(later, count)))
            packages.append(Pkg(f"p{i}", version, deps=deps))
    roots = [f"p{i}" for i in range(max(1, size // 20))]
    return Index(packages, roots)


def backtracking(depth: int, newest: int = 5) -> Index:
    """A chain ``a0`` … ``a{depth-1}`` whose newest versions conflict only at its end.

    Version v of ``a{i}`` needs ``a{i+1}>=v``; the roots ask for ``a0`` and for the last project
    below ``newest``. So ``a{i}==newest`` forces ``newest`` all the way down, which the root
    forbids: every level has to back off, and since the versions along the chain never fall,
    ``newest - 1`` everywhere is the one answer that is newest in every project.
    """
    from tests.support.packages import Pkg

    depth = max(2, depth)
    packages = [
        Pkg(f"a{i}", f"{v}.0", deps=(f"a{i + 1}>={v}.0",) if i + 1 < depth else ())
        for i in range(depth)
        for v in range(1, newest + 1)
    ]
    roots = ["a0", f"a{depth - 1}<{newest}.0"]
    return Index(packages, roots, {f"a{i}": f"{newest - 1}.0" for i in range(depth)})


def many_versions(count: int, projects: int = 50, seed: int = 19) -> Index:
    """``projects`` projects of ``count`` versions each (1.0 … 1.{count-1}), linked by windows.

    ``m{i}`` needs ``m{i+1}`` and up to two more projects further down (the same ones in every
    version and at every ``count``, so every size resolves all ``projects`` of them). Project
    ``m{j}`` has a window top ``hi`` (above the middle of its list) and a floor ``lo`` below it;
    a requirement on it reads ``>=1.{x},<1.{hi}`` with ``x`` anywhere up to ``lo``, different in
    each version of the project that asks, so all requirements on one project agree on the top
    and the answer is ``1.{hi-1}`` for every project, whatever order a solver picks in.
    """
    from tests.support.packages import Pkg

    shape, rng = random.Random(seed), random.Random(seed + count)
    count = max(2, count)
    top = [count // 2 + 1 + int(shape.random() * (count - count // 2)) for _ in range(projects)]
    top = [min(t, count) for t in top]
    floor = [rng.randint(t // 2, t - 1) for t in top]
    needs = [sorted({i + 1, *shape.sample(range(i + 1, projects), min(projects - i - 1, shape.randint(0, 2)))})
             if i + 1 < projects else [] for i in range(projects)]

    def window(j: int) -> str:
        return f"m{j}>=1.{rng.randint(0, floor[j])},<1.{top[j]}"

    packages = [Pkg(f"m{i}", f"1.{v}", deps=tuple(window(j) for j in needs[i]))
                for i in range(projects) for v in range(count)]
    roots = [window(j) for j in range(min(5, projects))]
    return Index(packages, roots, {f"m{j}": f"1.{top[j] - 1}" for j in range(projects)})


def wide_extras(count: int, seed: int = 19) -> Index:
    """``hub`` with ``count`` extras over a pool of ``count`` projects that pull each other's extras.

    Each pool project ``x{j}`` has versions 1.0 and 2.0 (the same dependencies) and extras
    ``f0`` … ``f2``, each pulling one or two projects further down the pool, most with an extra
    of their own; ``x{j}`` itself needs zero or one of them plainly. Extra ``e{k}`` of ``hub``
    pulls ``x{k}`` with an extra and one or two random pool projects. A tenth of all requirements
    say ``<2``, so the answer is 1.0 for a project some reached requirement caps, 2.0 otherwise.
    """
    from tests.support.packages import Pkg

    rng = random.Random(seed)
    count = max(1, count)

    def requirement(j: int) -> tuple[str, str, str]:
        extra = rng.choice(("", "f0", "f1", "f2", "f0"))
        return f"x{j}", extra, "<2" if rng.random() < 0.1 else ">=1.0"

    def text(req: tuple[str, str, str]) -> str:
        name, extra, spec = req
        return f"{name}[{extra}]{spec}" if extra else f"{name}{spec}"

    plain: dict[str, list[tuple[str, str, str]]] = {}
    extras: dict[str, dict[str, list[tuple[str, str, str]]]] = {}
    for j in range(count):
        later = list(range(j + 1, count))
        plain[f"x{j}"] = [requirement(k) for k in rng.sample(later, min(len(later), rng.randint(0, 1)))]
        extras[f"x{j}"] = {
            f"f{e}": [requirement(k) for k in sorted(rng.sample(later, min(len(later), rng.randint(1, 2))))]
            for e in range(3)
        }
    plain["hub"] = []
    extras["hub"] = {}
    for k in range(count):
        own = (f"x{k}", f"f{rng.randint(0, 2)}", "<2" if rng.random() < 0.1 else ">=1.0")
        others = [requirement(j) for j in sorted(rng.sample(range(count), min(count, rng.randint(1, 2))))]
        extras["hub"][f"e{k}"] = [own, *others]
    packages = [
        Pkg(name, version, deps=tuple(text(r) for r in plain[name]),
            extras={extra: tuple(text(r) for r in reqs) for extra, reqs in extras[name].items()})
        for name in plain
        for version in ("1.0", "2.0")
    ]
    wanted = list(extras["hub"])
    roots = [f"hub[{','.join(wanted)}]"]
    # The answer: walk what the root reaches, (project, extra) pairs, and note every cap.
    reached: set[tuple[str, str]] = set()
    capped: set[str] = set()
    todo = [("hub", ""), *(("hub", e) for e in wanted)]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in reached:
            continue
        reached.add((name, extra))
        for dep, dep_extra, spec in extras[name][extra] if extra else plain[name]:
            capped |= {dep} if spec == "<2" else set()
            todo += [(dep, ""), *([(dep, dep_extra)] if dep_extra else [])]
    expected = {name: "1.0" if name in capped else "2.0" for name, _ in reached}
    return Index(packages, roots, expected)


@dataclass(frozen=True)
class Series:
    """One thing to grow: its generator, default sizes, pip's cap and how to label its axis."""

    name: str
    generate: Callable[[int], Index]
    sizes: str
    pip_max: int
    axis: str


SERIES = {
    "sizes": Series("sizes", universe, "100,1000,5000", 1000, "projects in the index"),
    "backtracking": Series("backtracking", backtracking, "10,20,30,100,1000", 30, "projects in the chain"),
    "versions": Series("versions", many_versions, "30,300,1000", 1000, "versions of each of 50 projects"),
    "extras": Series("extras", wide_extras, "10,50,200,400", 200, "extras asked for at once"),
}
SIZE_OPTIONS = {"sizes": "sizes", "backtracking": "depths", "versions": "versions", "extras": "extras"}


def commands(tool: str, tools: object, python: str, index: str, cache: Path, req: Path,
             report: Path | None = None) -> list[str]:
    """The resolve-only command of ``tool``: an install --dry-run into an empty venv.

    With ``report``, spoke and pip write what they would install there (``--report``) and uv,
    which has no such option, is not quietened, so that it lists it on stderr.
    """
    extra = ["--report", str(report)] if report is not None else []
    if tool == "spoke":
        return [str(tools.script("spoke")), "install", "--dry-run", "-q", "-r", str(req),  # type: ignore[attr-defined]
                "--python", python, "--cache-dir", str(cache), "-i", index, *extra]
    if tool == "uv":
        quiet = [] if report is not None else ["-q"]
        return [str(tools.script("uv")), "pip", "install", "--dry-run", *quiet, "-r", str(req),  # type: ignore[attr-defined]
                "--python", python, "--cache-dir", str(cache), "--index-url", index]
    return [str(tools.python), "-m", "pip", "--python", python, "install", "--dry-run", "-q",  # type: ignore[attr-defined]
            "-r", str(req), "--cache-dir", str(cache), "--index-url", index, "--disable-pip-version-check",
            *extra]


def resolved(tool: str, done: Completed, report: Path) -> dict[str, str] | None:
    """What ``tool`` said it would install (normalized name → version), ``None`` when unreadable."""
    from packaging.utils import canonicalize_name

    if tool == "uv":
        found = re.findall(r"^\s*\+\s*([A-Za-z0-9._-]+)==(\S+)\s*$", done.stderr + done.stdout, re.MULTILINE)
        return {canonicalize_name(name): version for name, version in found} if found else None
    try:
        data = json.loads(report.read_text())
        return {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
                for item in data["install"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def unsatisfied(index: Index, answer: dict[str, str]) -> list[str]:
    """What is wrong with ``answer`` as an install of ``index.roots``: requirements it breaks,
    versions the index does not have, projects nothing asked for. Empty for a valid answer."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    pkgs = {(canonicalize_name(p.name), Version(p.version)): p for p in index.packages}  # type: ignore[attr-defined]
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    todo = [Requirement(r) for r in index.roots]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name not in answer or not req.specifier.contains(answer[name], prereleases=True):
            problems.append(f"{req} (got {answer.get(name, 'nothing')})")
            continue
        pkg = pkgs.get((name, Version(answer[name])))
        if pkg is None:
            problems.append(f"{name}=={answer[name]} is not in the index")
            continue
        for extra in ("", *req.extras):
            if (name, extra) not in seen:
                seen.add((name, extra))
                todo += [Requirement(d) for d in (dict(pkg.extras).get(extra, ()) if extra else pkg.deps)]  # type: ignore[attr-defined]
    problems += [f"{name} is not needed" for name in sorted(set(answer) - {n for n, _ in seen})]
    return problems


def failure(done: Completed) -> str:
    """A few words on why a command did not finish well: what the table shows instead of a time."""
    if done.timed_out:
        return "timeout"
    text = done.stderr + done.stdout
    if re.search(r"RecursionError|maximum recursion depth", text):
        return "recursion"
    if re.search(r"MemoryError|out of memory", text, re.IGNORECASE):
        return "out of memory"
    if re.search(r"ResolutionTooDeep|ResolverTooLong|did not finish within \d+ steps", text):
        return "gave up"
    if done.returncode is not None and done.returncode < 0:
        return f"signal {-done.returncode}"
    return f"exit {done.returncode}"


def parse_pip_max(text: str) -> dict[str, int]:
    """``--pip-max``: a bare number caps the size series (as it always did), ``name=N`` a shape."""
    caps = {name: series.pip_max for name, series in SERIES.items()}
    for item in (i.strip() for i in text.split(",") if i.strip()):
        name, _, value = item.rpartition("=")
        if (name or "sizes") not in SERIES:
            raise SystemExit(f"--pip-max: no series {name!r} (one of {', '.join(SERIES)})")
        caps[name or "sizes"] = int(value)
    return caps


def parse_shapes(text: str) -> list[str]:
    """``--shapes``: series names, comma-separated; ``all`` is every one."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if "all" in names:
        return list(SERIES)
    unknown = [n for n in names if n not in SERIES]
    if unknown:
        raise SystemExit(f"--shapes: unknown {', '.join(unknown)} (choose from all, {', '.join(SERIES)})")
    return names


def static_index(*packages: object, build_dir: Path) -> object:
    """The test suite's index server, made to answer as fast as it can: each page is rendered once
    (the index does not change during a run, and rendering a thousand files on every request would
    time the server too). The server itself has Nagle's algorithm off (its headers and body are
    written separately, so the body waited for the client's delayed ACK: about 40 ms per request)
    and an accept queue of 1,024, not socketserver's 5 (uv opens dozens of connections at once,
    and each dropped SYN waited for its retransmission: 1.4 s or 33 s for the same resolve)."""
    from tests.support.index_server import IndexServer

    class StaticIndex(IndexServer):
        def __init__(self, *sources: object, build_dir: Path) -> None:
            self._pages: dict[tuple[str, str], bytes | None] = {}
            self._modified: dict[str | None, float] = {}
            super().__init__(*sources, build_dir=build_dir)  # type: ignore[arg-type]

        def _render_project(self, project: str, fmt: str) -> bytes | None:
            if (project, fmt) not in self._pages:
                self._pages[project, fmt] = super()._render_project(project, fmt)
            return self._pages[project, fmt]

        def _last_modified(self, project: str | None) -> float:
            if project not in self._modified:
                self._modified[project] = super()._last_modified(project)
            return self._modified[project]

    return StaticIndex(*packages, build_dir=build_dir)


def run_series(series: Series, sizes: list[int], tools_wanted: list[str], *, setup: object, env: dict[str, str],
               scratch: Path, pip_max: int, timeout: float) -> list[dict[str, object]]:
    """Generate, serve and resolve each size of ``series`` with each tool; one row per run."""
    rows: list[dict[str, object]] = []
    for size in sizes:
        print(f"[{series.name} {size}] generating", file=sys.stderr)
        index = series.generate(size)
        where = scratch / f"{series.name}-{size}"
        where.mkdir()
        req = where / "roots.txt"
        req.write_text("\n".join(index.roots) + "\n")
        answers: dict[str, dict[str, str]] = {}
        with static_index(*index.packages, build_dir=where / "wheels") as server:  # type: ignore[attr-defined]
            for tool in tools_wanted:
                row: dict[str, object] = {"shape": series.name, "size": size, "tool": tool, "status": "ok",
                                          "seconds": None, "peak_mb": None, "installs": None, "check": None}
                rows.append(row)
                if tool == "pip" and size > pip_max:
                    row["status"] = "skipped"
                    continue
                venv = where / f"venv-{tool}"
                subprocess.run([str(setup.tools.python), "-m", "venv", "--without-pip", str(venv)],  # type: ignore[attr-defined]
                               check=True)
                report = where / f"report-{tool}.json"
                argv = commands(tool, setup.tools, str(venv / "bin" / "python"), server.simple_url,  # type: ignore[attr-defined]
                                where / f"cache-{tool}", req, report)
                try:
                    done = run_subprocess(argv, env=env, cwd=where, timeout=timeout)
                except Exception as exc:  # noqa: BLE001 - never fall over: the row says what happened
                    done = Completed(returncode=None, stdout="", stderr=f"harness: {exc!r}", seconds=0.0)
                row["seconds"] = round(done.seconds, 3)
                row["peak_mb"] = round(done.peak_rss / 1e6, 1) if done.peak_rss else None
                if not done.ok:
                    row["status"] = failure(done)
                    print(f"{tool} at {series.name} {size}: {row['status']}\n{tail(done.stderr or done.stdout)}",
                          file=sys.stderr)
                else:
                    answer = resolved(tool, done, report)
                    if answer is None:
                        row["check"] = "unread"
                    else:
                        answers[tool] = answer
                        row["installs"] = len(answer)
                        if index.expected is not None and answer != index.expected:
                            row["check"] = "INVALID" if unsatisfied(index, answer) else "valid, not newest"
                            show_difference(tool, answer, index.expected)
                        elif index.expected is not None:
                            row["check"] = "ok"
                print(f"[{series.name} {size}] {tool}: {done.seconds:.2f} s {row['status']}"
                      + (f" ({row['check']})" if row["check"] else ""), file=sys.stderr)
        if index.expected is None and answers:
            # No known answer: a valid one (every requirement met), the same as the other tools' or not.
            first = next(iter(answers.values()))
            same = all(answer == first for answer in answers.values())
            for row in rows:
                if row["size"] == size and row["tool"] in answers and row["check"] is None:
                    problems = unsatisfied(index, answers[str(row["tool"])])
                    row["check"] = "INVALID" if problems else "same" if same else "valid, differs"
                    if problems:
                        print(f"{row['tool']} at {series.name} {size}: invalid answer\n  " + "\n  ".join(problems[:10]),
                              file=sys.stderr)
        shutil.rmtree(where, ignore_errors=True)
    return rows


def show_difference(tool: str, got: dict[str, str], want: dict[str, str]) -> None:
    """On stderr: where ``tool``'s answer differs from the known one (a few lines)."""
    lines = [f"{name}: {got.get(name, 'missing')} (want {want.get(name, 'nothing')})"
             for name in sorted(set(got) | set(want)) if got.get(name) != want.get(name)]
    print(f"{tool} resolved differently from the known answer, {len(lines)} projects:\n  "
          + "\n  ".join(lines[:10]), file=sys.stderr)


def cell(row: dict[str, object] | None) -> str:
    """A row's seconds, or what happened instead."""
    if row is None:
        return "-"
    if row.get("status", "ok") != "ok":
        return str(row["status"])
    seconds = row["seconds"]
    return f"{seconds:.2f}" if isinstance(seconds, float) else "-"


def print_table(rows: list[dict[str, object]]) -> None:
    """The plain table: one line per run."""
    print(f"{'shape':<13} {'size':>6} {'tool':<6} {'seconds':>9} {'ms/unit':>8} {'peak MB':>8} {'installs':>8} check")
    for row in rows:
        seconds, size = row["seconds"], int(row["size"])  # type: ignore[call-overload]
        ok = row.get("status", "ok") == "ok" and isinstance(seconds, float)
        per = f"{seconds / size * 1000:.1f}" if ok else "-"  # type: ignore[operator]
        peak = f"{row['peak_mb']:.0f}" if ok and isinstance(row["peak_mb"], float) else "-"
        print(f"{row.get('shape', 'sizes')!s:<13} {size:>6} {row['tool']!s:<6} {cell(row):>9} {per:>8} {peak:>8} "
              f"{row.get('installs') or '-'!s:>8} {row.get('check') or '-'}")


def markdown(rows: list[dict[str, object]]) -> str:
    """One Markdown table per series, tools as columns: seconds, then peak MB."""
    out = []
    for name in dict.fromkeys(str(r.get("shape", "sizes")) for r in rows):
        mine = [r for r in rows if r.get("shape", "sizes") == name]
        tools = list(dict.fromkeys(str(r["tool"]) for r in mine))
        head = ([SERIES[name].axis if name in SERIES else "size"] + [f"{t} s" for t in tools]
                + [f"{t} MB" for t in tools] + ["installs"])
        out += [f"**{name}**", "", "| " + " | ".join(head) + " |", "|" + " ---: |" * len(head)]
        for size in dict.fromkeys(int(r["size"]) for r in mine):  # type: ignore[call-overload]
            by = {str(r["tool"]): r for r in mine if r["size"] == size}
            mbs = [f"{by[t]['peak_mb']:.0f}" if t in by and by[t].get("status", "ok") == "ok"
                   and isinstance(by[t]["peak_mb"], float) else "-" for t in tools]
            installs = sorted({str(r["installs"]) for r in by.values() if r.get("installs")})
            checks = {str(r.get("check")) for r in by.values()} - {"None", "ok", "same"}
            note = "/".join(installs) + (f" ({', '.join(sorted(checks))})" if checks else "")
            out.append("| " + " | ".join([f"{size:,}", *(cell(by.get(t)) for t in tools), *mbs, note or "-"]) + " |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--shapes", default="all",
                        help="series to run, comma-separated: sizes, backtracking, versions, extras (default: all)")
    parser.add_argument("--sizes", default=SERIES["sizes"].sizes, help="projects in the size series' indexes")
    parser.add_argument("--depths", default=SERIES["backtracking"].sizes, help="chain lengths of backtracking")
    parser.add_argument("--versions", default=SERIES["versions"].sizes, help="versions per project of versions")
    parser.add_argument("--extras", default=SERIES["extras"].sizes, help="extras asked for at once in extras")
    parser.add_argument("--tools", default="spoke,uv,pip")
    parser.add_argument("--pip-max", default="",
                        help="pip's largest size: N for the size series, or name=N,… (defaults: "
                        + ", ".join(f"{s.name}={s.pip_max}" for s in SERIES.values()) + ")")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one resolve may take")
    parser.add_argument("--markdown", action="store_true", help="also print the tables as Markdown")
    parser.add_argument("--plot", help="write a PNG of time (and memory) against size here")
    parser.add_argument("--replot", metavar="PNG", help="only draw the PNG from the last saved results")
    args = parser.parse_args(argv)
    shapes = parse_shapes(args.shapes)
    caps = parse_pip_max(args.pip_max)
    tools_wanted = [t for t in args.tools.split(",") if t]

    setup = bootstrap_tools(HERE / ".work" / "tools", repo=HERE.parent, runner=run_subprocess, environ=os.environ)
    if args.replot:
        plot(setup.tools, RESULTS, Path(args.replot))
        return 0
    env = hermetic_env(os.environ)
    scratch = Path(tempfile.mkdtemp(prefix="scaling-", dir=HERE / ".work"))
    rows: list[dict[str, object]] = []
    try:
        earlier = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    except ValueError:
        earlier = []
    try:
        for name in shapes:
            sizes = [int(s) for s in getattr(args, SIZE_OPTIONS[name]).split(",") if s]
            rows += run_series(SERIES[name], sizes, tools_wanted, setup=setup, env=env, scratch=scratch,
                               pip_max=caps[name], timeout=args.timeout)
            # After each series, so a crash keeps the rest; a partial run replaces only its own cells.
            RESULTS.write_text(json.dumps(merged(earlier, rows), indent=2) + "\n")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print_table(rows)
    if args.markdown:
        print()
        print(markdown(rows))
    if args.plot:
        plot(setup.tools, RESULTS, Path(args.plot))
    return 0


def merged(earlier: list[dict[str, object]], rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The saved results after a run: ``rows``, and every earlier row of a (series, size, tool)
    this run did not measure (so ``--replot`` after ``--shapes versions`` still draws the rest)."""
    measured = {(r.get("shape", "sizes"), r.get("size"), r.get("tool")) for r in rows}
    kept = [r for r in earlier if isinstance(r, dict)
            and (r.get("shape", "sizes"), r.get("size"), r.get("tool")) not in measured]
    return kept + rows


def plot(tools: object, results: Path, out: Path) -> None:
    """Draw the size series (seconds and peak MB against projects) and each shape (seconds against
    its size), one line per tool; runs that failed are left out (matplotlib, in the tools venv)."""
    python = str(tools.python)  # type: ignore[attr-defined]
    if subprocess.run([python, "-c", "import matplotlib"], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", "matplotlib"], check=True)
    axes = {name: series.axis for name, series in SERIES.items()}
    code = f"""
import json, matplotlib, matplotlib.ticker
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows = json.load(open({str(results)!r}))
axes = {axes!r}
for r in rows:
    r.setdefault("shape", "sizes"); r.setdefault("status", "ok" if r["seconds"] is not None else "failed")
shapes = list(dict.fromkeys(r["shape"] for r in rows))
panels = [(s, "seconds") for s in shapes] + ([("sizes", "peak_mb")] if "sizes" in shapes else [])
cols = min(3, len(panels)); lines = -(-len(panels) // cols)
fig, grid = plt.subplots(lines, cols, figsize=(5 * cols, 4 * lines), squeeze=False)
colours = {{"spoke": "tab:blue", "uv": "tab:orange", "pip": "tab:green"}}
for axis, (shape, key) in zip(grid.flat, panels):
    mine = [r for r in rows if r["shape"] == shape]
    for tool in dict.fromkeys(r["tool"] for r in mine):
        ok = [r for r in mine if r["tool"] == tool and r["status"] == "ok" and r[key] is not None]
        axis.plot([r["size"] for r in ok], [r[key] for r in ok], marker="o", label=tool, color=colours.get(tool))
        for r in mine:
            if r["tool"] == tool and r["status"] not in ("ok", "skipped"):
                axis.plot([r["size"]], [r["seconds"] or 0], marker="x", markersize=10, color=colours.get(tool))
                axis.annotate(r["status"], (r["size"], r["seconds"] or 0), fontsize=8,
                              textcoords="offset points", xytext=(4, 4))
    axis.set_xscale("log"); axis.set_yscale("log")
    if key == "peak_mb":
        axis.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axis.yaxis.set_minor_formatter(matplotlib.ticker.ScalarFormatter())
    axis.set_xlabel(axes.get(shape, "size"))
    axis.set_ylabel("seconds (resolve, cold cache)" if key == "seconds" else "peak memory, MB (process tree)")
    axis.set_title(shape + (": memory" if key == "peak_mb" else ""))
    axis.legend()
for axis in list(grid.flat)[len(panels):]:
    axis.set_visible(False)
fig.tight_layout()
fig.savefig({str(out)!r}, dpi=90)
"""
    subprocess.run([python, "-c", code], check=True)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
