"""SchedulerRepository on a real SQLite file: the queue's order, reservations."""

from __future__ import annotations

import pytest

from runner.db import Database
from runner.models import AllocationStatus, Job, JobState
from runner.repositories import SchedulerRepository, WorkerRepository
from tests.rows import add_job, load_job, reserve


def test_pending_jobs_come_by_priority_then_by_id(db: Database) -> None:
    low = add_job(db, priority=0)
    high = add_job(db, priority=5)
    low_again = add_job(db, priority=0)
    middle = add_job(db, priority=2)
    negative = add_job(db, priority=-1)

    with db.read() as session:
        order = [job.id for job in SchedulerRepository.pending_jobs(session, 10)]

    assert order == [high, middle, low, low_again, negative]


def test_pending_jobs_skips_jobs_that_are_not_pending_and_honours_the_limit(
    db: Database,
) -> None:
    started, *waiting = (add_job(db) for _ in range(4))
    reserve(db, started)

    with db.read() as session:
        assert [j.id for j in SchedulerRepository.pending_jobs(session, 2)] == waiting[
            :2
        ]


def test_reserve_marks_the_job_running_beside_a_reserved_allocation(
    db: Database,
) -> None:
    job_id = add_job(db, cpus=2)

    run_id = reserve(db, job_id)

    job = load_job(db, job_id)
    assert job.state == JobState.RUNNING and job.start_time is not None
    with db.read() as session:
        allocation = WorkerRepository.get_unreleased_allocation(session, job_id)
    assert allocation is not None and allocation.id == run_id
    assert allocation.status == AllocationStatus.RESERVED
    assert (allocation.cpus, allocation.node_name) == (2, "testnode")


def test_reserve_and_the_state_change_commit_or_roll_back_together(
    db: Database,
) -> None:
    job_id = add_job(db)

    with pytest.raises(RuntimeError), db.write() as session:
        job = session.get(Job, job_id)
        assert job is not None
        SchedulerRepository.reserve(session, job, "testnode")
        session.flush()
        raise RuntimeError("the tick fails before it commits")

    assert load_job(db, job_id).state == JobState.PENDING
    with db.read() as session:
        assert SchedulerRepository.unreleased_allocations(session) == []


def test_unreleased_allocations_are_what_rebuilds_the_counter(db: Database) -> None:
    first, second, third = add_job(db, cpus=1), add_job(db, cpus=2), add_job(db)
    for job_id in (first, second, third):
        reserve(db, job_id)
    with db.write() as session:
        WorkerRepository.release_allocation(session, third)

    with db.read() as session:
        held = SchedulerRepository.unreleased_allocations(session)

    assert sorted((a.job_id, a.cpus) for a in held) == [(first, 1), (second, 2)]
