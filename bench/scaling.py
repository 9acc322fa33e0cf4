#!/usr/bin/env python3
"""How the cost of resolving grows: spoke, uv and pip against synthetic indexes on 127.0.0.1.

    python3 bench/scaling.py                                   # 100, 1,000 and 5,000 projects
    python3 bench/scaling.py --sizes 100,1000 --plot bench/scaling.png

For each size N an index of N projects is generated (a fixed seed, so every run and tool sees the
same one): each project has versions 1.0, 1.1 and 2.0, and each version depends on 0 to 4
projects further down the list (a realistic fan-out, no cycles) with ``>=1.0``, ``>=1.1`` or
``<2``, so a solution always exists; the roots are the first N/20 projects. It is served by the
test suite's index server (PEP 691 pages, PEP 658 metadata) from this process, no network noise.
Each tool resolves the roots with an empty cache, ``install --dry-run`` into an empty venv: time
(whole process, start-up included) and peak memory of its process tree. pip runs only up to
``--pip-max`` projects (its resolve of thousands takes many minutes). The table prints the
seconds per 1,000 projects resolved, so a cost that grows faster than the work shows as a
growing number; ``--plot`` draws time and memory against size (matplotlib, installed into the
tools venv on demand).

Not yet: the hard shapes (deep backtracking, many versions per project, wide extras).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from benchkit.hermetic import hermetic_env  # noqa: E402
from benchkit.process import run_subprocess, tail  # noqa: E402
from benchkit.tools import bootstrap_tools  # noqa: E402

VERSIONS = ("1.0", "1.1", "2.0")
SPECS = (">=1.0", ">=1.1", "<2")


def universe(size: int, seed: int = 19) -> tuple[list[object], list[str]]:
    """The packages of an index of ``size`` projects, and the root requirements."""
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
    return packages, roots


def commands(tool: str, tools: object, python: str, index: str, cache: Path, req: Path) -> list[str]:
    """The resolve-only command of ``tool``: an install --dry-run into an empty venv."""
    if tool == "spoke":
        return [str(tools.script("spoke")), "install", "--dry-run", "-q", "-r", str(req),  # type: ignore[attr-defined]
                "--python", python, "--cache-dir", str(cache), "-i", index]
    if tool == "uv":
        return [str(tools.script("uv")), "pip", "install", "--dry-run", "-q", "-r", str(req),  # type: ignore[attr-defined]
                "--python", python, "--cache-dir", str(cache), "--index-url", index]
    return [str(tools.python), "-m", "pip", "--python", python, "install", "--dry-run", "-q",  # type: ignore[attr-defined]
            "-r", str(req), "--cache-dir", str(cache), "--index-url", index, "--disable-pip-version-check"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--tools", default="spoke,uv,pip")
    parser.add_argument("--pip-max", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--plot", help="write a PNG of time and memory against size here")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    tools_wanted = [t for t in args.tools.split(",") if t]
    from tests.support.index_server import IndexServer

    setup = bootstrap_tools(HERE / ".work" / "tools", repo=HERE.parent, runner=run_subprocess, environ=os.environ)
    env = hermetic_env(os.environ)
    scratch = Path(tempfile.mkdtemp(prefix="scaling-", dir=HERE / ".work"))
    rows: list[dict[str, object]] = []
    try:
        for size in sizes:
            packages, roots = universe(size)
            with IndexServer(*packages, build_dir=scratch / f"wheels-{size}") as server:
                req = scratch / f"roots-{size}.txt"
                req.write_text("\n".join(roots) + "\n")
                for tool in tools_wanted:
                    if tool == "pip" and size > args.pip_max:
                        continue
                    venv = scratch / f"venv-{size}-{tool}"
                    subprocess.run([str(setup.tools.python), "-m", "venv", "--without-pip", str(venv)], check=True)
                    argv_ = commands(tool, setup.tools, str(venv / "bin" / "python"), server.simple_url,
                                     scratch / f"cache-{size}-{tool}", req)
                    done = run_subprocess(argv_, env=env, cwd=scratch, timeout=args.timeout)
                    ok = done.ok
                    if not ok:
                        print(f"{tool} at {size} failed:\n{tail(done.stderr or done.stdout)}", file=sys.stderr)
                    rows.append({"size": size, "tool": tool, "seconds": done.seconds if ok else None,
                                 "peak_mb": (done.peak_rss or 0) / 1e6 if ok else None})
                    print(f"[{size}] {tool}: {done.seconds:.2f} s" + ("" if ok else " (failed)"), file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'projects':>9} {'tool':<6} {'seconds':>8} {'s/1000':>8} {'peak MB':>8}")
    for row in rows:
        seconds, size = row["seconds"], int(row["size"])  # type: ignore[call-overload]
        per = f"{seconds / size * 1000:.2f}" if isinstance(seconds, float) else "-"
        shown = f"{seconds:.2f}" if isinstance(seconds, float) else "failed"
        peak = f"{row['peak_mb']:.0f}" if isinstance(row["peak_mb"], float) else "-"
        print(f"{size:>9} {row['tool']!s:<6} {shown:>8} {per:>8} {peak:>8}")
    results = HERE / ".work" / "scaling-results.json"
    results.write_text(json.dumps(rows, indent=2) + "\n")
    if args.plot:
        plot(setup.tools, results, Path(args.plot))
    return 0


def plot(tools: object, results: Path, out: Path) -> None:
    """Draw seconds and peak MB against size, one line per tool (matplotlib, in the tools venv)."""
    python = str(tools.python)  # type: ignore[attr-defined]
    if subprocess.run([python, "-c", "import matplotlib"], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", "matplotlib"], check=True)
    code = f"""
import json, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows = json.load(open({str(results)!r}))
fig, (t, m) = plt.subplots(1, 2, figsize=(10, 4))
for tool in dict.fromkeys(r["tool"] for r in rows):
    mine = [r for r in rows if r["tool"] == tool and r["seconds"] is not None]
    t.plot([r["size"] for r in mine], [r["seconds"] for r in mine], marker="o", label=tool)
    m.plot([r["size"] for r in mine], [r["peak_mb"] for r in mine], marker="o", label=tool)
for axis, label in ((t, "seconds (resolve, cold cache)"), (m, "peak memory, MB (process tree)")):
    axis.set_xscale("log"); axis.set_xlabel("projects in the index"); axis.set_ylabel(label); axis.legend()
fig.tight_layout()
fig.savefig({str(out)!r}, dpi=100)
"""
    subprocess.run([python, "-c", code], check=True)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
