"""Every field of one job, laid out to fit a small terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from runner.display import command_text, elapsed, one_line
from runner.spec import format_duration
from runner.tui.states import state_text


def _value(value: object) -> Text:
    return Text("" if value is None else one_line(str(value)))


def _time(value: str | None) -> Text:
    """An ISO UTC time as the local wall clock, to the second."""
    if not value:
        return Text("")
    moment = datetime.fromisoformat(value).astimezone()
    return Text(moment.strftime("%Y-%m-%d %H:%M:%S"))


def pending_reason(job: dict[str, Any], used: int, total: int) -> str:
    """Why a pending job has not started, as far as the app can tell."""
    free = total - used
    if job["cpus"] > free:
        return f"waiting for {job['cpus']} CPUs ({free} of {total} free)"
    return "waiting for its turn: jobs of higher priority or lower id go first"


def reason(job: dict[str, Any], used: int, total: int) -> Text | None:
    """The reason line: why it waits, or how it ended badly; None if neither."""
    if job["state"] == "PENDING":
        return Text(pending_reason(job, used, total), style="yellow")
    if job["error_msg"]:
        return Text(one_line(job["error_msg"]), style="red")
    return None


def fields(job: dict[str, Any], now: datetime, used: int, total: int) -> RenderableType:
    """The job's fields, paired in a grid, then the long ones a line each."""
    limit = job["time_limit"]
    pairs = [
        ("Job", Text(str(job["id"])), "State", state_text(job["state"])),
        ("Name", _value(job["name"]), "Exit", _value(job["exit_code"])),
        ("CPUs", _value(job["cpus"]), "Limit", Text(format_duration(limit))),
        ("Priority", _value(job["priority"]), "PID", _value(job["pid"])),
        ("Submitted", _time(job["submit_time"]), "Elapsed", _elapsed(job, now)),
        ("Started", _time(job["start_time"]), "Ended", _time(job["end_time"])),
    ]
    grid = Table.grid(padding=(0, 1))
    for _ in range(2):
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    for left, left_value, right, right_value in pairs:
        grid.add_row(Text(left), left_value, Text(right), right_value)
    lines = [
        _line("Command", one_line(command_text(job["command"]))),
        _line("Directory", one_line(job["cwd"])),
    ]
    why = reason(job, used, total)
    if why is not None:
        lines.append(Text.assemble(("Reason ", "bold"), why))
    return Group(grid, *lines)


def _line(label: str, value: str) -> Text:
    return Text.assemble((f"{label} ", "bold"), value)


def _elapsed(job: dict[str, Any], now: datetime) -> Text:
    return Text(format_duration(elapsed(job, now)))
