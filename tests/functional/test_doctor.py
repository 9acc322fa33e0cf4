"""``spoke doctor`` (issue 18): each check with a case that trips it, text and JSON."""

from __future__ import annotations

import json
import os

from tests.support.packages import Pkg


def test_each_check_trips_and_json_lists_them(spoke, index, venv, tmp_path) -> None:
    server = index(Pkg("web", "1.0", deps=("tool>=2",)), Pkg("tool", "2.0"), Pkg("tool", "1.0"),
                   Pkg("shadowme", "1.0"))
    env = venv()
    py = ("--python", str(env.python), "-i", server.simple_url)
    spoke("install", *py, "web", "shadowme")
    clean = spoke("doctor", *py, "--no-network", cwd=tmp_path)
    assert "0 error(s)" in clean.stdout and clean.returncode == 0, clean.describe()
    # Break things: a requirement, a duplicate dist-info, a stale .pth, a shadowing file, a dead .venv.
    spoke("install", *py, "tool==1.0", "--no-deps")
    broken = spoke("doctor", *py, "--no-network", cwd=tmp_path, check=False)
    assert broken.returncode == 1 and "web 1.0 has requirement tool>=2, but you have tool 1.0." in broken.stdout
    site = env.site_packages
    (site / "web-0.9.dist-info").mkdir()
    (site / "web-0.9.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: web\nVersion: 0.9\n")
    (site / "gone.pth").write_text(str(tmp_path / "moved-away") + "\n")
    work = tmp_path / "project"
    work.mkdir()
    (work / "shadowme.py").write_text("x = 1\n")
    (work / ".venv" / "bin").mkdir(parents=True)
    (work / ".venv" / "pyvenv.cfg").write_text("home = /nowhere\n")
    os.symlink("/nowhere/python3", work / ".venv" / "bin" / "python")
    sick = spoke("doctor", *py, "--no-network", cwd=work, check=False)
    out = sick.stdout
    assert sick.returncode == 1, sick.describe()
    assert "web is installed twice" in out
    assert "gone.pth points at" in out
    assert "shadowme.py shadows the installed module `shadowme`" in out
    assert ".venv's interpreter" in out and "spoke venv --clear" in out
    data = json.loads(spoke("doctor", *py, "--no-network", "--format", "json", cwd=work, check=False).stdout)
    checks = {f["check"] for f in data["findings"] if f["level"] != "info"}
    assert {"installed", "pth", "shadowing", "venv", "path"} <= checks
    assert data["summary"]["error"] >= 2 and all(f["fix"] for f in data["findings"] if f["level"] == "error")


def test_an_unreachable_index_is_an_error(spoke, venv, tmp_path) -> None:
    env = venv()
    result = spoke("doctor", "--python", str(env.python), "-i", "http://127.0.0.1:9/simple/", "--retries", "0",
                   "--timeout", "2", check=False, cwd=tmp_path)
    assert result.returncode == 1 and "http://127.0.0.1:9/simple/ cannot be reached" in result.stdout
