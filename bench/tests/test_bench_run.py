"""``bench/run.py`` end to end with a fake runner: arguments, table, failures, JSON."""

import importlib.util
import json
from pathlib import Path

import pytest

from bench_fakes import FakeRunner, failing

BENCH_DIR = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_run", BENCH_DIR / "run.py")
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)


def test_quick_means_one_run_of_the_small_set():
    args = bench_run.parse_args(["--quick"])
    assert (args.runs, args.sets, args.tools) == (1, ["small"], ["spoke", "uv", "pip", "pip-no-compile"])
    args = bench_run.parse_args(["--quick", "--sets", "small,medium", "--runs", "2"])
    assert (args.runs, args.sets) == (2, ["small", "medium"])


def test_defaults_are_three_runs_of_every_set():
    args = bench_run.parse_args([])
    assert args.runs == 3
    assert args.sets == ["small", "medium", "large"]


@pytest.mark.parametrize("argv", [["--tools", "poetry"], ["--sets", "huge"], ["--runs", "0"], ["--tools", ","]])
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        bench_run.parse_args(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_the_shipped_sets_are_requirement_lists():
    for name in ("small", "medium", "large"):
        lines = [
            line.strip() for line in (BENCH_DIR / "sets" / f"{name}.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert lines, name
    large = (BENCH_DIR / "sets" / "large.txt").read_text()
    assert "fastapi[standard]" in large and "pandas" in large


def test_a_failing_tool_reads_failed_and_the_others_are_measured(tmp_path: Path, capsys):
    def script(argv):
        if Path(argv[0]).name == "spoke":
            return failing(stderr="Traceback (most recent call last):\nImportError: cannot import name 'x'")
        return None

    runner = FakeRunner(script=script)
    code = bench_run.main(["--quick", "--tools", "spoke,uv", "--work-dir", str(tmp_path)], runner=runner)
    out, err = capsys.readouterr()
    assert code == 0
    cold = next(line for line in out.splitlines() if " cold " in line)
    assert cold.split()[:4] == ["small", "(3)", "cold", "failed"]
    assert "ImportError: cannot import name 'x'" in err
    assert "--- spoke / small / cold: failed (exit code 1), 1 run(s)" in err

    (results,) = tmp_path.glob("results-*.json")
    doc = json.loads(results.read_text())
    assert doc["runs"] == 1 and doc["tools"] == ["spoke", "uv"]
    statuses = {(x["tool"], x["scenario"]): x["status"] for x in doc["measurements"]}
    assert statuses == {
        ("spoke", "cold"): "failed", ("spoke", "warm"): "skipped", ("spoke", "no-op"): "skipped",
        ("uv", "cold"): "ok", ("uv", "warm"): "ok", ("uv", "no-op"): "ok",
    }
    assert doc["versions"]["uv"] == "uv 1.0"
    assert not (tmp_path / "scratch" / "small-uv-1").exists()


def test_markdown_and_the_tool_order_rotates_between_runs(tmp_path: Path, capsys):
    runner = FakeRunner()
    code = bench_run.main(
        ["--runs", "2", "--sets", "small", "--tools", "uv,pip", "--markdown", "--work-dir", str(tmp_path)],
        runner=runner,
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("| set | scenario | spoke | uv | pip |")
    order = [Path(c.argv[0]).name for c in runner.installs() if "--cache-dir" in c.argv]
    # Three installs per sequence; run 1 is uv then pip, run 2 pip then uv.
    assert order[::3] == ["uv", "python", "python", "uv"]
