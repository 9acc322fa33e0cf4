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


def test_scenarios_default_to_install_and_take_download():
    assert bench_run.parse_args([]).scenarios == ["install"]
    assert bench_run.parse_args(["--scenarios", "download,install"]).scenarios == ["install", "download"]
    assert bench_run.parse_args(["--scenarios", "download"]).scenarios == ["download"]


@pytest.mark.parametrize("argv", [["--scenarios", "upload"], ["--scenarios", ","],
                                  ["--scenarios", "download", "--tools", "uv,pip-no-compile"]])
def test_bad_scenarios_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        bench_run.parse_args(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_rotation():
    assert [bench_run.rotated(["spoke", "pip"], run) for run in (1, 2, 3)] == [
        ["spoke", "pip"], ["pip", "spoke"], ["spoke", "pip"],
    ]
    assert bench_run.rotated([], 2) == []


def test_install_and_download_in_one_run(tmp_path: Path, capsys):
    runner = FakeRunner()
    code = bench_run.main(
        ["--runs", "2", "--sets", "small", "--scenarios", "install,download", "--work-dir", str(tmp_path)],
        runner=runner,
    )
    out, err = capsys.readouterr()
    assert code == 0
    install_table, download_table = out.split("\n\n")[:2]
    assert install_table.splitlines()[0].split()[:3] == ["set", "scenario", "spoke"]
    lines = download_table.splitlines()
    assert lines[0].split() == ["set", "download", "spoke", "pip", "pip/spoke"]
    assert [line.split()[:3] for line in lines[2:]] == [["small", "(3)", "cold"], ["small", "(3)", "rerun"]]
    assert "files saved, for downloads" in out
    downloads = [c.argv for c in runner.calls if "download" in c.argv]
    # Two commands (cold, rerun) per tool and run; spoke and pip only, alternating who goes first.
    assert len(downloads) == 8
    assert [Path(a[0]).name for a in downloads[::2]] == ["spoke", "python", "python", "spoke"]
    assert "[small run 2/2] spoke download" in err

    (results,) = tmp_path.glob("results-*.json")
    doc = json.loads(results.read_text())
    assert doc["scenarios"] == ["install", "download"]
    assert doc["spoke_source"] and doc["spoke_source_changed_during_run"] is False
    ops = {(x["operation"], x["scenario"]) for x in doc["summary"]}
    assert ops == {("install", "cold"), ("install", "warm"), ("install", "no-op"),
                   ("download", "cold"), ("download", "rerun")}


def test_download_only_markdown(tmp_path: Path, capsys):
    runner = FakeRunner()
    code = bench_run.main(["--quick", "--scenarios", "download", "--markdown", "--work-dir", str(tmp_path)],
                          runner=runner)
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("| set | download | spoke | pip | pip/spoke |\n| --- | --- | ---: | ---: | ---: |\n")
    assert [c for c in runner.installs() if "install" in c.argv] == [], "no install is timed"


def test_prepare_tools_only_prepares(tmp_path: Path, capsys):
    runner = FakeRunner()
    assert bench_run.main(["--prepare-tools", "--work-dir", str(tmp_path)], runner=runner) == 0
    assert (tmp_path / "tools" / ".bench-spoke-ready").exists()
    assert runner.installs() == [] and not list(tmp_path.glob("results-*.json"))
