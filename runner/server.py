"""The host's end of the Unix socket: one JSON request per line, one answer."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import socketserver
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner.client import MAX_MESSAGE, unix_address

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class _Connection(socketserver.StreamRequestHandler):
    server: SocketServer

    def handle(self) -> None:
        if not self._same_user():
            logger.warning("server: refused a connection from another user")
            return
        line = self.rfile.readline(MAX_MESSAGE + 1)
        if not line:
            return
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("a request is a JSON object")
        except ValueError as error:
            answer: dict[str, Any] = {"error": f"bad request: {error}", "kind": "usage"}
        else:
            answer = self.server.dispatch(request)
        try:
            self.wfile.write(json.dumps(answer).encode() + b"\n")
        except OSError:
            logger.debug("server: client left before its answer")

    def _same_user(self) -> bool:
        credentials = self.request.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
        )
        _pid, uid, _gid = struct.unpack("3i", credentials)
        return uid == os.getuid()


class SocketServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, dispatch: Handler) -> None:
        self.dispatch = dispatch
        self.path = path
        with unix_address(path) as address:
            old_umask = os.umask(0o177)
            try:
                super().__init__(address, _Connection)
            finally:
                os.umask(old_umask)
        os.chmod(path, 0o600)

    def server_close(self) -> None:
        super().server_close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
