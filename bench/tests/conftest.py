"""Make ``bench/`` importable (``benchkit``, ``run``) the way ``python3 bench/run.py`` sees it."""

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
