"""A big queue written straight into the database, faster than submitting."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import insert

from runner.config import Paths
from runner.db import Database
from runner.models import Job, JobState
from runner.repositories import JobRepository

START = datetime(2025, 1, 1, 12, 0, 0)


def fill(paths: Paths, finished: int) -> None:
    """Add this many COMPLETED jobs, each a second long, ids from 1."""
    database = Database(paths.database)
    with database.write() as session:
        env_id = JobRepository.environment_id(session, {})
        rows = [_row(number, env_id, paths) for number in range(1, finished + 1)]
        session.execute(insert(Job), rows)
    database.close()


def _row(number: int, env_id: int, paths: Paths) -> dict[str, object]:
    start = START + timedelta(seconds=number)
    return {
        "id": number,
        "name": f"job-{number}",
        "command": json.dumps(["/bin/sh", "-c", f"echo {number}"]),
        "cwd": "/",
        "env_id": env_id,
        "cpus": 1,
        "priority": 0,
        "state": JobState.COMPLETED,
        "submit_time": start,
        "start_time": start,
        "end_time": start + timedelta(seconds=1),
        "exit_code": "0:0",
        "stdout_path": str(paths.logs / f"{number}.out"),
        "stderr_path": str(paths.logs / f"{number}.err"),
    }
