"""spoke.installer.uninstall: plans and removals from RECORD and installed-files.txt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from spoke.cache import Cache
from spoke.errors import UninstallError
from spoke.installer import install_wheel, plan_uninstall, uninstall
from spoke.models import Scheme
from spoke.prepare.unpack import unpack_wheel
from tests.unit.wheelmaker import make_wheel

FILES = {
    "demo/__init__.py": "VALUE = 1\n",
    "demo/sub/deep.py": "X = 1\n",
    "demo_mod.py": "Y = 2\n",
    "{data_dir}/scripts/tool": "#!python\nprint(1)\n",
    "{data_dir}/headers/demo.h": "#define D\n",
    "{data_dir}/data/share/demo/a/b.txt": "b\n",
}


def make_scheme(root: Path) -> Scheme:
    site = root / "lib" / "site-packages"
    return Scheme(purelib=site, platlib=site, scripts=root / "bin", data=root, headers=root / "include" / "site")


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def env(tmp_path: Path) -> tuple[Path, Scheme]:
    root = tmp_path / "env"
    scheme = make_scheme(root)
    for folder in (scheme.purelib, scheme.scripts):
        folder.mkdir(parents=True)
    (scheme.scripts / "python").write_text("not really python")  # a neighbour that must stay
    (scheme.purelib / "other.py").write_text("neighbour\n")
    return root, scheme


@pytest.fixture
def installed(tmp_path: Path, env: tuple[Path, Scheme]) -> Path:
    _root, scheme = env
    src = tmp_path / "src"
    src.mkdir()
    wheel = make_wheel(src, files=FILES, entry_points="[console_scripts]\ndemo-cli = demo:main\n")
    unpacked = unpack_wheel(wheel, cache=Cache.open(tmp_path / "cache"))
    return install_wheel(unpacked, scheme=scheme, interpreter_path=Path(sys.executable), requested=True).dist_info


def test_uninstall_removes_everything_and_empty_folders(env: tuple[Path, Scheme], installed: Path) -> None:
    root, scheme = env
    before_install = {"bin", "bin/python", "lib", "lib/site-packages", "lib/site-packages/other.py"}
    pycache = scheme.purelib / "demo" / "__pycache__"
    pycache.mkdir()
    (pycache / "__init__.cpython-311.pyc").write_bytes(b"pyc")
    (pycache / "__init__.cpython-311.opt-1.pyc").write_bytes(b"pyc")
    (scheme.purelib / "__pycache__").mkdir()
    (scheme.purelib / "__pycache__" / "demo_mod.cpython-311.pyc").write_bytes(b"pyc")
    (scheme.purelib / "__pycache__" / "other.cpython-311.pyc").write_bytes(b"keep")
    removed = uninstall(installed, roots=[root])
    assert snapshot(root) == before_install | {
        "lib/site-packages/__pycache__",
        "lib/site-packages/__pycache__/other.cpython-311.pyc",
    }
    assert removed.name == "demo"
    assert root / "bin/demo-cli" in removed.files
    assert pycache / "__init__.cpython-311.opt-1.pyc" in removed.files
    assert scheme.purelib / "demo/sub" in removed.dirs and installed in removed.dirs
    assert root / "include" in removed.dirs and root / "share" in removed.dirs
    # deepest first
    assert removed.dirs.index(scheme.purelib / "demo/sub") < removed.dirs.index(scheme.purelib / "demo")
    assert list(removed) == list(removed.files) + list(removed.dirs)


def test_plan_changes_nothing_and_matches_the_removal(env: tuple[Path, Scheme], installed: Path) -> None:
    root, _ = env
    before = snapshot(root)
    plan = plan_uninstall(installed, roots=[root])
    assert snapshot(root) == before
    assert all(p.exists() for p in plan)
    done = uninstall(installed, roots=[root])
    assert done == plan
    assert not any(p.exists() for p in plan)


def test_folders_with_foreign_files_stay(env: tuple[Path, Scheme], installed: Path) -> None:
    root, scheme = env
    (scheme.purelib / "demo" / "user-notes.txt").write_text("mine")
    removed = uninstall(installed, roots=[root])
    assert (scheme.purelib / "demo" / "user-notes.txt").exists()
    assert not (scheme.purelib / "demo" / "__init__.py").exists()
    assert scheme.purelib / "demo" not in removed.dirs
    assert not (scheme.purelib / "demo" / "sub").exists()


def test_record_path_outside_roots_refused(env: tuple[Path, Scheme], installed: Path, tmp_path: Path) -> None:
    root, _ = env
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    with open(installed / "RECORD", "a") as fh:
        fh.write(f"{os.path.relpath(victim, installed.parent)},,\n")
    before = snapshot(root)
    with pytest.raises(UninstallError) as err:
        uninstall(installed, roots=[root])
    assert "outside the environment" in err.value.message
    assert any(str(victim) in n for n in err.value.notes)
    assert victim.read_text() == "precious"
    assert snapshot(root) == before


def test_absolute_record_path_outside_roots_refused(env: tuple[Path, Scheme], installed: Path, tmp_path: Path) -> None:
    root, _ = env
    with open(installed / "RECORD", "a") as fh:
        fh.write(f"{tmp_path / 'elsewhere.py'},,\n")
    with pytest.raises(UninstallError):
        plan_uninstall(installed, roots=[root])


def test_symlinked_parent_escaping_roots_refused(env: tuple[Path, Scheme], installed: Path, tmp_path: Path) -> None:
    root, scheme = env
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f.py").write_text("x")
    (scheme.purelib / "sneaky").symlink_to(outside)
    with open(installed / "RECORD", "a") as fh:
        fh.write("sneaky/f.py,,\n")
    with pytest.raises(UninstallError):
        uninstall(installed, roots=[root])
    assert (outside / "f.py").exists()


def test_no_record_is_an_error_with_hint(tmp_path: Path) -> None:
    dist_info = tmp_path / "site" / "nore-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Name: nore\n")
    with pytest.raises(UninstallError) as err:
        uninstall(dist_info, roots=[tmp_path])
    assert err.value.message == "Cannot uninstall nore: no RECORD file"
    assert err.value.hint and "--force-reinstall" in err.value.hint
    assert (dist_info / "METADATA").exists()


def test_legacy_egg_info_with_installed_files(tmp_path: Path) -> None:
    site = tmp_path / "lib" / "site-packages"
    egg = site / "legacy-1.0-py3.11.egg-info"
    (site / "legacy").mkdir(parents=True)
    egg.mkdir()
    (site / "legacy" / "__init__.py").write_text("")
    (site / "other.py").write_text("")
    (egg / "PKG-INFO").write_text("Name: legacy\n")
    (egg / "entry_points.txt").write_text("[console_scripts]\nlegacy-cli = legacy:main\n")
    (egg / "installed-files.txt").write_text("../legacy/__init__.py\nPKG-INFO\nentry_points.txt\ninstalled-files.txt\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "legacy-cli").write_text("#!/bin/sh\n")
    (bin_dir / "python").write_text("")
    removed = uninstall(egg, roots=[tmp_path], scripts_dir=bin_dir)
    assert removed.name == "legacy"
    assert snapshot(tmp_path) == {"lib", "lib/site-packages", "lib/site-packages/other.py", "bin", "bin/python"}


def test_distutils_egg_info_without_list_refused(tmp_path: Path) -> None:
    egg = tmp_path / "old-1.0-py3.11.egg-info"
    egg.write_text("Name: old\n")  # distutils wrote a single file
    with pytest.raises(UninstallError, match="without a file list"):
        plan_uninstall(egg, roots=[tmp_path])
    assert egg.exists()


def test_not_a_metadata_folder(tmp_path: Path) -> None:
    with pytest.raises(UninstallError, match="not a .dist-info"):
        plan_uninstall(tmp_path / "thing", roots=[tmp_path])


def test_missing_files_are_skipped(env: tuple[Path, Scheme], installed: Path) -> None:
    root, scheme = env
    (scheme.purelib / "demo_mod.py").unlink()
    plan = plan_uninstall(installed, roots=[root])
    assert scheme.purelib / "demo_mod.py" not in plan.files
    uninstall(installed, roots=[root])
    assert not installed.exists()


def test_roots_and_site_are_never_removed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist_info = site / "only-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (site / "only.py").write_text("")
    (dist_info / "RECORD").write_text("only.py,,\nonly-1.0.dist-info/RECORD,,\n./,,\n")
    removed = uninstall(dist_info, roots=[site])
    assert site.is_dir() and list(site.iterdir()) == []
    assert site not in removed.dirs
