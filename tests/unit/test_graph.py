"""The installed dependency graph: edges, extras, markers, trees, paths and unused sets."""

from __future__ import annotations

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.app.graph import (
    Node,
    build_graph,
    leaves,
    paths_to,
    roots,
    tree,
    tree_starts,
    unused,
    unused_after_removing,
)

MARKERS = {"python_version": "3.12", "python_full_version": "3.12.1", "sys_platform": "linux",
           "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
           "platform_machine": "x86_64", "platform_python_implementation": "CPython",
           "platform_release": "", "platform_version": "", "implementation_version": "3.12.1"}


def graph(spec: dict[str, tuple[str, tuple[str, ...]]], requested: tuple[str, ...] = ()):
    nodes = [Node(name=canonicalize_name(n), display_name=n, version=Version(v), requested=n in requested)
             for n, (v, _) in spec.items()]
    reqs = {n: [Requirement(r) for r in deps] for n, (_, deps) in spec.items()}
    return build_graph(nodes, reqs, MARKERS)


SMALL = {"app": ("1.0", ("lib>=1",)), "lib": ("1.0", ("base",)), "base": ("2.0", ()),
         "app2": ("1.0", ("base<2",))}


def test_edges_carry_specifier_and_satisfaction() -> None:
    g = graph(SMALL)
    (edge,) = g.children["app2"]
    assert (edge.child, edge.specifier, edge.installed, edge.satisfied) == ("base", "<2", Version("2.0"), False)
    assert [e.parent for e in g.parents["base"]] == ["app2", "lib"]
    assert roots(g) == ("app", "app2")
    assert leaves(g) == ("base",)


def test_missing_child_and_markers() -> None:
    g = graph({"a": ("1", ("gone>=1", 'win; sys_platform == "win32"', 'new; python_version >= "3.10"')),
               "new": ("1", ())})
    edges = {e.child: e for e in g.children["a"]}
    assert set(edges) == {"gone", "new"}
    assert edges["gone"].installed is None and not edges["gone"].satisfied


def test_extras_turn_on_transitively() -> None:
    g = graph({"a": ("1", ("b[x]",)), "b": ("1", ('c; extra == "x"', 'd; extra == "y"')),
               "c": ("1", ()), "d": ("1", ())})
    assert [(e.child, e.extra) for e in g.children["b"]] == [("c", "x")]
    g2 = graph({"a": ("1", ("b[all]",)), "b": ("1", ('b[x]; extra == "all"', 'c; extra == "x"')),
                "c": ("1", ())})
    assert [e.child for e in g2.children["b"]] == ["c"]


def test_tree_depth_reverse_and_cycles() -> None:
    g = graph(SMALL)
    t = tree(g, "app")
    assert [c.name for c in t.children] == ["lib"] and t.children[0].children[0].name == "base"
    assert tree(g, "app", depth=1).children[0].children == ()
    assert tree(g, "app", depth=0).children == ()
    r = tree(g, "base", reverse=True)
    assert [c.name for c in r.children] == ["app2", "lib"] and r.children[1].children[0].name == "app"
    cyc = graph({"x": ("1", ("y",)), "y": ("1", ("x",))})
    t = tree(cyc, "x")
    assert t.children[0].children[0].cycle and t.children[0].children[0].name == "x"
    assert roots(cyc) == () and tree_starts(cyc) == ("x",)


def test_paths_prefer_requested_roots() -> None:
    g = graph(SMALL, requested=("app", "lib", "app2"))
    paths, truncated = paths_to(g, "base")
    assert not truncated
    assert [[p.root.name, *(e.child for e in p.edges)] for p in paths] == [["app2", "base"], ["lib", "base"]]
    g = graph(SMALL, requested=("app",))
    paths, _ = paths_to(g, "base")
    assert [[p.root.name, *(e.requirement for e in p.edges)] for p in paths] == [
        ["app", "lib>=1", "base"], ["app2", "base<2"]]
    assert paths_to(g, "app") == ((), False)


def test_paths_through_cycles_are_bounded() -> None:
    g = graph({"x": ("1", ("y", "t")), "y": ("1", ("x", "t")), "t": ("1", ())})
    paths, _ = paths_to(g, "t")
    # Nothing outside the cycle requires x or y: each path ends where the cycle closes.
    assert sorted([p.root.name, *(e.child for e in p.edges)] for p in paths) == [
        ["x", "y", "t"], ["y", "x", "t"]]
    many = {f"p{i}": ("1", tuple(f"p{j}" for j in range(i + 1, 12))) for i in range(12)}
    paths, truncated = paths_to(graph(many), "p11", limit=10)
    assert len(paths) == 10 and truncated


def test_unused_after_removing() -> None:
    g = graph(SMALL, requested=("app", "app2"))
    assert unused_after_removing(g, ["app"]) == ("lib",)  # base is still needed by app2
    assert unused_after_removing(g, ["app", "app2"]) == ("base", "lib")
    g = graph(SMALL, requested=("app", "app2", "lib"))
    assert unused_after_removing(g, ["app", "app2"]) == ()  # lib was requested, keeps base
    cyc = graph({"a": ("1", ("x",)), "x": ("1", ("y",)), "y": ("1", ("x",))}, requested=("a",))
    assert unused_after_removing(cyc, ["a"]) == ("x", "y")


def test_unused_everywhere() -> None:
    g = graph({**SMALL, "orphan": ("1", ("dep",)), "dep": ("1", ()), "pip": ("24", ())}, requested=("app",))
    assert unused(g, keep=("pip",)) == ("app2", "dep", "orphan")
    assert unused(g, requested=(), keep=("pip",)) == ("app", "app2", "base", "dep", "lib", "orphan")
