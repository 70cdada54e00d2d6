"""What a benchmark run found: rows of samples per figure, and the targets."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Row:
    """One contender in one figure: its samples, or why there are none."""

    label: str
    samples: list[float] = field(default_factory=list)
    """Seconds for times, mebibytes for memory."""
    missing: str | None = None
    """Why the row has no samples, e.g. "n/a (no arrays yet)"."""
    is_runner: bool = False

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


@dataclass
class Figure:
    """One measured quantity, side by side for every contender."""

    key: str
    title: str
    unit: str
    """How the table shows the samples: "ms", "s" or "MB"."""
    rows: list[Row] = field(default_factory=list)
    comparisons: list[tuple[str, str]] = field(default_factory=list)
    """(runner row, other row) pairs whose ratio of medians the table shows."""
    ideal: float | None = None
    """The best possible time, in seconds, when there is one."""
    note: str = ""

    def row(self, label: str) -> Row:
        for row in self.rows:
            if row.label == label:
                return row
        raise KeyError(label)

    def add(self, label: str, is_runner: bool = False) -> Row:
        """A new, empty row."""
        row = Row(label, is_runner=is_runner)
        self.rows.append(row)
        return row

    def skip(self, label: str, reason: str, is_runner: bool = False) -> None:
        """A row that could not be measured on this machine."""
        self.rows.append(Row(label, missing=reason, is_runner=is_runner))

    def ratio(self, numerator: str, denominator: str) -> float | None:
        """The ratio of two rows' medians, or None if either is missing."""
        top, bottom = self.row(numerator).median, self.row(denominator).median
        if top is None or bottom is None or bottom == 0:
            return None
        return top / bottom


@dataclass
class Target:
    """A goal from the issue, and whether this run met it."""

    goal: str
    measured: str
    met: bool | None
    """None when it could not be measured."""


@dataclass
class Run:
    """Everything one invocation of the benchmark measured."""

    quick: bool
    runs: int
    figures: list[Figure] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    machine: dict[str, str] = field(default_factory=dict)

    def figure(self, key: str) -> Figure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(key)


def timed(action: Callable[[], object]) -> float:
    """Seconds the action took, by the monotonic performance counter."""
    began = time.perf_counter()
    action()
    return time.perf_counter() - began
