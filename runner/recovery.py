"""Reconciling the database with reality when a host takes over."""

from __future__ import annotations

import contextlib
import logging
import math
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from runner import proc
from runner.db import Database
from runner.executor import Executor, Run, lost_event, read_record
from runner.models import Job, ResourceAllocation
from runner.repositories import (
    CleanupRepository,
    SchedulerRepository,
    WorkerRepository,
)
from runner.resources import Grant, Request, ResourceCounter, parse_ids

logger = logging.getLogger(__name__)


def reconcile(database: Database, executor: Executor, counter: ResourceCounter) -> None:
    """Settle what an earlier host left, then rebuild the counter from the rows.

    Every RUNNING job is checked by process id and start time: live ones are
    watched to the end, finished ones get what their keeper recorded, and
    those with neither end FAILED. Reservations that never started go back.
    """
    events: list[dict[str, Any]] = []
    with database.write() as session:
        _fail_runs_without_allocation(session)
        _release_stale_allocations(session)
        for job, allocation in CleanupRepository.live_runs(session):
            events.extend(_settle(session, executor, job, allocation))
    executor.apply(events, release=False)
    recount(database, counter)
    _remove_stale_records(executor)
    logger.info(
        "recovery: %d runs watched, %d CPUs held", len(executor.runs), counter.used_cpus
    )


def recount(database: Database, counter: ResourceCounter) -> None:
    """Make the counter hold what the database's live allocations hold."""
    with database.read() as session:
        held = SchedulerRepository.unreleased_allocations(session)
        counter.rebuild(
            Grant(a.cpus, a.mem, parse_ids(a.gpu_ids), parse_ids(a.core_ids))
            for a in held
        )


def _fail_runs_without_allocation(session: Session) -> None:
    for job in CleanupRepository.running_without_allocation(session):
        logger.warning("job %d: RUNNING with no allocation", job.id)
        WorkerRepository.update_job_failed(
            session, job.id, "process lost: the job held no allocation"
        )


def _release_stale_allocations(session: Session) -> None:
    for allocation in CleanupRepository.orphan_allocations(session):
        logger.info("job %d: releasing a stale allocation", allocation.job_id)
        WorkerRepository.release_allocation(session, allocation.job_id)


def _settle(
    session: Session, executor: Executor, job: Job, allocation: ResourceAllocation
) -> list[dict[str, Any]]:
    """What to record for one run left RUNNING; it may be watched from now on."""
    path = executor.runs_dir / f"{allocation.id}.json"
    record = read_record(path)
    run = Run(
        job_id=job.id,
        run_id=allocation.id,
        cpus=allocation.cpus,
        record=path,
        time_limit=job.time_limit,
        mem=job.mem,
        retries=job.retries,
        array_id=job.array_id,
        request=Request(
            allocation.cpus, allocation.mem, len(parse_ids(allocation.gpu_ids))
        ),
        ends=_ends(job),
        pid=allocation.process_id or record.get("pid"),
        start=allocation.process_start or record.get("start"),
        keeper=allocation.keeper_id or record.get("keeper"),
        keeper_start=allocation.keeper_start or record.get("keeper_start"),
    )
    if run.keeper is None:
        logger.info("job %d: reserved but never started; back to pending", job.id)
        CleanupRepository.requeue(session, job.id)
        return []

    executor.adopt(run)
    events = []
    if allocation.process_id is None and run.pid is not None:
        events.append(_started_event(run))
    if record.get("event") in ("finished", "failed"):
        events.append(record)
    elif proc.is_alive(run.keeper, run.keeper_start):
        logger.info("job %d: still running under keeper %d", job.id, run.keeper)
    elif proc.is_alive(run.pid, run.start):
        logger.warning("job %d: keeper gone, pid %s still runs", job.id, run.pid)
        run.orphaned = True
    else:
        logger.warning("job %d: no process and no record", job.id)
        events.append(lost_event(run))
    return events


def _ends(job: Job) -> float:
    if job.time_limit and job.start_time is not None:
        return job.start_time.replace(tzinfo=UTC).timestamp() + job.time_limit
    return math.inf


def _started_event(run: Run) -> dict[str, Any]:
    return {
        "event": "started",
        "job": run.job_id,
        "run": run.run_id,
        "pid": run.pid,
        "start": run.start,
        "keeper": run.keeper,
        "keeper_start": run.keeper_start,
    }


def _remove_stale_records(executor: Executor) -> None:
    live = {run.record for run in executor.runs.values()}
    for path in Path(executor.runs_dir).glob("*.json"):
        if path not in live:
            with contextlib.suppress(OSError):
                path.unlink()
