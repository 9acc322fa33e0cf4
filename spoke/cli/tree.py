"""``spoke tree``: the dependency tree of installed packages, pipdeptree-style, on stdout.

::

    app==1.0
    └── lib [required: >=1, installed: 1.0]
        └── base [required: Any, installed: 2.0]

With ``--reverse`` each package is followed by what requires it
(``└── app==1.0 [requires: lib>=1]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import SpokeError, UsageError


def load_graph(settings: Any, printer: Printer, environ: Mapping[str, str]) -> Any:
    """The graph of the target's installed set (``--path``/``--user`` honoured); warns about
    distributions whose metadata could not be read."""
    from spoke.app.environment import installed_set
    from spoke.app.graph import read_graph

    ctx, reporter = make_context(settings, printer, environ, read_only=True)
    try:
        found = installed_set(ctx, paths=settings.get("path", None) or (), user=bool(settings.get("user", None)))
        graph = read_graph(found.dists, found.interpreter.markers)
    finally:
        reporter.close()
        ctx.close()
    for problem in graph.problems:
        printer.warning(problem)
    return graph


def not_installed(name: str) -> SpokeError:
    """The error for a name that is not in the installed set."""
    return SpokeError(f"Package `{name}` is not installed",
                      hint="Check the spelling, or see what is installed with `spoke list`.")


def render_tree(root: Any, *, reverse: bool) -> list[str]:
    """The lines of one tree (a :class:`spoke.app.graph.TreeNode`)."""
    lines = [root.node.pin if root.node is not None else root.name]
    _render_children(root, "", reverse, lines)
    return lines


def _render_children(parent: Any, prefix: str, reverse: bool, lines: list[str]) -> None:
    for i, child in enumerate(parent.children):
        last = i == len(parent.children) - 1
        lines.append(prefix + ("└── " if last else "├── ") + _label(child, reverse))
        _render_children(child, prefix + ("    " if last else "│   "), reverse, lines)


def _label(item: Any, reverse: bool) -> str:
    edge = item.edge
    if reverse:
        text = f"{item.node.pin if item.node is not None else item.name} [requires: {edge.requirement}"
    else:
        installed = str(edge.installed) if edge.installed is not None else "?"
        name = item.node.display_name if item.node is not None else _name_of(edge.requirement)
        text = f"{name} [required: {edge.specifier or 'Any'}, installed: {installed}"
    if edge.extra:
        text += f", extra: {edge.extra}"
    text += "]"
    if item.cycle:
        text += " (cycle)"
    return text


def _name_of(requirement: str) -> str:
    import re

    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    return match.group(0) if match else requirement


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke tree``; return the exit code."""
    from spoke.app.graph import tree, tree_starts

    depth = settings.get("depth", None)
    if depth is not None and int(depth) < 0:
        raise UsageError(f"--depth must be 0 or more, not {depth}", hint="For example `spoke tree --depth 1`.")
    reverse = bool(settings.get("reverse", None))
    graph = load_graph(settings, printer, environ)
    if positional:
        starts = []
        for raw in positional:
            node = graph.find(raw)
            if node is None:
                raise not_installed(raw)
            if node.name not in starts:
                starts.append(node.name)
    else:
        starts = list(tree_starts(graph, reverse=reverse))
    lines: list[str] = []
    for start in starts:
        lines.extend(render_tree(tree(graph, start, reverse=reverse, depth=depth), reverse=reverse))
    if lines:
        printer.stdout("\n".join(lines) + "\n")
    return 0
