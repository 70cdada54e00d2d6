"""A runner database with a long history and a long queue, written in bulk.

Submitting 110,000 jobs one by one would take longer than the whole benchmark,
so the rows go in through SQLAlchemy in a few large inserts, shaped as the host
itself writes them: finished jobs with a released allocation each, pending
jobs with none, all sharing one captured environment.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from runner.db import Database
from runner.models import AllocationStatus, Job, JobState, ResourceAllocation
from runner.repositories import JobRepository

CHUNK = 20_000
FAILED_EVERY = 20
"""One finished job in this many failed; the rest completed."""


def build(path: Path, logs: Path, finished: int, pending: int, total_cpus: int) -> None:
    """Fill a fresh database with finished jobs, then pending ones.

    Each pending job asks for one CPU more than the host hands out, so none
    can ever start: the queue stays as long as it was built, however long the
    host runs, and every job submitted after them waits behind them.
    """
    database = Database(path)
    try:
        with database.write() as session:
            env_id = JobRepository.environment_id(session, {"PATH": "/usr/bin:/bin"})
        start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30)
        with database.engine.begin() as connection:
            for first in range(1, finished + 1, CHUNK):
                last = min(first + CHUNK, finished + 1)
                ids = range(first, last)
                connection.execute(
                    insert(Job), [_finished_job(i, env_id, start, logs) for i in ids]
                )
                connection.execute(
                    insert(ResourceAllocation), [_released(i, start) for i in ids]
                )
            blocked = total_cpus + 1
            for first in range(finished + 1, finished + pending + 1, CHUNK):
                last = min(first + CHUNK, finished + pending + 1)
                connection.execute(
                    insert(Job),
                    [
                        _pending_job(i, env_id, blocked, start, logs)
                        for i in range(first, last)
                    ],
                )
    finally:
        database.close()


def _common(job_id: int, env_id: int, logs: Path) -> dict[str, Any]:
    return {
        "id": job_id,
        "name": "train",
        "command": json.dumps(["python", "train.py", "--seed", str(job_id)]),
        "cwd": "/tmp",
        "env_id": env_id,
        "time_limit": None,
        "priority": 0,
        "stdout_path": str(logs / f"{job_id}.out"),
        "stderr_path": str(logs / f"{job_id}.err"),
    }


def _finished_job(
    job_id: int, env_id: int, start: datetime, logs: Path
) -> dict[str, Any]:
    failed = job_id % FAILED_EVERY == 0
    began = start + timedelta(seconds=job_id)
    return {
        **_common(job_id, env_id, logs),
        "cpus": 1,
        "state": JobState.FAILED if failed else JobState.COMPLETED,
        "submit_time": began,
        "start_time": began,
        "end_time": began + timedelta(seconds=1),
        "exit_code": "1:0" if failed else "0:0",
        "error_msg": "exited with code 1" if failed else None,
    }


def _released(job_id: int, start: datetime) -> dict[str, Any]:
    began = start + timedelta(seconds=job_id)
    return {
        "id": job_id,
        "job_id": job_id,
        "cpus": 1,
        "node_name": "bench",
        "status": AllocationStatus.RELEASED,
        "process_id": 100_000 + job_id,
        "process_start": job_id,
        "allocated_time": began,
        "released_time": began + timedelta(seconds=1),
    }


def _pending_job(
    job_id: int, env_id: int, cpus: int, start: datetime, logs: Path
) -> dict[str, Any]:
    return {
        **_common(job_id, env_id, logs),
        "cpus": cpus,
        "state": JobState.PENDING,
        "submit_time": start + timedelta(seconds=job_id),
        "start_time": None,
        "end_time": None,
        "exit_code": None,
        "error_msg": None,
    }
