"""The lean launcher: forks one keeper per job, so no job costs an interpreter.

The host starts `python -m runner.launcher` once and writes one JSON request per
line to its stdin. For each, the launcher forks a keeper that puts the job in
its own session, waits for it, stops its whole tree when asked, and records how
it ended in a run record file that any later host can read. Keepers report
`started`, `failed` and `finished` as JSON lines on the launcher's stdout;
when the host is gone those lines go nowhere and the run record still tells.

Standard library only: it must stay small to fork cheaply.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from typing import Any

from runner.joblog import LogCap, LogError, LogFile, close_logs, disk_full, open_logs
from runner.proc import signal_tree, start_ticks

PR_SET_CHILD_SUBREAPER = 36
_DEFAULT_SIGNALS = (
    signal.SIGPIPE,
    signal.SIGXFSZ,
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGALRM,
    signal.SIGCHLD,
    signal.SIGUSR1,
    signal.SIGUSR2,
)
_LOG_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC

try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def write_record(path: str, record: dict[str, Any]) -> None:
    """Replace the run record at once, so a reader never sees half of one."""
    partial = f"{path}.part"
    fd = os.open(partial, _LOG_FLAGS, 0o600)
    try:
        os.write(fd, json.dumps(record).encode())
    finally:
        os.close(fd)
    os.replace(partial, path)


def report(event: dict[str, Any]) -> None:
    """One line to the host; lost without harm when no host listens."""
    with contextlib.suppress(OSError):
        os.write(1, (json.dumps(event) + "\n").encode())


class Keeper:
    """Runs one job in its own session and stays until its whole tree is gone."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.request = request
        self.record: dict[str, Any] = {
            "job": request["job"],
            "run": request["run"],
            "keeper": os.getpid(),
            "keeper_start": start_ticks(os.getpid()),
        }
        self.pid = 0
        self.reason = "exited"
        self.stopping = False
        self.killing = False
        self.paused_remaining: float | None = None
        """Seconds of time limit left when the job was paused."""
        self.logs: list[LogFile] = []
        self.cap: LogCap | None = None
        """Set when the job's logs have a size limit: then the keeper polls."""

    def run(self) -> None:
        self._detach()
        try:
            write_record(self.request["record"], self.record)
        except OSError as error:
            self._finish({"event": "failed", "error": _record_failure(error)})
            return
        error = self._start()
        if error is not None:
            close_logs(self.logs)
            self._finish({"event": "failed", "error": error})
            return
        self.record.update(pid=self.pid, start=start_ticks(self.pid, zombie=True))
        with contextlib.suppress(OSError):
            write_record(self.request["record"], self.record)
        report({"event": "started", **self.record})
        if self.request.get("limit"):
            signal.setitimer(signal.ITIMER_REAL, float(self.request["limit"]))
        code, sig, leftovers = self._wait()
        signal.setitimer(signal.ITIMER_REAL, 0)
        self._finish(
            {
                "event": "finished",
                "code": code,
                "signal": sig,
                "reason": self.reason,
                "leftovers": leftovers,
                **self._log_outcome(),
            }
        )

    def _detach(self) -> None:
        os.setsid()
        if _prctl is not None:
            _prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._on_cancel)
        signal.signal(signal.SIGALRM, self._on_alarm)
        signal.signal(signal.SIGUSR1, self._on_control)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)

    def _start(self) -> str | None:
        """Spawn the job in its own session; why it could not start, or None.

        The keeper serves this one job, so it takes on the job's cores and
        directory itself and spawns without copying its memory (vfork).
        """
        request = self.request
        try:
            self.logs = open_logs(request["stdout"], request["stderr"])
        except LogError as error:
            return str(error)
        out, err = self.logs[0].job_fd, self.logs[-1].job_fd
        if request.get("log_limit"):
            self.cap = LogCap(self.logs, int(request["log_limit"]))
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        try:
            if request.get("cores"):
                os.sched_setaffinity(0, request["cores"])
            try:
                os.chdir(request["cwd"])
            except OSError as error:
                return f"cannot enter working directory {request['cwd']!r}: " + (
                    error.strerror or str(error)
                )
            return self._spawn(request, out, err)
        finally:
            close_logs(self.logs, job_side_only=True)

    def _spawn(self, request: dict[str, Any], out: int, err: int) -> str | None:
        argv = [os.fsencode(arg) for arg in request["argv"]]
        env = {
            os.fsencode(key): os.fsencode(value)
            for key, value in request["env"].items()
        }
        if b"PATH" in env:
            os.environb[b"PATH"] = env[b"PATH"]
        else:
            os.environb.pop(b"PATH", None)
        try:
            self.pid = os.posix_spawnp(
                argv[0],
                argv,
                env,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, out, 1),
                    (os.POSIX_SPAWN_DUP2, err, 2),
                ],
                setsid=True,
                setsigdef=_DEFAULT_SIGNALS,
                setsigmask=(),
            )
        except OSError as error:
            return f"cannot run {request['argv'][0]!r}: {error.strerror or error}"
        return None

    def _wait(self) -> tuple[int, int, int]:
        """Reap until no child is left; the job's code, signal and leftovers."""
        code, sig, leftovers = -1, 0, 0
        main_running = True
        while True:
            try:
                pid, status = self._reap()
            except ChildProcessError:
                return code, sig, leftovers
            if pid != self.pid or not main_running:
                continue
            main_running = False
            if os.WIFSIGNALED(status):
                code, sig = 0, os.WTERMSIG(status)
            else:
                code = os.waitstatus_to_exitcode(status)
            if not self.stopping and self._has_children():
                leftovers = signal_tree(os.getpid(), None, signal.SIGTERM)
                self._begin_stop()

    def _reap(self) -> tuple[int, int]:
        """The next child to end; with a log cap, the logs are checked meanwhile.

        SIGCHLD is blocked while capped, so a child that ends between the
        look and the sleep still wakes the sleep at once.
        """
        if self.cap is None:
            return os.waitpid(-1, 0)
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid:
                return pid, status
            self.cap.check()
            signal.sigtimedwait({signal.SIGCHLD}, self.cap.interval)

    def _log_outcome(self) -> dict[str, Any]:
        """What the logs add to the outcome: cuts made, or a full disk."""
        outcome: dict[str, Any] = {}
        if self.cap is not None:
            self.cap.check()
            outcome["notes"] = self.cap.notes()
        full = disk_full(self.logs)
        if full is not None and self.reason == "exited":
            outcome["reason"] = "disk_full"
            outcome["full"] = full
        close_logs(self.logs)
        return outcome

    def _has_children(self) -> bool:
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        return True

    def _on_cancel(self, _sig: int, _frame: object) -> None:
        if not self.stopping:
            self.reason = "cancelled"
            self._terminate()

    def _on_control(self, _sig: int, _frame: object) -> None:
        """The host wrote an action to the control file: pause, resume or oom."""
        try:
            with open(self.request["record"][: -len(".json")] + ".ctl") as control:
                action = control.read().strip()
        except OSError:
            return
        if action == "pause" and self.paused_remaining is None and not self.stopping:
            self.paused_remaining, _ = signal.setitimer(signal.ITIMER_REAL, 0)
            signal_tree(os.getpid(), self.pid, signal.SIGSTOP)
        elif action == "resume" and self.paused_remaining is not None:
            signal_tree(os.getpid(), self.pid, signal.SIGCONT)
            if self.paused_remaining > 0:
                signal.setitimer(signal.ITIMER_REAL, self.paused_remaining)
            self.paused_remaining = None
        elif action == "oom" and not self.killing:
            self.reason = "oom"
            self.stopping = self.killing = True
            signal_tree(os.getpid(), self.pid, signal.SIGKILL)
            signal.setitimer(signal.ITIMER_REAL, 1.0)

    def _on_alarm(self, _sig: int, _frame: object) -> None:
        if self.stopping:
            self.killing = True
            signal_tree(os.getpid(), self.pid, signal.SIGKILL)
            signal.setitimer(signal.ITIMER_REAL, 1.0)
            return
        self.reason = "timeout"
        self._terminate()

    def _terminate(self) -> None:
        signal_tree(os.getpid(), self.pid, signal.SIGTERM)
        if self.paused_remaining is not None:
            signal_tree(os.getpid(), self.pid, signal.SIGCONT)
            self.paused_remaining = None
        self._begin_stop()

    def _begin_stop(self) -> None:
        self.stopping = True
        signal.setitimer(signal.ITIMER_REAL, max(0.01, float(self.request["grace"])))

    def _finish(self, outcome: dict[str, Any]) -> None:
        self.record.update(outcome, ended=time.time())
        with contextlib.suppress(OSError):
            write_record(self.request["record"], self.record)
        report(self.record)


def _record_failure(error: OSError) -> str:
    return f"cannot write its run record {error.filename!r}: {error.strerror}"


def main() -> None:
    """Read requests until the host closes the pipe; fork a keeper for each."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    for line in sys.stdin.buffer:
        request = json.loads(line)
        if os.fork() == 0:
            status = 0
            try:
                Keeper(request).run()
            except BaseException:
                status = 1
                import traceback

                traceback.print_exc()
            finally:
                os._exit(status)


if __name__ == "__main__":
    main()
