"""Extract uv's answers to the packse scenarios here into ``uv-expectations.json``.

Run from the repository root with a clone (or bare git dir) of https://github.com/astral-sh/uv::

    python tests/data/packse/extract_uv_expectations.py /path/to/uv/.git [REV]

uv's generated scenario tests hold its answers as snapshots:

* ``crates/uv/tests/lock_scenarios/lock_scenarios.rs`` — ``uv lock`` of each universal scenario:
  the exit code and the ``uv.lock`` text. A lock is a graph (the ``project`` root, packages,
  dependency edges with markers, optional-dependency edges), so each package's marker is
  derived here: the OR over the paths from the root of the AND of the edge markers along the
  path, simplified by meaning over :func:`tests.support.packse_uv.grid` (a part equal to the
  whole is dropped). The lock's ``sdist``/``wheels`` file names are kept too.
* ``crates/uv/tests/pip/pip_compile_scenarios.rs`` / ``pip_install_scenarios.rs`` — ``uv pip
  compile`` / ``uv pip install`` of the other scenarios: the exit code and the pins
  (``a==1.0.0`` lines of stdout, ``+ a==1.0.0`` lines of stderr).

Only scenarios with a file under ``tests/data/packse/`` are kept, keyed by scenario name.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.support.packse_uv import DATA, grid, holds, load_scenarios  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

LOCKS = "crates/uv/tests/lock_scenarios/lock_scenarios.rs"
PIP = {"compile": "crates/uv/tests/pip/pip_compile_scenarios.rs",
       "install": "crates/uv/tests/pip/pip_install_scenarios.rs"}


def git_show(git_dir: str, rev: str, path: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, "show", f"{rev}:{path}"], capture_output=True,
                          text=True, check=True).stdout


def tests_of(source: str) -> dict[str, str]:
    """Scenario file (``fork/basic.toml``) → the text of the generated test that runs it."""
    out = {}
    for block in source.split("#[test]")[1:]:
        found = re.search(r'PackseServer::new\(\s*"([^"]+)"', block)
        if found:
            out[found.group(1)] = block
    return out


# ----------------------------------------------------------------------------- marker algebra


class Algebra:
    """AND / OR of marker strings, simplified by meaning on one grid (with every variable varied
    on its own, so a simplification holds whatever is assumed about real machines)."""

    def __init__(self, requires_python: str, context: list[str]) -> None:
        self.requires_python = requires_python
        self.context = context

    def envs(self, *markers: str) -> list[dict[str, str]]:
        return grid(markers, self.requires_python, self.context, independent=True)

    def same(self, a: str, b: str) -> bool:
        return all(holds(a, env) == holds(b, env) for env in self.envs(a, b))

    def implies(self, a: str, b: str) -> bool:
        return all(holds(b, env) for env in self.envs(a, b) if holds(a, env))

    def never(self, a: str) -> bool:
        return not any(holds(a, env) for env in self.envs(a))

    def and_(self, a: str, b: str) -> str:
        if not a:
            return b
        if not b or self.implies(a, b):
            return a
        if self.implies(b, a):
            return b
        return f"({a}) and ({b})"

    def or_(self, parts: list[str | None]) -> str | None:
        """``None`` parts are paths that do not exist; ``None`` back means "not reached"."""
        live = [p for p in parts if p is not None]
        if not live:
            return None
        if "" in live:
            return ""
        kept: list[str] = []
        for part in sorted(set(live), key=len):
            if self.never(part) or any(self.implies(part, k) for k in kept):
                continue
            kept = [k for k in kept if not self.implies(k, part)] + [part]
        if not kept:
            return sorted(live, key=len)[0]
        union = " or ".join(f"({k})" if len(kept) > 1 else k for k in kept)
        return "" if self.same(union, "") else union


# ----------------------------------------------------------------------------- uv.lock


def lock_expectation(lock_text: str, scenario_markers: list[str]) -> dict[str, Any]:
    lock = tomllib.loads(lock_text)
    requires_python = lock["requires-python"]
    packages = lock["package"]
    edge_markers = [d.get("marker", "") for p in packages for d in p.get("dependencies", ())]
    edge_markers += [d.get("marker", "") for p in packages for deps in p.get("optional-dependencies", {}).values()
                     for d in deps]
    algebra = Algebra(requires_python, [*scenario_markers, *(m for m in edge_markers if m)])

    def node_of(dep: dict[str, Any]) -> int:
        found = [i for i, p in enumerate(packages)
                 if p["name"] == dep["name"] and ("version" not in dep or p["version"] == dep["version"])]
        if len(found) != 1:
            raise ValueError(f"edge {dep} matches {len(found)} packages")
        return found[0]

    # Incoming edges: (target node, extra or None) ← (parent node, parent extra or None, marker).
    incoming: dict[tuple[int, str | None], list[tuple[int, str | None, str]]] = {}
    for i, package in enumerate(packages):
        groups: list[tuple[str | None, list[dict[str, Any]]]] = [(None, package.get("dependencies", []))]
        groups += list(package.get("optional-dependencies", {}).items())
        for parent_extra, deps in groups:
            for dep in deps:
                target = node_of(dep)
                edge = (i, parent_extra, dep.get("marker", ""))
                incoming.setdefault((target, None), []).append(edge)
                for extra in dep.get("extra", ()):
                    incoming.setdefault((target, extra), []).append(edge)
    root = next(i for i, p in enumerate(packages) if p["source"].get("virtual") == ".")
    memo: dict[tuple[int, str | None], str | None] = {}

    def marker(node: tuple[int, str | None], stack: tuple[tuple[int, str | None], ...] = ()) -> str | None:
        if node == (root, None):
            return ""
        if node in memo:
            return memo[node]
        if node in stack:
            return None  # a cycle adds nothing beyond the paths into it
        parts = []
        for parent, parent_extra, edge in incoming.get(node, []):
            upstream = marker((parent, parent_extra), (*stack, node))
            parts.append(None if upstream is None else algebra.and_(upstream, edge))
        memo[node] = algebra.or_(parts)
        return memo[node]

    out = []
    for i, package in enumerate(packages):
        if i == root:
            continue
        reached = marker((i, None))
        if reached is None:
            raise ValueError(f"{package['name']} {package['version']} is not reachable from the root")
        files = [package["sdist"]["url"].rsplit("/", 1)[1]] if "sdist" in package else []
        files += [w["url"].rsplit("/", 1)[1] for w in package.get("wheels", [])]
        out.append({"name": package["name"], "version": package["version"], "marker": reached,
                    "files": sorted(files)})
    return {"requires_python": requires_python, "packages": sorted(out, key=lambda p: (p["name"], p["version"]))}


def dump(result: dict[str, Any]) -> str:
    """Indented JSON with each package (and each pip answer) on one line."""
    compact: list[str] = []

    def hold(value: Any) -> str:
        compact.append(json.dumps(value))
        return f"@@{len(compact) - 1}@@"

    shaped = json.loads(json.dumps(result))
    for entry in shaped["lock"].values():
        if "packages" in entry:
            entry["packages"] = [hold(p) for p in entry["packages"]]
    for name, entry in shaped["pip"].items():
        shaped["pip"][name] = hold(entry)
    text = json.dumps(shaped, indent=1)
    return re.sub(r'"@@(\d+)@@"', lambda m: compact[int(m.group(1))], text) + "\n"


def main(git_dir: str, rev: str = "HEAD") -> None:
    commit = subprocess.run(["git", "--git-dir", git_dir, "rev-parse", rev], capture_output=True, text=True,
                            check=True).stdout.strip()
    scenarios = {f"{s.family}/{s.path.name}": s for s in load_scenarios()}
    result: dict[str, Any] = {
        "source": f"https://github.com/astral-sh/uv/tree/{commit}",
        "files": [LOCKS, *PIP.values()],
        "lock": {},
        "pip": {},
    }
    for key, block in tests_of(git_show(git_dir, commit, LOCKS)).items():
        if key not in scenarios:
            continue
        scenario = scenarios[key]
        code = int(re.search(r"exit_code: (\d+)", block).group(1))  # type: ignore[union-attr]
        entry: dict[str, Any] = {"file": key, "exit_code": code}
        resolved = re.search(r"Resolved (\d+) packages?", block)
        if resolved:  # uv counts the project itself
            entry["resolved"] = int(resolved.group(1)) - 1
        snapshot = re.search(r'lock, @r#"\n(.*?)"#', block, re.S)
        if code == 0 and snapshot:
            entry.update(lock_expectation(textwrap.dedent(snapshot.group(1)), scenario.literal_markers()))
            if len(entry["packages"]) != entry.get("resolved"):
                raise ValueError(f"{key}: {len(entry['packages'])} packages locked, uv said {entry.get('resolved')}")
        if (code == 0) != scenario.expected.satisfiable:
            entry["note"] = (f"packse expects satisfiable = {str(scenario.expected.satisfiable).lower()}, "
                             f"uv exits {code}: uv's answer is the expectation")
        result["lock"][scenario.name] = entry
    for command, path in PIP.items():
        for key, block in tests_of(git_show(git_dir, commit, path)).items():
            if key not in scenarios or scenarios[key].universal:
                continue
            scenario = scenarios[key]
            code = int(re.search(r"exit_code: (\d+)", block).group(1))  # type: ignore[union-attr]
            if command == "compile":
                stdout = block.split("----- stdout -----", 1)[1].split("----- stderr -----", 1)[0] \
                    if "----- stdout -----" in block else ""
                pins = re.findall(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*$", stdout, re.M)
            else:
                pins = re.findall(r"^\s*\+ ([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*$", block, re.M)
            extra = re.findall(r'\.arg\("(--[^"]+)"\)', block.split("uv_snapshot!", 1)[1].split(", @", 1)[0])
            result["pip"][scenario.name] = {"file": key, "command": f"uv pip {command}", "args": extra,
                                            "exit_code": code, "packages": dict(sorted(pins))}
    missing = sorted(s.name for s in scenarios.values()
                     if s.name not in result["lock" if s.universal else "pip"])
    if missing:
        print(f"no uv answer for: {', '.join(missing)}", file=sys.stderr)
    out = DATA / "uv-expectations.json"
    out.write_text(dump(result), encoding="utf-8")
    print(f"wrote {out}: {len(result['lock'])} locks, {len(result['pip'])} pip answers")


if __name__ == "__main__":
    main(*sys.argv[1:])
