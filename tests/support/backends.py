"""Real build backends for tests: their wheels, downloaded once, and build environments made of them.

:func:`backend_wheels` fills ``tests/.backend-wheels/`` (gitignored) with pinned wheels of
setuptools, wheel, hatchling (and its dependencies), flit-core, pdm-backend and poetry-core,
downloaded from PyPI once with ``pip download`` (through the machine's pip configuration, so a
mirror set up there is used) and reused by every later run. A file lock makes concurrent
pytest-xdist workers wait for one download; the folder appears complete or not at all.
Functional tests can pass the folder as ``--find-links`` to build projects with isolation.

:class:`VenvBuildEnv` is a :class:`spoke.pep517.BuildEnv` for tests: a venv without pip that
the test interpreter's pip (``pip --python``) fills from that folder only, with the host's pip
configuration shut out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "BACKEND_PINS",
    "BACKEND_WHEELS",
    "PURE_PINS",
    "VenvBuildEnv",
    "backend_wheels",
    "host_pip_environ",
    "isolated_pip_environ",
]

#: Pinned wheels: the newest releases that still support Python 3.8, so functional tests can
#: build for old targets too. tomli is hatchling's dependency below Python 3.11; editables is
#: what hatchling's ``get_requires_for_build_editable`` may add.
BACKEND_PINS: tuple[str, ...] = (
    "setuptools==75.3.2",
    "wheel==0.45.1",
    "hatchling==1.27.0",
    "packaging==24.2",
    "pathspec==0.12.1",
    "pluggy==1.5.0",
    "trove-classifiers==2025.5.9.12",
    "tomli==2.2.1",
    "editables==0.5",
    "flit-core==3.10.1",
    "pdm-backend==2.4.3",
    "poetry-core==1.9.1",
)

#: Pins that the test interpreter gets as a compiled wheel, fetched again as the pure-Python
#: wheel that the older targets (3.8-3.10, which need tomli) can install.
PURE_PINS: tuple[str, ...] = ("tomli==2.2.1",)

#: The persistent folder of backend wheels (gitignored).
BACKEND_WHEELS = Path(__file__).resolve().parents[1] / ".backend-wheels"

_COMPLETE = "COMPLETE"
_PROBE_URL = "https://pypi.org/simple/pip/"


def backend_wheels(folder: Path = BACKEND_WHEELS, *, python: str = sys.executable) -> Path:
    """The folder of :data:`BACKEND_PINS` wheels, downloading them the first time.

    The download is for ``python`` (the test interpreter); the backends are pure Python. Raises
    :class:`RuntimeError` with pip's output when the download fails; :func:`pytest_backend_wheels`
    turns that into a skip when PyPI cannot be reached at all.
    """
    from filelock import FileLock

    folder = Path(folder)
    wanted = "\n".join(BACKEND_PINS + PURE_PINS) + "\n"
    if _is_complete(folder, wanted):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.with_name(folder.name + ".lock"))):
        if _is_complete(folder, wanted):  # another worker finished while we waited
            return folder
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
        tmp.chmod(0o755)  # mkdtemp's folder is private; this one is shared with functional tests
        try:
            download = [python, "-m", "pip", "download", "--disable-pip-version-check", "--only-binary", ":all:",
                        "--dest", str(tmp)]
            pure = ["--no-deps", "--python-version", "3.8", "--implementation", "py", "--abi", "none",
                    "--platform", "any"]
            for command in ([*download, *BACKEND_PINS], [*download, *pure, *PURE_PINS]):
                proc = subprocess.run(command, capture_output=True, text=True, env=host_pip_environ(), check=False)
                if proc.returncode != 0:
                    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
                    raise RuntimeError(f"pip download of the backend wheels failed:\n{tail}")
            (tmp / _COMPLETE).write_text(wanted, encoding="utf-8")
            if folder.exists():  # an older pin set, or an interrupted download
                shutil.rmtree(folder)
            os.rename(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def pytest_backend_wheels() -> Path:
    """:func:`backend_wheels` for a fixture: skips (with the reason) when PyPI is unreachable."""
    import pytest

    try:
        return backend_wheels()
    except RuntimeError:
        unreachable = _pypi_unreachable()
        if unreachable is not None:
            pytest.skip(f"backend wheels are not downloaded and {unreachable}")
        raise


def _is_complete(folder: Path, wanted: str) -> bool:
    try:
        return (folder / _COMPLETE).read_text(encoding="utf-8") == wanted
    except OSError:
        return False


def _pypi_unreachable() -> str | None:
    try:
        with urllib.request.urlopen(urllib.request.Request(_PROBE_URL, method="HEAD"), timeout=5):
            return None
    except urllib.error.HTTPError:
        return None
    except (OSError, ValueError) as exc:
        return f"PyPI is unreachable ({exc})"


def host_pip_environ() -> dict[str, str]:
    """The environment for a pip that must reach PyPI as this machine is set up to (mirrors,
    certificates and all): spoke's tests may have pointed pip's config at nothing."""
    return dict(os.environ)


def isolated_pip_environ() -> dict[str, str]:
    """The environment for a pip that must see only the folders on its command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def _venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@dataclass(eq=False)
class VenvBuildEnv:
    """A :class:`spoke.pep517.BuildEnv`: a venv without pip, filled from a local folder of wheels.

    ``install`` runs the test interpreter's pip with ``--python`` (pip >= 22.3) against the
    venv, ``--no-index --find-links WHEELS`` and no host configuration, for the requirements
    that what the venv has does not already satisfy; so one environment with every backend
    can serve many source trees without running pip again. ``installs`` records each pip
    run's requirements.
    """

    root: Path
    wheels: Path
    python: Path
    environ: Mapping[str, str]
    installs: list[tuple[str, ...]] = field(default_factory=list)

    @classmethod
    def create(cls, root: Path, wheels: Path, *, base_python: str = sys.executable) -> VenvBuildEnv:
        """Create the venv at ``root`` (``python -m venv --without-pip``)."""
        root = Path(os.path.abspath(root))
        subprocess.run([base_python, "-m", "venv", "--without-pip", str(root)], check=True, capture_output=True)
        scripts = _venv_python(root).parent
        environ = {
            "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(root),
            "PYTHONNOUSERSITE": "1",
        }
        return cls(root=root, wheels=Path(wheels), python=_venv_python(root), environ=environ)

    def install(self, requirements: Sequence[str]) -> None:
        """Install what of ``requirements`` the venv lacks; raise with pip's output on failure."""
        new = [r for r in requirements if not self.satisfies(r)]
        if not new:
            return
        self.installs.append(tuple(new))
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(self.python), "install", "--no-index",
             "--find-links", str(self.wheels), "--quiet", *new],
            capture_output=True, text=True, env=isolated_pip_environ(), check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pip could not install {new} into {self.root}:\n{proc.stdout}{proc.stderr}")

    def satisfies(self, requirement: str) -> bool:
        """Whether a distribution in the venv satisfies ``requirement`` (markers and extras ignored)."""
        from importlib.metadata import distributions

        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name

        req = Requirement(requirement)
        paths = [str(p) for p in self.root.glob("lib*/python*/site-packages")] + [str(self.root / "Lib/site-packages")]
        for dist in distributions(path=paths):
            if canonicalize_name(dist.metadata["Name"] or "") == canonicalize_name(req.name):
                return req.specifier.contains(dist.version, prereleases=True)
        return False
