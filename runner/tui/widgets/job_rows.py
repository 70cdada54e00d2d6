"""The queue table's rows: each job's cells as plain text, and how they look."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

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

HELD = "HELD"
"""The state cell of a pending job that is held: it will not start until released."""

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
        HELD if job["state"] == "PENDING" and job.get("held") else job["state"],
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


class Cell:
    """One line of plain text for a table cell, drawn as a single segment.

    Text wider than the column is cut with "…".

    Looks as a Text of the same style and justification would, but costs
    Rich no wrapping or justifying: every full repaint of the table draws a
    screenful of these. Never parsed as markup.
    """

    __slots__ = ("right", "style", "text")

    def __init__(self, text: str, style: str = "", right: bool = False) -> None:
        self.text = text
        self.style = Style.parse(style) if style else None
        self.right = right

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> Iterator[Segment]:
        width = options.max_width
        text = self.text
        if cell_len(text) > width:
            text = _cut_cells(text, width)
        pad = " " * (width - cell_len(text))
        if self.right:
            yield Segment(pad + text, self.style)
        else:
            yield Segment(text, self.style)
            yield Segment(pad)

    def __rich_measure__(
        self, console: Console, options: ConsoleOptions
    ) -> Measurement:
        width = cell_len(self.text)
        return Measurement(width, width)


def _cut_cells(text: str, width: int) -> str:
    """Text cut to width cells, the last one "…"."""
    if width < 1:
        return ""
    return set_cell_size(text, width - 1).rstrip(" ") + "…"


def row_state(cells: Cells) -> str:
    """The job's state, as the host names it, from a row's cells."""
    return "PENDING" if cells[2] == HELD else cells[2]


def styled(column: str, cells: Cells, value: str) -> Cell:
    """A cell coloured by the job's state, numbers to the right."""
    if column == "state":
        held = value == HELD
        return Cell(value, "dim yellow" if held else state_style(value))
    if column == "id":
        return Cell(value, state_style(row_state(cells)), right=True)
    return Cell(value, right=column in ("cpus", "elapsed"))


def styled_row(cells: Cells) -> list[Cell]:
    keys = [key for key, _label, _width in COLUMNS]
    return [styled(key, cells, value) for key, value in zip(keys, cells, strict=True)]
