"""Which projects the last resolutions needed, so the next one asks for all their pages at once.

A resolve learns its graph one level at a time: a project's page, then the metadata of the version
picked, then the pages of its dependencies. Through a proxy that sends no caching headers every
page is fetched again on each run, so a warm install of a deep graph waits for one round trip
per level. After each resolution the graph it chose (each project → the projects it depends on
in that resolution) is remembered in the cache; the next resolution starts by requesting the
pages of everything its roots reached last time, concurrently, before the solver asks. A guess
that turned out wrong costs a request; answers never depend on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from spoke.cache.atomic import write_atomic

#: The remembered graph keeps at most this many projects (a cache, not an archive).
MAX_PROJECTS = 5000
#: A prefetch asks for at most this many pages.
MAX_PREFETCH = 2000
_FILE = "graph.json"


def _read(folder: Path) -> dict[str, list[str]]:
    try:
        data = json.loads((folder / _FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): [str(x) for x in v] for k, v in data.items() if isinstance(v, list)}


def remember(folder: Path, edges: Mapping[str, Iterable[str]]) -> None:
    """Record a resolution's graph (each project's dependencies in it) over what was known."""
    graph = _read(folder)
    if len(graph) + len(edges) > MAX_PROJECTS:
        graph = {}
    changed = False
    for name, children in edges.items():
        listed = sorted(set(children))
        if graph.get(name) != listed:
            graph[name] = listed
            changed = True
    if changed:
        try:
            write_atomic(folder / _FILE, json.dumps(graph, sort_keys=True).encode())
        except OSError:
            pass  # a read-only cache: the next run learns the graph again


def reached(folder: Path, roots: Iterable[str]) -> set[str]:
    """Every project the remembered graph reaches from ``roots`` (the roots included)."""
    graph = _read(folder)
    seen = set(roots)
    todo = list(seen)
    while todo and len(seen) < MAX_PREFETCH:
        for child in graph.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen
