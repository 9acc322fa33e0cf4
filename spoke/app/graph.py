"""The dependency graph of an installed set, and the questions ``tree``, ``why`` and
``autoremove`` ask of it.

A node is an installed distribution; an edge says "``parent`` requires ``child``" with the
specifier the parent wrote and whether the installed child satisfies it. Markers are
evaluated for the target interpreter. Extras follow the requirement that asks for them: when
``a`` requires ``b[x]``, ``b``'s requirements under extra ``x`` become edges of ``b`` (``b``'s
code is what imports them), found by iterating until no new extra turns on.

Everything here is values in, values out, except :func:`read_graph`, which reads each
distribution's METADATA and hands the requirements to :func:`build_graph`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.version import Version

    from spoke.models import InstalledDist


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One installed distribution."""

    name: NormalizedName
    display_name: str
    version: Version
    requested: bool = False

    @property
    def pin(self) -> str:
        """``name==version``."""
        return f"{self.display_name}=={self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:
    """``parent`` requires ``child``: ``requirement`` as written (without its marker).

    ``specifier`` is ``""`` for "any version"; ``installed`` is the child's version, ``None``
    when the child is missing; ``extra`` names the parent's extra that brought the edge in.
    """

    parent: NormalizedName
    child: NormalizedName
    requirement: str
    specifier: str
    installed: Version | None
    satisfied: bool
    extra: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Graph:
    """Nodes by name, and the edges out of (``children``) and into (``parents``) each."""

    nodes: Mapping[NormalizedName, Node]
    children: Mapping[NormalizedName, tuple[Edge, ...]]
    parents: Mapping[NormalizedName, tuple[Edge, ...]]
    problems: tuple[str, ...] = field(default=(), compare=False)

    def find(self, raw_name: str) -> Node | None:
        """The node called ``raw_name`` (any spelling), or ``None``."""
        return self.nodes.get(canonicalize_name(raw_name))


def build_graph(
    dists: Mapping[str, InstalledDist] | Iterable[Node],
    requirements: Mapping[str, Sequence[Requirement]],
    markers: Mapping[str, str],
    *,
    problems: Sequence[str] = (),
) -> Graph:
    """The graph of ``dists`` given each one's Requires-Dist and the target's markers."""
    nodes: dict[NormalizedName, Node] = {}
    items = dists.values() if isinstance(dists, Mapping) else dists
    for d in items:
        name = canonicalize_name(d.name)
        nodes[name] = d if isinstance(d, Node) else Node(
            name=name, display_name=d.display_name, version=d.version, requested=d.requested)
    reqs = {canonicalize_name(k): tuple(v) for k, v in requirements.items()}
    active: dict[NormalizedName, set[str]] = {n: set() for n in nodes}
    # Turn extras on until nothing changes: an extra's requirements may ask for more extras.
    edges: dict[tuple[NormalizedName, NormalizedName], list[tuple[Requirement, str | None]]] = {}
    changed = True
    while changed:
        changed = False
        edges.clear()
        for parent in nodes:
            for req, extra in _applicable(reqs.get(parent, ()), active[parent], markers):
                child = canonicalize_name(req.name)
                wanted = {canonicalize_name(e) for e in req.extras}
                if child in active and not wanted <= active[child]:
                    active[child] |= wanted
                    changed = True
                if child == parent:
                    continue  # `pkg[all]` requiring `pkg[a,b]` only turns extras on
                edges.setdefault((parent, child), []).append((req, extra))
    children: dict[NormalizedName, list[Edge]] = {n: [] for n in nodes}
    parents: dict[NormalizedName, list[Edge]] = {n: [] for n in nodes}
    for (parent, child), found in edges.items():
        edge = _edge(parent, child, found, nodes.get(child))
        children[parent].append(edge)
        parents.setdefault(child, []).append(edge)
    return Graph(
        nodes=nodes,
        children={k: tuple(sorted(v, key=lambda e: e.child)) for k, v in children.items()},
        parents={k: tuple(sorted(v, key=lambda e: e.parent)) for k, v in parents.items()},
        problems=tuple(problems),
    )


def _applicable(
    reqs: Sequence[Requirement], extras: Collection[str], markers: Mapping[str, str],
) -> Iterable[tuple[Requirement, str | None]]:
    for req in reqs:
        if req.marker is None:
            yield req, None
            continue
        for extra in ("", *sorted(extras)):
            try:
                applies = req.marker.evaluate({**markers, "extra": extra})
            except Exception:  # noqa: BLE001 - an odd marker in an installed file is not ours to fix
                applies = False
            if applies:
                yield req, extra or None
                break


def _edge(
    parent: NormalizedName, child: NormalizedName, found: list[tuple[Requirement, str | None]],
    node: Node | None,
) -> Edge:
    # A child listed twice (``c>=1`` and ``c<3; python_version<"3.12"``) is one edge whose
    # specifier is the intersection of both.
    specs: list[str] = []
    texts: list[str] = []
    for req, _extra in found:
        spec = str(req.specifier)
        if spec and spec not in specs:
            specs.append(spec)
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        text = f"{req.name}{extras}{spec}"
        if text not in texts:
            texts.append(text)
    satisfied = node is not None and all(
        req.specifier.contains(node.version, prereleases=True) for req, _ in found)
    extra = found[0][1] if all(e is not None for _, e in found) else None
    return Edge(
        parent=parent, child=child, requirement=", ".join(texts), specifier=",".join(specs),
        installed=node.version if node is not None else None, satisfied=satisfied, extra=extra,
    )


# ----------------------------------------------------------------------------- questions


def roots(graph: Graph) -> tuple[NormalizedName, ...]:
    """Installed distributions nothing installed requires, by name."""
    return tuple(sorted(n for n in graph.nodes if not _installed_parents(graph, n)))


def leaves(graph: Graph) -> tuple[NormalizedName, ...]:
    """Installed distributions that require nothing installed, by name."""
    return tuple(sorted(n for n in graph.nodes if not _installed_children(graph, n)))


def tree_starts(graph: Graph, *, reverse: bool = False) -> tuple[NormalizedName, ...]:
    """Where a whole-environment tree starts: :func:`roots` (or :func:`leaves` when
    ``reverse``), plus one member of every cycle nothing else leads to, so every
    distribution appears somewhere."""
    starts = list(leaves(graph) if reverse else roots(graph))
    step = (lambda n: _installed_parents(graph, n)) if reverse else (lambda n: _installed_children(graph, n))
    seen = _reachable(starts, step)
    for name in sorted(graph.nodes):
        if name not in seen:
            starts.append(name)
            seen |= _reachable([name], step)
    return tuple(starts)


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeNode:
    """One line of a tree: a distribution, the edge that led to it, and what hangs below.

    ``node`` is ``None`` for a missing requirement; ``cycle`` marks a distribution already on
    the path above (its children are not repeated).
    """

    name: NormalizedName
    node: Node | None
    edge: Edge | None = None
    children: tuple[TreeNode, ...] = ()
    cycle: bool = False


def tree(graph: Graph, start: str, *, reverse: bool = False, depth: int | None = None) -> TreeNode:
    """The tree below ``start`` (what it requires, or with ``reverse`` what requires it).

    ``depth`` 0 shows ``start`` alone; ``None`` shows everything. A distribution met again
    on its own path is shown once, marked ``cycle``.
    """
    key = canonicalize_name(start)
    return _subtree(graph, key, None, (key,), reverse, depth)


def _subtree(
    graph: Graph, name: NormalizedName, edge: Edge | None, path: tuple[NormalizedName, ...],
    reverse: bool, depth: int | None,
) -> TreeNode:
    node = graph.nodes.get(name)
    if node is None or depth == 0:
        return TreeNode(name=name, node=node, edge=edge)
    below = []
    for e in (graph.parents if reverse else graph.children).get(name, ()):
        nxt = e.parent if reverse else e.child
        if nxt in path:
            below.append(TreeNode(name=nxt, node=graph.nodes.get(nxt), edge=e, cycle=True))
            continue
        below.append(_subtree(graph, nxt, e, (*path, nxt), reverse, None if depth is None else depth - 1))
    return TreeNode(name=name, node=node, edge=edge, children=tuple(below))


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirePath:
    """``root`` requires … requires the target: the root, then each edge down to the target."""

    root: Node
    edges: tuple[Edge, ...]


def paths_to(graph: Graph, name: str, *, limit: int = 100) -> tuple[tuple[RequirePath, ...], bool]:
    """Every path from a root down to ``name``, and whether ``limit`` cut the list short.

    Walking up from ``name``, a path ends at a REQUESTED distribution (it is there because
    someone asked for it), at one nothing requires, or at one whose every parent is already
    on the path (a cycle). ``name`` itself never ends a path unless nothing requires it: the
    answer is then empty.
    """
    key = canonicalize_name(name)
    found: list[RequirePath] = []
    truncated = False

    def walk(current: NormalizedName, below: tuple[Edge, ...], on_path: frozenset[NormalizedName]) -> None:
        nonlocal truncated
        if truncated:
            return
        node = graph.nodes[current]
        ups = [e for e in graph.parents.get(current, ()) if e.parent in graph.nodes and e.parent not in on_path]
        if below and (node.requested or not ups):
            if len(found) >= limit:
                truncated = True
                return
            found.append(RequirePath(root=node, edges=below))
            return
        for e in ups:
            walk(e.parent, (e, *below), on_path | {e.parent})

    if key in graph.nodes:
        walk(key, (), frozenset({key}))
    found.sort(key=lambda p: (not p.root.requested, [p.root.name, *(e.child for e in p.edges)]))
    return tuple(found), truncated


def unused_after_removing(
    graph: Graph, names: Iterable[str], requested: Collection[str] | None = None,
) -> tuple[NormalizedName, ...]:
    """What removing ``names`` leaves unused: their dependencies (transitively) that no
    remaining distribution requires and that were not REQUESTED.

    ``requested`` overrides the nodes' own REQUESTED flags. Cycles among the dependencies do
    not keep each other alive: what survives is exactly what is still reachable from a
    distribution that stays.
    """
    removed = {canonicalize_name(n) for n in names} & set(graph.nodes)
    below = _reachable(removed, lambda n: _installed_children(graph, n)) - removed
    return _unreachable(graph, below, removed, requested)


def unused(
    graph: Graph, requested: Collection[str] | None = None, *, keep: Collection[str] = (),
) -> tuple[NormalizedName, ...]:
    """Every distribution nothing needs: not REQUESTED, not in ``keep``, and not required
    (transitively) by one that is — ``autoremove`` with no names, to its fixed point."""
    keep_set = {canonicalize_name(k) for k in keep}
    candidates = set(graph.nodes) - keep_set
    return _unreachable(graph, candidates, set(), requested)


def _unreachable(
    graph: Graph, candidates: set[NormalizedName], removed: set[NormalizedName],
    requested: Collection[str] | None,
) -> tuple[NormalizedName, ...]:
    asked = ({canonicalize_name(r) for r in requested} if requested is not None
             else {n for n, node in graph.nodes.items() if node.requested})
    staying = [n for n in graph.nodes if n not in removed and (n not in candidates or n in asked)]
    kept = _reachable(staying, lambda n: [c for c in _installed_children(graph, n) if c not in removed])
    return tuple(sorted(candidates - kept))


def _installed_children(graph: Graph, name: NormalizedName) -> list[NormalizedName]:
    return [e.child for e in graph.children.get(name, ()) if e.child in graph.nodes]


def _installed_parents(graph: Graph, name: NormalizedName) -> list[NormalizedName]:
    return [e.parent for e in graph.parents.get(name, ()) if e.parent in graph.nodes]


def _reachable(starts: Iterable[NormalizedName], step) -> set[NormalizedName]:  # type: ignore[no-untyped-def]
    seen: set[NormalizedName] = set()
    stack = list(starts)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(step(n))
    return seen


# ----------------------------------------------------------------------------- reading


def read_graph(dists: Mapping[str, InstalledDist], markers: Mapping[str, str]) -> Graph:
    """Read every distribution's METADATA and build its graph (the one function here that
    touches files). A distribution whose metadata cannot be read stays a node without edges,
    and the reason is kept in ``problems``."""
    from spoke.env.installed import read_metadata
    from spoke.errors import MetadataError

    requirements: dict[str, Sequence[Requirement]] = {}
    problems: list[str] = []
    for name, dist in dists.items():
        try:
            requirements[name] = read_metadata(dist).requires_dist
        except MetadataError as e:
            problems.append(e.message)
    return build_graph(dists, requirements, markers, problems=problems)
