"""Fresh runner homes, each with its own host running before anything is timed."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from runner.client import Client, ClientError
from runner.config import prepare_home
from runner.spec import JobSpec

REPO = Path(__file__).resolve().parent.parent
START_DEADLINE = 60.0
WAIT_DEADLINE = 600.0


def runner_env(home: Path, cpus: int) -> dict[str, str]:
    """The environment every runner process of the benchmark gets.

    PYTHONPATH puts this checkout first, so the code measured is the code here,
    also in the processes the host starts.
    """
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    return dict(
        os.environ,
        RUNNER_HOME=str(home),
        RUNNER_TOTAL_CPUS=str(cpus),
        PYTHONPATH=os.pathsep.join(paths),
    )


def runner_cli(*args: str) -> list[str]:
    """The argv of a runner verb, through the real interpreter (no shim)."""
    return [sys.executable, "-m", "runner", *args]


def has_arrays() -> bool:
    """Whether `runner add` of this checkout takes `--array` yet."""
    with tempfile.TemporaryDirectory(prefix="rb", dir="/tmp") as home:
        done = subprocess.run(
            runner_cli("add", "--help"),
            env=runner_env(Path(home), 1),
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
    return b"--array" in done.stdout


class RunnerHome:
    """A temporary home; `start()` runs `runner serve` in it until `close()`."""

    def __init__(self, cpus: int = 2) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="rb", dir="/tmp"))
        self.paths = prepare_home(self.path)
        self.cpus = cpus
        self.env = runner_env(self.path, cpus)
        self.host: subprocess.Popen[bytes] | None = None
        self.host_pid: int | None = None

    def __enter__(self) -> RunnerHome:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def client(self) -> Client:
        return Client(self.paths, autostart=False)

    def start(self) -> None:
        """Start the host and return once it answers a ping."""
        self.host = subprocess.Popen(
            runner_cli("serve"),
            env=self.env,
            cwd=self.path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.host.poll() is not None:
                raise RuntimeError(f"the host exited; see {self.paths.host_log}")
            with contextlib.suppress(ClientError, OSError):
                self.host_pid = int(self.client.request("ping", timeout=5)["pid"])
                return
            time.sleep(0.02)
        raise RuntimeError(f"the host did not answer in {START_DEADLINE:.0f} s")

    def run_cli(self, *args: str) -> str:
        """Run one runner verb to its end; its standard output."""
        done = subprocess.run(
            runner_cli(*args),
            env=self.env,
            cwd=self.path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            check=True,
        )
        return done.stdout.decode()

    def add_cli(self, argv: list[str]) -> int:
        """Submit one job with `runner add`, one interpreter per call; its id."""
        return int(self.run_cli("add", "--parsable", "--", *argv))

    def add_request(self, argv: list[str], cpus: int = 1) -> int:
        """Submit one job over the socket from this process; its id."""
        spec = JobSpec(argv=argv, cwd=str(self.path), env=self.env, cpus=cpus)
        return int(self.client.request("add", spec=spec.to_dict())["id"])

    def wait(self, ids: list[int]) -> None:
        """Block until every job has ended; raises if one did not complete.

        Jobs start in submission order, so once the last one has ended at
        most a few others still run: waiting on it alone first keeps the
        host from checking every id each time any job ends, work that would
        otherwise slow the very jobs being timed.
        """
        self._wait(ids[-1:])
        _check_completed(self._wait(ids))

    def _wait(self, ids: list[int]) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_DEADLINE
        while time.monotonic() < deadline:
            answer = self.client.request("wait", ids=ids, seconds=30)
            if answer["done"]:
                return list(answer["jobs"])
        raise RuntimeError(f"jobs still running after {WAIT_DEADLINE:.0f} s")

    def wait_idle(self) -> None:
        """Block until no job is pending or running, by polling the counts."""
        deadline = time.monotonic() + WAIT_DEADLINE
        while time.monotonic() < deadline:
            counts = self.client.request("list", limit=1)["counts"]
            if counts["PENDING"] + counts["RUNNING"] == 0:
                return
            time.sleep(0.01)
        raise RuntimeError(f"jobs still running after {WAIT_DEADLINE:.0f} s")

    def close(self) -> None:
        """Stop the host, then remove the home."""
        if self.host is not None:
            with contextlib.suppress(ClientError, OSError):
                self.client.request("stop", timeout=5)
            try:
                self.host.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.host.kill()
                self.host.wait()
            self.host = None
        shutil.rmtree(self.path, ignore_errors=True)


def _check_completed(jobs: list[dict[str, Any]]) -> None:
    failed = [job for job in jobs if job["state"] != "COMPLETED"]
    if failed:
        job = failed[0]
        raise RuntimeError(
            f"job {job['id']} ended {job['state']} ({job['error_msg']}); "
            f"{len(failed)} of {len(jobs)} did not complete"
        )
