"""spoke.installer.install: linking an unpacked wheel into a scheme, scripts and RECORD."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from spoke.cache import Cache
from spoke.errors import ConfigurationError, InstallError, MetadataError, UnsafeArchiveError
from spoke.installer import InstalledFiles, compile_bytecode, install_wheel
from spoke.installer.scripts import launcher_script, parse_entry_points, rewrite_shebang, shebang
from spoke.models import Scheme, UnpackedWheel
from spoke.prepare.unpack import unpack_wheel
from tests.unit.wheelmaker import make_wheel, record_hash

ENTRY_POINTS = """
[console_scripts]
demo-cli = demo.cli:main
demo-nested = demo.cli:Group.run

[gui_scripts]
demo-gui = demo.cli:main

[other.group]
ignored = demo:thing
"""

FILES = {
    "demo/__init__.py": "VALUE = 1\n",
    "demo/cli.py": (
        "import sys\n"
        "def main():\n    print('hello from demo', sys.argv[1:])\n    return 0\n"
        "class Group:\n    @staticmethod\n    def run():\n        print('nested')\n        return 3\n"
    ),
    "{data_dir}/scripts/rewritten": "#!python\nimport sys\nprint('rewritten', sys.executable)\n",
    "{data_dir}/scripts/plain.sh": "#!/bin/sh\necho plain\n",
    "{data_dir}/scripts/noexec.sh": "#!/bin/sh\necho noexec\n",
    "{data_dir}/headers/demo.h": "#define DEMO 1\n",
    "{data_dir}/data/share/demo/readme.txt": "data file\n",
    "{data_dir}/purelib/demo_extra.py": "EXTRA = 2\n",
}


def make_scheme(root: Path) -> Scheme:
    site = root / "lib" / "site-packages"
    return Scheme(
        purelib=site, platlib=site, scripts=root / "bin", data=root,
        headers=root / "include" / "site" / "python3",
    )


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache.open(tmp_path / "cache")


@pytest.fixture
def demo(tmp_path: Path, cache: Cache) -> UnpackedWheel:
    src = tmp_path / "src"
    src.mkdir()
    wheel = make_wheel(
        src, files=FILES, entry_points=ENTRY_POINTS,
        executable=["{data_dir}/scripts/rewritten", "{data_dir}/scripts/plain.sh"],
    )
    return unpack_wheel(wheel, cache=cache)


def read_record(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


def test_install_lays_out_every_kind_of_file(tmp_path: Path, demo: UnpackedWheel) -> None:
    env = tmp_path / "env"
    scheme = make_scheme(env)
    result = install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=True)
    site = scheme.purelib
    assert isinstance(result, InstalledFiles)
    assert result.dist_info == site / "demo-1.0.dist-info"
    assert result.paths[-1] == str(result.dist_info / "RECORD")
    assert (site / "demo/__init__.py").read_text() == "VALUE = 1\n"
    assert (site / "demo_extra.py").read_text() == "EXTRA = 2\n"
    assert (env / "include/site/python3/demo/demo.h").read_text() == "#define DEMO 1\n"
    assert (env / "share/demo/readme.txt").read_text() == "data file\n"
    assert not (site / "demo-1.0.data").exists()
    dist_info = result.dist_info
    assert (dist_info / "INSTALLER").read_text() == "spoke\n"
    assert (dist_info / "REQUESTED").read_bytes() == b""
    assert not (dist_info / "direct_url.json").exists()
    assert (dist_info / "METADATA").exists() and (dist_info / "entry_points.txt").exists()
    assert sorted(p.name for p in site.iterdir()) == ["demo", "demo-1.0.dist-info", "demo_extra.py"]
    # Every file the wheel and its entry points call for, named here rather than read back from
    # the disk: a file missing, extra (the [other.group] entry point is no script) or written
    # but left out of the result fails.
    expected = {
        "bin/demo-cli", "bin/demo-gui", "bin/demo-nested", "bin/noexec.sh", "bin/plain.sh", "bin/rewritten",
        "include/site/python3/demo/demo.h", "share/demo/readme.txt",
        "lib/site-packages/demo/__init__.py", "lib/site-packages/demo/cli.py", "lib/site-packages/demo_extra.py",
        *(f"lib/site-packages/demo-1.0.dist-info/{name}"
          for name in ("INSTALLER", "METADATA", "RECORD", "REQUESTED", "WHEEL", "entry_points.txt")),
    }
    assert {Path(p).relative_to(env).as_posix() for p in result.paths} == expected
    assert {p.relative_to(env).as_posix() for p in env.rglob("*") if p.is_file()} == expected


def test_files_are_hardlinks_except_written_ones(tmp_path: Path, demo: UnpackedWheel) -> None:
    scheme = make_scheme(tmp_path / "env")
    result = install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=False)
    site = scheme.purelib

    def same(a: Path, b: Path) -> bool:
        return os.stat(a).st_ino == os.stat(b).st_ino

    assert same(site / "demo/cli.py", demo.root / "demo/cli.py")
    assert same(site / "demo-1.0.dist-info/METADATA", demo.root / "demo-1.0.dist-info/METADATA")
    assert same(scheme.scripts / "plain.sh", demo.root / "demo-1.0.data/scripts/plain.sh")
    assert not same(scheme.scripts / "rewritten", demo.root / "demo-1.0.data/scripts/rewritten")
    assert not same(scheme.scripts / "noexec.sh", demo.root / "demo-1.0.data/scripts/noexec.sh")
    assert not same(site / "demo-1.0.dist-info/RECORD", demo.root / "demo-1.0.dist-info/RECORD")
    assert (demo.root / "demo-1.0.data/scripts/rewritten").read_text().startswith("#!python\n")
    assert not (site / "demo-1.0.dist-info/REQUESTED").exists()
    assert result.linked == 9  # 5 package/data files, 1 script, METADATA, WHEEL, entry_points.txt


def test_record_lists_every_file_with_correct_hashes(tmp_path: Path, demo: UnpackedWheel) -> None:
    scheme = make_scheme(tmp_path / "env")
    result = install_wheel(
        demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=True,
        direct_url='{"url": "file:///x.whl", "archive_info": {}}',
    )
    site = scheme.purelib
    rows = read_record(result.dist_info / "RECORD")
    by_path = {r[0]: r for r in rows}
    assert len(by_path) == len(rows) == len(result.paths)
    assert by_path["demo-1.0.dist-info/RECORD"] == ["demo-1.0.dist-info/RECORD", "", ""]
    assert "../../bin/demo-cli" in by_path
    assert "../../include/site/python3/demo/demo.h" in by_path
    assert "../../share/demo/readme.txt" in by_path
    assert "demo-1.0.dist-info/direct_url.json" in by_path
    assert {os.path.normpath(site / p) for p in by_path} == {str(p) for p in result.paths}
    for path, hash_, size in rows:
        if path.endswith("/RECORD"):
            continue
        data = (site / path).read_bytes()
        assert hash_ == record_hash(data), path
        assert int(size) == len(data), path
    assert (result.dist_info / "direct_url.json").read_text() == '{"url": "file:///x.whl", "archive_info": {}}'


def test_console_script_runs(tmp_path: Path, demo: UnpackedWheel) -> None:
    scheme = make_scheme(tmp_path / "env")
    install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=True)
    script = scheme.scripts / "demo-cli"
    assert stat.S_IMODE(os.stat(script).st_mode) == 0o755
    assert script.read_text().startswith(f"#!{sys.executable}\n")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(scheme.purelib)}
    out = subprocess.run([str(script), "a", "b"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello from demo ['a', 'b']\n"
    nested = subprocess.run([str(scheme.scripts / "demo-nested")], capture_output=True, text=True, env=env, timeout=60)
    assert (nested.returncode, nested.stdout) == (3, "nested\n")
    assert (scheme.scripts / "demo-gui").exists()
    assert not (scheme.scripts / "ignored").exists()


def test_data_script_shebang_rewritten(tmp_path: Path, demo: UnpackedWheel) -> None:
    scheme = make_scheme(tmp_path / "env")
    install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=True)
    script = scheme.scripts / "rewritten"
    assert script.read_text() == f"#!{sys.executable}\nimport sys\nprint('rewritten', sys.executable)\n"
    assert stat.S_IMODE(os.stat(script).st_mode) == 0o755
    out = subprocess.run([str(script)], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("rewritten ")
    assert os.stat(scheme.scripts / "noexec.sh").st_mode & stat.S_IXUSR
    assert not os.stat(demo.root / "demo-1.0.data/scripts/noexec.sh").st_mode & stat.S_IXUSR


def test_interpreter_path_with_spaces_uses_sh_trick(tmp_path: Path, demo: UnpackedWheel) -> None:
    spaced = tmp_path / "my python" / "python"
    spaced.parent.mkdir()
    spaced.symlink_to(sys.executable)
    scheme = make_scheme(tmp_path / "env")
    install_wheel(demo, scheme=scheme, interpreter_path=spaced, requested=True)
    text = (scheme.scripts / "demo-cli").read_text()
    assert text.startswith("#!/bin/sh\n'''exec' ")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(scheme.purelib)}
    out = subprocess.run([str(scheme.scripts / "demo-cli"), "x y"], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout == "hello from demo ['x y']\n", out.stderr
    rewritten = subprocess.run([str(scheme.scripts / "rewritten")], capture_output=True, text=True, env=env, timeout=60)
    assert rewritten.stdout.startswith("rewritten "), rewritten.stderr


def test_shebang_rules() -> None:
    assert shebang("/usr/bin/python3") == b"#!/usr/bin/python3\n"
    long_path = "/x" * 70
    assert shebang(long_path).startswith(b"#!/bin/sh\n")
    assert rewrite_shebang(b"#!pythonw -E\nprint(1)\n", "/py") == b"#!/py\nprint(1)\n"
    assert rewrite_shebang(b"#!/bin/sh\necho\n", "/py") == b"#!/bin/sh\necho\n"
    assert rewrite_shebang(b"#!python", "/py") == b"#!/py\n"


def test_launcher_text() -> None:
    (entry,) = parse_entry_points("[console_scripts]\nCaps-Name = pkg.mod:obj.attr [extra]\n")
    assert (entry.name, entry.module, entry.attr) == ("Caps-Name", "pkg.mod", "obj.attr")
    text = launcher_script(entry, "/py").decode()
    assert "from pkg.mod import obj\n" in text and "sys.exit(obj.attr())" in text


@pytest.mark.parametrize("name", ["../evil", "sub/evil", ".."])
def test_entry_point_names_cannot_escape(name: str) -> None:
    with pytest.raises(UnsafeArchiveError, match="not a plain file name"):
        parse_entry_points(f"[console_scripts]\n{name} = pkg:main\n")


def test_entry_point_without_callable_refused() -> None:
    with pytest.raises(MetadataError, match="callable"):
        parse_entry_points("[console_scripts]\ntool = pkg\n")


def test_platlib_wheel_goes_to_platlib(tmp_path: Path, cache: Cache) -> None:
    src = tmp_path / "src"
    src.mkdir()
    unpacked = unpack_wheel(make_wheel(src, purelib=False), cache=cache)
    root = tmp_path / "env"
    scheme = Scheme(purelib=root / "pure", platlib=root / "plat", scripts=root / "bin", data=root, headers=root / "inc")
    result = install_wheel(unpacked, scheme=scheme, interpreter_path=Path(sys.executable), requested=False)
    assert (root / "plat/demo/__init__.py").exists() and not (root / "pure").exists()
    assert result.dist_info == root / "plat/demo-1.0.dist-info"


def test_unknown_data_key_refused(tmp_path: Path, cache: Cache) -> None:
    src = tmp_path / "src"
    src.mkdir()
    unpacked = unpack_wheel(make_wheel(src, files={"{data_dir}/bogus/x": "x"}), cache=cache)
    scheme = make_scheme(tmp_path / "env")
    with pytest.raises(MetadataError, match="unknown `.data` folder `bogus`"):
        install_wheel(unpacked, scheme=scheme, interpreter_path=Path(sys.executable), requested=False)
    assert not (tmp_path / "env").exists()


def test_copy_mode_and_unknown_mode(tmp_path: Path, demo: UnpackedWheel) -> None:
    scheme = make_scheme(tmp_path / "env")
    result = install_wheel(
        demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=False, link_mode="copy"
    )
    assert result.linked == 0
    site_file = scheme.purelib / "demo/cli.py"
    assert os.stat(site_file).st_ino != os.stat(demo.root / "demo/cli.py").st_ino
    assert site_file.read_bytes() == (demo.root / "demo/cli.py").read_bytes()
    assert os.stat(scheme.scripts / "plain.sh").st_mode & stat.S_IXUSR
    with pytest.raises(ConfigurationError, match="Unknown link mode"):
        install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=False, link_mode="symlink")


def _other_device_dir(tmp_path: Path) -> Path | None:
    """A folder on another filesystem than ``tmp_path`` (for EXDEV), or None."""
    for candidate in ("/dev/shm",):
        if (
            os.path.isdir(candidate)
            and os.access(candidate, os.W_OK)
            and os.stat(candidate).st_dev != os.stat(tmp_path).st_dev
        ):
            return Path(candidate)
    return None


@pytest.fixture
def foreign_env(tmp_path: Path):  # type: ignore[no-untyped-def]
    import tempfile

    base = _other_device_dir(tmp_path)
    if base is None:
        pytest.skip("no second filesystem to test cross-device links")
    folder = Path(tempfile.mkdtemp(dir=base, prefix="spoke-test-"))
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def test_auto_falls_back_to_copy_across_filesystems(foreign_env: Path, demo: UnpackedWheel) -> None:
    scheme = make_scheme(foreign_env / "env")
    result = install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=False)
    assert result.linked == 0
    assert (scheme.purelib / "demo/cli.py").read_bytes() == (demo.root / "demo/cli.py").read_bytes()
    assert os.stat(scheme.scripts / "plain.sh").st_mode & stat.S_IXUSR
    with pytest.raises(InstallError, match="Cannot hard-link") as err:
        install_wheel(demo, scheme=make_scheme(foreign_env / "env2"), interpreter_path=Path(sys.executable),
                      requested=False, link_mode="hardlink")
    assert "--link-mode=copy" in (err.value.hint or "")
    assert not (foreign_env / "env2/lib/site-packages/demo-1.0.dist-info").exists()


def test_missing_cache_file_is_an_error_not_a_copy(tmp_path: Path, demo: UnpackedWheel) -> None:
    scheme = make_scheme(tmp_path / "env")
    # A fake cache file that cannot be linked: a path through a missing folder behaves like
    # an unlinkable source (ENOENT), which must never be mistaken for "fall back to copy".
    broken = UnpackedWheel(
        name=demo.name, version=demo.version, filename=demo.filename, root=tmp_path / "gone",
        dist_info=demo.dist_info, data_dir=demo.data_dir, root_is_purelib=True,
        record=(("demo/__init__.py", "sha256=x", 1),),
    )
    for mode in ("hardlink", "auto"):
        with pytest.raises(InstallError, match="Cannot install demo"):
            install_wheel(broken, scheme=scheme, interpreter_path=Path(sys.executable), requested=False, link_mode=mode)
    assert not (scheme.purelib / "demo-1.0.dist-info").exists()
    assert [p.name for p in scheme.purelib.iterdir() if p.name.startswith(".")] == []


def test_reinstall_replaces_without_touching_the_cache(tmp_path: Path, demo: UnpackedWheel) -> None:
    scheme = make_scheme(tmp_path / "env")
    install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=False, link_mode="copy")
    (scheme.purelib / "demo/__init__.py").write_text("LOCAL EDIT\n")
    (scheme.purelib / "demo-1.0.dist-info/stale").write_text("old")
    result = install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=True)
    assert (scheme.purelib / "demo/__init__.py").read_text() == "VALUE = 1\n"
    assert not (result.dist_info / "stale").exists()
    assert (result.dist_info / "REQUESTED").exists()
    # Now a linked install, then a copy over it: the cache must keep its content.
    install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=True, link_mode="copy")
    assert (demo.root / "demo/__init__.py").read_text() == "VALUE = 1\n"
    assert [p.name for p in scheme.purelib.iterdir() if p.name.startswith(".")] == []


def test_compile_bytecode(tmp_path: Path, demo: UnpackedWheel) -> None:
    scheme = make_scheme(tmp_path / "env")
    install_wheel(demo, scheme=scheme, interpreter_path=Path(sys.executable), requested=False)
    (scheme.purelib / "demo/broken.py").write_text("def (:\n")
    ok = compile_bytecode([scheme.purelib / "demo/cli.py", scheme.purelib / "demo_extra.py"], Path(sys.executable))
    assert ok is True
    cached = sorted(p.name for p in (scheme.purelib / "demo/__pycache__").iterdir())
    assert len(cached) == 1 and cached[0].startswith("cli.")
    assert compile_bytecode([scheme.purelib], Path(sys.executable)) is False  # broken.py
    assert any(p.name.startswith("__init__.") for p in (scheme.purelib / "demo/__pycache__").iterdir())
    with pytest.raises(InstallError):
        compile_bytecode([scheme.purelib], tmp_path / "no-such-python")
    assert compile_bytecode([], Path(sys.executable)) is True
