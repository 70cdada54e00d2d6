"""Resident memory of the host at rest, and of the TUI showing the same home."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import signal
import statistics
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

import psutil

from bench.homes import REPO, runner_cli

MIB = 1024 * 1024
SETTLE_DEADLINE = 60.0
STEADY_FOR = 2.0
"""Seconds the TUI's memory must hold still to count as at rest."""


def resident_mb(pid: int) -> float:
    """The process's resident set size, in mebibytes."""
    return psutil.Process(pid).memory_info().rss / MIB


def launcher_pid(host_pid: int) -> int | None:
    """The host's launcher process, if it has one running."""
    for child in psutil.Process(host_pid).children():
        with contextlib.suppress(psutil.Error):
            if "runner.launcher" in child.cmdline():
                return child.pid
    return None


def at_rest_mb(pid: int, samples: int = 5, spacing: float = 0.2) -> list[float]:
    """A few readings of resident memory, spaced apart."""
    readings = []
    for _ in range(samples):
        readings.append(resident_mb(pid))
        time.sleep(spacing)
    return readings


def has_tui() -> bool:
    """Whether this checkout has a TUI to measure yet."""
    return (REPO / "runner" / "tui").is_dir()


def tui_mb(env: dict[str, str], cwd: Path) -> float:
    """Resident memory of `runner` (the TUI) in a 120x40 terminal, once settled.

    It is settled when its memory has changed by under 1% for STEADY_FOR
    seconds, after it has drawn something.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("4H", 40, 120, 0, 0))
    app = subprocess.Popen(
        runner_cli(),
        env=dict(env, TERM="xterm-256color", COLUMNS="120", LINES="40"),
        cwd=cwd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    drawn = threading.Event()
    threading.Thread(target=_drain, args=(master, drawn), daemon=True).start()
    try:
        return _settled_mb(app, drawn)
    finally:
        _stop(app)
        os.close(master)


def _settled_mb(app: subprocess.Popen[bytes], drawn: threading.Event) -> float:
    deadline = time.monotonic() + SETTLE_DEADLINE
    window: list[float] = []
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise RuntimeError(f"the TUI exited with status {app.returncode}")
        window.append(resident_mb(app.pid))
        steady = int(STEADY_FOR / 0.25)
        window = window[-steady - 1 :]
        if drawn.is_set() and len(window) > steady:
            middle = statistics.median(window)
            if max(window) - min(window) < 0.01 * middle:
                return window[-1]
        time.sleep(0.25)
    raise RuntimeError(f"the TUI's memory did not settle in {SETTLE_DEADLINE:.0f} s")


def _drain(master: int, drawn: threading.Event) -> None:
    """Read what the TUI draws, so it never blocks on a full terminal."""
    with contextlib.suppress(OSError):
        while os.read(master, 1 << 16):
            drawn.set()


def _stop(app: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(app.pid, signal.SIGTERM)
    try:
        app.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(app.pid, signal.SIGKILL)
        app.wait()
