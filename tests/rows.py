"""Jobs and allocations written straight through the repositories, for tests."""

from __future__ import annotations

from pathlib import Path

from runner.db import Database
from runner.models import Job
from runner.repositories import SchedulerRepository
from runner.spec import JobSpec
from runner.submission import submit


def add_job(
    db: Database,
    argv: tuple[str, ...] = ("true",),
    cpus: int = 1,
    priority: int = 0,
    time_limit: int | None = None,
    env: dict[str, str] | None = None,
    cwd: str = "/",
) -> int:
    """Queue one PENDING job, committed; its id."""
    spec = JobSpec(
        argv=list(argv),
        cwd=cwd,
        env=env or {"PATH": "/usr/bin:/bin"},
        cpus=cpus,
        priority=priority,
        time_limit=time_limit,
    )
    with db.write() as session:
        return submit(session, spec, logs_of(db))[0]


def logs_of(db: Database) -> Path:
    logs = db.path.parent / "logs"
    logs.mkdir(exist_ok=True)
    return logs


def reserve(db: Database, job_id: int) -> int:
    """Reserve CPUs for the job as the scheduler does, committed; the run id."""
    with db.write() as session:
        job = session.get(Job, job_id)
        assert job is not None
        allocation = SchedulerRepository.reserve(session, job, "testnode")
        session.flush()
        return allocation.id


def load_job(db: Database, job_id: int) -> Job:
    with db.read() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job
