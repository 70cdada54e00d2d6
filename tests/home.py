"""A throwaway runner home, driven through the CLI as a user would drive it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
"""The checkout under test: every runner process must import this code."""

FINAL_STATES = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY")


def python_path() -> str:
    """PYTHONPATH with this checkout first."""
    rest = os.environ.get("PYTHONPATH")
    return f"{ROOT}{os.pathsep}{rest}" if rest else str(ROOT)


class RunnerHome:
    """One RUNNER_HOME in a short temporary directory, and the processes in it.

    Every process started for this home carries RUNNER_HOME in its
    environment, so `processes()` finds them all, jobs included.
    """

    def __init__(self, cpus: int = 2, grace: float = 1.0) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="r", dir="/tmp"))
        self.cpus = cpus
        self.env = {
            **os.environ,
            "RUNNER_HOME": str(self.path),
            "RUNNER_TOTAL_CPUS": str(cpus),
            "RUNNER_GRACE": str(grace),
            "PYTHONPATH": python_path(),
        }
        self._hosts: list[subprocess.Popen[bytes]] = []

    # -- the CLI ------------------------------------------------------------

    def run(
        self, *args: str, timeout: float = 60.0, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`python3 -m runner ARGS`, to the end; its output as text."""
        return subprocess.run(
            [sys.executable, "-m", "runner", *args],
            env=self.env,
            cwd=cwd or self.path,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def ok(self, *args: str, timeout: float = 60.0) -> str:
        """Run a verb that must succeed; its stdout."""
        done = self.run(*args, timeout=timeout)
        assert done.returncode == 0, (
            f"runner {' '.join(args)} exited {done.returncode}: {done.stderr}"
        )
        return done.stdout

    def add(self, *args: str) -> int:
        """Submit a job (options, then `--` and the argv); its id."""
        return int(self.ok("add", "--parsable", *args).strip())

    def show(self, job_id: int) -> dict[str, Any]:
        return json.loads(self.ok("show", "--json", str(job_id)))

    def status(self) -> list[dict[str, Any]]:
        return json.loads(self.ok("status", "--json"))

    def wait(self, *job_ids: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Block in `runner wait` until the jobs end; each job as shown."""
        self.run("wait", *map(str, job_ids), timeout=timeout)
        jobs = [self.show(job_id) for job_id in job_ids]
        unfinished = [job["id"] for job in jobs if job["state"] not in FINAL_STATES]
        assert not unfinished, f"jobs {unfinished} did not end"
        return jobs

    def wait_running(self, job_id: int, timeout: float = 20.0) -> dict[str, Any]:
        """Wait until the job runs with a recorded process; the job."""

        def running() -> dict[str, Any] | None:
            job = self.show(job_id)
            assert job["state"] in ("PENDING", "RUNNING"), job
            return job if job["state"] == "RUNNING" and job["pid"] else None

        return wait_until(running, timeout, f"job {job_id} to run")

    # -- hosts ----------------------------------------------------------------

    def serve(self) -> subprocess.Popen[bytes]:
        """Start a headless host in the foreground of its own session."""
        with open(self.path / "serve.err", "ab") as err:
            host = subprocess.Popen(
                [sys.executable, "-m", "runner", "serve"],
                env=self.env,
                cwd=self.path,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        self._hosts.append(host)
        wait_until(lambda: self.answers() or host.poll() is not None, 30, "the host")
        assert host.poll() is None, (self.path / "serve.err").read_text()
        return host

    def answers(self) -> bool:
        """True if a host accepts connections on the home's socket."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(str(self.path / "runner.sock"))
        except OSError:
            return False
        finally:
            connection.close()
        return True

    def request(self, op: str, **args: Any) -> dict[str, Any]:
        """One request to the running host, without starting one."""
        from runner.client import Client
        from runner.config import Paths

        return Client(Paths(self.path), autostart=False).request(op, **args)

    def host_pid(self) -> int:
        return int(self.request("ping")["pid"])

    def stop_host(self) -> None:
        """`runner serve --stop`, if a host runs; waits until it has exited."""
        if not self.answers():
            return
        pid = self.host_pid()
        self.run("serve", "--stop", timeout=30)
        wait_until(lambda: not psutil.pid_exists(pid) or _zombie(pid), 30, "stop")
        for host in self._hosts:
            with contextlib.suppress(subprocess.TimeoutExpired):
                host.wait(timeout=0.1)

    # -- processes and files ------------------------------------------------------

    def processes(self) -> list[psutil.Process]:
        """Every live process started for this home: hosts, keepers, jobs."""
        marker = str(self.path)
        found = []
        for process in psutil.process_iter():
            if process.pid == os.getpid():
                continue
            with contextlib.suppress(psutil.Error):
                if process.status() == psutil.STATUS_ZOMBIE:
                    continue
                if process.environ().get("RUNNER_HOME") == marker:
                    found.append(process)
        return found

    def job_processes(self, name: str) -> list[psutil.Process]:
        """Live processes of this home whose command line mentions name."""
        found = []
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                if name in " ".join(process.cmdline()):
                    found.append(process)
        return found

    @contextlib.contextmanager
    def database(self) -> Iterator[sqlite3.Connection]:
        """A plain sqlite3 connection to the home's database, for checking."""
        connection = sqlite3.connect(self.path / "runner.db", timeout=30)
        connection.row_factory = sqlite3.Row
        try:
            yield connection
        finally:
            connection.close()

    def close(self) -> None:
        """Stop the host, kill whatever this home left running, remove it."""
        with contextlib.suppress(Exception):
            self.stop_host()
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                process.send_signal(signal.SIGKILL)
        for host in self._hosts:
            with contextlib.suppress(subprocess.TimeoutExpired):
                host.wait(timeout=5)
        shutil.rmtree(self.path, ignore_errors=True)


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True
