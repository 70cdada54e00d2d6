"""The executor with its repository mocked: which calls each report leads to."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from runner.executor import Executor, Run, job_environment
from runner.models import AllocationStatus, Job, JobState
from runner.repositories import WorkerRepository
from runner.resources import ResourceCounter
from tests.invariants import start_ticks

SESSION = object()
"""What the fake database hands out as the session of each transaction."""


class FakeDatabase:
    """Counts transactions; every one yields SESSION."""

    def __init__(self) -> None:
        self.transactions = 0

    @contextlib.contextmanager
    def write(self, durable: bool = True) -> Iterator[Any]:
        self.transactions += 1
        yield SESSION


def _allocation(cpus: int) -> mock.Mock:
    return mock.Mock(cpus=cpus, mem=0, gpu_ids=None, core_ids=None)


@pytest.fixture
def repository() -> mock.Mock:
    repo = mock.create_autospec(WorkerRepository, instance=False)
    repo.release_allocation.return_value = (_allocation(2), AllocationStatus.ALLOCATED)
    return repo


@pytest.fixture
def counter() -> ResourceCounter:
    counter = ResourceCounter(4)
    assert counter.try_reserve(2) is not None
    return counter


@pytest.fixture
def executor(
    repository: mock.Mock, counter: ResourceCounter, tmp_path: Path
) -> Executor:
    executor = Executor(repository, FakeDatabase(), counter, tmp_path, grace=1.0)  # type: ignore[arg-type]
    record = tmp_path / "10.json"
    record.write_text("{}")
    executor.runs[1] = Run(job_id=1, run_id=10, cpus=2, record=record, time_limit=60)
    return executor


def _started(**extra: Any) -> dict[str, Any]:
    return {
        "event": "started",
        "job": 1,
        "run": 10,
        "pid": 500,
        "start": 123,
        "keeper": 499,
        "keeper_start": 122,
        **extra,
    }


def _finished(code: int = 0, sig: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "event": "finished",
        "job": 1,
        "run": 10,
        "code": code,
        "signal": sig,
        "reason": "exited",
        "leftovers": 0,
        "ended": time.time(),
        **extra,
    }


def test_a_started_run_is_marked_allocated_and_its_process_recorded(
    executor: Executor, repository: mock.Mock
) -> None:
    ended = executor.apply([_started()])

    assert ended == []
    repository.update_allocation_to_allocated.assert_called_once_with(SESSION, 1)
    repository.update_process_id.assert_called_once_with(SESSION, 1, 500, 123, 499, 122)
    repository.update_job_completion.assert_not_called()
    repository.release_allocation.assert_not_called()
    assert executor.runs[1].pid == 500


def test_a_clean_exit_is_recorded_and_its_allocation_released(
    executor: Executor, repository: mock.Mock, counter: ResourceCounter
) -> None:
    ended = executor.apply([_finished()])

    assert ended == [1]
    repository.release_allocation.assert_called_once_with(SESSION, 1)
    call = repository.update_job_completion.call_args
    assert call.args[:4] == (SESSION, 1, 0, 0)
    assert counter.used_cpus == 0
    assert 1 not in executor.runs
    assert not executor.runs_dir.joinpath("10.json").exists()


@pytest.mark.parametrize(("code", "sig"), [(3, 0), (0, 9), (0, 15)])
def test_an_exit_status_is_passed_on_as_code_and_signal(
    executor: Executor, repository: mock.Mock, code: int, sig: int
) -> None:
    executor.apply([_finished(code, sig)])

    assert repository.update_job_completion.call_args.args[:4] == (
        SESSION,
        1,
        code,
        sig,
    )


def test_a_run_that_could_not_start_fails_with_its_reason(
    executor: Executor, repository: mock.Mock, counter: ResourceCounter
) -> None:
    event = {"event": "failed", "job": 1, "run": 10, "error": "no dir '/x'"}

    executor.apply([event])

    repository.update_job_failed.assert_called_once()
    assert repository.update_job_failed.call_args.args == (SESSION, 1, "no dir '/x'")
    repository.release_allocation.assert_called_once_with(SESSION, 1)
    repository.update_job_completion.assert_not_called()
    assert counter.used_cpus == 0


@pytest.mark.parametrize(
    ("reason", "state", "words"),
    [
        ("timeout", JobState.TIMEOUT, "time limit"),
        ("cancelled", JobState.CANCELLED, "cancelled"),
    ],
)
def test_a_stopped_run_ends_in_the_state_its_keeper_names(
    executor: Executor,
    repository: mock.Mock,
    reason: str,
    state: JobState,
    words: str,
) -> None:
    executor.apply([_finished(0, 15, reason=reason)])

    args = repository.update_job_ended.call_args.args
    assert args[:4] == (SESSION, 1, state, "0:15")
    assert words in args[4]
    repository.update_job_completion.assert_not_called()
    repository.release_allocation.assert_called_once_with(SESSION, 1)


def test_background_processes_left_behind_are_noted(
    executor: Executor, repository: mock.Mock
) -> None:
    executor.apply([_finished(0, 0, leftovers=2)])

    args = repository.update_job_ended.call_args.args
    assert args[:4] == (SESSION, 1, JobState.COMPLETED, "0:0")
    assert "background" in args[4]


def test_a_released_reservation_gives_back_its_cpus(
    executor: Executor, repository: mock.Mock, counter: ResourceCounter
) -> None:
    repository.release_allocation.return_value = (
        _allocation(2),
        AllocationStatus.RESERVED,
    )

    executor.apply([{"event": "failed", "job": 1, "run": 10, "error": "x"}])

    assert counter.used_cpus == 0


def test_an_allocation_already_released_gives_nothing_back(
    executor: Executor, repository: mock.Mock, counter: ResourceCounter
) -> None:
    repository.release_allocation.return_value = None

    executor.apply([_finished()])

    assert counter.used_cpus == 2


def test_reports_for_unknown_jobs_or_stale_runs_are_ignored(
    executor: Executor, repository: mock.Mock
) -> None:
    executor.apply([_finished(job=7), _finished(run=9), _started(run=9)])

    assert repository.method_calls == []
    assert 1 in executor.runs


def test_a_run_that_ends_twice_in_one_batch_is_recorded_once(
    executor: Executor, repository: mock.Mock, counter: ResourceCounter
) -> None:
    ended = executor.apply([_started(), _finished(), _finished(3)])

    assert ended == [1]
    assert repository.update_job_completion.call_count == 1
    assert repository.release_allocation.call_count == 1
    assert counter.used_cpus == 0


def test_a_batch_of_reports_is_one_transaction(
    repository: mock.Mock, counter: ResourceCounter, tmp_path: Path
) -> None:
    database = FakeDatabase()
    executor = Executor(repository, database, ResourceCounter(10), tmp_path, 1.0)  # type: ignore[arg-type]
    for job_id in range(1, 6):
        executor.runs[job_id] = Run(job_id, job_id, 1, tmp_path / f"{job_id}.json")
        executor.counter.try_reserve(2)

    ended = executor.apply([_finished(job=i, run=i) for i in range(1, 6)])

    assert ended == [1, 2, 3, 4, 5]
    assert database.transactions == 1


def test_apply_without_release_leaves_the_counter_to_be_rebuilt(
    executor: Executor, counter: ResourceCounter
) -> None:
    executor.apply([_finished()], release=False)

    assert counter.used_cpus == 2


def test_a_run_whose_keeper_and_process_are_gone_fails_as_lost(
    executor: Executor, repository: mock.Mock
) -> None:
    run = executor.runs[1]
    run.keeper, run.keeper_start, run.pid, run.start = 1, 999_999_999, 1, 999_999_999
    run.record.unlink()

    executor.check_runs()
    executor.record_events()

    args = repository.update_job_failed.call_args.args
    assert args[:2] == (SESSION, 1)
    assert "lost" in args[2] and "unknown" in args[2]


def test_a_run_whose_keeper_died_after_recording_the_end_gets_that_end(
    executor: Executor, repository: mock.Mock
) -> None:
    run = executor.runs[1]
    run.keeper, run.keeper_start = 1, 999_999_999
    run.record.write_text(
        '{"event": "finished", "job": 1, "run": 10, "code": 4, "signal": 0,'
        ' "reason": "exited", "leftovers": 0}'
    )

    executor.check_runs()
    executor.record_events()

    assert repository.update_job_completion.call_args.args[:4] == (SESSION, 1, 4, 0)


def test_cancel_never_signals_a_process_whose_start_time_differs(
    executor: Executor,
) -> None:
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        ticks = start_ticks(bystander.pid)
        assert ticks is not None
        run = executor.runs[1]
        run.keeper, run.keeper_start = bystander.pid, ticks + 1

        executor.cancel(1)

        with pytest.raises(subprocess.TimeoutExpired):
            bystander.wait(timeout=0.3)
    finally:
        bystander.kill()
        bystander.wait()


def test_a_job_is_told_its_id_name_and_cpus_and_thread_counts() -> None:
    job = Job(id=7, name="sweep", cpus=3, attempt=1)

    env = job_environment(job, {"PATH": "/bin", "OMP_NUM_THREADS": "1"})

    assert env["RUNNER_JOB_ID"] == "7"
    assert env["RUNNER_JOB_NAME"] == "sweep"
    assert env["RUNNER_CPUS"] == "3"
    assert env["OMP_NUM_THREADS"] == "1"
    assert env["MKL_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "3"
    assert env["PATH"] == "/bin"


def test_launch_hands_the_launcher_the_job_exactly_as_submitted(
    executor: Executor, tmp_path: Path
) -> None:
    sent: list[dict[str, Any]] = []
    executor._send = sent.append  # type: ignore[method-assign]
    job = Job(
        id=2,
        name="p",
        command='["printf", "%s\\\\n", "a b"]',
        cwd="/srv",
        cpus=1,
        time_limit=5,
        mem=0,
        attempt=1,
        stdout_path="/l/2.out",
        stderr_path="/l/2.err",
    )

    executor.launch(job, 20, {"PATH": "/bin"})

    (request,) = sent
    assert request["argv"] == ["printf", "%s\\n", "a b"]
    assert (request["cwd"], request["limit"], request["grace"]) == ("/srv", 5, 1.0)
    assert (request["stdout"], request["stderr"]) == ("/l/2.out", "/l/2.err")
    assert request["record"] == str(tmp_path / "20.json")
    assert request["env"]["RUNNER_JOB_ID"] == "2"
    assert executor.runs[2].run_id == 20
