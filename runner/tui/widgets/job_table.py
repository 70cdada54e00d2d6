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
    """Shows a window of jobs; `show` patches only what changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open"),
        Binding("home", "screen.first", "First", show=False),
        Binding("end", "screen.last", "Last", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._shown: dict[str, Cells] = {}

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def job_ids(self) -> list[int]:
        """The ids in the window, top to bottom."""
        return [int(row.key.value or 0) for row in self.ordered_rows]

    @property
    def cursor_job(self) -> int | None:
        """The id of the job under the cursor; None when the table is empty."""
        if not self.row_count:
            return None
        return self.job_ids[self.cursor_row]

    def cells(self, job_id: int) -> Cells:
        """The plain text shown for a job of the window."""
        return self._shown[str(job_id)]

    def show(self, jobs: list[dict[str, Any]], now: datetime, keep: int | None) -> None:
        """Make the rows these jobs, in this order, the cursor staying on keep."""
        wanted = {str(job["id"]): job_cells(job, now) for job in jobs}
        for key in [key for key in self._shown if key not in wanted]:
            self.remove_row(key)
            del self._shown[key]
        for key, cells in wanted.items():
            self._put(key, cells)
        order = list(wanted)
        if [str(job_id) for job_id in self.job_ids] != order:
            position = {key: index for index, key in enumerate(order)}
            self.sort("id", key=lambda cell: position[cell.plain])
        if keep is not None and str(keep) in wanted:
            self.move_cursor(row=self.get_row_index(str(keep)), animate=False)

    def _put(self, key: str, cells: Cells) -> None:
        old = self._shown.get(key)
        self._shown[key] = cells
        if old is None:
            styled = [
                _styled(c[0], cells, v) for c, v in zip(COLUMNS, cells, strict=True)
            ]
            self.add_row(*styled, key=key)
            return
        state_changed = old[2] != cells[2]
        for index, (column, _label, _width) in enumerate(COLUMNS):
            if old[index] != cells[index] or (column == "id" and state_changed):
                self.update_cell(key, column, _styled(column, cells, cells[index]))
