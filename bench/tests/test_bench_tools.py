"""The command lines the tools are timed with, and the tools venv's bootstrap."""

from pathlib import Path

import pytest

from bench_fakes import FakeRunner, failing
from benchkit.process import Completed
from benchkit.tools import (
    TOOL_NAMES,
    ToolsVenv,
    bootstrap_tools,
    download_command,
    install_command,
    snapshot_source,
    source_fingerprint,
    stale_files,
)

TOOLS = ToolsVenv(root=Path("/w/tools"))
REQS, TARGET, CACHE = Path("/w/sets/small.txt"), Path("/w/t/bin/python"), Path("/w/cache")


def command(tool: str) -> list[str]:
    return install_command(tool, tools=TOOLS, requirements=REQS, python=TARGET, cache_dir=CACHE,
                           index_url="https://pypi.org/simple")


def test_spoke_follows_pips_flags():
    assert command("spoke") == [
        "/w/tools/bin/spoke", "install", "--python", "/w/t/bin/python",
        "-r", "/w/sets/small.txt", "--cache-dir", "/w/cache", "--index-url", "https://pypi.org/simple",
    ]


def test_uv_uses_its_pip_interface():
    assert command("uv")[:5] == ["/w/tools/bin/uv", "pip", "install", "--python", "/w/t/bin/python"]
    assert command("uv")[5:] == command("spoke")[4:]


def test_pip_runs_from_the_tools_venv_against_the_target():
    argv = command("pip")
    assert argv[:6] == ["/w/tools/bin/python", "-m", "pip", "--python", "/w/t/bin/python", "install"]
    assert "--disable-pip-version-check" in argv
    assert "--no-compile" not in argv
    assert argv[argv.index("--cache-dir") + 1] == "/w/cache"
    assert argv[argv.index("--index-url") + 1] == "https://pypi.org/simple"


def test_pip_no_compile_differs_only_by_the_flag():
    assert command("pip-no-compile") == [*command("pip"), "--no-compile"]


def test_every_known_tool_has_a_command_and_an_unknown_one_is_refused():
    for tool in TOOL_NAMES:
        assert "-r" in command(tool)
    with pytest.raises(ValueError, match="poetry"):
        command("poetry")


def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    (path / "spoke" / "cli").mkdir(parents=True)
    (path / "pyproject.toml").write_text("[project]\nname = 'spoke'\n", encoding="utf-8")
    (path / "README.md").write_text("# spoke\n", encoding="utf-8")
    (path / "spoke" / "__init__.py").write_text("", encoding="utf-8")
    (path / "spoke" / "cli" / "main.py").write_text("COMMANDS = ['install']\n", encoding="utf-8")
    return path


def spoke_installs(runner: FakeRunner) -> list[list[str]]:
    return [c.argv for c in runner.calls if "install" in c.argv and "uv" not in c.argv]


def test_bootstrap_installs_once_then_reuses(tmp_path: Path):
    runner = FakeRunner()
    source = repo(tmp_path)
    root = tmp_path / "tools"
    snapshot = str(root / "spoke-src")
    first = bootstrap_tools(root, repo=source, runner=runner, environ={"PIP_FIND_LINKS": "/x"},
                            base_python=Path("/py/python3"))
    assert first.problems == {}
    assert first.versions["uv"] == "uv 1.0"
    argvs = [c.argv for c in runner.calls]
    assert argvs[0] == ["/py/python3", "-m", "venv", str(root)]
    assert argvs[1][-3:] == ["--upgrade", "pip", "uv"]
    # Built from a snapshot of the tree, never from the repository (its build/ is shared).
    assert argvs[2][-1] == snapshot and "-e" not in argvs[2]
    assert argvs[3][-3:] == ["--force-reinstall", "--no-deps", snapshot]
    assert all("PIP_FIND_LINKS" not in c.env for c in runner.calls)
    assert stale_files(ToolsVenv(root=root), source) == []
    assert not (root / "spoke-src").exists(), "the snapshot is removed once installed"

    runner.calls.clear()
    bootstrap_tools(root, repo=source, runner=runner, environ={}, base_python=Path("/py/python3"))
    assert all("--version" in c.argv for c in runner.calls), "nothing is installed the second time"

    (source / "pyproject.toml").write_text("[project]\nname = 'spoke'\ndependencies = ['x']\n")
    runner.calls.clear()
    bootstrap_tools(root, repo=source, runner=runner, environ={}, base_python=Path("/py/python3"))
    base = [str(ToolsVenv(root=root).python), "-m", "pip", "install", "--index-url",
            "https://pypi.org/simple", "--disable-pip-version-check"]
    assert spoke_installs(runner) == [[*base, snapshot], [*base, "--force-reinstall", "--no-deps", snapshot]]


def test_a_new_module_in_the_tree_reinstalls_spoke(tmp_path: Path):
    runner = FakeRunner()
    source, root = repo(tmp_path), tmp_path / "tools"
    bootstrap_tools(root, repo=source, runner=runner, environ={})
    (source / "spoke" / "cli" / "download.py").write_text("def main(): ...\n")
    assert stale_files(ToolsVenv(root=root), source) == ["cli/download.py"]
    runner.calls.clear()
    setup = bootstrap_tools(root, repo=source, runner=runner, environ={})
    assert setup.problems == {} and len(spoke_installs(runner)) == 2
    installed = ToolsVenv(root=root).site_packages() / "spoke"
    assert (installed / "cli" / "download.py").read_text() == "def main(): ...\n"


def test_a_copy_changed_behind_the_markers_back_is_replaced(tmp_path: Path):
    # The stale copy of before: the marker said "up to date" while the venv ran old code.
    runner = FakeRunner()
    source, root = repo(tmp_path), tmp_path / "tools"
    bootstrap_tools(root, repo=source, runner=runner, environ={})
    installed = ToolsVenv(root=root).site_packages() / "spoke"
    (installed / "cli" / "main.py").write_text("COMMANDS = []\n")
    (installed / "gone.py").write_text("")
    assert stale_files(ToolsVenv(root=root), source) == ["cli/main.py", "gone.py"]
    runner.calls.clear()
    bootstrap_tools(root, repo=source, runner=runner, environ={})
    assert len(spoke_installs(runner)) == 2
    assert stale_files(ToolsVenv(root=root), source) == []


def test_the_snapshot_holds_the_source_only(tmp_path: Path):
    source = repo(tmp_path)
    (source / "build" / "lib" / "spoke").mkdir(parents=True)
    (source / "build" / "lib" / "spoke" / "old.py").write_text("")
    (source / "spoke" / "__pycache__").mkdir()
    (source / "spoke" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    (source / "tests").mkdir()
    snap = snapshot_source(source, tmp_path / "snap")
    files = sorted(p.relative_to(snap).as_posix() for p in snap.rglob("*") if p.is_file())
    assert files == ["README.md", "pyproject.toml", "spoke/__init__.py", "spoke/cli/main.py"]


def test_a_reinstall_that_leaves_old_code_is_a_problem(tmp_path: Path):
    # pip "succeeds" but the venv's copy is not the tree's (a stale build, say).
    def script(argv: list[str]):
        return Completed(returncode=0, stdout="", stderr="", seconds=0.1) if "--force-reinstall" in argv else None

    setup = bootstrap_tools(tmp_path / "tools", repo=repo(tmp_path), runner=FakeRunner(script=script), environ={})
    assert "not the working tree's" in setup.problems["spoke"]
    assert not (tmp_path / "tools" / ".bench-spoke-ready").exists()


def test_the_source_fingerprint_follows_every_file(tmp_path: Path):
    source = repo(tmp_path)
    before = source_fingerprint(source)
    (source / "spoke" / "py.typed").write_text("")
    assert source_fingerprint(source) != before


def test_download_commands():
    argv = download_command("spoke", tools=TOOLS, requirements=REQS, dest=Path("/w/d"), cache_dir=CACHE)
    assert argv == [
        "/w/tools/bin/spoke", "download", "--python", "/w/tools/bin/python", "-r", "/w/sets/small.txt",
        "-d", "/w/d", "--cache-dir", "/w/cache", "--index-url", "https://pypi.org/simple",
    ]
    pip = download_command("pip", tools=TOOLS, requirements=REQS, dest=Path("/w/d"), cache_dir=CACHE)
    assert pip == ["/w/tools/bin/python", "-m", "pip", "download", *argv[4:], "--disable-pip-version-check"]
    for tool in ("uv", "pip-no-compile"):
        with pytest.raises(ValueError, match="no download command"):
            download_command(tool, tools=TOOLS, requirements=REQS, dest=Path("/w/d"), cache_dir=CACHE)


def test_a_spoke_that_does_not_install_is_a_problem_not_a_crash(tmp_path: Path):
    def script(argv: list[str]):
        return failing(stderr="error: metadata-generation-failed") if "install" in argv and "uv" not in argv else None

    runner = FakeRunner(script=script)
    setup = bootstrap_tools(tmp_path / "tools", repo=repo(tmp_path), runner=runner, environ={})
    assert list(setup.problems) == ["spoke"]
    assert "metadata-generation-failed" in setup.problems["spoke"]
    assert not (tmp_path / "tools" / ".bench-spoke-ready").exists()
    assert (tmp_path / "tools" / ".bench-base-ready").exists()


def test_no_venv_means_every_tool_is_a_problem(tmp_path: Path):
    runner = FakeRunner(script=lambda argv: failing(stderr="no ensurepip") if "venv" in argv else None)
    setup = bootstrap_tools(tmp_path / "tools", repo=repo(tmp_path), runner=runner, environ={})
    assert set(setup.problems) == set(TOOL_NAMES)
    assert len(runner.calls) == 1
