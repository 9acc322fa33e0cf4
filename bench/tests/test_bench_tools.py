"""The command lines the tools are timed with, and the tools venv's bootstrap."""

from pathlib import Path

import pytest

from bench_fakes import FakeRunner, failing
from benchkit.tools import TOOL_NAMES, ToolsVenv, bootstrap_tools, install_command

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
    path.mkdir()
    (path / "pyproject.toml").write_text("[project]\nname = 'spoke'\n", encoding="utf-8")
    return path


def test_bootstrap_installs_once_then_reuses(tmp_path: Path):
    runner = FakeRunner()
    source = repo(tmp_path)
    root = tmp_path / "tools"
    first = bootstrap_tools(root, repo=source, runner=runner, environ={"PIP_FIND_LINKS": "/x"},
                            base_python=Path("/py/python3"))
    assert first.problems == {}
    assert first.versions["uv"] == "uv 1.0"
    argvs = [c.argv for c in runner.calls]
    assert argvs[0] == ["/py/python3", "-m", "venv", str(root)]
    assert argvs[1][-3:] == ["--upgrade", "pip", "uv"]
    assert argvs[2][-1] == str(source) and "-e" not in argvs[2]
    assert argvs[3][-3:] == ["--force-reinstall", "--no-deps", str(source)]
    assert all("PIP_FIND_LINKS" not in c.env for c in runner.calls)

    runner.calls.clear()
    bootstrap_tools(root, repo=source, runner=runner, environ={}, base_python=Path("/py/python3"))
    assert all("--version" in c.argv for c in runner.calls), "nothing is installed the second time"

    (source / "pyproject.toml").write_text("[project]\nname = 'spoke'\ndependencies = ['x']\n")
    runner.calls.clear()
    bootstrap_tools(root, repo=source, runner=runner, environ={}, base_python=Path("/py/python3"))
    installs = [c.argv for c in runner.calls if "install" in c.argv]
    base = [str(ToolsVenv(root=root).python), "-m", "pip", "install", "--index-url",
            "https://pypi.org/simple", "--disable-pip-version-check"]
    assert installs == [[*base, str(source)], [*base, "--force-reinstall", "--no-deps", str(source)]]

    # A change to any source file reinstalls spoke too.
    (source / "spoke").mkdir(exist_ok=True)
    (source / "spoke" / "new.py").write_text("X = 1\n")
    runner.calls.clear()
    bootstrap_tools(root, repo=source, runner=runner, environ={}, base_python=Path("/py/python3"))
    assert [c.argv for c in runner.calls if "install" in c.argv]


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
