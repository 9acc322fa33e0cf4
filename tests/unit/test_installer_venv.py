"""Install into a real virtual environment; check what importlib.metadata and pip see.

The venv is made once for the module, without pip (fast); pip runs *inside* it from the
wheel bundled with ensurepip (``python pip.whl/pip ...``), so it inspects the venv itself.
Host pip configuration is neutralized: no test depends on /etc/xdg/pip or PIP_* variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spoke.cache import Cache
from spoke.installer import compile_bytecode, install_wheel, uninstall
from spoke.models import Scheme
from spoke.prepare.unpack import unpack_wheel
from tests.unit.wheelmaker import make_wheel


def _bundled_pip() -> Path | None:
    import ensurepip

    found = sorted((Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))
    return found[-1] if found else None


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    pip_wheel = _bundled_pip()
    if pip_wheel is None:
        pytest.skip("ensurepip has no bundled pip wheel")
    root = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    paths = json.loads(subprocess.run(
        [str(python), "-c", "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout)
    scheme = Scheme(
        purelib=Path(paths["purelib"]), platlib=Path(paths["platlib"]), scripts=Path(paths["scripts"]),
        data=Path(paths["data"]), headers=root / "include" / "site" / "python3",
    )
    return {"root": root, "python": python, "scheme": scheme, "pip": pip_wheel}


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def pip(venv: dict[str, object], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv["python"]), f"{venv['pip']}/pip", *args],
        capture_output=True, text=True, env=clean_env(), timeout=120,
    )


def run_python(venv: dict[str, object], code: str) -> str:
    out = subprocess.run([str(venv["python"]), "-c", code], capture_output=True, text=True, env=clean_env(), timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_installed_wheel_is_seen_by_importlib_and_pip(tmp_path: Path, venv: dict[str, object]) -> None:
    scheme: Scheme = venv["scheme"]  # type: ignore[assignment]
    src = tmp_path / "src"
    src.mkdir()
    wheel = make_wheel(
        src,
        name="venvdemo",
        version="2.1",
        files={
            "venvdemo/__init__.py": "def main():\n    print('venvdemo says hi')\n",
            "{data_dir}/scripts/venvdemo-raw": "#!python\nimport venvdemo; venvdemo.main()\n",
        },
        entry_points="[console_scripts]\nvenvdemo = venvdemo:main\n",
        metadata=(
            "Metadata-Version: 2.1\nName: venvdemo\nVersion: 2.1\nSummary: venv test\n"
            "Requires-Dist: missing-dependency-xyz\n"
        ),
    )
    unpacked = unpack_wheel(wheel, cache=Cache.open(tmp_path / "cache"))
    result = install_wheel(
        unpacked, scheme=scheme, interpreter_path=Path(str(venv["python"])), requested=True,
        direct_url=json.dumps({"url": wheel.as_uri(), "archive_info": {}}),
    )

    # importlib.metadata: the distribution, its files (every one exists and matches its hash)
    checked = json.loads(
        run_python(
            venv,
            (
                "import base64, hashlib, json, importlib.metadata as m\n"
                "d = m.distribution('venvdemo')\n"
                "bad = []\n"
                "for f in d.files:\n"
                "    p = f.locate()\n"
                "    if not p.exists(): bad.append(str(f)); continue\n"
                "    if f.hash:\n"
                "        h = hashlib.new(f.hash.mode, p.read_bytes()).digest()\n"
                "        h = base64.urlsafe_b64encode(h).rstrip(b'=').decode()\n"
                "        if h != f.hash.value or f.size != p.stat().st_size: bad.append(str(f))\n"
                "print(json.dumps({'version': d.version, 'n': len(d.files), 'bad': bad,\n"
                "  'installer': d.read_text('INSTALLER'), 'eps': [e.name for e in d.entry_points]}))\n"
            ),
        )
    )
    assert checked == {"version": "2.1", "n": len(result.paths), "bad": [], "installer": "spoke\n", "eps": ["venvdemo"]}

    # the scripts run with the venv's interpreter, without any PYTHONPATH help
    for script in ("venvdemo", "venvdemo-raw"):
        out = subprocess.run(
            [str(scheme.scripts / script)], capture_output=True, text=True, env=clean_env(), timeout=60
        )
        assert out.stdout == "venvdemo says hi\n", out.stderr

    show = pip(venv, "show", "-f", "venvdemo")
    assert show.returncode == 0, show.stderr
    assert "Name: venvdemo" in show.stdout and "Version: 2.1" in show.stdout
    assert f"Location: {scheme.purelib}" in show.stdout
    assert "../../../bin/venvdemo" in show.stdout
    check = pip(venv, "check")
    assert check.returncode == 1
    assert "venvdemo 2.1 requires missing-dependency-xyz, which is not installed." in check.stdout

    assert compile_bytecode([scheme.purelib / "venvdemo"], Path(str(venv["python"]))) is True
    assert list((scheme.purelib / "venvdemo" / "__pycache__").glob("__init__.cpython-*.pyc"))

    removed = uninstall(result.dist_info, roots=[Path(str(venv["root"]))])
    assert not (scheme.purelib / "venvdemo").exists()
    assert not (scheme.scripts / "venvdemo").exists()
    assert scheme.purelib.is_dir() and (scheme.scripts / "python").exists()
    assert any(p.suffix == ".pyc" for p in removed.files)
    gone = pip(venv, "show", "venvdemo")
    assert gone.returncode == 1
    assert pip(venv, "check").returncode == 0
