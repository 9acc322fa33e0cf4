"""Writes the disk refuses, and Ctrl-C during a transfer: ``spoke.errors.write_error``, the
download's temporary file under both, and :mod:`spoke.net.interrupt`."""

from __future__ import annotations

import errno
import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import spoke.net.client as client_module
from spoke.errors import DiskFullError, NetworkError, WriteError, write_error
from spoke.net import HttpClient, NetSettings, interrupt
from tests.unit._httpd import LoopbackServer, Reply, always

BODY = bytes(range(256)) * 400  # 100 kB


def fast() -> NetSettings:
    return NetSettings(timeout=5.0, retries=3, backoff_base=0.01)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("code", "cause", "fix"),
    [
        (errno.ENOSPC, "no space left on the device", "Free some disk space"),
        (errno.EDQUOT, "the disk quota is exceeded", "within your quota"),
        (errno.EFBIG, "the file is too large", "ulimit -f"),
    ],
)
def test_a_write_refused_for_want_of_room_names_the_cause_and_the_fix(code: int, cause: str, fix: str) -> None:
    error = write_error(OSError(code, "whatever the system says"), Path("/some/wheels"), "x-1.0-py3-none-any.whl")
    assert isinstance(error, DiskFullError)
    assert error.message.startswith("Could not write x-1.0-py3-none-any.whl into `/some/wheels`: ")
    assert cause in error.message and error.hint is not None and fix in error.hint
    assert "choose a folder on another disk" in error.hint and "--dest" in error.hint
    assert error.exit_code == 1 and error.folder == "/some/wheels"


def test_another_refused_write_is_a_write_error_with_the_systems_reason() -> None:
    error = write_error(OSError(errno.EROFS, "Read-only file system"), "/ro", None)
    assert type(error) is WriteError
    assert error.message == "Could not write into `/ro`: Read-only file system"
    assert error.hint


class _FillingFile(io.FileIO):
    """A file on a disk with ``room`` bytes left: a write beyond fails with ENOSPC."""

    room = 30_000

    def write(self, data) -> int:  # noqa: ANN001
        if self.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


def test_a_download_onto_a_full_disk_stops_at_once_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setattr(client_module, "open", lambda path, mode: _FillingFile(path, "r+"), raising=False)
    dest = tmp_path / "f.whl"
    with LoopbackServer() as server, HttpClient(fast(), sleep=lambda s: None) as client:
        server.routes["/f.whl"] = always(Reply(body=BODY))
        with pytest.raises(DiskFullError) as caught:
            client.download(server.url("/f.whl"), dest)
        assert len(server.requests("/f.whl")) == 1  # not taken for a network failure, not retried
    assert caught.value.message.startswith(f"Could not write f.whl into `{tmp_path}`: no space left")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_without_room_for_the_temporary_file_is_the_same_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    def no_inode(path: Path) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    import spoke.cache

    monkeypatch.setattr(spoke.cache, "temp_path_beside", no_inode)
    with HttpClient(fast()) as client, pytest.raises(DiskFullError):
        client.download((tmp_path / "src").as_uri(), tmp_path / "out" / "f.whl")


# ----------------------------------------------------------------------------- Ctrl-C


@pytest.fixture
def clean_interrupt() -> Iterator[None]:
    interrupt.reset()
    yield
    interrupt.reset()


@pytest.fixture
def stalling_server() -> Iterator[tuple[str, threading.Event]]:
    """A server that announces 1 MB, sends 20 kB and then says nothing until released (at
    most 20 s): a transfer stalled midway."""
    release = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 20_000)
            release.wait(20)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/big.whl", release
    finally:
        release.set()
        listener.close()
        thread.join(5)


def test_an_interrupt_stops_a_stalled_download_at_once_and_removes_its_file(
    clean_interrupt: None, stalling_server: tuple[str, threading.Event], tmp_path: Path,
) -> None:
    url, _release = stalling_server
    dest = tmp_path / "big.whl"
    outcome: list[BaseException | None] = []

    def download() -> None:
        with HttpClient(fast()) as client:
            try:
                client.download(url, dest)
            except BaseException as exc:  # noqa: BLE001 - handed to the test
                outcome.append(exc)
            else:
                outcome.append(None)

    worker = threading.Thread(target=download, daemon=True)
    worker.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(p.stat().st_size for p in tmp_path.iterdir()):
        time.sleep(0.01)
    assert any(p.stat().st_size for p in tmp_path.iterdir()), "the download never started"
    started = time.monotonic()
    interrupt.interrupt()
    worker.join(5)
    assert not worker.is_alive() and time.monotonic() - started < 2
    assert len(outcome) == 1 and isinstance(outcome[0], KeyboardInterrupt)
    assert list(tmp_path.iterdir()) == []


def test_after_an_interrupt_no_request_starts_and_waits_end_early(clean_interrupt: None, tmp_path: Path) -> None:
    interrupt.interrupt()
    started = time.monotonic()
    interrupt.pause(10)
    assert time.monotonic() - started < 1
    with LoopbackServer() as server, HttpClient(fast()) as client:
        server.routes["/f"] = always(Reply(body=b"x"))
        with pytest.raises(KeyboardInterrupt):
            client.get(server.url("/f"))
        with pytest.raises(KeyboardInterrupt):
            client.download(server.url("/f"), tmp_path / "f")
        assert server.requests("/f") == []
    assert list(tmp_path.iterdir()) == []
    interrupt.reset()
    with LoopbackServer() as server, HttpClient(fast()) as client:
        server.routes["/f"] = always(Reply(body=b"x"))
        assert client.get(server.url("/f")).content == b"x"


def test_network_errors_are_still_network_errors(tmp_path: Path) -> None:
    # A refused connection is retried and reported as before: only writes became WriteError.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    with HttpClient(fast(), sleep=lambda s: None) as client, pytest.raises(NetworkError):
        client.download(f"http://127.0.0.1:{port}/f.whl", tmp_path / "f.whl")
    assert list(tmp_path.iterdir()) == []


def test_a_write_into_an_unknown_folder_still_reads_well() -> None:
    error = write_error(OSError(errno.ENOSPC, "No space left on device"), None)
    assert error.message == "Could not write a file: no space left on the device (the disk is full)"


def test_an_atomic_write_that_fails_names_its_file_and_leaves_no_temporary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    from spoke.cache import atomic

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "write", full)
    with pytest.raises(OSError, match="No space") as caught:
        atomic.write_atomic(tmp_path / "out.json", b"{}")
    assert caught.value.filename == str(tmp_path / "out.json")
    assert list(tmp_path.iterdir()) == []


def _copy_onto_a_full_disk(*args: object, **kwargs: object) -> int:
    """A command whose copy fails as shutil.copyfile reports it: source first, target second."""
    raise OSError(errno.ENOSPC, "No space left on device", "/cache/wheels-v1/x.whl", None, "/dest/.tmp-x")


def test_the_cli_tells_a_full_disk_by_the_folder_written_not_the_one_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    from spoke.cli import main as cli

    monkeypatch.setitem(cli.COMMANDS, "list", (f"{__name__}:_copy_onto_a_full_disk", "fails"))
    monkeypatch.chdir(tmp_path)
    environ = {"HOME": str(tmp_path), "PIP_CONFIG_FILE": os.devnull, "SPOKE_CONFIG_FILE": os.devnull,
               "NO_COLOR": "1", "XDG_CONFIG_HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path)}
    assert cli.main(["list"], environ) == 1
    err = capsys.readouterr().err
    assert "error: Could not write into `/dest`: no space left on the device" in err, err
    assert "hint: Free some disk space" in err and "Traceback" not in err
