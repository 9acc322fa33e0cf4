"""``spoke install`` end to end: the real CLI, a real index on 127.0.0.1, real venvs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.functional.conftest import installed_files, snapshot
from tests.support.packages import Pkg

ALPHA = [
    Pkg("alpha", "1.0", deps=("beta>=1.0",)),
    Pkg("alpha", "2.0", deps=("beta>=2.0",), console_scripts={"alpha-cli": "alpha:main"}),
    Pkg("beta", "1.0"),
    Pkg("beta", "2.0"),
    Pkg("beta", "2.1"),
]


def dist_infos(venv) -> set[str]:  # noqa: ANN001
    return {p.name for p in venv.site_packages.glob("*.dist-info")}


def run_py(venv, code: str) -> str:  # noqa: ANN001
    return subprocess.run([str(venv.python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_install_resolves_and_installs_dependencies(spoke, index, venv, pip_in) -> None:
    server = index(*ALPHA)
    env = venv()
    result = spoke("install", "alpha", "--python", str(env.python), "-i", server.simple_url)
    assert "+ alpha==2.0" in result.stderr and "+ beta==2.1" in result.stderr
    assert dist_infos(env) == {"alpha-2.0.dist-info", "beta-2.1.dist-info"}
    assert run_py(env, "import alpha, beta; print(alpha.__version__, beta.__version__)") == "2.0 2.1"
    # pip sees an ordinary install.
    assert pip_in(env.python, "check").returncode == 0
    shown = pip_in(env.python, "show", "alpha").stdout
    assert "Version: 2.0" in shown and "Requires: beta" in shown
    alpha_info = env.site_packages / "alpha-2.0.dist-info"
    assert (alpha_info / "INSTALLER").read_text().strip() == "spoke"
    assert (alpha_info / "REQUESTED").exists()
    assert not (env.site_packages / "beta-2.1.dist-info" / "REQUESTED").exists()
    # The console script runs with the venv's interpreter.
    out = subprocess.run([str(env.bin / "alpha-cli")], capture_output=True, text=True, check=True).stdout
    assert "alpha 2.0" in out


def test_every_file_in_record_exists_with_its_hash(spoke, index, venv) -> None:
    import base64
    import csv
    import hashlib

    server = index(*ALPHA)
    env = venv()
    spoke("install", "alpha", "--python", str(env.python), "-i", server.simple_url)
    record = env.site_packages / "alpha-2.0.dist-info" / "RECORD"
    rows = list(csv.reader(record.read_text().splitlines()))
    assert rows
    for path, digest, size in rows:
        target = (env.site_packages / path).resolve()
        assert target.exists(), path
        if digest:
            algo, _, value = digest.partition("=")
            data = target.read_bytes()
            assert base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode() == value
            assert int(size) == len(data)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("beta==1.0", "1.0"), ("beta>=1.0,<2.1", "2.0"), ("beta!=2.1", "2.0"), ("beta<=2.0", "2.0"),
        ("beta<2", "1.0"), ("beta>2.0", "2.1"), ("beta~=2.0", "2.1"), ("beta==2.*", "2.1"),
        ("beta===2.0", "2.0"), ("beta>=1.0,!=2.1,<3.0", "2.0"),
    ],
)
def test_version_specifiers(spoke, index, venv, spec: str, expected: str) -> None:
    server = index(*ALPHA)
    env = venv()
    spoke("install", spec, "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {f"beta-{expected}.dist-info"}


def test_extras_and_markers(spoke, index, venv) -> None:
    server = index(
        Pkg("app", "1.0", deps=("dep-a", "dep-never; python_version < '3.0'"), extras={"fast": ("dep-fast>=1",)}),
        Pkg("dep-a", "1.0"), Pkg("dep-fast", "1.0"), Pkg("dep-never", "1.0"),
    )
    env = venv()
    spoke("install", "app[fast]", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"app-1.0.dist-info", "dep_a-1.0.dist-info", "dep_fast-1.0.dist-info"}


def test_marker_on_the_request_itself(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    result = spoke("install", "beta; python_version < '3.0'", "alpha==1.0", "--python", str(env.python),
                   "-i", server.simple_url)
    assert "Ignoring" in result.stderr
    assert dist_infos(env) == {"alpha-1.0.dist-info", "beta-2.1.dist-info"}


def test_dry_run_changes_nothing(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    before = snapshot(env.path)
    result = spoke("install", "alpha", "--dry-run", "--python", str(env.python), "-i", server.simple_url)
    assert "Would install 2 packages" in result.stderr and "+ alpha==2.0" in result.stderr
    assert snapshot(env.path) == before


def test_no_deps(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    spoke("install", "alpha", "--no-deps", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"alpha-2.0.dist-info"}


def test_satisfied_install_makes_no_network_request(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    spoke("install", "alpha", "--python", str(env.python), "-i", server.simple_url)
    server.clear_log()
    result = spoke("install", "alpha", "beta>=2", "--python", str(env.python), "-i", server.simple_url)
    assert "already satisfied" in result.stderr
    assert server.requests == []


def test_upgrade_strategies(spoke, index, venv) -> None:
    server = index(Pkg("top", "1.0", deps=("low",)), Pkg("low", "1.0"))
    env = venv()
    spoke("install", "top", "--python", str(env.python), "-i", server.simple_url)
    server.add(Pkg("top", "2.0", deps=("low",)))
    server.add(Pkg("low", "2.0"))
    # Without -U nothing changes.
    spoke("install", "top", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"top-1.0.dist-info", "low-1.0.dist-info"}
    # only-if-needed: the requested package moves, its satisfied dependency stays.
    spoke("install", "-U", "top", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"top-2.0.dist-info", "low-1.0.dist-info"}
    # eager: dependencies move too.
    spoke("install", "-U", "--upgrade-strategy", "eager", "top", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"top-2.0.dist-info", "low-2.0.dist-info"}


def test_downgrade_removes_the_newer_files(spoke, index, venv) -> None:
    server = index(
        Pkg("shape", "2.0", files={"shape/__init__.py": "V = 2\n", "shape/new_only.py": "X = 1\n"}),
        Pkg("shape", "1.0", files={"shape/__init__.py": "V = 1\n"}),
    )
    env = venv()
    spoke("install", "shape", "--python", str(env.python), "-i", server.simple_url)
    assert (env.site_packages / "shape" / "new_only.py").exists()
    result = spoke("install", "shape==1.0", "--python", str(env.python), "-i", server.simple_url)
    assert "- shape==2.0" in result.stderr and "+ shape==1.0" in result.stderr
    assert not (env.site_packages / "shape" / "new_only.py").exists()
    assert dist_infos(env) == {"shape-1.0.dist-info"}


def test_force_reinstall_restores_a_deleted_file(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    spoke("install", "beta==2.0", "--python", str(env.python), "-i", server.simple_url)
    module = env.site_packages / "beta" / "__init__.py"
    module.unlink()
    spoke("install", "beta==2.0", "--force-reinstall", "--python", str(env.python), "-i", server.simple_url)
    assert module.exists()


def test_prereleases_only_when_asked_or_nothing_else(spoke, index, venv) -> None:
    server = index(Pkg("pre", "1.0"), Pkg("pre", "2.0b1"), Pkg("onlypre", "1.0a1"))
    env = venv()
    spoke("install", "pre", "onlypre", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"pre-1.0.dist-info", "onlypre-1.0a1.dist-info"}
    spoke("install", "-U", "--pre", "pre", "--python", str(env.python), "-i", server.simple_url)
    assert "pre-2.0b1.dist-info" in dist_infos(env)


def test_explicit_prerelease_specifier_allows_it(spoke, index, venv) -> None:
    server = index(Pkg("pre", "1.0"), Pkg("pre", "2.0b1"))
    env = venv()
    spoke("install", "pre>=2.0b1", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"pre-2.0b1.dist-info"}


def test_yanked_skipped_unless_pinned(spoke, index, venv) -> None:
    server = index(Pkg("yk", "1.0"), Pkg("yk", "2.0", yanked="broken build"))
    env = venv()
    spoke("install", "yk", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"yk-1.0.dist-info"}
    result = spoke("install", "yk==2.0", "--python", str(env.python), "-i", server.simple_url)
    assert "yanked" in result.stderr and "broken build" in result.stderr
    assert dist_infos(env) == {"yk-2.0.dist-info"}


def test_requires_python_and_platform_tags_filter_candidates(spoke, index, venv) -> None:
    server = index(
        Pkg("rp", "1.0"), Pkg("rp", "2.0", requires_python=">=4"),
        Pkg("plat", "1.0"), Pkg("plat", "2.0", tag="cp27-cp27m-win32"),
    )
    env = venv()
    spoke("install", "rp", "plat", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"rp-1.0.dist-info", "plat-1.0.dist-info"}


@pytest.mark.parametrize(("metadata", "ranges"), [(True, True), (False, True), (False, False)])
def test_metadata_sources(spoke, index, venv, metadata: bool, ranges: bool) -> None:
    server = index(*ALPHA, metadata=metadata, ranges=ranges)
    env = venv()
    spoke("install", "alpha", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"alpha-2.0.dist-info", "beta-2.1.dist-info"}
    paths = [r.path for r in server.requests]
    if metadata:
        assert any(p.endswith(".metadata") for p in paths)
    # Each wheel is downloaded whole at most once, whatever the metadata source.
    for name in ("alpha-2.0-py3-none-any.whl", "beta-2.1-py3-none-any.whl"):
        full = [r for r in server.requests
                if r.path.endswith("/" + name) and r.status == 200 and "Range" not in r.headers]
        assert len(full) <= 1


def test_html_only_index(spoke, index, venv) -> None:
    server = index(*ALPHA, json=False)
    env = venv()
    spoke("install", "alpha", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"alpha-2.0.dist-info", "beta-2.1.dist-info"}


def test_second_install_downloads_nothing(spoke, index, venv) -> None:
    server = index(*ALPHA)
    first, second = venv(name="one"), venv(name="two")
    spoke("install", "alpha", "--python", str(first.python), "-i", server.simple_url)
    server.clear_log()
    spoke("install", "alpha", "--python", str(second.python), "-i", server.simple_url)
    assert dist_infos(second) == {"alpha-2.0.dist-info", "beta-2.1.dist-info"}
    assert not [r for r in server.requests if r.path.startswith("/files/")]
    # Installed by hardlink from the cache where the filesystem allows it.
    assert (second.site_packages / "beta" / "__init__.py").stat().st_nlink >= 2


def test_no_cache_dir_leaves_no_cache(spoke, index, venv, hermetic) -> None:
    server = index(*ALPHA)
    env = venv()
    spoke("install", "beta", "--no-cache-dir", "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"beta-2.1.dist-info"}
    cache = Path(hermetic["SPOKE_CACHE_DIR"])
    assert not cache.exists() or not any(cache.rglob("*.py"))


def test_cache_dir_option(spoke, index, venv, tmp_path, hermetic) -> None:
    server = index(*ALPHA)

    def install(cache: Path, env) -> list[str]:  # noqa: ANN001
        """Install beta with ``--cache-dir cache``; the files downloaded."""
        server.clear_log()
        spoke("install", "beta", "--cache-dir", str(cache), "--python", str(env.python), "-i", server.simple_url)
        assert dist_infos(env) == {"beta-2.1.dist-info"}
        return [r.path for r in server.requests if r.path.startswith("/files/")]

    assert install(tmp_path / "c", venv(name="one"))
    assert not install(tmp_path / "c", venv(name="two"))  # served from the folder the option named
    assert install(tmp_path / "other", venv(name="three"))  # another folder, another cache
    default = Path(hermetic["SPOKE_CACHE_DIR"])
    assert not default.exists() or not [p for p in default.rglob("*") if p.is_file()]


def test_find_links_folder_without_index(spoke, index, venv, tmp_path, build_cache) -> None:
    from tests.support.packages import build_cached

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for pkg in ALPHA:
        for path in build_cached(pkg, build_cache):
            (wheels / path.name).write_bytes(path.read_bytes())
    env = venv()
    spoke("install", "alpha==1.0", "--no-index", "-f", str(wheels), "--python", str(env.python))
    assert dist_infos(env) == {"alpha-1.0.dist-info", "beta-2.1.dist-info"}


def test_extra_index_url(spoke, index, venv) -> None:
    primary = index(Pkg("alpha", "1.0", deps=("beta",)))
    extra = index(Pkg("beta", "1.0"))
    env = venv()
    spoke("install", "alpha", "-i", primary.simple_url, "--extra-index-url", extra.simple_url,
          "--python", str(env.python))
    assert dist_infos(env) == {"alpha-1.0.dist-info", "beta-1.0.dist-info"}


def test_requirements_file(spoke, index, venv, tmp_path) -> None:
    server = index(*ALPHA)
    env = venv()
    req = tmp_path / "requirements.txt"
    req.write_text("# pinned\nalpha==1.0\nbeta<2  # old\n")
    spoke("install", "-r", str(req), "--python", str(env.python), "-i", server.simple_url)
    assert dist_infos(env) == {"alpha-1.0.dist-info", "beta-1.0.dist-info"}


def test_target_and_prefix(spoke, index, venv, tmp_path) -> None:
    server = index(*ALPHA)
    env = venv()
    target = tmp_path / "tgt"
    spoke("install", "alpha", "--target", str(target), "--python", str(env.python), "-i", server.simple_url)
    assert (target / "alpha" / "__init__.py").exists() and (target / "beta-2.1.dist-info").is_dir()
    assert (target / "bin" / "alpha-cli").exists()
    assert dist_infos(env) == set()
    prefix = tmp_path / "pfx"
    spoke("install", "beta", "--prefix", str(prefix), "--python", str(env.python), "-i", server.simple_url)
    found = list(prefix.glob("lib/python3*/site-packages/beta-2.1.dist-info"))
    assert found, sorted(str(p) for p in prefix.rglob("*"))


def test_user_install_into_home(spoke, index, hermetic, tmp_path) -> None:
    from tests.support.pythons import base_interpreter, find_python

    server = index(*ALPHA)
    base = base_interpreter(find_python("3.12") or "python3")
    spoke("install", "beta", "--user", "--python", base, "-i", server.simple_url)
    home = Path(hermetic["HOME"])
    assert list(home.glob(".local/lib/python3*/site-packages/beta-2.1.dist-info"))


def test_report_file(spoke, index, venv, tmp_path) -> None:
    server = index(*ALPHA)
    env = venv()
    report = tmp_path / "report.json"
    spoke("install", "alpha", "--report", str(report), "--python", str(env.python), "-i", server.simple_url)
    data = json.loads(report.read_text())
    assert data["version"] == "1"
    names = {item["metadata"]["name"]: item for item in data["install"]}
    assert set(names) == {"alpha", "beta"}
    assert names["alpha"]["requested"] and not names["beta"]["requested"]
    assert names["beta"]["download_info"]["archive_info"]["hashes"]["sha256"] == server.sha256(
        "beta-2.1-py3-none-any.whl"
    )
    assert "python_version" in data["environment"]


def test_report_to_stdout_with_dry_run(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    result = spoke("install", "beta", "--dry-run", "--report", "-", "-q", "--python", str(env.python),
                   "-i", server.simple_url)
    assert json.loads(result.stdout)["install"][0]["metadata"]["version"] == "2.1"


def test_quiet_prints_nothing(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    result = spoke("install", "-q", "beta", "--python", str(env.python), "-i", server.simple_url)
    assert result.stdout == "" and result.stderr == ""


def test_installs_into_active_virtual_env_and_dot_venv(spoke, index, venv, tmp_path) -> None:
    server = index(*ALPHA)
    active = venv(name="active")
    spoke("install", "beta==1.0", "-i", server.simple_url, env={"VIRTUAL_ENV": str(active.path)})
    assert dist_infos(active) == {"beta-1.0.dist-info"}
    project = tmp_path / "project"
    dotvenv = venv(name="project/.venv")
    sub = project / "src" / "deep"
    sub.mkdir(parents=True)
    spoke("install", "beta==2.0", "-i", server.simple_url, cwd=sub)
    assert dist_infos(dotvenv) == {"beta-2.0.dist-info"}


def test_venv_folder_as_python(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    spoke("install", "beta==1.0", "--python", str(env.path), "-i", server.simple_url)
    assert dist_infos(env) == {"beta-1.0.dist-info"}


def test_installed_files_are_only_what_the_wheels_hold(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    before = installed_files(env)
    spoke("install", "beta==1.0", "--python", str(env.python), "-i", server.simple_url)
    added = installed_files(env) - before
    site = env.site_packages.relative_to(env.path).as_posix()
    assert added == {
        f"{site}/beta/__init__.py",
        *{f"{site}/beta-1.0.dist-info/{n}" for n in ("METADATA", "WHEEL", "RECORD", "INSTALLER", "REQUESTED")},
    } | ({f"{site}/beta-1.0.dist-info/top_level.txt"} if any("top_level" in a for a in added) else set())


def test_satisfied_shortcut_notices_environment_and_file_changes(spoke, index, venv, pip_in, tmp_path) -> None:
    server = index(*ALPHA)
    env = venv()
    req = tmp_path / "r.txt"
    nested = tmp_path / "nested.txt"
    nested.write_text("beta\n")
    req.write_text("alpha==1.0\n-r nested.txt\n")
    spoke("install", "-r", str(req), "--python", str(env.python), "-i", server.simple_url)
    spoke("install", "-r", str(req), "--python", str(env.python), "-i", server.simple_url)
    # Another tool removes a dependency: the next install must put it back.
    pip_in(env.python, "uninstall", "-y", "beta")
    result = spoke("install", "-r", str(req), "--python", str(env.python), "-i", server.simple_url)
    assert "+ beta==2.1" in result.stderr
    # A change inside a nested requirements file is seen too.
    nested.write_text("beta==1.0\n")
    result = spoke("install", "-r", str(req), "--python", str(env.python), "-i", server.simple_url)
    assert "+ beta==1.0" in result.stderr
    assert dist_infos(env) == {"alpha-1.0.dist-info", "beta-1.0.dist-info"}


def test_ignore_installed_reinstalls_over_what_is_there(spoke, index, venv) -> None:
    server = index(*ALPHA)
    env = venv()
    spoke("install", "beta==2.0", "--python", str(env.python), "-i", server.simple_url)
    result = spoke("install", "-I", "beta", "--python", str(env.python), "-i", server.simple_url)
    assert "+ beta==2.1" in result.stderr
    assert dist_infos(env) == {"beta-2.1.dist-info"}


def test_verbose_shows_requests_and_names_are_normalized(spoke, index, venv) -> None:
    server = index(Pkg("Foo_Bar", "1.0"), Pkg("local-ver", "1.0"), Pkg("local-ver", "1.0+build.2"))
    env = venv()
    result = spoke("install", "-v", "FOO.bar", "local-ver==1.0", "--python", str(env.python), "-i", server.simple_url)
    assert "GET " in result.stderr and "/simple/foo-bar/" in result.stderr
    assert "+ foo-bar==1.0" in result.stderr
    # ``==1.0`` admits a local version of 1.0 (PEP 440), and the newest wins.
    assert "+ local-ver==1.0+build.2" in result.stderr


def test_root_reroots_the_whole_scheme(spoke, index, venv, tmp_path) -> None:
    server = index(*ALPHA)
    env = venv()
    root = tmp_path / "stage"
    spoke("install", "alpha", "--root", str(root), "--python", str(env.python), "-i", server.simple_url)
    rel_site = env.site_packages.relative_to(env.site_packages.anchor)
    assert (root / rel_site / "alpha-2.0.dist-info").is_dir()
    script = root / env.bin.relative_to(env.bin.anchor) / "alpha-cli"
    assert script.exists() and str(env.python.parent) in script.read_text().splitlines()[0]
    assert dist_infos(env) == set()


def test_a_note_says_how_to_run_an_environment_python_on_path_does_not_run(spoke, index, venv) -> None:
    from tests.support.packages import Pkg as _Pkg

    server = index(_Pkg("noted", "1.0"))
    env = venv()
    result = spoke("install", "noted", "--python", str(env.python), "-i", server.simple_url)
    assert "not this environment's; run `" in result.stderr and f"source {env.path}/bin/activate" in \
        result.stderr, result.describe()
    # With the environment's bin first on PATH (activated), nothing to say.
    import os

    activated = {"PATH": f"{env.bin}{os.pathsep}{os.environ['PATH']}"}
    quiet = spoke("install", "--force-reinstall", "noted", "--python", str(env.python), "-i", server.simple_url,
                  env=activated)
    assert "not this environment's" not in quiet.stderr, quiet.describe()


def test_a_python_version_asked_for_is_named_on_the_first_line(spoke, index, tmp_path) -> None:
    import sys

    from tests.support.packages import Pkg as _Pkg

    server = index(_Pkg("where", "1.0"))
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    result = spoke("install", "--python", version, "--target", str(tmp_path / "out"), "-i", server.simple_url,
                   "where", check=False)
    assert result.returncode == 0, result.describe()
    first = result.stderr.splitlines()[0]
    assert first.startswith("Using ") and f"(Python {version}." in first, result.stderr
