"""How jobs end, as `runner add` then `runner show --json` report it."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from tests.home import RunnerHome
from tests.waiting import wait_until


@pytest.mark.parametrize(
    ("command", "state", "exit_code"),
    [
        (["true"], "COMPLETED", "0:0"),
        (["sh", "-c", "exit 3"], "FAILED", "3:0"),
        (["sh", "-c", "kill -TERM $$"], "FAILED", "0:15"),
        (["sh", "-c", "kill -KILL $$"], "FAILED", "0:9"),
    ],
)
def test_a_job_is_recorded_with_its_exact_exit_status(
    shared_home: RunnerHome, command: list[str], state: str, exit_code: str
) -> None:
    job_id = shared_home.add("--", *command)

    (job,) = shared_home.wait(job_id)

    assert (job["state"], job["exit_code"]) == (state, exit_code)


def test_a_job_whose_directory_is_gone_fails_naming_it(shared_home: RunnerHome) -> None:
    blocker = shared_home.add("-c", "2", "--", "sleep", "100")
    shared_home.wait_running(blocker)
    folder = shared_home.path / "work-dir"
    folder.mkdir()
    job_id = shared_home.add("-D", str(folder), "--", "true")
    assert shared_home.show(job_id)["state"] == "PENDING"

    folder.rmdir()
    shared_home.ok("cancel", str(blocker))
    (job,) = shared_home.wait(job_id)

    assert job["state"] == "FAILED"
    assert job["exit_code"] in ("-1:0", "127:0")
    assert str(folder) in job["error_msg"]


def test_a_job_past_its_time_limit_times_out_and_leaves_no_process(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add("-t", "0:02", "--", "sleep", "30")
    pid = shared_home.wait_running(job_id)["pid"]

    (job,) = shared_home.wait(job_id)

    assert job["state"] == "TIMEOUT"
    assert "time limit" in job["error_msg"]
    assert not _alive(pid)
    assert shared_home.job_processes("sleep 30") == []


def test_cancel_of_a_running_job_ends_it_cancelled_with_no_process_left(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add("--", "sleep", "100")
    pid = shared_home.wait_running(job_id)["pid"]

    done = shared_home.run("cancel", str(job_id))

    assert done.returncode == 0
    assert done.stdout.strip() == f"Job {job_id}: CANCELLED"
    assert shared_home.show(job_id)["state"] == "CANCELLED"
    wait_until(lambda: not _alive(pid), 5, "the job's process to be reaped")
    assert shared_home.job_processes("sleep 100") == []


def test_a_cancelled_pending_job_never_starts(
    shared_home: RunnerHome, tmp_path: Path
) -> None:
    blocker = shared_home.add("-c", "2", "--", "sleep", "100")
    shared_home.wait_running(blocker)
    marker = tmp_path / "started"
    job_id = shared_home.add("--", "touch", str(marker))

    shared_home.ok("cancel", str(job_id))
    shared_home.ok("cancel", str(blocker))

    assert shared_home.show(job_id)["state"] == "CANCELLED"
    assert shared_home.show(job_id)["start_time"] is None
    assert not marker.exists()


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
