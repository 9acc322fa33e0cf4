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


@pytest.mark.parametrize(
    "text", ["./pkg", "/abs/pkg", "https://x/pkg-1.0.tar.gz", "git+https://x/r.git", "pkg-1.0-py3-none-any.whl"]
)
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


def test_pips_documented_example_file(tmp_path: Path) -> None:
    """The example file of pip's "Requirements File Format" page, parsed item by item."""
    (tmp_path / "other-requirements.txt").write_text("six\n")
    (tmp_path / "requirements.txt").write_text(
        "###### Requirements without Version Specifiers ######\n"
        "pytest\npytest-cov\nbeautifulsoup4\n\n"
        "###### Requirements with Version Specifiers ######\n"
        "#   See https://www.python.org/dev/peps/pep-0440/#version-specifiers\n"
        "docopt == 0.6.1             # Version Matching. Must be version 0.6.1\n"
        "keyring >= 4.1.1            # Minimum version 4.1.1\n"
        "coverage != 3.5             # Version Exclusion. Anything except version 3.5\n"
        "Mopidy-Dirble ~= 1.1        # Compatible release. Same as >= 1.1, == 1.*\n\n"
        "###### Refer to other requirements files ######\n"
        "-r other-requirements.txt\n\n"
        "###### A particular file ######\n"
        "./downloads/numpy-1.9.2-cp34-none-win32.whl\n"
        "http://wxpython.org/Phoenix/snapshot-builds/wxPython_Phoenix-3.0.3.dev1820+49a8884-cp34-none-win_amd64.whl\n\n"
        "###### Additional Requirements without Version Specifiers ######\n"
        "rejected\ngreen\n"
        "SomeProject[foo, bar]\n"
        "SomeProject == 5.4 ; python_version < '3.8'\n"
        "requests [security] >= 2.8.1, == 2.8.* ; python_version < \"2.7\"\n"
        "FooProject == 1.2 --hash=sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 \\\n"
        "                  --hash=sha256:486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7\n"
        "BarProject >= 1.2 --config-settings=\"--build-option=--some-flag\"\n"
    )
    parsed = parse_requirements_file(tmp_path / "requirements.txt", environ={})
    names = [r.name for r in parsed.requirements]
    assert names == [
        "pytest", "pytest-cov", "beautifulsoup4", "docopt", "keyring", "coverage", "Mopidy-Dirble", "six",
        None, None, "rejected", "green", "SomeProject", "SomeProject", "requests", "FooProject", "BarProject",
    ]
    by_text = {r.text: r for r in parsed.requirements}
    assert str(by_text["docopt == 0.6.1"].requirement.specifier) == "==0.6.1"
    assert by_text["./downloads/numpy-1.9.2-cp34-none-win32.whl"].link.endswith("win32.whl")
    assert parsed.requirements[12].requirement.extras == {"foo", "bar"}
    assert str(parsed.requirements[14].requirement.marker) == 'python_version < "2.7"'
    assert parsed.requirements[15].hashes == (
        "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        "sha256:486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7",
    )
    assert parsed.requirements[16].config_settings == ("--build-option=--some-flag",)
    assert parsed.requirements[7].source.endswith("other-requirements.txt:1")


# --- hostile text: short answers, code points for look-alikes, linear time -----------------

LOOK_ALIKES = [
    ("req\u0430ests", "the name contains a non-ASCII character: U+0430 (CYRILLIC SMALL LETTER A) at position 4"),
    ("req\u03c5ests>=2", "the name contains a non-ASCII character: U+03C5 (GREEK SMALL LETTER UPSILON) at position 4"),
    ("requests\u200b", "the name contains a non-ASCII character: U+200B (ZERO WIDTH SPACE) at position 9"),
    ("\uff52equests", "U+FF52 (FULLWIDTH LATIN SMALL LETTER R) at position 1"),
    ("\u2013r other.txt", "U+2013 (EN DASH) at position 1"),
    ("requests\u00a0>=2", "it contains a non-ASCII character: U+00A0 (NO-BREAK SPACE) at position 9"),
    (
        "requests; python_version > \u201c3.8\u201d",
        (
            "it contains non-ASCII characters: U+201C (LEFT DOUBLE QUOTATION MARK) "
            "at position 28, U+201D (RIGHT DOUBLE QUOTATION MARK) at position 32"
        ),
    ),
    (
        "\u0430" * 5000,
        "the name contains non-ASCII characters: U+0430 (CYRILLIC SMALL LETTER A) at position 1 and 4999 more",
    ),
]


@pytest.mark.parametrize("text,problem", LOOK_ALIKES)
def test_look_alike_characters_are_named_by_code_point(text: str, problem: str) -> None:
    with pytest.raises(RequirementError) as info:
        parse_requirement(text)
    message = info.value.message
    assert message.endswith(problem), message
    assert len(message) < 300
    assert "\u200b" not in message  # invisible characters are shown escaped
    assert "look-alike" in info.value.hint and "ASCII" in info.value.hint


def test_look_alike_in_a_requirements_file_names_the_line(tmp_path: Path) -> None:
    f = write(tmp_path / "req.txt", "six\n# from a web page:\nreq\u0430ests==2.31.0 --hash=sha256:" + "a" * 64 + "\n")
    with pytest.raises(RequirementError) as info:
        parse_requirements_file(f)
    assert f"({f}:3): the name contains a non-ASCII character: U+0430 (CYRILLIC SMALL LETTER A)" in info.value.message


def test_non_ascii_is_fine_where_pep_508_allows_it() -> None:
    req = parse_requirement('name; platform_release == "\u00e9"')
    assert req.requirement is not None and req.name == "name"
    assert parse_requirement("./caf\u00e9/project").link == "./caf\u00e9/project"


def test_control_characters_are_escaped_not_echoed() -> None:
    with pytest.raises(RequirementError) as info:
        parse_requirement("\x1b[2J\x1b[31mevil>=1")
    assert "\x1b" not in info.value.message and "\\x1b[2J" in info.value.message


@pytest.mark.parametrize("text", ["a" * 5_000_000, "a" * 20_000 + ">=1", "a " * 50_000, "https://x/" + "p" * 20_000])
def test_huge_requirement_is_refused_before_parsing(text: str) -> None:
    """"a" * 5 MB is a *valid* PEP 508 name: the length, not the grammar, must stop it."""
    with pytest.raises(RequirementError) as info:
        parse_requirement(text)
    assert info.value.message.startswith(f"Requirement too long ({len(text.strip())} characters): `")
    assert len(info.value.message) < 200


@pytest.mark.parametrize("line", [
    "a" * 5_000_000,
    "x" + " " * 5_000_000 + "y",  # pip's comment pattern backtracks quadratically here
    "x" + "\t \u3000" * 2_000_000 + "y",
    "-r " + "x" * 5_000_000,
    "${" * 2_500_000,
])
def test_megabyte_line_in_a_file_is_a_short_error(tmp_path: Path, line: str) -> None:
    f = write(tmp_path / "huge.txt", "six\n" + line + "\n")
    with pytest.raises(RequirementError) as info:
        parse_requirements_file(f)
    message = info.value.message
    assert message.startswith("Line too long (") and f"{f}:2" in message
    assert len(message) < 200 + len(str(f))


def test_long_run_of_spaces_before_a_comment_is_linear(tmp_path: Path) -> None:
    f = write(tmp_path / "spaces.txt", "six" + " " * 9_000 + "# trailing comment\nattrs" + " " * 9_000 + "\n")
    parsed = parse_requirements_file(f)
    assert [r.name for r in parsed.requirements] == ["six", "attrs"]
