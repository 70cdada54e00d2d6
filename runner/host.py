"""The host: the one process per home that schedules, launches and answers."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
import time
from typing import IO

from runner.api import Api
from runner.config import Paths, Settings
from runner.db import Database
from runner.endings import Endings
from runner.executor import Executor
from runner.hooks import HookRunner
from runner.recovery import reconcile
from runner.repositories import WorkerRepository
from runner.resources import ResourceCounter, Totals
from runner.scheduler import Scheduler
from runner.server import SocketServer

logger = logging.getLogger(__name__)


class HostRunning(Exception):
    """Another process already hosts this home."""


class Host:
    """Lock, database, executor, scheduler and socket server, started together."""

    def __init__(self, paths: Paths, settings: Settings) -> None:
        self.paths = paths
        self.settings = settings
        self._lock_file: IO[str] | None = None
        self._stopped = threading.Event()
        self.last_activity = time.monotonic()
        self.embedded = False
        """True inside the terminal app, which alone decides when it stops."""

    def start(self) -> None:
        """Take the home, reconcile what an earlier host left, start serving."""
        self._lock_file = take_lock(self.paths)
        try:
            self._start_parts()
        except BaseException:
            self._release_lock()
            raise
        logger.info(
            "host: pid %d serving %s with %d CPUs",
            os.getpid(),
            self.paths.home,
            self.settings.cpus,
        )

    def _start_parts(self) -> None:
        self.database = Database(self.paths.database)
        self.counter = ResourceCounter(machine_totals(self.settings))
        self.endings = Endings()
        self.executor = Executor(
            WorkerRepository,
            self.database,
            self.counter,
            self.paths.runs,
            self.settings.grace,
            wake=self._wake,
        )
        self.executor.empty_cuda = self.settings.empty_cuda
        self.hooks = HookRunner(
            self.database, self.settings.on_finish, self.settings.hook_timeout
        )
        self.scheduler = Scheduler(
            self.database,
            self.counter,
            self.executor,
            socket.gethostname(),
            on_ended=self._on_ended,
        )
        self.api = Api(self)
        with contextlib.suppress(FileNotFoundError):
            self.paths.socket.unlink()
        self.server = SocketServer(self.paths.socket, self.api.dispatch)
        self.executor.start()
        reconcile(self.database, self.executor, self.counter)
        self.scheduler.start()
        threading.Thread(
            target=self.server.serve_forever,
            args=(0.1,),
            name="runner-server",
            daemon=True,
        ).start()

    def _wake(self) -> None:
        self.scheduler.wake()

    def jobs_ended(self, job_ids: list[int]) -> None:
        """Tell waiters and hooks that these jobs reached a final state."""
        self._on_ended(job_ids)

    def _on_ended(self, job_ids: list[int]) -> None:
        self.last_activity = time.monotonic()
        self.hooks.run(job_ids)
        self.endings.announce(job_ids)

    def touch(self) -> None:
        """Note that a client asked for something, for the idle timeout."""
        self.last_activity = time.monotonic()

    def busy(self) -> bool:
        """True while jobs run or wait."""
        return bool(self.executor.runs) or self.api.has_pending()

    def serve(self, idle_timeout: float | None = None) -> None:
        """Block until stopped, or idle for idle_timeout seconds."""
        while not self._stopped.wait(1.0):
            if idle_timeout is None or self.busy():
                continue
            if time.monotonic() - self.last_activity > idle_timeout:
                logger.info("host: idle for %.0f s; exiting", idle_timeout)
                break
        self.stop()

    def request_stop(self) -> None:
        self._stopped.set()

    def stop(self) -> None:
        """Stop scheduling and serving; running jobs go on under their keepers."""
        self._stopped.set()
        self.server.shutdown()
        self.server.server_close()
        self.scheduler.stop()
        self.executor.stop()
        self.hooks.close()
        self.database.close()
        self._release_lock()
        logger.info("host: stopped")

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def take_lock(paths: Paths) -> IO[str]:
    """Hold the home's lock file for as long as the returned file stays open."""
    fd = os.open(paths.lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    lock_file = os.fdopen(fd, "r+")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = lock_file.read().strip() or "unknown"
        lock_file.close()
        raise HostRunning(
            f"a host already runs for {paths.home} (pid {holder})"
        ) from None
    lock_file.seek(0)
    lock_file.truncate()
    lock_file.write(f"{os.getpid()}\n")
    lock_file.flush()
    return lock_file


def machine_totals(settings: Settings) -> Totals:
    """What the counter hands out; cores only when each CPU can get its own."""
    cores: tuple[int, ...] = ()
    if settings.pin_cpus:
        available = tuple(sorted(os.sched_getaffinity(0)))
        if len(available) >= settings.cpus:
            cores = available[: settings.cpus]
        else:
            logger.warning(
                "host: %d CPUs configured but %d cores available; not pinning",
                settings.cpus,
                len(available),
            )
    return Totals(settings.cpus, settings.mem, settings.gpus, cores)
