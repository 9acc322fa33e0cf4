"""The remembered resolution graph (spoke.index.known_graph) that lets a resolve ask for every
page it will likely need at once."""

from __future__ import annotations

from pathlib import Path

from spoke.index import known_graph


def test_remember_then_reach_from_roots(tmp_path: Path) -> None:
    known_graph.remember(tmp_path, {"app": ["lib", "util"], "lib": ["deep"], "deep": [], "util": []})
    assert known_graph.reached(tmp_path, ["app"]) == {"app", "lib", "util", "deep"}
    assert known_graph.reached(tmp_path, ["lib"]) == {"lib", "deep"}
    assert known_graph.reached(tmp_path, ["unknown"]) == {"unknown"}
    # A later resolution replaces what it re-resolved and keeps the rest.
    known_graph.remember(tmp_path, {"lib": ["other"]})
    assert known_graph.reached(tmp_path, ["app"]) == {"app", "lib", "util", "other"}


def test_cycles_and_a_broken_file(tmp_path: Path) -> None:
    known_graph.remember(tmp_path, {"a": ["b"], "b": ["a"]})
    assert known_graph.reached(tmp_path, ["a"]) == {"a", "b"}
    (tmp_path / "graph.json").write_text("{not json")
    assert known_graph.reached(tmp_path, ["a"]) == {"a"}
    known_graph.remember(tmp_path, {"x": ["y"]})  # rewritten whole
    assert known_graph.reached(tmp_path, ["x"]) == {"x", "y"}


def test_bounded(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(known_graph, "MAX_PROJECTS", 3)
    known_graph.remember(tmp_path, {"a": [], "b": []})
    known_graph.remember(tmp_path, {"c": [], "d": []})  # over the bound: starts afresh
    assert known_graph.reached(tmp_path, ["a"]) == {"a"}
    monkeypatch.setattr(known_graph, "MAX_PREFETCH", 2)
    known_graph.remember(tmp_path, {"r": ["s", "t", "u"]})
    assert len(known_graph.reached(tmp_path, ["r"])) <= 4
