#!/usr/bin/env python3
"""spoke's other commands against the tools users run for them, in one run on this machine.

    python3 bench/commands.py                          # every scenario, the large set, 3 runs
    python3 bench/commands.py --scenarios compile,check --runs 1 --set small

Scenarios (each tool in its own empty cache, every command hermetic as in ``bench/run.py``):

* ``download``: ``spoke download -r SET -d DIR`` and ``pip download``: *cold* (empty cache and
  folder), then *rerun* (the same command again: everything is there already);
* ``compile``: ``spoke compile``, ``uv pip compile`` and ``pip-compile`` of the set: *cold*
  (empty cache), then *warm*;
* ``lock``: ``spoke lock`` (universal: every platform, Python >= 3.10) and ``uv pip compile
  --universal --python-version 3.10 -o pylock.toml`` (the same PEP 751 file) of the set:
  *cold*, then *warm*;
* ``sync``: ``spoke sync``, ``uv pip sync`` and ``pip-sync`` of the set's pinned file into a
  fresh venv with a warm cache, then again (a no-op);
* ``build``: ``spoke build`` and ``python -m build`` (sdist, then the wheel from it) of a
  setuptools and a hatchling project, warm (a first untimed build fills the caches);
* ``check``: ``spoke check`` and ``twine check`` of those projects' sdist and wheel.
* ``publish``: ``spoke publish`` and ``twine upload`` of that sdist and wheel to a pypiserver
  on 127.0.0.1 (started with ``--overwrite``, so every run uploads both files again).
* ``audit``: ``spoke audit`` of a venv holding the set, against the OSV-compatible service of
  ``tests/support/osv_server.py`` on 127.0.0.1 (OSV itself is out of this machine's reach; one
  record per package, a fifth of them affecting the installed version): *cold* (empty cache),
  then *warm*. pip-audit cannot be pointed at another OSV, so spoke runs alone.

A cell is the median of the runs; ratios say how many times longer the other tool takes than
spoke (above 1.00x: spoke is faster). The tools venv is ``bench/run.py``'s, with pip-tools,
build, twine and pypiserver added to it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchkit.hermetic import hermetic_env  # noqa: E402
from benchkit.process import Runner, run_subprocess, tail  # noqa: E402
from benchkit.tools import DEFAULT_INDEX, ToolsVenv, bootstrap_tools  # noqa: E402

SCENARIOS = ("download", "compile", "lock", "sync", "build", "check", "publish", "audit")
EXTRA_TOOLS = ("pip-tools", "build", "twine", "pypiserver<2.4")  # 2.4 wants pip 26


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: a scenario, its case, and the median seconds of each tool."""

    scenario: str
    case: str
    seconds: Mapping[str, float | None]  # tool → median, None when it failed


def median_or_none(values: Sequence[float | None]) -> float | None:
    """The median of the runs that succeeded; ``None`` when none did."""
    ok = [v for v in values if v is not None]
    return statistics.median(ok) if ok else None


def render(rows: Sequence[Row], *, markdown: bool = False) -> str:
    """The table: each tool's seconds, then each other tool's time over spoke's."""
    tools = list(dict.fromkeys(t for row in rows for t in row.seconds))
    others = [t for t in tools if t != "spoke"]
    header = ["scenario", "case", *tools, *(f"{t}/spoke" for t in others)]
    body = []
    for row in rows:
        cells = [row.scenario, row.case]
        cells += [f"{row.seconds[t]:.2f}" if row.seconds.get(t) is not None else "-" for t in tools]
        base = row.seconds.get("spoke")
        for tool in others:
            value = row.seconds.get(tool)
            cells.append(f"{value / base:.2f}x" if value is not None and base else "-")
        body.append(cells)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body]) + "\n"
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *body]]
    return "\n".join(lines) + "\n"


class Bench:
    """Runs the scenarios with one tools venv and one scratch folder."""

    def __init__(self, tools: ToolsVenv, index_url: str, runner: Runner, environ: Mapping[str, str],
                 scratch: Path, runs: int) -> None:
        self.tools = tools
        self.index_url = index_url
        self.runner = runner
        self.env = hermetic_env(environ)
        self.scratch = scratch
        self.runs = runs

    def time(self, argv: Sequence[str], cwd: Path, label: str) -> float | None:
        done = self.runner(list(argv), env=self.env, cwd=cwd, timeout=900)
        if not done.ok:
            print(f"{label} failed:\n{tail(done.stderr or done.stdout)}", file=sys.stderr)
            return None
        return done.seconds

    def fresh(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.scratch))

    def spoke(self, *args: str) -> list[str]:
        return [str(self.tools.script("spoke")), *args]

    def pip(self, *args: str) -> list[str]:
        return [str(self.tools.python), "-m", "pip", *args, "--disable-pip-version-check"]

    def download(self, req_file: Path) -> list[Row]:
        commands: dict[str, Callable[[Path, Path], list[str]]] = {
            "spoke": lambda cache, dest: self.spoke("download", "-q", "-r", str(req_file), "-d", str(dest),
                                                    "--cache-dir", str(cache), "-i", self.index_url),
            "pip": lambda cache, dest: self.pip("download", "-q", "-r", str(req_file), "-d", str(dest),
                                                "--cache-dir", str(cache), "-i", self.index_url),
        }
        cold: dict[str, list[float | None]] = {t: [] for t in commands}
        rerun: dict[str, list[float | None]] = {t: [] for t in commands}
        for _ in range(self.runs):
            for tool, make in commands.items():
                work = self.fresh(f"download-{tool}")
                argv = make(work / "cache", work / "dest")
                cold[tool].append(self.time(argv, work, f"{tool} download (cold)"))
                rerun[tool].append(self.time(argv, work, f"{tool} download (rerun)"))
        return [Row("download", "cold", {t: median_or_none(v) for t, v in cold.items()}),
                Row("download", "rerun", {t: median_or_none(v) for t, v in rerun.items()})]

    def compile(self, req_file: Path) -> list[Row]:
        commands: dict[str, Callable[[Path, Path], list[str]]] = {
            "spoke": lambda cache, out: self.spoke("compile", "-q", str(req_file), "-o", str(out),
                                                   "--cache-dir", str(cache), "-i", self.index_url),
            "uv": lambda cache, out: [str(self.tools.script("uv")), "pip", "compile", "-q", str(req_file),
                                      "-o", str(out), "--cache-dir", str(cache), "--index-url", self.index_url,
                                      "--python", str(self.tools.python)],
            "pip-compile": lambda cache, out: [str(self.tools.script("pip-compile")), "-q", str(req_file),
                                               "-o", str(out), "--cache-dir", str(cache),
                                               "--index-url", self.index_url, "--strip-extras"],
        }
        return self._cold_warm("compile", commands, ("a.txt", "b.txt"))

    def lock(self, req_file: Path) -> list[Row]:
        """A universal lock of the set (Python >= 3.10, every platform), written as pylock.toml."""
        commands: dict[str, Callable[[Path, Path], list[str]]] = {
            "spoke": lambda cache, out: self.spoke("lock", "-q", str(req_file), "-o", str(out),
                                                   "--python-requirement", ">=3.10", "--cache-dir", str(cache),
                                                   "-i", self.index_url),
            "uv": lambda cache, out: [str(self.tools.script("uv")), "pip", "compile", "-q", "--universal",
                                      "--python-version", "3.10", str(req_file), "-o", str(out), "--cache-dir",
                                      str(cache), "--index-url", self.index_url, "--python", str(self.tools.python)],
        }
        return self._cold_warm("lock", commands, ("a/pylock.toml", "b/pylock.toml"))

    def _cold_warm(self, scenario: str, commands: Mapping[str, Callable[[Path, Path], list[str]]],
                   outputs: tuple[str, str]) -> list[Row]:
        cold: dict[str, list[float | None]] = {t: [] for t in commands}
        warm: dict[str, list[float | None]] = {t: [] for t in commands}
        for _ in range(self.runs):
            for tool, make in commands.items():
                work = self.fresh(f"{scenario}-{tool}")
                first, second = work / outputs[0], work / outputs[1]
                first.parent.mkdir(parents=True, exist_ok=True)
                second.parent.mkdir(parents=True, exist_ok=True)
                cold[tool].append(self.time(make(work / "cache", first), work, f"{tool} {scenario} (cold)"))
                warm[tool].append(self.time(make(work / "cache", second), work, f"{tool} {scenario} (warm)"))
        return [Row(scenario, "cold", {t: median_or_none(v) for t, v in cold.items()}),
                Row(scenario, "warm", {t: median_or_none(v) for t, v in warm.items()})]

    def sync(self, req_file: Path) -> list[Row]:
        """``spoke sync``, ``uv pip sync`` and ``pip-sync`` of the set's pinned file into a fresh
        venv (each tool's cache warmed by a first sync elsewhere), then the same sync again."""
        pins = self.fresh("pins") / "requirements.txt"
        if self.time(self.spoke("compile", "-q", str(req_file), "-o", str(pins), "-i", self.index_url,
                                "--no-emit-index-url"), pins.parent, "spoke compile (for sync)") is None:
            return []
        base = str(self.tools.python)

        def venv(where: Path, *, pip: bool = False) -> Path:  # pip-sync runs the target's own pip
            flag = "--upgrade-deps" if pip else "--without-pip"  # pip-sync needs a recent pip there
            self.runner([base, "-m", "venv", flag, str(where)], env=self.env, cwd=where.parent, timeout=300)
            return where / "bin" / "python"

        commands: dict[str, Callable[[Path, Path], list[str]]] = {
            "spoke": lambda cache, py: self.spoke("sync", "-q", str(pins), "--python", str(py),
                                                  "--cache-dir", str(cache), "-i", self.index_url),
            "uv": lambda cache, py: [str(self.tools.script("uv")), "pip", "sync", "-q", str(pins), "--python",
                                     str(py), "--cache-dir", str(cache), "--index-url", self.index_url],
            "pip-sync": lambda cache, py: [str(self.tools.script("pip-sync")), "-q", str(pins), "--python-executable",
                                           str(py), "--pip-args", f"--cache-dir {cache} --index-url {self.index_url}"],
        }
        warm: dict[str, list[float | None]] = {t: [] for t in commands}
        noop: dict[str, list[float | None]] = {t: [] for t in commands}
        for _ in range(self.runs):
            for tool, make in commands.items():
                work = self.fresh(f"sync-{tool}")
                with_pip = tool == "pip-sync"
                self.time(make(work / "cache", venv(work / "first", pip=with_pip)), work, f"{tool} sync (warm-up)")
                target = venv(work / "venv", pip=with_pip)
                warm[tool].append(self.time(make(work / "cache", target), work, f"{tool} sync (warm)"))
                noop[tool].append(self.time(make(work / "cache", target), work, f"{tool} sync (no-op)"))
        return [Row("sync", "warm", {t: median_or_none(v) for t, v in warm.items()}),
                Row("sync", "no-op", {t: median_or_none(v) for t, v in noop.items()})]

    def audit(self, req_file: Path) -> list[Row]:
        """``spoke audit`` of the set's environment, cold then warm (see the module's text)."""
        import json

        sys.path.insert(0, str(HERE.parent))
        from tests.support.osv_server import OsvServer, osv_record

        work = self.fresh("audit")
        self.runner([str(self.tools.python), "-m", "venv", "--without-pip", str(work / "venv")], env=self.env,
                    cwd=work, timeout=300)
        python = str(work / "venv" / "bin" / "python")
        if self.time(self.spoke("install", "-q", "-r", str(req_file), "--python", python, "-i", self.index_url),
                     work, "spoke install (for audit)") is None:
            return []
        listed = self.runner(self.spoke("list", "--format", "json", "--python", python), env=self.env, cwd=work,
                             timeout=300)
        installed = json.loads(listed.stdout) if listed.ok else []
        records = [osv_record(f"PYSEC-BENCH-{i}", item["name"], fixed="99999" if i % 5 == 0 else "0.0.1")
                   for i, item in enumerate(installed)]
        times: dict[str, list[float | None]] = {"cold": [], "warm": []}
        with OsvServer(records) as service:
            for _ in range(self.runs):
                cache = self.fresh("audit-cache")
                argv = self.spoke("audit", "--python", python, "--osv-url", service.url, "-i", self.index_url,
                                  "--cache-dir", str(cache))
                for case in ("cold", "warm"):
                    done = self.runner(argv, env=self.env, cwd=work, timeout=900)
                    # Exit 1: vulnerabilities found, as planted; anything else is a failure.
                    if done.returncode != 1:
                        print(f"spoke audit ({case}) failed:\n{tail(done.stderr or done.stdout)}", file=sys.stderr)
                        times[case].append(None)
                    else:
                        times[case].append(done.seconds)
        return [Row("audit", f"{case} ({len(installed)})", {"spoke": median_or_none(v)}) for case, v in times.items()]

    def build_and_check(self, scenarios: Sequence[str]) -> list[Row]:
        rows = []
        for backend in ("setuptools", "hatchling"):
            project = sample_project(self.fresh(f"project-{backend}"), backend)
            cache = self.fresh("build-cache")
            commands = {
                "spoke": lambda out, project=project, cache=cache: self.spoke(
                    "build", "-q", str(project), "-o", str(out), "--cache-dir", str(cache), "-i", self.index_url),
                "build": lambda out, project=project: [
                    str(self.tools.python), "-m", "build", str(project), "-o", str(out)],
            }
            env_index = {"PIP_INDEX_URL": self.index_url}
            saved = dict(self.env)
            self.env.update(env_index)  # python -m build's pip reads its index from here
            try:
                times: dict[str, list[float | None]] = {t: [] for t in commands}
                for tool, make in commands.items():
                    self.time(make(self.fresh("warmup")), project, f"{tool} build (warm-up)")
                for _ in range(self.runs):
                    for tool, make in commands.items():
                        times[tool].append(self.time(make(self.fresh(f"build-{tool}")), project, f"{tool} build"))
            finally:
                self.env.clear()
                self.env.update(saved)
            if "build" in scenarios:
                rows.append(Row("build", backend, {t: median_or_none(v) for t, v in times.items()}))
            if "check" not in scenarios and "publish" not in scenarios:
                continue
            dist = self.fresh("dist")
            self.time(commands["spoke"](dist), project, "spoke build (for check)")
            files = [str(p) for p in sorted(dist.iterdir())]
            if "check" in scenarios:
                checks = {"spoke": self.spoke("check", *files),
                          "twine": [str(self.tools.script("twine")), "check", *files]}
                seconds = {t: median_or_none([self.time(argv, project, f"{t} check") for _ in range(self.runs)])
                           for t, argv in checks.items()}
                rows.append(Row("check", backend, seconds))
            if "publish" in scenarios:
                rows.append(self.publish(backend, files, project))
        return rows

    def publish(self, backend: str, files: Sequence[str], cwd: Path) -> Row:
        """``spoke publish`` and ``twine upload`` of ``files`` to a local pypiserver."""
        import socket
        import subprocess
        import time
        import urllib.request

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        packages = self.fresh("pypiserver")
        server = subprocess.Popen(
            [str(self.tools.python), "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port), "-P", ".",
             "-a", ".", "--overwrite", "--disable-fallback", str(packages)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(200):  # at most 20 s to start
                try:
                    with urllib.request.urlopen(url + "simple/", timeout=2):
                        break
                except OSError:
                    time.sleep(0.1)
            credentials = ("-u", "bench", "-p", "bench")
            uploads = {
                "spoke": self.spoke("publish", "--repository-url", url, *credentials, "--non-interactive", *files),
                "twine": [str(self.tools.script("twine")), "upload", "--repository-url", url, *credentials,
                          "--non-interactive", "--disable-progress-bar", *files],
            }
            seconds = {t: median_or_none([self.time(argv, cwd, f"{t} upload") for _ in range(self.runs)])
                       for t, argv in uploads.items()}
        finally:
            server.terminate()
            server.wait(timeout=10)
        return Row("publish", backend, seconds)


def sample_project(folder: Path, backend: str) -> Path:
    """A small project with a README, built with ``backend``."""
    (folder / "src" / "sample_pkg").mkdir(parents=True)
    (folder / "src" / "sample_pkg" / "__init__.py").write_text('"""A sample."""\n__version__ = "1.0"\n')
    (folder / "README.md").write_text("# sample\n\nA *sample* project.\n")
    system = {
        "setuptools": 'requires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n',
        "hatchling": 'requires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
    }[backend]
    (folder / "pyproject.toml").write_text(
        f"[build-system]\n{system}\n[project]\nname = \"sample-pkg\"\nversion = \"1.0\"\n"
        'description = "a sample"\nreadme = "README.md"\nlicense = "MIT"\nrequires-python = ">=3.8"\n'
    )
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--set", default="large", help="a set from bench/sets (download and compile)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--index-url", default=DEFAULT_INDEX)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {', '.join(sorted(unknown))}; known: {', '.join(SCENARIOS)}")
    work = HERE / ".work"
    setup = bootstrap_tools(work / "tools", repo=HERE.parent, runner=run_subprocess, environ=os.environ,
                            index_url=args.index_url)
    if setup.problems:
        print("tools venv problems:\n" + "\n".join(setup.problems.values()), file=sys.stderr)
    extra = run_subprocess([str(setup.tools.python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                            "--index-url", args.index_url, *EXTRA_TOOLS],
                           env=hermetic_env(os.environ), cwd=HERE, timeout=900)
    if not extra.ok:
        print("installing pip-tools, build and twine failed:\n" + tail(extra.stderr), file=sys.stderr)
    scratch = work / "commands-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    bench = Bench(setup.tools, args.index_url, run_subprocess, os.environ, scratch, max(args.runs, 1))
    req_file = scratch / f"{args.set}.in"
    shutil.copyfile(HERE / "sets" / f"{args.set}.txt", req_file)
    rows: list[Row] = []
    if "download" in scenarios:
        rows += bench.download(req_file)
    if "compile" in scenarios:
        rows += bench.compile(req_file)
    if "lock" in scenarios:
        rows += bench.lock(req_file)
    if "sync" in scenarios:
        rows += bench.sync(req_file)
    if "audit" in scenarios:
        rows += bench.audit(req_file)
    if {"build", "check", "publish"} & set(scenarios):
        rows += bench.build_and_check(scenarios)
    print(f"{', '.join(f'{k} {v}' for k, v in setup.versions.items())}; set {args.set}; "
          f"medians of {args.runs} run(s)", file=sys.stderr)
    print(render(rows, markdown=args.markdown), end="")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
