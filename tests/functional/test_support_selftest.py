"""The functional-test infrastructure tested on its own: packages, index server, fixtures.

If these fail, every functional test's verdict is suspect, so they check the artifacts
against independent consumers: pip installs the wheels, setuptools builds the sdists,
``json`` / ``html.parser`` / ``http.client`` read the server's answers.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import http.client
import io
import json
import os
import sys
import tarfile
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from packaging.utils import canonicalize_name

from tests.functional.conftest import Result, installed_files, run_checked, snapshot
from tests.support.index_server import JSON_TYPE, IndexServer
from tests.support.packages import Pkg, build, build_cached, build_sdist, build_wheel, spec_hash

# ----------------------------------------------------------------------------- helpers


def fetch(
    server: IndexServer, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """One request, no redirects followed: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


class Anchors(HTMLParser):
    """Every ``<a>``'s attributes (values unescaped by the parser)."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))


def anchors(body: bytes) -> list[dict[str, str | None]]:
    parser = Anchors()
    parser.feed(body.decode())
    return parser.anchors


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


APP = Pkg(
    "My_App",
    "1.2",
    deps=("helper>=1", "never-installed; python_version < '3'"),
    extras={"fast": ("speedup",)},
    requires_python=">=3.8",
    console_scripts={"my-app": "my_app.cli:main"},
    scripts={"app-shell": "import sys\nprint('shell', sys.version_info[0])\n"},
    data_files={"share/my-app/readme.txt": "hello data\n"},
    summary="An app",
)
HELPER = Pkg("helper", "1.0")
SPEEDUP = Pkg("speedup", "0.1", requires_python=">=3.8")


# ----------------------------------------------------------------------------- packages


def test_wheel_is_valid_and_deterministic(tmp_path: Path) -> None:
    first = build_wheel(APP, tmp_path / "a")
    second = build_wheel(APP, tmp_path / "b")
    assert first.name == "my_app-1.2-py3-none-any.whl"
    assert first.read_bytes() == second.read_bytes()

    with zipfile.ZipFile(first) as zf:
        names = zf.namelist()
        assert names[-1] == "my_app-1.2.dist-info/RECORD"
        metadata = zf.read("my_app-1.2.dist-info/METADATA").decode()
        wheel = zf.read("my_app-1.2.dist-info/WHEEL").decode()
        rows = list(csv.reader(io.StringIO(zf.read(names[-1]).decode())))
        assert {row[0] for row in rows} == set(names)
        for path, digest, size in rows:
            if path == names[-1]:
                assert digest == size == ""
                continue
            data = zf.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode()
            assert int(size) == len(data)
        script_mode = zf.getinfo("my_app-1.2.data/scripts/app-shell").external_attr >> 16
        assert script_mode & 0o111
        assert zf.read("my_app-1.2.data/scripts/app-shell").startswith(b"#!python\n")
    assert "Root-Is-Purelib: true" in wheel and "Tag: py3-none-any" in wheel
    assert "Metadata-Version: 2.1\nName: My_App\nVersion: 1.2\n" in metadata
    assert "Requires-Python: >=3.8" in metadata
    assert "Provides-Extra: fast" in metadata
    assert 'Requires-Dist: speedup; extra == "fast"' in metadata
    assert "Requires-Dist: never-installed; python_version < '3'" in metadata


def test_extra_dependency_keeps_its_own_marker(tmp_path: Path) -> None:
    pkg = Pkg("x", "1", extras={"win": ("pywin; os_name == 'nt'",)})
    with zipfile.ZipFile(build_wheel(pkg, tmp_path)) as zf:
        metadata = zf.read("x-1.dist-info/METADATA").decode()
    assert 'Requires-Dist: pywin; (os_name == "nt") and extra == "win"' in metadata


def test_binary_tag_is_platlib(tmp_path: Path) -> None:
    pkg = Pkg("native", "1", tag="cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
    with zipfile.ZipFile(build_wheel(pkg, tmp_path)) as zf:
        wheel = zf.read("native-1.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in wheel
    assert wheel.count("Tag: ") == 2


def test_spec_hash_ignores_index_facts_and_cache_reuses_files(tmp_path: Path) -> None:
    assert spec_hash(APP) == spec_hash(Pkg(**{**_fields(APP), "yanked": "bad"}))
    assert spec_hash(APP) != spec_hash(Pkg("My_App", "1.3"))
    assert Pkg("a", "1", extras={"x": ("b",)}) == Pkg("a", "1", extras=(("x", ("b",)),))
    first = build_cached(APP, tmp_path)
    mtimes = [p.stat().st_mtime_ns for p in first]
    assert build_cached(APP, tmp_path) == first
    assert [p.stat().st_mtime_ns for p in first] == mtimes  # reused, not rewritten


def _fields(pkg: Pkg) -> dict[str, object]:
    return {name: getattr(pkg, name) for name in pkg.__dataclass_fields__ if name != "_"}


def test_sdist_layout_and_determinism(tmp_path: Path) -> None:
    pkg = Pkg("Sd.Pkg", "2.0", deps=("helper",), sdist=True, wheel=False)
    assert [p.name for p in build(pkg, tmp_path / "a")] == ["sd_pkg-2.0.tar.gz"]
    path = build_sdist(pkg, tmp_path / "b")
    assert path.read_bytes() == (tmp_path / "a" / path.name).read_bytes()
    with tarfile.open(path) as tar:
        names = tar.getnames()
        member = tar.extractfile("sd_pkg-2.0/pyproject.toml")
        assert member is not None
        pyproject = member.read().decode()
    assert set(names) == {
        "sd_pkg-2.0/PKG-INFO",
        "sd_pkg-2.0/pyproject.toml",
        "sd_pkg-2.0/sd_pkg/__init__.py",
    }
    assert 'build-backend = "setuptools.build_meta"' in pyproject


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".")[:2] if p.isdigit())


def test_sdist_builds_with_setuptools(tmp_path: Path, hermetic: dict[str, str]) -> None:
    setuptools = pytest.importorskip("setuptools")
    if _version_tuple(setuptools.__version__) < (70, 1):
        pytest.importorskip("wheel", reason="setuptools < 70.1 needs `wheel` to build wheels")
    pkg = Pkg("built-from-sdist", "3.1", deps=("helper",), extras={"x": ("speedup",)},
              console_scripts={"bfs": "built_from_sdist:main"}, sdist=True, wheel=False)
    (sdist,) = build(pkg, tmp_path / "dist")
    out = tmp_path / "wheels"
    run_checked(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", out, sdist],
        env={**hermetic, "PIP_CONFIG_FILE": os.devnull},
        timeout=120,
    )
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read("built_from_sdist-3.1.dist-info/METADATA").decode()
        entry_points = zf.read("built_from_sdist-3.1.dist-info/entry_points.txt").decode()
        assert "def main" in zf.read("built_from_sdist/__init__.py").decode()
    assert "Requires-Dist: helper" in metadata
    assert "Provides-Extra: x" in metadata
    assert "bfs = built_from_sdist:main" in entry_points


def test_wheel_installs_with_pip_and_runs(
    tmp_path: Path, venv, pip_in  # type: ignore[no-untyped-def]
) -> None:
    dist = tmp_path / "dist"
    for pkg in (APP, HELPER, SPEEDUP):
        build_wheel(pkg, dist)
    env = venv()
    assert env.python.is_file() and env.site_packages.is_dir()
    before = installed_files(env)
    pip_in(env, "install", "--no-index", "--find-links", dist, "my-app[fast]")

    listed = json.loads(pip_in(env, "list", "--format=json").stdout)
    assert sorted(canonicalize_name(d["name"]) for d in listed) == ["helper", "my-app", "speedup"]
    pip_in(env, "check")
    version = run_checked(
        [env.python, "-c", "import my_app; print(my_app.__version__)"], env={}
    ).stdout.strip()
    assert version == "1.2"
    hello = run_checked([env.bin / "my-app"], env={"PATH": os.environ["PATH"]})
    assert hello.stdout.strip() == "main from My_App 1.2"
    shell = run_checked([env.bin / "app-shell"], env={"PATH": os.environ["PATH"]})
    assert shell.stdout.strip() == "shell 3"
    assert (env.path / "share/my-app/readme.txt").read_text() == "hello data\n"
    added = installed_files(env) - before
    assert "bin/my-app" in added and any(p.endswith("my_app/cli.py") for p in added)
    assert not any("__pycache__" in p for p in installed_files(env))


# ----------------------------------------------------------------------------- index pages


def test_json_page(index) -> None:  # type: ignore[no-untyped-def]
    server = index(APP, Pkg("my-app", "1.3", sdist=True, upload_time="2024-01-02T03:04:05Z"))
    status, headers, body = fetch(server, "/simple/my-app/", {"Accept": JSON_TYPE})
    assert status == 200 and headers["Content-Type"] == JSON_TYPE
    page = json.loads(body)
    assert page["meta"] == {"api-version": "1.1"}
    assert page["name"] == "my-app" and page["versions"] == ["1.2", "1.3"]
    files = {f["filename"]: f for f in page["files"]}
    assert set(files) == {"my_app-1.2-py3-none-any.whl", "my_app-1.3-py3-none-any.whl",
                          "my_app-1.3.tar.gz"}
    wheel = files["my_app-1.2-py3-none-any.whl"]
    assert wheel["url"] == f"{server.url}/files/my_app-1.2-py3-none-any.whl"
    assert wheel["requires-python"] == ">=3.8"
    assert wheel["yanked"] is False
    assert "core-metadata" in wheel and wheel["dist-info-metadata"] == wheel["core-metadata"]
    assert "core-metadata" not in files["my_app-1.3.tar.gz"]
    assert files["my_app-1.3.tar.gz"]["upload-time"] == "2024-01-02T03:04:05Z"
    for entry in files.values():
        status, _, data = fetch(server, entry["url"].removeprefix(server.url))
        assert status == 200
        assert hashlib.sha256(data).hexdigest() == entry["hashes"]["sha256"]
        assert len(data) == entry["size"]

    status, _, root = fetch(server, "/simple/", {"Accept": JSON_TYPE})
    assert json.loads(root)["projects"] == [{"name": "my-app"}]


def test_html_page(index) -> None:  # type: ignore[no-untyped-def]
    server = index(APP, Pkg("my-app", "0.9", requires_python="<4,>=3.8"))
    status, headers, body = fetch(server, "/simple/my-app/", {"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'data-requires-python="&lt;4,&gt;=3.8"' in body  # escaped on the wire
    found = anchors(body)
    assert len(found) == 2
    for anchor in found:
        url, _, fragment = anchor["href"].partition("#")  # type: ignore[union-attr]
        assert url.startswith(f"{server.url}/files/")
        _, _, data = fetch(server, url.removeprefix(server.url))
        assert fragment == "sha256=" + hashlib.sha256(data).hexdigest()
        assert anchor["data-core-metadata"] == anchor["data-dist-info-metadata"]
        assert "data-yanked" not in anchor
    assert {a["data-requires-python"] for a in found} == {">=3.8", "<4,>=3.8"}

    _, _, root = fetch(server, "/simple/")
    assert [a["href"] for a in anchors(root)] == ["/simple/my-app/"]
    _, _, links = fetch(server, "/links/")
    assert len(anchors(links)) == 2


def test_content_negotiation(index) -> None:  # type: ignore[no-untyped-def]
    server = index(HELPER)
    prefer_json = f"{JSON_TYPE}, text/html;q=0.01"
    assert fetch(server, "/simple/helper/", {"Accept": prefer_json})[1]["Content-Type"] == JSON_TYPE
    prefer_html = f"{JSON_TYPE};q=0.1, text/html"
    assert fetch(server, "/simple/helper/", {"Accept": prefer_html})[1]["Content-Type"].startswith(
        "text/html"
    )
    anything = fetch(server, "/simple/helper/", {"Accept": "*/*"})
    assert anything[1]["Content-Type"].startswith("text/html")
    by_query = fetch(server, f"/simple/helper/?format={quote(JSON_TYPE)}")
    assert by_query[1]["Content-Type"] == JSON_TYPE
    server.json = False
    assert fetch(server, "/simple/helper/", {"Accept": prefer_json})[1]["Content-Type"].startswith(
        "text/html"
    )
    assert fetch(server, "/simple/helper/", {"Accept": JSON_TYPE})[0] == 406
    server.json, server.html = True, False
    assert fetch(server, "/simple/helper/", {"Accept": "text/html"})[0] == 406


def test_redirect_and_unknown_project(index) -> None:  # type: ignore[no-untyped-def]
    server = index(Pkg("Foo_Bar", "1"))
    status, headers, _ = fetch(server, "/simple/Foo_Bar/")
    assert status == 301 and headers["Location"] == "/simple/foo-bar/"
    status, headers, _ = fetch(server, "/simple/Foo.Bar")
    assert status == 301 and headers["Location"] == "/simple/foo-bar/"
    assert fetch(server, "/simple/foo-bar/")[0] == 200
    assert fetch(server, "/simple/nothing-here/")[0] == 404
    assert fetch(server, "/files/nothing-1.0.tar.gz")[0] == 404


def test_metadata_on_and_off(index) -> None:  # type: ignore[no-untyped-def]
    server = index(APP)
    filename = APP.wheel_filename
    page = json.loads(fetch(server, "/simple/my-app/", {"Accept": JSON_TYPE})[2])
    advertised = page["files"][0]["core-metadata"]["sha256"]
    status, _, metadata = fetch(server, f"/files/{filename}.metadata")
    assert status == 200
    assert hashlib.sha256(metadata).hexdigest() == advertised
    with zipfile.ZipFile(io.BytesIO(fetch(server, f"/files/{filename}")[2])) as zf:
        assert zf.read(f"{APP.dist_info}/METADATA") == metadata

    server.metadata = False
    assert fetch(server, f"/files/{filename}.metadata")[0] == 404
    page = json.loads(fetch(server, "/simple/my-app/", {"Accept": JSON_TYPE})[2])
    assert "core-metadata" not in page["files"][0]
    assert b"data-core-metadata" not in fetch(server, "/simple/my-app/")[2]


def test_yanked_in_both_formats(index) -> None:  # type: ignore[no-untyped-def]
    server = index(Pkg("y", "1", yanked=""), Pkg("y", "2", yanked="broken <build>"), Pkg("y", "3"))
    server.yank("y-3-py3-none-any.whl", "late")
    files = json.loads(fetch(server, "/simple/y/", {"Accept": JSON_TYPE})[2])["files"]
    assert [f["yanked"] for f in files] == [True, "broken <build>", "late"]
    html_body = fetch(server, "/simple/y/")[2]
    assert b'data-yanked="broken &lt;build&gt;"' in html_body
    assert [a.get("data-yanked") for a in anchors(html_body)] == ["", "broken <build>", "late"]
    server.unyank("y-3-py3-none-any.whl")
    files = json.loads(fetch(server, "/simple/y/", {"Accept": JSON_TYPE})[2])["files"]
    assert files[2]["yanked"] is False


def test_publish_while_running(index, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = index()
    assert fetch(server, "/simple/late/")[0] == 404
    assert server.add(Pkg("late", "1")) == ["late-1-py3-none-any.whl"]
    _, headers, body = fetch(server, "/simple/late/")
    assert len(anchors(body)) == 1
    build_wheel(Pkg("late", "2"), tmp_path / "more")
    server.add_file(tmp_path / "more")
    _, headers2, body2 = fetch(server, "/simple/late/")
    assert len(anchors(body2)) == 2 and headers2["ETag"] != headers["ETag"]
    assert server.filenames == ["late-1-py3-none-any.whl", "late-2-py3-none-any.whl"]


# ----------------------------------------------------------------------------- files


def test_range_requests(index) -> None:  # type: ignore[no-untyped-def]
    server = index(APP)
    path = f"/files/{APP.wheel_filename}"
    _, headers, whole = fetch(server, path)
    size = len(whole)
    assert headers["Accept-Ranges"] == "bytes" and int(headers["Content-Length"]) == size

    status, headers, part = fetch(server, path, {"Range": "bytes=0-9"})
    assert status == 206 and part == whole[:10]
    assert headers["Content-Range"] == f"bytes 0-9/{size}" and headers["Content-Length"] == "10"
    status, headers, tail = fetch(server, path, {"Range": "bytes=-22"})
    assert status == 206 and tail == whole[-22:]
    assert headers["Content-Range"] == f"bytes {size - 22}-{size - 1}/{size}"
    status, _, rest = fetch(server, path, {"Range": f"bytes={size - 5}-"})
    assert status == 206 and rest == whole[-5:]
    status, headers, _ = fetch(server, path, {"Range": f"bytes={size}-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{size}"
    status, _, _ = fetch(server, path, {"Range": "bytes=0-1", "If-Range": '"stale"'})
    assert status == 200

    server.ranges = False
    status, headers, body = fetch(server, path, {"Range": "bytes=0-9"})
    assert status == 200 and body == whole and "Accept-Ranges" not in headers
    assert server.downloads(APP.wheel_filename) == 6


def test_conditional_requests(index) -> None:  # type: ignore[no-untyped-def]
    server = index(HELPER)
    for path in (f"/files/{HELPER.wheel_filename}", "/simple/helper/",
                 f"/files/{HELPER.wheel_filename}.metadata"):
        status, headers, _ = fetch(server, path)
        assert status == 200
        etag, modified = headers["ETag"], headers["Last-Modified"]
        status, headers, body = fetch(server, path, {"If-None-Match": etag})
        assert status == 304 and body == b"" and headers["ETag"] == etag
        assert fetch(server, path, {"If-Modified-Since": modified})[0] == 304
        # If-None-Match decides when present, even if the date alone would say "unchanged".
        changed = {"If-None-Match": '"other"', "If-Modified-Since": modified}
        assert fetch(server, path, changed)[0] == 200
    server.etags = False
    status, headers, _ = fetch(server, "/simple/helper/", {"If-None-Match": "*"})
    assert status == 200 and "ETag" not in headers and "Last-Modified" not in headers


def test_head_and_request_log(index) -> None:  # type: ignore[no-untyped-def]
    server = index(HELPER, cache_control="max-age=600")
    status, headers, body = fetch(server, f"/files/{HELPER.wheel_filename}", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
    assert headers["Cache-Control"] == "max-age=600"
    fetch(server, "/simple/helper/", {"Accept": JSON_TYPE})
    assert server.downloads(HELPER.wheel_filename) == 0  # HEAD is not a download
    method, path, status, request_headers = server.requests[-1]
    assert (method, path, status) == ("GET", "/simple/helper/", 200)
    assert request_headers["Accept"] == JSON_TYPE
    server.clear_log()
    assert server.requests == []


def test_fault_injection(index) -> None:  # type: ignore[no-untyped-def]
    server = index(HELPER)
    path = f"/files/{HELPER.wheel_filename}"
    server.fail("/files/", status=503, times=2, headers={"Retry-After": "0"})
    status, headers, _ = fetch(server, path)
    assert status == 503 and headers["Retry-After"] == "0"
    assert fetch(server, path)[0] == 503
    assert fetch(server, path)[0] == 200
    server.fail("files/helper")  # default: one 500, prefix without the leading slash
    assert fetch(server, "/simple/helper/")[0] == 200  # other paths unaffected
    assert [fetch(server, path)[0] for _ in range(2)] == [500, 200]
    server.fail(path, status=0)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        fetch(server, path)
    server.fail("/simple/", status=404, times=None)
    assert [fetch(server, "/simple/helper/")[0] for _ in range(3)] == [404] * 3
    server.clear_faults()
    assert fetch(server, "/simple/helper/")[0] == 200
    assert [r.status for r in server.requests if r.path == path] == [503, 503, 200, 500, 200, 0]
    assert server.downloads(HELPER.wheel_filename) == 2


def test_basic_auth(index) -> None:  # type: ignore[no-untyped-def]
    server = index(HELPER, auth=("user", "p@ss:word"))
    status, headers, _ = fetch(server, "/simple/helper/")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic ")
    wrong = base64.b64encode(b"user:nope").decode()
    assert fetch(server, "/simple/helper/", {"Authorization": f"Basic {wrong}"})[0] == 401
    good = base64.b64encode(b"user:p@ss:word").decode()
    assert fetch(server, "/simple/helper/", {"Authorization": f"Basic {good}"})[0] == 200
    login = {"Authorization": f"Basic {good}"}
    assert fetch(server, f"/files/{HELPER.wheel_filename}", login)[0] == 200
    assert server.authed_url() == f"http://user:p%40ss%3Aword@127.0.0.1:{server.port}/simple/"


def test_serves_a_folder_and_closes(tmp_path: Path) -> None:
    build_wheel(HELPER, tmp_path)
    build_sdist(SPEEDUP, tmp_path)
    (tmp_path / "notes.txt").write_text("not a distribution")
    with IndexServer(tmp_path) as server:
        files = json.loads(fetch(server, "/simple/speedup/", {"Accept": JSON_TYPE})[2])["files"]
        assert files[0]["requires-python"] == ">=3.8"  # read from the sdist's PKG-INFO
        assert server.filenames == ["helper-1.0-py3-none-any.whl", "speedup-0.1.tar.gz"]
        port = server.port
    with pytest.raises(OSError):
        fetch_port(port)


def fetch_port(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/simple/")
        conn.getresponse().read()
    finally:
        conn.close()


# ----------------------------------------------------------------------------- fixtures


def test_hermetic_environment(hermetic: dict[str, str], tmp_path: Path) -> None:
    assert not [k for k in hermetic if k.startswith("PIP_") and k != "PIP_CONFIG_FILE"]
    assert hermetic["PIP_CONFIG_FILE"] == hermetic["SPOKE_CONFIG_FILE"] == os.devnull
    assert "VIRTUAL_ENV" not in hermetic and "PYTHONPATH" not in hermetic
    for key in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_DIRS",
                "SPOKE_CACHE_DIR"):
        assert Path(hermetic[key]).is_dir() and Path(hermetic[key]).is_relative_to(tmp_path)
    # A subprocess really sees it: pip finds no configuration at all.
    out = run_checked(
        [sys.executable, "-m", "pip", "config", "debug"], env=hermetic, timeout=60
    ).stdout
    # pip lists the files it *would* read but loads none: no "global.x: value" lines.
    assert "global." not in out and "/etc/xdg/pip" not in out and "/dev/null, exists" in out


def test_run_checked_reports_failures() -> None:
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    argv = [sys.executable, "-c", code]
    result = run_checked(argv, env=os.environ, check=3)
    assert isinstance(result, Result)
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert run_checked(argv, env=os.environ, check=False).returncode == 3
    with pytest.raises(pytest.fail.Exception) as info:
        run_checked(argv, env=os.environ)
    message = str(info.value)
    assert "expected exit code 0" in message and "exit code: 3" in message
    assert "out" in message and "err" in message and "-c" in message


def test_spoke_fixture_checks_the_exit_code(spoke) -> None:  # type: ignore[no-untyped-def]
    # The CLI may not exist yet; whatever it does, the fixture must report it faithfully.
    result = spoke("--version", check=False, timeout=60)
    assert result.args[:3] == (sys.executable, "-m", "spoke")
    with pytest.raises(pytest.fail.Exception) as info:
        spoke("--version", check=result.returncode + 1, timeout=60)
    assert f"exit code: {result.returncode}" in str(info.value)
    assert "-m spoke --version" in str(info.value)


def test_snapshot_and_installed_files(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "a" / "__pycache__").mkdir(parents=True)
    (root / "a" / "x.py").write_text("x")
    (root / "a" / "__pycache__" / "x.pyc").write_bytes(b"c")
    (root / "link").symlink_to(root / "a")
    before = snapshot(root)
    assert set(before) == {"a/x.py", "a/__pycache__/x.pyc"}
    assert installed_files(root) == {"a/x.py", "link"}
    assert installed_files(root, pycache=True) == {"a/x.py", "a/__pycache__/x.pyc", "link"}
    assert snapshot(root) == before
    (root / "a" / "x.py").write_text("xy")
    assert snapshot(root)["a/x.py"][0] == 2
