"""A real home, with a real host, for each test of the app."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.client import Client, ClientError
from runner.config import Paths, prepare_home
from runner.tui.hosting import Hosting

from .waiting import DEADLINE


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[Paths]:
    """A fresh home (short path, for the socket) with 2 CPUs and a 1 s grace."""
    home = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))
    monkeypatch.setenv("RUNNER_HOME", str(home))
    monkeypatch.setenv("RUNNER_TOTAL_CPUS", "2")
    monkeypatch.setenv("RUNNER_GRACE", "1")
    yield prepare_home(home)
    _stop_any_host(prepare_home(home))
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def hosting(paths: Paths) -> Iterator[Hosting]:
    """How the app reaches the host; closed (and any handoff stopped) after."""
    access = Hosting(paths)
    yield access
    access.close()


def _stop_any_host(paths: Paths) -> None:
    """Stop a host a test left behind, such as one a handoff started."""
    client = Client(paths, autostart=False)
    with contextlib.suppress(ClientError, OSError):
        client.request("stop", timeout=5)
    deadline = time.monotonic() + DEADLINE
    while paths.socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
