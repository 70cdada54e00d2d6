"""The other tools runner is measured against, each where it is installed.

task-spooler keeps a server, as runner does, so it gets a fresh one per run;
GNU parallel and xargs take the whole list of jobs in one call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

SPOOLER_NAMES = ("tsp", "ts")
"""Debian installs task-spooler as `tsp`; elsewhere it may be `ts`, a name
moreutils also uses for another program, so the version is checked."""


@dataclass
class Peers:
    """What this machine has to compare with; None for a tool not installed."""

    spooler: str | None
    parallel: str | None
    xargs: str | None
    arrays: bool
    """Whether this runner's `add` takes `--array` yet."""


def detect(arrays: bool) -> Peers:
    return Peers(find_spooler(), find_parallel(), shutil.which("xargs"), arrays)


def find_spooler() -> str | None:
    """The path of task-spooler's command, or None if it is not installed."""
    for name in SPOOLER_NAMES:
        path = shutil.which(name)
        if path is None:
            continue
        try:
            done = subprocess.run(
                [path, "-V"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=5,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if b"task spooler" in (done.stdout + done.stderr).lower():
            return path
    return None


def find_parallel() -> str | None:
    """GNU parallel's path; None if absent or if it is another `parallel`."""
    path = shutil.which("parallel")
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "--version"], stdin=subprocess.DEVNULL, capture_output=True
        )
    except OSError:
        return None
    return path if done.stdout.startswith(b"GNU parallel") else None


def version(argv: list[str]) -> str:
    """The first line a tool prints about its version, or "" if it says none."""
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (done.stdout or done.stderr).decode(errors="replace").splitlines()
    return lines[0].strip() if lines else ""


class Spooler:
    """A task-spooler server of its own, with `slots` jobs at once."""

    def __init__(self, command: str, slots: int) -> None:
        self.command = command
        self.folder = Path(tempfile.mkdtemp(prefix="tsb", dir="/tmp"))
        self.env = dict(
            os.environ, TS_SOCKET=str(self.folder / "socket"), TMPDIR=str(self.folder)
        )
        self._call("-S", str(slots))

    def __enter__(self) -> Spooler:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, *args: str) -> str:
        done = subprocess.run(
            [self.command, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        return done.stdout.decode()

    def add(self, argv: list[str]) -> int:
        """Queue one job, one call of the command; its id."""
        return int(self._call(*argv))

    def wait_all(self, last: int) -> None:
        """Block until the last job and any still running before it have ended."""
        self._call("-w", str(last))
        for job_id in self.unfinished():
            self._call("-w", str(job_id))

    def unfinished(self) -> list[int]:
        """Ids of the jobs queued or running."""
        ids = []
        for line in self._call("-l").splitlines()[1:]:
            words = line.split()
            if len(words) >= 2 and words[1] in ("queued", "running", "allocating"):
                ids.append(int(words[0]))
        return ids

    def close(self) -> None:
        self._call("-K")
        shutil.rmtree(self.folder, ignore_errors=True)


def run_parallel(command: str, argv: list[str], count: int, jobs: int) -> None:
    """Run argv count times with GNU parallel, jobs at once."""
    with tempfile.TemporaryDirectory(prefix="pb", dir="/tmp") as home:
        subprocess.run(
            [command, "--will-cite", f"-j{jobs}", "-N0", *argv],
            input=_lines(count),
            env=dict(os.environ, PARALLEL_HOME=home),
            stdout=subprocess.DEVNULL,
            check=True,
        )


def run_xargs(argv: list[str], count: int, jobs: int) -> None:
    """Run argv count times with `xargs -P`, jobs at once."""
    subprocess.run(
        ["xargs", f"-P{jobs}", "-I{}", *argv],
        input=_lines(count),
        stdout=subprocess.DEVNULL,
        check=True,
    )


def _lines(count: int) -> bytes:
    return "".join(f"{index}\n" for index in range(count)).encode()
