"""Job arrays as sbatch spells them: `1-10`, `0-15:4`, `1,3,7`, `%N` to throttle.

Standard library only: the client parses here before it talks to the host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runner.spec import SpecError

MAX_TASKS = 10_000
_RANGE = re.compile(r"^(?P<first>\d+)(?:-(?P<last>\d+)(?::(?P<step>\d+))?)?$")
_PLACEHOLDER = "{}"


@dataclass(frozen=True)
class ArraySpec:
    """The task ids of an array, in order, and how many may run at once."""

    tasks: tuple[int, ...]
    throttle: int | None = None


def parse(text: str) -> ArraySpec:
    """An array from its sbatch spelling; raises SpecError naming the flag."""
    value, percent, throttle_text = text.strip().partition("%")
    throttle = None
    if percent:
        if not throttle_text.isdigit() or int(throttle_text) < 1:
            raise SpecError(f"-a/--array: throttle %{throttle_text} must be %N, N >= 1")
        throttle = int(throttle_text)
    tasks: list[int] = []
    for part in value.split(","):
        ids = _expand(part.strip(), text)
        if len(tasks) + len(ids) > MAX_TASKS:
            raise SpecError(f"-a/--array: more than {MAX_TASKS} tasks")
        tasks.extend(ids)
    if len(set(tasks)) != len(tasks):
        raise SpecError(f"-a/--array: {text!r} names a task twice")
    return ArraySpec(tuple(tasks), throttle)


def _expand(part: str, text: str) -> range:
    match = _RANGE.match(part)
    if not match:
        raise SpecError(
            f"-a/--array: {text!r} is not a list of N, N-M or N-M:STEP, "
            "optionally followed by %LIMIT"
        )
    first = int(match["first"])
    last = int(match["last"]) if match["last"] else first
    step = int(match["step"]) if match["step"] else 1
    if last < first or step < 1:
        raise SpecError(f"-a/--array: {part!r} is an empty range")
    return range(first, last + 1, step)


def task_argv(argv: list[str], task: int) -> list[str]:
    """The argv of one task: `{}` stands for the task id."""
    return [arg.replace(_PLACEHOLDER, str(task)) for arg in argv]


def log_name(
    template: str, job_id: int, array_id: int | None, task: int | None, name: str
) -> str:
    """A log path from sbatch's patterns: %A array, %a task, %j job, %x name."""
    replacements = {
        "%A": str(array_id if array_id is not None else job_id),
        "%a": str(task if task is not None else 0),
        "%j": str(job_id),
        "%x": name.replace("/", "_"),
        "%%": "%",
    }
    return re.sub("%[Aajx%]", lambda match: replacements[match.group(0)], template)
