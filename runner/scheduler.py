"""The scheduler thread: starts pending jobs as their CPUs come free."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from runner.db import Database
from runner.executor import Executor
from runner.models import Job
from runner.repositories import JobRepository, SchedulerRepository
from runner.resources import ResourceCounter

logger = logging.getLogger(__name__)


class Scheduler:
    """Wakes on a submission or an ended job, never polls the queue."""

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
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._environments: dict[int, dict[str, str]] = {}
        self._cancels: set[int] = set()
        self._cancel_lock = threading.Lock()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="runner-scheduler", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Ask for a tick as soon as possible; cheap, callable from any thread."""
        self._wake.set()

    def cancel(self, job_id: int) -> None:
        """Ask for a running job to be stopped at the next tick."""
        with self._cancel_lock:
            self._cancels.add(job_id)
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
            self._wake.wait(self.executor.watch_interval())
            self._wake.clear()

    def tick(self) -> list[int]:
        """One round of scheduling; the ids of the jobs it started.

        1. Record what keepers reported: starts, exits, failures.
        2. Pass on cancel requests for running jobs.
        3. Look for runs whose keeper died or whose report was lost.
        4. Reserve CPUs for pending jobs in (priority, id) order, stopping at
           the first that does not fit, and mark them RUNNING, in one
           transaction.
        5. Hand the reserved jobs to the executor.
        """
        self._record()
        self._cancel()
        self.executor.check_runs()
        self._record()
        started = self._reserve()
        for job, run_id in started:
            try:
                self.executor.launch(job, run_id, self._environment(job.env_id))
            except Exception as error:
                logger.exception("job %d: launch failed", job.id)
                self.executor.fail_launch(job.id, run_id, str(error))
        return [job.id for job, _ in started]

    def _cancel(self) -> None:
        with self._cancel_lock:
            cancels, self._cancels = self._cancels, set()
        for job_id in sorted(cancels):
            self.executor.cancel(job_id)

    def _record(self) -> None:
        ended = self.executor.record_events()
        if ended:
            self.on_ended(ended)

    def _reserve(self) -> list[tuple[Job, int]]:
        free = self.counter.free_cpus
        if free <= 0:
            return []
        held = 0
        try:
            with self.database.write() as session:
                pending = SchedulerRepository.pending_jobs(session, limit=free)
                allocations = []
                for job in pending:
                    if not self.counter.try_reserve(job.cpus):
                        break
                    held += job.cpus
                    allocations.append(
                        SchedulerRepository.reserve(session, job, self.node_name)
                    )
                session.flush()
                started = [(a.job_id, a.id) for a in allocations]
        except Exception:
            self.counter.release(held)
            raise
        jobs = {job.id: job for job in pending}
        return [(jobs[job_id], run_id) for job_id, run_id in started]

    def _environment(self, env_id: int) -> dict[str, str]:
        if env_id not in self._environments:
            with self.database.read() as session:
                self._environments[env_id] = JobRepository.environment(session, env_id)
        return self._environments[env_id]
