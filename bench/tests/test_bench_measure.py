"""One cold / warm / no-op sequence, driven by a fake runner."""

import os
from pathlib import Path

from bench_fakes import FakeRunner, failing, site_packages
from benchkit.measure import (
    installed_distributions,
    make_target_venv,
    measure_download_sequence,
    measure_sequence,
    saved_files,
)
from benchkit.process import Completed
from benchkit.tools import ToolsVenv


def sequence(tmp_path: Path, runner: FakeRunner, *, tool: str = "uv", keep: bool = False):
    return measure_sequence(
        set_name="small", requirements=tmp_path / "small.txt", tool=tool, run=2,
        scratch=tmp_path / "scratch", tools=ToolsVenv(root=tmp_path / "tools"), runner=runner,
        make_target=make_target_venv(Path("/py/python3"), runner, {}),
        environ={"PIP_FIND_LINKS": "/opt/wheels", "HOME": "/root"}, timeout=42.0, keep=keep,
    )


def test_cold_then_warm_then_noop(tmp_path: Path):
    runner = FakeRunner()
    cold, warm, noop = sequence(tmp_path, runner)
    assert [m.scenario for m in (cold, warm, noop)] == ["cold", "warm", "no-op"]
    assert all(m.status == "ok" and m.run == 2 and m.set_name == "small" for m in (cold, warm, noop))
    assert cold.installed == ("click==8.1.8", "flask==3.1.0", "markupsafe==3.0.2")
    installs = runner.installs()
    # Each install's time is the runner's, call by call (two venvs were made in between).
    assert [cold.seconds, warm.seconds, noop.seconds] == [3.0, 5.0, 6.0]
    targets = [c.argv[c.argv.index("--python") + 1] for c in installs]
    assert targets[0].endswith("cold-venv/bin/python")
    assert targets[1] == targets[2] and targets[1].endswith("warm-venv/bin/python")
    caches = {c.argv[c.argv.index("--cache-dir") + 1] for c in installs}
    assert len(caches) == 1, "the warm install uses the cache the cold one filled"
    assert all(c.timeout == 42.0 for c in installs)
    assert all("PIP_FIND_LINKS" not in c.env and c.env["HOME"] == "/root" for c in installs)
    assert all(c.env["XDG_CACHE_HOME"].startswith(str(tmp_path / "scratch")) for c in installs)
    venvs = [c.argv for c in runner.calls if "venv" in c.argv]
    assert all("--without-pip" in argv for argv in venvs) and len(venvs) == 2
    assert not (tmp_path / "scratch").exists(), "the scratch folder is removed afterwards"


def test_trash_defers_the_deletion_and_each_command_is_settled_first(tmp_path: Path):
    runner = FakeRunner()
    settled: list[int] = []
    measure_sequence(
        set_name="small", requirements=tmp_path / "small.txt", tool="uv", run=1,
        scratch=tmp_path / "scratch", tools=ToolsVenv(root=tmp_path / "tools"), runner=runner,
        make_target=make_target_venv(Path("/py/python3"), runner, {}), environ={},
        trash=tmp_path / "trash", settle=lambda: settled.append(len(runner.calls)),
    )
    assert not (tmp_path / "scratch").exists()
    (moved,) = (tmp_path / "trash").iterdir()
    assert moved.name.startswith("scratch-") and (moved / "cache").is_dir()
    # Settled right before each of the three timed installs (venvs are made in between).
    installs = [i for i, c in enumerate(runner.calls) if "-r" in c.argv]
    assert settled == installs


def test_keep_leaves_the_scratch_folder(tmp_path: Path):
    sequence(tmp_path, FakeRunner(), keep=True)
    assert (tmp_path / "scratch" / "warm-venv").is_dir()


def test_a_failed_cold_install_skips_the_rest(tmp_path: Path):
    runner = FakeRunner(script=lambda argv: failing(stderr="Traceback\nImportError: nope") if "-r" in argv else None)
    cold, warm, noop = sequence(tmp_path, runner, tool="spoke")
    assert (cold.status, warm.status, noop.status) == ("failed", "skipped", "skipped")
    assert cold.seconds is None and cold.returncode == 1
    assert cold.output.endswith("ImportError: nope")
    assert cold.command[1:3] == ("install", "--python")
    assert len(runner.installs()) == 1


def test_a_failed_warm_install_skips_the_noop(tmp_path: Path):
    count = {"n": 0}

    def script(argv):
        if "-r" in argv:
            count["n"] += 1
            if count["n"] == 2:
                return failing(stderr="cache is corrupt")
        return None

    cold, warm, noop = sequence(tmp_path, FakeRunner(script=script))
    assert (cold.status, warm.status, noop.status) == ("ok", "failed", "skipped")
    assert "cache is corrupt" in warm.output


def test_exit_zero_without_installing_anything_is_a_failure(tmp_path: Path):
    cold, _, _ = sequence(tmp_path, FakeRunner(packages=()))
    assert cold.status == "failed"
    assert "no distribution" in cold.output


def test_a_timeout_is_its_own_status(tmp_path: Path):
    def script(argv):
        if "-r" in argv:
            return Completed(returncode=None, stdout="", stderr="(killed after 42 s)", seconds=42.0, timed_out=True)
        return None

    cold, warm, _ = sequence(tmp_path, FakeRunner(script=script))
    assert (cold.status, warm.status) == ("timeout", "skipped")
    assert cold.seconds is None


def test_installed_distributions_reads_dist_info_names(tmp_path: Path):
    site = site_packages(tmp_path)
    for name in ("Jinja2-3.1.6.dist-info", "typing_extensions-4.15.0.dist-info", "jinja2", "x.egg-info"):
        (site / name).mkdir(parents=True)
    assert installed_distributions(tmp_path) == ("jinja2==3.1.6", "typing-extensions==4.15.0")
    assert installed_distributions(tmp_path / "missing") == ()


def test_measurement_to_dict_is_plain_data(tmp_path: Path):
    cold, _, _ = sequence(tmp_path, FakeRunner())
    data = cold.to_dict()
    assert data["scenario"] == "cold" and data["status"] == "ok"
    assert data["installed"] == list(cold.installed)
    assert data["command"][0].endswith("bin/uv")


def download_sequence(tmp_path: Path, runner: FakeRunner, *, tool: str = "spoke", trash: Path | None = None):
    return measure_download_sequence(
        set_name="large", requirements=tmp_path / "large.txt", tool=tool, run=3,
        scratch=tmp_path / "scratch", tools=ToolsVenv(root=tmp_path / "tools"), runner=runner,
        environ={"PIP_FIND_LINKS": "/opt/wheels", "UV_CACHE_DIR": "/x"}, timeout=42.0, trash=trash,
        settle=lambda: None,
    )


def test_download_cold_then_the_same_command_again(tmp_path: Path):
    runner = FakeRunner()
    cold, rerun = download_sequence(tmp_path, runner)
    assert [(m.operation, m.scenario, m.status, m.run) for m in (cold, rerun)] == [
        ("download", "cold", "ok", 3), ("download", "rerun", "ok", 3),
    ]
    assert cold.installed == ("click-8.1.8-py3-none-any.whl", "flask-3.1.0-py3-none-any.whl",
                              "markupsafe-3.0.2-py3-none-any.whl")
    first, second = runner.calls
    assert first.argv == second.argv, "the rerun is the very same command"
    argv = first.argv
    assert argv[1] == "download" and argv[argv.index("-d") + 1] == str(tmp_path / "scratch" / "dest")
    assert argv[argv.index("--cache-dir") + 1] == str(tmp_path / "scratch" / "cache")
    assert all("PIP_FIND_LINKS" not in c.env and "UV_CACHE_DIR" not in c.env for c in runner.calls)
    assert first.env["PIP_CONFIG_FILE"] == os.devnull and first.timeout == 42.0
    assert first.env["XDG_CACHE_HOME"] == str(tmp_path / "scratch" / "xdg-cache")
    assert not (tmp_path / "scratch").exists()


def test_pip_download_runs_from_the_tools_venv(tmp_path: Path):
    cold, _ = download_sequence(tmp_path, FakeRunner(), tool="pip")
    assert cold.command[:4] == (str(tmp_path / "tools" / "bin" / "python"), "-m", "pip", "download")


def test_a_failed_cold_download_skips_the_rerun_and_an_empty_folder_fails(tmp_path: Path):
    runner = FakeRunner(script=lambda argv: failing(stderr="no matching distribution") if "download" in argv else None)
    cold, rerun = download_sequence(tmp_path, runner)
    assert (cold.status, rerun.status) == ("failed", "skipped")
    assert rerun.operation == "download" and len(runner.calls) == 1
    cold, _ = download_sequence(tmp_path, FakeRunner(packages=()))
    assert cold.status == "failed" and "no file" in cold.output


def test_download_scratch_goes_to_the_trash(tmp_path: Path):
    download_sequence(tmp_path, FakeRunner(), trash=tmp_path / "trash")
    (moved,) = (tmp_path / "trash").iterdir()
    assert len(list((moved / "dest").iterdir())) == 3


def test_saved_files_lists_names(tmp_path: Path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "b.whl").write_bytes(b"")
    (tmp_path / "d" / "a.tar.gz").write_bytes(b"")
    assert saved_files(tmp_path / "d") == ("a.tar.gz", "b.whl")
    assert saved_files(tmp_path / "missing") == ()
