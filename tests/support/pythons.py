"""Find real interpreters of given versions on this machine (pyenv shims are not enough)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess


def find_python(version: str) -> str | None:
    """The path of a working ``python{version}`` (not a pyenv shim that refuses), or None."""
    candidates = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python{version}")))
    which = shutil.which(f"python{version}")
    if which:
        candidates.append(which)
    candidates.append(f"/usr/bin/python{version}")
    for path in candidates:
        if not os.path.exists(path):
            continue
        probe = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return path
    return None


def base_interpreter(python: str) -> str:
    """The non-venv interpreter behind ``python`` (its ``sys.base_prefix`` one)."""
    out = subprocess.run(
        [python, "-c", "import sys, os; print(os.path.join(sys.base_prefix, 'bin', 'python3'))"],
        capture_output=True, text=True, check=True,
    )
    return out.stdout.strip()
