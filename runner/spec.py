"""What a submission asks for, and the checks it must pass before it is queued.

Standard library only: the client validates here before it talks to the host.
"""

from __future__ import annotations

import functools
import os
import re
import types
import typing
from dataclasses import asdict, dataclass, field
from typing import Any

ARG_MAX_ONE = 128 * 1024
"""The kernel's limit on one argument (MAX_ARG_STRLEN), in bytes, with its NUL."""
ENV_ROOM = 4096
"""Bytes of the kernel's ARG_MAX kept for the variables runner adds to a job."""
PRIORITY_RANGE = (-(2**31), 2**31 - 1)
_LOG_SIZE = re.compile(r"^(?P<number>\d+)(?P<unit>[KMGT]?)(?:I?B)?$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

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
    log_limit: int | None = None
    """Bytes each log may hold; None for the host's default, 0 for no limit."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSpec:
        """A spec from a request, every field of the type it is declared with."""
        if not isinstance(data, dict):
            raise SpecError("spec: a submission is a JSON object")
        hints = _field_types(cls)
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        for key, value in known.items():
            if not _conforms(value, hints[key]):
                kind = cls.__dataclass_fields__[key].type
                shown = repr(value)
                shown = shown if len(shown) <= 40 else shown[:37] + "..."
                raise SpecError(f"spec: field {key!r} must be {kind}, not {shown}")
        for key in ("argv", "cwd"):
            if key not in known:
                raise SpecError(f"spec: field {key!r} is missing")
        return cls(**known)


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _conforms(value: object, hint: Any) -> bool:
    """True if a JSON value fits a simple type hint: int, str, list[str]..."""
    if hint is str:
        return isinstance(value, str)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in args)
    if origin is list:
        return isinstance(value, list) and all(_conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, hint)


def shell_argv(command: str) -> list[str]:
    """The argv that runs a one-string command through the shell."""
    return ["/bin/sh", "-c", command]


def default_name(argv: list[str]) -> str:
    """The job's name when none is given: the program, or the shell's command.

    Bytes that are not UTF-8 become replacement characters: a name is text.
    """
    if argv[:2] == ["/bin/sh", "-c"] and len(argv) > 2:
        words = argv[2].split()
        program = words[0] if words else "sh"
    else:
        program = argv[0]
    return as_text(os.path.basename(program) or program)


def to_bytes(text: str) -> bytes:
    """The bytes a string from the OS stands for (UTF-8, surrogateescape)."""
    return text.encode("utf-8", "surrogateescape")


def as_text(text: str) -> str:
    """Valid Unicode for display and storage: undecodable bytes become U+FFFD."""
    return to_bytes(text).decode("utf-8", "replace")


def wire_string(text: str) -> str:
    """A string from this process's OS interface, as the UTF-8 form runner sends.

    Arguments, paths and variables that are not valid UTF-8 keep their bytes
    as surrogate escapes, whatever the locale of the process that read them.
    """
    return os.fsencode(text).decode("utf-8", "surrogateescape")


def parse_log_limit(text: str, flag: str = "--log-limit") -> int:
    """Bytes from SIZE[K|M|G|T] (binary units); 0 for `none`."""
    value = text.strip()
    if value.lower() in ("none", "unlimited"):
        return 0
    match = _LOG_SIZE.match(value)
    if not match or int(match["number"]) == 0:
        raise SpecError(
            f"{flag}: {text!r} is not a size; give a positive number of bytes "
            "with an optional K, M, G or T suffix (e.g. 10M), or none"
        )
    return int(match["number"]) * _UNITS[match["unit"].upper()]


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
    check_argv(spec.argv, spec.env)
    _check_count("-c/--cpus", spec.cpus, 1, total_cpus, "CPUs")
    _check_count("--mem", spec.mem, 0, total_mem, "MiB of memory")
    _check_count("-G/--gpus", spec.gpus, 0, total_gpus, "GPUs")
    _check_count("--retries", spec.retries, 0, None, "")
    if spec.time_limit is not None and spec.time_limit <= 0:
        raise SpecError("-t/--time: the limit must be positive")
    if not PRIORITY_RANGE[0] <= spec.priority <= PRIORITY_RANGE[1]:
        raise SpecError(
            f"--priority: {spec.priority} is out of range; give a whole number "
            f"from {PRIORITY_RANGE[0]} to {PRIORITY_RANGE[1]}"
        )
    if spec.log_limit is not None and spec.log_limit < 0:
        raise SpecError("--log-limit: give a positive size, or none")
    if spec.name is not None:
        _check_name(spec.name)
    check_env(spec.env)
    check_cwd(spec.cwd, "-D/--chdir")


def _check_name(name: str) -> None:
    if "\0" in name or not name.strip():
        raise SpecError("-J/--job-name: give a non-empty name without NUL bytes")
    if not _is_utf8(name):
        raise SpecError("-J/--job-name: give a name that is valid UTF-8")


def check_cwd(cwd: str, flag: str) -> None:
    """A working directory that exists and that the database can store."""
    if "\0" in cwd:
        raise SpecError(f"{flag}: the path holds a NUL byte")
    if not _is_utf8(cwd):
        shown = to_bytes(cwd).decode("utf-8", "backslashreplace")
        raise SpecError(
            f"{flag}: '{shown}' is not valid UTF-8; runner keeps directories as "
            "text (run from, or give -D, a UTF-8 path)"
        )
    if not os.path.isdir(cwd):
        raise SpecError(f"{flag}: {cwd!r} is not a directory")


def check_env(env: dict[str, str]) -> None:
    """Variables the kernel can pass on: NAME=VALUE, no NUL anywhere."""
    for key, value in env.items():
        if not key or "=" in key or "\0" in key:
            raise SpecError(f"environment: {key!r} is not a variable name")
        if "\0" in value:
            raise SpecError(f"environment: variable {key} holds a NUL byte")
        if not _encodes(key) or not _encodes(value):
            raise SpecError(f"environment: variable {key!r} is not a valid string")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _encodes(text: str) -> bool:
    try:
        to_bytes(text)
    except UnicodeEncodeError:
        return False
    return True


def _check_count(
    flag: str, value: object, least: int, most: int | None, what: str
) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise SpecError(f"{flag}: {value!r} must be a whole number >= {least}")
    if most is not None and value > most:
        raise SpecError(
            f"{flag}: {value} is more than the {most} {what} runner hands out"
        )


def check_argv(argv: list[str], env: dict[str, str] | None = None) -> None:
    """An argv the kernel will accept, and that says something.

    The kernel takes at most 128 KiB per argument (with its NUL) and at most
    ARG_MAX for the argv and environment together; runner refuses anything
    longer rather than cut it.
    """
    if not argv or not argv[0].strip():
        raise SpecError("command: empty; give a command after the options")
    if argv[:2] == ["/bin/sh", "-c"] and len(argv) == 3 and not argv[2].strip():
        raise SpecError("command: empty; give a command after the options")
    for index, arg in enumerate(argv):
        if "\0" in arg:
            raise SpecError(f"command: argument {index} holds a NUL byte")
        if not _encodes(arg):
            raise SpecError(f"command: argument {index} is not a valid string")
        size = len(to_bytes(arg))
        if size >= ARG_MAX_ONE:
            raise SpecError(
                f"command: argument {index} is {size} bytes; the kernel takes at "
                f"most {ARG_MAX_ONE - 1} bytes (128 KiB) in one argument"
            )
    _check_total(argv, env or {})


def _check_total(argv: list[str], env: dict[str, str]) -> None:
    pointer = 8
    command = sum(len(to_bytes(arg)) + 1 + pointer for arg in argv)
    environment = sum(
        len(to_bytes(key)) + len(to_bytes(value)) + 2 + pointer
        for key, value in env.items()
        if _encodes(key) and _encodes(value)
    )
    limit = arg_max() - ENV_ROOM
    if command + environment > limit:
        raise SpecError(
            f"command: {command} bytes, with {environment} bytes of environment, "
            f"pass the kernel's limit of {limit} bytes for both (ARG_MAX)"
        )


def arg_max() -> int:
    """The kernel's limit on a new program's argv and environment, in bytes."""
    try:
        return int(os.sysconf("SC_ARG_MAX"))
    except (ValueError, OSError):
        return 2 * 1024 * 1024
