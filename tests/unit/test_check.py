"""``check``'s rules: pip's sentences, markers with extra="", pre-releases, order."""

from __future__ import annotations

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.app.check import Package, Unreadable, applies, check_set

MARKERS = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux",
           "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
           "platform_machine": "x86_64", "platform_python_implementation": "CPython",
           "platform_release": "", "platform_version": "", "implementation_version": "3.11.7"}


def pkg(name: str, version: str, *reqs: str) -> Package:
    return Package(name=canonicalize_name(name), version=Version(version),
                   requires=tuple(Requirement(r) for r in reqs))


def test_all_good() -> None:
    result = check_set([pkg("a", "1", "b>=1"), pkg("b", "1.0")], MARKERS)
    assert result.ok and result.lines() == []


def test_missing_and_conflicting_sentences_use_normalized_names() -> None:
    result = check_set([pkg("My_App", "1.0", "Some_Lib>=2", "Other.Lib"), pkg("some-lib", "1.5")], MARKERS)
    assert not result.ok
    assert result.lines() == [
        "my-app 1.0 requires other-lib, which is not installed.",
        "my-app 1.0 has requirement Some_Lib>=2, but you have some-lib 1.5.",
    ]


def test_missing_come_before_conflicts_across_packages() -> None:
    result = check_set([pkg("b", "1", "x"), pkg("a", "1", "b>2"), pkg("c", "1", "y")], MARKERS)
    assert result.lines() == [
        "b 1 requires x, which is not installed.",
        "c 1 requires y, which is not installed.",
        "a 1 has requirement b>2, but you have b 1.",
    ]


def test_markers_and_extras() -> None:
    result = check_set([pkg("a", "1", "old; python_version < '3'", "opt; extra == 'x'",
                            "linux; sys_platform == 'linux'", "b>=2; os_name == 'nt'"), pkg("b", "1")], MARKERS)
    assert result.lines() == ["a 1 requires linux, which is not installed."]
    assert applies(Requirement("x; extra == ''"), MARKERS)
    assert not applies(Requirement("x; extra == 'fast'"), MARKERS)


def test_prereleases_satisfy_specifiers() -> None:
    assert check_set([pkg("a", "1", "b>=1"), pkg("b", "2.0rc1")], MARKERS).ok
    assert check_set([pkg("a", "1", "b"), pkg("b", "2.0.dev1")], MARKERS).ok


def test_requirement_with_marker_is_shown_whole() -> None:
    result = check_set([pkg("a", "1", "b<1; python_version >= '3'"), pkg("b", "1")], MARKERS)
    assert result.lines() == ['a 1 has requirement b<1; python_version >= "3", but you have b 1.']


def test_duplicates_reported_once_and_sorted() -> None:
    # pip keys findings by (name, requirement): a repeated line once, two spellings twice.
    result = check_set([pkg("a", "1", "z", "m", "z", "m>=1")], MARKERS)
    assert result.lines() == [
        "a 1 requires m, which is not installed.",
        "a 1 requires m, which is not installed.",
        "a 1 requires z, which is not installed.",
    ]


def test_unreadable_is_kept_but_does_not_fail_alone() -> None:
    result = check_set([pkg("a", "1")], MARKERS, [Unreadable(name="b", reason="no METADATA")])
    assert result.ok and result.unreadable[0].name == "b"


def test_broken_by_names_only_what_the_change_breaks(tmp_path) -> None:  # noqa: ANN001
    from packaging.version import Version

    from spoke.app.check import broken_by
    from spoke.env.installed import installed_distributions

    def dist(name: str, version: str, *requires: str) -> None:
        info = tmp_path / f"{name}-{version}.dist-info"
        info.mkdir()
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                 *(f"Requires-Dist: {r}" for r in requires)]
        (info / "METADATA").write_text("\n".join(lines) + "\n")

    dist("flask", "3.0", "werkzeug>=3")
    dist("werkzeug", "3.0")
    dist("old", "1.0", "six<1")  # already broken: six 1.17 never met it
    dist("six", "1.17")
    installed = installed_distributions([tmp_path])
    markers = {"python_version": "3.11", "sys_platform": "linux"}
    assert broken_by(installed, {"werkzeug": Version("2.3")}, markers) == [
        "flask 3.0 requires werkzeug>=3, and werkzeug 2.3 would be installed"]
    assert broken_by(installed, {"werkzeug": Version("3.1")}, markers) == []
    assert broken_by(installed, {"six": Version("1.16")}, markers) == []  # was broken before
    assert broken_by(installed, {"newcomer": Version("1.0")}, markers) == []  # nothing installed to break
