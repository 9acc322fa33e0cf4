"""``spoke wheel`` through the CLI: index wheels saved, sources built, failures reported together."""

from __future__ import annotations

from tests.functional.test_sources import build_index, wheels_of_backends  # noqa: F401
from tests.support.packages import Pkg
from tests.support.projects import make_sdist, write_project


def names(folder) -> set[str]:  # noqa: ANN001
    return {p.name for p in folder.iterdir()}


def test_a_wheel_for_every_package_and_a_second_run_builds_nothing(spoke, build_index, tmp_path) -> None:  # noqa: F811
    server = build_index(Pkg("alpha", "2.0", deps=("beta>=2", "srconly")), Pkg("beta", "2.1"),
                         Pkg("srconly", "1.0", sdist=True, wheel=False))
    project = write_project(tmp_path / "mine", "mine", "0.1", deps=("alpha",))
    out = tmp_path / "wheelhouse"
    first = spoke("wheel", str(project), "-w", str(out), "-i", server.simple_url, "-v")
    assert names(out) == {"alpha-2.0-py3-none-any.whl", "beta-2.1-py3-none-any.whl",
                          "srconly-1.0-py3-none-any.whl", "mine-0.1-py3-none-any.whl"}, first.describe()
    assert "Successfully built" in first.stderr
    assert "bdist_wheel" in first.stderr  # the backend's output, shown with -v
    second = spoke("wheel", "srconly", "-w", str(tmp_path / "again"), "-i", server.simple_url, "-v")
    assert names(tmp_path / "again") == {"srconly-1.0-py3-none-any.whl"}
    assert "bdist_wheel" not in second.stderr, second.describe()  # from the build cache


def test_a_failing_build_is_named_and_the_other_wheels_are_written(spoke, build_index, tmp_path) -> None:  # noqa: F811
    project = write_project(tmp_path / "broken", "broken", "1.0", backend="setuptools-legacy")
    setup = (project / "setup.py").read_text()
    (project / "setup.py").write_text(
        "import sys\nif 'bdist_wheel' in sys.argv:\n    raise SystemExit('this build is broken on purpose')\n" + setup
    )
    sdist = make_sdist(project, tmp_path / "sd", name="broken", version="1.0")
    server = build_index(sdist, Pkg("beta", "2.1"))
    out = tmp_path / "wheelhouse"
    result = spoke("wheel", "broken", "beta", "-w", str(out), "-i", server.simple_url, check=False)
    assert result.returncode == 1, result.describe()
    assert "broken on purpose" in result.stderr
    assert "Failed to build or fetch 1 of 2 wheels: broken 1.0" in result.stderr
    assert "Traceback" not in result.stderr.split("broken on purpose")[-1]
    assert names(out) == {"beta-2.1-py3-none-any.whl"}


def test_an_editable_requirement_gives_a_regular_wheel(spoke, build_index, tmp_path) -> None:  # noqa: F811
    import zipfile

    server = build_index(Pkg("beta", "2.1"))
    project = write_project(tmp_path / "mine", "mine", "0.1", deps=("beta",))
    out = tmp_path / "wheelhouse"
    result = spoke("wheel", "-e", str(project), "-w", str(out), "-i", server.simple_url)
    assert names(out) == {"mine-0.1-py3-none-any.whl", "beta-2.1-py3-none-any.whl"}, result.describe()
    with zipfile.ZipFile(out / "mine-0.1-py3-none-any.whl") as whl:  # the code itself, not a .pth
        assert "mine/__init__.py" in whl.namelist()
        assert not [n for n in whl.namelist() if n.endswith(".pth")]
