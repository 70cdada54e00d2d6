"""The on_finish hook: an argv run after each job ends, never changing it."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

from runner.db import Database
from runner.repositories import JobRepository

logger = logging.getLogger(__name__)


class HookRunner:
    """Runs the configured argv for each ended job, off the scheduler thread."""

    def __init__(
        self, database: Database, argv: tuple[str, ...], timeout: float
    ) -> None:
        self.database = database
        self.argv = argv
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="runner-hook")

    def run(self, job_ids: list[int]) -> None:
        if self.argv:
            for job_id in job_ids:
                self._pool.submit(self._run_one, job_id)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run_one(self, job_id: int) -> None:
        env = self._environment(job_id)
        if env is None:
            return
        try:
            hook = subprocess.Popen(
                list(self.argv),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            logger.warning("job %d: on_finish hook failed to start: %s", job_id, error)
            return
        try:
            _, stderr = hook.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            logger.warning("job %d: on_finish hook timed out", job_id)
            _kill_group(hook)
            return
        if hook.returncode:
            logger.warning(
                "job %d: on_finish hook exited %d: %s",
                job_id,
                hook.returncode,
                stderr.decode(errors="replace").strip()[-500:],
            )

    def _environment(self, job_id: int) -> dict[str, str] | None:
        """The hook's environment, or None if the job is not final after all."""
        with self.database.read() as session:
            job = JobRepository.get(session, job_id)
            if job is None or not job.state.is_final:
                return None
            return dict(
                os.environ,
                RUNNER_JOB_ID=str(job.id),
                RUNNER_JOB_NAME=job.name,
                RUNNER_JOB_STATE=job.state.value,
                RUNNER_EXIT_CODE=job.exit_code or "",
                RUNNER_ERROR_MSG=job.error_msg or "",
                RUNNER_STDOUT_PATH=job.stdout_path,
                RUNNER_STDERR_PATH=job.stderr_path,
                RUNNER_ATTEMPT=str(job.attempt),
            )


def _kill_group(hook: subprocess.Popen[bytes]) -> None:
    """Kill a hook that ran too long, with everything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(hook.pid, signal.SIGKILL)
    hook.wait()
    if hook.stderr is not None:
        hook.stderr.close()
