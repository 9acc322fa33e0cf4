"""The PubGrub solver against small in-memory universes, and against brute force."""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Mapping

import pytest
from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from spoke.errors import ResolutionImpossible
from spoke.resolver import (
    ROOT,
    Dependency,
    Derived,
    NoSolution,
    NoVersions,
    Resolver,
    ResolverTooLong,
    Unavailable,
    UnavailableVersion,
)
from spoke.resolver.tree import leaves

# A universe: {package: {version: {dependency: specifier} or Unavailable}}.
Universe = Mapping[str, Mapping[str, "Mapping[str, str] | Unavailable"]]


@functools.cache
def rng(spec: str) -> VersionRange:
    return SpecifierSet(spec).to_range()


class DictProvider:
    """A provider over a dict; ``"a[x]"`` is the extra x of ``a`` (a virtual package).

    An extra's entry lists only the extra's own dependencies; the provider adds the
    dependency on its base package at the same version.
    """

    def __init__(self, universe: Universe) -> None:
        self.universe = universe
        self.dependency_calls: list[tuple[str, Version]] = []
        self.chosen: list[str] = []
        self._entries: dict[str, dict[Version, object]] = {}

    def entries(self, package: str) -> dict[Version, object]:
        """Versions of ``package``, newest first, with their universe entries."""
        known = self._entries.get(package)
        if known is None:
            entry = self.universe.get(package) or self.universe.get(package.split("[")[0], {})
            pairs = sorted(((Version(v), deps) for v, deps in entry.items()), reverse=True)
            known = self._entries[package] = dict(pairs)
        return known

    def versions(self, package: str) -> list[Version]:
        return list(self.entries(package))

    def choose_version(self, package: str, allowed: VersionRange) -> Version | None:
        self.chosen.append(package)
        for version in self.entries(package):
            if allowed.contains(version, prereleases=True):
                return version
        return None

    def get_dependencies(
        self, package: str, version: Version
    ) -> Mapping[str, VersionRange] | Unavailable:
        self.dependency_calls.append((package, version))
        entry = self.entries(package)[version]
        if isinstance(entry, Unavailable):
            return entry
        assert isinstance(entry, Mapping)
        dependencies = {name: rng(spec) for name, spec in entry.items()}
        if "[" in package:
            base = package.split("[")[0]
            dependencies = {base: VersionRange.singleton(version), **dependencies}
        return dependencies

    def prioritize(self, package: str, allowed: VersionRange) -> tuple[int, str]:
        count = sum(1 for v in self.entries(package) if allowed.contains(v, prereleases=True))
        return count, package


def solve(universe: Universe, requirements: Mapping[str, str], **kwargs: object) -> dict[str, str]:
    provider = DictProvider(universe)
    result = Resolver(provider, **kwargs).solve(  # type: ignore[arg-type]
        {name: rng(spec) for name, spec in requirements.items()}
    )
    return {str(name): str(version) for name, version in result.items()}


def failure(universe: Universe, requirements: Mapping[str, str]) -> NoSolution:
    with pytest.raises(NoSolution) as info:
        solve(universe, requirements)
    return info.value


# -- the classic examples of the PubGrub documentation ---------------------------------

NO_CONFLICT: Universe = {
    "foo": {"1.0.0": {"bar": ">=1.0.0,<2.0.0"}},
    "bar": {"1.0.0": {}, "2.0.0": {}},
}
AVOIDING_CONFLICT: Universe = {
    "foo": {"1.0.0": {}, "1.1.0": {"bar": ">=2.0.0,<3.0.0"}},
    "bar": {"1.0.0": {}, "1.1.0": {}, "2.0.0": {}},
}
CONFLICT_RESOLUTION: Universe = {
    "foo": {"1.0.0": {}, "2.0.0": {"bar": ">=1.0.0,<2.0.0"}},
    "bar": {"1.0.0": {"foo": ">=1.0.0,<2.0.0"}},
}
PARTIAL_SATISFIER: Universe = {
    "foo": {"1.0.0": {}, "1.1.0": {"left": ">=1.0.0,<2.0.0", "right": ">=1.0.0,<2.0.0"}},
    "left": {"1.0.0": {"shared": ">=1.0.0"}},
    "right": {"1.0.0": {"shared": "<2.0.0"}},
    "shared": {"2.0.0": {}, "1.0.0": {"target": ">=1.0.0,<2.0.0"}},
    "target": {"2.0.0": {}, "1.0.0": {}},
}
LINEAR_ERROR: Universe = {
    "foo": {"1.0.0": {"bar": ">=2.0.0,<3.0.0"}},
    "bar": {"2.0.0": {"baz": ">=3.0.0,<4.0.0"}},
    "baz": {"1.0.0": {}, "3.0.0": {}},
}
BRANCHING_ERROR: Universe = {
    "foo": {
        "1.0.0": {"a": ">=1.0.0,<2.0.0", "b": ">=1.0.0,<2.0.0"},
        "1.1.0": {"x": ">=1.0.0,<2.0.0", "y": ">=1.0.0,<2.0.0"},
    },
    "a": {"1.0.0": {"b": ">=2.0.0,<3.0.0"}},
    "b": {"1.0.0": {}, "2.0.0": {}},
    "x": {"1.0.0": {"y": ">=2.0.0,<3.0.0"}},
    "y": {"1.0.0": {}, "2.0.0": {}},
}


def test_no_conflict() -> None:
    assert solve(NO_CONFLICT, {"foo": ">=1.0.0,<2.0.0"}) == {"foo": "1.0.0", "bar": "1.0.0"}


def test_avoiding_conflict_during_decision_making() -> None:
    result = solve(AVOIDING_CONFLICT, {"foo": ">=1.0.0,<2.0.0", "bar": ">=1.0.0,<2.0.0"})
    assert result == {"foo": "1.0.0", "bar": "1.1.0"}


def test_performing_conflict_resolution() -> None:
    assert solve(CONFLICT_RESOLUTION, {"foo": ">=1.0.0"}) == {"foo": "1.0.0"}


def test_conflict_resolution_with_a_partial_satisfier() -> None:
    result = solve(PARTIAL_SATISFIER, {"foo": ">=1.0.0,<2.0.0", "target": ">=2.0.0,<3.0.0"})
    assert result == {"foo": "1.0.0", "target": "2.0.0"}


def test_linear_error_reporting_fails() -> None:
    error = failure(LINEAR_ERROR, {"foo": ">=1.0.0,<2.0.0", "baz": ">=1.0.0,<2.0.0"})
    assert isinstance(error, ResolutionImpossible)
    assert isinstance(error.derivation, Derived)
    assert str(error) == error.message
    assert error.message.endswith("your request is unsatisfiable.")


def test_branching_error_reporting_fails() -> None:
    error = failure(BRANCHING_ERROR, {"foo": ">=1.0.0,<2.0.0"})
    facts = leaves(error.derivation)
    assert Dependency(
        package=ROOT,
        versions=VersionRange.singleton("0"),
        dependency="foo",
        dependency_versions=rng(">=1.0.0,<2.0.0"),
    ) in facts
    assert any(isinstance(f, Dependency) and f.package == "x" for f in facts)
    assert any(isinstance(f, Dependency) and f.package == "a" for f in facts)


# -- shapes ------------------------------------------------------------------------------


def test_simple_chain_picks_the_newest_versions() -> None:
    universe = {
        "a": {"1.0": {"b": ">=1"}, "2.0": {"b": ">=2"}},
        "b": {"1.0": {"c": "<2"}, "2.0": {"c": ">=1"}, "2.1": {"c": ">=2"}},
        "c": {"1.0": {}, "2.0": {}, "3.0": {}},
    }
    assert solve(universe, {"a": ""}) == {"a": "2.0", "b": "2.1", "c": "3.0"}


def test_diamond_backtracks_to_a_compatible_pair() -> None:
    universe = {
        "left": {"1.0": {"shared": "<2"}, "2.0": {"shared": ">=3"}},
        "right": {"1.0": {"shared": "<3"}},
        "shared": {"1.0": {}, "2.0": {}, "3.0": {}},
    }
    result = solve(universe, {"left": "", "right": ""})
    assert result == {"left": "1.0", "right": "1.0", "shared": "1.0"}


def test_requirement_on_unknown_package_has_no_version() -> None:
    error = failure({}, {"ghost": ""})
    assert leaves(error.derivation)[0] == NoVersions(
        package="ghost", versions=VersionRange.full(admit_arbitrary=False)
    )
    assert "there is no version of ghost" in error.message
    assert error.hint is not None and "`ghost`" in error.hint


def test_unavailable_version_is_skipped_and_explained() -> None:
    universe = {"a": {"1.0": {}, "2.0": Unavailable(reason="it requires Python >=3.12")}}
    assert solve(universe, {"a": ""}) == {"a": "1.0"}
    error = failure(universe, {"a": ">=2"})
    assert UnavailableVersion(
        package="a", version=Version("2.0"), reason="it requires Python >=3.12"
    ) in leaves(error.derivation)
    assert "a==2.0 cannot be used because it requires Python >=3.12" in error.message


def test_root_requirement_unsatisfiable() -> None:
    error = failure({"a": {"1.0": {}}}, {"a": ">=2"})
    assert error.message == (
        "Because there is no version of a>=2 and you require a>=2, your request is unsatisfiable."
    )
    assert error.hint == "loosen or remove the requirement `a>=2`"


def test_self_dependency_is_ignored() -> None:
    universe = {"a": {"1.0": {"a": "<1"}}}
    assert solve(universe, {"a": ""}) == {"a": "1.0"}


def test_dependency_on_an_empty_range_makes_the_version_unusable() -> None:
    universe = {"a": {"1.0": {}, "2.0": {"b": ">=2,<1"}}, "b": {"1.0": {}}}
    provider = DictProvider(universe)
    assert Resolver(provider).solve({"a": rng("")}) == {"a": Version("1.0")}
    assert all(package != "b" for package, _ in provider.dependency_calls)


def test_root_requirement_on_an_empty_range_fails() -> None:
    error = failure({"a": {"1.0": {}}}, {"a": ">=2,<1"})
    assert error.message == "Because you require a (no version), your request is unsatisfiable."


def test_full_ranges_with_the_arbitrary_flag_are_accepted() -> None:
    provider = DictProvider({"a": {"1.0": {"b": ""}}, "b": {"1.0": {}}})
    result = Resolver(provider).solve({"a": VersionRange.full()})
    assert result == {"a": Version("1.0"), "b": Version("1.0")}


def test_dependencies_are_fetched_once_per_version() -> None:
    provider = DictProvider(BRANCHING_ERROR)
    with pytest.raises(NoSolution):
        Resolver(provider).solve({"foo": rng(">=1.0.0,<2.0.0")})
    assert len(provider.dependency_calls) == len(set(provider.dependency_calls))


def test_most_constrained_package_is_decided_first() -> None:
    universe = {
        "many": {"1": {}, "2": {}, "3": {}},
        "one": {"1": {}},
    }
    provider = DictProvider(universe)
    Resolver(provider).solve({"many": rng(""), "one": rng("")})
    assert provider.chosen == ["one", "many"]


def test_extras_are_virtual_packages_pinned_to_their_base() -> None:
    universe = {
        "a": {"1.0": {}, "2.0": {}},
        "a[x]": {"1.0": {"c": ">=1"}, "2.0": {"c": ">=2"}},
        "c": {"1.0": {}},
        "user": {"1.0": {"a[x]": ""}},
    }
    result = solve(universe, {"user": "", "a": ""})
    assert result == {"user": "1.0", "a": "1.0", "a[x]": "1.0", "c": "1.0"}


def test_extra_and_base_conflict_is_reported() -> None:
    universe = {
        "a": {"1.0": {}, "2.0": {}},
        "a[x]": {"1.0": {"c": ">=2"}, "2.0": {"c": ">=2"}},
        "c": {"1.0": {}},
    }
    error = failure(universe, {"a[x]": ""})
    assert "a[x]" in error.message
    assert "there is no version of c>=2" in error.message


def test_solve_is_deterministic() -> None:
    first = solve(PARTIAL_SATISFIER, {"foo": ">=1.0.0,<2.0.0", "target": ">=2.0.0,<3.0.0"})
    second = solve(PARTIAL_SATISFIER, {"foo": ">=1.0.0,<2.0.0", "target": ">=2.0.0,<3.0.0"})
    assert list(first.items()) == list(second.items())
    messages = {
        failure(BRANCHING_ERROR, {"foo": ">=1.0.0,<2.0.0"}).message for _ in range(3)
    }
    assert len(messages) == 1


def test_resolver_can_be_reused() -> None:
    resolver = Resolver(DictProvider(NO_CONFLICT))
    assert resolver.solve({"foo": rng("")}) == resolver.solve({"foo": rng("")})


def test_max_steps_stops_a_long_search() -> None:
    universe = {
        "a": {str(i): {"b": f"=={i}"} for i in range(1, 40)},
        "b": {str(i): {} for i in range(1, 40)},
    }
    with pytest.raises(ResolverTooLong):
        solve(universe, {"a": "", "b": "<2"}, max_steps=10)
    assert solve(universe, {"a": "", "b": "<2"}) == {"a": "1", "b": "1"}


def test_choice_outside_the_allowed_range_is_refused() -> None:
    class Wrong(DictProvider):
        def choose_version(self, package: str, allowed: VersionRange) -> Version | None:
            return Version("9")

    with pytest.raises(ValueError, match="outside the allowed range"):
        Resolver(Wrong({"a": {"1": {}}})).solve({"a": rng("<2")})


def test_custom_root_package() -> None:
    provider = DictProvider(NO_CONFLICT)
    result = Resolver(provider, root="my-project").solve({"foo": rng("")})
    assert result == {"foo": Version("1.0.0"), "bar": Version("1.0.0")}


def test_backtracking_over_many_versions() -> None:
    count = 150
    universe = {
        "boto3": {
            f"1.0.{i}": {"botocore": f"==1.0.{i}", "s3transfer": ">=0.1"} for i in range(count)
        },
        "botocore": {f"1.0.{i}": {"urllib3": ">=1"} for i in range(count)},
        "s3transfer": {f"0.{i}": {"botocore": ">=1.0.0"} for i in range(1, 10)},
        "urllib3": {"1.0": {}, "2.0": {}},
    }
    result = solve(universe, {"boto3": "", "botocore": "<1.0.20"})
    assert result["boto3"] == result["botocore"] == "1.0.19"
    assert result["s3transfer"] == "0.9"


# -- agreement with brute force on tiny random universes -----------------------------------

_NAMES = ("a", "b", "c", "d")
_VERSIONS = ("1", "2", "3")
_SPECS = ("", "", ">=2", "<2", "==1", "==3", "!=2", ">=2,<3", ">=3", "<4", "==4")


def _random_case(rnd: random.Random) -> tuple[dict, dict[str, str]]:
    names = _NAMES[: rnd.randint(1, 4)]
    universe: dict[str, dict] = {}
    for name in names:
        universe[name] = {}
        for version in rnd.sample(_VERSIONS, rnd.choice((0, 1, 2, 2, 3, 3))):
            if rnd.random() < 0.1:
                universe[name][version] = Unavailable(reason="it is broken")
                continue
            # Mostly known packages; now and then one the universe lacks.
            others = [n for n in _NAMES[: len(names) + 1] if n != name]
            deps = rnd.sample(others, min(len(others), rnd.choice((0, 1, 1, 2))))
            universe[name][version] = {dep: rnd.choice(_SPECS) for dep in deps}
    wanted = rnd.sample(names, min(len(names), rnd.randint(1, 2)))
    return universe, {name: rnd.choice(_SPECS) for name in wanted}


def _satisfies(universe: dict, requirements: dict[str, str], chosen: dict[str, str]) -> bool:
    """Whether ``chosen`` (package -> version) meets every requirement and dependency."""

    def meets(name: str, spec: str) -> bool:
        return name in chosen and rng(spec).contains(Version(chosen[name]), prereleases=True)

    if not all(meets(name, spec) for name, spec in requirements.items()):
        return False
    for name, version in chosen.items():
        entry = universe.get(name, {}).get(version)
        if entry is None or isinstance(entry, Unavailable):
            return False
        if not all(meets(dep, spec) for dep, spec in entry.items()):
            return False
    return True


def _brute_force(universe: dict, requirements: dict[str, str]) -> bool:
    names = sorted(set(universe) | set(requirements))
    options = [[None, *universe.get(name, {})] for name in names]
    for combination in itertools.product(*options):
        chosen = {n: v for n, v in zip(names, combination, strict=True) if v is not None}
        if _satisfies(universe, requirements, chosen):
            return True
    return False


def test_agrees_with_brute_force_on_random_universes() -> None:
    rnd = random.Random(20240531)
    solved = failed = 0
    for _ in range(200):
        universe, requirements = _random_case(rnd)
        expected = _brute_force(universe, requirements)
        try:
            result = solve(universe, requirements)
        except NoSolution as error:
            assert not expected, (universe, requirements, error.message)
            assert error.message.endswith(".")
            failed += 1
        else:
            assert expected, (universe, requirements, result)
            assert _satisfies(universe, requirements, result), (universe, requirements, result)
            solved += 1
    # The generator must exercise both outcomes, or the comparison proves little.
    assert solved > 30 and failed > 30


def test_medium_random_universes_give_valid_answers_deterministically() -> None:
    """Too big for brute force: every answer must check out and repeat exactly."""
    rnd = random.Random(7)
    names = [f"p{i}" for i in range(8)]
    specs = ("", ">=2", "<4", "!=3", ">=3,<6", "==5", ">=1,<3")
    for _ in range(40):
        universe: dict[str, dict] = {
            name: {
                str(v): {
                    dep: rnd.choice(specs)
                    for dep in rnd.sample([n for n in names if n != name], rnd.randint(0, 3))
                }
                for v in range(1, rnd.randint(2, 7))
            }
            for name in names
        }
        requirements = {name: rnd.choice(specs) for name in rnd.sample(names, 3)}
        outcomes = []
        for _attempt in range(2):
            try:
                outcomes.append(list(solve(universe, requirements).items()))
            except NoSolution as error:
                outcomes.append([("error", error.message)])
        assert outcomes[0] == outcomes[1]
        if outcomes[0][0][0] != "error":
            assert _satisfies(universe, requirements, dict(outcomes[0]))


@pytest.mark.parametrize(
    "spec",
    ["==1.0", "==1.0+local", ">=1.0,<=1.0", ">=1.0,<1.0.post0", "==1.0.*", ">=1.0", "<2", "!=1.0", ">=1,<2",
     "==1.0,!=1.0+x", "~=1.0", ""],
)
def test_is_pinned_agrees_with_the_spelled_range(spec: str) -> None:
    """The solver's cheap "one release" test answers as spelling the range does."""
    from spoke.resolver import format_range, is_pinned

    versions = SpecifierSet(spec).to_range()
    text = format_range(versions)
    assert is_pinned(versions) == (text.startswith("==") and "," not in text and "*" not in text)
    assert is_pinned(VersionRange.singleton(Version("2.1")))


def test_the_solver_hints_each_package_and_its_range_before_deciding_it() -> None:
    """``prefetch`` (optional) hears of every package the solver must decide, with the range
    it must be in, before the solver asks for its version; a narrower range is told again."""

    class Hinted(DictProvider):
        def __init__(self, universe: Universe) -> None:
            super().__init__(universe)
            self.hints: list[tuple[str, str]] = []

        def prefetch(self, package: str, allowed: VersionRange) -> None:
            self.hints.append((package, format_range(allowed)))

        def choose_version(self, package: str, allowed: VersionRange) -> Version | None:
            if package != "root":
                assert package in {hinted for hinted, _ in self.hints}, package
            return super().choose_version(package, allowed)

    from spoke.resolver import format_range

    universe: Universe = {
        "a": {"1.0": {"b": ">=1"}},
        "c": {"1.0": {"b": "<2"}},
        "b": {"1.0": {}, "2.0": {}},
    }
    provider = Hinted(universe)
    result = Resolver(provider).solve({"a": rng(""), "c": rng("")})  # type: ignore[arg-type]
    assert {str(k): str(v) for k, v in result.items()} == {"a": "1.0", "c": "1.0", "b": "1.0"}
    assert ("b", ">=1,<2") in provider.hints
    assert {package for package, _ in provider.hints} == {"a", "b", "c"}
