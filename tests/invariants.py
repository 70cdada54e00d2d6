"""What must hold in a runner home after any fault, checked from outside."""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from tests.home import RunnerHome
from tests.waiting import wait_until


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks after boot; None if gone or a zombie."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()
    return None if fields[0] == b"Z" else int(fields[19])


def is_same_process(pid: int | None, ticks: int | None) -> bool:
    return pid is not None and ticks is not None and start_ticks(pid) == ticks


def assert_invariants(
    home: RunnerHome,
    printed_ids: Iterable[int] = (),
    launch_log: Path | None = None,
) -> None:
    """Check the database of home against the processes that really run.

    Starts a host if none runs, so that a fresh host's counter is compared
    with the allocations. Call it when no job is about to start or end.

    - `PRAGMA integrity_check` says ok;
    - every RUNNING job has a live process (its own, or its keeper);
    - the CPUs of unreleased allocations never exceed the total and equal
      what the host's counter holds;
    - no job was launched twice: at most one run with a process per job,
      and, with launch_log, at most one line per job in it;
    - every id a client printed is a job in the database.
    """
    if not home.answers():
        home.serve()
    with home.database() as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        _assert_running_jobs_live(db)
        _assert_launched_once(db)
        ids = {row[0] for row in db.execute("SELECT id FROM jobs")}
    missing = set(printed_ids) - ids
    assert not missing, f"ids printed by clients but not in the database: {missing}"
    if launch_log is not None:
        launches = collections.Counter(launch_log.read_text().split())
        twice = {job: count for job, count in launches.items() if count > 1}
        assert not twice, f"jobs launched more than once: {twice}"
    _assert_counter_matches(home)


def _assert_running_jobs_live(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT j.id, a.process_id, a.process_start, a.keeper_id, a.keeper_start "
        "FROM jobs j LEFT JOIN resource_allocations a "
        "ON a.job_id = j.id AND a.status != 'RELEASED' WHERE j.state = 'RUNNING'"
    ).fetchall()
    for job_id, pid, ticks, keeper, keeper_ticks in rows:
        live = is_same_process(pid, ticks) or is_same_process(keeper, keeper_ticks)
        assert live, f"job {job_id} is RUNNING but neither pid {pid} nor keeper lives"


def _assert_launched_once(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT job_id, COUNT(*) FROM resource_allocations "
        "WHERE process_id IS NOT NULL GROUP BY job_id HAVING COUNT(*) > 1"
    ).fetchall()
    assert not rows, f"jobs with more than one run: {[tuple(r) for r in rows]}"


def unreleased_cpus(home: RunnerHome) -> int:
    with home.database() as db:
        return int(
            db.execute(
                "SELECT COALESCE(SUM(cpus), 0) FROM resource_allocations "
                "WHERE status != 'RELEASED'"
            ).fetchone()[0]
        )


def _assert_counter_matches(home: RunnerHome) -> None:
    def settled() -> tuple[int, int, int] | None:
        before = home.request("list", limit=0)["cpus"]
        held = unreleased_cpus(home)
        after = home.request("list", limit=0)["cpus"]
        if before["used"] == held == after["used"]:
            return held, after["used"], after["total"]
        return None

    held, _used, total = wait_until(settled, 10, "the counter to match the rows")
    assert held <= total, f"{held} CPUs held, more than the {total} configured"
