"""GPUs, memory and CPU pinning end to end, on fake GPU indices."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator

import pytest

from tests.scheduling_helpers import Home, stamp, wait_for

GPU_JOB = (
    'echo "$CUDA_VISIBLE_DEVICES" "$(date +%s.%N)"; '
    "while [ ! -e {gate} ]; do sleep 0.05; done; date +%s.%N"
)
HOG = "x = b'x' * ({mib} << 20); import time; time.sleep({seconds})"


@pytest.fixture
def home() -> Iterator[Home]:
    with Home() as made:
        yield made


def allocations(home: Home) -> dict[int, tuple[str | None, str | None]]:
    """Each job's last allocation's GPU and core indices, as stored."""
    with sqlite3.connect(f"file:{home.path / 'runner.db'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT job_id, gpu_ids, core_ids FROM resource_allocations ORDER BY id"
        ).fetchall()
    return {job_id: (gpus, cores) for job_id, gpus, cores in rows}


def test_three_one_gpu_jobs_on_two_gpus_never_share_one_and_the_third_waits(
    home: Home,
) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "4"
    home.env["RUNNER_GPUS"] = "0,1"
    home.start()
    gates = [home.path / f"go{i}" for i in range(3)]

    jobs = [
        home.sh(GPU_JOB.format(gate=gates[0]), "-G", "1"),
        home.sh(GPU_JOB.format(gate=gates[1]), "--gres", "gpu:1"),
        home.sh(GPU_JOB.format(gate=gates[2]), "--gpus", "1"),
    ]
    home.wait_state(jobs[0], "RUNNING")
    home.wait_state(jobs[1], "RUNNING")
    home.wait_reason(jobs[2], "Resources")
    first_two = [wait_for(lambda j=j: home.log(j), "a log").split() for j in jobs[:2]]
    assert sorted(words[0] for words in first_two) == ["0", "1"]

    gates[0].touch()
    home.wait_state(jobs[0], "COMPLETED")
    gates[2].touch()
    home.wait_state(jobs[2], "COMPLETED")
    gates[1].touch()
    home.wait_final(*jobs)

    runs = [home.log(job_id).split() for job_id in jobs]
    assert runs[2][0] == runs[0][0]
    assert float(runs[2][1]) >= float(runs[0][2])
    assert runs[2][0] != runs[1][0]
    assert float(runs[2][2]) <= float(runs[1][2])
    stored = allocations(home)
    assert [stored[job_id][0] for job_id in jobs] == [run[0] for run in runs]


def test_a_job_that_asked_for_no_gpu_sees_an_empty_device_list(home: Home) -> None:
    home.env["RUNNER_GPUS"] = "0,1"
    home.env["CUDA_VISIBLE_DEVICES"] = "1"
    home.start()

    job_id = home.sh('echo "[${CUDA_VISIBLE_DEVICES-unset}]"')
    home.wait_state(job_id, "COMPLETED")

    assert home.log(job_id) == "[]\n"


def test_the_config_can_leave_a_jobs_own_device_list_alone(home: Home) -> None:
    home.config("empty_cuda_visible_devices = false\n")
    home.env["CUDA_VISIBLE_DEVICES"] = "5"
    home.start()

    job_id = home.sh('echo "[${CUDA_VISIBLE_DEVICES-unset}]"')
    home.wait_state(job_id, "COMPLETED")

    assert home.log(job_id) == "[5]\n"


def test_gpus_from_the_config_file_are_handed_out(home: Home) -> None:
    home.config("gpus = [4, 7]\n")
    home.start()

    job_id = home.sh('echo "$CUDA_VISIBLE_DEVICES"', "-G", "2")
    home.wait_state(job_id, "COMPLETED")

    assert home.log(job_id) == "4,7\n"
    assert "gpus: [4, 7]" in home.runner("limits").stdout


def test_more_gpus_than_configured_are_refused_at_submission(home: Home) -> None:
    home.env["RUNNER_GPUS"] = "0,1"
    home.start()

    refused = home.runner("add", "-G", "3", "--", "true", check=False)
    mixed = home.runner("add", "-G", "1", "--gres", "gpu:2", "--", "true", check=False)

    assert refused.returncode == 2 and "-G/--gpus" in refused.stderr
    assert mixed.returncode == 2 and "disagree" in mixed.stderr


def test_a_job_using_twice_its_memory_ends_out_of_memory(home: Home) -> None:
    home.start()

    job_id = home.add(
        "--mem", "40M", "--", "python3", "-c", HOG.format(mib=80, seconds=60)
    )
    job = home.wait_state(job_id, "OUT_OF_MEMORY", "FAILED", "COMPLETED")

    assert job["state"] == "OUT_OF_MEMORY"
    assert job["exit_code"] == "0:9"
    assert "40 MiB" in job["error_msg"]


def test_a_job_killed_by_sigkill_for_another_reason_is_failed_not_oom(
    home: Home,
) -> None:
    home.start()

    job_id = home.sh("kill -9 $$", "--mem", "500M")
    job = home.wait_state(job_id, "OUT_OF_MEMORY", "FAILED", "COMPLETED")

    assert job["state"] == "FAILED"
    assert job["exit_code"] == "0:9"
    assert "memory" not in (job["error_msg"] or "")


def test_a_job_within_its_memory_completes(home: Home) -> None:
    home.start()

    hog = HOG.format(mib=20, seconds=1.2)
    job_id = home.add("--mem", "200M", "--", "python3", "-c", hog)
    job = home.wait_state(job_id, "OUT_OF_MEMORY", "FAILED", "COMPLETED")

    assert job["state"] == "COMPLETED"


def test_memory_is_reserved_like_cpus(home: Home) -> None:
    home.config("memory = 1000\n")
    home.start()
    gate = home.path / "go"
    first = home.sh(f"while [ ! -e {gate} ]; do sleep 0.05; done", "--mem", "600")
    home.wait_state(first, "RUNNING")

    second = home.sh("true", "--mem", "600M")

    home.wait_reason(second, "Resources")
    assert home.client.request("list")["cpus"] == {"total": 2, "used": 1}
    gate.touch()
    jobs = home.wait_final(first, second)
    assert stamp(jobs[1]["start_time"]) >= stamp(jobs[0]["end_time"])


def test_memory_beyond_the_machine_is_refused(home: Home) -> None:
    home.config("memory = 1024\n")
    home.start()

    refused = home.runner("add", "--mem", "2G", "--", "true", check=False)

    assert refused.returncode == 2
    assert "--mem" in refused.stderr


CORES = "grep Cpus_allowed_list /proc/self/status | cut -f2"


def test_each_one_cpu_job_is_pinned_to_a_core_of_its_own(home: Home) -> None:
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        pytest.skip("needs two cores")
    home.env["RUNNER_TOTAL_CPUS"] = "2"
    home.start()

    gate = home.path / "go"
    script = f"{CORES}; while [ ! -e {gate} ]; do sleep 0.05; done"
    jobs = [home.sh(script, "-c", "1") for _ in range(2)]
    for job_id in jobs:
        wait_for(lambda job_id=job_id: home.log(job_id), "the job's cores")
    gate.touch()
    home.wait_final(*jobs)

    seen = [home.log(job_id).strip() for job_id in jobs]
    assert all(text.isdigit() for text in seen)
    assert sorted(int(text) for text in seen) == available[:2]
    stored = allocations(home)
    assert [stored[job_id][1] for job_id in jobs] == seen


def test_pinning_is_off_when_the_config_says_so(home: Home) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = "1"
    home.config("pin_cpus = false\n")
    home.start()

    job_id = home.sh(CORES)
    home.wait_state(job_id, "COMPLETED")

    assert home.log(job_id).strip() == _affinity_text()
    assert allocations(home)[job_id][1] is None


def test_pinning_is_off_when_more_cpus_are_handed_out_than_cores_exist(
    home: Home,
) -> None:
    home.env["RUNNER_TOTAL_CPUS"] = str(len(os.sched_getaffinity(0)) + 1)
    home.start()

    job_id = home.sh(CORES)
    home.wait_state(job_id, "COMPLETED")

    assert home.log(job_id).strip() == _affinity_text()
    assert "pinned_cores: []" in home.runner("limits").stdout


def _affinity_text() -> str:
    """This process's cores as /proc prints them, e.g. 0-1."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Cpus_allowed_list:"):
                return line.split()[1]
    raise AssertionError("no Cpus_allowed_list")
