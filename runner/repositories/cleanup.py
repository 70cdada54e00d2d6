"""What a crash leaves behind: runs with no process, jobs with no run."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from runner.models import AllocationStatus, Job, JobState, ResourceAllocation
from runner.repositories.worker import utcnow


class CleanupRepository:
    """Finds and settles leftovers of a host that died; the caller commits."""

    @staticmethod
    def live_runs(session: Session) -> list[tuple[Job, ResourceAllocation]]:
        """Each RUNNING job with its unreleased allocation."""
        rows = session.execute(
            select(Job, ResourceAllocation)
            .join(ResourceAllocation, ResourceAllocation.job_id == Job.id)
            .where(
                Job.state == JobState.RUNNING,
                ResourceAllocation.status != AllocationStatus.RELEASED,
            )
            .order_by(Job.id)
        )
        return [(job, allocation) for job, allocation in rows]

    @staticmethod
    def running_without_allocation(session: Session) -> list[Job]:
        """RUNNING jobs that hold no allocation at all."""
        held = select(ResourceAllocation.job_id).where(
            ResourceAllocation.status != AllocationStatus.RELEASED
        )
        return list(
            session.scalars(
                select(Job).where(Job.state == JobState.RUNNING, Job.id.not_in(held))
            )
        )

    @staticmethod
    def orphan_allocations(session: Session) -> list[ResourceAllocation]:
        """Unreleased allocations whose job is no longer RUNNING."""
        return list(
            session.scalars(
                select(ResourceAllocation)
                .join(Job, ResourceAllocation.job_id == Job.id)
                .where(
                    Job.state != JobState.RUNNING,
                    ResourceAllocation.status != AllocationStatus.RELEASED,
                )
            )
        )

    @staticmethod
    def requeue(session: Session, job_id: int) -> bool:
        """A job reserved but never started goes back to PENDING."""
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.RUNNING)
            .values(state=JobState.PENDING, start_time=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(ResourceAllocation)
            .where(
                ResourceAllocation.job_id == job_id,
                ResourceAllocation.status == AllocationStatus.RESERVED,
            )
            .values(status=AllocationStatus.RELEASED, released_time=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)
