"""Which files fit a target, and in which order."""

from __future__ import annotations

from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.models import IndexFile, Yanked
from spoke.plan.candidates import FilePolicy, group_versions, order_versions, python_matches

TAGS = [Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("cp311", "abi3", "manylinux_2_17_x86_64"),
        Tag("py3", "none", "any")]


def policy(**kw: object) -> FilePolicy:
    return FilePolicy(tags={t: i for i, t in enumerate(TAGS)}, python_version=Version("3.11.7"), **kw)  # type: ignore[arg-type]


def wheel(version: str, tag: str = "py3-none-any", **kw: object) -> IndexFile:
    return IndexFile(
        name=canonicalize_name("demo"), version=Version(version),
        filename=f"demo-{version}-{tag}.whl", url=f"https://x/demo-{version}-{tag}.whl",
        tags=frozenset(parse_tag(tag)), **kw,  # type: ignore[arg-type]
    )


def sdist(version: str, **kw: object) -> IndexFile:
    return IndexFile(name=canonicalize_name("demo"), version=Version(version),
                     filename=f"demo-{version}.tar.gz", url=f"https://x/demo-{version}.tar.gz", **kw)  # type: ignore[arg-type]


def test_best_wheel_is_most_specific_tag() -> None:
    files = [wheel("1.0"), wheel("1.0", "cp311-cp311-manylinux_2_17_x86_64"), sdist("1.0")]
    choices, _ = group_versions("demo", files, policy())
    assert [f.filename for f in choices[Version("1.0")].files] == [
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz",
    ]


def test_incompatible_wheels_and_python_are_rejected_with_reasons() -> None:
    files = [wheel("2.0", "cp312-cp312-win_amd64"), wheel("1.5", requires_python=">=3.12"), wheel("1.0")]
    choices, rejected = group_versions("demo", files, policy())
    assert list(choices) == [Version("1.0")]
    assert "platform" in rejected[Version("2.0")]
    assert "3.12" in rejected[Version("1.5")]


def test_yanked_version_only_when_every_file_is_yanked() -> None:
    files = [wheel("1.0", yanked=Yanked(reason="bad")), sdist("1.0"), wheel("2.0", yanked=Yanked())]
    choices, _ = group_versions("demo", files, policy())
    assert not choices[Version("1.0")].yanked
    assert [f.filename for f in choices[Version("1.0")].files] == ["demo-1.0.tar.gz"]
    assert choices[Version("2.0")].yanked


def test_only_binary_and_no_binary() -> None:
    files = [sdist("2.0"), wheel("1.0")]
    choices, rejected = group_versions("demo", files, policy(only_binary=frozenset({":all:"})))
    assert list(choices) == [Version("1.0")] and Version("2.0") in rejected
    choices, _ = group_versions("demo", files, policy(no_binary=frozenset({"demo"})))
    assert list(choices) == [Version("2.0")]


def test_prefer_binary_orders_wheels_first() -> None:
    choices, _ = group_versions("demo", [sdist("2.0"), wheel("1.0")], policy())
    assert list(order_versions(choices)) == [Version("2.0"), Version("1.0")]
    assert list(order_versions(choices, prefer_binary=True)) == [Version("1.0"), Version("2.0")]


def test_python_matches_tolerates_junk() -> None:
    assert python_matches(">=3.8", Version("3.11"))
    assert not python_matches(">=3.12", Version("3.11"))
    assert python_matches("not a spec", Version("3.11"))
    assert python_matches(None, Version("3.11"))
