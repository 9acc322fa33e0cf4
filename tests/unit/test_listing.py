"""The pure parts of ``list``/``show``: dependencies, latest versions, pip's output formats."""

from __future__ import annotations

import json

from packaging.requirements import Requirement
from packaging.tags import Tag
from packaging.version import Version

from spoke.app.listing import (
    Latest,
    ListRow,
    PackageInfo,
    as_json,
    columns,
    dependencies,
    freeze,
    homepage,
    latest,
    not_required,
    record_files,
    required_by,
    show_lines,
    sort_rows,
    tabulate,
)
from spoke.models import IndexFile

MARKERS = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux",
           "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython"}
TAG = Tag("py3", "none", "any")


def reqs(*lines: str) -> tuple[Requirement, ...]:
    return tuple(Requirement(line) for line in lines)


def test_dependencies_evaluate_markers_without_extras() -> None:
    got = dependencies(reqs("a", "b; python_version < '3'", "c[x]; extra == 'x'", "d; sys_platform == 'linux'"),
                       MARKERS)
    assert [r.name for r in got] == ["a", "d"]


def test_required_by_and_not_required() -> None:
    requires = {"app": reqs("Lib>=1", "tool; extra == 'dev'"), "lib": reqs(), "tool": reqs(), "x": reqs("lib")}
    display = {"app": "App", "lib": "Lib", "tool": "Tool", "x": "x"}
    assert required_by("LIB", requires, display, MARKERS) == ["App", "x"]
    assert required_by("tool", requires, display, MARKERS) == []
    assert not_required(requires, MARKERS) == {"app", "tool", "x"}


def file(version: str, *, wheel: bool = True, yanked: bool = False, rp: str | None = None,
         tag: Tag = TAG) -> IndexFile:
    name = f"p-{version}-py3-none-any.whl" if wheel else f"p-{version}.tar.gz"
    return IndexFile(name="p", version=Version(version), filename=name, url="https://x/" + name,
                     requires_python=rp, yanked="bad" if yanked else None,  # type: ignore[arg-type]
                     tags=frozenset({tag}) if wheel else frozenset())


def test_latest_skips_yanked_prereleases_python_and_foreign_wheels() -> None:
    files = [file("1.0"), file("1.0", wheel=False), file("2.0", yanked=True), file("3.0rc1"),
             file("4.0", rp="<3"), file("5.0", tag=Tag("cp27", "cp27m", "win32")), file("1.5", wheel=False)]
    py = Version("3.11.7")
    assert latest(files, python_version=py, tags={TAG: 0}) == Latest(Version("1.5"), "sdist")
    assert latest(files, python_version=py, tags={TAG: 0}, pre=True) == Latest(Version("3.0rc1"), "wheel")
    assert latest(files[:2], python_version=py, tags={TAG: 0}) == Latest(Version("1.0"), "wheel")
    assert latest([file("2.0", yanked=True)], python_version=py, tags={TAG: 0}) is None


def test_tabulate_like_pip() -> None:
    assert tabulate([["Package", "Version"], ["a", "1.0"], ["longer-name", "2"]]) == [
        "Package     Version", "----------- -------", "a           1.0", "longer-name 2",
    ]
    assert tabulate([]) == []


def test_list_formats() -> None:
    rows = sort_rows([ListRow(name="Zed", version=Version("1")), ListRow(name="alpha", version=Version("2"),
                      editable_location="/src/alpha", latest=Latest(Version("3"), "wheel"))])
    assert [r.name for r in rows] == ["alpha", "Zed"]
    assert columns(rows) == ["Package Version Editable project location",
                             "------- ------- -------------------------",
                             "alpha   2       /src/alpha", "Zed     1"]
    assert columns([]) == []
    assert freeze(rows) == ["alpha==2", "Zed==1"]
    assert json.loads(as_json(rows[:1], outdated=True)) == [
        {"name": "alpha", "version": "2", "latest_version": "3", "latest_filetype": "wheel",
         "editable_project_location": "/src/alpha"}]
    assert list(json.loads(as_json(rows[1:]))[0]) == ["name", "version"]


def test_show_lines_order() -> None:
    info = PackageInfo(name="a", version="1", requires=("b", "C"), required_by=("x",), files=("a/__init__.py",),
                       entry_points=("[console_scripts]", "a = a:main"))
    lines = show_lines(info, verbose=True, files=True)
    assert [line.split(":")[0] for line in lines[:10]] == [
        "Name", "Version", "Summary", "Home-page", "Author", "Author-email", "License", "Location",
        "Requires", "Required-by"]
    assert lines[8:10] == ["Requires: b, C", "Required-by: x"]
    assert lines[-2:] == ["Files:", "  a/__init__.py"]
    assert "Entry-points:" in lines and "  a = a:main" in lines
    assert (
        show_lines(PackageInfo(name="a", version="1"), files=True)[-1] == "Cannot locate RECORD or installed-files.txt"
    )
    assert "Editable project location: /p" in show_lines(PackageInfo(name="a", version="1", editable_location="/p"))


def test_homepage_and_record_files() -> None:
    assert homepage("https://h", ["Homepage, https://other"]) == "https://h"
    assert homepage("", ["Docs, https://d", "Home-Page, https://home "]) == "https://home"
    assert homepage("", []) == ""
    assert record_files(["b/./x.py", "a.py", "../../bin/s"]) == ["../../bin/s", "a.py", "b/x.py"]
