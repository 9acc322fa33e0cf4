"""The no-op record (spoke.app.noop): what it stores, what it checks, which key finds it.

Plain files stand in for the target: a file for the interpreter, a folder of ``*.dist-info``
entries for site-packages. The real CLI writing and reading records is in
``tests/functional/test_quick_noop.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spoke.app import noop
from spoke.app.noop import (
    Record,
    invocation_of,
    new_record,
    observe_environment,
    record_paths,
)

ENVIRON = {"HOME": "/home/someone", "PIP_INDEX_URL": "http://127.0.0.1/simple", "TERM": "xterm"}


@pytest.fixture
def target(tmp_path: Path) -> dict[str, Path]:
    """An interpreter file, a site-packages folder holding ``beta``, a requirements file, a
    configuration file and where the journal would be."""
    site = tmp_path / "venv" / "site-packages"
    (site / "beta-1.0.dist-info").mkdir(parents=True)
    interpreter = tmp_path / "venv" / "python"
    interpreter.write_bytes(b"#!interpreter")
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("alpha\n")
    config = tmp_path / "pip.conf"
    config.write_text("[global]\n")
    return {"site": site, "interpreter": interpreter, "reqs": reqs, "config": config,
            "journal": tmp_path / "venv" / ".spoke" / "journal.jsonl", "work": tmp_path / "work"}


def _record(target: dict[str, Path], message: str = "Audited 2 packages") -> Record:
    return new_record(
        packages=2, message=message, interpreter=target["interpreter"],
        environment=observe_environment([target["site"]]),
        files={**noop.file_digests([target["reqs"], target["config"]]), str(target["journal"]): None},
    )


def _write(path: str, record: Record) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Path(path).write_bytes(record.to_bytes())


def test_the_bucket_is_the_caches_own() -> None:
    from spoke.cache import BUCKETS

    assert BUCKETS["satisfied"] == noop.BUCKET


def test_the_quick_answer_loads_only_the_standard_library() -> None:
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import spoke.cli.quick\n"
        "print('\\n'.join(sorted(set(sys.modules) - before)))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            timeout=60).stdout.split()
    ours = {m for m in loaded if m.partition(".")[0] == "spoke"}
    assert ours == {"spoke", "spoke.cli", "spoke.cli.quick", "spoke.app", "spoke.app.noop"}
    assert [m for m in loaded if m not in ours and m.partition(".")[0] not in sys.stdlib_module_names] == []
    assert "dataclasses" not in loaded  # +6 ms (it imports inspect): the values are named tuples


def test_a_record_reads_back_as_written(target: dict[str, Path]) -> None:
    record = _record(target)
    assert Record.from_bytes(record.to_bytes()) == record
    assert record.interpreter_stat is not None


@pytest.mark.parametrize("data", [
    b"", b"not json", b"[]", b'{"format": 1}',
    (b'{"format": 2, "packages": "2", "message": "", "interpreter": "/p", "interpreter_stat": null,'
     b' "paths": [], "environment": "x", "files": {}}'),
    (b'{"format": 2, "packages": 2, "message": "", "interpreter": "/p", "interpreter_stat": null,'
     b' "paths": [], "environment": "x", "files": {"/f": 3}}'),
])
def test_a_damaged_record_or_one_of_another_format_is_no_record(data: bytes) -> None:
    assert Record.from_bytes(data) is None


def test_a_record_holds_until_anything_it_depended_on_changes(target: dict[str, Path]) -> None:
    record = _record(target)
    assert record.holds()
    (target["site"] / "gamma-1.0.dist-info").mkdir()  # installed by any tool
    assert not record.holds()
    record = _record(target)
    os.rmdir(target["site"] / "beta-1.0.dist-info")  # removed by any tool
    assert not record.holds()
    record = _record(target)
    (target["site"] / "extra.pth").write_text("/somewhere\n")
    assert not record.holds()
    record = _record(target)
    target["reqs"].write_text("alpha\nbeta\n")  # the requirements changed
    assert not record.holds()
    record = _record(target)
    target["config"].write_text("[global]\npre = true\n")  # a configuration file changed
    assert not record.holds()
    record = _record(target)
    target["config"].unlink()  # ... or went away
    assert not record.holds()
    record = _record(target)
    target["journal"].parent.mkdir(parents=True)
    target["journal"].write_text("")  # an interrupted change waits for recovery
    assert not record.holds()
    target["journal"].unlink()
    assert record.holds()
    target["interpreter"].write_bytes(b"#!another interpreter")  # the interpreter was replaced
    assert not record.holds()


def test_a_request_record_is_found_only_for_the_same_site_packages(target: dict[str, Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    key = noop.request_key(target["interpreter"], ["alpha", "\0flags"])
    [path] = record_paths(cache, request=key, invocation=None)
    _write(path, _record(target))
    assert noop.lookup_request(cache, key, paths=[target["site"]]) is not None
    assert noop.lookup_request(cache, key, paths=[target["site"], tmp_path / "user-site"]) is None
    assert noop.lookup_request(cache, noop.request_key(target["interpreter"], ["beta"]), paths=[target["site"]]) is None
    (target["site"] / "gamma-1.0.dist-info").mkdir()
    assert noop.lookup_request(cache, key, paths=[target["site"]]) is None


def test_the_quick_answer_is_keyed_by_the_command_as_typed(
    target: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    work = target["work"]
    work.mkdir()
    monkeypatch.chdir(work)
    environ = {**ENVIRON, "SPOKE_CACHE_DIR": str(tmp_path / "cache")}
    argv = ["install", "-r", str(target["reqs"])]
    invocation = invocation_of(argv, environ)
    assert invocation is not None
    paths = record_paths(tmp_path / "cache", request="k", invocation=invocation)
    assert [Path(p).name.partition("-")[0] for p in paths] == ["request", "command"]
    _write(paths[1], _record(target))

    assert noop.answer(argv, environ) == 0
    assert capsys.readouterr().err == "Audited 2 packages\n"
    assert noop.answer(argv, {**environ, "TERM": "dumb"}) == 0  # a variable spoke never reads
    assert noop.answer([*argv, "-v"], environ) is None  # other arguments
    assert noop.answer(argv, {**environ, "PIP_PRE": "1"}) is None  # a setting in the environment
    assert noop.answer(["add", *argv[1:]], environ) is None  # typed otherwise
    (work / ".venv").mkdir()  # target discovery would find it
    assert noop.answer(argv, environ) is None
    (work / ".venv").rmdir()
    assert noop.answer(argv, environ) == 0
    monkeypatch.chdir(tmp_path)  # another working folder
    assert noop.answer(argv, environ) is None
    monkeypatch.chdir(work)
    (target["site"] / "gamma-1.0.dist-info").mkdir()  # the environment changed
    assert noop.answer(argv, environ) is None
    capsys.readouterr()


def test_a_quiet_answer_prints_nothing(
    target: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    environ = {**ENVIRON, "SPOKE_CACHE_DIR": str(tmp_path / "cache")}
    argv = ["install", "alpha", "-q"]
    [path] = record_paths(tmp_path / "cache", request=None, invocation=invocation_of(argv, environ))
    _write(path, _record(target, message=""))
    assert noop.answer(argv, environ) == 0
    assert capsys.readouterr().err == ""


def test_only_install_is_answered_and_only_from_the_cache_the_raw_inputs_name(tmp_path: Path) -> None:
    environ = {**ENVIRON, "SPOKE_CACHE_DIR": str(tmp_path / "cache")}
    assert invocation_of(["uninstall", "alpha"], environ) is None
    assert invocation_of([], environ) is None
    assert noop.cache_root(["install", "x", "--no-cache-dir"], environ) is None
    assert noop.cache_root(["install", "x", "--cache-dir", str(tmp_path / "c")], environ) == str(tmp_path / "c")
    assert noop.cache_root(["install", "x", f"--cache-dir={tmp_path / 'c'}"], environ) == str(tmp_path / "c")
    assert noop.cache_root(["install", "x"], environ) == str(tmp_path / "cache")
    # A cache folder the raw inputs do not name (set in a configuration file): no quick record.
    invocation = invocation_of(["install", "x"], environ)
    assert record_paths(tmp_path / "configured", request="k", invocation=invocation) == [
        os.path.join(str(tmp_path / "configured"), noop.BUCKET, "request-k.json")]


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG rules")
def test_the_default_cache_folder_is_platformdirs_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_cache_dir

    for xdg in (str(tmp_path / "xdg"), None, "  "):
        environ = {"HOME": str(tmp_path / "home")}
        if xdg is None:
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        else:
            environ["XDG_CACHE_HOME"] = xdg
            monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        monkeypatch.setenv("HOME", environ["HOME"])
        assert noop.cache_root(["install", "x"], environ) == user_cache_dir("spoke", appauthor=False)
