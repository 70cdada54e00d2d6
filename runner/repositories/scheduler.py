"""What the scheduler reads and writes to start jobs."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from runner.models import AllocationStatus, Job, JobState, ResourceAllocation
from runner.repositories.worker import utcnow


class SchedulerRepository:
    """Pending jobs in order, and reservations; the caller commits."""

    @staticmethod
    def pending_jobs(session: Session, limit: int) -> list[Job]:
        """The first pending jobs, highest priority first, then oldest."""
        return list(
            session.scalars(
                select(Job)
                .where(Job.state == JobState.PENDING)
                .order_by(Job.priority.desc(), Job.id)
                .limit(limit)
            )
        )

    @staticmethod
    def reserve(
        session: Session,
        job: Job,
        node_name: str,
        gpu_ids: str | None = None,
        core_ids: str | None = None,
    ) -> ResourceAllocation:
        """A RESERVED allocation for the job, and the job moved to RUNNING."""
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.state == JobState.PENDING)
            .values(state=JobState.RUNNING, start_time=utcnow())
            .execution_options(synchronize_session=False)
        )
        allocation = ResourceAllocation(
            job_id=job.id,
            cpus=job.cpus,
            mem=job.mem,
            gpu_ids=gpu_ids,
            core_ids=core_ids,
            node_name=node_name,
            status=AllocationStatus.RESERVED,
        )
        session.add(allocation)
        return allocation

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
    def running(session: Session) -> list[tuple[Job, ResourceAllocation]]:
        """Jobs holding resources now, with their allocations: for backfill."""
        rows = session.execute(
            select(Job, ResourceAllocation)
            .join(ResourceAllocation, ResourceAllocation.job_id == Job.id)
            .where(ResourceAllocation.status != AllocationStatus.RELEASED)
        )
        return [(job, allocation) for job, allocation in rows.tuples()]

    @staticmethod
    def states(session: Session, job_ids: set[int]) -> dict[int, str]:
        rows = session.execute(select(Job.id, Job.state).where(Job.id.in_(job_ids)))
        return {job_id: JobState(state).value for job_id, state in rows}
