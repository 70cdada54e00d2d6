"""CleanupRepository on a real SQLite file: what a crashed host leaves behind."""

from __future__ import annotations

from sqlalchemy import update

from runner.db import Database
from runner.models import AllocationStatus, Job, JobState
from runner.repositories import CleanupRepository, WorkerRepository
from tests.rows import add_job, load_job, reserve


def test_live_runs_pair_each_running_job_with_its_unreleased_allocation(
    db: Database,
) -> None:
    waiting, running, ended = add_job(db), add_job(db), add_job(db)
    run_id = reserve(db, running)
    reserve(db, ended)
    with db.write() as session:
        WorkerRepository.update_job_completion(session, ended, 0)
        WorkerRepository.release_allocation(session, ended)

    with db.read() as session:
        runs = CleanupRepository.live_runs(session)

    assert [(job.id, allocation.id) for job, allocation in runs] == [(running, run_id)]
    assert waiting not in [job.id for job, _ in runs]


def test_a_running_job_without_an_allocation_is_found(db: Database) -> None:
    held, bare = add_job(db), add_job(db)
    reserve(db, held)
    with db.write() as session:
        session.execute(
            update(Job).where(Job.id == bare).values(state=JobState.RUNNING)
        )

    with db.read() as session:
        found = CleanupRepository.running_without_allocation(session)

    assert [job.id for job in found] == [bare]


def test_an_allocation_whose_job_ended_is_an_orphan(db: Database) -> None:
    running, ended = add_job(db), add_job(db)
    reserve(db, running)
    orphan = reserve(db, ended)
    with db.write() as session:
        WorkerRepository.update_job_failed(session, ended, "host died")

    with db.read() as session:
        found = CleanupRepository.orphan_allocations(session)

    assert [allocation.id for allocation in found] == [orphan]


def test_requeue_puts_a_never_started_job_back_and_frees_its_reservation(
    db: Database,
) -> None:
    job_id = add_job(db)
    reserve(db, job_id)

    with db.write() as session:
        assert CleanupRepository.requeue(session, job_id)

    job = load_job(db, job_id)
    assert (job.state, job.start_time) == (JobState.PENDING, None)
    with db.read() as session:
        assert WorkerRepository.get_unreleased_allocation(session, job_id) is None
        assert not CleanupRepository.live_runs(session)


def test_requeue_leaves_a_job_that_really_started_alone(db: Database) -> None:
    job_id = add_job(db)
    reserve(db, job_id)
    with db.write() as session:
        WorkerRepository.update_allocation_to_allocated(session, job_id)
        WorkerRepository.update_job_completion(session, job_id, 0)

    with db.write() as session:
        assert not CleanupRepository.requeue(session, job_id)

    with db.read() as session:
        allocation = WorkerRepository.get_unreleased_allocation(session, job_id)
    assert allocation is not None and allocation.status == AllocationStatus.ALLOCATED
