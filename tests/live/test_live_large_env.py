"""Strictness must not cost real packages: a large real environment from PyPI installs whole.

Every wheel spoke installs passes the hostile-archive checks of :mod:`spoke.prepare.unpack`
(names, local headers against the central directory, the members tiling the archive, RECORD
hashes and sizes, dist-info against the filename, size and ratio limits). A check that real
build tools trip would show here first: jupyter, scikit-learn, dask and boto3 pull in wheels
made by setuptools, flit, hatchling, poetry, maturin, meson-python and scikit-build.
"""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.live

PYPI = "https://pypi.org/simple/"
REQUIREMENTS = ("jupyter", "scikit-learn", "dask[dataframe]", "boto3")
#: Modules that need compiled extensions, data files and entry points to work.
IMPORTS = (
    "import sklearn.linear_model, numpy, scipy.sparse, pandas, pyarrow, dask.dataframe, "
    "boto3, botocore.session, jupyter_core.paths, notebook, ipykernel, zmq, tornado"
)


def test_large_real_environment_installs_every_wheel(spoke, venv, pip_in) -> None:
    env = venv()
    spoke("install", *REQUIREMENTS, "--python", str(env.python), "-i", PYPI, timeout=600)
    frozen = pip_in(env.python, "freeze", "--all").stdout.split()
    names = {line.split("==")[0].lower() for line in frozen}
    assert {"jupyter", "scikit-learn", "dask", "pandas", "boto3", "botocore", "numpy"} <= names
    assert len(names) >= 80, frozen  # the whole tree, not a handful
    check = pip_in(env.python, "check", check=False)
    assert check.returncode == 0, check.describe()
    run = subprocess.run(
        [
            str(env.python),
            "-c",
            f"{IMPORTS}; print(dask.dataframe.from_dict({{'a': [1, 2]}}, npartitions=1).a.sum().compute())",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "3"
    # The console scripts of the wheels' entry points are there and runnable.
    jupyter = subprocess.run(
        [str(env.bin / "jupyter"), "--paths"], capture_output=True, text=True, timeout=120, check=False,
    )
    assert jupyter.returncode == 0, jupyter.stderr
