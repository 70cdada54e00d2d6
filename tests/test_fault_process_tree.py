"""Cancel and time limits reach the whole tree, even processes that left it."""

from __future__ import annotations

from tests.home import RunnerHome
from tests.invariants import assert_invariants
from tests.waiting import wait_until


def _sleeps(home: RunnerHome, *seconds: str) -> list[str]:
    """The `sleep N` processes of this home still alive, for each N given."""
    alive = []
    for process in home.job_processes("sleep"):
        try:
            command = process.cmdline()
        except Exception:
            continue
        if command[-1:] and command[-1] in seconds:
            alive.append(command[-1])
    return sorted(alive)


def test_cancel_reaches_background_and_setsid_descendants(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add(
        "--", "bash", "-c", "sleep 1001 & setsid sleep 1002 & sleep 1003"
    )
    shared_home.wait_running(job_id)
    wait_until(
        lambda: (
            _sleeps(shared_home, "1001", "1002", "1003") == ["1001", "1002", "1003"]
        ),
        10,
        "the three sleeps to start",
    )

    shared_home.ok("cancel", str(job_id))

    assert shared_home.show(job_id)["state"] == "CANCELLED"
    wait_until(
        lambda: not _sleeps(shared_home, "1001", "1002", "1003"), 3, "no sleep left"
    )
    assert_invariants(shared_home, [job_id])


def test_cancel_reaches_a_double_forked_daemon(shared_home: RunnerHome) -> None:
    job_id = shared_home.add(
        "--", "sh", "-c", "( ( setsid sleep 1011 & ) & ); exec sleep 1012"
    )
    shared_home.wait_running(job_id)
    wait_until(lambda: len(_sleeps(shared_home, "1011", "1012")) == 2, 10, "two sleeps")

    shared_home.ok("cancel", str(job_id))

    wait_until(lambda: not _sleeps(shared_home, "1011", "1012"), 3, "no sleep left")
    assert shared_home.show(job_id)["state"] == "CANCELLED"


def test_a_job_that_ignores_sigterm_is_killed_after_the_grace(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add(
        "--", "bash", "-c", "trap '' TERM; sleep 1021 & while :; do sleep 0.1; done"
    )
    shared_home.wait_running(job_id)
    wait_until(lambda: _sleeps(shared_home, "1021"), 10, "the sleep to start")

    shared_home.ok("cancel", str(job_id))

    job = shared_home.show(job_id)
    assert (job["state"], job["exit_code"]) == ("CANCELLED", "0:9")
    wait_until(lambda: not _sleeps(shared_home, "1021"), 3, "no sleep left")
    assert_invariants(shared_home, [job_id])


def test_a_time_limit_reaches_descendants_that_left_the_group(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add(
        "-t", "0:01", "--", "bash", "-c", "setsid sleep 1031 & wait"
    )

    (job,) = shared_home.wait(job_id)

    assert job["state"] == "TIMEOUT"
    wait_until(lambda: not _sleeps(shared_home, "1031"), 3, "no sleep left")


def test_background_processes_left_by_a_finished_job_are_stopped_and_noted(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add(
        "--", "sh", "-c", "setsid sleep 1041 & sleep 1042 & exit 0"
    )

    (job,) = shared_home.wait(job_id)

    assert (job["state"], job["exit_code"]) == ("COMPLETED", "0:0")
    assert "background" in job["error_msg"]
    assert not _sleeps(shared_home, "1041", "1042")
