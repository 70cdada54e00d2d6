"""The line above the table: CPUs in use, their recent history, jobs per state."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static

from runner.tui.states import STATES, short_state, state_style

HISTORY = 300
"""CPU-use samples kept: five minutes at one a refresh."""

BARS = " ▁▂▃▄▅▆▇█"


def counts_text(counts: dict[str, int]) -> Text:
    """Jobs per state, as Slurm's short codes in the states' colours."""
    text = Text()
    for state in STATES:
        if text:
            text.append("  ")
        text.append(short_state(state), style=state_style(state))
        text.append(f" {counts.get(state, 0):,}")
    return text


def bars(samples: Sequence[float], total: float, width: int) -> str:
    """Samples as a sparkline on a fixed scale: a full bar is every CPU busy.

    With more samples than cells, each cell shows the busiest of its share.
    """
    if width <= 0:
        return ""
    if len(samples) > width:
        step = len(samples) / width
        samples = [
            max(samples[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)])
            for i in range(width)
        ]
    top = len(BARS) - 1
    levels = [min(top, round(top * value / total)) if total else 0 for value in samples]
    line = "".join(BARS[level] for level in levels)
    return line.rjust(width, BARS[0])


class CpuHistory(Widget):
    """A sparkline of CPUs in use, newest on the right."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.samples: deque[float] = deque(maxlen=HISTORY)
        self.total = 1

    def add(self, used: int, total: int) -> None:
        self.samples.append(float(used))
        self.total = total
        self.refresh()

    def render(self) -> Text:
        return Text(bars(list(self.samples), self.total, self.size.width), "cyan")


class Summary(Horizontal):
    """CPUs used of total, their history, and counts per state."""

    def compose(self) -> ComposeResult:
        yield Static(Text("CPUs -/-"), id="cpus")
        yield CpuHistory(id="cpu-history")
        yield Static(Text(""), id="counts")

    def show(self, used: int, total: int, counts: dict[str, int]) -> None:
        self.query_one("#cpus", Static).update(Text(f"CPUs {used}/{total} "))
        self.query_one(CpuHistory).add(used, total)
        self.query_one("#counts", Static).update(counts_text(counts))
