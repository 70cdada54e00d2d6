"""The scheduler thread: starts pending jobs as their resources come free."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from runner import dependency as deps
from runner import planner
from runner.db import Database
from runner.executor import Executor, remove_records
from runner.models import Job, JobArray
from runner.recovery import recount
from runner.repositories import JobRepository, SchedulerRepository
from runner.resources import Grant, Request, ResourceCounter, format_ids

logger = logging.getLogger(__name__)

WINDOW = 1000
"""Pending jobs looked at per tick at most, in priority order."""
CHUNK = 4
"""Pending jobs loaded at first (or as many as CPUs are free); later chunks
grow fourfold."""


class Scheduler:
    """Wakes on a submission, a request or an ended job; never polls the queue."""

    def __init__(
        self,
        database: Database,
        counter: ResourceCounter,
        executor: Executor,
        node_name: str,
        on_ended: Callable[[list[int]], None] = lambda ids: None,
    ) -> None:
        self.database = database
        self.counter = counter
        self.executor = executor
        self.node_name = node_name
        self.on_ended = on_ended
        self.reasons: dict[int, str] = {}
        """Why each pending job looked at in the last tick did not start."""
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._environments: dict[int, dict[str, str]] = {}
        self._controls: list[tuple[str, int]] = []
        self._controls_lock = threading.Lock()
        self._next_begin: float | None = None
        self._array_env: dict[int, dict[str, str]] = {}
        self._array_cache: dict[int, JobArray] = {}
        self._dependents = True
        """False once no pending job is known to wait on another."""
        self._new_dependents = True
        executor.after_end = _retry_failures

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="runner-scheduler", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Ask for a tick as soon as possible; cheap, callable from any thread."""
        self._wake.set()

    def control(self, action: str, job_id: int) -> None:
        """Ask for a running job to be cancelled, paused or resumed."""
        with self._controls_lock:
            self._controls.append((action, job_id))
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stopping:
            try:
                self.tick()
            except Exception:
                logger.exception("scheduler: tick failed")
            self._wake.wait(self._timeout())
            self._wake.clear()

    def _timeout(self) -> float | None:
        timeouts = [self.executor.watch_interval()]
        if self._next_begin is not None:
            timeouts.append(max(0.0, self._next_begin - time.time()) + 0.01)
        known = [t for t in timeouts if t is not None]
        return min(known) if known else None

    def tick(self) -> list[int]:
        """One round of scheduling; the ids of the jobs it started.

        1. Pass on cancel, pause and resume requests for running jobs.
        2. Look for runs whose keeper died or whose report was lost.
        3. In one transaction: record what keepers reported (starts, exits,
           failures), give back what ended runs held, then plan: walk pending
           jobs in (priority, id) order, start those that fit, hold a
           reservation for the first that does not, backfill behind it; the
           jobs that start are reserved and marked RUNNING.
        4. Cancel jobs whose dependency can never be met; tell waiters.
        5. Hand the reserved jobs to the executor, then pass on requests
           that waited for a run's keeper to report.
        """
        self._apply_controls()
        self.executor.check_runs()
        started, spent = self._record_and_reserve()
        for job, run_id, grant in started:
            try:
                env = self._environment(job.env_id)
                extra = self._array_env.get(job.id)
                env = {**env, **extra} if extra else env
                self.executor.launch(job, run_id, env, grant)
            except Exception as error:
                logger.exception("job %d: launch failed", job.id)
                self.executor.fail_launch(job.id, run_id, str(error))
        remove_records(spent)  # after the launches, off their way
        if self._controls:
            self._apply_controls()
        return [job.id for job, _, _ in started]

    def _record_and_reserve(
        self,
    ) -> tuple[list[tuple[Job, int, Grant]], list[Path]]:
        """Record reports and reserve what may start, in one transaction;
        what was reserved, and the run records of the runs that ended."""
        events = self.executor.take_events()
        if not events and self.counter.free_cpus <= 0:
            self._settle_dependencies()
            self._after_ends([])
            return [], []
        try:
            with self.database.write(durable=False) as session:
                ended, released = self.executor.record(session, events)
                self.executor.give_back(released)
                started = self._reserve(session, set(ended))
        except Exception:
            self.executor.requeue(events)
            recount(self.database, self.counter)  # what the failed commit held
            raise
        spent = self.executor.forget(ended)
        self._after_ends(ended)
        return started, spent

    def _after_ends(self, ended: list[int]) -> None:
        if ended or self._new_dependents:
            self._new_dependents = False
            self._cancel_unsatisfiable()
        if ended:
            self.on_ended(ended)

    def _apply_controls(self) -> None:
        """Pass requests on; keep pause and resume of a run not yet started.

        A job is RUNNING as soon as it is reserved, but its processes can be
        signalled only once its keeper has reported them; until then the
        request waits for a later tick, in order with the job's others.
        """
        with self._controls_lock:
            controls, self._controls = self._controls, []
        later: list[tuple[str, int]] = []
        for action, job_id in controls:
            if action != "cancel" and (
                self._not_started(job_id) or any(j == job_id for _, j in later)
            ):
                later.append((action, job_id))
                continue
            getattr(self.executor, action)(job_id)
        if later:
            with self._controls_lock:
                self._controls[:0] = later

    def _not_started(self, job_id: int) -> bool:
        run = self.executor.runs.get(job_id)
        return run is not None and run.keeper is None

    def _reserve(
        self, session: Session, ended: set[int]
    ) -> list[tuple[Job, int, Grant]]:
        """Plan and reserve in the caller's transaction; what was reserved.

        ended are runs this transaction recorded as over: they hold nothing.
        """
        if self.counter.free_cpus <= 0:
            self._settle_dependencies(session)
            return []
        grants: dict[int, Grant] = {}
        jobs, result = self._plan(session, grants, ended)
        allocations = [
            SchedulerRepository.reserve(
                session,
                jobs[job_id],
                self.node_name,
                format_ids(grants[job_id].gpu_ids),
                format_ids(grants[job_id].core_ids),
            )
            for job_id in result.started
        ]
        session.flush()
        started = [(a.job_id, a.id) for a in allocations]
        tasks = [jobs[i] for i, _ in started if jobs[i].array_id is not None]
        arrays = self._arrays(session, {job.array_id for job in tasks})
        self._array_env = _array_variables(tasks, arrays)
        self.reasons = result.reasons
        return [(jobs[job_id], run_id, grants[job_id]) for job_id, run_id in started]

    def _settle_dependencies(self, session: Session | None = None) -> None:
        """With no CPU free nothing is planned, but jobs that wait on others
        still say so; broken chains are cancelled as jobs end."""
        if not self._dependents:
            return
        if session is None:
            with self.database.read() as reading:
                parsed, states = _waiting_dependencies(reading)
        else:
            parsed, states = _waiting_dependencies(session)
        for job_id, dependency in parsed.items():
            if deps.evaluate(dependency, states)[0] != deps.MET:
                self.reasons[job_id] = planner.DEPENDENCY

    def _plan(
        self, session: Session, grants: dict[int, Grant], ended: set[int]
    ) -> tuple[dict[int, Job], planner.Plan]:
        """Offer pending jobs to the planner a chunk at a time, in order.

        Stops once nothing more can start: no CPU is free, or WINDOW jobs
        were looked at.
        """
        runs = [r for r in self.executor.runs.values() if r.job_id not in ended]
        holdings = [planner.Holding(run.request, run.ends) for run in runs]
        per_array = _tasks_per_array(run.array_id for run in runs)

        def reserve(job_id: int, request: Request) -> bool:
            grant = self.counter.try_reserve(request)
            if grant is not None:
                grants[job_id] = grant
            return grant is not None

        plan = planner.Planner(holdings, reserve, self.counter.free, time.time())
        jobs: dict[int, Job] = {}
        self._next_begin = None
        after: tuple[int, int] | None = None
        size = max(self.counter.free_cpus, CHUNK)
        while len(jobs) < WINDOW and self.counter.free_cpus > 0:
            chunk = SchedulerRepository.pending_jobs(
                session, limit=size, after=after, limited_only=plan.backfilling
            )
            for candidate in self._candidates(session, chunk, per_array):
                plan.offer(candidate)
            jobs.update((job.id, job) for job in chunk)
            if len(chunk) < size:
                break
            after = (chunk[-1].priority, chunk[-1].id)
            size = min(size * 4, WINDOW - len(jobs))
        return jobs, plan.result

    def _candidates(
        self, session: Session, pending: list[Job], per_array: dict[int, int]
    ) -> list[planner.Candidate]:
        now = datetime.now(UTC).replace(tzinfo=None)
        states = self._dependency_states(session, pending)
        throttles = self._throttles(session, pending)
        candidates = []
        for job in pending:
            blocked = self._blocked_by(job, now, states)
            if blocked is None and job.array_id in throttles:
                running_tasks = per_array.get(job.array_id, 0)
                if running_tasks >= throttles[job.array_id]:
                    blocked = planner.ARRAY_LIMIT
                else:
                    per_array[job.array_id] = running_tasks + 1
            candidates.append(
                planner.Candidate(
                    job.id,
                    Request(job.cpus, job.mem, job.gpus),
                    job.time_limit,
                    blocked,
                )
            )
        return candidates

    def note_dependency(self) -> None:
        """A job that waits on others was queued: check dependencies again."""
        self._dependents = self._new_dependents = True

    def _cancel_unsatisfiable(self) -> None:
        """Cancel pending jobs whose dependency can no longer be met, and then
        those that waited on them, until a broken chain is settled."""
        while self._dependents and self._cancel_broken_links():
            pass

    def _cancel_broken_links(self) -> bool:
        """One pass over the waiting jobs; True if it cancelled any."""
        with self.database.read() as session:
            if not JobRepository.dependents(session):
                self._dependents = False
                return False
        with self.database.write(durable=False) as session:
            parsed, states = _waiting_dependencies(session)
            cancelled = []
            for job_id, dependency in parsed.items():
                outcome, term = deps.evaluate(dependency, states)
                if outcome == deps.NEVER:
                    reason = f"dependency {term} can never be satisfied"
                    logger.info("job %d: cancelled: %s", job_id, reason)
                    JobRepository.cancel_pending(session, job_id, reason)
                    cancelled.append(job_id)
        if cancelled:
            self.on_ended(cancelled)
            self._wake.set()
        return bool(cancelled)

    def _blocked_by(
        self, job: Job, now: datetime, states: dict[int, str]
    ) -> str | None:
        if job.held:
            return planner.HELD
        if job.begin_time is not None and job.begin_time > now:
            begin = job.begin_time.replace(tzinfo=UTC).timestamp()
            self._next_begin = min(begin, self._next_begin or begin)
            return planner.BEGIN_TIME
        if job.dependency:
            outcome, _ = deps.evaluate(deps.parse(job.dependency), states)
            if outcome != deps.MET:
                return planner.DEPENDENCY
        return None

    @staticmethod
    def _dependency_states(session: Session, pending: list[Job]) -> dict[int, str]:
        wanted: set[int] = set()
        for job in pending:
            if job.dependency:
                wanted |= deps.parse(job.dependency).ids
        return SchedulerRepository.states(session, wanted) if wanted else {}

    def _throttles(self, session: Session, pending: list[Job]) -> dict[int, int]:
        ids = {job.array_id for job in pending if job.array_id is not None}
        arrays = self._arrays(session, ids)
        return {i: a.throttle for i, a in arrays.items() if a.throttle is not None}

    def _arrays(self, session: Session, ids: set[int]) -> dict[int, JobArray]:
        """Arrays by id, from a cache: an array never changes once queued."""
        missing = ids - self._array_cache.keys()
        if missing:
            for array_id, array in JobRepository.arrays(session, missing).items():
                session.expunge(array)
                self._array_cache[array_id] = array
        return {i: self._array_cache[i] for i in ids if i in self._array_cache}

    def _environment(self, env_id: int) -> dict[str, str]:
        if env_id not in self._environments:
            with self.database.read() as session:
                self._environments[env_id] = JobRepository.environment(session, env_id)
        return self._environments[env_id]


def _array_variables(
    tasks: list[Job], arrays: dict[int, JobArray]
) -> dict[int, dict[str, str]]:
    """The RUNNER_ARRAY_* variables of each array task."""
    variables = {}
    for job in tasks:
        array = arrays[job.array_id]
        variables[job.id] = {
            "RUNNER_ARRAY_JOB_ID": str(array.id),
            "RUNNER_ARRAY_TASK_ID": str(job.array_task),
            "RUNNER_ARRAY_TASK_COUNT": str(array.count),
            "RUNNER_ARRAY_TASK_MIN": str(array.min_task),
            "RUNNER_ARRAY_TASK_MAX": str(array.max_task),
        }
    return variables


def _waiting_dependencies(
    session: Session,
) -> tuple[dict[int, deps.Dependency], dict[int, str]]:
    """Each pending job's dependency, and the states of the jobs they name."""
    parsed = {
        job_id: deps.parse(text) for job_id, text in JobRepository.dependents(session)
    }
    wanted = set().union(set(), *(dep.ids for dep in parsed.values()))
    states = SchedulerRepository.states(session, wanted) if wanted else {}
    return parsed, states


def _tasks_per_array(array_ids: Iterable[int | None]) -> dict[int, int]:
    """How many tasks of each array hold resources now."""
    counts: dict[int, int] = {}
    for array_id in array_ids:
        if array_id is not None:
            counts[array_id] = counts.get(array_id, 0) + 1
    return counts


def _retry_failures(session: Session, job_ids: list[int]) -> None:
    """Queue again the failed jobs that have retries left."""
    for job_id in job_ids:
        if JobRepository.retry(session, job_id, automatic=True):
            logger.info("job %d: failed; queued again", job_id)
