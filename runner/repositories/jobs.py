"""Submission and the queries that show the queue."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from runner.models import (
    FINAL_STATES,
    AllocationStatus,
    Environment,
    Job,
    JobArray,
    JobAttempt,
    JobState,
    ResourceAllocation,
)
from runner.repositories.worker import utcnow


class JobRepository:
    """Adds jobs and reads them back; the caller commits."""

    SORT_KEYS = ("id", "name", "state", "cpus", "elapsed", "exit_code", "command")
    """What `page` can order by, besides "end_time" for the latest endings."""

    @staticmethod
    def next_id(session: Session) -> int:
        """The id the next job will get, inside a write transaction."""
        return int(session.scalar(select(func.coalesce(func.max(Job.id), 0)))) + 1

    @staticmethod
    def insert_jobs(session: Session, rows: list[dict[str, Any]]) -> None:
        """Queue many jobs at once; each row names its id and every column."""
        session.execute(Job.__table__.insert(), rows)

    @staticmethod
    def insert_array(
        session: Session, array_id: int, tasks: Sequence[int], throttle: int | None
    ) -> None:
        session.add(
            JobArray(
                id=array_id,
                throttle=throttle,
                count=len(tasks),
                min_task=min(tasks),
                max_task=max(tasks),
            )
        )

    @staticmethod
    def arrays(session: Session, array_ids: Iterable[int]) -> dict[int, JobArray]:
        rows = session.scalars(select(JobArray).where(JobArray.id.in_(list(array_ids))))
        return {array.id: array for array in rows}

    @staticmethod
    def expand_ids(session: Session, ids: Iterable[int]) -> list[int]:
        """The ids given, each array id replaced by the ids of all its tasks."""
        wanted = list(ids)
        groups = JobRepository.expand_groups(session, wanted)
        expanded = [job_id for key in wanted for job_id in groups[key]]
        return list(dict.fromkeys(expanded))

    @staticmethod
    def expand_groups(session: Session, ids: Iterable[int]) -> dict[int, list[int]]:
        """For each id, the ids it stands for: its array's tasks, or itself."""
        wanted = set(ids)
        groups = {job_id: [job_id] for job_id in wanted}
        arrays = set(
            session.scalars(select(JobArray.id).where(JobArray.id.in_(wanted)))
        )
        if arrays:
            for array_id in arrays:
                groups[array_id] = []
            rows = session.execute(
                select(Job.array_id, Job.id)
                .where(Job.array_id.in_(arrays))
                .order_by(Job.id)
            )
            for array_id, job_id in rows:
                groups[array_id].append(job_id)
        return groups

    @staticmethod
    def task_id(session: Session, array_id: int, task: int) -> int | None:
        """The job id of one task of an array."""
        return session.scalar(
            select(Job.id).where(Job.array_id == array_id, Job.array_task == task)
        )

    @staticmethod
    def set_held(session: Session, job_id: int, held: bool) -> bool:
        """Hold or release a pending job; False if it is not pending."""
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.PENDING)
            .values(held=held)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    @staticmethod
    def move_to_top(session: Session, job_ids: Sequence[int]) -> list[int]:
        """Give pending jobs, in the order given, a priority above all others.

        They share the new priority, so among them the lower id goes first.
        """
        highest = session.scalar(
            select(func.max(Job.priority)).where(Job.state == JobState.PENDING)
        )
        changed = []
        for job_id in job_ids:
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == JobState.PENDING)
                .values(priority=(highest or 0) + 1)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount:
                changed.append(job_id)
        return changed

    @staticmethod
    def has_pending(session: Session) -> bool:
        """Whether any job waits to start."""
        return bool(
            session.scalar(select(exists().where(Job.state == JobState.PENDING)))
        )

    @staticmethod
    def set_suspended(session: Session, job_id: int, suspended: bool) -> bool:
        """RUNNING <-> SUSPENDED; False if the job was not in the other state."""
        old, new = (
            (JobState.RUNNING, JobState.SUSPENDED)
            if suspended
            else (JobState.SUSPENDED, JobState.RUNNING)
        )
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == old)
            .values(state=new)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    @staticmethod
    def retry(session: Session, job_id: int, automatic: bool = False) -> bool:
        """Queue an ended job again: same id, attempt up, the old run kept.

        With automatic, only a failure with retries left is queued again.
        """
        job = session.get(Job, job_id)
        if job is None or job.state not in FINAL_STATES:
            return False
        if job.state == JobState.COMPLETED and not automatic:
            return False
        if automatic and (not job.state.is_failure or job.attempt > job.retries):
            return False
        session.add(
            JobAttempt(
                job_id=job.id,
                attempt=job.attempt,
                state=job.state,
                exit_code=job.exit_code,
                error_msg=job.error_msg,
                start_time=job.start_time,
                end_time=job.end_time,
                stdout_path=job.stdout_path,
                stderr_path=job.stderr_path,
            )
        )
        job.attempt += 1
        job.stdout_path = _attempt_path(job.stdout_path, job.attempt)
        job.stderr_path = _attempt_path(job.stderr_path, job.attempt)
        job.state = JobState.PENDING
        job.held = False
        job.exit_code = job.error_msg = None
        job.start_time = job.end_time = None
        return True

    @staticmethod
    def attempts(
        session: Session, job_ids: Sequence[int]
    ) -> dict[int, list[JobAttempt]]:
        """Earlier runs of each retried job, oldest first."""
        history: dict[int, list[JobAttempt]] = {}
        for start in range(0, len(job_ids), 10_000):
            rows = session.scalars(
                select(JobAttempt)
                .where(JobAttempt.job_id.in_(job_ids[start : start + 10_000]))
                .order_by(JobAttempt.job_id, JobAttempt.attempt)
            )
            for attempt in rows:
                history.setdefault(attempt.job_id, []).append(attempt)
        return history

    @staticmethod
    def environment_id(session: Session, variables: dict[str, str]) -> int:
        """The id of this environment, stored once however many jobs share it."""
        text = json.dumps(variables, sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
        found = session.scalar(
            select(Environment.id).where(Environment.digest == digest)
        )
        if found is not None:
            return found
        session.execute(
            insert(Environment)
            .values(digest=digest, variables=text)
            .on_conflict_do_nothing()
        )
        return session.scalar(
            select(Environment.id).where(Environment.digest == digest)
        )

    @staticmethod
    def environment(session: Session, env_id: int) -> dict[str, str]:
        text = session.scalar(
            select(Environment.variables).where(Environment.id == env_id)
        )
        return json.loads(text) if text else {}

    @staticmethod
    def get(session: Session, job_id: int) -> Job | None:
        return session.get(Job, job_id)

    @staticmethod
    def list(
        session: Session,
        states: Sequence[JobState] = (),
        ids: Iterable[int] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Job]:
        """Jobs by id, optionally only those in some states or with some ids."""
        query = select(Job).order_by(Job.id)
        if states:
            query = query.where(Job.state.in_(states))
        if ids is not None:
            query = query.where(Job.id.in_(list(ids)))
        if limit is not None:
            query = query.limit(limit).offset(offset)
        return list(session.scalars(query))

    @staticmethod
    def page(
        session: Session,
        states: Sequence[JobState] = (),
        text: str = "",
        sort: str = "id",
        descending: bool = False,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Job]:
        """One window of the jobs that match, in the order asked for.

        text matches the name or the command, ignoring case; ties in the sort
        key go by id, in the same direction.
        """
        key = _sort_key(sort)
        order = [key.desc(), Job.id.desc()] if descending else [key, Job.id]
        if sort == "id":
            order = order[:1]
        # Sort the ids alone, then load the window's rows: a sort of whole rows
        # deep into a big queue spills to disk and takes seconds.
        ids = _matching(select(Job.id), states, text).order_by(*order)
        window = ids.limit(limit).offset(offset)
        query = select(Job).where(Job.id.in_(window)).order_by(*order)
        return list(session.scalars(query))

    @staticmethod
    def count_matching(
        session: Session, states: Sequence[JobState] = (), text: str = ""
    ) -> int:
        """How many jobs `page` would page through."""
        query = _matching(select(func.count()).select_from(Job), states, text)
        return int(session.scalar(query) or 0)

    @staticmethod
    def counts(session: Session) -> dict[JobState, int]:
        """How many jobs are in each state."""
        rows = session.execute(select(Job.state, func.count()).group_by(Job.state))
        return {JobState(state): count for state, count in rows}

    @staticmethod
    def missing_ids(session: Session, ids: Iterable[int]) -> list[int]:
        """The ids among these that name no job."""
        wanted = set(ids)
        found = set(session.scalars(select(Job.id).where(Job.id.in_(wanted))))
        return sorted(wanted - found)

    @staticmethod
    def processes(session: Session, job_ids: Iterable[int]) -> dict[int, int]:
        """The process id of each job's latest run that has one."""
        rows = session.execute(
            select(ResourceAllocation.job_id, ResourceAllocation.process_id)
            .where(
                ResourceAllocation.job_id.in_(list(job_ids)),
                ResourceAllocation.process_id.is_not(None),
            )
            .order_by(ResourceAllocation.id)
        )
        return {job_id: pid for job_id, pid in rows}

    @staticmethod
    def dependents(session: Session) -> list[tuple[int, str]]:
        """Each pending job that waits on others, with its dependency."""
        rows = session.execute(
            select(Job.id, Job.dependency).where(
                Job.state == JobState.PENDING, Job.dependency.is_not(None)
            )
        )
        return [(job_id, text) for job_id, text in rows]

    @staticmethod
    def cancel_pending(session: Session, job_id: int, reason: str) -> bool:
        """PENDING -> CANCELLED; False if the job was not pending."""
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.PENDING)
            .values(state=JobState.CANCELLED, end_time=utcnow(), error_msg=reason)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    @staticmethod
    def states(session: Session, job_ids: Iterable[int]) -> dict[int, JobState]:
        rows = session.execute(
            select(Job.id, Job.state).where(Job.id.in_(list(job_ids)))
        )
        return {job_id: JobState(state) for job_id, state in rows}

    @staticmethod
    def unreleased_cpus(session: Session) -> int:
        """CPUs held by allocations not RELEASED: what the counter must show."""
        total = session.scalar(
            select(func.coalesce(func.sum(ResourceAllocation.cpus), 0)).where(
                ResourceAllocation.status != AllocationStatus.RELEASED
            )
        )
        return int(total or 0)


def _attempt_path(path: str, attempt: int) -> str:
    """The log path of a later attempt: `7.out` -> `7.2.out`, else `path.2`."""
    folder, _, name = path.rpartition("/")
    stem = name.split(".")[0]
    for suffix in (".out", ".err"):
        if name.endswith(suffix) and stem.isdigit():
            return f"{folder}/{stem}.{attempt}{suffix}"
    base = path.rsplit(".", 1)[0] if path.rsplit(".", 1)[-1].isdigit() else path
    return f"{base}.{attempt}"


def _matching(query: Select, states: Sequence[JobState], text: str) -> Select:
    if states:
        query = query.where(Job.state.in_(states))
    if text:
        # Commands are stored as JSON: look for the text as JSON would spell it.
        in_json = json.dumps(text)[1:-1]
        query = query.where(
            or_(
                Job.name.like(_like_pattern(text), escape="\\"),
                Job.command.like(_like_pattern(in_json), escape="\\"),
            )
        )
    return query


def _like_pattern(text: str) -> str:
    """A LIKE pattern that finds text anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _sort_key(sort: str) -> ColumnElement:
    """The column, or expression, that a sort name orders by."""
    if sort == "elapsed":
        end = func.coalesce(Job.end_time, func.datetime("now"))
        return func.julianday(end) - func.julianday(Job.start_time)
    if sort in ("id", "name", "state", "cpus", "exit_code", "command", "end_time"):
        return getattr(Job, sort)
    raise ValueError(f"cannot sort by {sort!r}")
