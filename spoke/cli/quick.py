"""The ``spoke`` command: answer a repeated ``spoke install`` before loading the rest of spoke.

The full CLI costs a tenth of a second of imports and work on a small machine; when the answer
is "nothing to do" that is nearly all of it. So the entry point first asks
:func:`spoke.app.noop.answer`, which reads the record of this exact command with the standard
library only, and loads :mod:`spoke.cli.main` only when there is no record or it no longer
holds.
"""

from __future__ import annotations

import os
import sys

from spoke.app.noop import answer

TYPE_CHECKING = False  # not typing's: importing typing costs 6 ms here (see spoke.app.noop)
if TYPE_CHECKING:
    from typing import NoReturn


def main() -> int:
    """The ``spoke`` command: the quick answer when there is one, else the full CLI."""
    code = answer(sys.argv[1:], os.environ)
    if code is not None:
        return code
    from spoke.cli.main import main as full

    end_now(full())


def end_now(code: int) -> NoReturn:
    """End the process with ``code`` without tearing the interpreter down.

    By then every file is closed, every pool shut down and every child reaped; what is left is
    freeing the objects of a resolution one by one, which took 0.13 s after a 68-package
    install here. Exit handlers still run, and the standard streams are flushed.
    """
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)
