"""Classifying direct sources (:mod:`spoke.reqs.direct`) and their PEP 610 records."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoke.errors import RequirementError
from spoke.reqs import parse_requirement
from spoke.reqs.direct import direct_source, direct_url_record


def classify(text: str, cwd: Path, *, editable: bool = False, hashes: tuple[str, ...] = ()):  # noqa: ANN201
    item = parse_requirement(text, editable=editable, hashes=hashes)
    return direct_source(item, cwd)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text("[project]\nname='proj'\nversion='1'\n")
    (tmp_path / "mono" / "sub").mkdir(parents=True)
    (tmp_path / "mono" / "sub" / "setup.py").write_text("")
    (tmp_path / "plain").mkdir()
    (tmp_path / "x-1.0-py3-none-any.whl").write_bytes(b"")
    (tmp_path / "x-1.0.tar.gz").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    return tmp_path


def test_name_requirements_are_not_direct(tree: Path) -> None:
    assert classify("requests>=2", tree) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("./proj", "dir"), ("proj/", "dir"), (".", None), ("x-1.0-py3-none-any.whl", "wheel"),
        ("./x-1.0.tar.gz", "sdist"), ("https://h/p/x-1.0.tar.gz", "sdist"),
        ("https://h/p/x-1.0-py3-none-any.whl#sha256=" + "a" * 64, "wheel"),
        ("git+https://h/r.git@v1#egg=r", "vcs"), ("x @ https://h/x-1.0.zip", "sdist"),
    ],
)
def test_kinds(tree: Path, text: str, kind: str | None) -> None:
    if kind is None:  # "." in tree is not a project
        with pytest.raises(RequirementError, match="not a Python project"):
            classify(text, tree)
        return
    source = classify(text, tree)
    assert source is not None and source.kind == kind


def test_paths_become_absolute_file_urls(tree: Path) -> None:
    source = classify("./proj", tree)
    assert source.path == tree / "proj" and source.url == (tree / "proj").as_uri()


def test_path_with_extras_and_file_url_with_subdirectory(tree: Path) -> None:
    source = classify("./proj[cli,dev]", tree)
    assert source.extras == ("cli", "dev") and source.path == tree / "proj"
    source = classify(f"sub @ {(tree / 'mono').as_uri()}#subdirectory=sub", tree)
    assert source.kind == "dir" and source.path == tree / "mono" / "sub" and source.name == "sub"


def test_hash_fragment_and_hash_options_are_collected(tree: Path) -> None:
    source = classify(f"https://h/x-1.0.tar.gz#sha256={'A' * 64}", tree, hashes=(f"sha256:{'b' * 64}",))
    assert set(source.hashes) == {f"sha256:{'a' * 64}", f"sha256:{'b' * 64}"}


def test_vcs_keeps_rev_and_reads_egg_and_subdirectory(tree: Path) -> None:
    source = classify("git+https://h/r.git@v1#egg=thing&subdirectory=pkgs/a", tree)
    assert source.url == "git+https://h/r.git@v1" and source.name == "thing" and source.subdirectory == "pkgs/a"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("./missing/x-1.0.tar.gz", "does not exist"),
        ("./plain", "not a Python project"),
        ("./notes.txt", "not a wheel"),
        ("https://h/p/readme", "Cannot tell"),
        ("git+https://h/r.git#subdirectory=../up", "Invalid subdirectory"),
        ("x @ file://otherhost/x.whl", "another host"),
    ],
)
def test_bad_sources(tree: Path, text: str, message: str) -> None:
    with pytest.raises(RequirementError, match=message):
        classify(text, tree)


def test_editable_needs_a_folder_or_vcs(tree: Path) -> None:
    assert classify("./proj", tree, editable=True).editable
    with pytest.raises(RequirementError, match="editable"):
        classify("./x-1.0-py3-none-any.whl", tree, editable=True)


def test_pep610_records(tree: Path) -> None:
    archive = classify(f"https://user:secret@h/x-1.0.tar.gz#sha256={'a' * 64}", tree)
    record = direct_url_record(archive, sha256="a" * 64)
    assert "secret" not in record["url"]
    assert record["archive_info"] == {"hashes": {"sha256": "a" * 64}, "hash": f"sha256={'a' * 64}"}
    folder = classify("./proj", tree, editable=True)
    assert direct_url_record(folder) == {"url": (tree / "proj").as_uri(), "dir_info": {"editable": True}}
