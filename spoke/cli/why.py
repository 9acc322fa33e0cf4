"""``spoke why NAME``: every path by which installed packages require NAME, on stdout.

::

    app==1.0 → lib>=1 → base

A path starts at a package that was installed on request (or that nothing requires).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.render import Printer
from spoke.errors import UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke why``; return the exit code."""
    from spoke.app.graph import paths_to
    from spoke.cli.tree import load_graph, not_installed

    if len(positional) != 1:
        raise UsageError("`spoke why` takes exactly one package name",
                         hint="For example `spoke why markupsafe`.")
    graph = load_graph(settings, printer, environ)
    node = graph.find(positional[0])
    if node is None:
        raise not_installed(positional[0])
    paths, truncated = paths_to(graph, node.name)
    if not paths:
        reason = " (it was installed on request)" if node.requested else ""
        printer.info(f"{node.display_name} is not required by any installed package{reason}")
        return 0
    lines = [" → ".join([p.root.pin, *(e.requirement for e in p.edges)]) for p in paths]
    printer.stdout("\n".join(lines) + "\n")
    if node.requested:
        printer.info(f"{node.display_name} was also installed on request")
    if truncated:
        printer.warning(f"Only the first {len(paths)} paths are shown")
    return 0
