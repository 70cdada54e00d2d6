"""Submission and the queries that show the queue."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from runner.models import (
    AllocationStatus,
    Environment,
    Job,
    JobState,
    ResourceAllocation,
)
from runner.repositories.worker import utcnow
from runner.spec import JobSpec, default_name


class JobRepository:
    """Adds jobs and reads them back; the caller commits."""

    SORT_KEYS = ("id", "name", "state", "cpus", "elapsed", "exit_code", "command")
    """What `page` can order by, besides "end_time" for the latest endings."""

    @staticmethod
    def add(session: Session, spec: JobSpec, logs: Path) -> int:
        """Queue one job as PENDING; returns its id."""
        job = Job(
            name=spec.name or default_name(spec.argv),
            command=json.dumps(spec.argv),
            cwd=spec.cwd,
            env_id=JobRepository.environment_id(session, spec.env),
            cpus=spec.cpus,
            time_limit=spec.time_limit,
            priority=spec.priority,
            state=JobState.PENDING,
            submit_time=utcnow(),
            stdout_path="",
            stderr_path="",
        )
        session.add(job)
        session.flush()
        job.stdout_path = str(logs / f"{job.id}.out")
        job.stderr_path = str(logs / f"{job.id}.err")
        session.flush()
        return job.id

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
        query = _matching(select(Job), states, text).order_by(*order)
        return list(session.scalars(query.limit(limit).offset(offset)))

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
