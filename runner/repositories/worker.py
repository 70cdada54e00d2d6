"""The executor's whole view of the database."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from runner.models import AllocationStatus, Job, JobState, ResourceAllocation

ACTIVE_STATES = (JobState.PENDING, JobState.RUNNING, JobState.SUSPENDED)

# The executor's hot path: Core statements built once, so that recording a
# job costs a few statements without ORM overhead.
_jobs = Job.__table__
_allocations = ResourceAllocation.__table__
_FINISH = (
    update(_jobs)
    .where(_jobs.c.id == bindparam("job"), _jobs.c.state.in_(ACTIVE_STATES))
    .values(
        state=bindparam("state"),
        end_time=bindparam("end"),
        exit_code=bindparam("code"),
        error_msg=bindparam("message"),
    )
)
_TO_ALLOCATED = (
    update(_allocations)
    .where(
        _allocations.c.job_id == bindparam("job"),
        _allocations.c.status == AllocationStatus.RESERVED,
    )
    .values(status=AllocationStatus.ALLOCATED, allocated_time=bindparam("now"))
    .returning(*_allocations.c)
)
_RELEASE = (
    update(_allocations)
    .where(
        _allocations.c.job_id == bindparam("job"),
        _allocations.c.status == bindparam("old"),
    )
    .values(status=AllocationStatus.RELEASED, released_time=bindparam("now"))
    .returning(*_allocations.c)
)
_SET_PROCESS = (
    update(_allocations)
    .where(
        _allocations.c.job_id == bindparam("job"),
        _allocations.c.status != AllocationStatus.RELEASED,
    )
    .values(
        process_id=bindparam("pid"),
        process_start=bindparam("start"),
        keeper_id=bindparam("keeper"),
        keeper_start=bindparam("keeper_start_"),
    )
)


def _allocation(row: Row[Any] | None) -> ResourceAllocation | None:
    """A detached allocation built from a returned row."""
    return None if row is None else ResourceAllocation(**row._asdict())


def utcnow() -> datetime:
    """Now, as the naive UTC time the database stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def describe_exit(code: int, sig: int) -> str | None:
    """Why an exit status counts as a failure, or None when it does not."""
    if sig:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"killed by signal {sig} ({name})"
    if code:
        return f"exited with code {code}"
    return None


class WorkerRepository:
    """Reads and writes the executor needs; the caller commits."""

    @staticmethod
    def get_job_by_id(session: Session, job_id: int) -> Job | None:
        """The job, detached so it can be read after the session closes."""
        job = session.get(Job, job_id)
        if job is not None:
            session.expunge(job)
        return job

    @staticmethod
    def update_job_completion(
        session: Session,
        job_id: int,
        exit_code: int,
        signal: int = 0,
        end_time: datetime | None = None,
    ) -> bool:
        """COMPLETED when code and signal are 0, else FAILED with the reason.

        end_time is when the process ended, if known; else now.
        """
        failure = describe_exit(exit_code, signal)
        state = JobState.FAILED if failure else JobState.COMPLETED
        code = f"{exit_code}:{signal}"
        return _finish(session, job_id, state, code, failure, end_time)

    @staticmethod
    def update_job_failed(
        session: Session,
        job_id: int,
        error_msg: str,
        exit_code: str = "-1:0",
        end_time: datetime | None = None,
    ) -> bool:
        """FAILED for a reason other than the process's own exit status."""
        return _finish(session, job_id, JobState.FAILED, exit_code, error_msg, end_time)

    @staticmethod
    def update_job_ended(
        session: Session,
        job_id: int,
        state: JobState,
        exit_code: str,
        error_msg: str | None,
        end_time: datetime | None = None,
    ) -> bool:
        """Ended in any state with its own message: a timeout, a cancel, a note."""
        return _finish(session, job_id, state, exit_code, error_msg, end_time)

    @staticmethod
    def get_unreleased_allocation(
        session: Session, job_id: int
    ) -> ResourceAllocation | None:
        return session.scalars(
            select(ResourceAllocation)
            .where(
                ResourceAllocation.job_id == job_id,
                ResourceAllocation.status != AllocationStatus.RELEASED,
            )
            .order_by(ResourceAllocation.id.desc())
            .limit(1)
        ).first()

    @staticmethod
    def update_allocation_to_allocated(
        session: Session, job_id: int
    ) -> ResourceAllocation | None:
        """RESERVED -> ALLOCATED, once the process has really started."""
        row = session.execute(_TO_ALLOCATED, {"job": job_id, "now": utcnow()})
        return _allocation(row.first())

    @staticmethod
    def create_allocation_as_allocated(
        session: Session,
        job_id: int,
        cpus: int,
        node_name: str,
        process_id: int | None = None,
        process_start: int | None = None,
    ) -> ResourceAllocation:
        """For a job found running with no reservation."""
        allocation = ResourceAllocation(
            job_id=job_id,
            cpus=cpus,
            node_name=node_name,
            status=AllocationStatus.ALLOCATED,
            process_id=process_id,
            process_start=process_start,
            allocated_time=utcnow(),
        )
        session.add(allocation)
        session.flush()
        return allocation

    @staticmethod
    def release_allocation(
        session: Session, job_id: int
    ) -> tuple[ResourceAllocation, AllocationStatus] | None:
        """-> RELEASED; the old status says what to give back to the counter."""
        for old_status in (AllocationStatus.ALLOCATED, AllocationStatus.RESERVED):
            row = session.execute(
                _RELEASE, {"job": job_id, "old": old_status, "now": utcnow()}
            ).first()
            if row is not None:
                allocation = _allocation(row)
                assert allocation is not None
                return allocation, old_status
        return None

    @staticmethod
    def update_process_id(
        session: Session,
        job_id: int,
        pid: int,
        process_start: int | None = None,
        keeper_id: int | None = None,
        keeper_start: int | None = None,
    ) -> bool:
        """Record the job's process (and its keeper) on its live allocation."""
        result = session.execute(
            _SET_PROCESS,
            {
                "job": job_id,
                "pid": pid,
                "start": process_start,
                "keeper": keeper_id,
                "keeper_start_": keeper_start,
            },
        )
        return bool(result.rowcount)


def _finish(
    session: Session,
    job_id: int,
    state: JobState,
    exit_code: str,
    error_msg: str | None,
    end_time: datetime | None = None,
) -> bool:
    result = session.execute(
        _FINISH,
        {
            "job": job_id,
            "state": state,
            "end": end_time or utcnow(),
            "code": exit_code,
            "message": error_msg,
        },
    )
    return bool(result.rowcount)
