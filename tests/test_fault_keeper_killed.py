"""kill -9 of a keeper or of the launcher: no job stays RUNNING forever."""

from __future__ import annotations

import os
import signal

import psutil

from tests.gated import gated_job, open_gate
from tests.home import RunnerHome
from tests.invariants import assert_invariants
from tests.waiting import wait_until


def _keeper_of(home: RunnerHome, job_id: int) -> int:
    with home.database() as db:
        (keeper,) = db.execute(
            "SELECT keeper_id FROM resource_allocations "
            "WHERE job_id = ? AND status != 'RELEASED'",
            (job_id,),
        ).fetchone()
    assert keeper, f"job {job_id} has no keeper recorded"
    return int(keeper)


def _launcher_of(host: int) -> psutil.Process:
    (launcher,) = [
        child
        for child in psutil.Process(host).children()
        if "runner.launcher" in " ".join(child.cmdline())
    ]
    return launcher


def test_a_job_whose_keeper_is_killed_ends_failed_with_its_status_unknown(
    home: RunnerHome,
) -> None:
    home.serve()
    job_id = home.add("--", *gated_job(home.path, "exit 7"))
    pid = home.wait_running(job_id)["pid"]
    bystander = home.add("--", *gated_job(home.path, "exit 3"))
    home.wait_running(bystander)

    os.kill(_keeper_of(home, job_id), signal.SIGKILL)
    assert psutil.Process(pid).is_running()
    open_gate(home.path)
    jobs = home.wait(job_id, bystander)

    assert jobs[0]["state"] == "FAILED"
    assert "unknown" in jobs[0]["error_msg"] and "keeper" in jobs[0]["error_msg"]
    assert jobs[1]["exit_code"] == "3:0"
    assert_invariants(home, [job_id, bystander], home.path / "launches")


def test_a_keeper_and_the_host_both_killed_still_end_the_job(
    home: RunnerHome,
) -> None:
    host = home.serve()
    job_id = home.add("--", *gated_job(home.path, "exit 7"))
    home.wait_running(job_id)

    os.kill(_keeper_of(home, job_id), signal.SIGKILL)
    os.kill(host.pid, signal.SIGKILL)
    host.wait()
    home.serve()
    assert home.show(job_id)["state"] == "RUNNING"
    open_gate(home.path)
    (job,) = home.wait(job_id)

    assert job["state"] == "FAILED" and "unknown" in job["error_msg"]
    assert_invariants(home, [job_id], home.path / "launches")


def test_cancel_just_after_the_keeper_died_still_stops_the_job(
    home: RunnerHome,
) -> None:
    job_id = home.add("--", "sleep", "100")
    pid = home.wait_running(job_id)["pid"]
    os.kill(_keeper_of(home, job_id), signal.SIGKILL)

    done = home.run("cancel", str(job_id), timeout=5)

    assert done.returncode == 0
    assert not _alive(pid)
    assert home.show(job_id)["state"] != "RUNNING"


def test_cancel_of_a_job_watched_without_its_keeper_records_it_cancelled(
    home: RunnerHome,
) -> None:
    job_id = home.add("--", "sleep", "100")
    pid = home.wait_running(job_id)["pid"]
    os.kill(_keeper_of(home, job_id), signal.SIGKILL)
    host_log = home.path / "host.log"
    wait_until(lambda: "alone" in host_log.read_text(), 10, "the host to notice")

    done = home.run("cancel", str(job_id))

    wait_until(lambda: not _alive(pid), 5, "the job to be stopped")
    assert done.stdout.strip() == f"Job {job_id}: CANCELLED"


def test_jobs_outlive_a_killed_launcher_with_their_exact_status(
    home: RunnerHome,
) -> None:
    host = home.serve()
    first = home.add("--", *gated_job(home.path, "exit 5"))
    second = home.add("--", *gated_job(home.path, "kill -TERM $$"))
    home.wait_running(first)
    home.wait_running(second)
    launcher = _launcher_of(host.pid)

    launcher.kill()
    wait_until(lambda: _dead(launcher), 5, "the launcher to die")
    open_gate(home.path)
    jobs = home.wait(first, second)

    assert [job["exit_code"] for job in jobs] == ["5:0", "0:15"]
    later = home.add("--", "true")
    assert home.wait(later)[0]["state"] == "COMPLETED"
    wait_until(lambda: _launcher_of(host.pid).pid != launcher.pid, 10, "a launcher")
    assert_invariants(home, [first, second, later], home.path / "launches")


def _dead(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _alive(pid: int) -> bool:
    return not _dead(psutil.Process(pid)) if psutil.pid_exists(pid) else False
