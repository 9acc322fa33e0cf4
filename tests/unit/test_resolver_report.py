"""The "Because …" reports: full-text snapshots of solver failures and hand-built trees."""

from __future__ import annotations

from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet

from spoke.resolver import (
    ROOT,
    Dependency,
    Derived,
    NoSolution,
    NoVersions,
    Resolver,
    Unavailable,
    default_describe,
    explain,
    format_range,
    suggest,
)
from spoke.resolver.terms import negative, positive
from spoke.resolver.tree import collapse_no_versions
from tests.unit.test_resolver import BRANCHING_ERROR, LINEAR_ERROR, DictProvider, failure, rng

ONE = VersionRange.singleton("1")
ROOT_TERM = positive(VersionRange.singleton("0"))


def test_linear_error_report() -> None:
    error = failure(LINEAR_ERROR, {"foo": ">=1.0.0,<2.0.0", "baz": ">=1.0.0,<2.0.0"})
    assert error.message == (
        "Because bar>=2.0.0,<3.0.0 depends on baz>=3.0.0,<4.0.0 and foo==1.0.0 depends on "
        "bar>=2.0.0,<3.0.0, foo>=1.0.0,<2.0.0 depends on baz>=3.0.0,<4.0.0.\n"
        "And because you require foo>=1.0.0,<2.0.0 and baz>=1.0.0,<2.0.0, "
        "your request is unsatisfiable."
    )
    assert error.hint == (
        "loosen or remove one of the requirements `foo>=1.0.0,<2.0.0` or `baz>=1.0.0,<2.0.0`"
    )


def test_branching_error_report_numbers_the_line_it_refers_back_to() -> None:
    error = failure(BRANCHING_ERROR, {"foo": ">=1.0.0,<2.0.0"})
    assert error.message == (
        "Because a>=1.0.0,<2.0.0 depends on b>=2.0.0,<3.0.0 and foo==1.0.0 depends on "
        "a>=1.0.0,<2.0.0, foo==1.0.0 depends on b>=2.0.0,<3.0.0.\n"
        "And because foo==1.0.0 depends on b>=1.0.0,<2.0.0, "
        "foo>=1.0.0,<2.0.0,!=1.1.0 cannot be used. (1)\n"
        "\n"
        "Because x>=1.0.0,<2.0.0 depends on y>=2.0.0,<3.0.0 and foo==1.1.0 depends on "
        "x>=1.0.0,<2.0.0, foo==1.1.0 depends on y>=2.0.0,<3.0.0.\n"
        "And because foo==1.1.0 depends on y>=1.0.0,<2.0.0, foo==1.1.0 cannot be used.\n"
        "And because foo>=1.0.0,<2.0.0,!=1.1.0 cannot be used (1), "
        "foo>=1.0.0,<2.0.0 cannot be used.\n"
        "And because you require foo>=1.0.0,<2.0.0, your request is unsatisfiable."
    )


def test_transitive_conflict_with_a_requirement() -> None:
    universe = {
        "a": {"1.0": {"b": ">=2.0"}},
        "b": {"2.0": {"c": "<1.0"}},
        "c": {"0.5": {}, "1.0": {}},
    }
    error = failure(universe, {"a": "==1.0", "c": ">=1.0"})
    assert error.message == (
        "Because b>=2.0 depends on c<1.0 and a==1.0 depends on b>=2.0, "
        "a==1.0 depends on c<1.0.\n"
        "And because you require a==1.0 and c>=1.0, your request is unsatisfiable."
    )


def test_unavailable_version_report() -> None:
    universe = {"a": {"1.0": Unavailable(reason="it has no wheel for this platform")}}
    error = failure(universe, {"a": ">=1"})
    assert error.message == (
        "Because there is no version of a>1.0 and a==1.0 cannot be used because it has no "
        "wheel for this platform, a>=1.0 cannot be used.\n"
        "And because you require a>=1, your request is unsatisfiable."
    )


def test_missing_dependency_report() -> None:
    error = failure({"a": {"1.0": {"b": ">=1"}}}, {"a": ">=1"})
    assert error.message == (
        "Because there is no version of b>=1 and a==1.0 depends on b>=1, a>=1.0 cannot be used.\n"
        "And because you require a>=1, your request is unsatisfiable."
    )


def test_unknown_package_report_and_hint() -> None:
    error = failure({}, {"ghost": ""})
    assert error.message == (
        "Because there is no version of ghost and you require ghost, your request is unsatisfiable."
    )
    assert error.hint == (
        "no version of `ghost` is available: check its name and your index settings"
    )


def test_provider_describe_hook_wins() -> None:
    class Describing(DictProvider):
        def describe(self, package: object, allowed: VersionRange) -> str:
            return f"{package} ({format_range(allowed) or 'any'})"

    universe = {"a": {"1.0": {}}}
    try:
        Resolver(Describing(universe)).solve({"a": rng(">=2")})
    except NoSolution as error:
        assert error.message == (
            "Because there is no version of a (>=2) and you require a (>=2), "
            "your request is unsatisfiable."
        )
        assert error.hint == "loosen or remove the requirement `a (>=2)`"
    else:  # pragma: no cover - the assertion below documents the expectation
        raise AssertionError("the solve should fail")


def test_shared_subtree_is_explained_once_and_referred_to() -> None:
    b2 = SpecifierSet(">=2").to_range()
    shared = Derived(
        terms=(("a", positive(ONE)),),
        shared_id=3,
        cause1=NoVersions(package="b", versions=b2),
        cause2=Dependency(package="a", versions=ONE, dependency="b", dependency_versions=b2),
    )
    left = Derived(
        terms=(("c", positive(ONE)),),
        shared_id=None,
        cause1=shared,
        cause2=Dependency(package="c", versions=ONE, dependency="a", dependency_versions=ONE),
    )
    root_dep = Dependency(
        package=ROOT, versions=VersionRange.singleton("0"), dependency="a", dependency_versions=ONE
    )
    right = Derived(
        terms=((ROOT, ROOT_TERM), ("c", negative(ONE))),
        shared_id=None,
        cause1=shared,
        cause2=root_dep,
    )
    top = Derived(terms=((ROOT, ROOT_TERM),), shared_id=None, cause1=left, cause2=right)
    assert explain(top) == (
        "Because there is no version of b>=2 and a==1 depends on b>=2, a==1 cannot be used. (1)\n"
        "And because c==1 depends on a==1, c==1 cannot be used. (2)\n"
        "\n"
        "Because a==1 cannot be used (1) and you require a==1, you require c==1.\n"
        "And because c==1 cannot be used (2), your request is unsatisfiable."
    )
    assert suggest(top) == "loosen or remove the requirement `a==1`"


def test_terms_of_several_packages_read_as_incompatible() -> None:
    top = Derived(
        terms=(("a", positive(ONE)), ("b", positive(ONE)), ("c", negative(ONE))),
        shared_id=None,
        cause1=NoVersions(package="x", versions=ONE),
        cause2=NoVersions(package="y", versions=ONE),
    )
    assert explain(top) == (
        "Because there is no version of x==1 and there is no version of y==1, "
        "a==1, b==1 and not c==1 are incompatible."
    )


def test_external_only_tree() -> None:
    fact = Dependency(
        package=ROOT,
        versions=VersionRange.singleton("0"),
        dependency="a",
        dependency_versions=VersionRange.empty(),
    )
    assert explain(fact) == "Because you require a (no version), your request is unsatisfiable."


def test_collapse_keeps_no_version_facts_about_requirements() -> None:
    c1 = SpecifierSet(">=1").to_range()
    root_dep = Dependency(
        package=ROOT, versions=VersionRange.singleton("0"), dependency="c", dependency_versions=c1
    )
    tree = Derived(
        terms=((ROOT, ROOT_TERM),),
        shared_id=None,
        cause1=NoVersions(package="c", versions=c1),
        cause2=root_dep,
    )
    assert collapse_no_versions(tree) is tree


def test_format_range_shapes() -> None:
    def spec(text: str) -> VersionRange:
        return SpecifierSet(text).to_range()

    assert format_range(VersionRange.full()) == ""
    assert format_range(VersionRange.singleton("1.0")) == "==1.0"
    assert format_range(spec("<2,>=1.0")) == ">=1.0,<2"
    assert format_range(spec("==1.*")) == "==1.*"
    assert format_range(spec(">=1,<2") - VersionRange.singleton("1.5")) == ">=1,<2,!=1.5"
    assert format_range(spec("<1") | spec(">=2,<3")) == " in <1 || >=2,<3"
    assert default_describe("a", VersionRange.empty()) == "a (no version)"
    assert default_describe("a", spec(">=1")) == "a>=1"
