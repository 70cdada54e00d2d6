"""Whether runner slows down as its database grows.

Two homes side by side: an empty one, and one holding a long history of
finished jobs and a long queue of pending ones. Both queues are held (every
pending job asks for more CPUs than the host hands out), so nothing runs
and each job submitted during the measurement waits as well.
"""

from __future__ import annotations

import sys
import time

from bench import bigdb, memory
from bench.homes import RunnerHome
from bench.results import Figure, timed

EMPTY = "empty database"
BIG = "{finished:,} finished + {pending:,} pending"
TICK = "scheduler tick (in-process), {db}"
STATUS = "runner status --state RUNNING, {db}"
LIST = "status as one request from a running Python, {db}"
ADD = "runner add, {db}"
ADD_REQUEST = "add as one request from a running Python, {db}"
HOST = "host at rest, {db}"
LAUNCHER = "its launcher at rest, {db}"
TUI = "TUI (`runner`) at rest, {db}"


def measure(
    finished: int, pending: int, rounds: int, ticks: int, cpus: int
) -> tuple[Figure, Figure]:
    """The times of a tick, a status and an add, and the memory, on both homes."""
    big = BIG.format(finished=finished, pending=pending)
    times = Figure(
        "scale", "With a long history and a long queue in the database", "ms"
    )
    quantities = (TICK, STATUS, LIST, ADD, ADD_REQUEST)
    for template in quantities:
        for db in (EMPTY, big):
            times.add(template.format(db=db), is_runner=True)
    times.comparisons = [
        (template.format(db=big), template.format(db=EMPTY)) for template in quantities
    ]
    sizes = Figure("memory", "Resident memory at rest", "MB")
    for template in (HOST, LAUNCHER):
        for db in (EMPTY, big):
            sizes.add(template.format(db=db), is_runner=True)

    with RunnerHome(cpus) as empty_home, RunnerHome(cpus) as big_home:
        homes = {EMPTY: empty_home, big: big_home}
        _build(empty_home, 0, 1)
        _build(big_home, finished, pending)
        _ticks(times, homes, ticks)
        for home in homes.values():
            home.start()
        _requests(times, homes, rounds)
        for db, home in homes.items():
            assert home.host_pid is not None
            sizes.row(HOST.format(db=db)).samples = memory.at_rest_mb(home.host_pid)
            launcher = memory.launcher_pid(home.host_pid)
            if launcher is not None:
                row = sizes.row(LAUNCHER.format(db=db))
                row.samples = memory.at_rest_mb(launcher)
        _tui(sizes, big, big_home)
    return times, sizes


def _build(home: RunnerHome, finished: int, pending: int) -> None:
    began = time.perf_counter()
    bigdb.build(home.paths.database, home.paths.logs, finished, pending, home.cpus)
    print(
        f"  built {finished:,} finished + {pending:,} pending jobs "
        f"in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
        flush=True,
    )


def _ticks(times: Figure, homes: dict[str, RunnerHome], count: int) -> None:
    """Time Scheduler.tick() in this process, before any host holds the home."""
    from runner.db import Database
    from runner.executor import Executor
    from runner.repositories import WorkerRepository
    from runner.resources import ResourceCounter
    from runner.scheduler import Scheduler

    schedulers = {}
    for db, home in homes.items():
        database = Database(home.paths.database)
        counter = ResourceCounter(home.cpus)
        executor = Executor(
            WorkerRepository, database, counter, home.paths.runs, grace=1.0
        )
        schedulers[db] = Scheduler(database, counter, executor, "bench")
    for _ in range(count):
        for db, scheduler in schedulers.items():
            row = times.row(TICK.format(db=db))
            row.samples.append(timed(scheduler.tick))
    for scheduler in schedulers.values():
        scheduler.database.close()


def _requests(times: Figure, homes: dict[str, RunnerHome], rounds: int) -> None:
    """Interleave status and add, by CLI and by request, on both homes.

    The first round is a warm-up and is not kept.
    """
    for round_ in range(rounds + 1):
        for db, home in homes.items():
            samples = {
                STATUS: timed(lambda h=home: h.run_cli("status", "--state", "RUNNING")),
                LIST: timed(
                    lambda h=home: h.client.request("list", states=["RUNNING"])
                ),
                ADD: timed(lambda h=home: h.add_cli(["true"])),
                ADD_REQUEST: timed(lambda h=home: h.add_request(["true"])),
            }
            if round_ > 0:
                for template, seconds in samples.items():
                    times.row(template.format(db=db)).samples.append(seconds)


def _tui(sizes: Figure, big: str, home: RunnerHome) -> None:
    label = TUI.format(db=big)
    if not memory.has_tui():
        sizes.skip(label, "n/a (no TUI yet)", is_runner=True)
        return
    try:
        sizes.add(label, is_runner=True).samples.append(
            memory.tui_mb(home.env, home.path)
        )
    except RuntimeError as error:
        sizes.rows[-1].missing = f"n/a ({error})"
