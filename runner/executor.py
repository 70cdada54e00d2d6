"""Launches jobs through the launcher, and records what their keepers report."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from runner import proc
from runner.db import Database
from runner.models import AllocationStatus, Job, JobState
from runner.repositories.worker import WorkerRepository, describe_exit
from runner.resources import Grant, Request, ResourceCounter, parse_ids
from runner.spec import format_duration

logger = logging.getLogger(__name__)

START_DELAY = 0.25
"""Seconds a reported start may wait before it is written down: a job shorter
than that has its start and its end recorded in one tick, and a longer one
does not get a tick of its own just as a short neighbour ends."""
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass
class Run:
    """One run of a job that this host watches until it ends."""

    job_id: int
    run_id: int
    cpus: int
    record: Path
    time_limit: int | None = None
    pid: int | None = None
    start: int | None = None
    keeper: int | None = None
    keeper_start: int | None = None
    mem: int = 0
    """MiB the run may use; 0 for no limit."""
    retries: int = 0
    array_id: int | None = None
    request: Request = field(default_factory=lambda: Request(1))
    """What the run holds, for the planner's view of running jobs."""
    ends: float = math.inf
    """When its time limit frees its resources at the latest (epoch seconds)."""
    adopted: bool = False
    """Launched by an earlier host: no reports come, the record file tells."""
    orphaned: bool = False
    """Its keeper died first: only the job's process is left to watch."""
    cancelling: bool = False


class Executor:
    """Starts jobs under keepers and turns their reports into job states.

    Its whole view of the database is the repository it is given.
    """

    def __init__(
        self,
        repository: type[WorkerRepository],
        database: Database,
        counter: ResourceCounter,
        runs_dir: Path,
        grace: float,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.repository = repository
        self.database = database
        self.counter = counter
        self.runs_dir = runs_dir
        self.grace = grace
        self.wake = wake
        self.runs: dict[int, Run] = {}
        self.events: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._launcher: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._next_check = 0.0
        self._soon: threading.Timer | None = None
        self.after_end: Callable[[Session, list[int]], None] = lambda s, ids: None
        """Runs inside the transaction that records ended jobs."""
        self.empty_cuda = True

    # -- the launcher -------------------------------------------------------

    def start(self) -> None:
        """Start the launcher and the thread that reads its keepers' reports."""
        package_root = str(Path(__file__).resolve().parent.parent)
        self._launcher = subprocess.Popen(
            [sys.executable, "-S", "-m", "runner.launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
            cwd="/",
            env={**os.environ, "PYTHONPATH": package_root},
        )
        reader = threading.Thread(
            target=self._read_reports,
            args=(self._launcher.stdout,),
            name="runner-reports",
            daemon=True,
        )
        reader.start()
        logger.info("executor: launcher started as pid %d", self._launcher.pid)

    def stop(self) -> None:
        """Close the launcher; keepers and their jobs go on without it."""
        launcher, self._launcher = self._launcher, None
        if launcher is None:
            return
        with contextlib.suppress(OSError):
            assert launcher.stdin is not None
            launcher.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            launcher.wait(timeout=5)

    def _read_reports(self, stream: Any) -> None:
        """Queue each report; an end wakes the scheduler, a start may wait."""
        for line in stream:
            try:
                event = json.loads(line)
            except ValueError:
                logger.error("executor: unreadable report %r", line)
                continue
            self.events.put(event)
            if event.get("event") == "started":
                self._wake_soon()
            else:
                self.wake()

    def _wake_soon(self) -> None:
        """Wake the scheduler within START_DELAY, so starts are recorded in
        batches, often with the end of the same short job."""
        with self._lock:
            if self._soon is not None:
                return
            self._soon = threading.Timer(START_DELAY, self._wake_now)
            self._soon.daemon = True
            self._soon.start()

    def _wake_now(self) -> None:
        with self._lock:
            self._soon = None
        if not self.events.empty():
            self.wake()

    def _send(self, request: dict[str, Any]) -> None:
        data = (json.dumps(request) + "\n").encode()
        with self._lock:
            for _attempt in range(2):
                launcher = self._launcher
                try:
                    assert launcher is not None and launcher.stdin is not None
                    launcher.stdin.write(data)
                    launcher.stdin.flush()
                    return
                except (OSError, AssertionError, ValueError):
                    logger.warning("executor: launcher is gone; starting another")
                    self.start()
        raise RuntimeError("executor: cannot reach the launcher")

    # -- launching ----------------------------------------------------------

    def launch(
        self, job: Job, run_id: int, env: dict[str, str], grant: Grant | None = None
    ) -> None:
        """Hand one reserved job to a keeper."""
        grant = grant or Grant(job.cpus)
        record = self.runs_dir / f"{run_id}.json"
        self.runs[job.id] = Run(
            job.id,
            run_id,
            job.cpus,
            record,
            job.time_limit,
            mem=job.mem,
            retries=job.retries,
            array_id=job.array_id,
            request=Request(grant.cpus, grant.mem, len(grant.gpu_ids)),
            ends=time.time() + job.time_limit if job.time_limit else math.inf,
        )
        job_env = job_environment(job, env)
        if grant.gpu_ids or self.empty_cuda:
            job_env["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, grant.gpu_ids))
        self._send(
            {
                "job": job.id,
                "run": run_id,
                "argv": json.loads(job.command),
                "cwd": job.cwd,
                "env": job_env,
                "cores": list(grant.core_ids),
                "stdout": job.stdout_path,
                "stderr": job.stderr_path,
                "record": str(record),
                "limit": job.time_limit,
                "log_limit": job.log_limit,
                "grace": self.grace,
            }
        )
        logger.debug("job %d: handed to the launcher as run %d", job.id, run_id)

    def fail_launch(self, job_id: int, run_id: int, error: str) -> None:
        """Settle a run the launcher never took."""
        self.events.put(
            {"event": "failed", "job": job_id, "run": run_id, "error": error}
        )
        self.wake()

    def adopt(self, run: Run) -> None:
        """Watch a run that an earlier host started."""
        run.adopted = True
        self.runs[run.job_id] = run

    # -- recording ------------------------------------------------------------

    def take_events(self) -> list[dict[str, Any]]:
        """Every report waiting, oldest first."""
        events: list[dict[str, Any]] = []
        while True:
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                return events

    def requeue(self, events: list[dict[str, Any]]) -> None:
        """Keep reports for the next tick: a full disk may pass."""
        for event in events:
            self.events.put(event)

    def record_events(self) -> list[int]:
        """Apply every report waiting, in one transaction; the jobs that ended."""
        events = self.take_events()
        if not events:
            return []
        try:
            return self.apply(events)
        except Exception:
            self.requeue(events)
            raise

    def apply(
        self, events: Iterable[dict[str, Any]], release: bool = True
    ) -> list[int]:
        """Record reports of started and ended runs; the jobs that ended.

        With release False the counter is left alone, for a caller that
        rebuilds it from the database afterwards.
        """
        with self.database.write(durable=False) as session:
            ended, released = self.record(session, events)
        if release:
            self.give_back(released)
        remove_records(self.forget(ended))
        return ended

    def record(
        self, session: Session, events: Iterable[dict[str, Any]]
    ) -> tuple[list[int], list[Grant]]:
        """Write what the reports say in the caller's transaction.

        Returns the jobs that ended and what their runs held; the runs stay
        known until `forget`, so a transaction that fails can be tried again.
        """
        released: list[Grant] = []
        ended: list[int] = []
        for event in events:
            run = self.runs.get(event["job"])
            if run is None or run.run_id != event["run"] or run.job_id in ended:
                continue
            if event["event"] == "started":
                self._record_start(session, run, event)
                continue
            released.append(self._record_end(session, run, event))
            ended.append(run.job_id)
        retriable = [i for i in ended if self.runs[i].retries]
        if retriable:
            self.after_end(session, retriable)
        return ended, released

    def give_back(self, released: list[Grant]) -> None:
        for grant in released:
            self.counter.release(grant)

    def forget(self, ended: list[int]) -> list[Path]:
        """Drop the ended runs, once their end is saved; their run records,
        for the caller to remove with `remove_records`."""
        return [self.runs.pop(job_id).record for job_id in ended]

    def _record_start(self, session: Session, run: Run, event: dict[str, Any]) -> None:
        run.pid, run.start = event["pid"], event["start"]
        run.keeper, run.keeper_start = event["keeper"], event["keeper_start"]
        self.repository.update_allocation_to_allocated(session, run.job_id)
        self.repository.update_process_id(
            session, run.job_id, run.pid, run.start, run.keeper, run.keeper_start
        )
        logger.info("job %d: started as pid %d", run.job_id, run.pid)
        if run.cancelling:
            self._signal_keeper(run)

    def _record_end(self, session: Session, run: Run, event: dict[str, Any]) -> Grant:
        """Write how the run ended; what to give back to the counter."""
        if event.get("lost") and run.cancelling:
            self.repository.update_job_ended(
                session,
                run.job_id,
                JobState.CANCELLED,
                "-1:0",
                "cancelled; its keeper had died, so its exit status is unknown",
            )
        elif event["event"] == "failed":
            logger.info("job %d: could not start: %s", run.job_id, event["error"])
            self.repository.update_job_failed(
                session, run.job_id, event["error"], end_time=_ended_at(event)
            )
        else:
            self._record_exit(session, run, event)
        released = self.repository.release_allocation(session, run.job_id)
        if released is None or released[1] == AllocationStatus.RELEASED:
            return Grant(0)
        allocation = released[0]
        return Grant(
            allocation.cpus,
            allocation.mem,
            parse_ids(allocation.gpu_ids),
            parse_ids(allocation.core_ids),
        )

    def _record_exit(self, session: Session, run: Run, event: dict[str, Any]) -> None:
        code, sig = int(event["code"]), int(event["signal"])
        reason = event.get("reason", "exited")
        ended = _ended_at(event)
        logger.info("job %d: %s with %d:%d", run.job_id, reason, code, sig)
        notes = list(event.get("notes") or ())
        if reason == "exited" and not event.get("leftovers") and not notes:
            self.repository.update_job_completion(session, run.job_id, code, sig, ended)
            return
        state, message = _outcome(run, code, sig, reason)
        if event.get("leftovers"):
            notes.insert(
                0, f"stopped {event['leftovers']} background process(es) it left"
            )
        if reason == "disk_full":
            state = JobState.FAILED
            notes.insert(0, f"no space left on the disk of its log {event['full']}")
        message = "; ".join([message, *notes] if message else notes) or None
        self.repository.update_job_ended(
            session, run.job_id, state, f"{code}:{sig}", message, ended
        )

    # -- control ----------------------------------------------------------------

    def cancel(self, job_id: int) -> bool:
        """Stop a running job's whole tree: SIGTERM, grace, SIGKILL."""
        run = self.runs.get(job_id)
        if run is None:
            return False
        run.cancelling = True
        if run.keeper is not None and not run.orphaned:
            if self._signal_keeper(run):
                return True
            run.orphaned = True
        if run.pid is not None:
            threading.Thread(target=self._stop_orphan, args=(run,), daemon=True).start()
        return True

    def pause(self, job_id: int) -> bool:
        """Stop the job's whole tree with SIGSTOP; its time limit stops too."""
        return self._control(job_id, "pause")

    def resume(self, job_id: int) -> bool:
        """Continue a paused job's tree with SIGCONT."""
        return self._control(job_id, "resume")

    def _control(self, job_id: int, action: str) -> bool:
        run = self.runs.get(job_id)
        if run is None or run.keeper is None or run.orphaned:
            return False
        control = run.record.with_suffix(".ctl")
        control.write_text(action)
        sent = proc.send(run.keeper, run.keeper_start, signal.SIGUSR1)
        logger.info("job %d: %s %s", job_id, action, "sent" if sent else "failed")
        return sent

    def _signal_keeper(self, run: Run) -> bool:
        sent = proc.send(run.keeper, run.keeper_start, signal.SIGTERM)
        if not sent:
            logger.warning("job %d: keeper %s is gone", run.job_id, run.keeper)
        return sent

    def _stop_orphan(self, run: Run) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not proc.is_alive(run.pid, run.start):
                return
            assert run.pid is not None
            proc.signal_tree(run.pid, run.pid, sig)
            threading.Event().wait(self.grace)

    # -- watching ---------------------------------------------------------------

    def watch_interval(self) -> float | None:
        """Seconds until runs need another look, or None when none do."""
        if not self.runs:
            return None
        if any(run.adopted or run.orphaned or run.mem for run in self.runs.values()):
            return 0.5
        return 2.0

    def check_runs(self) -> None:
        """Find runs whose keeper died or whose report was lost, and settle them.

        Looks at most every half second, however often it is called.
        """
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + 0.5
        for run in list(self.runs.values()):
            if run.keeper is None:
                continue
            if not run.orphaned and proc.is_alive(run.keeper, run.keeper_start):
                if run.adopted:
                    self._queue_recorded_end(run)
                if run.mem:
                    self._check_memory(run)
                continue
            if self._queue_recorded_end(run):
                continue
            if proc.is_alive(run.pid, run.start):
                if not run.orphaned:
                    logger.warning(
                        "job %d: keeper %d died; watching pid %s alone",
                        run.job_id,
                        run.keeper,
                        run.pid,
                    )
                run.orphaned = True
                continue
            self.events.put(lost_event(run))

    def _check_memory(self, run: Run) -> None:
        used = tree_rss(run.keeper) // (1 << 20)
        if used > run.mem and not run.cancelling:
            logger.warning(
                "job %d: uses %d MiB, more than its %d MiB", run.job_id, used, run.mem
            )
            run.cancelling = True
            self._control(run.job_id, "oom")

    def _queue_recorded_end(self, run: Run) -> bool:
        record = read_record(run.record)
        if record.get("event") in ("finished", "failed"):
            self.events.put(record)
            return True
        return False


def _outcome(run: Run, code: int, sig: int, reason: str) -> tuple[JobState, str | None]:
    """The state a run ends in, and why, from what its keeper reported."""
    if reason == "timeout":
        limit = format_duration(run.time_limit) if run.time_limit else "its limit"
        return JobState.TIMEOUT, f"time limit {limit} reached"
    if reason == "oom":
        return (
            JobState.OUT_OF_MEMORY,
            f"used more memory than the {run.mem} MiB it asked for",
        )
    if reason == "cancelled":
        return JobState.CANCELLED, "cancelled"
    failure = describe_exit(code, sig)
    return (JobState.FAILED if failure else JobState.COMPLETED), failure


def _ended_at(event: dict[str, Any]) -> datetime | None:
    """When the keeper saw the run end, as naive UTC; None if it did not say."""
    stamp = event.get("ended")
    if stamp is None:
        return None
    return datetime.fromtimestamp(float(stamp), UTC).replace(tzinfo=None)


def lost_event(run: Run) -> dict[str, Any]:
    """The report for a run whose keeper died before it could say how it ended."""
    return {
        "event": "failed",
        "lost": True,
        "job": run.job_id,
        "run": run.run_id,
        "error": (
            f"process lost: its keeper (pid {run.keeper}) died before the job "
            f"(pid {run.pid}) ended, so its exit status is unknown"
        ),
    }


def tree_rss(root: int | None) -> int:
    """Bytes resident in every process below root."""
    import psutil

    try:
        children = psutil.Process(root).children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for child in children:
        try:
            total += child.memory_info().rss
        except psutil.Error:
            continue
    return total


def read_record(path: Path) -> dict[str, Any]:
    """A run record as its keeper last wrote it; empty if there is none."""
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}


def job_environment(job: Job, captured: dict[str, str]) -> dict[str, str]:
    """The environment captured at submission, plus what runner tells the job.

    captured may already hold the array variables the scheduler added.
    """
    env = dict(captured)
    env["RUNNER_JOB_ID"] = str(job.id)
    env["RUNNER_ATTEMPT"] = str(job.attempt)
    env["RUNNER_JOB_NAME"] = job.name
    env["RUNNER_CPUS"] = str(job.cpus)
    for name in THREAD_VARIABLES:
        env.setdefault(name, str(job.cpus))
    return env


def remove_records(records: list[Path]) -> None:
    """Delete run records whose end the database holds."""
    for record in records:
        with contextlib.suppress(OSError):
            record.unlink()
