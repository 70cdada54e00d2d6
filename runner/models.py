"""The tables: jobs, the environments they captured, and their allocations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class JobState(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"
    SUSPENDED = "SUSPENDED"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"

    @property
    def is_final(self) -> bool:
        return self not in (JobState.PENDING, JobState.RUNNING, JobState.SUSPENDED)

    @property
    def is_failure(self) -> bool:
        """Ended badly for a reason of its own, so it may be retried."""
        return self in (JobState.FAILED, JobState.TIMEOUT, JobState.OUT_OF_MEMORY)


FINAL_STATES = tuple(state for state in JobState if state.is_final)


class AllocationStatus(enum.StrEnum):
    RESERVED = "RESERVED"
    ALLOCATED = "ALLOCATED"
    RELEASED = "RELEASED"


class Base(DeclarativeBase):
    pass


def _enum(kind: type[enum.Enum]) -> Enum:
    """A state column stored as its name, checked by SQLAlchemy, not by SQLite."""
    return Enum(kind, native_enum=False, length=16, create_constraint=False)


class Environment(Base):
    """One distinct environment captured at submission, shared by its jobs."""

    __tablename__ = "environments"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    variables: Mapped[str] = mapped_column(Text)
    """The variables as a JSON object."""


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    command: Mapped[str] = mapped_column(Text)
    """The argv as a JSON list; a one-string command is `/bin/sh -c STRING`."""
    cwd: Mapped[str] = mapped_column(Text)
    env_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    cpus: Mapped[int] = mapped_column(Integer)
    time_limit: Mapped[int | None] = mapped_column(Integer)
    """Seconds the job may run; None means no limit."""
    priority: Mapped[int] = mapped_column(Integer, default=0)
    """Higher runs first; ties go to the lower id."""
    state: Mapped[JobState] = mapped_column(_enum(JobState), default=JobState.PENDING)
    submit_time: Mapped[datetime]
    start_time: Mapped[datetime | None]
    end_time: Mapped[datetime | None]
    exit_code: Mapped[str | None] = mapped_column(String(32))
    """`"code:signal"` as Slurm reports it; `"-1:0"` when no process started."""
    error_msg: Mapped[str | None] = mapped_column(Text)
    stdout_path: Mapped[str] = mapped_column(Text)
    stderr_path: Mapped[str] = mapped_column(Text)
    mem: Mapped[int] = mapped_column(Integer, default=0)
    """Memory asked for, in MiB; 0 for none."""
    gpus: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    begin_time: Mapped[datetime | None]
    """The job may not start before this time (naive UTC)."""
    dependency: Mapped[str | None] = mapped_column(Text)
    """As given: `afterok:1:2,afterany:3`, with array ids expanded."""
    array_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """The array this job is a task of: the id of its first task."""
    array_task: Mapped[int | None] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    """How many times a failed run is retried by itself."""
    log_limit: Mapped[int | None] = mapped_column(Integer)
    """Bytes each of its logs may hold before runner cuts it; None for no cap."""

    allocations: Mapped[list[ResourceAllocation]] = relationship(
        back_populates="job", lazy="raise"
    )


class ResourceAllocation(Base):
    """One run of a job: what it holds, and the process that holds it."""

    __tablename__ = "resource_allocations"
    __table_args__ = (Index("ix_allocations_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    cpus: Mapped[int] = mapped_column(Integer)
    node_name: Mapped[str] = mapped_column(Text)
    status: Mapped[AllocationStatus] = mapped_column(
        _enum(AllocationStatus), default=AllocationStatus.RESERVED
    )
    process_id: Mapped[int | None] = mapped_column(Integer)
    process_start: Mapped[int | None] = mapped_column(Integer)
    """The process's start time in clock ticks after boot, as /proc reports it."""
    keeper_id: Mapped[int | None] = mapped_column(Integer)
    keeper_start: Mapped[int | None] = mapped_column(Integer)
    allocated_time: Mapped[datetime | None]
    released_time: Mapped[datetime | None]
    mem: Mapped[int] = mapped_column(Integer, default=0)
    gpu_ids: Mapped[str | None] = mapped_column(Text)
    """GPU indices handed to the run, as "0,1"."""
    core_ids: Mapped[str | None] = mapped_column(Text)
    """Cores the run is pinned to, as "2,3"; None when not pinned."""

    job: Mapped[Job] = relationship(back_populates="allocations", lazy="raise")


class JobArray(Base):
    """What the tasks of one array share."""

    __tablename__ = "job_arrays"

    id: Mapped[int] = mapped_column(primary_key=True)
    """The array job id: the id of its first task."""
    throttle: Mapped[int | None] = mapped_column(Integer)
    """At most this many tasks run at once; None for no limit."""
    count: Mapped[int] = mapped_column(Integer)
    min_task: Mapped[int] = mapped_column(Integer)
    max_task: Mapped[int] = mapped_column(Integer)


class JobAttempt(Base):
    """An earlier run of a job that was retried."""

    __tablename__ = "job_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    state: Mapped[JobState] = mapped_column(_enum(JobState))
    exit_code: Mapped[str | None] = mapped_column(String(32))
    error_msg: Mapped[str | None] = mapped_column(Text)
    start_time: Mapped[datetime | None]
    end_time: Mapped[datetime | None]
    stdout_path: Mapped[str] = mapped_column(Text)
    stderr_path: Mapped[str] = mapped_column(Text)


Index("ix_jobs_state_priority_id", Job.state, Job.priority.desc(), Job.id)
