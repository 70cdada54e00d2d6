"""The queue table: the jobs of the window that fit, re-filled in place."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from runner.tui.widgets.job_rows import (
    COLUMNS,
    Cell,
    Cells,
    Rows,
    styled,
    styled_row,
)

UNSIZED = 60
"""Rows to show before the table knows its height."""

WHEEL = 3
"""Rows a turn of the mouse wheel moves the view."""


class JobTable(DataTable[Cell]):
    """Shows the window of jobs (a page from the host) one screenful at a time.

    The window is held as plain rows. The table itself holds only the rows
    that fit, keyed by their place on screen; moving past its top or bottom,
    or a refresh, rewrites the cells whose text changed instead of scrolling.
    So no key ever makes the table lay out, scroll or repaint more than one
    screenful of rows.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open"),
        Binding("home", "screen.first", "First", show=False),
        Binding("end", "screen.last", "Last", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._window: Rows = []
        self._rows_of: dict[int, int] = {}
        self._slots: Rows = []
        self._top = 0
        """Where in the window the table's first row is."""

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def job_ids(self) -> list[int]:
        """The ids in the window, top to bottom."""
        return [job_id for job_id, _cells in self._window]

    @property
    def held(self) -> int:
        """How many jobs the window holds; more than fit on screen."""
        return len(self._window)

    @property
    def position(self) -> int:
        """Where the cursor is in the window."""
        return min(self._top + self.cursor_row, max(0, self.held - 1))

    @property
    def cursor_job(self) -> int | None:
        """The id of the job under the cursor; None when the window is empty."""
        return self._window[self.position][0] if self._window else None

    def cells(self, job_id: int) -> Cells:
        """The plain text shown for a job of the window."""
        return self._window[self._rows_of[job_id]][1]

    def show(self, rows: Rows, keep: int | None) -> None:
        """Hold this window; the cursor stays on job keep, at the same height."""
        at = self.position
        self._window = rows
        self._rows_of = {job_id: index for index, (job_id, _c) in enumerate(rows)}
        if keep is not None:
            at = self._rows_of.get(keep, at)
        self.go_to(at, screen_row=self.cursor_row)

    def go_to(self, position: int, screen_row: int | None = None) -> None:
        """Put the cursor on the window's job at position, at screen_row if given.

        Without screen_row the rows shown move only as far as needed.
        """
        last = max(0, self.held - 1)
        position = max(0, min(position, last))
        top = self._top_for(position, screen_row)
        moved = top != self._top
        self._top = top
        self._fill()
        row = position - top
        if row != self.cursor_row:
            self.move_cursor(row=row, animate=False)
        elif moved and self._slots:
            self.post_message(DataTable.RowHighlighted(self, row, RowKey(str(row))))

    def _top_for(self, position: int, screen_row: int | None) -> int:
        fits = self._fits()
        if screen_row is not None:
            top = position - screen_row
        else:
            top = min(self._top, position)
            top = max(top, position - fits + 1)
        return max(0, min(top, self.held - fits))

    def _fits(self) -> int:
        height = self.size.height - self.header_height
        return max(1, height) if self.size.height else UNSIZED

    def _fill(self) -> None:
        """Write the window's rows from the top into the table's rows."""
        shown = self._window[self._top : self._top + self._fits()]
        while len(self._slots) > len(shown):
            self.remove_row(str(len(self._slots) - 1))
            self._slots.pop()
        for slot, (job_id, cells) in enumerate(shown):
            if slot < len(self._slots):
                self._patch(slot, self._slots[slot][1], cells)
                self._slots[slot] = (job_id, cells)
            else:
                self._slots.append((job_id, cells))
                self.add_row(*styled_row(cells), key=str(slot))

    def _patch(self, slot: int, old: Cells, new: Cells) -> None:
        state_changed = old[2] != new[2]
        for index, (column, _label, _width) in enumerate(COLUMNS):
            if old[index] != new[index] or (column == "id" and state_changed):
                self.update_cell(str(slot), column, styled(column, new, new[index]))

    # Moving: through the window, never by scrolling the table

    def action_cursor_down(self) -> None:
        self.go_to(self.position + 1)

    def action_cursor_up(self) -> None:
        self.go_to(self.position - 1)

    def action_page_down(self) -> None:
        self.go_to(self.position + self._fits(), screen_row=self.cursor_row)

    def action_page_up(self) -> None:
        self.go_to(self.position - self._fits(), screen_row=self.cursor_row)

    def action_scroll_top(self) -> None:
        self.go_to(0)

    def action_scroll_bottom(self) -> None:
        self.go_to(self.held - 1)

    def on_resize(self) -> None:
        self._fit_command()
        self.go_to(self.position, screen_row=self.cursor_row)

    def _fit_command(self) -> None:
        """Give the command column what the others leave, so its cells cut with …"""
        fixed = sum(width or 0 for _key, _label, width in COLUMNS)
        padding = 2 * self.cell_padding * len(COLUMNS)
        width = max(len("COMMAND"), self.size.width - fixed - padding)
        column = self.columns[ColumnKey("command")]
        if column.width == width and not column.auto_width:
            return
        column.auto_width, column.width = False, width
        self._clear_caches()  # DataTable's own, sized by the old width
        self._require_update_dimensions = True
        self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._wheel(WHEEL)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._wheel(-WHEEL)

    def _wheel(self, rows: int) -> None:
        """Move the rows shown, the cursor keeping its place on screen."""
        row = self.cursor_row
        top = max(0, min(self._top + rows, self.held - self._fits()))
        self.go_to(top + row, screen_row=row)
