"""Dependencies end to end: pipelines run in order, and break cleanly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scheduling_helpers import Home, lines, stamp


@pytest.fixture
def home() -> Iterator[Home]:
    with Home() as made:
        yield made


def gate_script(gate: str, then: str = "true") -> str:
    """A shell script that waits for the file gate to exist, then runs then."""
    return f"while [ ! -e {gate} ]; do sleep 0.05; done; {then}"


def test_a_three_step_afterok_pipeline_runs_in_order(home: Home) -> None:
    home.start()
    order = home.path / "order"
    gate = home.path / "go"

    first = home.sh(gate_script(str(gate), f"echo 1 >> {order}"))
    second = home.sh(f"echo 2 >> {order}", "-d", f"afterok:{first}")
    third = home.sh(f"echo 3 >> {order}", "--after", str(second))

    home.wait_reason(second, "Dependency")
    home.wait_reason(third, "Dependency")
    assert home.show(third)["dependency"] == f"afterok:{second}"
    gate.touch()
    jobs = home.wait_final(first, second, third)

    assert [job["state"] for job in jobs] == ["COMPLETED"] * 3
    assert lines(order) == ["1", "2", "3"]
    assert stamp(jobs[1]["start_time"]) >= stamp(jobs[0]["end_time"])
    assert stamp(jobs[2]["start_time"]) >= stamp(jobs[1]["end_time"])


def test_when_step_one_fails_the_later_steps_are_cancelled_naming_it(
    home: Home,
) -> None:
    home.start()
    gate = home.path / "go"

    first = home.sh(gate_script(str(gate), "exit 3"))
    second = home.sh("true", "--after", str(first))
    third = home.sh("true", "--after", str(second))
    gate.touch()
    jobs = home.wait_final(first, second, third)

    assert [job["state"] for job in jobs] == ["FAILED", "CANCELLED", "CANCELLED"]
    assert jobs[1]["start_time"] is None and jobs[2]["start_time"] is None
    assert f"dependency afterok:{first} can never be satisfied" in jobs[1]["error_msg"]
    assert f"afterok:{second}" in jobs[2]["error_msg"]


def test_a_broken_chain_is_cancelled_even_while_every_cpu_is_busy(
    home: Home,
) -> None:
    home.start()
    gate, hold = home.path / "go", home.path / "hold"
    busy = home.sh(gate_script(str(hold)))
    first = home.sh(gate_script(str(gate), "exit 3"))
    home.wait_state(first, "RUNNING")
    queued = home.sh(gate_script(str(hold)))
    second = home.sh("true", "--after", str(first))
    third = home.sh("true", "--after", str(second))

    gate.touch()
    home.wait_state(queued, "RUNNING")

    assert home.wait_state(second, "CANCELLED")["start_time"] is None
    assert home.wait_state(third, "CANCELLED")["start_time"] is None
    assert home.state(busy) == "RUNNING"
    hold.touch()


def test_a_waiting_job_gives_dependency_as_its_reason_while_every_cpu_is_busy(
    home: Home,
) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "1"
    home.start()
    gate = home.path / "go"
    busy = home.sh(gate_script(str(gate)))
    home.wait_state(busy, "RUNNING")

    waiting = home.sh("true", "--after", str(busy))
    behind = home.sh("true")

    home.wait_reason(waiting, "Dependency")
    assert home.show(behind)["reason"] in ("Resources", "Priority")
    gate.touch()
    assert home.wait_state(waiting, "COMPLETED")["attempt"] == 1


def test_afternotok_runs_the_cleanup_only_when_the_step_failed(home: Home) -> None:
    home.start()

    failing = home.sh("exit 1")
    passing = home.sh("true")
    cleanup = home.sh("echo cleaned", "-d", f"afternotok:{failing}")
    skipped = home.sh("echo cleaned", "-d", f"afternotok:{passing}")
    jobs = home.wait_final(failing, passing, cleanup, skipped)

    assert [job["state"] for job in jobs] == [
        "FAILED",
        "COMPLETED",
        "COMPLETED",
        "CANCELLED",
    ]
    assert home.log(cleanup) == "cleaned\n"
    assert f"afternotok:{passing}" in jobs[3]["error_msg"]


def test_afterany_runs_after_a_failure_and_after_waits_only_for_a_start(
    home: Home,
) -> None:
    home.start()
    gate = home.path / "go"

    step = home.sh(gate_script(str(gate), "exit 2"))
    started = home.sh("true", "-d", f"after:{step}")
    home.wait_state(started, "COMPLETED")
    anyway = home.sh("true", "-d", f"afterany:{step}")

    home.wait_reason(anyway, "Dependency")
    assert home.state(step) == "RUNNING"
    gate.touch()
    assert home.wait_state(anyway, "COMPLETED", "CANCELLED")["state"] == "COMPLETED"


def test_any_of_runs_when_one_term_holds_though_another_never_will(
    home: Home,
) -> None:
    home.start()

    failing = home.sh("exit 1")
    passing = home.sh("true")
    either = home.sh("true", "-d", f"afterok:{failing}?afterok:{passing}")
    both = home.sh("true", "-d", f"afterok:{failing},afterok:{passing}")
    jobs = home.wait_final(either, both)

    assert [job["state"] for job in jobs] == ["COMPLETED", "CANCELLED"]


def test_a_dependency_on_an_array_waits_for_every_task(home: Home) -> None:
    home.start()
    order = home.path / "order"

    array_id = home.sh(f"sleep 0.{{}}; echo {{}} >> {order}", "-a", "1-3")
    after = home.sh(f"echo after >> {order}", "--after", str(array_id))
    home.wait_final(after)

    assert lines(order)[-1] == "after"
    assert sorted(lines(order)[:-1]) == ["1", "2", "3"]
    dependency = home.show(after)["dependency"]
    assert dependency == f"afterok:{array_id}:{array_id + 1}:{array_id + 2}"


@pytest.mark.parametrize(
    "flags", [["-d", "afterok:999"], ["--after", "999"], ["-d", "afterany:1:999"]]
)
def test_an_unknown_job_id_is_refused_at_submission(
    home: Home, flags: list[str]
) -> None:
    home.start()
    home.sh("true")

    refused = home.runner("add", *flags, "--", "true", check=False)

    assert refused.returncode == 2
    assert "unknown job id 999" in refused.stderr
    assert len(home.client.request("list")["jobs"]) == 1


def test_a_malformed_dependency_is_refused_before_the_host_is_asked(
    home: Home,
) -> None:
    refused = home.runner("add", "-d", "afterwards:1", "--", "true", check=False)

    assert refused.returncode == 2
    assert "-d/--dependency" in refused.stderr
    assert not (home.path / "runner.sock").exists()


@pytest.mark.xfail(
    strict=True, reason="dependencies name whole jobs or arrays, not one task (N_T)"
)
def test_after_one_task_of_an_array_waits_for_that_task(home: Home) -> None:
    home.start()
    array_id = home.sh("true", "-a", "1-2")

    job_id = home.add("--after", f"{array_id}_2", "--", "true")

    assert home.show(job_id)["dependency"] == f"afterok:{array_id + 1}"
