"""A RUNNING row that points at an unrelated live process: never signalled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil

from tests.home import RunnerHome
from tests.invariants import assert_invariants
from tests.waiting import wait_until

_DECOY = textwrap.dedent(
    """
    import signal, sys, time
    log = sys.argv[1]
    def note(sig, frame):
        with open(log, "a") as f:
            f.write(f"{sig}\\n")
    for sig in set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP}:
        try:
            signal.signal(sig, note)
        except (OSError, ValueError):
            pass
    open(log, "a").close()
    while True:
        time.sleep(0.1)
    """
)
"""A bystander that writes down every catchable signal it receives."""


def _start_decoy(home: RunnerHome) -> tuple[subprocess.Popen[bytes], Path]:
    log = home.path / "decoy-signals"
    decoy = subprocess.Popen(
        [sys.executable, "-c", _DECOY, str(log)], env=home.env, start_new_session=True
    )
    wait_until(log.exists, 10, "the decoy to install its handlers")
    return decoy, log


def test_a_row_pointing_at_an_unrelated_process_fails_as_lost_and_sends_nothing(
    home: RunnerHome,
) -> None:
    home.serve()
    job_id = home.add("-t", "0:03", "--", "sleep", "100")
    pid = home.wait_running(job_id)["pid"]
    with home.database() as db:
        (keeper,) = db.execute(
            "SELECT keeper_id FROM resource_allocations WHERE job_id = ?", (job_id,)
        ).fetchone()
    home.stop_host()
    os.kill(keeper, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not psutil.pid_exists(pid), 10, "the job to be reaped")

    decoy, log = _start_decoy(home)
    with home.database() as db:
        db.execute(
            "UPDATE resource_allocations SET process_id = ?, keeper_id = ? "
            "WHERE job_id = ?",
            (decoy.pid, decoy.pid, job_id),
        )
        db.commit()
    home.serve()
    (job,) = home.wait(job_id, timeout=30)

    assert job["state"] == "FAILED"
    assert "lost" in job["error_msg"]
    assert decoy.poll() is None
    assert log.read_text() == ""
    assert_invariants(home, [job_id])
    decoy.kill()
    decoy.wait()


def test_cancelling_a_job_whose_row_points_elsewhere_signals_nothing(
    home: RunnerHome,
) -> None:
    home.serve()
    job_id = home.add("--", "sleep", "100")
    pid = home.wait_running(job_id)["pid"]
    with home.database() as db:
        (keeper,) = db.execute(
            "SELECT keeper_id FROM resource_allocations WHERE job_id = ?", (job_id,)
        ).fetchone()
    home.stop_host()
    decoy, log = _start_decoy(home)
    with home.database() as db:
        db.execute(
            "UPDATE resource_allocations SET keeper_id = ? WHERE job_id = ?",
            (decoy.pid, job_id),
        )
        db.commit()
    (home.path / "runs").joinpath("1.json").unlink(missing_ok=True)
    os.kill(keeper, signal.SIGKILL)

    home.serve()
    home.ok("cancel", str(job_id))

    assert home.show(job_id)["state"] in ("CANCELLED", "FAILED")
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
    assert decoy.poll() is None
    assert log.read_text() == ""
    decoy.kill()
    decoy.wait()
