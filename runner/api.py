"""The host's answers to client requests: one method per operation."""

from __future__ import annotations

import inspect
import json
import logging
import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from runner.db import Database
from runner.models import FINAL_STATES, Job, JobAttempt, JobState
from runner.repositories import JobRepository
from runner.spec import JobSpec, SpecError, check
from runner.submission import submit

if TYPE_CHECKING:
    from runner.host import Host

logger = logging.getLogger(__name__)

LONG_POLL = 30.0
"""Seconds a wait request may block before the client asks again."""


class UsageError(Exception):
    """Bad input from the client: exit status 2."""


class HostBusy(Exception):
    """A request this host cannot do as it runs now: exit status 1."""


def job_view(job: Job, pid: int | None, reason: str | None) -> dict[str, Any]:
    """A job as clients see it: stable snake_case keys, ISO 8601 UTC times."""
    return {
        "id": job.id,
        "name": job.name,
        "state": job.state.value,
        "reason": reason,
        "exit_code": job.exit_code,
        "error_msg": job.error_msg,
        "cpus": job.cpus,
        "mem": job.mem,
        "gpus": job.gpus,
        "time_limit": job.time_limit,
        "priority": job.priority,
        "command": json.loads(job.command),
        "cwd": job.cwd,
        "pid": pid,
        "submit_time": _iso(job.submit_time),
        "start_time": _iso(job.start_time),
        "end_time": _iso(job.end_time),
        "begin_time": _iso(job.begin_time),
        "held": job.held,
        "dependency": job.dependency,
        "array_job_id": job.array_id,
        "array_task_id": job.array_task,
        "attempt": job.attempt,
        "retries": job.retries,
        "stdout_path": job.stdout_path,
        "stderr_path": job.stderr_path,
    }


def _attempt_view(attempt: JobAttempt) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "state": attempt.state.value,
        "exit_code": attempt.exit_code,
        "error_msg": attempt.error_msg,
        "start_time": _iso(attempt.start_time),
        "end_time": _iso(attempt.end_time),
    }


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
            _check_arguments(handler, request)
            return handler(**request)
        except (UsageError, SpecError) as error:
            return {"error": str(error), "kind": "usage"}
        except HostBusy as error:
            return {"error": str(error), "kind": "runtime"}
        except Exception as error:
            logger.exception("api: %s failed", op)
            return {"error": f"{op}: {error}", "kind": "runtime"}

    # -- reading --------------------------------------------------------------

    def op_ping(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "cpus": self.host.settings.cpus}

    def op_limits(self) -> dict[str, Any]:
        settings = self.host.settings
        totals = self.host.counter.totals
        return {
            "home": str(self.host.paths.home),
            "cpus": settings.cpus,
            "memory_mib": settings.mem,
            "gpus": list(settings.gpus),
            "pinned_cores": list(totals.core_ids),
            "grace_seconds": settings.grace,
            "empty_cuda_visible_devices": settings.empty_cuda,
            "on_finish": list(settings.on_finish),
            "hook_timeout_seconds": settings.hook_timeout,
        }

    def op_list(
        self,
        states: list[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        ids: list[Any] | None = None,
    ) -> dict[str, Any]:
        wanted = [_state(name) for name in states or ()]
        with self.database.read() as session:
            job_ids = self._resolve(session, ids) if ids else None
            jobs = JobRepository.list(session, wanted, job_ids, limit, offset)
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
            "pid": os.getpid(),
        }

    def op_show(self, ids: list[Any]) -> dict[str, Any]:
        with self.database.read() as session:
            job_ids = self._resolve(session, ids)
            views = self._views(session, JobRepository.list(session, ids=job_ids))
        return {"jobs": views}

    def op_wait(self, ids: list[Any], seconds: float = LONG_POLL) -> dict[str, Any]:
        job_ids = self._resolve_now(ids)
        done = self._wait_final(job_ids, min(float(seconds), LONG_POLL))
        return {"jobs": self._jobs(job_ids), "done": done}

    # -- changing -------------------------------------------------------------

    def op_add(self, spec: dict[str, Any]) -> dict[str, Any]:
        job_spec = JobSpec.from_dict(spec)
        if job_spec.log_limit is None:
            job_spec.log_limit = self.host.settings.log_limit
        totals = self.host.counter.totals
        check(job_spec, totals.cpus, totals.mem, len(totals.gpu_ids))
        with self.database.write() as session:
            ids = submit(session, job_spec, self.host.paths.logs)
        logger.debug("job %d: queued (%d jobs)", ids[0], len(ids))
        if job_spec.dependency:
            self.host.scheduler.note_dependency()
        self.host.scheduler.wake()
        return {"id": ids[0], "ids": [ids[0], ids[-1]], "count": len(ids)}

    def op_cancel(self, ids: list[Any]) -> dict[str, Any]:
        job_ids = self._resolve_now(ids)
        with self.database.write() as session:
            dropped = [
                job_id
                for job_id in job_ids
                if JobRepository.cancel_pending(
                    session, job_id, "cancelled before it started"
                )
            ]
        if dropped:
            self.host.jobs_ended(dropped)
        for job_id in job_ids:
            if job_id not in dropped:
                self.host.scheduler.control("cancel", job_id)
        self._wait_final(job_ids, self.host.settings.grace + LONG_POLL)
        self.host.scheduler.wake()
        return {"jobs": self._jobs(job_ids)}

    def op_hold(self, ids: list[Any]) -> dict[str, Any]:
        return self._change(ids, lambda s, i: JobRepository.set_held(s, i, True))

    def op_release(self, ids: list[Any]) -> dict[str, Any]:
        return self._change(ids, lambda s, i: JobRepository.set_held(s, i, False))

    def op_top(self, ids: list[Any]) -> dict[str, Any]:
        job_ids = self._resolve_now(ids)
        with self.database.write() as session:
            changed = JobRepository.move_to_top(session, job_ids)
        self.host.scheduler.wake()
        return {"jobs": self._jobs(job_ids), "changed": changed}

    def op_retry(self, ids: list[Any]) -> dict[str, Any]:
        return self._change(ids, JobRepository.retry)

    def op_pause(self, ids: list[Any]) -> dict[str, Any]:
        return self._control(ids, "pause", suspended=True)

    def op_resume(self, ids: list[Any]) -> dict[str, Any]:
        return self._control(ids, "resume", suspended=False)

    def op_stop(self) -> dict[str, Any]:
        if self.host.embedded:
            raise HostBusy(
                f"the host (pid {os.getpid()}) runs inside the terminal app; "
                "quit the app to stop it"
            )
        logger.info("host: asked to stop")
        self.host.request_stop()
        return {"stopping": True}

    def has_pending(self) -> bool:
        with self.database.read() as session:
            return JobRepository.has_pending(session)

    def _change(self, ids: list[Any], change: Any) -> dict[str, Any]:
        """Apply change to each job in one transaction; which ones it changed."""
        job_ids = self._resolve_now(ids)
        with self.database.write() as session:
            changed = [job_id for job_id in job_ids if change(session, job_id)]
        self.host.scheduler.wake()
        return {"jobs": self._jobs(job_ids), "changed": changed}

    def _control(self, ids: list[Any], action: str, suspended: bool) -> dict[str, Any]:
        job_ids = self._resolve_now(ids)
        with self.database.write() as session:
            changed = [
                job_id
                for job_id in job_ids
                if JobRepository.set_suspended(session, job_id, suspended)
            ]
        for job_id in changed:
            self.host.scheduler.control(action, job_id)
        return {"jobs": self._jobs(job_ids), "changed": changed}

    # -- helpers --------------------------------------------------------------

    def _wait_final(self, ids: Iterable[int], timeout: float) -> bool:
        """Block until every job is in a final state, or timeout seconds pass.

        The states are read again when one of the jobs is announced as ended,
        or after a second without any announcement.
        """
        deadline = time.monotonic() + timeout
        waiting = set(ids)
        endings = self.host.endings
        while True:
            mark = endings.mark()
            with self.database.read() as session:
                states = JobRepository.states(session, waiting)
            waiting = {i for i, s in states.items() if s not in FINAL_STATES}
            if not waiting:
                return True
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                mark, ended = endings.wait(mark, min(remaining, 1.0))
                if ended is None or not ended or ended & waiting:
                    break

    def _resolve_now(self, ids: list[Any]) -> list[int]:
        with self.database.read() as session:
            return self._resolve(session, ids)

    @staticmethod
    def _resolve(session: Session, ids: list[Any]) -> list[int]:
        """Job ids from `N` (a job, or every task of array N) and `N_T` (a task)."""
        if not ids:
            raise UsageError("give at least one job id")
        plain: list[int] = []
        tasks: dict[int, int] = {}
        for given in ids:
            text = str(given)
            array, _, task = text.partition("_")
            if not array.isdigit() or (task and not task.isdigit()):
                raise UsageError(f"{text!r} is not a job id (N, or N_T for a task)")
            if not task:
                plain.append(int(array))
                continue
            found = JobRepository.task_id(session, int(array), int(task))
            if found is None:
                raise UsageError(f"unknown job id {text}")
            tasks[len(plain)] = found
            plain.append(-1)
        missing = JobRepository.missing_ids(session, [i for i in plain if i > 0])
        if missing:
            raise UsageError(f"unknown job id {missing[0]}")
        expanded = JobRepository.expand_groups(session, [i for i in plain if i > 0])
        resolved: list[int] = []
        for index, job_id in enumerate(plain):
            resolved.extend([tasks[index]] if job_id < 0 else expanded[job_id])
        return list(dict.fromkeys(resolved))

    def _jobs(self, ids: list[int]) -> list[dict[str, Any]]:
        with self.database.read() as session:
            jobs = JobRepository.list(session, ids=ids)
            by_id = {view["id"]: view for view in self._views(session, jobs)}
        return [by_id[job_id] for job_id in ids if job_id in by_id]

    def _views(self, session: Session, jobs: list[Job]) -> list[dict[str, Any]]:
        asked = [job.id for job in jobs if len(jobs) <= 500 or not job.state.is_final]
        pids = JobRepository.processes(session, asked) if asked else {}
        retried = [job.id for job in jobs if job.attempt > 1]
        history = JobRepository.attempts(session, retried) if retried else {}
        views = []
        for job in jobs:
            view = job_view(job, pids.get(job.id), self._reason(job))
            view["attempts"] = [_attempt_view(a) for a in history.get(job.id, ())]
            views.append(view)
        return views

    def _reason(self, job: Job) -> str | None:
        if job.state != JobState.PENDING:
            return None
        if job.held:
            return "Held"
        if job.begin_time is not None and job.begin_time > datetime.now(UTC).replace(
            tzinfo=None
        ):
            return "BeginTime"
        return self.host.scheduler.reasons.get(job.id, "Priority")


def _check_arguments(handler: Any, request: dict[str, Any]) -> None:
    try:
        inspect.signature(handler).bind(**request)
    except TypeError as error:
        raise UsageError(f"bad request: {error}") from None


def _state(name: str) -> JobState:
    try:
        return JobState(name.upper())
    except ValueError:
        choices = ", ".join(state.value for state in JobState)
        raise UsageError(f"--state: {name!r} is not one of {choices}") from None
