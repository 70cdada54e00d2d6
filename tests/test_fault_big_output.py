"""A job writing 1 GiB to stdout: all of it kept, no runner process grows."""

from __future__ import annotations

import contextlib
import os

import psutil

from tests.home import RunnerHome
from tests.invariants import assert_invariants
from tests.waiting import wait_until

GIB = 1 << 30
RSS_LIMIT = 150 * (1 << 20)


def _runner_rss(home: RunnerHome, job_pid: int) -> dict[int, int]:
    """Resident bytes of every runner process of the home: host, launcher, keepers.

    The job's own processes are left out: their size is the job's business.
    """
    sizes = {}
    for process in home.processes():
        with contextlib.suppress(psutil.Error):
            if process.pid == job_pid or "head" in process.name():
                continue
            sizes[process.pid] = process.memory_info().rss
    return sizes


def test_a_gibibyte_of_output_is_logged_whole_while_runner_stays_small(
    home: RunnerHome,
) -> None:
    host = home.serve()
    job_id = home.add("--", "sh", "-c", "head -c 1G /dev/zero; sleep 0.5")
    job = home.wait_running(job_id)
    log = job["stdout_path"]

    peak = 0
    answered = []
    during_write = 0
    while home.show(job_id)["state"] == "RUNNING":
        peak = max(peak, *_runner_rss(home, job["pid"]).values())
        if len(answered) < 5:
            answered.append(home.add("--", "true"))
            during_write += os.path.getsize(log) < GIB

    assert home.show(job_id)["exit_code"] == "0:0"
    assert os.path.getsize(log) == GIB
    assert peak < RSS_LIMIT, f"a runner process reached {peak >> 20} MiB"
    assert psutil.Process(host.pid).memory_info().rss < RSS_LIMIT
    assert during_write, "no add was answered while the job wrote"
    wait_until(lambda: all(s["state"] == "COMPLETED" for s in map(home.show, answered)))
    assert_invariants(home, [job_id, *answered])
