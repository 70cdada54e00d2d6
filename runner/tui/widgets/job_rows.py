"""The queue table's rows: each job's cells as plain text, and how they look."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from runner.display import command_text, elapsed, one_line
from runner.spec import format_duration
from runner.tui.states import state_style

COLUMNS = (
    ("id", "ID", 7),
    ("name", "NAME", 16),
    ("state", "STATE", 9),
    ("cpus", "CPUS", 4),
    ("elapsed", "ELAPSED", 10),
    ("exit_code", "EXIT", 5),
    ("command", "COMMAND", None),
)
"""Column key (also the host's sort key), heading, and width (None: to fit)."""

COMMAND_CHARS = 160
"""A command longer than this is cut in the table; the details show all of it."""

Cells = tuple[str, ...]

Rows = list[tuple[int, Cells]]
"""Each row's job id and cells, top to bottom."""


def job_cells(job: dict[str, Any], now: datetime) -> Cells:
    """The plain text of each cell: names and commands on one line, cut to fit."""
    command = one_line(command_text(job["command"]))
    return (
        str(job["id"]),
        _cut(one_line(job["name"]), 16),
        job["state"],
        str(job["cpus"]),
        format_duration(elapsed(job, now)),
        job["exit_code"] or "",
        _cut(command, COMMAND_CHARS),
    )


def job_rows(jobs: list[dict[str, Any]], now: datetime) -> Rows:
    """The rows for these jobs; plain work, done in a worker off the event loop."""
    return [(job["id"], job_cells(job, now)) for job in jobs]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def styled(column: str, cells: Cells, value: str) -> Text:
    """A cell as a Text: never parsed as markup, coloured by the job's state."""
    if column == "state":
        return Text(value, style=state_style(value))
    if column == "id":
        return Text(value, style=state_style(cells[2]), justify="right")
    if column in ("cpus", "elapsed"):
        return Text(value, justify="right")
    return Text(value)


def styled_row(cells: Cells) -> list[Text]:
    keys = [key for key, _label, _width in COLUMNS]
    return [styled(key, cells, value) for key, value in zip(keys, cells, strict=True)]
