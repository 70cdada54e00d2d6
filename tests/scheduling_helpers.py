"""A real host in a throwaway home, driven through `python3 -m runner`.

Each end-to-end scheduling test starts its own host with its own settings,
submits through the CLI as a user would, and waits for conditions with a
deadline; it reads job state through the same socket the CLI uses.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from runner.client import Client, ClientError
from runner.config import Paths

WORKTREE = Path(__file__).resolve().parent.parent
DEADLINE = 20.0
"""Seconds any one condition may take before the test fails."""
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY"}

T = TypeVar("T")

_STOPPING: list[threading.Thread] = []


@atexit.register
def _await_stops() -> None:
    for stopping in _STOPPING:
        stopping.join()


class Home:
    """A runner home in /tmp with a host started on demand.

    Tests change env (RUNNER_TOTAL_CPUS, RUNNER_GPUS, ...) and the config
    before start(); the CLI calls run with the same env.
    """

    def __init__(self, cpus: int = 2) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="r", dir="/tmp"))
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("RUNNER_") and key != "CUDA_VISIBLE_DEVICES"
        }
        self.env.update(
            PYTHONPATH=str(WORKTREE),
            RUNNER_HOME=str(self.path),
            RUNNER_TOTAL_CPUS=str(cpus),
            RUNNER_GRACE="1",
        )
        self.host: subprocess.Popen[bytes] | None = None
        self.client = Client(Paths(self.path), autostart=False)

    def __enter__(self) -> Home:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the host -------------------------------------------------------------

    def config(self, text: str) -> None:
        """Write config.toml; call before start."""
        (self.path / "config.toml").write_text(text)

    def start(self) -> Home:
        """Start the host in the background and wait until it answers."""
        log = (self.path / "serve.out").open("wb")
        self.host = subprocess.Popen(
            [sys.executable, "-m", "runner", "serve", "--idle-timeout", "300"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.path,
        )
        log.close()
        wait_for(self._answers, "the host to answer")
        return self

    def _answers(self) -> bool:
        assert self.host is not None
        if self.host.poll() is not None:
            raise AssertionError(f"host exited: {self.host_log()}")
        try:
            self.client.request("ping")
        except ClientError:
            return False
        return True

    def host_log(self) -> str:
        texts = []
        for name in ("serve.out", "host.log"):
            with contextlib.suppress(OSError):
                texts.append((self.path / name).read_text())
        return "\n".join(texts)

    def close(self) -> None:
        """Cancel what still runs, then stop the host and remove the home.

        The stop goes on in the background, so the next test need not wait
        for this host to wind down; every stop is awaited before exit.
        """
        if self.host is not None and self.host.poll() is None:
            with contextlib.suppress(ClientError, OSError):
                live = [
                    job["id"]
                    for job in self.client.request("list")["jobs"]
                    if job["state"] not in FINAL
                ]
                if live:
                    self.client.request("cancel", ids=live)
        stopping = threading.Thread(target=self._stop, name=f"stop {self.path}")
        stopping.start()
        _STOPPING.append(stopping)

    def _stop(self) -> None:
        if self.host is not None and self.host.poll() is None:
            self.runner("serve", "--stop", check=False)
            try:
                self.host.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.host.kill()
                self.host.wait()
        shutil.rmtree(self.path, ignore_errors=True)

    # -- the CLI --------------------------------------------------------------

    def runner(
        self, *args: str, check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `python3 -m runner ARGS` as a user would; check the exit status."""
        result = subprocess.run(
            [sys.executable, "-m", "runner", *args],
            env=self.env,
            cwd=cwd or self.path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"runner {' '.join(args)} exited {result.returncode}: {result.stderr}"
            )
        return result

    def add(self, *args: str) -> int:
        """Submit with --parsable; the job (or array) id."""
        return int(self.runner("add", "--parsable", *args).stdout)

    def sh(self, script: str, *options: str) -> int:
        """Submit a shell script as one job."""
        return self.add(*options, "--", "/bin/sh", "-c", script)

    # -- reading state ----------------------------------------------------------

    def show(self, job_id: int | str) -> dict[str, Any]:
        """One job as `show --json` gives it."""
        return self.client.request("show", ids=[str(job_id)])["jobs"][0]

    def jobs(self, *ids: int | str) -> list[dict[str, Any]]:
        """Jobs by id (an array id gives every task), as `show --json` does."""
        return self.client.request("show", ids=[str(i) for i in ids])["jobs"]

    def state(self, job_id: int | str) -> str:
        return self.show(job_id)["state"]

    def wait_state(
        self, job_id: int | str, *states: str, timeout: float = DEADLINE
    ) -> dict[str, Any]:
        """Wait until the job is in one of states; the job."""
        return wait_for(
            lambda: _when(self.show(job_id), lambda job: job["state"] in states),
            f"job {job_id} to be {' or '.join(states)}",
            timeout,
        )

    def wait_reason(self, job_id: int | str, reason: str) -> dict[str, Any]:
        """Wait until a pending job gives reason for waiting; the job.

        The scheduler gives reasons when it next looks at the queue, a moment
        after a submission or a change.
        """
        return wait_for(
            lambda: _when(self.show(job_id), lambda job: job["reason"] == reason),
            f"job {job_id} to wait for {reason}",
        )

    def wait_final(self, *ids: int | str, timeout: float = DEADLINE) -> list[dict]:
        """Wait until every job named has ended; the jobs."""
        return wait_for(
            lambda: _when(
                self.jobs(*ids), lambda jobs: all(j["state"] in FINAL for j in jobs)
            ),
            f"jobs {ids} to end",
            timeout,
        )

    def log(self, job_id: int | str) -> str:
        """The job's stdout so far; empty before the file exists."""
        try:
            return Path(self.show(job_id)["stdout_path"]).read_text()
        except FileNotFoundError:
            return ""


def _when(value: T, condition: Callable[[T], bool]) -> T | None:
    return value if condition(value) else None


def wait_for(
    probe: Callable[[], T], what: str, timeout: float = DEADLINE, every: float = 0.05
) -> T:
    """Call probe until it returns something truthy; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def stamp(moment: str | None) -> float:
    """Seconds since the epoch from a job's ISO 8601 time."""
    assert moment is not None
    return datetime.fromisoformat(moment).timestamp()


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment; one ending as another starts
    does not count as overlap."""
    events = sorted(
        [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals]
    )
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def process_state(pid: int) -> str:
    """The one-letter state of a process from /proc/PID/stat."""
    data = Path(f"/proc/{pid}/stat").read_bytes()
    return data[data.rindex(b")") + 2 :].split()[0].decode()


def children_of(pid: int) -> list[int]:
    """Every descendant of pid."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").iterdir():
            with contextlib.suppress(OSError):
                kids = (task / "children").read_text().split()
                found.extend(int(kid) for kid in kids)
                frontier.extend(int(kid) for kid in kids)
    return found


def lines(path: Path | str) -> list[str]:
    return Path(path).read_text().split()
