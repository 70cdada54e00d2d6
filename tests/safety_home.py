"""A throwaway runner home for the safety tests, driven through the real CLI."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
FINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY")
T = TypeVar("T")

Arg = str | bytes


def wait_for(condition: Callable[[], T], timeout: float = 20.0, what: str = "") -> T:
    """Poll condition until it is truthy, or fail once timeout seconds pass."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)


class Home:
    """RUNNER_HOME in a short temporary directory: 2 CPUs, a 1 s grace."""

    def __init__(self, **env: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="r", dir="/tmp"))
        python_path = os.environ.get("PYTHONPATH")
        path = f"{ROOT}{os.pathsep}{python_path}" if python_path else str(ROOT)
        self.env = {
            **os.environ,
            "RUNNER_HOME": str(self.path),
            "RUNNER_TOTAL_CPUS": "2",
            "RUNNER_GRACE": "1",
            "PYTHONPATH": path,
            **env,
        }

    def run(
        self, *args: Arg, cwd: Path | None = None, umask: int | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """`python3 -m runner ARGS` to its end; output as bytes."""
        return subprocess.run(
            [sys.executable, "-m", "runner", *args],
            env=self.env,
            cwd=cwd or self.path,
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            umask=-1 if umask is None else umask,
        )

    def ok(self, *args: Arg, umask: int | None = None) -> str:
        done = self.run(*args, umask=umask)
        assert done.returncode == 0, (args, done.returncode, done.stderr)
        return done.stdout.decode()

    def add(self, *args: Arg, umask: int | None = None) -> int:
        return int(self.ok("add", "--parsable", *args, umask=umask))

    def show(self, job_id: int) -> dict[str, Any]:
        return json.loads(self.ok("show", "--json", str(job_id)))

    def jobs(self) -> list[dict[str, Any]]:
        return json.loads(self.ok("status", "--json"))

    def wait(self, job_id: int) -> dict[str, Any]:
        """The job once it has ended."""
        self.run("wait", str(job_id))
        job = self.show(job_id)
        assert job["state"] in FINAL, job
        return job

    def close(self) -> None:
        """Stop the host, if one runs, and remove the home."""
        if (self.path / "runner.sock").exists():
            self.run("serve", "--stop")
        with contextlib.suppress(OSError):
            shutil.rmtree(self.path)
