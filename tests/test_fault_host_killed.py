"""kill -9 of the host while jobs run: a new host finds every exact ending."""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from tests.gated import ENDINGS, gated_job, open_gate
from tests.home import RunnerHome
from tests.invariants import assert_invariants
from tests.waiting import wait_until


def _submit_and_run(home: RunnerHome) -> dict[int, str]:
    """Ten gated jobs, all running; the exit_code each must end with."""
    expected = {
        home.add("--", *gated_job(home.path, ending)): code for ending, code in ENDINGS
    }

    def all_running() -> bool:
        jobs = [job for job in home.status() if job["id"] in expected]
        return all(job["state"] == "RUNNING" and job["pid"] for job in jobs)

    wait_until(all_running, 30, "ten jobs to run")
    return expected


@pytest.mark.parametrize("jobs_end", ["while-no-host-runs", "under-the-new-host"])
def test_after_the_host_is_killed_every_job_ends_with_its_exact_status(
    make_home: type[RunnerHome], jobs_end: str
) -> None:
    home = make_home(cpus=10)
    host = home.serve()
    expected = _submit_and_run(home)
    pids = [home.show(job_id)["pid"] for job_id in expected]

    os.kill(host.pid, signal.SIGKILL)
    host.wait()

    assert all(psutil.pid_exists(pid) for pid in pids)
    if jobs_end == "while-no-host-runs":
        open_gate(home.path)
        wait_until(lambda: not any(map(_alive, pids)), 20, "the jobs to end")
        home.serve()
    else:
        home.serve()
        open_gate(home.path)
    jobs = home.wait(*expected)

    assert {job["id"]: job["exit_code"] for job in jobs} == expected
    assert all(job["state"] in ("COMPLETED", "FAILED") for job in jobs)
    assert_invariants(home, expected, launch_log=home.path / "launches")


def test_a_job_reserved_but_never_launched_goes_back_to_the_queue(
    make_home: type[RunnerHome],
) -> None:
    home = make_home(cpus=2)
    home.serve()
    blocker = home.add("-c", "2", "--", "sleep", "100")
    home.wait_running(blocker)
    job_id = home.add("--", *gated_job(home.path, "exit 0", pause=0))
    home.stop_host()
    with home.database() as db:
        db.execute(
            "UPDATE jobs SET state = 'RUNNING', start_time = submit_time WHERE id = ?",
            (job_id,),
        )
        db.execute(
            "INSERT INTO resource_allocations (job_id, cpus, node_name, status, mem) "
            "VALUES (?, 1, 'x', 'RESERVED', 0)",
            (job_id,),
        )
        db.commit()

    home.serve()
    assert home.show(job_id)["state"] == "PENDING"
    open_gate(home.path)
    home.ok("cancel", str(blocker))
    (job,) = home.wait(job_id)

    assert (job["state"], job["exit_code"]) == ("COMPLETED", "0:0")
    assert_invariants(home, [blocker, job_id], launch_log=home.path / "launches")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_a_job_adopted_from_a_killed_host_can_still_be_cancelled(
    home: RunnerHome,
) -> None:
    host = home.serve()
    job_id = home.add("--", "bash", "-c", "setsid sleep 1051 & sleep 1052")
    pid = home.wait_running(job_id)["pid"]
    os.kill(host.pid, signal.SIGKILL)
    host.wait()
    home.serve()

    done = home.run("cancel", str(job_id))

    assert done.stdout.strip() == f"Job {job_id}: CANCELLED"
    wait_until(lambda: not _alive(pid), 5, "the job to stop")
    wait_until(lambda: not home.job_processes("sleep 105"), 5, "no sleep left")
    assert_invariants(home, [job_id])
