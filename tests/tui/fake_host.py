"""A hand-written stand-in for the host: fixed jobs, for layout snapshots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from runner.tui.hosting import HostInfo

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
CPUS = 8


def _job(number: int, name: str, state: str, command: str, **fields: Any) -> dict:
    job = {
        "id": number,
        "name": name,
        "state": state,
        "exit_code": None,
        "error_msg": None,
        "cpus": 1,
        "time_limit": None,
        "priority": 0,
        "command": ["/bin/sh", "-c", command],
        "cwd": "/home/ada/project",
        "pid": None,
        "submit_time": "2025-03-14T15:00:00+00:00",
        "start_time": None,
        "end_time": None,
        "stdout_path": f"{number}.out",
        "stderr_path": f"{number}.err",
    }
    job.update(fields)
    return job


STARTED = {"start_time": "2025-03-14T15:01:00+00:00", "pid": 4321}
ENDED = {**STARTED, "end_time": "2025-03-14T15:05:30+00:00"}

JOBS = [
    _job(9, "sweep-lr", "PENDING", "python train.py --lr 3e-4", cpus=4),
    _job(8, "sweep-lr", "RUNNING", "python train.py --lr 1e-3", cpus=4, **STARTED),
    _job(7, "[bold red]x[/]", "RUNNING", "echo '[bold red]x[/]'; sleep 600", **STARTED),
    _job(
        6,
        "overrun",
        "TIMEOUT",
        "sleep 999",
        time_limit=60,
        exit_code="0:15",
        error_msg="ran past its time limit of 00:01:00",
        **ENDED,
    ),
    _job(
        5,
        "killed",
        "FAILED",
        "kill -9 $$",
        exit_code="0:9",
        error_msg="killed by signal 9 (SIGKILL)",
        **ENDED,
    ),
    _job(
        4,
        "make",
        "CANCELLED",
        "make -j4 all",
        exit_code="0:15",
        error_msg="cancelled",
        **ENDED,
    ),
    _job(
        3,
        "broken",
        "FAILED",
        "exit 3",
        exit_code="3:0",
        error_msg="exited with code 3",
        **ENDED,
    ),
    _job(
        2, "pi-20000", "COMPLETED", "python -c 'print(3.14)'", exit_code="0:0", **ENDED
    ),
    _job(1, "hello", "COMPLETED", "echo hello", exit_code="0:0", **ENDED),
]


class FakeClient:
    """Answers ping, page and show from JOBS; refuses everything else."""

    def request(
        self, op: str, timeout: float | None = None, **args: Any
    ) -> dict[str, Any]:
        if op == "ping":
            return {"pid": 4242, "cpus": CPUS}
        if op == "show":
            return {"jobs": [job for job in JOBS if job["id"] in args["ids"]]}
        if op == "page":
            return self._page(**args)
        raise AssertionError(f"the fake host does not know {op!r}")

    def _page(
        self, states: list[str], text: str, limit: int, offset: int, **_: Any
    ) -> dict[str, Any]:
        jobs = [job for job in JOBS if not states or job["state"] in states]
        jobs = [job for job in jobs if text.lower() in job["name"].lower()]
        counts: dict[str, int] = {}
        for job in JOBS:
            counts[job["state"]] = counts.get(job["state"], 0) + 1
        return {
            "jobs": jobs[offset : offset + limit],
            "total": len(jobs),
            "offset": offset,
            "counts": counts,
            "cpus": {"total": CPUS, "used": 5},
            "pid": 4242,
        }


class FakeAccess:
    """What the app needs to reach a host, with nothing behind it."""

    home = "/home/ada/.local/share/runner"

    def __init__(self) -> None:
        self.client = FakeClient()

    def start(self) -> HostInfo:
        return HostInfo(embedded=True, pid=4242, cpus=CPUS)
