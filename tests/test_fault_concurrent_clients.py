"""Many clients at once: no job lost or duplicated, no error, no overcommit."""

from __future__ import annotations

import subprocess
import sys

from tests.home import RunnerHome
from tests.invariants import assert_invariants
from tests.timeline import intervals, most_at_once, timed_job

_ADDER = """
import sys
import runner.cli
for _ in range(int(sys.argv[1])):
    status = runner.cli.main(["add", "--parsable", "--hold", "--", "true"])
    if status:
        sys.exit(status)
"""
"""One client process submitting jobs one after another through the CLI.

The jobs are held, so that the test counts submissions without waiting for
two thousand jobs to run.
"""


def _start_adders(
    home: RunnerHome, processes: int, jobs: int
) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen(
            [sys.executable, "-c", _ADDER, str(jobs)],
            env=home.env,
            cwd=home.path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]


def test_fifty_clients_adding_forty_jobs_each_get_2000_distinct_ids(
    make_home: type[RunnerHome],
) -> None:
    home = make_home(cpus=4)
    assert not home.answers()

    adders = _start_adders(home, processes=50, jobs=40)
    outputs = [adder.communicate(timeout=300) for adder in adders]

    assert [adder.returncode for adder in adders] == [0] * 50
    assert [err for _, err in outputs if err] == []
    printed = [int(line) for out, _ in outputs for line in out.split()]
    assert len(printed) == 2000 and len(set(printed)) == 2000
    with home.database() as db:
        ids = {row[0] for row in db.execute("SELECT id FROM jobs")}
    assert ids == set(printed)
    hosts = [p for p in home.processes() if "serve" in p.cmdline()]
    assert len(hosts) == 1, "the clients started more than one host"
    assert_invariants(home, printed)


def test_twenty_concurrent_two_cpu_submissions_on_four_cpus_run_two_at_a_time(
    make_home: type[RunnerHome],
) -> None:
    home = make_home(cpus=4)
    log = home.path / "times"
    home.serve()
    add = [sys.executable, "-m", "runner", "add", "--parsable", "-c", "2", "--"]

    clients = [
        subprocess.Popen(
            [*add, *timed_job(0.2, log)],
            env=home.env,
            cwd=home.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(20)
    ]
    outputs = [client.communicate(timeout=120) for client in clients]

    assert [err for _, err in outputs if err] == []
    printed = [int(out) for out, _ in outputs]
    jobs = home.wait(*printed, timeout=120)
    assert {job["state"] for job in jobs} == {"COMPLETED"}
    spans = intervals(log)
    assert sorted(spans) == sorted(printed)
    assert most_at_once(spans) <= 2
    assert_invariants(home, printed)
