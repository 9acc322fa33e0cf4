"""Live tests reuse the functional fixtures (hermetic env, the CLI runner, venvs, pip_in)."""

from tests.functional.conftest import *  # noqa: F403
from tests.functional.conftest import (  # noqa: F401
    build_cache,
    hermetic,
    index,
    pip_in,
    pip_only_path,
    spoke,
    venv,
)
