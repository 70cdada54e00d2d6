"""JobRepository on a real SQLite file: submission and the queries of the queue."""

from __future__ import annotations

import json

from runner.db import Database
from runner.models import JobState
from runner.repositories import JobRepository, WorkerRepository
from runner.spec import JobSpec
from runner.submission import submit
from tests.rows import add_job, load_job, logs_of, reserve


def test_a_submitted_job_is_pending_with_its_argv_verbatim(db: Database) -> None:
    argv = ["printf", "%s\n", "a b", "it's", "$HOME"]

    job_id = add_job(db, argv=tuple(argv), cpus=2)

    job = load_job(db, job_id)
    assert job.state == JobState.PENDING
    assert json.loads(job.command) == argv
    assert job.cpus == 2 and job.submit_time is not None
    assert job.stdout_path.endswith(f"{job_id}.out")
    assert job.stderr_path.endswith(f"{job_id}.err")


def test_ids_grow_one_by_one_in_submission_order(db: Database) -> None:
    assert [add_job(db) for _ in range(3)] == [1, 2, 3]


def test_jobs_with_the_same_environment_share_one_stored_copy(db: Database) -> None:
    env = {"PATH": "/bin", "X": "1"}
    spec = JobSpec(argv=["true"], cwd="/", env=env)
    with db.write() as session:
        first = submit(session, spec, logs_of(db))[0]
        second = submit(session, spec, logs_of(db))[0]
        other = submit(session, JobSpec(["true"], "/", {"X": "2"}), logs_of(db))[0]

    jobs = {job_id: load_job(db, job_id) for job_id in (first, second, other)}
    assert jobs[first].env_id == jobs[second].env_id != jobs[other].env_id
    with db.read() as session:
        assert JobRepository.environment(session, jobs[first].env_id) == env


def test_list_filters_by_state_and_by_id(db: Database) -> None:
    first, second, third = add_job(db), add_job(db), add_job(db)
    reserve(db, second)

    with db.read() as session:
        everything = [job.id for job in JobRepository.list(session)]
        running = [job.id for job in JobRepository.list(session, [JobState.RUNNING])]
        chosen = [job.id for job in JobRepository.list(session, ids=[third, first])]

    assert everything == [first, second, third]
    assert running == [second]
    assert chosen == [first, third]


def test_counts_missing_ids_and_states_describe_the_queue(db: Database) -> None:
    first, second = add_job(db), add_job(db)
    reserve(db, second)

    with db.read() as session:
        counts = JobRepository.counts(session)
        missing = JobRepository.missing_ids(session, [first, 7, 9])
        states = JobRepository.states(session, [first, second])

    assert counts == {JobState.PENDING: 1, JobState.RUNNING: 1}
    assert missing == [7, 9]
    assert states == {first: JobState.PENDING, second: JobState.RUNNING}


def test_cancel_pending_cancels_only_a_pending_job(db: Database) -> None:
    waiting, running = add_job(db), add_job(db)
    reserve(db, running)

    with db.write() as session:
        assert JobRepository.cancel_pending(session, waiting, "not wanted")
        assert not JobRepository.cancel_pending(session, running, "not wanted")

    cancelled = load_job(db, waiting)
    assert (cancelled.state, cancelled.error_msg) == (JobState.CANCELLED, "not wanted")
    assert cancelled.end_time is not None
    assert load_job(db, running).state == JobState.RUNNING


def test_processes_and_unreleased_cpus_follow_the_runs(db: Database) -> None:
    first, second = add_job(db, cpus=1), add_job(db, cpus=2)
    reserve(db, first)
    reserve(db, second)
    with db.write() as session:
        WorkerRepository.update_process_id(session, first, 111)

    with db.read() as session:
        assert JobRepository.processes(session, [first, second]) == {first: 111}
        assert JobRepository.unreleased_cpus(session) == 3

    with db.write() as session:
        WorkerRepository.release_allocation(session, second)
    with db.read() as session:
        assert JobRepository.unreleased_cpus(session) == 1


def test_a_page_is_one_window_of_the_sorted_filtered_jobs(db: Database) -> None:
    ids = [
        add_job(db, argv=("sh", "-c", f"echo {n % 3}"), cpus=1 + n % 3)
        for n in range(9)
    ]
    reserve(db, ids[0])

    with db.read() as session:

        def page(**args: object) -> list[int]:
            return [job.id for job in JobRepository.page(session, **args)]  # type: ignore[arg-type]

        by_cpus = page(sort="cpus", descending=True, limit=4, offset=2)
        pending = page(states=[JobState.PENDING], text="echo 2", limit=10)
        last = page(sort="cpus", limit=3, offset=6)

    # Ties in cpus go by id, in the same direction as the sort.
    assert by_cpus == [ids[2], ids[7], ids[4], ids[1]]
    assert pending == [ids[2], ids[5], ids[8]]
    assert last == [ids[2], ids[5], ids[8]]
