"""The verbs end to end: add, status, show, log, wait, and serve --stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta

import psutil

from tests.home import RunnerHome

SHOWN_KEYS = {
    "id",
    "name",
    "state",
    "exit_code",
    "error_msg",
    "cpus",
    "command",
    "cwd",
    "pid",
    "submit_time",
    "start_time",
    "end_time",
    "stdout_path",
    "stderr_path",
}


def test_add_says_which_job_it_submitted(shared_home: RunnerHome) -> None:
    done = shared_home.run("add", "--", "true")

    assert done.returncode == 0
    assert done.stdout.startswith("Submitted job ")
    job_id = int(done.stdout.split()[-1])
    shared_home.wait(job_id)


def test_an_argv_after_the_separator_runs_exactly_as_given(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add("--", "printf", "%s\\n", "a b", "it's", "$HOME")
    shared_home.wait(job_id)

    assert shared_home.ok("log", str(job_id)) == "a b\nit's\n$HOME\n"


def test_one_string_runs_through_the_shell(shared_home: RunnerHome) -> None:
    job_id = shared_home.add("echo $((40 + 2)) | tr 4 x")
    shared_home.wait(job_id)

    assert shared_home.ok("log", str(job_id)) == "x2\n"
    assert shared_home.show(job_id)["command"] == [
        "/bin/sh",
        "-c",
        "echo $((40 + 2)) | tr 4 x",
    ]


def test_log_stderr_prints_the_error_stream(shared_home: RunnerHome) -> None:
    job_id = shared_home.add("--", "sh", "-c", "echo out; echo err >&2")
    shared_home.wait(job_id)

    assert shared_home.ok("log", "--stderr", str(job_id)) == "err\n"


def test_log_follow_prints_output_as_it_comes_until_the_job_ends(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add("--", "sh", "-c", "echo one; sleep 1; echo two")

    followed = shared_home.ok("log", "-f", str(job_id), timeout=30)

    assert followed == "one\ntwo\n"
    assert shared_home.show(job_id)["state"] == "COMPLETED"


def test_show_json_has_every_documented_key_with_utc_times(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add("-J", "named", "-c", "2", "--", "sh", "-c", "exit 3")
    shared_home.wait(job_id)

    job = shared_home.show(job_id)

    assert job.keys() >= SHOWN_KEYS
    assert (job["id"], job["name"], job["cpus"]) == (job_id, "named", 2)
    assert job["command"] == ["sh", "-c", "exit 3"]
    assert (job["state"], job["exit_code"]) == ("FAILED", "3:0")
    assert job["error_msg"] and isinstance(job["pid"], int)
    assert job["cwd"] == str(shared_home.path)
    assert job["stdout_path"].endswith(".out") and job["stderr_path"].endswith(".err")
    times = [datetime.fromisoformat(job[k]) for k in ("submit_time", "start_time")]
    times.append(datetime.fromisoformat(job["end_time"]))
    assert all(moment.utcoffset() == timedelta(0) for moment in times)
    assert times == sorted(times)


def test_ctrl_c_in_log_follow_stops_the_follower_not_the_job(
    shared_home: RunnerHome,
) -> None:
    job_id = shared_home.add("--", "sh", "-c", "echo started; sleep 30")
    pid = shared_home.wait_running(job_id)["pid"]
    follower = subprocess.Popen(
        [sys.executable, "-m", "runner", "log", "-f", str(job_id)],
        env=shared_home.env,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert follower.stdout is not None
    assert follower.stdout.readline() == b"started\n"

    os.killpg(follower.pid, signal.SIGINT)

    assert follower.wait(timeout=10) == 130
    assert psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    assert shared_home.show(job_id)["state"] == "RUNNING"
    shared_home.ok("cancel", str(job_id))


def test_status_json_lists_the_same_objects_as_show(shared_home: RunnerHome) -> None:
    job_id = shared_home.add("--", "true")
    shared_home.wait(job_id)

    listed = {job["id"]: job for job in shared_home.status()}

    shown = shared_home.show(job_id)
    assert listed[job_id] == {key: shown[key] for key in listed[job_id]}
    assert all(job.keys() >= SHOWN_KEYS for job in listed.values())


def test_status_filters_by_state_and_ls_is_its_alias(shared_home: RunnerHome) -> None:
    failed = shared_home.add("--", "false")
    shared_home.wait(failed)

    only_failed = json.loads(shared_home.ok("ls", "--state", "FAILED", "--json"))

    assert failed in [job["id"] for job in only_failed]
    assert {job["state"] for job in only_failed} == {"FAILED"}


def test_status_prints_a_table_with_a_header(shared_home: RunnerHome) -> None:
    job_id = shared_home.add("-J", "tabled", "--", "true")
    shared_home.wait(job_id)

    lines = shared_home.ok("status").splitlines()

    assert lines[0].split() == [
        "ID",
        "NAME",
        "STATE",
        "CPUS",
        "ELAPSED",
        "EXIT",
        "COMMAND",
    ]
    row = next(line.split() for line in lines if line.split()[:1] == [str(job_id)])
    assert row[1:4] == ["tabled", "COMPLETED", "1"]


def test_wait_exits_0_when_every_job_completed(shared_home: RunnerHome) -> None:
    ids = [str(shared_home.add("--", "true")) for _ in range(2)]

    assert shared_home.run("wait", *ids).returncode == 0


def test_wait_exits_with_the_first_failures_code(shared_home: RunnerHome) -> None:
    ok = shared_home.add("--", "true")
    three = shared_home.add("--", "sh", "-c", "exit 3")
    killed = shared_home.add("--", "sh", "-c", "kill -KILL $$")

    assert shared_home.run("wait", str(ok), str(three), str(killed)).returncode == 3
    assert shared_home.run("wait", str(killed), str(three)).returncode == 128 + 9


def test_serve_stop_leaves_running_jobs_running_for_the_next_host(
    home: RunnerHome,
) -> None:
    job_id = home.add("--", "sh", "-c", "sleep 2; exit 5")
    pid = home.wait_running(job_id)["pid"]
    host = home.host_pid()

    done = home.run("serve", "--stop")

    assert done.returncode == 0 and str(host) in done.stdout
    assert not home.answers()
    assert psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    with home.database() as db:
        (state,) = db.execute(
            "SELECT state FROM jobs WHERE id = ?", (job_id,)
        ).fetchone()
    assert state == "RUNNING"
    (job,) = home.wait(job_id)
    assert (job["state"], job["exit_code"]) == ("FAILED", "5:0")


def test_add_starts_a_host_that_ps_shows_as_runner_serve(home: RunnerHome) -> None:
    home.add("--", "true")

    host = psutil.Process(home.host_pid())

    assert host.cmdline()[1:4] == ["-m", "runner", "serve"]
    assert host.environ()["RUNNER_HOME"] == str(home.path)


def test_a_second_host_for_the_same_home_is_refused(home: RunnerHome) -> None:
    home.serve()

    done = home.run("serve", timeout=30)

    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "already" in done.stderr
