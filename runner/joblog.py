"""A job's log files: opened without following links, and kept under a cap.

The job writes straight to its files, never through a runner process, so the
keeper enforces the cap from outside: it watches the files' sizes while the
job runs and cuts any file that passed its limit back to the limit, followed
by one marker line. The job keeps its descriptor, opened with O_APPEND, so
whatever it writes after a cut lands at the new end and is cut again; after
the job's last process ends the keeper cuts once more, so a finished log is
at most the limit plus the marker.

Standard library only: imported by the launcher, which must stay small.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from dataclasses import dataclass

_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
POLL_MIN = 0.01
POLL_MAX = 0.5
"""Seconds between looks at a capped log: shorter while the job writes fast."""


class LogError(Exception):
    """A log file runner refuses to write; the message says why."""


@dataclass
class LogFile:
    """One log file, as the job and as the keeper hold it."""

    path: str
    job_fd: int
    """What the job writes to: O_APPEND for a regular file."""
    own_fd: int | None
    """The keeper's own handle on a regular file, to cut it; None otherwise."""
    end: int | None = None
    """Once cut: the file's size with the marker line."""


def open_logs(stdout: str, stderr: str) -> list[LogFile]:
    """The job's stdout log, then its stderr log unless it is the same file."""
    logs = [open_log(stdout)]
    if stderr != stdout:
        try:
            logs.append(open_log(stderr))
        except LogError:
            close_logs(logs)
            raise
    return logs


def open_log(path: str) -> LogFile:
    """Open (and empty) one log, refusing a symlink or a file with other links.

    A FIFO or a device (such as /dev/null, given with -o) is written as is.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS, 0o600)
    except OSError as error:
        raise LogError(_open_failure(path, error)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.set_blocking(fd, True)
        return LogFile(path, fd, None)
    if info.st_nlink > 1:
        os.close(fd)
        raise LogError(
            f"log {path!r} has {info.st_nlink - 1} other hard link(s); runner "
            "does not empty a file it shares"
        )
    os.ftruncate(fd, 0)
    if info.st_mode & 0o077:
        os.fchmod(fd, 0o600)
    try:
        own = os.open(f"/proc/self/fd/{fd}", os.O_RDWR | os.O_CLOEXEC)
        job = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    finally:
        os.close(fd)
    return LogFile(path, job, own)


def _open_failure(path: str, error: OSError) -> str:
    if error.errno == errno.ELOOP and os.path.islink(path):
        return (
            f"log {path!r} is a symbolic link; runner does not write through one "
            "(remove it and submit again)"
        )
    if error.errno == errno.ENXIO:
        return f"log {path!r} is a FIFO that nothing reads"
    return f"cannot open log {path!r}: {error.strerror}"


def close_logs(logs: list[LogFile], job_side_only: bool = False) -> None:
    """Close the job's descriptors, and the keeper's too unless asked not to."""
    for log in logs:
        with contextlib.suppress(OSError):
            os.close(log.job_fd)
        if log.own_fd is not None and not job_side_only:
            with contextlib.suppress(OSError):
                os.close(log.own_fd)


def disk_full(logs: list[LogFile]) -> str | None:
    """The first log whose file system has no space left, or None."""
    for log in logs:
        if log.own_fd is None:
            continue
        with contextlib.suppress(OSError):
            if os.fstatvfs(log.own_fd).f_bavail == 0:
                return log.path
    return None


class LogCap:
    """Keeps each regular log at most `limit` bytes plus one marker line."""

    def __init__(self, logs: list[LogFile], limit: int) -> None:
        self.logs = [log for log in logs if log.own_fd is not None]
        self.limit = limit
        self.interval = POLL_MIN * 10
        self._sizes = {log.path: 0 for log in self.logs}

    def check(self) -> None:
        """Cut every log past its limit; adapt the interval to how fast they grow."""
        grew = 0
        for log in self.logs:
            with contextlib.suppress(OSError):
                grew = max(grew, self._check_one(log))
        if grew > self.limit // 8:
            self.interval = max(POLL_MIN, self.interval / 2)
        elif grew == 0:
            self.interval = min(POLL_MAX, self.interval * 1.5)

    def _check_one(self, log: LogFile) -> int:
        """Cut one log if it needs it; how many bytes it grew since last time."""
        assert log.own_fd is not None
        size = os.fstat(log.own_fd).st_size
        grew = max(0, size - self._sizes[log.path])
        if log.end is None and size > self.limit:
            marker = self._marker(log.own_fd)
            with contextlib.suppress(OSError):
                os.pwrite(log.own_fd, marker, self.limit)
            log.end = self.limit + len(marker)
        if log.end is not None and size > log.end:
            os.ftruncate(log.own_fd, log.end)
            size = log.end
        self._sizes[log.path] = size
        return grew

    def _marker(self, fd: int) -> bytes:
        before = os.pread(fd, 1, self.limit - 1) if self.limit else b"\n"
        line = (
            f"[runner: log limit of {format_size(self.limit)} reached; "
            "later output was discarded while the job went on]\n"
        ).encode()
        return line if before == b"\n" else b"\n" + line

    def notes(self) -> list[str]:
        """One note per log that was cut, for the job's error message."""
        return [
            f"{os.path.basename(log.path)} cut at its {format_size(self.limit)} limit"
            for log in self.logs
            if log.end is not None
        ]


def format_size(size: int) -> str:
    """Bytes as the largest binary unit that divides them: 10 MiB, 1500 B."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"
