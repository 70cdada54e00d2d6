"""Who schedules while the app is open: an embedded host, or another process.

Blocking calls only: the app runs `start` in a thread worker, and `close`
after its event loop has ended.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from runner.client import Client, ClientError, spawn_host
from runner.config import Paths

if TYPE_CHECKING:
    from runner.host import Host

logger = logging.getLogger(__name__)

HANDOFF_IDLE_TIMEOUT = 60.0
"""Seconds the background host that takes over lingers once the queue is empty."""

HANDOFF_WAIT = 10.0
"""Seconds to wait for that host to answer, to report its pid."""


@dataclass(frozen=True)
class HostInfo:
    """The host the app talks to."""

    embedded: bool
    pid: int
    cpus: int

    def describe(self) -> str:
        if self.embedded:
            return "embedded host"
        return f"client of host pid {self.pid}"


class Requester(Protocol):
    """What the app needs of a client: one request, one answer."""

    def request(
        self, op: str, timeout: float | None = None, **args: Any
    ) -> dict[str, Any]: ...


class HostAccess(Protocol):
    """What the app needs to reach a host: a client, and a way to start."""

    client: Requester

    @property
    def home(self) -> str: ...

    def start(self) -> HostInfo:
        """Blocking: make sure a host serves, and say which."""
        ...


class Hosting:
    """Embeds the home's host when none runs, else is a client of the one that does.

    Either way requests go through `client`, over the home's socket.
    """

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.client: Requester = Client(paths)
        self.host: Host | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def home(self) -> str:
        return str(self.paths.home)

    def start(self) -> HostInfo:
        """Take the home if it is free, then ask the host who it is."""
        with self._lock:
            if not self._closed:
                self.host = self._embed()
        answer = self.client.request("ping")
        return HostInfo(self.host is not None, int(answer["pid"]), int(answer["cpus"]))

    def _embed(self) -> Host | None:
        from runner.config import load_settings
        from runner.host import Host, HostRunning
        from runner.serve import configure_logging

        configure_logging(self.paths, to_stderr=False)
        host = Host(self.paths, load_settings(self.paths))
        host.embedded = True
        try:
            host.start()
        except HostRunning as error:
            logger.info("tui: %s; acting as its client", error)
            return None
        return host

    def close(self) -> str | None:
        """Stop an embedded host, handing unfinished work to a background one.

        Returns a line for the user when jobs go on without the app.
        """
        with self._lock:
            self._closed = True
            host, self.host = self.host, None
        if host is None:
            return None
        counts = host.api.op_list(limit=0)["counts"]
        host.stop()
        running, pending = counts.get("RUNNING", 0), counts.get("PENDING", 0)
        if not running and not pending:
            return None
        spawn_host(self.paths, idle_timeout=HANDOFF_IDLE_TIMEOUT)
        pid = self._background_pid()
        return (
            f"{running} running and {pending} pending jobs continue under a "
            f"background host (pid {pid})"
        )

    def _background_pid(self) -> str:
        client = Client(self.paths, autostart=False)
        deadline = time.monotonic() + HANDOFF_WAIT
        while time.monotonic() < deadline:
            try:
                return str(client.request("ping", timeout=2.0)["pid"])
            except (ClientError, OSError):
                time.sleep(0.05)
        logger.warning("tui: the background host did not answer in time")
        return f"not answering yet; see {self.paths.host_log}"
