"""Every requirement form pip accepts, read with pip's meaning; every form it refuses, refused.

One table, built from pip's own parsing tests (``tests/unit/test_req.py``: markers, extras,
wheels, editables, URLs, the ``=`` and "looks like a path" errors) and its documentation of
requirement specifiers, plus the forms of spoke's issue 20 (``.[tests]``, ``..[a]``, an archive
with extras, a marker after a path). Each row is read twice: as an argument (``parse_requirement``
then :func:`spoke.reqs.direct.direct_source`) and as a line of a requirements file, which must
mean the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spoke.errors import RequirementError
from spoke.reqs import parse_requirement, parse_requirements_file
from spoke.reqs.direct import direct_source, folder_named_like


@pytest.fixture
def here(tmp_path: Path) -> Path:
    """``tmp/top`` (a project) holding ``here`` (the working folder, a project too)."""
    top = tmp_path / "top"
    here = top / "here"
    for project in (top, here, here / "proj", here / "sub" / "inner", here / "foo"):
        project.mkdir(parents=True, exist_ok=True)
        (project / "pyproject.toml").write_text("[project]\nname='p'\nversion='1'\n")
    (here / "plain").mkdir()
    for name in ("x-1.0-py3-none-any.whl", "x-1.0.tar.gz", "simple-0.1-py2.py3-none-any.whl"):
        (here / name).write_bytes(b"")
    (here / "reqs.txt").write_text("pip\nsetuptools\n")
    return here


def read(text: str, cwd: Path, *, editable: bool = False) -> tuple:  # noqa: ANN001
    """What spoke makes of ``text``: ("name", str(requirement)) or (kind, where, extras, marker)."""
    item = parse_requirement(text, editable=editable)
    source = direct_source(item, cwd)
    if source is None:
        assert item.requirement is not None
        return ("name", str(item.requirement))
    where = str(source.path.relative_to(cwd.parent)) if source.path is not None else source.url
    marker = str(source.marker) if source.marker is not None else None
    return (source.kind, where, source.extras, marker)


# (text, editable, what it means); `where` is relative to `top` (the folder above `here`).
FORMS = [
    # Names, specifiers, extras and markers (pip: test_markers, test_install_req_drop_extras).
    ("SomeProject[ex1,ex2]", False, ("name", "SomeProject[ex1,ex2]")),
    ("pkg [ ext1, ext2 ]", False, ("name", "pkg[ext1,ext2]")),
    ("pkg-all.allowed_chars0 [ext] ~= 2.0", False, ("name", "pkg-all.allowed_chars0[ext]~=2.0")),
    ('mock3; python_version >= "3"', False, ("name", 'mock3; python_version >= "3"')),
    ('mock3 ; python_version >= "3" ', False, ("name", 'mock3; python_version >= "3"')),
    ('mock3;python_version >= "3"', False, ("name", 'mock3; python_version >= "3"')),
    ('semicolon; os_name == "a; b"', False, ("name", 'semicolon; os_name == "a; b"')),
    ("SomeProject >= 2", False, ("name", "SomeProject>=2")),  # pip: ..._with_spaces_in_specifier
    ('requests [security] >= 2.8.1, == 2.8.* ; python_version < "2.7"', False,  # pip's docs
     ("name", 'requests[security]==2.8.*,>=2.8.1; python_version < "2.7"')),
    # A name that is also a folder here stays a name without -e (pip's rule; spoke warns).
    ("proj", False, ("name", "proj")),
    ("proj[a]", False, ("name", "proj[a]")),
    ("proj", True, ("dir", "here/proj", (), None)),
    ("foo[bar,baz]", True, ("dir", "here/foo", ("bar", "baz"), None)),
    # The current folder, its parent and sub-folders, with extras and markers (issue 20).
    (".", False, ("dir", "here", (), None)),
    (".[a,b]", False, ("dir", "here", ("a", "b"), None)),
    (".[b,a]", True, ("dir", "here", ("a", "b"), None)),
    (".[b, a]", False, ("dir", "here", ("a", "b"), None)),
    ("..[a]", False, ("dir", ".", ("a",), None)),
    ("..[a]", True, ("dir", ".", ("a",), None)),
    ("./proj[a]", False, ("dir", "here/proj", ("a",), None)),
    ("sub/inner[a]", False, ("dir", "here/sub/inner", ("a",), None)),
    ("sub/inner [a]", False, ("dir", "here/sub/inner", ("a",), None)),
    ("proj/", False, ("dir", "here/proj", (), None)),
    ('.[a]; python_version >= "3.10"', False, ("dir", "here", ("a",), 'python_version >= "3.10"')),
    ('.[a];python_version >= "3.10"', True, ("dir", "here", ("a",), 'python_version >= "3.10"')),
    ('./proj ; sys_platform != "win32"', False, ("dir", "here/proj", (), 'sys_platform != "win32"')),
    # Archives: by name alone (no separator needed), with extras (pip: test_wheel_requirement...).
    ("x-1.0-py3-none-any.whl", False, ("wheel", "here/x-1.0-py3-none-any.whl", (), None)),
    ("x-1.0-py3-none-any.whl[a]", False, ("wheel", "here/x-1.0-py3-none-any.whl", ("a",), None)),
    ("simple-0.1-py2.py3-none-any.whl [ext]", False,
     ("wheel", "here/simple-0.1-py2.py3-none-any.whl", ("ext",), None)),
    ("x-1.0.tar.gz[a]", False, ("sdist", "here/x-1.0.tar.gz", ("a",), None)),
    ("./x-1.0.tar.gz[a]", False, ("sdist", "here/x-1.0.tar.gz", ("a",), None)),
    # URLs (pip: test_pep440_wheel_link_requirement, test_url_with_authentication_link_...).
    ("test @ https://whatever.com/test-0.4-py2.py3-bogus-any.whl", False,
     ("wheel", "https://whatever.com/test-0.4-py2.py3-bogus-any.whl", (), None)),
    ("https://what@whatever.com/test-0.4-py2.py3-bogus-any.whl", False,
     ("wheel", "https://what@whatever.com/test-0.4-py2.py3-bogus-any.whl", (), None)),
    ("pkg [ ext1, ext2 ] @ https://example.com/pkg-1.0.tar.gz", False,
     ("sdist", "https://example.com/pkg-1.0.tar.gz", ("ext1", "ext2"), None)),
    ('https://h.org/pkg-1.0.tar.gz; python_version >= "3"', False,
     ("sdist", "https://h.org/pkg-1.0.tar.gz", (), 'python_version >= "3"')),
    ("git+http://foo.com@ref#egg=foo", False, ("vcs", "git+http://foo.com@ref", (), None)),
    ("foo @ git+http://foo.com@ref#egg=foo", False, ("vcs", "git+http://foo.com@ref", (), None)),
    ("svn+https://foo#egg=foo", True, ("vcs", "svn+https://foo", (), None)),
    ("git+https://host/repo.git@v1#egg=Repo&subdirectory=py", True, ("vcs", "git+https://host/repo.git@v1", (), None)),
    # Editables in PEP 508 form (pip: test_extras_for_editable_url_requirement, parse_editable).
    ("SomeProject[ex1,ex2] @ git+https://url", True, ("vcs", "git+https://url", ("ex1", "ex2"), None)),
    # file: URLs, to a folder (PEP 508 or bare; spoke also takes extras after a bare one).
    ("proj[a] @ file://{top}/here/proj", False, ("dir", "here/proj", ("a",), None)),
    ("proj[a] @ file://{top}/here/proj", True, ("dir", "here/proj", ("a",), None)),
    ("file://{top}/here/proj[a]", False, ("dir", "here/proj", ("a",), None)),
]


@pytest.mark.parametrize(("text", "editable", "meaning"), FORMS)
def test_requirement_forms(here: Path, text: str, editable: bool, meaning: tuple) -> None:
    text = text.replace("{top}", str(here.parent))
    assert read(text, here, editable=editable) == meaning
    # The same line in a requirements file means the same thing.
    line = f"-e {text}" if editable else text
    (here / "forms.txt").write_text(line + "\n")
    parsed = parse_requirements_file(here / "forms.txt", environ={})
    (item,) = parsed.requirements
    source = direct_source(item, here)
    if meaning[0] == "name":
        assert source is None and str(item.requirement) == meaning[1]
    else:
        assert source is not None and source.kind == meaning[0] and source.extras == meaning[2]
        assert (str(source.marker) if source.marker is not None else None) == meaning[3]
        assert source.editable is editable


# (text, editable, words the error must hold); every one a RequirementError with a hint.
REFUSED = [
    ("this/path/does/not/exist", False, "does not exist"),  # pip: "It looks like a path"
    ("invalid.whl", False, "does not exist"),
    ("toto=42", False, "did you mean `==`"),  # pip: "= is not a valid operator"
    ("-", False, "Invalid requirement"),
    ('name; python_version == "1"; python_version == "2"', False, "Invalid requirement"),
    ("./reqs.txt", False, "-r ./reqs.txt"),  # pip: "appears to be a requirements file"
    ("reqs.txt==", False, "Invalid requirement"),
    ("./plain", False, "not a Python project"),
    ("./proj[a b]", False, "Invalid extras"),
    (".[]", False, "does not exist"),  # no extras: the brackets are part of the name
    ("name @ ./proj", False, "Invalid URL"),
    ("requests", True, "-e takes a project folder"),
    ("x-1.0.tar.gz", True, "cannot be installed in editable mode"),
    ("./proj; python_version >>> '3'", False, "Invalid marker"),
]


@pytest.mark.parametrize(("text", "editable", "words"), REFUSED)
def test_refused_forms(here: Path, text: str, editable: bool, words: str) -> None:
    with pytest.raises(RequirementError) as info:
        read(text, here, editable=editable)
    assert words in info.value.message + (info.value.hint or "")
    assert info.value.hint


def test_a_name_that_is_also_a_folder_is_pointed_out(here: Path) -> None:
    assert folder_named_like(parse_requirement("proj[a]>=1"), here) == here / "proj"
    assert folder_named_like(parse_requirement("plain"), here) is None  # not a project
    assert folder_named_like(parse_requirement("requests"), here) is None
    assert folder_named_like(parse_requirement("./proj"), here) is None


def test_an_editable_cannot_be_a_constraint(here: Path) -> None:
    (here / "c.txt").write_text("-e ./proj\n")
    with pytest.raises(RequirementError, match="cannot be a constraint"):
        parse_requirements_file(here / "c.txt", environ={}, constraint=True)
