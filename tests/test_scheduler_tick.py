"""A scheduler tick on a real database with the real launcher: one
transaction records what ended and reserves what starts next, and when that
transaction fails nothing of it is lost or counted twice."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.db import Database
from runner.executor import Executor
from runner.repositories import SchedulerRepository, WorkerRepository
from runner.resources import ResourceCounter
from runner.scheduler import Scheduler
from tests.rows import add_job, load_job
from tests.waiting import wait_until


@pytest.fixture
def scheduler(db: Database, tmp_path: Path) -> Iterator[Scheduler]:
    counter = ResourceCounter(2)
    executor = Executor(WorkerRepository, db, counter, tmp_path / "runs", grace=0.5)
    (tmp_path / "runs").mkdir()
    executor.start()
    yield Scheduler(db, counter, executor, "node")
    executor.stop()


def _queue(db: Database, *cpus: int) -> list[int]:
    env = {"PATH": os.environ["PATH"]}
    return [add_job(db, ("true",), cpus=n, env=env) for n in cpus]


def _until_reported(scheduler: Scheduler) -> None:
    wait_until(lambda: not scheduler.executor.events.empty(), what="a report")


def test_the_end_of_one_job_and_the_start_of_the_next_share_one_tick(
    db: Database, scheduler: Scheduler
) -> None:
    first, second = _queue(db, 1, 2)
    assert scheduler.tick() == [first]
    _until_reported(scheduler)
    wait_until(lambda: scheduler.executor.events.qsize() >= 2, what="its end")

    assert scheduler.tick() == [second]

    assert load_job(db, first).state.value == "COMPLETED"
    assert load_job(db, second).state.value == "RUNNING"
    assert scheduler.counter.used_cpus == 2


def test_a_failed_tick_keeps_the_reports_and_counts_again_from_the_database(
    db: Database, scheduler: Scheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _queue(db, 1, 2)
    scheduler.tick()
    _until_reported(scheduler)
    wait_until(lambda: scheduler.executor.events.qsize() >= 2, what="its end")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(SchedulerRepository, "reserve", broken)
    with pytest.raises(RuntimeError):
        scheduler.tick()

    assert load_job(db, first).state.value == "RUNNING"
    assert load_job(db, second).state.value == "PENDING"
    assert scheduler.counter.used_cpus == 1
    monkeypatch.undo()

    assert scheduler.tick() == [second]
    assert load_job(db, first).state.value == "COMPLETED"
    assert scheduler.counter.used_cpus == 2
