"""The pure parts of ``spoke publish``: ``.pypirc``, the upload form, the repository's refusals,
and where the credentials come from (twine's order)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from spoke.app.publish import is_warehouse, repository_for
from spoke.app.requests import PublishRequest
from spoke.config.pypirc import PYPI_UPLOAD_URL, TESTPYPI_UPLOAD_URL, read_pypirc
from spoke.errors import ConfigurationError, SpokeError, UsageError
from spoke.index.upload import (
    attestations_of,
    prepare_upload,
    says_already_exists,
    server_reason,
    simple_page_url,
)
from spoke.net.settings import Headers, Response

METADATA = """\
Metadata-Version: 2.4
Name: My_Project
Version: 1.0
Summary: A summary
Keywords: a,b
Platform: linux
Classifier: Programming Language :: Python :: 3
Classifier: License :: OSI Approved :: MIT License
Requires-Dist: idna>=3
Project-URL: Home, https://example.org
Project-URL: Source, https://example.org/src
License-Expression: MIT
License-File: LICENSE
Description-Content-Type: text/markdown

# Title
"""


def test_pypirc_sections_defaults_and_errors(tmp_path: Path) -> None:
    rc = tmp_path / ".pypirc"
    rc.write_text(
        "[distutils]\nindex-servers =\n  pypi\n  private\n\n"
        "[pypi]\nusername = __token__\npassword = pypi-abc\n\n"
        "[private]\nrepository = https://repo.example/legacy/\nusername = me\nca_cert = /ca.pem\n\n"
        "[unlisted]\nrepository = https://other.example/\n"
    )
    found = read_pypirc(rc)
    assert found["pypi"].url == PYPI_UPLOAD_URL and found["pypi"].password == "pypi-abc"
    assert "testpypi" not in found  # index-servers leaves it out
    assert found["private"].url == "https://repo.example/legacy/" and found["private"].username == "me"
    assert found["private"].password is None and found["private"].ca_cert == "/ca.pem"
    assert found["unlisted"].url == "https://other.example/"
    # No file: PyPI and TestPyPI, no credentials; [server-login] gives defaults.
    missing = read_pypirc(tmp_path / "none")
    assert missing["testpypi"].url == TESTPYPI_UPLOAD_URL and missing["pypi"].username is None
    rc.write_text("[server-login]\nusername = old\npassword = pw\n")
    assert read_pypirc(rc)["testpypi"].username == "old"
    rc.write_text("no section header\n")
    with pytest.raises(ConfigurationError, match="not a valid .pypirc file"):
        read_pypirc(rc)


def test_the_repository_by_name_or_url(tmp_path: Path) -> None:
    (tmp_path / ".pypirc").write_text("[local]\nrepository = http://127.0.0.1:8080/\nusername = u\npassword = p\n")
    by_name = repository_for(PublishRequest(repository="local"), tmp_path)
    assert (by_name.url, by_name.username, by_name.password) == ("http://127.0.0.1:8080/", "u", "p")
    # The same URL given directly lends the section's credentials; a URL's own win.
    by_url = repository_for(PublishRequest(repository_url="http://127.0.0.1:8080"), tmp_path)
    assert by_url.username == "u" and by_url.url == "http://127.0.0.1:8080"
    with_userinfo = repository_for(PublishRequest(repository_url="http://x:y%40z@host.example/up/"), tmp_path)
    assert (with_userinfo.url, with_userinfo.username, with_userinfo.password) == (
        "http://host.example/up/", "x", "y@z")
    assert repository_for(PublishRequest(), tmp_path).url == PYPI_UPLOAD_URL
    with pytest.raises(ConfigurationError, match="no repository named `nope`"):
        repository_for(PublishRequest(repository="nope"), tmp_path)
    with pytest.raises(UsageError, match="is not an http"):
        repository_for(PublishRequest(repository_url="file:///tmp/x"), tmp_path)
    with pytest.raises(ConfigurationError, match="does not exist"):
        repository_for(PublishRequest(config_file=tmp_path / "absent"), tmp_path)
    assert is_warehouse(PYPI_UPLOAD_URL) and is_warehouse(TESTPYPI_UPLOAD_URL)
    assert not is_warehouse("http://127.0.0.1:8080/")


def test_the_upload_form(tmp_path: Path) -> None:
    wheel = tmp_path / "my_project-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    wheel.write_bytes(b"wheel bytes")
    (tmp_path / f"{wheel.name}.publish.attestation").write_text('{"version": 1}')
    (tmp_path / "other-1.0.tar.gz.publish.attestation").write_text("{}")
    attestations = attestations_of(wheel)
    assert [p.name for p in attestations] == [f"{wheel.name}.publish.attestation"]
    upload = prepare_upload(wheel, METADATA, attestations)
    fields: dict[str, list[str]] = {}
    for key, value in upload.fields:
        fields.setdefault(key, []).append(value)
    assert fields["name"] == ["My-Project"] and upload.name == "My_Project"  # warehouse's safe name
    assert fields["version"] == ["1.0"] and fields["metadata_version"] == ["2.4"]
    assert fields["filetype"] == ["bdist_wheel"] and fields["pyversion"] == ["cp311"]
    assert fields["keywords"] == ["a, b"] and fields["platform"] == ["linux"]
    assert fields["classifiers"] == ["Programming Language :: Python :: 3", "License :: OSI Approved :: MIT License"]
    assert fields["project_urls"] == ["Home, https://example.org", "Source, https://example.org/src"]
    assert fields["license_expression"] == ["MIT"] and fields["license_file"] == ["LICENSE"]
    assert fields["description"] == ["# Title\n"] and fields["description_content_type"] == ["text/markdown"]
    assert fields["sha256_digest"] == [hashlib.sha256(b"wheel bytes").hexdigest()]
    assert fields["blake2_256_digest"] == [hashlib.blake2b(b"wheel bytes", digest_size=32).hexdigest()]
    assert fields["attestations"] == ['[{"version": 1}]']
    sdist = tmp_path / "my_project-1.0.tar.gz"
    sdist.write_bytes(b"sdist")
    assert ("pyversion", "source") in prepare_upload(sdist, METADATA).fields
    (tmp_path / "my_project-1.0.tar.gz.publish.attestation").write_text("not json")
    with pytest.raises(SpokeError, match="cannot be read as JSON"):
        prepare_upload(sdist, METADATA, attestations_of(sdist))


def test_where_the_simple_page_is() -> None:
    assert simple_page_url(PYPI_UPLOAD_URL, "My_Project") == "https://pypi.org/simple/my-project/"
    assert simple_page_url(TESTPYPI_UPLOAD_URL, "x") == "https://test.pypi.org/simple/x/"
    assert simple_page_url("http://127.0.0.1:8080/", "x") == "http://127.0.0.1:8080/simple/x/"
    assert simple_page_url("https://h/api/pypi/repo", "x") == "https://h/api/pypi/repo/simple/x/"


def _answer(status: int, body: str = "", reason: str = "", content_type: str = "text/plain") -> Response:
    return Response(url="http://x/", status=status, headers=Headers({"Content-Type": content_type}),
                    content=body.encode(), reason=reason)


def test_the_repository_refusals() -> None:
    assert says_already_exists(_answer(409))
    assert says_already_exists(_answer(400, reason="File already exists. See https://pypi.org/help/"))
    assert says_already_exists(_answer(400, body="Error: file already exists"))
    assert not says_already_exists(_answer(400, reason="Invalid value for version"))
    assert not says_already_exists(_answer(403, body="already exists"))
    bottle = ("<!DOCTYPE HTML><html><head><title>Error: 409 Conflict</title></head><body>"
              "<h1>Error: 409 Conflict</h1><p>Sorry, the requested URL <tt>&#039;http://x/&#039;</tt> caused an "
              "error:</p><pre>Package &#039;a-1.0.tar.gz&#039; already exists!\n  You may start server with "
              "`--overwrite` option.</pre></body></html>")
    assert server_reason(_answer(409, bottle, content_type="text/html")) == "Package 'a-1.0.tar.gz' already exists!"
    assert server_reason(_answer(400, "", reason="Invalid classifier")) == "Invalid classifier"
    assert server_reason(_answer(400, "x" * 500)) == "x" * 300


def test_where_the_credentials_come_from(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from spoke.app.publish import _credentials
    from spoke.cli.publish import _from_env
    from spoke.config.pypirc import Repository
    from spoke.errors import PublishError
    from spoke.protocols import NullReporter

    monkeypatch.setattr("spoke.net.auth.ask_keyring", lambda service, username: None)  # no keyring here
    ctx: Any = SimpleNamespace(environ={}, reporter=NullReporter())
    pypi = Repository(name="pypi", url=PYPI_UPLOAD_URL, password="from-pypirc")
    private = Repository(name="p", url="http://127.0.0.1:1/", username="rc-user", password="rc-pw")
    # The command line (and the variables, folded in by the CLI) win over .pypirc.
    found = _credentials(ctx, PublishRequest(password="from-cli"), pypi, None)
    assert found is not None and (found.username, found.password) == ("__token__", "from-cli")
    found = _credentials(ctx, PublishRequest(username="cli-user"), private, None)
    assert found is not None and (found.username, found.password) == ("cli-user", "rc-pw")
    # PyPI without a token: an error before any request; elsewhere an anonymous upload.
    with pytest.raises(PublishError, match="No API token for https://upload.pypi.org/legacy/"):
        _credentials(ctx, PublishRequest(), Repository(name="pypi", url=PYPI_UPLOAD_URL), None)
    assert _credentials(ctx, PublishRequest(), Repository(name="x", url="http://127.0.0.1:1/"), None) is None
    # On a terminal the missing pieces are asked for; the secret one without echo.
    asked: list[tuple[str, bool]] = []

    def prompt(label: str, secret: bool) -> str:
        asked.append((label, secret))
        return "typed"

    found = _credentials(ctx, PublishRequest(interactive=True), Repository(name="x", url="http://h/"), prompt)
    assert found is not None and (found.username, found.password) == ("typed", "typed")
    assert asked == [("Enter your username: ", False), ("Enter your password: ", True)]
    # SPOKE_PUBLISH_* over TWINE_*.
    assert _from_env({"TWINE_PASSWORD": "t", "SPOKE_PUBLISH_PASSWORD": "s"}, "PASSWORD") == "s"
    assert _from_env({"TWINE_PASSWORD": "t"}, "PASSWORD") == "t"
    assert _from_env({}, "PASSWORD") is None
