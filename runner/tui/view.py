"""Which part of the queue the table shows: filters, order and window.

The table never holds the whole queue. It shows a window of `size` jobs
starting at `offset` in the filtered, sorted queue, and the app slides the
window as the cursor nears either edge, asking the host for that page only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from runner.tui.states import ACTIVE, STATES

WINDOW = 200
"""Jobs of the queue held at once; the table shows as many of them as fit."""

EDGE = 20
"""Rows from either end of the window at which the window slides."""

STATE_FILTERS: tuple[tuple[str, ...], ...] = ((), ACTIVE, *((s,) for s in STATES))
"""The state filters `f` cycles through: all, active, then each state alone."""

SORTS = ("id", "name", "state", "cpus", "elapsed", "exit_code", "command")
"""Sort keys in column order; the host knows each of them."""


@dataclass(frozen=True)
class View:
    """The slice of the queue asked for: equal views show the same rows."""

    states: tuple[str, ...] = ()
    text: str = ""
    sort: str = "id"
    descending: bool = True
    offset: int = 0
    size: int = WINDOW

    def request(self) -> dict[str, Any]:
        """The arguments of the host's `page` request for this view."""
        return {
            "states": list(self.states),
            "text": self.text,
            "sort": self.sort,
            "descending": self.descending,
            "limit": self.size,
            "offset": self.offset,
        }

    def filtered(self, states: tuple[str, ...], text: str) -> View:
        """The same order with other filters, from the top."""
        return replace(self, states=states, text=text, offset=0)

    def next_state_filter(self) -> View:
        index = STATE_FILTERS.index(self.states) if self.states in STATE_FILTERS else 0
        states = STATE_FILTERS[(index + 1) % len(STATE_FILTERS)]
        return self.filtered(states, self.text)

    def sorted_by(self, sort: str) -> View:
        """Ordered by sort; asking again for the current key flips the direction."""
        if sort == self.sort:
            return replace(self, descending=not self.descending, offset=0)
        return replace(self, sort=sort, descending=sort in ("id", "elapsed"), offset=0)

    def next_sort(self) -> View:
        return self.sorted_by(SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)])

    def reversed(self) -> View:
        return replace(self, descending=not self.descending, offset=0)

    def around(self, position: int, total: int) -> View:
        """The window that puts position, in the whole ordering, near its middle."""
        offset = max(0, min(position - self.size // 2, total - self.size))
        return replace(self, offset=offset)

    def describe(self) -> str:
        """The filters and order in a few words, for the status line."""
        states = "all states"
        if self.states == ACTIVE:
            states = "active"
        elif self.states:
            states = ", ".join(state.lower() for state in self.states)
        arrow = "↓" if self.descending else "↑"
        return f"{states} · by {self.sort.replace('_code', '')} {arrow}"


def wants_slide(row: int, rows: int, offset: int, total: int) -> bool:
    """Whether the cursor at row of the window is near an edge with more beyond."""
    near_top = row < EDGE and offset > 0
    near_bottom = row >= rows - EDGE and offset + rows < total
    return near_top or near_bottom
