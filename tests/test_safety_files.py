"""Files are private, and logs are never written through a link."""

from __future__ import annotations

import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.server import SocketServer
from tests.safety_home import Home


@pytest.fixture
def home() -> Iterator[Home]:
    runner_home = Home()
    yield runner_home
    runner_home.close()


def test_under_umask_000_every_file_is_0600_and_every_directory_0700(
    home: Home,
) -> None:
    job_id = home.add("--", "sh", "-c", "echo out; echo err >&2", umask=0)
    home.wait(job_id)
    home.ok("status", umask=0)

    modes = {
        path.relative_to(home.path).as_posix(): stat.S_IMODE(path.lstat().st_mode)
        for path in [home.path, *home.path.rglob("*")]
    }

    assert {"runner.db", "runner.db-wal", "runner.db-shm", "host.log"} <= set(modes)
    assert {"logs/1.out", "logs/1.err"} <= set(modes)
    expected = {name: 0o700 if (home.path / name).is_dir() else 0o600 for name in modes}
    assert modes == expected


def test_a_symlink_at_the_log_path_fails_the_job_and_leaves_its_target(
    home: Home, tmp_path: Path
) -> None:
    target = tmp_path / "precious"
    target.write_bytes(b"keep me\n")
    home.ok("status")
    (home.path / "logs" / "1.out").symlink_to(target)

    job = home.wait(home.add("--", "echo", "overwrite"))

    assert (job["state"], job["exit_code"]) == ("FAILED", "-1:0")
    assert job["error_msg"] == (
        f"log '{home.path}/logs/1.out' is a symbolic link; runner does not write "
        "through one (remove it and submit again)"
    )
    assert target.read_bytes() == b"keep me\n"


def test_a_hard_link_at_the_log_path_fails_the_job_and_leaves_the_file(
    home: Home, tmp_path: Path
) -> None:
    target = tmp_path / "precious"
    target.write_bytes(b"keep me\n")
    home.ok("status")
    os.link(target, home.path / "logs" / "1.err")

    job = home.wait(home.add("--", "echo", "overwrite"))

    assert job["state"] == "FAILED"
    assert "has 1 other hard link(s)" in job["error_msg"]
    assert target.read_bytes() == b"keep me\n"


@pytest.mark.parametrize(
    ("mode", "line"),
    [
        (0o777, "may be written by other users (mode 0777); run chmod 700 on it"),
        (0o770, "may be written by other users (mode 0770); run chmod 700 on it"),
    ],
)
def test_a_home_others_may_write_is_refused(home: Home, mode: int, line: str) -> None:
    home.path.chmod(mode)

    done = home.run("status")

    assert done.returncode == 1
    assert done.stderr.decode() == f"runner: {home.path} {line}\n"
    assert not (home.path / "runner.db").exists()


def test_a_home_others_may_only_read_is_made_private(home: Home) -> None:
    home.path.chmod(0o755)

    home.ok("status")

    assert stat.S_IMODE(home.path.stat().st_mode) == 0o700


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to change owner and uid")
def test_a_home_owned_by_another_user_is_refused(home: Home) -> None:
    os.chown(home.path, 65534, 65534)

    done = home.run("status")

    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"runner: {home.path} is owned by uid 65534, not by you (uid 0); runner "
        "uses only a home of your own\n"
    )


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to connect as another uid")
def test_the_socket_answers_no_other_user(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    path = tmp_path / "test.sock"
    server = SocketServer(path, lambda request: {"echo": request})
    os.chmod(path, 0o666)  # let the other user reach it: the peer check must hold
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert _ask(path) == b'{"echo": {"op": "ping"}}\n'
        assert _ask_as(path, 65534) == b""
    finally:
        server.shutdown()
        server.server_close()


def _ask(path: Path) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(path))
        connection.sendall(b'{"op": "ping"}\n')
        return connection.makefile("rb").read()


def _ask_as(path: Path, uid: int) -> bytes:
    """What the server answers a client running as uid, from a forked child."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(read_end)
            os.setgid(uid)
            os.setuid(uid)
            os.write(write_end, _ask(path))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        data = answer.read()
    _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return data
