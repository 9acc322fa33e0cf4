"""Byte-compile installed files with the *target* interpreter (``--compile``).

Bytecode depends on the interpreter's version, so it cannot be made by spoke's own Python:
the target runs ``compileall`` on the list it is given, in parallel (``-j 0``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from spoke.errors import InstallError

Runner = Callable[..., "subprocess.CompletedProcess[bytes]"]


def compile_bytecode(
    paths: Sequence[Path],
    interpreter_path: Path,
    *,
    runner: Runner = subprocess.run,
) -> bool:
    """Compile the ``.py`` files (and folders) in ``paths``; ``True`` when all compiled.

    A file with a syntax error (test files for Python 2 are common) is not an install
    failure, as in pip: the result is ``False``. An interpreter that cannot run raises
    :class:`InstallError`. The ``.pyc`` files are not added to RECORD; uninstall finds them
    beside their sources.
    """
    targets = [str(p) for p in paths]
    if not targets:
        return True
    listing = "".join(t + "\n" for t in targets).encode("utf-8")
    try:
        proc = runner(
            [str(interpreter_path), "-m", "compileall", "-q", "-j", "0", "-i", "-"],
            input=listing, capture_output=True, check=False,
        )
    except OSError as exc:
        raise InstallError(f"Cannot run {interpreter_path} to compile bytecode: {exc}") from exc
    return proc.returncode == 0
