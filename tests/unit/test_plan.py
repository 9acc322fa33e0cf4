"""The provider's policies and planning, with an in-memory index and metadata."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.errors import PackageNotFoundError, ResolutionImpossible
from spoke.models import CoreMetadata, IndexFile, InstalledDist, Yanked
from spoke.plan.candidates import FilePolicy
from spoke.plan.provider import PackageProvider, ResolvePolicy
from spoke.plan.resolve import make_plan, resolve

MARKERS = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux",
           "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
           "platform_machine": "x86_64", "platform_python_implementation": "CPython",
           "platform_release": "", "platform_version": "", "implementation_version": "3.11.7"}


class FakeIndex:
    def __init__(self, universe: dict[str, dict[str, list[str]]], yanked: set[str] = frozenset()) -> None:
        self.universe = universe
        self.yanked = yanked
        self.asked: list[str] = []

    def files(self, name: str) -> list[IndexFile]:
        self.asked.append(name)
        if name not in self.universe:
            raise PackageNotFoundError(f"No package named '{name}'")
        return [
            IndexFile(name=canonicalize_name(name), version=Version(v), filename=f"{name}-{v}-py3-none-any.whl",
                      url=f"https://x/{name}-{v}-py3-none-any.whl", tags=frozenset(parse_tag("py3-none-any")),
                      yanked=Yanked(reason="bad") if f"{name}=={v}" in self.yanked else None)
            for v in self.universe[name]
        ]


class FakeMetadata:
    def __init__(self, universe: dict[str, dict[str, list[str]]]) -> None:
        self.universe = universe

    def get(self, file: IndexFile) -> CoreMetadata:
        deps = self.universe[file.name][str(file.version)]
        return CoreMetadata(
            name=file.name,
            display_name=file.name,
            version=file.version,
            requires_dist=tuple(Requirement(d) for d in deps),
            provides_extra=tuple(
                sorted({str(m).split('"')[1] for d in deps if "extra" in d for m in [Requirement(d).marker]})
            ),
        )

    def prefetch(self, files: object) -> None:
        pass


def make_provider(universe, *, installed=None, policy=None, yanked=frozenset()):  # noqa: ANN001, ANN202
    installed = installed or {}
    return PackageProvider(
        index=FakeIndex(universe, yanked),
        metadata=FakeMetadata(universe),
        files_policy=FilePolicy(
            tags={t: i for i, t in enumerate(parse_tag("py3-none-any"))}, python_version=Version("3.11.7")
        ),
        markers=MARKERS,
        installed=installed,
        read_installed_metadata=lambda d: CoreMetadata(name=d.name, display_name=d.name, version=d.version),
        policy=policy or ResolvePolicy(),
    )


def solve(universe, *reqs, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
    provider = make_provider(universe, **kw)
    res = resolve([Requirement(r) for r in reqs], provider)
    return {p.name: str(p.version) for p in res.packages}, provider


U = {
    "a": {"1.0": ["b>=1"], "2.0": ["b>=2", 'c; extra == "x"'], "3.0b1": []},
    "b": {"1.0": [], "2.0": [], "2.5rc1": []},
    "c": {"1.0": []},
    "onlypre": {"1.0a1": [], "1.0a2": []},
}


def test_newest_final_versions_and_extras() -> None:
    assert solve(U, "a")[0] == {"a": "2.0", "b": "2.0"}
    assert solve(U, "a[x]")[0] == {"a": "2.0", "b": "2.0", "c": "1.0"}


def test_prereleases_by_flag_by_specifier_or_when_nothing_else() -> None:
    assert solve(U, "a", policy=ResolvePolicy(pre=True))[0]["a"] == "3.0b1"
    assert solve(U, "b", policy=ResolvePolicy(allow_prerelease=frozenset({"b"})))[0]["b"] == "2.5rc1"
    assert solve(U, "onlypre")[0] == {"onlypre": "1.0a2"}


def test_yanked_only_when_pinned() -> None:
    assert solve(U, "b", yanked={"b==2.0"})[0]["b"] == "1.0"
    got, _ = solve(U, "b==2.0", yanked={"b==2.0"}, policy=ResolvePolicy(pinned=frozenset({"b"})))
    assert got["b"] == "2.0"


def test_installed_version_is_preferred_without_touching_the_index() -> None:
    installed = {"b": InstalledDist(name=canonicalize_name("b"), display_name="b", version=Version("1.0"),
                                    dist_info=Path("/x/b-1.0.dist-info"))}
    got, provider = solve(U, "b", installed=installed)
    assert got == {"b": "1.0"} and provider._index.asked == []
    got, _ = solve(U, "b", installed=installed, policy=ResolvePolicy(upgrade=frozenset({"b"})))
    assert got == {"b": "2.0"}


def test_constraints_restrict_without_adding() -> None:
    from packaging.specifiers import SpecifierSet

    policy = ResolvePolicy(constraints={"b": SpecifierSet("<2").to_range(), "c": SpecifierSet("<0").to_range()})
    assert solve(U, "a", policy=policy)[0] == {"a": "1.0", "b": "1.0"}


def test_missing_root_project_is_named() -> None:
    with pytest.raises(PackageNotFoundError):
        solve(U, "nope")


def test_missing_dependency_is_explained() -> None:
    with pytest.raises(ResolutionImpossible) as info:
        solve({"a": {"1.0": ["ghost"]}}, "a")
    assert any("ghost" in n for n in info.value.notes)


def test_make_plan_keeps_replaces_and_installs() -> None:
    installed = {"b": InstalledDist(name=canonicalize_name("b"), display_name="b", version=Version("1.0"),
                                    dist_info=Path("/x/b-1.0.dist-info"))}
    provider = make_provider(U, installed=installed, policy=ResolvePolicy(upgrade=frozenset({"a", "b"})))
    res = resolve([Requirement("a"), Requirement("b")], provider)
    plan = make_plan(res, installed)
    assert [p.name for p in plan.install] == ["a", "b"]
    assert [d.name for d in plan.remove] == ["b"]


def test_an_extra_gets_what_names_it_however_the_marker_spells_it() -> None:
    """The provider finds an extra's requirements from the extras each marker names; a marker
    that spells the extra differently, joins it with other tests, or tests ``extra`` in a way
    that cannot be indexed (``in``) still counts, and a negation adds nothing to an extra."""
    universe = {
        "a": {"1.0": ['b; extra == "Fancy_Stuff"',
                      'c; python_version >= "3" and (extra == "other" or extra == "fancy-stuff")',
                      'd; "fancy-stuff" in extra', 'e; extra != "other"', 'f; extra == "other"']},
        **{name: {"1.0": []} for name in "bcdef"},
    }
    got, _ = solve(universe, "a[fancy-stuff]")
    assert set(got) == {"a", "b", "c", "d", "e"}
    got, _ = solve(universe, "a[other]")
    assert set(got) == {"a", "c", "f", "e"}


def test_prefetch_fetches_the_metadata_the_solver_will_want_without_waiting_for_a_page() -> None:
    from concurrent.futures import Future

    from packaging.specifiers import SpecifierSet

    class Inline:
        def submit(self, fn, *args):  # noqa: ANN001, ANN002, ANN202
            future: Future[object] = Future()
            future.set_result(fn(*args))
            return future

    fetched: list[str] = []

    class Recording(FakeMetadata):
        def get(self, file: IndexFile) -> CoreMetadata:
            fetched.append(f"{file.name}=={file.version}")
            return super().get(file)

    provider = make_provider(U)
    provider._metadata = Recording(U)
    provider._executor = Inline()
    provider.prefetch("b", SpecifierSet("<2").to_range())
    assert fetched == [] and provider._index.asked == []  # no page yet: nothing, and no wait
    provider.choose_version("b", SpecifierSet("").to_range())  # the page arrives
    provider.prefetch("b", SpecifierSet("<2").to_range())
    provider.prefetch("b[x]", SpecifierSet("<2").to_range())  # the same file: asked once
    assert fetched == ["b==1.0"]
