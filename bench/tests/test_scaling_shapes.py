"""The hard shapes of ``bench/scaling.py``: their known answers, and how runs are read and reported.

The answers the generators promise are checked against a tiny resolver written here: depth-first,
newest first, backing off chronologically over every choice. On an index where one answer is the
newest in every project, that search finds it, whatever order it meets the projects in.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import scaling
from benchkit.process import Completed


def reference_solve(index: scaling.Index) -> dict[str, str] | None:
    """Every project the roots reach, at the version a newest-first exhaustive search settles on."""
    known: dict[str, dict[Version, object]] = {}
    for pkg in index.packages:
        known.setdefault(canonicalize_name(pkg.name), {})[Version(pkg.version)] = pkg  # type: ignore[attr-defined]

    def needs(pkg: object, extras: set[str]) -> list[Requirement]:
        found = [Requirement(d) for d in pkg.deps]  # type: ignore[attr-defined]
        for extra, deps in pkg.extras:  # type: ignore[attr-defined]
            if extra in extras:
                found += [Requirement(d) for d in deps]
        return found

    def search(chosen: dict[str, tuple[Version, frozenset[str]]], pending: list[Requirement]):
        while pending:
            req, pending = pending[0], pending[1:]
            name = canonicalize_name(req.name)
            if name in chosen:
                version, extras = chosen[name]
                if not req.specifier.contains(version, prereleases=True):
                    return None
                new = set(req.extras) - extras
                if new:
                    pkg = known[name][version]
                    chosen = {**chosen, name: (version, extras | new)}
                    pending = pending + needs(pkg, new)
                continue
            for version in sorted(known.get(name, {}), reverse=True):
                if req.specifier.contains(version, prereleases=True):
                    pkg = known[name][version]
                    found = search({**chosen, name: (version, frozenset(req.extras))},
                                   pending + needs(pkg, set(req.extras)))
                    if found is not None:
                        return found
            return None
        return chosen

    found = search({}, [Requirement(r) for r in index.roots])
    return None if found is None else {name: str(version) for name, (version, _) in found.items()}


@pytest.mark.parametrize("depth", [2, 3, 6])
def test_backtracking_has_the_answer_it_promises(depth: int):
    index = scaling.backtracking(depth)
    assert index.expected == {f"a{i}": "4.0" for i in range(depth)}
    assert reference_solve(index) == index.expected


def test_backtracking_newest_first_fails_at_the_end_of_the_chain():
    # Without the root's cap on the last project the newest everywhere would do.
    index = scaling.backtracking(5)
    free = scaling.Index(index.packages, ["a0"])
    assert reference_solve(free) == {f"a{i}": "5.0" for i in range(5)}


@pytest.mark.parametrize(("count", "projects"), [(2, 3), (8, 6), (20, 10)])
def test_many_versions_has_the_answer_it_promises(count: int, projects: int):
    index = scaling.many_versions(count, projects=projects)
    assert len(index.packages) == count * projects
    assert index.expected
    assert reference_solve(index) == index.expected


def test_many_versions_answers_lie_inside_the_lists_not_at_their_tops():
    index = scaling.many_versions(300)
    tops = {Version(v) for v in index.expected.values()}  # type: ignore[union-attr]
    assert len(tops) > 5
    assert any(v < Version("1.299") for v in tops)


@pytest.mark.parametrize("count", [1, 4, 12, 30])
def test_wide_extras_has_the_answer_it_promises(count: int):
    index = scaling.wide_extras(count)
    assert index.roots == [f"hub[{','.join(f'e{k}' for k in range(count))}]"]
    assert index.expected
    assert reference_solve(index) == index.expected


def test_wide_extras_caps_some_projects_and_pulls_extras_of_extras():
    index = scaling.wide_extras(50)
    assert "1.0" in index.expected.values()  # type: ignore[union-attr]
    assert "2.0" in index.expected.values()  # type: ignore[union-attr]
    pool_extras = [d for p in index.packages if p.name != "hub" for _, deps in p.extras for d in deps]  # type: ignore[attr-defined]
    assert any("[" in dep for dep in pool_extras)


def test_generators_are_deterministic():
    for make in (scaling.universe, scaling.backtracking, scaling.many_versions, scaling.wide_extras):
        assert make(20) == make(20)


def test_pip_max_keeps_the_old_bare_number_and_takes_shapes():
    assert scaling.parse_pip_max("")["sizes"] == scaling.SERIES["sizes"].pip_max
    assert scaling.parse_pip_max("300")["sizes"] == 300
    caps = scaling.parse_pip_max("2000,backtracking=200,extras=5")
    assert (caps["sizes"], caps["backtracking"], caps["extras"]) == (2000, 200, 5)
    assert caps["versions"] == scaling.SERIES["versions"].pip_max
    with pytest.raises(SystemExit):
        scaling.parse_pip_max("nonsense=3")


def test_shapes_option():
    assert scaling.parse_shapes("all") == list(scaling.SERIES)
    assert scaling.parse_shapes("sizes") == ["sizes"]
    assert scaling.parse_shapes("backtracking,versions,extras") == ["backtracking", "versions", "extras"]
    with pytest.raises(SystemExit):
        scaling.parse_shapes("sizes,deep")


def done(**kw: object) -> Completed:
    values: dict[str, object] = {"returncode": 1, "stdout": "", "stderr": "", "seconds": 1.0}
    values.update(kw)
    return Completed(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kw", "status"), [
    ({"returncode": None, "timed_out": True}, "timeout"),
    ({"stderr": "RecursionError: maximum recursion depth exceeded"}, "recursion"),
    ({"stderr": "pip._vendor.resolvelib.resolvers.ResolutionTooDeep: 200000"}, "gave up"),
    ({"stderr": "error: resolution did not finish within 200000 steps"}, "gave up"),
    ({"returncode": -9}, "signal 9"),
    ({"returncode": 2, "stderr": "error: no matching distribution"}, "exit 2"),
])
def test_failures_are_named(kw: dict[str, object], status: str):
    assert scaling.failure(done(**kw)) == status


def test_resolved_reads_uv_lines_and_reports(tmp_path: Path):
    uv = done(returncode=0, stderr="Resolved 2 packages in 5ms\nWould install 2 packages\n + A_b==1.0\n + c==2.0\n")
    assert scaling.resolved("uv", uv, tmp_path / "none.json") == {"a-b": "1.0", "c": "2.0"}
    report = tmp_path / "r.json"
    report.write_text('{"install": [{"metadata": {"name": "X.Y", "version": "3"}}]}')
    assert scaling.resolved("spoke", done(returncode=0), report) == {"x-y": "3"}
    assert scaling.resolved("pip", done(returncode=0), tmp_path / "missing.json") is None


def test_uv_is_not_quietened_when_its_answer_is_read(tmp_path: Path):
    class Tools:
        python = Path("/t/python")

        def script(self, name: str) -> Path:
            return Path("/t") / name

    common = (Tools(), "/v/python", "http://i/", tmp_path, tmp_path / "r.txt")
    assert "-q" not in scaling.commands("uv", *common, tmp_path / "x")
    assert "-q" in scaling.commands("uv", *common)
    spoke = scaling.commands("spoke", *common, tmp_path / "x")
    assert spoke[-2:] == ["--report", str(tmp_path / "x")]


def test_tables_show_what_happened_instead_of_a_time(capsys: pytest.CaptureFixture[str]):
    rows = [
        {"shape": "backtracking", "size": 10, "tool": "spoke", "status": "ok", "seconds": 0.5, "peak_mb": 40.0,
         "installs": 10, "check": "ok"},
        {"shape": "backtracking", "size": 10, "tool": "pip", "status": "recursion", "seconds": 3.0,
         "peak_mb": 80.0, "installs": None, "check": None},
        {"shape": "backtracking", "size": 200, "tool": "pip", "status": "skipped", "seconds": None,
         "peak_mb": None, "installs": None, "check": None},
        {"size": 100, "tool": "uv", "seconds": 0.54, "peak_mb": 35.0},  # a row saved before shapes
    ]
    scaling.print_table(rows)
    text = capsys.readouterr().out
    assert "recursion" in text and "skipped" in text and "sizes" in text
    table = scaling.markdown(rows)
    assert "| 10 | 0.50 | recursion | 40 | - | 10 |" in table
    assert "| 200 | - | skipped | - | - | - |" in table


def test_unsatisfied_finds_broken_missing_and_unneeded_projects():
    index = scaling.wide_extras(6)
    assert scaling.unsatisfied(index, dict(index.expected)) == []  # type: ignore[arg-type]
    some = sorted(n for n in index.expected if n != "hub")  # type: ignore[union-attr]
    broken = {**index.expected, some[0]: "3.0"}  # type: ignore[dict-item]
    assert any("not in the index" in p or "got 3.0" in p for p in scaling.unsatisfied(index, broken))
    missing = {n: v for n, v in index.expected.items() if n != some[0]}  # type: ignore[union-attr]
    assert any("got nothing" in p for p in scaling.unsatisfied(index, missing))
    assert scaling.unsatisfied(index, {**index.expected, "zzz": "1.0"}) == ["zzz is not needed"]  # type: ignore[dict-item]


def test_unsatisfied_accepts_an_older_valid_answer():
    index = scaling.backtracking(4)
    older = {f"a{i}": "3.0" for i in range(4)}
    assert scaling.unsatisfied(index, older) == []
    assert scaling.unsatisfied(index, {f"a{i}": "5.0" for i in range(4)})


def test_a_timeout_kills_the_whole_tree(tmp_path: Path):
    # Like pip --python: the parent starts a child that holds the output pipes and keeps working.
    code = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); " \
           "time.sleep(60)"
    start = time.perf_counter()
    done = scaling.run_subprocess([sys.executable, "-c", code], env=dict(os.environ), cwd=tmp_path, timeout=1)
    assert done.timed_out and scaling.failure(done) == "timeout"
    assert time.perf_counter() - start < 20


def test_run_subprocess_reports_exit_codes_and_missing_programs(tmp_path: Path):
    done = scaling.run_subprocess([sys.executable, "-c", "import sys; print('hi'); sys.exit(3)"], env=dict(os.environ),
                            cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stdout.strip(), scaling.failure(done)) == (3, "hi", "exit 3")
    missing = scaling.run_subprocess([str(tmp_path / "nothing")], env={}, cwd=tmp_path, timeout=60)
    assert missing.returncode == 127 and not missing.ok


def test_a_partial_run_replaces_only_its_own_cells_in_the_saved_results() -> None:
    earlier = [
        {"shape": "sizes", "size": 100, "tool": "spoke", "seconds": 1.0},
        {"shape": "versions", "size": 30, "tool": "spoke", "seconds": 2.0},
        {"size": 1000, "tool": "uv", "seconds": 3.0},  # an old file: rows without a shape are sizes
    ]
    rows = [{"shape": "versions", "size": 30, "tool": "spoke", "seconds": 0.5}]
    assert scaling.merged(earlier, rows) == [earlier[0], earlier[2], rows[0]]
    assert scaling.merged([], rows) == rows
