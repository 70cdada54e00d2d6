"""The queue table: one row per job of the window, patched cell by cell."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

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

REFILL = 16
"""Rows to drop at once beyond which refilling the table beats removing each."""


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


def _styled(column: str, cells: Cells, value: str) -> Text:
    """A cell as a Text: never parsed as markup, coloured by the job's state."""
    if column == "state":
        return Text(value, style=state_style(value))
    if column == "id":
        return Text(value, style=state_style(cells[2]), justify="right")
    if column in ("cpus", "elapsed"):
        return Text(value, justify="right")
    return Text(value)


class JobTable(DataTable[Text]):
    """Shows a window of jobs, patching only the cells that change.

    Rows are slots keyed by position, not by job: a refresh rewrites the
    cells whose text changed, and sliding the window to other jobs rewrites
    the slots in place, so the table never measures and lays out rows anew
    except when the window grows.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open"),
        Binding("home", "screen.first", "First", show=False),
        Binding("end", "screen.last", "Last", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._slots: Rows = []
        self._rows_of: dict[int, int] = {}

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def job_ids(self) -> list[int]:
        """The ids in the window, top to bottom."""
        return [job_id for job_id, _cells in self._slots]

    @property
    def cursor_job(self) -> int | None:
        """The id of the job under the cursor; None when the table is empty."""
        if not self._slots:
            return None
        return self._slots[min(self.cursor_row, len(self._slots) - 1)][0]

    def cells(self, job_id: int) -> Cells:
        """The plain text shown for a job of the window."""
        return self._slots[self._rows_of[job_id]][1]

    def show(self, rows: Rows, keep: int | None) -> None:
        """Make these the rows, top to bottom, the cursor staying on job keep."""
        if len(self._slots) - len(rows) > REFILL:
            self.clear()
            self._slots = []
        while len(self._slots) > len(rows):
            self.remove_row(str(len(self._slots) - 1))
            self._slots.pop()
        for slot, (job_id, cells) in enumerate(rows):
            if slot < len(self._slots):
                self._patch(slot, self._slots[slot][1], cells)
                self._slots[slot] = (job_id, cells)
            else:
                self._slots.append((job_id, cells))
                self.add_row(*_styled_row(cells), key=str(slot))
        self._rows_of = {job_id: slot for slot, (job_id, _cells) in enumerate(rows)}
        if keep in self._rows_of:
            self.move_cursor(row=self._rows_of[keep], animate=False)

    def _patch(self, slot: int, old: Cells, new: Cells) -> None:
        state_changed = old[2] != new[2]
        for index, (column, _label, _width) in enumerate(COLUMNS):
            if old[index] != new[index] or (column == "id" and state_changed):
                self.update_cell(str(slot), column, _styled(column, new, new[index]))


def _styled_row(cells: Cells) -> list[Text]:
    keys = [key for key, _label, _width in COLUMNS]
    return [_styled(key, cells, value) for key, value in zip(keys, cells, strict=True)]
