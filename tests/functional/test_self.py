"""``spoke self version`` and ``spoke self update`` through the CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.functional.test_sources import build_index, wheels_of_backends  # noqa: F401

REPO = Path(__file__).resolve().parents[2]


def _spoke_wheel(spoke, server, work: Path, version: str) -> Path:  # noqa: ANN001
    """A wheel of this checkout at ``version``, declaring no dependencies (the environment it
    goes into reaches them through a .pth file: the local index does not serve them)."""
    tree = work / f"spoke-{version}"
    if not tree.exists():
        shutil.copytree(REPO / "spoke", tree / "spoke", ignore=shutil.ignore_patterns("__pycache__"))
        text = (REPO / "pyproject.toml").read_text()
        text = re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', text, count=1)
        text = re.sub(r"(?ms)^dependencies = \[.*?^\]\n", "dependencies = []\n", text, count=1)
        (tree / "pyproject.toml").write_text(text)
        (tree / "README.md").write_text("spoke\n")
    out = work / "wheels"
    spoke("build", "--wheel", str(tree), "-o", str(out), "-i", server.simple_url)
    return next(out.glob(f"spoke-{version}-*.whl"))


def test_self_version_and_update(spoke, build_index, venv, tmp_path) -> None:  # noqa: F811
    # The test's own spoke is an editable install: `self update` leaves it alone and says why.
    mine = spoke("self", "version")
    assert mine.stdout.startswith("spoke ") and "editable, from the checkout at" in mine.stderr
    refused = spoke("self", "update", check=1)
    assert "leaves it alone" in refused.stderr and "git pull" in refused.stderr
    bad = spoke("self", "upgrade-everything", check=2)
    assert "spoke self version" in bad.stderr

    server = build_index()
    old = _spoke_wheel(spoke, server, tmp_path, "0.1.0")
    new = _spoke_wheel(spoke, server, tmp_path, "0.1.1")
    env = venv()
    deps = Path(sys.executable).parent.parent / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / \
        "site-packages"
    (env.site_packages / "spoke-deps.pth").write_text(f"{deps}\n")
    spoke("install", "--no-deps", "--python", str(env.python), "spoke==0.1.0", "-i", build_index(old).simple_url)
    run = [str(env.python), "-m", "spoke"]
    # (run from tmp_path: `-m` puts the working folder first on sys.path)
    before = subprocess.run([*run, "self", "version"], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert before.stdout == "spoke 0.1.0\n" and "from a package index" in before.stderr, before.stderr
    index = build_index(new)
    hermetic_env = {"PIP_CONFIG_FILE": "/dev/null", "SPOKE_CONFIG_FILE": "/dev/null", "PATH": "/usr/bin:/bin",
                    "HOME": str(tmp_path / "home"), "SPOKE_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    dry = subprocess.run([*run, "self", "update", "--dry-run", "-i", index.simple_url], capture_output=True,
                         text=True, env=hermetic_env, cwd=tmp_path)
    assert dry.returncode == 0 and "spoke==0.1.1" in dry.stderr, dry.stderr
    updated = subprocess.run([*run, "self", "update", "-i", index.simple_url], capture_output=True, text=True,
                             env=hermetic_env, cwd=tmp_path)
    assert updated.returncode == 0 and "+ spoke==0.1.1" in updated.stderr, updated.stderr
    after = subprocess.run([*run, "self", "version"], capture_output=True, text=True, check=True, env=hermetic_env,
                           cwd=tmp_path)
    assert after.stdout == "spoke 0.1.1\n", after.stderr
    again = subprocess.run([*run, "self", "update", "-i", index.simple_url], capture_output=True, text=True,
                           env=hermetic_env, cwd=tmp_path)
    assert again.returncode == 0 and "spoke 0.1.1 is the newest version" in again.stderr, again.stderr
