"""Priorities and backfill end to end, read from the jobs' recorded times."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scheduling_helpers import Home, stamp


@pytest.fixture
def home() -> Iterator[Home]:
    with Home() as made:
        yield made


def gated(gate: str) -> str:
    return f"while [ ! -e {gate} ]; do sleep 0.05; done"


def test_a_wide_head_is_not_starved_and_short_limited_jobs_fill_the_gap(
    home: Home,
) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "4"
    home.start()
    gate = home.path / "go"
    running = home.sh(gated(str(gate)), "-c", "2", "-t", "1:00")
    home.wait_state(running, "RUNNING")

    head = home.sh("true", "-c", "4")
    stream = [home.sh("sleep 0.2") for _ in range(4)]
    short = [home.sh("sleep 0.2", "-t", "0:20") for _ in range(3)]
    for job_id in short:
        home.wait_state(job_id, "COMPLETED")

    assert home.show(head)["reason"] == "Resources"
    assert [home.show(job_id)["reason"] for job_id in stream] == ["Priority"] * 4
    gate.touch()
    jobs = home.wait_final(running, head, *stream, *short)
    assert {job["state"] for job in jobs} == {"COMPLETED"}
    start = {job["id"]: stamp(job["start_time"]) for job in jobs}
    end = {job["id"]: stamp(job["end_time"]) for job in jobs}
    for job_id in short:
        assert start[job_id] < start[head]
    for job_id in stream:
        assert start[job_id] >= end[head]


def test_a_limited_job_that_would_delay_the_head_does_not_jump(home: Home) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "4"
    home.start()
    gate = home.path / "go"
    running = home.sh(gated(str(gate)), "-c", "2", "-t", "0:30")
    home.wait_state(running, "RUNNING")

    head = home.sh("true", "-c", "4")
    too_long = home.sh("true", "-t", "5:00")
    fits = home.sh("true", "-t", "0:05")
    home.wait_state(fits, "COMPLETED")

    assert home.show(too_long)["reason"] == "Priority"
    gate.touch()
    jobs = home.wait_final(head, too_long)
    assert stamp(jobs[1]["start_time"]) >= stamp(jobs[0]["end_time"])


def test_nothing_jumps_a_head_waiting_on_a_job_without_a_limit(home: Home) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "4"
    home.start()
    gate = home.path / "go"
    running = home.sh(gated(str(gate)), "-c", "2")
    home.wait_state(running, "RUNNING")

    head = home.sh("true", "-c", "4")
    short = home.sh("true", "-t", "0:01")
    home.wait_reason(head, "Resources")

    assert home.show(short)["reason"] == "Priority"
    gate.touch()
    jobs = home.wait_final(head, short)
    assert stamp(jobs[1]["start_time"]) >= stamp(jobs[0]["end_time"])


def test_higher_priority_starts_first_and_top_moves_a_job_to_the_front(
    home: Home,
) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "1"
    home.start()
    gate = home.path / "go"
    order = home.path / "order"
    running = home.sh(gated(str(gate)))
    home.wait_state(running, "RUNNING")

    low = home.sh(f"echo low >> {order}")
    high = home.sh(f"echo high >> {order}", "--priority", "5")
    last = home.sh(f"echo top >> {order}", "--priority", "-3")
    topped = home.runner("top", str(last))

    assert topped.stdout == f"Job {last}: top done (PENDING)\n"
    assert home.show(last)["priority"] > 5
    gate.touch()
    home.wait_final(low, high, last)
    assert order.read_text().split() == ["top", "high", "low"]


def test_top_refuses_a_job_that_is_not_pending(home: Home) -> None:
    home.start()
    done = home.sh("true")
    home.wait_state(done, "COMPLETED")

    refused = home.runner("top", str(done), check=False)

    assert refused.returncode == 1
    assert "cannot top a COMPLETED job" in refused.stdout


def test_top_on_an_array_moves_its_tasks_first_in_their_own_order(
    home: Home,
) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "1"
    home.start()
    gate = home.path / "go"
    order = home.path / "order"
    running = home.sh(gated(str(gate)))
    home.wait_state(running, "RUNNING")
    other = home.sh(f"echo other >> {order}", "--priority", "9")
    array_id = home.sh(f"echo {{}} >> {order}", "-a", "1-3")

    home.runner("top", str(array_id))
    gate.touch()
    home.wait_final(other, array_id)

    assert order.read_text().split() == ["1", "2", "3", "other"]
