"""What a submission asks for, and the checks it must pass before it is queued.

Standard library only: the client validates here before it talks to the host.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

ARG_MAX_ONE = 128 * 1024
"""The kernel's limit on one argument (MAX_ARG_STRLEN), in bytes."""

_TIME_FORMATS = (
    # Slurm's: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S
    re.compile(r"^(?P<m>\d+)$"),
    re.compile(r"^(?P<m>\d+):(?P<s>\d+)$"),
    re.compile(r"^(?P<h>\d+):(?P<m>\d+):(?P<s>\d+)$"),
    re.compile(r"^(?P<d>\d+)-(?P<h>\d+)$"),
    re.compile(r"^(?P<d>\d+)-(?P<h>\d+):(?P<m>\d+)$"),
    re.compile(r"^(?P<d>\d+)-(?P<h>\d+):(?P<m>\d+):(?P<s>\d+)$"),
)


class SpecError(ValueError):
    """A submission that cannot be queued; the message names the flag."""


@dataclass
class JobSpec:
    """One job as submitted: the argv runs exactly as given."""

    argv: list[str]
    cwd: str
    env: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    cpus: int = 1
    time_limit: int | None = None
    """Seconds; None means no limit."""
    priority: int = 0
    mem: int = 0
    """MiB to reserve; 0 for none."""
    gpus: int = 0
    dependency: str | None = None
    hold: bool = False
    begin: str | None = None
    """ISO 8601 UTC time before which the job may not start."""
    array: str | None = None
    """Task ids as sbatch spells them, e.g. `1-10%2`."""
    retries: int = 0
    output: str | None = None
    """Stdout path pattern (%A, %a, %j, %x); None for the home's logs."""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSpec:
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        return cls(**known)


def shell_argv(command: str) -> list[str]:
    """The argv that runs a one-string command through the shell."""
    return ["/bin/sh", "-c", command]


def default_name(argv: list[str]) -> str:
    """The job's name when none is given: the program, or the shell's command."""
    if argv[:2] == ["/bin/sh", "-c"] and len(argv) > 2:
        words = argv[2].split()
        program = words[0] if words else "sh"
    else:
        program = argv[0]
    return os.path.basename(program) or program


def parse_time_limit(text: str) -> int:
    """Seconds from one of Slurm's time formats; raises SpecError if it is none."""
    value = text.strip()
    for pattern in _TIME_FORMATS:
        match = pattern.match(value)
        if match:
            parts = {key: int(number) for key, number in match.groupdict().items()}
            seconds = (
                parts.get("d", 0) * 86400
                + parts.get("h", 0) * 3600
                + parts.get("m", 0) * 60
                + parts.get("s", 0)
            )
            if seconds <= 0:
                raise SpecError(f"-t/--time: {text!r} is zero; give a positive time")
            return seconds
    raise SpecError(
        f"-t/--time: {text!r} is not a time (use MM, MM:SS, HH:MM:SS, D-HH, "
        "D-HH:MM or D-HH:MM:SS)"
    )


def format_duration(seconds: float | None) -> str:
    """A duration as Slurm prints it: [D-]HH:MM:SS."""
    if seconds is None:
        return ""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}-{clock}" if days else clock


def check(
    spec: JobSpec,
    total_cpus: int | None = None,
    total_mem: int | None = None,
    total_gpus: int | None = None,
) -> None:
    """Raise SpecError for the first thing wrong with the submission."""
    check_argv(spec.argv)
    _check_count("-c/--cpus", spec.cpus, 1, total_cpus, "CPUs")
    _check_count("--mem", spec.mem, 0, total_mem, "MiB of memory")
    _check_count("-G/--gpus", spec.gpus, 0, total_gpus, "GPUs")
    _check_count("--retries", spec.retries, 0, None, "")
    if spec.time_limit is not None and spec.time_limit <= 0:
        raise SpecError("-t/--time: the limit must be positive")
    if spec.name is not None and ("\0" in spec.name or not spec.name.strip()):
        raise SpecError("-J/--job-name: give a non-empty name without NUL bytes")
    if not os.path.isdir(spec.cwd):
        raise SpecError(f"-D/--chdir: {spec.cwd!r} is not a directory")


def _check_count(
    flag: str, value: object, least: int, most: int | None, what: str
) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise SpecError(f"{flag}: {value!r} must be a whole number >= {least}")
    if most is not None and value > most:
        raise SpecError(
            f"{flag}: {value} is more than the {most} {what} runner hands out"
        )


def check_argv(argv: list[str]) -> None:
    """An argv the kernel will accept, and that says something."""
    if not argv or not argv[0].strip():
        raise SpecError("command: empty; give a command after the options")
    if argv[:2] == ["/bin/sh", "-c"] and len(argv) == 3 and not argv[2].strip():
        raise SpecError("command: empty; give a command after the options")
    for index, arg in enumerate(argv):
        if "\0" in arg:
            raise SpecError(f"command: argument {index} holds a NUL byte")
        size = len(os.fsencode(arg))
        if size >= ARG_MAX_ONE:
            raise SpecError(
                f"command: argument {index} is {size} bytes; the kernel's limit "
                f"for one argument is {ARG_MAX_ONE - 1}"
            )
    total = sum(len(os.fsencode(arg)) + 1 for arg in argv)
    limit = _arg_max()
    if total > limit:
        raise SpecError(
            f"command: {total} bytes in all; the kernel's limit is {limit} "
            "(ARG_MAX, less room for the environment)"
        )


def _arg_max() -> int:
    try:
        return int(os.sysconf("SC_ARG_MAX")) // 2
    except (ValueError, OSError):
        return 1024 * 1024
