"""The thin client side of the socket: standard library only, fast to import.

Every verb of the CLI, and the TUI, talks to the host through `Client`. If no
host runs, the client starts a headless one (`runner serve`) and waits for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from runner.config import Paths

if TYPE_CHECKING:
    import subprocess

MAX_MESSAGE = 64 * 1024 * 1024
START_TIMEOUT = 20.0
AUTO_IDLE_TIMEOUT = 60.0


class ClientError(Exception):
    """A request the host refused or could not answer.

    kind is "usage" for bad input (exit status 2) and "runtime" otherwise.
    """

    def __init__(self, message: str, kind: str = "runtime") -> None:
        super().__init__(message)
        self.kind = kind


@contextlib.contextmanager
def unix_address(path: Path) -> Iterator[str]:
    """An address for the socket at path, even past the 107-byte limit."""
    if len(os.fsencode(str(path))) < 100:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


class Client:
    """Requests to the host of one runner home."""

    def __init__(self, paths: Paths, autostart: bool = True) -> None:
        self.paths = paths
        self.autostart = autostart

    def request(
        self, op: str, timeout: float | None = None, **args: Any
    ) -> dict[str, Any]:
        """Send one request and return the host's answer; raises ClientError."""
        message = json.dumps({"op": op, **args}).encode() + b"\n"
        with self._connect() as connection:
            connection.settimeout(timeout)
            connection.sendall(message)
            answer = _read_line(connection)
        if "error" in answer:
            raise ClientError(answer["error"], answer.get("kind", "runtime"))
        return answer

    def _connect(self) -> socket.socket:
        connection = _try_connect(self.paths.socket)
        if connection is not None:
            return connection
        if not self.autostart:
            raise ClientError(f"no host is running for {self.paths.home}")
        return self._start_host()

    def _start_host(self) -> socket.socket:
        import tempfile  # only when no host runs: most calls never pay for it

        with tempfile.TemporaryFile() as errors:
            host = spawn_host(self.paths, AUTO_IDLE_TIMEOUT, errors)
            deadline = time.monotonic() + START_TIMEOUT
            delay = 0.005
            while time.monotonic() < deadline:
                connection = _try_connect(self.paths.socket)
                if connection is not None:
                    return connection
                if host.poll() not in (None, 0):
                    raise ClientError(_start_failure(errors, self.paths))
                time.sleep(delay)
                delay = min(delay * 1.5, 0.1)
        raise ClientError(f"the host did not start; see {self.paths.host_log}")


def _start_failure(errors: IO[bytes], paths: Paths) -> str:
    """Why the host exited as it started: the last line it wrote to stderr."""
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    if not lines:
        return f"the host did not start; see {paths.host_log}"
    return lines[-1].removeprefix("runner: ")


def spawn_host(
    paths: Paths, idle_timeout: float | None, stderr: IO[bytes] | int | None = None
) -> subprocess.Popen[bytes]:
    """Start `runner serve` in the background, detached from this terminal.

    stderr receives the host's own complaints; by default they are dropped.
    """
    import subprocess  # only when no host runs: most calls never pay for it

    argv = [sys.executable, "-m", "runner", "serve", "--quiet-if-running"]
    if idle_timeout is not None:
        argv += ["--idle-timeout", str(idle_timeout)]
    env = dict(os.environ, RUNNER_HOME=str(paths.home))
    with open(os.devnull, "rb") as null:
        return subprocess.Popen(
            argv,
            stdin=null,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL if stderr is None else stderr,
            start_new_session=True,
            env=env,
            cwd="/",
        )


def _try_connect(path: Path) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with unix_address(path) as address:
            connection.connect(address)
    except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError):
        connection.close()
        return None
    except OSError:
        connection.close()
        raise
    return connection


def _read_line(connection: socket.socket) -> dict[str, Any]:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = connection.recv(1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if chunk.endswith(b"\n") or size > MAX_MESSAGE:
            break
    connection.close()
    if not chunks:
        raise ClientError("the host closed the connection without an answer")
    return json.loads(b"".join(chunks))
