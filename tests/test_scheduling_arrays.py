"""Job arrays end to end: one submission, a throttle, task ids everywhere."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.scheduling_helpers import Home, most_at_once, stamp

TASK_ID = 'import os; print(os.environ["RUNNER_ARRAY_TASK_ID"])'


@pytest.fixture
def home() -> Iterator[Home]:
    with Home() as made:
        yield made


def test_a_throttled_array_of_200_is_one_call_runs_4_at_most_and_logs_each_task(
    home: Home, record_property: Callable[[str, object], None]
) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "8"
    home.start()

    began = time.monotonic()
    added = home.runner("add", "-a", "1-200%4", "--", "python3", "-c", TASK_ID)
    seconds = time.monotonic() - began
    record_property("add_seconds", round(seconds, 3))
    print(f"add -a 1-200%4 took {seconds:.3f} s")

    assert added.stdout.startswith("Submitted job array ")
    array_id = int(added.stdout.split()[3])
    jobs = home.wait_final(array_id, timeout=120)
    assert len(jobs) == 200
    assert {job["state"] for job in jobs} == {"COMPLETED"}
    assert {job["array_job_id"] for job in jobs} == {array_id}
    assert sorted(job["array_task_id"] for job in jobs) == list(range(1, 201))
    runs = [(stamp(job["start_time"]), stamp(job["end_time"])) for job in jobs]
    assert most_at_once(runs) == 4
    for job in jobs:
        assert Path(job["stdout_path"]).read_text() == f"{job['array_task_id']}\n"
    assert len({job["stdout_path"] for job in jobs}) == 200


def test_each_task_sees_its_ids_in_braces_and_in_its_environment(home: Home) -> None:
    home.start()
    script = (
        "echo {} $RUNNER_ARRAY_JOB_ID $RUNNER_ARRAY_TASK_ID "
        "$RUNNER_ARRAY_TASK_COUNT $RUNNER_ARRAY_TASK_MIN $RUNNER_ARRAY_TASK_MAX "
        "$RUNNER_JOB_ID"
    )

    array_id = home.sh(script, "-a", "0-8:4,20")
    jobs = home.wait_final(array_id)

    assert [job["array_task_id"] for job in jobs] == [0, 4, 8, 20]
    for job in jobs:
        task = job["array_task_id"]
        expected = f"{task} {array_id} {task} 4 0 20 {job['id']}\n"
        assert Path(job["stdout_path"]).read_text() == expected


def test_log_patterns_name_each_tasks_files_in_the_submission_folder(
    home: Home,
) -> None:
    home.start()
    work = home.path / "work"
    (work / "out").mkdir(parents=True)

    array_id = home.add(
        "-a",
        "1-2",
        "-J",
        "sweep",
        "-D",
        str(work),
        "-o",
        "out/%x_%A_%a_%j.txt",
        "-e",
        "out/%a.err",
        "--",
        "/bin/sh",
        "-c",
        "echo out {}; echo err {} >&2",
    )
    jobs = home.wait_final(array_id)

    first, second = (job["id"] for job in jobs)
    out = work / "out"
    assert (out / f"sweep_{array_id}_1_{first}.txt").read_text() == "out 1\n"
    assert (out / f"sweep_{array_id}_2_{second}.txt").read_text() == "out 2\n"
    assert (out / "1.err").read_text() == "err 1\n"
    assert (out / "2.err").read_text() == "err 2\n"


def test_a_throttled_task_waits_with_the_array_limit_as_its_reason(
    home: Home,
) -> None:
    home.start()
    gate = home.path / "go"

    array_id = home.sh(f"while [ ! -e {gate} ]; do sleep 0.05; done", "-a", "1-3%1")
    home.wait_state(f"{array_id}_1", "RUNNING")

    home.wait_reason(f"{array_id}_2", "JobArrayTaskLimit")
    home.wait_reason(f"{array_id}_3", "JobArrayTaskLimit")
    assert home.state(f"{array_id}_2") == "PENDING"
    gate.touch()
    assert {job["state"] for job in home.wait_final(array_id)} == {"COMPLETED"}


def test_cancel_and_wait_act_on_one_task_or_on_the_whole_array(home: Home) -> None:
    home.start()
    array_id = home.sh("sleep 60", "-a", "1-3")
    one, two, three = (job["id"] for job in home.jobs(array_id))
    home.wait_state(one, "RUNNING")
    home.wait_state(two, "RUNNING")

    cancelled = home.runner("cancel", f"{array_id}_2")
    waited = home.runner("wait", f"{array_id}_2", check=False)

    assert cancelled.stdout == f"Job {two}: CANCELLED\n"
    assert waited.returncode == 128 + 15
    assert home.state(one) == "RUNNING"
    home.wait_state(three, "RUNNING")

    home.runner("cancel", str(array_id))
    waited = home.runner("wait", str(array_id), check=False)

    assert waited.returncode == 128 + 15
    assert [job["state"] for job in home.jobs(array_id)] == ["CANCELLED"] * 3


def test_wait_on_one_task_returns_while_the_others_run(home: Home) -> None:
    home.start()
    array_id = home.sh("test {} = 1 || sleep 60", "-a", "1-2")

    waited = home.runner("wait", f"{array_id}_1")

    assert waited.returncode == 0
    assert home.show(f"{array_id}_1")["state"] == "COMPLETED"
    assert home.show(f"{array_id}_2")["state"] == "RUNNING"


def test_wait_on_the_array_returns_when_every_task_has_ended(home: Home) -> None:
    home.start()
    array_id = home.sh("sleep 0.{}; exit $(( {} == 3 ))", "-a", "1-3")

    waited = home.runner("wait", str(array_id), check=False)

    assert waited.returncode == 1
    states = [job["state"] for job in home.jobs(array_id)]
    assert states == ["COMPLETED", "COMPLETED", "FAILED"]


def test_show_of_one_task_and_of_the_array(home: Home) -> None:
    home.start()
    array_id = home.sh("true", "-a", "5,7")
    home.wait_final(array_id)

    task = home.runner("show", "--json", f"{array_id}_7").stdout
    whole = home.runner("show", "--json", str(array_id)).stdout

    assert '"array_task_id": 7' in task
    assert '"array_task_id": 5' not in task
    assert '"array_task_id": 5' in whole and '"array_task_id": 7' in whole


def test_a_task_id_that_is_not_in_the_array_is_refused(home: Home) -> None:
    home.start()
    array_id = home.sh("true", "-a", "1-2")

    shown = home.runner("show", f"{array_id}_9", check=False)

    assert shown.returncode == 2
    assert f"unknown job id {array_id}_9" in shown.stderr


def test_status_lists_one_task_or_the_whole_array(home: Home) -> None:
    home.start()
    array_id = home.sh("true", "-a", "1-2")
    other = home.sh("true")
    home.wait_final(array_id, other)

    whole = home.runner("status", str(array_id)).stdout
    task = home.runner("status", f"{array_id}_2").stdout

    assert len(whole.splitlines()) == 3 and f"\n{other} " not in whole
    assert len(task.splitlines()) == 2
