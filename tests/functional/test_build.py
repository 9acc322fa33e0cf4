"""``spoke build`` through the CLI (issue 17, first part): sdist, then the wheel from it."""

from __future__ import annotations

import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.functional.test_sources import build_index, wheels_of_backends  # noqa: F401
from tests.support.projects import write_project


@pytest.mark.parametrize("backend", ["setuptools", "setuptools-legacy", "hatchling", "flit-core", "pdm-backend",
                                     "poetry-core"])
def test_an_sdist_and_a_wheel_from_it_for_each_backend(spoke, build_index, venv, tmp_path, backend) -> None:  # noqa: F811
    server = build_index()
    project = write_project(tmp_path / "proj", "sample-proj", "1.2", backend=backend)
    result = spoke("build", str(project), "-i", server.simple_url, cwd=tmp_path)
    dist = project / "dist"
    sdist, wheel = sorted(dist.iterdir(), key=lambda p: p.suffix == ".whl")
    assert sdist.name == "sample_proj-1.2.tar.gz", result.describe()
    assert wheel.name.startswith("sample_proj-1.2-") and wheel.name.endswith("-none-any.whl"), wheel.name
    assert f"Successfully built sample_proj-1.2.tar.gz and {wheel.name}" in result.stderr
    assert f"Built proj/dist/{wheel.name} (" in result.stderr
    with tarfile.open(dist / "sample_proj-1.2.tar.gz") as tar:
        assert "sample_proj-1.2/PKG-INFO" in tar.getnames()
    with zipfile.ZipFile(wheel) as whl:
        assert "sample_proj/__init__.py" in whl.namelist()
    env = venv()
    spoke("install", "--python", str(env.python), str(wheel))


def test_only_one_kind_an_outdir_and_reproducible_archives(spoke, build_index, tmp_path) -> None:  # noqa: F811
    server = build_index()
    project = tmp_path / "src-layout"  # the seed's "Package Structure": src/<package>, tests beside it
    (project / "src" / "srclay").mkdir(parents=True)
    (project / "src" / "srclay" / "__init__.py").write_text('"""srclay."""\n__version__ = "0.3"\n')
    (project / "tests").mkdir()
    (project / "tests" / "test_it.py").write_text("def test_it():\n    pass\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "srclay"\nversion = "0.3"\n'
    )
    out = tmp_path / "out"
    spoke("build", "--wheel", "-o", str(out), "-i", server.simple_url, cwd=project)
    [only] = out.iterdir()
    assert only.name.startswith("srclay-0.3-") and only.suffix == ".whl"
    with zipfile.ZipFile(only) as whl:
        assert "srclay/__init__.py" in whl.namelist()
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    spoke("build", "--sdist", "-o", str(tmp_path / "a"), "-i", server.simple_url, cwd=project, env=env)
    spoke("build", "--sdist", "-o", str(tmp_path / "b"), "-i", server.simple_url, cwd=project, env=env)
    first = (tmp_path / "a" / "srclay-0.3.tar.gz").read_bytes()
    assert first == (tmp_path / "b" / "srclay-0.3.tar.gz").read_bytes()  # byte-identical


def test_a_failing_build_and_bad_input_are_clear(spoke, build_index, tmp_path) -> None:  # noqa: F811
    server = build_index()
    project = write_project(tmp_path / "broken", "broken", "1.0", backend="setuptools-legacy")
    (project / "setup.py").write_text("raise SystemExit('this build is broken on purpose')\n")
    failed = spoke("build", str(project), "-i", server.simple_url, check=False, cwd=tmp_path)
    assert failed.returncode == 1 and "broken on purpose" in failed.stderr, failed.describe()
    log = failed.stderr.split("the backend's whole output: ", 1)[1].split()[0]
    assert "broken on purpose" in Path(log).read_text(encoding="utf-8")
    assert "Traceback" not in failed.stderr.split("broken on purpose")[-1]
    assert not (project / "dist").exists() or not list((project / "dist").iterdir())
    (tmp_path / "empty").mkdir()
    nothing = spoke("build", str(tmp_path / "empty"), check=False, cwd=tmp_path)
    assert nothing.returncode == 1 and "is not a Python project" in nothing.stderr
    missing = spoke("build", str(tmp_path / "nope"), check=False, cwd=tmp_path)
    assert missing.returncode != 0 and "is not a folder" in missing.stderr
    # Without isolation the build requirements must be there (or the check skipped).
    plain = write_project(tmp_path / "plain", "plain", "1.0", backend="hatchling")
    no_iso = spoke("build", "--no-isolation", str(plain), check=False, cwd=tmp_path)
    assert no_iso.returncode == 1 and "`hatchling` is not installed" in no_iso.stderr, no_iso.describe()


def test_build_then_check_the_files(spoke, build_index, tmp_path) -> None:  # noqa: F811
    server = build_index()
    project = write_project(tmp_path / "proj", "checked", "1.0", backend="hatchling")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('description = "test project"\n',
                                                       'description = "test project"\nreadme = "README.md"\n'))
    (project / "README.md").write_text("# checked\n\nA *fine* readme.\n")
    spoke("build", str(project), "-i", server.simple_url, cwd=tmp_path)
    ok = spoke("check", "--strict", "proj/dist", cwd=tmp_path)
    assert ok.stdout.count(": PASSED\n") == 2, ok.describe()
    # A reStructuredText readme PyPI cannot render fails, with the renderer's reason.
    (project / "README.rst").write_text("Title\n=====\n\n.. bogus-directive:: x\n")
    pyproject.write_text(pyproject.read_text().replace('readme = "README.md"', 'readme = "README.rst"'))
    spoke("build", str(project), "--wheel", "-o", str(tmp_path / "bad"), "-i", server.simple_url, cwd=tmp_path)
    bad = spoke("check", str(tmp_path / "bad"), check=False, cwd=tmp_path)
    assert bad.returncode == 1 and ": FAILED" in bad.stdout and "bogus-directive" in bad.stdout, bad.describe()
    assert "Traceback" not in bad.stderr
    missing = spoke("check", str(tmp_path / "nothing.whl"), check=False, cwd=tmp_path)
    assert missing.returncode == 1 and "nothing.whl: FAILED\n  ERROR    no such file" in missing.stdout
    (tmp_path / "empty").mkdir()
    empty = spoke("check", str(tmp_path / "empty"), check=False, cwd=tmp_path)
    assert empty.returncode != 0 and "No distribution files" in empty.stderr


def test_a_second_build_fetches_nothing_and_pip_settings_apply(spoke, build_index, tmp_path) -> None:  # noqa: F811
    # Pages may be cached for ten minutes, as PyPI says of its simple pages.
    server = build_index(cache_control="max-age=600, public")
    project = write_project(tmp_path / "proj", "again", "1.0", backend="hatchling")
    pip_env = {"PIP_INDEX_URL": server.simple_url}  # pip's variable names the index, as for install
    spoke("build", str(project), "-o", str(tmp_path / "first"), cwd=tmp_path, env=pip_env)
    assert any(path.startswith("/files/") for path in server.paths()), server.paths()
    server.clear_log()
    second = spoke("build", str(project), "-o", str(tmp_path / "second"), cwd=tmp_path, env=pip_env)
    assert server.paths() == [], second.describe()  # resolved from the cache, nothing downloaded
    assert sorted(p.name for p in (tmp_path / "second").iterdir()) == sorted(
        p.name for p in (tmp_path / "first").iterdir())
    # The build environment was made at its fixed place and removed; the hooks' bytecode stays
    # in the cache for the next build (the sources are links to the same unpacked wheels).
    cache = tmp_path / "cache"
    assert [p.suffix for p in (cache / "builds-v1" / "envs").iterdir()] == [".lock"]
    assert any("/hatchling/" in p.as_posix() for p in (cache / "bytecode-v1").rglob("*.pyc"))


def test_a_backend_name_that_does_not_exist_names_the_real_one(spoke, build_index, tmp_path) -> None:  # noqa: F811
    server = build_index()
    project = write_project(tmp_path / "proj", "wrongbackend", "1.0", backend="setuptools")
    pyproject = project / "pyproject.toml"
    # What the seed's example and projects copying it write: neither module exists in setuptools.
    pyproject.write_text(pyproject.read_text().replace('build-backend = "setuptools.build_meta"',
                                                       'build-backend = "setuptools.backends.legacy:build"'))
    failed = spoke("build", str(project), "-i", server.simple_url, check=False, cwd=tmp_path)
    assert failed.returncode == 1 and "Cannot import the build backend `setuptools.backends.legacy:build`" in \
        failed.stderr, failed.describe()
    assert "Its backend is `setuptools.build_meta`" in failed.stderr
    assert re.search(r"setuptools \d+\.\d+[.\w]* \(installed for this build\)", failed.stderr), failed.stderr
