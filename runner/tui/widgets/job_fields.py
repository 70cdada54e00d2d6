"""Every field of one job, laid out to fit a small terminal.

Short fields go two to a row, long ones (name, command, paths) a row each,
wrapped. The layout is made at the width the fields are drawn at, so labels
are never cut: a short value too wide for its half is cut with "…" instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType
from rich.measure import Measurement
from rich.text import Text

from runner.display import command_text, elapsed, one_line
from runner.spec import format_duration
from runner.tui.reasons import pending_reason
from runner.tui.states import state_text

Field = tuple[str, Text]
"""A label and its value."""

GAP = 3
"""Spaces between the two halves of a row of short fields."""

NARROW_VALUE = 12
"""Below this many columns for a short value, short fields go one to a row."""


class Fields:
    """Labelled values drawn at whatever width they are given."""

    def __init__(self, short: list[Field], long: list[Field]) -> None:
        self.short = short
        self.long = long
        self.label_width = max(cell_len(label) for label, _ in [*short, *long])

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> Iterator[Text]:
        width = options.max_width
        yield from self._short_rows(width)
        for label, value in self.long:
            yield from self._long_rows(console, width, label, value)

    def __rich_measure__(
        self, console: Console, options: ConsoleOptions
    ) -> Measurement:
        return Measurement(self.label_width + 2, options.max_width)

    def _short_rows(self, width: int) -> Iterator[Text]:
        value_width = (width - GAP) // 2 - self.label_width - 1
        if value_width < NARROW_VALUE:
            for label, value in self.short:
                yield self._cell(label, value, width - self.label_width - 1)
            return
        for start in range(0, len(self.short), 2):
            left, *right = self.short[start : start + 2]
            row = self._cell(*left, value_width)
            if right:
                row.append(" " * GAP)
                row.append_text(self._cell(*right[0], value_width))
            yield row

    def _cell(self, label: str, value: Text, value_width: int) -> Text:
        shown = value.copy()
        shown.truncate(max(1, value_width), overflow="ellipsis", pad=True)
        return Text.assemble(self._label(label), " ", shown)

    def _long_rows(
        self, console: Console, width: int, label: str, value: Text
    ) -> Iterator[Text]:
        value_width = max(1, width - self.label_width - 1)
        lines = value.wrap(console, value_width, overflow="fold")
        indent = " " * (self.label_width + 1)
        for number, line in enumerate(lines):
            head = Text.assemble(self._label(label), " ") if number == 0 else indent
            yield Text.assemble(head, line)

    def _label(self, label: str) -> Text:
        return Text(label.ljust(self.label_width), style="bold")


def fields(job: dict[str, Any], now: datetime, used: int, total: int) -> RenderableType:
    """The job's fields, the short ones paired, then the long ones a row each."""
    return Fields(short_fields(job, now), long_fields(job, used, total))


def short_fields(job: dict[str, Any], now: datetime) -> list[Field]:
    """Fields of a few words; past the first five, only those with a value."""
    always = [
        ("Job", Text(str(job["id"]))),
        ("State", _state(job)),
        ("CPUs", _value(job["cpus"])),
        ("Priority", _value(job["priority"])),
        ("Submitted", _time(job["submit_time"])),
    ]
    return always + [field for field in _optional_fields(job, now) if field[1]]


def _optional_fields(job: dict[str, Any], now: datetime) -> list[Field]:
    attempt, retries = job.get("attempt") or 1, job.get("retries") or 0
    array = job.get("array_job_id")
    return [
        ("Memory", Text(_mib(job.get("mem") or 0))),
        ("GPUs", _value(job.get("gpus") or None)),
        ("Limit", Text(format_duration(job["time_limit"]))),
        ("Begins", _time(job.get("begin_time"))),
        ("Started", _time(job["start_time"])),
        ("Elapsed", Text(format_duration(elapsed(job, now)))),
        ("Ended", _time(job["end_time"])),
        ("Exit", _value(job["exit_code"])),
        ("PID", _value(job["pid"])),
        ("Array", Text(f"{array}_{job.get('array_task_id')}" if array else "")),
        ("Attempt", Text(_attempt(attempt, retries))),
    ]


def long_fields(job: dict[str, Any], used: int, total: int) -> list[Field]:
    """Fields that may run long, wrapped onto as many lines as they need."""
    shown = [
        ("Reason", reason(job, used, total) or Text("")),
        ("Name", _value(job["name"])),
        ("Command", Text(one_line(command_text(job["command"])))),
        ("Directory", _value(job["cwd"])),
        ("Depends", _value(job.get("dependency"))),
        *_paths(job),
    ]
    return [(label, value) for label, value in shown if value]


def reason(job: dict[str, Any], used: int, total: int) -> Text | None:
    """Why it waits, or how it ended badly; None if neither."""
    if job["state"] == "PENDING":
        why = pending_reason(job, used, total, lambda iso: _time(iso).plain)
        return Text(why, style="yellow")
    if job["error_msg"]:
        return Text(one_line(job["error_msg"]), style="red")
    return None


def _paths(job: dict[str, Any]) -> list[Field]:
    stdout, stderr = job["stdout_path"], job.get("stderr_path")
    if not stderr or stderr == stdout:
        return [("Output", _value(stdout))]
    return [("Stdout", _value(stdout)), ("Stderr", _value(stderr))]


def _state(job: dict[str, Any]) -> Text:
    shown = state_text(job["state"])
    if job.get("held") and job["state"] == "PENDING":
        shown.append(" (held)", style="bold yellow")
    return shown


def _value(value: object) -> Text:
    return Text("" if value is None else one_line(str(value)))


def _time(value: str | None) -> Text:
    """An ISO UTC time as the local wall clock, to the second."""
    if not value:
        return Text("")
    moment = datetime.fromisoformat(value).astimezone()
    return Text(moment.strftime("%Y-%m-%d %H:%M:%S"))


def _mib(mib: int) -> str:
    if not mib:
        return ""
    return f"{mib} MiB" if mib < 1024 else f"{mib / 1024:.1f} GiB"


def _attempt(attempt: int, retries: int) -> str:
    """Which run this is, of the most its automatic retries allow."""
    if attempt <= 1 and not retries:
        return ""
    most = retries + 1
    return f"{attempt} of {most}" if attempt <= most else str(attempt)
