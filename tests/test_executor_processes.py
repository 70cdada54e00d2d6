"""The executor with real processes: the real launcher, keepers and jobs."""

from __future__ import annotations

import os
import signal
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from runner.db import Database
from runner.executor import Executor
from runner.models import AllocationStatus, Job, JobState, ResourceAllocation
from runner.repositories import WorkerRepository
from runner.resources import ResourceCounter
from tests.rows import add_job, load_job, reserve
from tests.waiting import wait_until


class Bench:
    """An executor on a real database, and the jobs handed to it."""

    def __init__(self, db: Database, runs: Path) -> None:
        self.db = db
        self.marker = str(runs)
        self.counter = ResourceCounter(4)
        self.executor = Executor(WorkerRepository, db, self.counter, runs, grace=0.5)
        self.ended: set[int] = set()

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": os.environ["PATH"], "TEST_MARK": self.marker, **extra}

    def launch(
        self, *argv: str, cpus: int = 1, limit: int | None = None, **kw: str
    ) -> int:
        """Queue, reserve and launch a job as the scheduler would; its id."""
        env = self.env(**kw)
        job_id = add_job(self.db, argv, cpus=cpus, time_limit=limit, env=env)
        assert self.counter.try_reserve(cpus) is not None
        run_id = reserve(self.db, job_id)
        self.executor.launch(load_job(self.db, job_id), run_id, env)
        return job_id

    def pump(self) -> None:
        self.executor.check_runs()
        self.ended.update(self.executor.record_events())

    def finish(self, job_id: int, timeout: float = 20) -> Job:
        """Record reports until the job ends; the job as stored."""

        def done() -> bool:
            self.pump()
            return job_id in self.ended

        wait_until(done, timeout, f"job {job_id} to end")
        return load_job(self.db, job_id)

    def started(self, job_id: int) -> ResourceAllocation:
        """Record reports until the job's process is known; its allocation."""

        def known() -> ResourceAllocation | None:
            self.pump()
            with self.db.read() as session:
                allocation = WorkerRepository.get_unreleased_allocation(session, job_id)
            return allocation if allocation and allocation.process_id else None

        return wait_until(known, 20, f"job {job_id} to start")

    def leftovers(self) -> list[psutil.Process]:
        found = []
        for process in psutil.process_iter():
            try:
                mine = process.environ().get("TEST_MARK") == self.marker
                if mine and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
            except psutil.Error:
                continue
        return found


@pytest.fixture
def bench(db: Database, tmp_path: Path) -> Iterator[Bench]:
    runs = tmp_path / "runs"
    runs.mkdir()
    bench = Bench(db, runs)
    bench.executor.start()
    yield bench
    bench.executor.stop()
    for process in bench.leftovers():
        process.kill()


@pytest.mark.parametrize(
    ("argv", "state", "exit_code"),
    [
        (("true",), JobState.COMPLETED, "0:0"),
        (("sh", "-c", "exit 3"), JobState.FAILED, "3:0"),
        (("sh", "-c", "kill -TERM $$"), JobState.FAILED, "0:15"),
        (("sh", "-c", "kill -KILL $$"), JobState.FAILED, "0:9"),
    ],
)
def test_a_job_ends_with_its_exact_exit_status(
    bench: Bench, argv: tuple[str, ...], state: JobState, exit_code: str
) -> None:
    job = bench.finish(bench.launch(*argv))

    assert (job.state, job.exit_code) == (state, exit_code)
    assert job.end_time is not None
    assert bench.counter.used_cpus == 0


def test_a_finished_run_records_its_process_and_is_released(bench: Bench) -> None:
    job_id = bench.launch("true")
    bench.finish(job_id)

    with bench.db.read() as session:
        (allocation,) = session.scalars(
            select(ResourceAllocation).where(ResourceAllocation.job_id == job_id)
        )
    assert allocation.status == AllocationStatus.RELEASED
    assert allocation.process_id and allocation.process_start
    assert allocation.keeper_id and allocation.allocated_time
    assert allocation.released_time is not None


def test_a_missing_program_fails_with_a_reason_naming_it(bench: Bench) -> None:
    job = bench.finish(bench.launch("no-such-program-xyz"))

    assert job.state == JobState.FAILED
    assert job.exit_code in ("-1:0", "127:0")
    assert job.error_msg is not None and "no-such-program-xyz" in job.error_msg
    assert bench.counter.used_cpus == 0


def test_a_missing_directory_fails_with_a_reason_naming_it(
    bench: Bench, tmp_path: Path
) -> None:
    gone = tmp_path / "gone-dir"
    gone.mkdir()
    job_id = add_job(bench.db, ("true",), cwd=str(gone), env=bench.env())
    gone.rmdir()
    bench.counter.try_reserve(1)
    bench.executor.launch(load_job(bench.db, job_id), reserve(bench.db, job_id), {})

    job = bench.finish(job_id)

    assert (job.state, job.exit_code) == (JobState.FAILED, "-1:0")
    assert job.error_msg is not None and str(gone) in job.error_msg


def test_output_goes_to_private_files_and_stdin_is_empty(bench: Bench) -> None:
    job = bench.finish(
        bench.launch("sh", "-c", "cat; echo out; echo err >&2; readlink /proc/$$/fd/0")
    )

    assert job.state == JobState.COMPLETED
    assert Path(job.stdout_path).read_text() == "out\n/dev/null\n"
    assert Path(job.stderr_path).read_text() == "err\n"
    for path in (job.stdout_path, job.stderr_path):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_job_sees_its_captured_environment_and_runner_variables(
    bench: Bench,
) -> None:
    script = (
        "import os; print(' '.join(os.environ.get(k, '-') for k in "
        "('RUNNER_JOB_ID', 'RUNNER_CPUS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', "
        "'OPENBLAS_NUM_THREADS', 'MINE', 'HOST_ONLY')))"
    )
    os.environ["HOST_ONLY"] = "leaked"
    try:
        job_id = bench.launch(
            sys.executable, "-c", script, cpus=2, MINE="yes", OMP_NUM_THREADS="1"
        )
        job = bench.finish(job_id)
    finally:
        del os.environ["HOST_ONLY"]

    assert Path(job.stdout_path).read_text().split() == [
        str(job_id),
        "2",
        "1",
        "2",
        "2",
        "yes",
        "-",
    ]


def test_a_job_runs_in_a_session_and_process_group_of_its_own(bench: Bench) -> None:
    script = "import os; print(os.getsid(0) == os.getpid() == os.getpgid(0))"

    job = bench.finish(bench.launch(sys.executable, "-c", script))

    assert Path(job.stdout_path).read_text() == "True\n"


def test_a_time_limit_ends_the_job_as_timeout_and_leaves_no_process(
    bench: Bench,
) -> None:
    job_id = bench.launch("sleep", "30", limit=1)
    pid = bench.started(job_id).process_id

    job = bench.finish(job_id)

    assert job.state == JobState.TIMEOUT
    assert job.exit_code == "0:15"
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
    assert bench.leftovers() == []


def test_cancel_stops_a_running_job_and_records_it_cancelled(bench: Bench) -> None:
    job_id = bench.launch("sleep", "30")
    bench.started(job_id)

    assert bench.executor.cancel(job_id)
    job = bench.finish(job_id)

    assert (job.state, job.exit_code) == (JobState.CANCELLED, "0:15")
    assert bench.leftovers() == []
    assert bench.counter.used_cpus == 0


def test_cancel_escalates_to_sigkill_when_the_job_ignores_sigterm(
    bench: Bench,
) -> None:
    job_id = bench.launch("sh", "-c", "trap '' TERM; while :; do sleep 0.1; done")
    bench.started(job_id)

    bench.executor.cancel(job_id)
    job = bench.finish(job_id)

    assert job.state == JobState.CANCELLED
    assert job.exit_code == "0:9"
    assert bench.leftovers() == []


def test_jobs_outlive_the_launcher_and_their_reports_still_arrive(
    bench: Bench,
) -> None:
    job_id = bench.launch("sh", "-c", "sleep 0.5; exit 4")
    bench.started(job_id)
    launcher = bench.executor._launcher
    assert launcher is not None
    os.kill(launcher.pid, signal.SIGKILL)

    job = bench.finish(job_id)
    assert job.exit_code == "4:0"
    after = bench.finish(bench.launch("true"))
    assert after.state == JobState.COMPLETED
