"""The marker algebra of universal resolution (spoke.plan.markerset): markers read as sets of
environments, set operations, and the way back to the shortest marker found."""

from __future__ import annotations

import pytest

from spoke.plan.markerset import (
    ALL_PYTHONS,
    PLATFORMS,
    MarkerSet,
    marker_set,
    py_complement,
    py_intersection,
    py_union,
    render,
    scope_of,
    specifier_pythons,
)

SCOPE = scope_of(">=3.9")


def _render(text: str, scope: MarkerSet = SCOPE) -> str:
    return render(marker_set(text), scope)


@pytest.mark.parametrize("text", [
    'sys_platform == "linux" and sys_platform == "win32"',
    'python_version >= "3.10" and python_version < "3.10"',
    'os_name == "nt" and sys_platform == "linux"',
    'implementation_name == "pypy" and platform_python_implementation == "CPython"',
])
def test_markers_that_cannot_hold_are_empty(text: str) -> None:
    assert not marker_set(text)


def test_a_and_not_a_and_a_or_not_a() -> None:
    a = marker_set('sys_platform == "darwin"')
    assert not (a & ~a)
    assert (a | ~a) == MarkerSet.everything()
    assert render(a | (a & marker_set('python_version >= "3.12"')), SCOPE) == 'sys_platform == "darwin"'


@pytest.mark.parametrize(("text", "expected"), [
    ('python_version < "3.11"', 'python_version < "3.11"'),
    ('"3.10" <= python_version', 'python_version >= "3.10"'),
    ('python_version > "3.9"', 'python_version >= "3.10"'),
    ('python_version <= "3.11"', 'python_version < "3.12"'),
    ('python_version == "3.10"', 'python_version == "3.10"'),
    ('python_version != "3.10"', 'python_version != "3.10"'),
    ('python_full_version >= "3.9.1"', 'python_full_version >= "3.9.1"'),
    ('python_full_version <= "3.11.0a6"', 'python_version < "3.11"'),  # no 3.11 release is <= a pre-release
    ('python_version < "3.11" and python_version < "3.12"', 'python_version < "3.11"'),
    ('python_version < "3.10" or python_version >= "3.12"', 'python_version < "3.10" or python_version >= "3.12"'),
    ('python_version >= "3.8"', ""),  # the whole scope: no marker
])
def test_python_versions_are_ranges(text: str, expected: str) -> None:
    assert _render(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ('sys_platform == "win32"', 'sys_platform == "win32"'),
    ('os_name == "nt"', 'sys_platform == "win32"'),  # the same platforms, named the first way
    ('platform_system != "Windows"', 'sys_platform != "win32"'),
    ('platform_machine == "x86_64"', 'platform_machine == "x86_64"'),
    ('sys_platform == "darwin" or sys_platform == "linux"', 'sys_platform == "darwin" or sys_platform == "linux"'),
    ('platform_machine == "x86_64" and sys_platform == "linux"',
     'sys_platform == "linux" and platform_machine == "x86_64"'),
    ('implementation_name == "pypy"', 'implementation_name == "pypy"'),
])
def test_platform_values(text: str, expected: str) -> None:
    assert _render(text) == expected


def test_mixed_markers_render_to_what_they_mean() -> None:
    for text in ['(sys_platform == "win32" and python_version >= "3.12") or python_version < "3.10"',
                 'python_version >= "3.12" or sys_platform == "darwin" and python_full_version < "3.10.2"',
                 'sys_platform == "linux" and platform_machine == "aarch64" and python_version >= "3.12"',
                 'platform_system != "Windows" and python_version < "3.12"']:
        rendered = _render(text)
        assert marker_set(rendered) & SCOPE == marker_set(text) & SCOPE, (text, rendered)
    assert _render('(sys_platform == "win32" and python_version >= "3.12") or python_version < "3.10"') == (
        'python_version < "3.10" or sys_platform == "win32" and python_version >= "3.12"')


def test_extra_is_decided_by_the_requirement() -> None:
    assert marker_set('extra == "fast"', "fast") == MarkerSet.everything()
    assert not marker_set('extra == "fast"', "")
    assert marker_set('extra == "Fast_Thing" and sys_platform == "linux"', "fast-thing") == marker_set(
        'sys_platform == "linux"')


def test_lock_extras_and_groups() -> None:
    assert marker_set("'dev' in dependency_groups", groups=frozenset({"dev"})) == MarkerSet.everything()
    assert not marker_set("'dev' in extras", extras=frozenset({"docs"}))


def test_outside_the_scope_is_dont_care() -> None:
    scope = scope_of(">=3.9", ['sys_platform == "darwin"', 'sys_platform == "linux"'])
    assert render(marker_set('sys_platform == "darwin"'), scope) == 'sys_platform == "darwin"'
    assert render(marker_set('sys_platform != "win32"'), scope) == ""
    assert render(marker_set('python_version >= "3.8"'), scope) == ""
    narrow = scope_of(">=3.10,<3.13")
    assert render(marker_set('python_version < "3.12"'), narrow) == 'python_version < "3.12"'
    assert render(marker_set('python_version >= "3.9"'), narrow) == ""


def test_python_sets() -> None:
    low = specifier_pythons(">=3.9")
    high = specifier_pythons("<3.12")
    assert py_intersection(low, high) == (((3, 9, 0), (3, 12, 0)),)
    assert py_union(py_complement(low), low) == ALL_PYTHONS
    assert specifier_pythons(">=3.8,!=3.9.*") == (((3, 8, 0), (3, 9, 0)), ((3, 10, 0), None))
    assert specifier_pythons("~=3.10") == (((3, 10, 0), (4, 0, 0)),)
    assert specifier_pythons("==3.11.*") == (((3, 11, 0), (3, 12, 0)),)
    assert specifier_pythons("not a specifier") == ALL_PYTHONS


def test_scope_of_environments() -> None:
    linux = scope_of(None, ['sys_platform == "linux"'])
    assert {PLATFORMS[i].sys_platform for i in linux.platform_indexes()} == {"linux"}
    assert not scope_of(">=3.12", ['python_version < "3.10"'])


@pytest.mark.parametrize(("text", "expected"), [
    ('python_full_version >= "3.13" and python_full_version != "3.13.1"',
     'python_version >= "3.13" and python_full_version != "3.13.1"'),
    ('python_version == "3.12" or python_full_version == "3.13.1"',
     'python_version == "3.12" or python_full_version == "3.13.1"'),
    ('platform_python_implementation != "PyPy" and sys_platform != "cygwin" and sys_platform != "win32"',
     'sys_platform != "cygwin" and sys_platform != "win32" and implementation_name == "cpython"'),
])
def test_the_shorter_of_two_forms(text: str, expected: str) -> None:
    assert _render(text) == expected


def test_python_4_is_out_of_every_scope() -> None:
    assert render(marker_set('python_version < "4"'), SCOPE) == ""
    assert not (marker_set('python_version >= "4"') & SCOPE)


def test_values_the_requirements_name_join_the_platforms() -> None:
    """``extend_platforms`` changes the module's universe, so it runs in a process of its own."""
    import subprocess
    import sys

    code = (
        "from spoke.plan.markerset import *\n"
        "scope = scope_of('>=3.9')\n"
        "assert not marker_set(\"sys_platform == 'os1'\")\n"
        "extend_platforms([\"sys_platform == 'os1' or platform_machine == 'riscv64'\"])\n"
        "scope = scope_of('>=3.9')\n"
        "print(render(marker_set(\"sys_platform == 'os1'\"), scope))\n"
        "print(render(marker_set(\"platform_machine == 'riscv64'\"), scope))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ['sys_platform == "os1"', 'platform_machine == "riscv64"']


@pytest.mark.parametrize(("filename", "expected"), [
    ("a-1.0-py3-none-any.whl", ""),
    ("a-1.0-cp39-cp39-any.whl", None),  # Python 3.9 only: outside the scope
    ("a-1.0-cp311-cp311-any.whl", 'implementation_name == "cpython" and python_version == "3.11"'),
    ("a-1.0-cp39-abi3-win_amd64.whl", 'platform_machine == "AMD64" and implementation_name == "cpython"'),
    ("a-1.0-cp312-cp312-macosx_11_0_universal2.whl",
     'sys_platform == "darwin" and implementation_name == "cpython" and python_version == "3.12"'),
    ("a-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
     'sys_platform == "linux" and platform_machine == "x86_64" and implementation_name == "cpython" and '
     'python_version == "3.12"'),
])
def test_where_a_wheel_installs(filename: str, expected: str | None) -> None:
    from spoke.plan.markerset import wheel_set

    scope = scope_of(">=3.10")
    found = wheel_set(filename) & scope
    assert (render(found, scope) if found else None) == expected


def test_extra_values_reads_equality_tests_of_extra_only() -> None:
    from packaging.markers import Marker

    from spoke.plan.markerset import extra_values

    assert extra_values(None) == frozenset()
    assert extra_values(Marker('os_name == "nt"')) == frozenset()
    assert extra_values(Marker('extra == "Foo_Bar" or "b" == extra')) == {"foo-bar", "b"}
    assert extra_values(Marker('python_version < "3.9" and extra != "z"')) == {"z"}
    assert extra_values(Marker('"a" in extra')) is None
