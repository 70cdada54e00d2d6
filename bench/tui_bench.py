"""How quickly the app opens, refreshes and answers keys on a big queue.

Builds a home with --jobs jobs (--active of them pending, short sleeps that
the host starts --cpus at a time, so states change while it measures), then
drives the app headless with Pilot, first as the client of a separate host,
then embedding the host itself. Run from the repository (see --help):

    PYTHONPATH=. python3 bench/tui_bench.py [--jobs 100000] [--active 10000]

Targets (issue 4): open < 1.5 s, refresh cycle < 100 ms, key press < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.tui_keys import Keys, until
from runner.client import Client, ClientError
from runner.config import Paths, prepare_home
from runner.db import Database
from runner.models import Job, JobState
from runner.repositories import JobRepository
from runner.tui.app import RunnerApp
from runner.tui.hosting import Hosting

FINAL = (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED, JobState.TIMEOUT)
SIZE = (120, 40)
REFRESH_SECONDS = 15.0
"""How long refresh cycles are timed; the app refreshes at its own pace
throughout, keys included, as it does for its users."""
BATCH = 10_000


def build(paths: Paths, jobs: int, active: int) -> float:
    """Write the queue straight into the database; returns the seconds it took."""
    started = time.perf_counter()
    database = Database(paths.database)
    base = datetime(2025, 1, 1)
    with database.write() as session:
        env_id = JobRepository.environment_id(session, dict(os.environ))
        for first in range(1, jobs + 1, BATCH):
            numbers = range(first, min(first + BATCH, jobs + 1))
            rows = [_row(n, n > jobs - active, env_id, base, paths) for n in numbers]
            session.execute(insert(Job), rows)
    database.close()
    return time.perf_counter() - started


def _row(
    number: int, active: bool, env_id: int, base: datetime, paths: Paths
) -> dict[str, object]:
    start = base + timedelta(seconds=number)
    state = JobState.PENDING if active else FINAL[number % len(FINAL)]
    command = ["/bin/sh", "-c", "sleep 2"] if active else ["python", f"s{number}.py"]
    return {
        "id": number,
        "name": f"sweep-{number % 997}",
        "command": json.dumps(command),
        "cwd": "/tmp",
        "env_id": env_id,
        "cpus": 1,
        "priority": 0,
        "state": state,
        "submit_time": start,
        "start_time": None if active else start,
        "end_time": None if active else start + timedelta(seconds=number % 600),
        "exit_code": None if active else "0:0",
        "stdout_path": str(paths.logs / f"{number}.out"),
        "stderr_path": str(paths.logs / f"{number}.err"),
    }


def figures(samples: list[float]) -> str:
    """Median, 95th percentile and worst, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"median {statistics.median(ordered) * 1000:6.1f} ms  "
        f"p95 {p95 * 1000:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms  "
        f"(n={len(ordered)})"
    )


class StallWatch:
    """The event loop's worst lateness: a 10 ms tick that notes how late it runs."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            due = time.perf_counter() + 0.01
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, time.perf_counter() - due)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def measure(hosting: Hosting, label: str, rounds: int) -> None:
    """Open the app, watch it refresh, press keys; print the figures."""
    started = time.perf_counter()
    app = RunnerApp(hosting)
    async with app.run_test(size=SIZE):
        await until(lambda: app.queue.table.row_count > 0)
        opened = time.perf_counter() - started
        keys = Keys(app, rounds)
        watch = StallWatch()
        watch.start()
        cycles = await refresh_cycles(app, seconds=REFRESH_SECONDS)
        counts = dict(app.queue.counts or {})
        await keys.cursor()
        await keys.views()
        await keys.text_filter()
        await keys.screens()
        await keys.verbs()
        watch.stop()

    print(f"\n== {label}: {app.sub_title}")
    print(f"open (app start to first rows):  {opened * 1000:7.1f} ms")
    print(f"refresh cycle (request + patch): {figures(cycles)}")
    running, pending = counts.get("RUNNING", 0), counts.get("PENDING", 0)
    print(f"  while {running} run and {pending} wait")
    for key, samples in keys.answered.items():
        print(f"key {key:<15} answered on screen: {figures(samples)}")
    for key, samples in keys.shown.items():
        print(f"key {key:<15} new rows shown:     {figures(samples)}")
    print(f"worst event-loop stall:            {watch.worst * 1000:7.1f} ms")


async def refresh_cycles(app: RunnerApp, seconds: float) -> list[float]:
    """The app's own timing of each refresh: request, rows, and table patch."""
    queue = app.queue
    cycles: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen = queue.refresh_seconds
        await until(lambda seen=seen: queue.refresh_seconds != seen)
        cycles.append(queue.refresh_seconds)
    return cycles


def import_seconds() -> float:
    """A fresh interpreter's time to import the app, which `runner` pays first."""
    code = (
        "import time; t = time.perf_counter(); import runner.tui.app; "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(out.stdout)


def serve(paths: Paths) -> subprocess.Popen[bytes]:
    """A separate host, answering; no client may start a second one meanwhile.

    The app then embeds no host, and once this one has stopped the lock is
    free for the embedded run.
    """
    server = subprocess.Popen(
        [sys.executable, "-m", "runner", "serve"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = Client(paths, autostart=False)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.request("ping")
            return server
        except (ClientError, OSError):
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--active", type=int, default=10_000)
    parser.add_argument("--cpus", type=int, default=8)
    parser.add_argument(
        "--rounds", type=int, default=10, help="presses of each key but the arrows"
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="rb", dir="/tmp"))
    os.environ.update(
        RUNNER_HOME=str(home), RUNNER_TOTAL_CPUS=str(args.cpus), RUNNER_GRACE="1"
    )
    paths = prepare_home(home)
    try:
        built = build(paths, args.jobs, args.active)
        print(f"built {args.jobs:,} jobs ({args.active:,} pending) in {built:.1f} s")
        imported = import_seconds() * 1000
        print(f"importing the app in a fresh interpreter: {imported:.0f} ms")

        server = serve(paths)
        try:
            asyncio.run(
                measure(Hosting(paths), "client of a separate host", args.rounds)
            )
        finally:
            Client(paths, autostart=False).request("stop")
            server.wait(timeout=30)

        hosting = Hosting(paths)
        try:
            asyncio.run(measure(hosting, "embedded host", args.rounds))
        finally:
            if hosting.host is not None:
                hosting.host.stop()
        time.sleep(3)  # let the last short jobs' keepers write their records
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
