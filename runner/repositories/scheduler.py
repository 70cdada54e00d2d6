"""What the scheduler reads and writes to start jobs."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from runner.models import AllocationStatus, Job, JobState, ResourceAllocation
from runner.repositories.worker import utcnow

_jobs = Job.__table__
_TO_RUNNING = (
    update(_jobs)
    .where(_jobs.c.id == bindparam("job"), _jobs.c.state == JobState.PENDING)
    .values(state=JobState.RUNNING, start_time=bindparam("now"))
)
_RESERVE = insert(ResourceAllocation.__table__).returning(
    ResourceAllocation.__table__.c.id
)


class SchedulerRepository:
    """Pending jobs in order, and reservations; the caller commits."""

    @staticmethod
    def pending_jobs(
        session: Session,
        limit: int,
        after: tuple[int, int] | None = None,
        limited_only: bool = False,
    ) -> list[Job]:
        """Pending jobs, highest priority first, then oldest.

        after is the (priority, id) of the last job of the previous page;
        limited_only keeps only jobs with a time limit, the ones that may
        backfill.
        """
        query = (
            select(Job)
            .where(Job.state == JobState.PENDING)
            .order_by(Job.priority.desc(), Job.id)
            .limit(limit)
        )
        if after is not None:
            priority, job_id = after
            query = query.where(
                or_(
                    Job.priority < priority,
                    and_(Job.priority == priority, Job.id > job_id),
                )
            )
        if limited_only:
            query = query.where(Job.time_limit.is_not(None))
        return list(session.scalars(query))

    @staticmethod
    def reserve(
        session: Session,
        job: Job,
        node_name: str,
        gpu_ids: str | None = None,
        core_ids: str | None = None,
    ) -> ResourceAllocation:
        """A RESERVED allocation for the job, and the job moved to RUNNING."""
        session.execute(_TO_RUNNING, {"job": job.id, "now": utcnow()})
        values = {
            "job_id": job.id,
            "cpus": job.cpus,
            "mem": job.mem,
            "gpu_ids": gpu_ids,
            "core_ids": core_ids,
            "node_name": node_name,
            "status": AllocationStatus.RESERVED,
        }
        run_id = session.execute(_RESERVE, values).scalar_one()
        return ResourceAllocation(id=run_id, **values)

    @staticmethod
    def unreleased_allocations(session: Session) -> list[ResourceAllocation]:
        """Every allocation still holding resources: what rebuilds the counter."""
        return list(
            session.scalars(
                select(ResourceAllocation).where(
                    ResourceAllocation.status != AllocationStatus.RELEASED
                )
            )
        )

    @staticmethod
    def states(session: Session, job_ids: set[int]) -> dict[int, str]:
        rows = session.execute(select(Job.id, Job.state).where(Job.id.in_(job_ids)))
        return {job_id: JobState(state).value for job_id, state in rows}
