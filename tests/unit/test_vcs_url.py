"""parse_vcs_url, VcsUrl's PEP 610 forms, is_commit_id, display_url."""

from __future__ import annotations

import pytest

from spoke.errors import VcsError
from spoke.vcs import VcsUrl, display_url, is_commit_id, parse_vcs_url

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("url", "repo_url", "rev", "egg", "subdirectory"),
    [
        ("git+https://host/repo.git", "https://host/repo.git", None, None, None),
        ("git+https://host/repo.git@v1.0", "https://host/repo.git", "v1.0", None, None),
        ("git+https://host/repo.git@feature/x", "https://host/repo.git", "feature/x", None, None),
        (f"git+https://host/repo.git@{SHA}", "https://host/repo.git", SHA, None, None),
        ("git+http://host:8080/a/b", "http://host:8080/a/b", None, None, None),
        ("git+git://host/repo", "git://host/repo", None, None, None),
        ("git+ssh://git@host/repo.git", "ssh://git@host/repo.git", None, None, None),
        ("git+ssh://git@host:2222/repo.git@main", "ssh://git@host:2222/repo.git", "main", None, None),
        ("git+file:///abs/path/repo", "file:///abs/path/repo", None, None, None),
        ("git+file:///abs/path/repo@abc1234", "file:///abs/path/repo", "abc1234", None, None),
        ("git+file://localhost/abs/repo", "file://localhost/abs/repo", None, None, None),
        ("git+https://host/r.git#egg=name", "https://host/r.git", None, "name", None),
        ("git+https://host/r.git#subdirectory=sub/dir", "https://host/r.git", None, None, "sub/dir"),
        ("git+https://host/r.git@v2#egg=my-pkg&subdirectory=sub", "https://host/r.git", "v2", "my-pkg", "sub"),
        ("git+https://host/r.git@v2#subdirectory=sub&egg=my_pkg", "https://host/r.git", "v2", "my_pkg", "sub"),
        ("git+https://host/r.git#subdirectory=./a//b/", "https://host/r.git", None, None, "a/b"),
        ("git+https://host/r.git#egg=x&sha256=ignored", "https://host/r.git", None, "x", None),
        ("git+https://u:p%40ss@host/r.git@dev", "https://u:p%40ss@host/r.git", "dev", None, None),
        ("git+https://host/r.git?q=1@dev", "https://host/r.git?q=1@dev", None, None, None),
        ("GIT+HTTPS://host/r.git", "https://host/r.git", None, None, None),
        ("  git+https://host/r.git  ", "https://host/r.git", None, None, None),
        ("git+https://host/path@with@at", "https://host/path@with", "at", None, None),
        ("hg+https://host/repo@tip", "https://host/repo", "tip", None, None),
        ("svn+svn://host/repo/trunk@1234", "svn://host/repo/trunk", "1234", None, None),
        ("bzr+lp://project/trunk", "lp://project/trunk", None, None, None),
    ],
)
def test_parse(url: str, repo_url: str, rev: str | None, egg: str | None, subdirectory: str | None) -> None:
    parsed = parse_vcs_url(url)
    assert (parsed.repo_url, parsed.rev, parsed.egg, parsed.subdirectory) == (repo_url, rev, egg, subdirectory)
    assert parsed.url == url
    assert parsed.vcs == url.strip().split("+")[0].lower()


def test_parse_is_a_frozen_value() -> None:
    parsed = parse_vcs_url("git+https://host/r.git@v1")
    assert parsed == parse_vcs_url("git+https://host/r.git@v1")
    with pytest.raises(AttributeError):
        parsed.rev = "v2"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("git+", "no repository URL"),
        ("https://host/r.git", "not a VCS URL"),
        ("cvs+https://host/r", "not a VCS URL"),
        ("git+foo://host/r.git", "Unsupported transport `git+foo://`"),
        ("hg+git://host/r", "Unsupported transport `hg+git://`"),
        ("git+https://host/r.git@", "empty revision"),
        ("git+ssh://git@host/r.git@", "empty revision"),
        ("git+https://host/r.git@-upload-pack=evil", "Invalid revision"),
        ("git+https://host/r.git@main~1", "Invalid revision"),
        ("git+https://host/r.git@a..b", "Invalid revision"),
        ("git+https://host/r.git#subdirectory=../up", "Invalid subdirectory"),
        ("git+https://host/r.git#subdirectory=a/../../up", "Invalid subdirectory"),
        ("git+https://host/r.git#subdirectory=/abs", "Invalid subdirectory"),
        ("git+https://host/r.git#subdirectory=C:/abs", "Invalid subdirectory"),
        ("git+https://host/r.git#subdirectory=", "Invalid subdirectory"),
        ("git+https://host/r.git#subdirectory=.", "Invalid subdirectory"),
        ("git+https://host/r.git#egg=not a name", "Invalid project name"),
        ("git+https:///r.git", "has no host"),
        ("git+file://", "has no path"),
        ("git+file://otherhost/r", "names a host"),
        ("git+https:host/r.git", "no `scheme://`"),
        ("git+git@github.com:me/r.git", "scp-like"),
    ],
)
def test_parse_rejects(url: str, says: str) -> None:
    with pytest.raises(VcsError) as info:
        parse_vcs_url(url)
    assert says in info.value.message
    assert "\n" not in info.value.message
    assert info.value.hint


def test_scp_like_hint_gives_the_url_form() -> None:
    with pytest.raises(VcsError) as info:
        parse_vcs_url("git+git@github.com:me/r.git@v1")
    assert info.value.hint == "Write it as `git+ssh://git@github.com/me/r.git@v1`."


def test_parse_errors_never_show_passwords() -> None:
    for url in ("git+https://u:hunter22@host/r.git@", "git+https://u:hunter22@host/r#subdirectory=..",
                "git+foo://u:hunter22@host/r", "git+https://TOKEN123@host/r.git@"):
        with pytest.raises(VcsError) as info:
            parse_vcs_url(url)
        text = f"{info.value.message} {info.value.hint}"
        assert "hunter22" not in text and "TOKEN123" not in text


def test_repr_hides_credentials() -> None:
    parsed = parse_vcs_url("git+https://u:hunter22@host/r.git@v1")
    assert "hunter22" not in repr(parsed)
    assert "u:****@host" in repr(parsed)
    assert parsed.shown == "git+https://u:****@host/r.git"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("git+ssh://git@host/r.git", "git+ssh://git@host/r.git"),
        ("git+ssh://git:pw@host/r.git", "git+ssh://git:****@host/r.git"),
        ("git+https://TOKEN@host/r.git", "git+https://****@host/r.git"),
        ("git+https://host/r.git", "git+https://host/r.git"),
    ],
)
def test_display_url(url: str, shown: str) -> None:
    assert display_url(url) == shown


@pytest.mark.parametrize(
    ("url", "pep610"),
    [
        ("git+https://host/r.git@v1#egg=x", "https://host/r.git"),
        ("git+https://u:pw@host/r.git@v1", "https://host/r.git"),
        ("git+https://TOKEN@host/r.git", "https://host/r.git"),
        ("git+ssh://git@host/r.git", "ssh://git@host/r.git"),
        ("git+ssh://deploy@host/r.git", "ssh://host/r.git"),
        ("git+https://${USER}:${TOKEN}@host/r.git", "https://${USER}:${TOKEN}@host/r.git"),
        ("git+file:///abs/r", "file:///abs/r"),
    ],
)
def test_pep610_url(url: str, pep610: str) -> None:
    assert parse_vcs_url(url).pep610_url() == pep610


def test_direct_url_and_vcs_info() -> None:
    parsed = parse_vcs_url("git+https://u:pw@host/r.git@v1#egg=x&subdirectory=pkg")
    assert parsed.vcs_info(SHA) == {"vcs": "git", "commit_id": SHA, "requested_revision": "v1"}
    assert parsed.direct_url(SHA) == {
        "url": "https://host/r.git",
        "vcs_info": {"vcs": "git", "commit_id": SHA, "requested_revision": "v1"},
        "subdirectory": "pkg",
    }
    assert parsed.with_commit(SHA) == f"git+https://host/r.git@{SHA}#subdirectory=pkg"
    plain = parse_vcs_url("git+ssh://git@host/r.git")
    assert plain.vcs_info(SHA) == {"vcs": "git", "commit_id": SHA}
    assert plain.direct_url(SHA) == {"url": "ssh://git@host/r.git", "vcs_info": {"vcs": "git", "commit_id": SHA}}
    assert plain.with_commit(SHA) == f"git+ssh://git@host/r.git@{SHA}"
    with pytest.raises(ValueError):
        plain.with_commit("abc1234")


def test_direct_url_is_valid_pep610() -> None:
    from packaging.direct_url import DirectUrl

    record = parse_vcs_url("git+https://host/r.git@v1#subdirectory=pkg").direct_url(SHA)
    parsed = DirectUrl.from_dict(record)
    assert parsed.vcs_info is not None and parsed.vcs_info.commit_id == SHA
    assert parsed.subdirectory == "pkg"


@pytest.mark.parametrize(
    ("rev", "expected"),
    [(SHA, True), (SHA.upper(), True), ("a" * 64, True), (SHA[:-1], False), ("g" * 40, False),
     ("abc1234", False), ("", False), (None, False), ("a" * 41, False)],
)
def test_is_commit_id(rev: str | None, expected: bool) -> None:
    assert is_commit_id(rev) is expected


def test_vcs_url_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        VcsUrl("git", "https://h/r", None, None, None, "git+https://h/r")  # type: ignore[misc]
