"""``spoke publish`` through the CLI (issue 17): the seed's publishing workflow against the real
pypiserver, and what pypiserver cannot show (trusted publishing, PyPI's refusals, retries,
redirects, prompts, keyring) against the stand-in repository of ``tests.support.upload_servers``."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from pathlib import Path

from tests.functional.test_sources import build_index, run_py, wheels_of_backends  # noqa: F401
from tests.support.fake_keyring import fake_keyring
from tests.support.packages import Pkg, build_sdist, build_wheel
from tests.support.projects import write_project
from tests.support.upload_servers import PASSWORD, USER, StandIn

FAST_BACKOFF = {"SPOKE_TEST_BACKOFF_SCALE": "0.01"}


def _assert_no_secret(result, *secrets: str) -> None:  # noqa: ANN001
    for secret in secrets:
        assert secret not in result.output, f"a secret was shown\n{result.describe()}"
        assert base64.b64encode(f"{USER}:{secret}".encode()).decode() not in result.output


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_seed_workflow_against_pypiserver(spoke, build_index, pypiserver, venv, tmp_path) -> None:  # noqa: F811
    server = build_index()
    project = write_project(tmp_path / "proj", "myproject", "1.2", backend="hatchling")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        'description = "test project"\n', 'description = "test project"\nreadme = "README.md"\n'))
    (project / "README.md").write_text("# myproject\n\nPublished by spoke.\n")
    spoke("build", str(project), "-i", server.simple_url, cwd=tmp_path)
    checked = spoke("check", "--strict", "proj/dist", cwd=tmp_path)
    assert checked.stdout.count(": PASSED\n") == 2, checked.describe()
    dist = project / "dist"
    upload = ("publish", "--repository-url", pypiserver.url, "-u", USER)

    # A wrong password: pypiserver answers 403, nothing is stored, no secret is shown.
    wrong = spoke(*upload, "-p", "not-the-password", "-vv", str(dist), check=False, cwd=tmp_path)
    assert wrong.returncode == 1, wrong.describe()
    assert "did not accept the credentials" in wrong.stderr or "refused the credentials" in wrong.stderr
    assert "not uploaded: myproject-1.2-py2.py3-none-any.whl and every file after it" in wrong.stderr
    assert pypiserver.files() == []
    _assert_no_secret(wrong, "not-the-password")

    done = spoke(*upload, "-p", PASSWORD, "-vv", "--disable-progress-bar", str(dist), cwd=tmp_path)
    files = sorted(p.name for p in dist.iterdir())
    assert pypiserver.files() == files, done.describe()
    assert f"Uploading distributions to {pypiserver.url}" in done.stderr
    assert f"Uploading {files[0]} (" in done.stderr and "Uploaded 2 files in" in done.stderr
    _assert_no_secret(done, PASSWORD)

    # Again: pypiserver says 409; --skip-existing skips (the simple page already lists them).
    again = spoke(*upload, "-p", PASSWORD, str(dist), check=False, cwd=tmp_path)
    assert again.returncode == 1, again.describe()
    assert "already has myproject-1.2-py2.py3-none-any.whl (409)" in again.stderr
    assert "--skip-existing" in again.stderr
    skipped = spoke(*upload, "-p", PASSWORD, "--skip-existing", str(dist), cwd=tmp_path)
    assert skipped.stderr.count("the repository already has it") == 2, skipped.describe()
    assert "Uploaded 0 files, skipped 2 already there" in skipped.stderr

    # A testpypi-style named repository in ~/.pypirc, and twine's variables, for the next versions.
    home = tmp_path / "home"
    (home / ".pypirc").write_text(
        "[distutils]\nindex-servers =\n    pypi\n    local\n\n"
        f"[local]\nrepository = {pypiserver.url}\nusername = {USER}\npassword = {PASSWORD}\n"
    )
    pyproject.write_text(pyproject.read_text().replace('version = "1.2"', 'version = "1.3"'))
    spoke("build", "--wheel", str(project), "-o", str(tmp_path / "v13"), "-i", server.simple_url, cwd=tmp_path)
    named = spoke("publish", "-r", "local", str(tmp_path / "v13"), cwd=tmp_path, env={"HOME": str(home)})
    assert "Uploaded 1 file in" in named.stderr, named.describe()
    _assert_no_secret(named, PASSWORD)
    pyproject.write_text(pyproject.read_text().replace('version = "1.3"', 'version = "1.4"'))
    spoke("build", "--wheel", str(project), "-o", str(tmp_path / "v14"), "-i", server.simple_url, cwd=tmp_path)
    twine_env = {"TWINE_REPOSITORY_URL": pypiserver.url, "TWINE_USERNAME": USER, "TWINE_PASSWORD": PASSWORD}
    by_env = spoke("publish", str(tmp_path / "v14"), cwd=tmp_path, env=twine_env)
    assert "Uploaded 1 file in" in by_env.stderr, by_env.describe()
    assert sum(name.startswith("myproject-1.") and name.endswith(".whl") for name in pypiserver.files()) == 3

    # What was uploaded installs from the repository and imports.
    env = venv()
    spoke("install", "--python", str(env.python), "--index-url", pypiserver.simple_url, "myproject==1.2")
    assert run_py(env, "import myproject; print(myproject.hello())")


def _dists(tmp_path: Path, name: str = "pubpkg", version: str = "1.0") -> Path:
    dist = tmp_path / "dist"
    pkg = Pkg(name, version, summary="A package to publish", deps=("idna>=3", "six"),
              metadata={"Keywords": "one,two", "Project-URL": "Home, https://example.org/home"})
    build_wheel(pkg, dist)
    build_sdist(pkg, dist)
    return dist


def test_the_upload_form_and_trusted_publishing(spoke, stand_in: StandIn, tmp_path) -> None:
    dist = _dists(tmp_path)
    wheel = next(dist.glob("*.whl"))
    attestation = {"version": 1, "verification_material": {}, "envelope": {"statement": "e30=", "signature": "c2ln"}}
    (dist / f"{wheel.name}.publish.attestation").write_text(json.dumps(attestation))
    result = spoke("publish", "--repository-url", stand_in.upload_url, "-vvv", str(dist), cwd=tmp_path,
                   env=stand_in.github_env())
    # The three steps of the exchange, then the uploads, with the minted token as password.
    assert stand_in.requests[:3] == ["GET /_/oidc/audience",
                                     f"GET /github-token?api-version=2.0&audience={stand_in.audience}",
                                     "POST /_/oidc/mint-token"], stand_in.requests
    assert [r.filename for r in stand_in.received] == sorted(p.name for p in dist.glob("pubpkg-*[lz]"))
    _assert_no_secret(result, stand_in.minted_token, stand_in.identity_token, stand_in.request_token)
    for received in stand_in.received:
        assert received.authorization == _basic("__token__", stand_in.minted_token)
        assert not received.chunked and received.content_length > len(received.content)
        local = (dist / received.filename).read_bytes()
        assert received.content == local
        fields = received.fields
        assert fields[":action"] == ["file_upload"] and fields["protocol_version"] == ["1"]
        assert fields["name"] == ["pubpkg"] and fields["version"] == ["1.0"]
        assert fields["sha256_digest"] == [hashlib.sha256(local).hexdigest()]
        assert fields["blake2_256_digest"] == [hashlib.blake2b(local, digest_size=32).hexdigest()]
        assert fields["metadata_version"] == ["2.1"] and fields["summary"] == ["A package to publish"]
        assert fields["requires_dist"] == ["idna>=3", "six"] and fields["keywords"] == ["one, two"]
        assert fields["project_urls"] == ["Home, https://example.org/home"]
        if received.filename.endswith(".whl"):
            assert fields["filetype"] == ["bdist_wheel"] and fields["pyversion"] == ["py3"]
            assert json.loads(fields["attestations"][0]) == [attestation]
        else:
            assert fields["filetype"] == ["sdist"] and fields["pyversion"] == ["source"]
            assert "attestations" not in fields

    # always without a CI identity, and a refused mint: clear errors, nothing sent.
    before = len(stand_in.received)
    nowhere = spoke("publish", "--repository-url", stand_in.upload_url, "--trusted-publishing", "always",
                    str(dist), check=False, cwd=tmp_path)
    assert nowhere.returncode == 1 and "ACTIONS_ID_TOKEN_REQUEST_URL" in nowhere.stderr, nowhere.describe()
    stand_in.mint_errors = [{"code": "invalid-publisher", "description": "valid token, but no corresponding publisher"}]
    refused = spoke("publish", "--repository-url", stand_in.upload_url, "--trusted-publishing", "always",
                    str(dist), check=False, cwd=tmp_path, env=stand_in.github_env())
    assert refused.returncode == 1 and "refused to mint an upload token (status 422)" in refused.stderr
    assert "invalid-publisher: valid token, but no corresponding publisher" in refused.stderr
    assert "id-token: write" in refused.stderr
    assert len(stand_in.received) == before


def test_refusals_retries_and_redirects(spoke, stand_in: StandIn, tmp_path) -> None:
    dist = _dists(tmp_path)
    upload = ("publish", "--repository-url", stand_in.upload_url, "-u", "__token__", "-p", "pypi-tok3n")
    # 5xx are retried with backoff; then the upload goes through.
    stand_in.upload_answers = [(503, "Service Unavailable", {}), (502, "Bad Gateway", {})]
    retried = spoke(*upload, str(dist), cwd=tmp_path, env=FAST_BACKOFF)
    assert retried.stderr.count("Retrying") == 2 and "Uploaded 2 files" in retried.stderr, retried.describe()
    # PyPI's "400 File already exists": an error naming what was not uploaded; skipped with the flag.
    again = spoke(*upload, str(dist), check=False, cwd=tmp_path)
    assert again.returncode == 1 and "already has pubpkg-1.0-py3-none-any.whl" in again.stderr, again.describe()
    skipped = spoke(*upload, "--skip-existing", str(dist), cwd=tmp_path)
    assert skipped.stderr.count("the repository already has it") == 2, skipped.describe()
    # Any other 400 shows the server's reason and is not retried; a 403 speaks of the token.
    new = _dists(tmp_path / "v2", version="2.0")
    posts = stand_in.requests.count("POST /legacy/")
    invalid = "Invalid value for classifiers. Error: Classifier 'Foo' is not a valid classifier."
    stand_in.upload_answers = [(400, invalid, {})]
    bad = spoke(*upload, str(new), check=False, cwd=tmp_path, env=FAST_BACKOFF)
    assert bad.returncode == 1 and "Classifier 'Foo' is not a valid classifier" in bad.stderr, bad.describe()
    assert stand_in.requests.count("POST /legacy/") == posts + 1
    stand_in.upload_answers = [(403, "Invalid API Token: invalid scope", {})]
    scope = spoke(*upload, str(new), check=False, cwd=tmp_path)
    assert scope.returncode == 1 and "refused the token" in scope.stderr and "project `pubpkg`" in scope.stderr
    _assert_no_secret(scope, "pypi-tok3n")
    # A redirect is never followed: the error names where to upload instead.
    stand_in.upload_answers = [(301, "Moved Permanently", {"Location": f"{stand_in.url}/elsewhere/"})]
    moved = spoke(*upload, str(new), check=False, cwd=tmp_path)
    assert moved.returncode == 1 and f"--repository-url {stand_in.url}/elsewhere/" in moved.stderr, moved.describe()
    # --dry-run sends nothing.
    posts = stand_in.requests.count("POST /legacy/")
    dry = spoke(*upload, "--dry-run", str(new), cwd=tmp_path)
    assert "Would upload pubpkg-2.0.tar.gz" in dry.stderr and "nothing was sent" in dry.stderr
    assert stand_in.requests.count("POST /legacy/") == posts


def test_files_that_fail_the_checks_are_not_uploaded(spoke, stand_in: StandIn, tmp_path) -> None:
    dist = _dists(tmp_path)
    bad = dist / "pubpkg-1.0+local-py3-none-any.whl"  # PyPI refuses local versions
    build_wheel(Pkg("pubpkg", "1.0+local"), tmp_path / "local")
    (tmp_path / "local" / bad.name).rename(bad)
    upload = ("publish", "--repository-url", stand_in.upload_url, "-u", "u", "-p", "p")
    refused = spoke(*upload, str(dist), check=False, cwd=tmp_path)
    assert refused.returncode == 1 and "nothing was uploaded" in refused.stderr, refused.describe()
    assert "pubpkg-1.0+local-py3-none-any.whl:" in refused.stderr and "--no-check" in refused.stderr
    assert stand_in.received == []
    spoke(*upload, "--no-check", str(dist), cwd=tmp_path)
    assert len(stand_in.received) == 3
    # Bad input: no dist folder, an unknown repository name, a URL that is not one.
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = spoke("publish", check=False, cwd=empty)
    assert missing.returncode == 2 and "`dist` does not exist" in missing.stderr
    unknown = spoke("publish", "-r", "nowhere", str(dist), check=False, cwd=tmp_path)
    assert unknown.returncode == 1 and "no repository named `nowhere`" in unknown.stderr
    not_url = spoke("publish", "--repository-url", "ftp://example.org/", str(dist), check=False, cwd=tmp_path)
    assert not_url.returncode == 2 and "is not an http(s) URL" in not_url.stderr
    # Non-interactive without credentials for PyPI: the fix is named before any request.
    no_token = spoke("publish", str(dist), "--no-check", check=False, cwd=tmp_path)
    assert no_token.returncode == 1 and "No API token for https://upload.pypi.org/legacy/" in no_token.stderr


def test_credentials_from_keyring_and_from_a_prompt(spoke, hermetic, stand_in: StandIn, tmp_path) -> None:
    dist = _dists(tmp_path)
    asked = tmp_path / "keyring-asked.txt"
    fake = fake_keyring(tmp_path / "fake-keyring", asked, password="kr-pass")
    spoke("publish", "--repository-url", stand_in.upload_url, "-u", "kr-user", str(dist / "pubpkg-1.0.tar.gz"),
          cwd=tmp_path, env={"PYTHONPATH": str(fake)})
    assert stand_in.received[-1].authorization == _basic("kr-user", "kr-pass")
    assert asked.read_text().splitlines() == [f"{stand_in.upload_url} kr-user"]  # twine's service name

    # On a terminal, the password is asked for without echo.
    import pty
    import select

    env = dict(hermetic)
    pid, fd = pty.fork()
    if pid == 0:  # the child: spoke on the pseudo-terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "spoke", "publish", "--repository-url",
                                   stand_in.upload_url, "-u", "someone", str(dist / "pubpkg-1.0-py3-none-any.whl")],
                  env)
    output = b""
    answered = False
    for _ in range(600):  # at most 60 s
        ready, _w, _x = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"Enter your password:" in output:
            os.write(fd, b"typed-secret\n")
            answered = True
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output.decode(errors="replace")
    assert answered and b"typed-secret" not in output
    assert stand_in.received[-1].authorization == _basic("someone", "typed-secret")

