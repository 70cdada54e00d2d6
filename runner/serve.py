"""`runner serve`: the host in the foreground, and `--stop` to end it."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from dataclasses import replace
from types import FrameType

from runner.client import Client, ClientError
from runner.config import Paths, load_settings

logger = logging.getLogger(__name__)


def configure_logging(paths: Paths, to_stderr: bool) -> None:
    """The host logs to host.log in its home, and to stderr in the foreground."""
    fd = os.open(
        paths.host_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600
    )
    os.fchmod(fd, 0o600)
    handlers: list[logging.Handler] = [
        logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
    ]
    if to_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
    )


def serve(
    paths: Paths,
    cpus: int | None,
    grace: float | None,
    idle_timeout: float | None,
    quiet_if_running: bool = False,
) -> int:
    """Run the host until stopped, interrupted, or idle; 1 if another runs."""
    from runner.db import DatabaseError
    from runner.host import Host, HostRunning

    settings = load_settings(paths, cpus)
    if grace is not None:
        settings = replace(settings, grace=grace)
    configure_logging(paths, to_stderr=sys.stderr.isatty())
    host = Host(paths, settings)
    try:
        host.start()
    except HostRunning as error:
        if quiet_if_running:
            return 0
        print(f"runner: {error}", file=sys.stderr)
        return 1
    except DatabaseError as error:
        logger.error("host: cannot start: %s", error)
        print(f"runner: {error}", file=sys.stderr)
        return 1

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        host.request_stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _stop)
    host.serve(idle_timeout)
    return 0


def stop(paths: Paths) -> int:
    """Ask the running host to stop; its running jobs go on."""
    client = Client(paths, autostart=False)
    try:
        answer = client.request("ping")
    except (ClientError, OSError):
        print(f"runner: no host is running for {paths.home}", file=sys.stderr)
        return 1
    try:
        client.request("stop")
    except (ClientError, OSError) as error:
        print(f"runner: {error}", file=sys.stderr)
        return 1
    deadline = time.monotonic() + 15
    while paths.socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    print(f"Stopped host {answer['pid']}")
    return 0
