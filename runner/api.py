"""The host's answers to client requests: one method per operation."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from runner.db import Database
from runner.models import FINAL_STATES, Job, JobState
from runner.repositories import JobRepository
from runner.spec import JobSpec, SpecError, check

if TYPE_CHECKING:
    from runner.host import Host

logger = logging.getLogger(__name__)

LONG_POLL = 30.0
"""Seconds a wait request may block before the client asks again."""


class UsageError(Exception):
    """Bad input from the client: exit status 2."""


def job_view(job: Job, pid: int | None) -> dict[str, Any]:
    """A job as clients see it: stable snake_case keys, ISO 8601 UTC times."""
    return {
        "id": job.id,
        "name": job.name,
        "state": job.state.value,
        "exit_code": job.exit_code,
        "error_msg": job.error_msg,
        "cpus": job.cpus,
        "time_limit": job.time_limit,
        "priority": job.priority,
        "command": _argv(job.command),
        "cwd": job.cwd,
        "pid": pid,
        "submit_time": _iso(job.submit_time),
        "start_time": _iso(job.start_time),
        "end_time": _iso(job.end_time),
        "stdout_path": job.stdout_path,
        "stderr_path": job.stderr_path,
    }


def _argv(command: str) -> list[str]:
    import json

    return list(json.loads(command))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()


class Api:
    """Turns requests into repository calls and scheduler wake-ups."""

    def __init__(self, host: Host) -> None:
        self.host = host

    @property
    def database(self) -> Database:
        return self.host.database

    def dispatch(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one request; errors become {"error": ..., "kind": ...}."""
        self.host.touch()
        op = request.pop("op", None)
        handler = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
        try:
            if handler is None:
                raise UsageError(f"unknown request {op!r}")
            return handler(**request)
        except (UsageError, SpecError, TypeError) as error:
            return {"error": str(error), "kind": "usage"}
        except Exception as error:
            logger.exception("api: %s failed", op)
            return {"error": f"{op}: {error}", "kind": "runtime"}

    def op_ping(self) -> dict[str, Any]:
        import os

        return {"pid": os.getpid(), "cpus": self.host.settings.cpus}

    def op_add(self, spec: dict[str, Any]) -> dict[str, Any]:
        job_spec = JobSpec.from_dict(spec)
        if not all(isinstance(arg, str) for arg in job_spec.argv):
            raise UsageError("command: every argument must be a string")
        check(job_spec, self.host.settings.cpus)
        with self.database.write() as session:
            job_id = JobRepository.add(session, job_spec, self.host.paths.logs)
        logger.debug("job %d: queued", job_id)
        self.host.scheduler.wake()
        return {"id": job_id}

    def op_list(
        self,
        states: list[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> dict[str, Any]:
        wanted = [_state(name) for name in states or ()]
        with self.database.read() as session:
            jobs = JobRepository.list(session, wanted, limit=limit, offset=offset)
            views = self._views(session, jobs)
            counts = JobRepository.counts(session)
        counter = self.host.counter
        return {
            "jobs": views,
            "counts": {state.value: counts.get(state, 0) for state in JobState},
            "cpus": {"total": counter.total_cpus, "used": counter.used_cpus},
        }

    def op_page(
        self,
        states: list[str] | None = None,
        text: str = "",
        sort: str = "id",
        descending: bool = False,
        limit: int = 200,
        offset: int = 0,
    ) -> dict[str, Any]:
        """One window of the queue, filtered and sorted, for a scrolling view.

        The offset is pulled back so that the window is full when it can be;
        the answer says which offset it used, and how many jobs match in all.
        """
        if sort not in (*JobRepository.SORT_KEYS, "end_time"):
            raise UsageError(f"cannot sort by {sort!r}")
        wanted = [_state(name) for name in states or ()]
        limit, offset = max(0, int(limit)), max(0, int(offset))
        with self.database.read() as session:
            total = JobRepository.count_matching(session, wanted, text)
            offset = min(offset, max(0, total - limit))
            jobs = JobRepository.page(
                session, wanted, text, sort, descending, limit, offset
            )
            views = self._views(session, jobs)
            counts = JobRepository.counts(session)
        counter = self.host.counter
        return {
            "jobs": views,
            "total": total,
            "offset": offset,
            "counts": {state.value: counts.get(state, 0) for state in JobState},
            "cpus": {"total": counter.total_cpus, "used": counter.used_cpus},
        }

    def op_show(self, ids: list[int]) -> dict[str, Any]:
        return {"jobs": self._jobs(ids)}

    def op_cancel(self, ids: list[int]) -> dict[str, Any]:
        self._require(ids)
        for job_id in ids:
            with self.database.write() as session:
                cancelled = JobRepository.cancel_pending(
                    session, job_id, "cancelled before it started"
                )
            if not cancelled:
                self.host.scheduler.cancel(job_id)
        deadline = self.host.settings.grace + LONG_POLL
        self._wait_final(ids, deadline)
        self.host.scheduler.wake()
        return {"jobs": self._jobs(ids)}

    def op_wait(self, ids: list[int], seconds: float = LONG_POLL) -> dict[str, Any]:
        self._require(ids)
        done = self._wait_final(ids, min(float(seconds), LONG_POLL))
        return {"jobs": self._jobs(ids), "done": done}

    def op_stop(self) -> dict[str, Any]:
        logger.info("host: asked to stop")
        self.host.request_stop()
        return {"stopping": True}

    def has_pending(self) -> bool:
        with self.database.read() as session:
            return bool(JobRepository.list(session, [JobState.PENDING], limit=1))

    def _wait_final(self, ids: Iterable[int], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        wanted = list(ids)
        with self.host.ended:
            while True:
                with self.database.read() as session:
                    states = JobRepository.states(session, wanted)
                if all(state in FINAL_STATES for state in states.values()):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.host.ended.wait(min(remaining, 1.0))

    def _require(self, ids: list[int]) -> None:
        if not ids:
            raise UsageError("give at least one job id")
        with self.database.read() as session:
            missing = JobRepository.missing_ids(session, ids)
        if missing:
            raise UsageError(f"unknown job id {missing[0]}")

    def _jobs(self, ids: list[int]) -> list[dict[str, Any]]:
        self._require(ids)
        with self.database.read() as session:
            jobs = JobRepository.list(session, ids=ids)
            by_id = {view["id"]: view for view in self._views(session, jobs)}
        return [by_id[job_id] for job_id in ids]

    @staticmethod
    def _views(session: Any, jobs: list[Job]) -> list[dict[str, Any]]:
        pids = JobRepository.processes(session, [job.id for job in jobs])
        return [job_view(job, pids.get(job.id)) for job in jobs]


def _state(name: str) -> JobState:
    try:
        return JobState(name.upper())
    except ValueError:
        choices = ", ".join(state.value for state in JobState)
        raise UsageError(f"--state: {name!r} is not one of {choices}") from None
