"""The joint upgrade: roots, the provider's choices and the held-back analysis."""

from __future__ import annotations

import json
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.app.upgrade import (
    Chosen,
    held_back,
    left_in_place,
    upgrade_roots,
)
from spoke.models import CoreMetadata, InstalledDist
from spoke.plan.candidates import FilePolicy
from spoke.plan.provider import PackageProvider, ResolvePolicy
from spoke.plan.resolve import make_plan, resolve
from tests.unit.test_plan import MARKERS, FakeIndex, FakeMetadata


def dist(name: str, version: str, tmp: Path | None = None, **kw: object) -> InstalledDist:
    folder = (tmp or Path("/nonexistent")) / f"{name}-{version}.dist-info"
    return InstalledDist(name=canonicalize_name(name), display_name=name, version=Version(version),
                         dist_info=folder, **kw)  # type: ignore[arg-type]


INSTALLED_DEPS = {("a", "1.0"): ["b<2"], ("c", "1.0"): ["b<2.5"]}


def upgrade(universe, installed, named=(), fixed=frozenset()):
    provider = PackageProvider(
        index=FakeIndex(universe), metadata=FakeMetadata(universe),
        files_policy=FilePolicy(tags={t: i for i, t in enumerate(parse_tag("py3-none-any"))},
                                python_version=Version("3.11.7")),
        markers=MARKERS, installed=installed,
        read_installed_metadata=lambda d: CoreMetadata(
            name=d.name, display_name=d.name, version=d.version,
            requires_dist=tuple(Requirement(r) for r in INSTALLED_DEPS.get((d.name, str(d.version)), ()))),
        policy=ResolvePolicy(upgrade_installed=True, fixed=frozenset(fixed)),
    )
    roots = [Requirement(n) for n in named] + upgrade_roots(
        installed, named=[Requirement(n).name for n in named], fixed=fixed
    )
    res = resolve(roots, provider)
    return res, provider


U = {
    "a": {"1.0": ["b<2"], "2.0": ["b<3"]},
    "b": {"1.0": [], "2.0": [], "3.0": [], "4.0rc1": []},
    "c": {"1.0": ["b<2.5"]},
}


def test_roots_never_downgrade_and_leave_named_and_fixed_alone() -> None:
    installed = {"a": dist("a", "1.0"), "b": dist("b", "2.0"), "e": dist("e", "0.1")}
    roots = upgrade_roots(installed, named=["A"], fixed=["e"])
    assert [str(r) for r in roots] == ["b>=2.0", "e"]


def test_joint_choice_and_held_back_reasons() -> None:
    installed = {"a": dist("a", "1.0"), "b": dist("b", "1.0"), "c": dist("c", "1.0")}
    res, provider = upgrade(U, installed)
    chosen = {p.name: str(p.version) for p in res.packages}
    assert chosen == {"a": "2.0", "b": "2.0", "c": "1.0"}
    plan = make_plan(res, installed)
    assert {p.name for p in plan.install} == {"a", "b"} and [d.name for d in plan.keep] == ["c"]
    newest = {n: provider.newest_usable(n) for n in installed}
    assert newest["b"] == Version("3.0")  # the release candidate does not count
    held = held_back(installed, {p.name: Chosen(version=p.version, metadata=p.metadata) for p in res.packages},
                     newest, markers=MARKERS)
    assert [h.message for h in held] == [
        "not upgrading b to 3.0 (b 2.0 chosen): a 2.0 requires b<3; c 1.0 requires b<2.5"
    ]


def test_installed_version_is_a_candidate_and_unknown_projects_are_kept() -> None:
    installed = {"b": dist("b", "9.0"), "gone": dist("gone", "1.0")}
    res, _ = upgrade(U, installed)
    assert {p.name: (str(p.version), p.file) for p in res.packages} == {"b": ("9.0", None), "gone": ("1.0", None)}


def test_fixed_projects_keep_their_installed_version(tmp_path: Path) -> None:
    folder = tmp_path / "b-1.0.dist-info"
    folder.mkdir()
    (folder / "direct_url.json").write_text(json.dumps({"url": "file:///x.whl", "archive_info": {}}))
    b = dist("b", "1.0", tmp_path)
    assert left_in_place(b) and left_in_place(dist("e", "1.0", editable=True))
    assert not left_in_place(dist("a", "1.0"))
    installed = {"a": dist("a", "1.0"), "b": b}
    universe = {**U, "a": {"1.0": ["b<2"], "2.0": ["b>=2"]}}
    res, provider = upgrade(universe, installed, fixed={"b"})
    assert {p.name: str(p.version) for p in res.packages} == {"a": "1.0", "b": "1.0"}
    assert "b" not in provider._index.asked  # never looked up on the index


def test_named_requirement_replaces_the_installed_floor() -> None:
    installed = {"a": dist("a", "2.0"), "b": dist("b", "2.0")}
    res, _ = upgrade(U, installed, named=["b==1.0"])
    assert {p.name: str(p.version) for p in res.packages} == {"a": "2.0", "b": "1.0"}


def test_held_back_by_the_user_and_markers_and_extras() -> None:
    meta = CoreMetadata(name="a", display_name="A", version=Version("2.0"), requires_dist=(
        Requirement('b<2; sys_platform == "win32"'), Requirement('b<1.5; extra == "x"'),
    ))
    installed = {"a": dist("a", "2.0"), "b": dist("b", "1.0")}
    chosen = {"a": Chosen(version=Version("2.0"), metadata=meta),
              "b": Chosen(version=Version("1.0"), metadata=None)}
    newest = {"b": Version("3.0")}
    held = held_back(installed, chosen, newest, markers=MARKERS, roots=[Requirement("b<2")])
    assert held[0].reasons == ("you asked for b<2",)
    chosen["a"] = Chosen(version=Version("2.0"), metadata=meta, extras=("x",))
    held = held_back(installed, chosen, newest, markers=MARKERS)
    assert held[0].reasons == ("A 2.0 requires b<1.5",)
    assert held_back(installed, chosen, {"b": Version("1.0")}, markers=MARKERS) == []
    chosen["a"] = Chosen(version=Version("2.0"), metadata=meta)
    assert "no requirement excludes it" in held_back(installed, chosen, newest, markers=MARKERS)[0].message
