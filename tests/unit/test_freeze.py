"""``freeze``'s rules: pins, PEP 610 references, editables, skips, sorting, ``-r`` merging."""

from __future__ import annotations

from spoke.app.freeze import (
    ADDED_HEADER,
    Frozen,
    dev_names,
    direct_reference,
    freeze_lines,
    frozen_for,
    line_name,
    pin,
)


def test_pin_and_invalid_versions() -> None:
    assert pin("Foo", "1.0") == "Foo==1.0"
    assert pin("Foo", "1.0-weird-thing") == "Foo===1.0-weird-thing"


def test_direct_references() -> None:
    assert direct_reference({"url": "https://h/r.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}}, "x") \
        == "x @ git+https://h/r.git@abc"
    assert direct_reference({"url": "https://h/x-1.tar.gz", "archive_info": {"hash": "sha256=00"}}, "x") \
        == "x @ https://h/x-1.tar.gz#sha256=00"
    assert direct_reference({"url": "https://h/x-1.tar.gz", "archive_info": {"hashes": {"sha256": "00"}}}, "x") \
        == "x @ https://h/x-1.tar.gz#sha256=00"
    assert direct_reference({"url": "https://h/x-1.tar.gz", "archive_info": {}, "subdirectory": "s"}, "x") \
        == "x @ https://h/x-1.tar.gz#subdirectory=s"
    assert direct_reference({"url": "file:///src/x", "dir_info": {}}, "x") == "x @ file:///src/x"
    assert direct_reference({"url": "file:///src/x"}, "x") is None
    assert direct_reference({"vcs_info": {}}, "x") is None


def test_frozen_for_editable_and_fallbacks() -> None:
    item = frozen_for("Foo", "1.0", {"url": "file:///src/foo%20bar", "dir_info": {"editable": True}})
    assert item.editable and item.lines() == [
        "# Editable install with no version control (Foo==1.0)", "-e /src/foo bar"]
    assert frozen_for("Foo", "1.0", None).lines() == ["Foo==1.0"]
    assert frozen_for("Foo", "1.0", {"garbage": 1}).lines() == ["Foo==1.0"]


def test_dev_names_follow_pip_23_2() -> None:
    assert {"pip", "setuptools", "wheel", "distribute"} <= dev_names((3, 11), freeze_all=False)
    assert "setuptools" not in dev_names((3, 12), freeze_all=False)
    assert "pip" not in dev_names((3, 11), freeze_all=True)


def test_line_names() -> None:
    assert line_name("Foo[bar]>=1 ; python_version > '3'") == "Foo"
    assert line_name("foo==1.0 --hash=sha256:00") == "foo"
    assert line_name("git+https://h/r.git#egg=Thing") == "Thing"
    assert line_name("./dist/Some_Pkg-1.0-py3-none-any.whl") == "Some_Pkg"
    assert line_name("./src/project") is None
    assert line_name("/src/project", editable=True) is None
    assert line_name("name @ https://h/name-1.tar.gz") == "name"


def items(*names: str) -> list[Frozen]:
    return [Frozen(name=n, requirement=f"{n}==1") for n in names]


def test_sorted_case_insensitively_and_skipped() -> None:
    out = freeze_lines(items("beta", "Alpha", "pip", "Zeta", "wheel"), skip={"pip", "wheel"})
    assert out.lines == ("Alpha==1", "beta==1", "Zeta==1")
    editable = Frozen(name="ed", requirement="/src/ed", editable=True)
    assert freeze_lines([editable], exclude_editable=True).lines == ()


def test_requirement_files_keep_order_comments_and_options() -> None:
    text = "# hello\n-i https://x/simple\n\nbeta  # b\nmissing>=1\n--pre\nalpha\n-i https://x/simple\n"
    out = freeze_lines(items("alpha", "beta", "gamma", "pip"), skip={"pip"},
                       requirement_files=[("r.txt", text), ("s.txt", "pip\nbeta\n")])
    assert out.lines == ("# hello", "-i https://x/simple", "", "beta==1", "--pre", "alpha==1", "pip==1",
                         ADDED_HEADER, "gamma==1")
    assert out.warnings == (
        "Requirement file [r.txt] contains missing>=1, but package 'missing' is not installed",
        "Requirement beta included multiple times [r.txt, s.txt]",
    )


def test_unnamed_lines_are_skipped_with_a_note() -> None:
    out = freeze_lines(items("a"), requirement_files=[("r.txt", "./src/thing\n")])
    assert out.lines == (ADDED_HEADER, "a==1")
    assert "not clear what it would install: ./src/thing" in out.notes[0]


def test_git_editables() -> None:
    from spoke.app.freeze import GitCheckout, git_editable

    checkout = GitCheckout(remotes=("remote.up.url git@host:me/r.git", "remote.origin.url https://h/r.git"),
                           commit="c0ffee", subdirectory="sub")
    assert git_editable("my-proj", "1.0", "/src/r/sub", checkout).lines() == [
        "-e git+https://h/r.git@c0ffee#egg=my_proj&subdirectory=sub"]
    scp = GitCheckout(remotes=("remote.up.url git@host:me/r.git",), commit="c0ffee")
    assert git_editable("p", "1", "/src", scp).requirement == "git+ssh://git@host/me/r.git@c0ffee#egg=p"
    assert git_editable("p", "1", "/src", GitCheckout(remotes=(), commit="c")).lines() == [
        "# Editable Git install with no remote (p==1)", "-e /src"]
    bad = git_editable("p", "1", "/src", GitCheckout(remotes=("remote.o.url ../gone",), commit="c"))
    assert bad.comments[1] == "# '../gone'" and bad.requirement == "/src"
