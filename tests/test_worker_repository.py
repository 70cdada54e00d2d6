"""WorkerRepository on a real SQLite file; each test commits as the caller."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from runner.db import Database
from runner.models import AllocationStatus, JobState, ResourceAllocation
from runner.repositories import WorkerRepository
from tests.rows import add_job, load_job, reserve


def _allocation(db: Database, run_id: int) -> ResourceAllocation:
    with db.read() as session:
        allocation = session.get(ResourceAllocation, run_id)
        assert allocation is not None
        return allocation


def test_get_job_by_id_returns_a_job_readable_after_the_session_closes(
    db: Database,
) -> None:
    job_id = add_job(db, argv=("echo", "hi"), cpus=2)

    with db.write() as session:
        job = WorkerRepository.get_job_by_id(session, job_id)

    assert job is not None
    assert inspect(job).detached
    assert (job.id, job.cpus, job.state) == (job_id, 2, JobState.PENDING)
    assert job.command == '["echo", "hi"]'


def test_get_job_by_id_returns_none_for_an_unknown_id(db: Database) -> None:
    with db.read() as session:
        assert WorkerRepository.get_job_by_id(session, 42) is None


def test_a_zero_exit_completes_the_job(db: Database) -> None:
    job_id = add_job(db)
    reserve(db, job_id)

    with db.write() as session:
        assert WorkerRepository.update_job_completion(session, job_id, 0, 0)

    job = load_job(db, job_id)
    assert (job.state, job.exit_code, job.error_msg) == (
        JobState.COMPLETED,
        "0:0",
        None,
    )
    assert job.end_time is not None


def test_a_nonzero_exit_fails_the_job_and_says_so(db: Database) -> None:
    job_id = add_job(db)
    reserve(db, job_id)

    with db.write() as session:
        assert WorkerRepository.update_job_completion(session, job_id, 3)

    job = load_job(db, job_id)
    assert (job.state, job.exit_code) == (JobState.FAILED, "3:0")
    assert job.error_msg is not None and "3" in job.error_msg


def test_a_signal_fails_the_job_as_code_zero_and_the_signal(db: Database) -> None:
    job_id = add_job(db)
    reserve(db, job_id)

    with db.write() as session:
        assert WorkerRepository.update_job_completion(session, job_id, 0, 9)

    job = load_job(db, job_id)
    assert (job.state, job.exit_code) == (JobState.FAILED, "0:9")
    assert job.error_msg is not None and "SIGKILL" in job.error_msg


def test_an_ended_job_is_never_ended_again(db: Database) -> None:
    job_id = add_job(db)
    reserve(db, job_id)
    with db.write() as session:
        WorkerRepository.update_job_completion(session, job_id, 0, 15)

    with db.write() as session:
        assert not WorkerRepository.update_job_completion(session, job_id, 0)
        assert not WorkerRepository.update_job_failed(session, job_id, "again")
        assert not WorkerRepository.update_job_completion(session, 999, 0)

    assert load_job(db, job_id).exit_code == "0:15"


def test_update_job_failed_records_the_reason_and_minus_one(db: Database) -> None:
    job_id = add_job(db)
    reserve(db, job_id)

    with db.write() as session:
        assert WorkerRepository.update_job_failed(session, job_id, "no such dir")

    job = load_job(db, job_id)
    assert (job.state, job.exit_code, job.error_msg) == (
        JobState.FAILED,
        "-1:0",
        "no such dir",
    )
    assert job.end_time is not None


def test_update_job_failed_keeps_an_exit_code_it_is_given(db: Database) -> None:
    job_id = add_job(db)

    with db.write() as session:
        WorkerRepository.update_job_failed(session, job_id, "not found", "127:0")

    assert load_job(db, job_id).exit_code == "127:0"


def test_the_caller_owns_the_transaction(db: Database) -> None:
    job_id = add_job(db)

    with Session(db.engine) as session:
        WorkerRepository.update_job_completion(session, job_id, 0)
        WorkerRepository.update_job_failed(session, job_id, "never committed")

    assert load_job(db, job_id).state == JobState.PENDING


def test_get_unreleased_allocation_finds_the_live_run_only(db: Database) -> None:
    job_id = add_job(db)
    with db.read() as session:
        assert WorkerRepository.get_unreleased_allocation(session, job_id) is None
    run_id = reserve(db, job_id)

    with db.read() as session:
        allocation = WorkerRepository.get_unreleased_allocation(session, job_id)
        assert allocation is not None and allocation.id == run_id

    with db.write() as session:
        WorkerRepository.release_allocation(session, job_id)
    with db.read() as session:
        assert WorkerRepository.get_unreleased_allocation(session, job_id) is None


def test_update_allocation_to_allocated_moves_a_reservation_once(db: Database) -> None:
    job_id = add_job(db)
    run_id = reserve(db, job_id)

    with db.write() as session:
        first = WorkerRepository.update_allocation_to_allocated(session, job_id)
        assert first is not None and first.id == run_id
    with db.write() as session:
        assert WorkerRepository.update_allocation_to_allocated(session, job_id) is None
        assert WorkerRepository.update_allocation_to_allocated(session, 999) is None

    allocation = _allocation(db, run_id)
    assert allocation.status == AllocationStatus.ALLOCATED
    assert allocation.allocated_time is not None


def test_create_allocation_as_allocated_adopts_a_job_found_running(
    db: Database,
) -> None:
    job_id = add_job(db, cpus=2)

    with db.write() as session:
        created = WorkerRepository.create_allocation_as_allocated(
            session, job_id, 2, "somewhere", process_id=1234, process_start=99
        )
        run_id = created.id

    allocation = _allocation(db, run_id)
    assert allocation.status == AllocationStatus.ALLOCATED
    assert (allocation.job_id, allocation.cpus, allocation.node_name) == (
        job_id,
        2,
        "somewhere",
    )
    assert (allocation.process_id, allocation.process_start) == (1234, 99)
    assert allocation.allocated_time is not None


def test_release_allocation_returns_the_status_it_left(db: Database) -> None:
    reserved_job, allocated_job = add_job(db), add_job(db)
    reserve(db, reserved_job)
    reserve(db, allocated_job)
    with db.write() as session:
        WorkerRepository.update_allocation_to_allocated(session, allocated_job)

    with db.write() as session:
        first = WorkerRepository.release_allocation(session, reserved_job)
        second = WorkerRepository.release_allocation(session, allocated_job)
        assert first is not None and second is not None
        assert first[1] == AllocationStatus.RESERVED
        assert second[1] == AllocationStatus.ALLOCATED
        assert first[0].status == AllocationStatus.RELEASED
        run_id = second[0].id

    assert _allocation(db, run_id).released_time is not None
    with db.write() as session:
        assert WorkerRepository.release_allocation(session, reserved_job) is None


def test_update_process_id_records_the_process_on_the_live_run(db: Database) -> None:
    job_id = add_job(db)
    run_id = reserve(db, job_id)

    with db.write() as session:
        assert WorkerRepository.update_process_id(session, job_id, 4321, 77, 4320, 76)

    allocation = _allocation(db, run_id)
    assert (allocation.process_id, allocation.process_start) == (4321, 77)
    assert (allocation.keeper_id, allocation.keeper_start) == (4320, 76)


def test_update_process_id_without_a_live_run_changes_nothing(db: Database) -> None:
    job_id = add_job(db)

    with db.write() as session:
        assert not WorkerRepository.update_process_id(session, job_id, 4321)

    with db.read() as session:
        assert session.scalars(select(ResourceAllocation)).all() == []
