"""Requirement strings and pip's requirements-file format."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoke.errors import RequirementError
from spoke.reqs import parse_requirement, parse_requirements_file


@pytest.mark.parametrize(
    "text",
    [
        "requests", "requests>=2.28,!=2.29.0,<3.0", "black[jupyter]", "a~=1.4.2", "a===weird",
        "a==2.*", "a<=1", "a>1; python_version >= '3.8'", "Foo_Bar[x,y]>=1 ; sys_platform != 'win32'",
        "name @ https://example.com/name-1.0.tar.gz",
    ],
)
def test_valid_requirements_parse(text: str) -> None:
    req = parse_requirement(text)
    assert req.requirement is not None
    assert req.link is None


@pytest.mark.parametrize("text", ["foo>=", "foo[bar", "foo==1; python_version >", "==1.0", "foo bar"])
def test_malformed_requirements_name_the_input(text: str) -> None:
    with pytest.raises(RequirementError) as info:
        parse_requirement(text)
    assert text.split()[0] in info.value.message
    assert info.value.hint


def test_hostile_requirement_is_not_echoed_whole() -> None:
    text = "a" * 5000 + ">="
    with pytest.raises(RequirementError) as info:
        parse_requirement(text)
    assert len(info.value.message) < 400


@pytest.mark.parametrize("text", ["./pkg", "/abs/pkg", "https://x/pkg-1.0.tar.gz", "git+https://x/r.git", "pkg-1.0-py3-none-any.whl"])
def test_paths_and_urls_are_links(text: str) -> None:
    req = parse_requirement(text)
    assert req.link == text and req.requirement is None


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_file_comments_continuations_env_and_options(tmp_path: Path) -> None:
    f = write(
        tmp_path / "req.txt",
        "# a comment\n"
        "\n"
        "requests>=2.0  # trailing comment\n"
        "flask\\\n"
        ">=2.0\n"
        "--index-url https://${HOST}/simple\n"
        "--extra-index-url=https://extra/simple\n"
        "-f ./wheels\n"
        "--pre\n"
        "--only-binary :all:\n"
        "--trusted-host extra\n"
        "pinned==1.0 --hash=sha256:" + "a" * 64 + " --hash sha256:" + "B" * 64 + "\n",
    )
    (tmp_path / "wheels").mkdir()
    parsed = parse_requirements_file(f, environ={"HOST": "mirror.example"})
    names = [r.requirement.name for r in parsed.requirements if r.requirement]
    assert names == ["requests", "flask", "pinned"]
    assert str(parsed.requirements[1].requirement.specifier) == ">=2.0"
    assert parsed.requirements[1].source == f"{f}:4"
    assert parsed.index_url == "https://mirror.example/simple"
    assert parsed.extra_index_urls == ("https://extra/simple",)
    assert parsed.find_links == (str(tmp_path / "wheels"),)
    assert parsed.pre and parsed.only_binary == (":all:",)
    assert parsed.trusted_hosts == ("extra",)
    assert parsed.requirements[2].hashes == ("sha256:" + "a" * 64, "sha256:" + "b" * 64)


def test_nested_files_are_relative_to_the_includer(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "base.txt", "six\n-c constraints.txt\n")
    write(tmp_path / "sub" / "constraints.txt", "six<2\n")
    top = write(tmp_path / "top.txt", "-r sub/base.txt\nattrs\n")
    parsed = parse_requirements_file(top)
    assert [r.requirement.name for r in parsed.requirements] == ["six", "attrs"]
    assert [str(r.requirement) for r in parsed.constraints] == ["six<2"]
    assert parsed.constraints[0].constraint


def test_self_inclusion_is_an_error(tmp_path: Path) -> None:
    f = write(tmp_path / "loop.txt", "-r loop.txt\n")
    with pytest.raises(RequirementError, match="includes itself"):
        parse_requirements_file(f)


def test_missing_file_names_the_including_line(tmp_path: Path) -> None:
    f = write(tmp_path / "a.txt", "six\n-r nope.txt\n")
    with pytest.raises(RequirementError) as info:
        parse_requirements_file(f)
    assert "nope.txt" in info.value.message and f"{f}:2" in info.value.message


def test_unknown_option_names_file_and_line(tmp_path: Path) -> None:
    f = write(tmp_path / "a.txt", "six\n--frobnicate\n")
    with pytest.raises(RequirementError) as info:
        parse_requirements_file(f)
    assert f"{f}:2" in info.value.message


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    f = write(tmp_path / "a.txt", "six\n\nfoo>=\n")
    with pytest.raises(RequirementError) as info:
        parse_requirements_file(f)
    assert f"{f}:3" in info.value.message


def test_bad_hash_is_an_error(tmp_path: Path) -> None:
    f = write(tmp_path / "a.txt", "six==1 --hash=md5:abc\n")
    with pytest.raises(RequirementError, match="Invalid hash"):
        parse_requirements_file(f)


def test_editable_lines(tmp_path: Path) -> None:
    f = write(tmp_path / "a.txt", "-e ./proj\n--editable=git+https://x/y.git#egg=y\n")
    parsed = parse_requirements_file(f)
    assert [r.editable for r in parsed.requirements] == [True, True]
    assert parsed.requirements[0].link == "./proj"
