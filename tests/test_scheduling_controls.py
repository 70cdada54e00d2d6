"""Pause, holds, delays, retries and the on_finish hook, end to end."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from runner.spec import JobSpec
from tests.scheduling_helpers import Home, children_of, process_state, stamp, wait_for


@pytest.fixture
def home() -> Iterator[Home]:
    with Home() as made:
        yield made


def gated(gate: object, then: str = "true") -> str:
    return f"while [ ! -e {gate} ]; do sleep 0.05; done; {then}"


def tree_states(pid: int) -> set[str]:
    """The states of a process and of every live process below it.

    A child that exited just before its parent was stopped stays a zombie
    until the parent runs again; it runs nothing, so it is left out.
    """
    states = set()
    for member in [pid, *children_of(pid)]:
        try:
            states.add(process_state(member))
        except FileNotFoundError:
            continue
    return states - {"Z"}


def test_pause_stops_the_whole_tree_and_resume_lets_it_finish(home: Home) -> None:
    home.start()
    gate = home.path / "go"
    job_id = home.sh(f"sleep 60 & {gated(gate)}; kill $!; echo finished")
    pid = wait_for(lambda: home.show(job_id)["pid"], "the job's pid")
    wait_for(lambda: children_of(pid), "the job's children")

    paused = home.runner("pause", str(job_id))

    assert paused.stdout == f"Job {job_id}: pause done (SUSPENDED)\n"
    assert home.state(job_id) == "SUSPENDED"
    wait_for(lambda: tree_states(pid) == {"T"}, "every process to stop")
    gate.touch()
    assert tree_states(pid) == {"T"}
    assert home.state(job_id) == "SUSPENDED"

    resumed = home.runner("resume", str(job_id))

    assert resumed.stdout == f"Job {job_id}: resume done (RUNNING)\n"
    job = home.wait_state(job_id, "COMPLETED", "FAILED", "CANCELLED")
    assert job["state"] == "COMPLETED"
    assert home.log(job_id) == "finished\n"


def test_a_job_paused_the_moment_it_runs_is_really_stopped(home: Home) -> None:
    """Pause may come before the job's keeper has reported its processes.

    Submitted through the socket, not the CLI, to ask that early.
    """
    home.start()
    gate = home.path / "go"
    spec = JobSpec(["/bin/sh", "-c", gated(gate)], str(home.path), home.env)
    for _ in range(5):
        job_id = home.client.request("add", spec=spec.to_dict())["id"]
        wait_for(lambda j=job_id: home.state(j) == "RUNNING", "the start", every=0)

        home.client.request("pause", ids=[job_id])

        pid = wait_for(lambda j=job_id: home.show(j)["pid"], "the job's pid")
        wait_for(lambda p=pid: tree_states(p) == {"T"}, "the job to stop")
        assert home.state(job_id) == "SUSPENDED"
        home.client.request("cancel", ids=[job_id])


def test_the_time_limit_does_not_run_while_a_job_is_paused(home: Home) -> None:
    home.start()
    gate = home.path / "go"
    job_id = home.sh(gated(gate), "-t", "0:02")
    pid = wait_for(lambda: home.show(job_id)["pid"], "the job's pid")

    home.client.request("pause", ids=[job_id])
    wait_for(lambda: tree_states(pid) == {"T"}, "the job to stop")
    started = stamp(home.show(job_id)["start_time"])
    wait_for(lambda: time.time() > started + 3, "the limit to pass", timeout=10)

    assert home.state(job_id) == "SUSPENDED"
    home.runner("resume", str(job_id))
    gate.touch()
    assert home.wait_state(job_id, "COMPLETED", "TIMEOUT")["state"] == "COMPLETED"


def test_a_paused_job_can_be_cancelled(home: Home) -> None:
    home.start()
    job_id = home.sh("sleep 60")
    wait_for(lambda: home.show(job_id)["pid"], "the job's pid")
    home.runner("pause", str(job_id))

    home.runner("cancel", str(job_id))

    assert home.wait_state(job_id, "CANCELLED")["exit_code"] == "0:15"


def test_only_a_running_job_can_be_paused_and_only_a_paused_one_resumed(
    home: Home,
) -> None:
    home.start()
    done = home.sh("true")
    home.wait_state(done, "COMPLETED")

    paused = home.runner("pause", str(done), check=False)
    resumed = home.runner("resume", str(done), check=False)

    assert paused.returncode == 1
    assert "cannot pause a COMPLETED job" in paused.stdout
    assert resumed.returncode == 1


def test_a_job_submitted_held_waits_until_released(home: Home) -> None:
    home.start()

    job_id = home.sh("true", "--hold")

    assert home.show(job_id)["reason"] == "Held"
    assert home.show(job_id)["held"] is True
    home.runner("release", str(job_id))
    assert home.wait_state(job_id, "COMPLETED")["held"] is False


def test_hold_keeps_a_pending_job_back_until_release(home: Home) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "1"
    home.start()
    gate = home.path / "go"
    busy = home.sh(gated(gate))
    home.wait_state(busy, "RUNNING")
    held = home.sh("true")
    free = home.sh("true")

    home.runner("hold", str(held))
    gate.touch()
    home.wait_state(free, "COMPLETED")

    assert home.show(held)["state"] == "PENDING"
    assert home.show(held)["reason"] == "Held"
    refused = home.runner("hold", str(free), check=False)
    assert refused.returncode == 1 and "cannot hold a COMPLETED job" in refused.stdout
    home.runner("release", str(held))
    home.wait_state(held, "COMPLETED")


def test_a_job_with_a_begin_time_waits_for_it_then_runs(home: Home) -> None:
    home.start()

    job_id = home.sh("true", "--begin", "now+2")
    pending = home.show(job_id)

    assert pending["state"] == "PENDING"
    assert pending["reason"] == "BeginTime"
    job = home.wait_state(job_id, "COMPLETED")
    assert stamp(job["start_time"]) >= stamp(pending["begin_time"])


def test_retry_runs_a_failed_job_again_keeping_its_history(home: Home) -> None:
    home.start()
    flag = home.path / "flag"
    job_id = home.sh(
        f"if [ -e {flag} ]; then echo second; else touch {flag}; exit 3; fi"
    )
    first = home.wait_state(job_id, "FAILED")

    retried = home.runner("retry", str(job_id))

    assert retried.stdout.startswith(f"Job {job_id}: retry done")
    job = home.wait_state(job_id, "COMPLETED")
    assert job["attempt"] == 2
    assert [(a["attempt"], a["state"], a["exit_code"]) for a in job["attempts"]] == [
        (1, "FAILED", "3:0")
    ]
    assert job["attempts"][0]["start_time"] == first["start_time"]
    assert job["stdout_path"] != first["stdout_path"]
    assert home.log(job_id) == "second\n"


def test_retry_refuses_a_completed_job_and_reruns_a_cancelled_one(
    home: Home,
) -> None:
    home.start()
    gate = home.path / "go"
    done = home.sh("true")
    cancelled = home.sh(gated(gate))
    home.wait_state(done, "COMPLETED")
    home.wait_state(cancelled, "RUNNING")
    home.runner("cancel", str(cancelled))

    refused = home.runner("retry", str(done), check=False)
    home.runner("retry", str(cancelled))
    gate.touch()

    assert refused.returncode == 1
    assert "cannot retry a COMPLETED job" in refused.stdout
    job = home.wait_state(cancelled, "COMPLETED")
    assert job["attempt"] == 2
    assert [(a["state"], a["exit_code"]) for a in job["attempts"]] == [
        ("CANCELLED", "0:15")
    ]


def test_retries_run_a_failing_job_again_until_it_succeeds(home: Home) -> None:
    home.start()
    count = home.path / "count"
    script = f"echo x >> {count}; test $(wc -l < {count}) -ge 3"

    job_id = home.sh(script, "--retries", "5")
    job = home.wait_state(job_id, "COMPLETED")

    assert job["attempt"] == 3
    assert [a["state"] for a in job["attempts"]] == ["FAILED", "FAILED"]


def test_retries_stop_after_the_last_allowed_attempt(home: Home) -> None:
    home.start()

    job_id = home.sh("exit 4", "--retries", "2")
    job = wait_for(
        lambda: (
            (j := home.show(job_id))["attempt"] == 3 and j["state"] == "FAILED" and j
        ),
        "the third attempt to fail",
    )

    assert [a["exit_code"] for a in job["attempts"]] == ["4:0", "4:0"]
    assert job["exit_code"] == "4:0"


def test_a_cancelled_job_is_not_retried_whatever_its_retries(home: Home) -> None:
    home.start()
    job_id = home.sh("sleep 60", "--retries", "3")
    home.wait_state(job_id, "RUNNING")

    home.runner("cancel", str(job_id))

    job = home.wait_state(job_id, "CANCELLED")
    assert job["attempt"] == 1 and job["attempts"] == []


def test_the_on_finish_hook_gets_the_jobs_id_state_and_exit_code(home: Home) -> None:
    record = home.path / "hook.txt"
    script = f'echo "$RUNNER_JOB_ID $RUNNER_JOB_STATE $RUNNER_EXIT_CODE" >> {record}'
    home.config(f"[hooks]\non_finish = ['/bin/sh', '-c', '{script}']\n")
    home.start()

    passed = home.sh("true")
    failed = home.sh("exit 5")
    home.wait_final(passed, failed)

    lines = wait_for(
        lambda: (
            record.exists()
            and len(record.read_text().splitlines()) == 2
            and record.read_text().splitlines()
        ),
        "the hook to run twice",
    )
    assert sorted(lines) == sorted([f"{passed} COMPLETED 0:0", f"{failed} FAILED 5:0"])


def test_a_hanging_hook_is_killed_with_its_children_and_never_changes_the_job(
    home: Home,
) -> None:
    started = home.path / "started"
    home.config(
        "[hooks]\n"
        f"on_finish = ['/bin/sh', '-c', 'sleep 30 & echo $! > {started}; wait']\n"
        "timeout = 0.5\n"
    )
    home.start()

    job_id = home.sh("true")
    wait_for(lambda: "on_finish hook timed out" in home.host_log(), "the timeout")

    child = int(started.read_text())
    wait_for(lambda: not _alive(child), "the hook's child to be killed", 5)
    job = home.show(job_id)
    assert (job["state"], job["exit_code"], job["error_msg"]) == (
        "COMPLETED",
        "0:0",
        None,
    )


def test_a_hook_that_exits_non_zero_is_logged(home: Home) -> None:
    home.config("[hooks]\non_finish = ['/bin/sh', '-c', 'echo nope >&2; exit 7']\n")
    home.start()

    job_id = home.sh("exit 2")
    wait_for(lambda: "on_finish hook exited 7: nope" in home.host_log(), "the log")

    job = home.show(job_id)
    assert (job["state"], job["exit_code"]) == ("FAILED", "2:0")


def test_limits_prints_what_the_host_hands_out(home: Home) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "1"
    home.env["RUNNER_GPUS"] = "3,5"
    home.config("memory = 2048\n[hooks]\non_finish = ['true']\ntimeout = 4\n")
    home.start()

    limits = home.runner("limits").stdout

    assert "cpus: 1\n" in limits
    assert "memory_mib: 2048\n" in limits
    assert "gpus: [3, 5]\n" in limits
    assert "grace_seconds: 1.0\n" in limits
    assert "on_finish: ['true']\n" in limits
    assert "hook_timeout_seconds: 4.0\n" in limits


def test_the_hook_runs_for_a_job_cancelled_before_it_started(home: Home) -> None:
    record = home.path / "hook.txt"
    script = f'echo "$RUNNER_JOB_ID $RUNNER_JOB_STATE" >> {record}'
    home.config(f"[hooks]\non_finish = ['/bin/sh', '-c', '{script}']\n")
    home.start()

    held = home.sh("true", "--hold")
    home.runner("cancel", str(held))
    later = home.sh("true")

    wait_for(lambda: f"{later} COMPLETED" in home.host_log() + _text(record), "hook")
    wait_for(lambda: f"{held} CANCELLED\n" in _text(record), "the hook", timeout=1)


def _text(path: object) -> str:
    try:
        with open(str(path)) as file:
            return file.read()
    except FileNotFoundError:
        return ""


def _alive(pid: int) -> bool:
    """Whether pid names a process that is not a zombie."""
    try:
        return process_state(pid) != "Z"
    except FileNotFoundError:
        return False
