"""Who hosts while the app is open, and who takes over when it closes."""

from __future__ import annotations

import os
import subprocess
import sys

from runner.client import Client
from runner.config import Paths
from runner.spec import JobSpec, shell_argv
from runner.tui.hosting import Hosting

from .waiting import wait_for


def submit(paths: Paths, command: str) -> int:
    spec = JobSpec(shell_argv(command), os.getcwd(), dict(os.environ))
    return Client(paths).request("add", spec=spec.to_dict())["id"]


def state(paths: Paths, job_id: int) -> str:
    return Client(paths).request("show", ids=[job_id])["jobs"][0]["state"]


def test_a_second_app_is_a_client_of_the_host_the_first_embeds(
    hosting: Hosting, paths: Paths
) -> None:
    first = hosting.start()
    second = Hosting(paths)
    try:
        info = second.start()
    finally:
        assert second.close() is None
    assert first.embedded and first.pid == os.getpid()
    assert not info.embedded and info.pid == os.getpid()
    assert info.describe() == f"client of host pid {os.getpid()}"


def test_closing_with_nothing_left_stops_the_embedded_host_quietly(
    hosting: Hosting, paths: Paths
) -> None:
    hosting.start()
    assert hosting.close() is None
    assert not paths.socket.exists()


def test_closing_with_work_left_hands_it_to_a_background_host(
    hosting: Hosting, paths: Paths
) -> None:
    hosting.start()
    running = [submit(paths, "sleep 3") for _ in range(2)]
    waiting = submit(paths, "true")
    wait_for(lambda: state(paths, running[1]) == "RUNNING", "both to start")

    message = hosting.close()

    assert message is not None
    assert message.startswith("2 running and 1 pending jobs continue")
    pid = Client(paths, autostart=False).request("ping")["pid"]
    assert pid != os.getpid() and f"(pid {pid})" in message
    assert state(paths, running[0]) == "RUNNING"
    wait_for(lambda: state(paths, waiting) == "COMPLETED", "the pending job to run")
    wait_for(lambda: state(paths, running[0]) == "COMPLETED", "the job to finish")


def test_serve_stop_leaves_the_host_inside_the_app_running_and_says_why(
    hosting: Hosting, paths: Paths
) -> None:
    hosting.start()

    done = subprocess.run(
        [sys.executable, "-m", "runner", "serve", "--stop"],
        env=dict(os.environ, RUNNER_HOME=str(paths.home)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert done.stderr == (
        f"runner: the host (pid {os.getpid()}) runs inside the terminal app; "
        "quit the app to stop it\n"
    )
    assert hosting.client.request("ping")["pid"] == os.getpid()
