"""The results as Markdown tables, and as a plot when matplotlib is installed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bench.results import Figure, Row, Run

if TYPE_CHECKING:
    from matplotlib.axes import Axes

logger = logging.getLogger(__name__)

SCALE = {"ms": 1000.0, "s": 1.0, "MB": 1.0}
DIGITS = {"ms": 1, "s": 2, "MB": 1}


def value(seconds_or_mb: float | None, unit: str) -> str:
    """A sample as the table shows it, with its unit."""
    if seconds_or_mb is None:
        return "n/a"
    return f"{seconds_or_mb * SCALE[unit]:,.{DIGITS[unit]}f} {unit}"


def ratio(number: float | None) -> str:
    if number is None:
        return "n/a"
    return f"{number:.2f}x" if number < 10 else f"{number:.0f}x"


def figure_markdown(figure: Figure) -> str:
    """One figure: a table of medians, then the ratios of runner to each peer."""
    ideal = figure.ideal
    head = ["contender", "median", "min", "max", "runs"]
    if ideal is not None:
        head.append(f"÷ ideal {value(ideal, figure.unit)}")
    lines = [f"### {figure.title}", ""]
    if figure.note:
        lines += [figure.note, ""]
    lines += [_row(head), _row(["---"] * len(head))]
    for row in figure.rows:
        cells = _cells(row, figure.unit)
        if ideal is not None:
            cells.append(ratio(row.median / ideal) if row.median else "")
        lines.append(_row(cells))
    if figure.comparisons:
        lines += ["", _row(["runner", "compared with", "ratio"]), _row(["---"] * 3)]
        for top, bottom in figure.comparisons:
            lines.append(_row([top, bottom, ratio(figure.ratio(top, bottom))]))
    return "\n".join(lines)


def _cells(row: Row, unit: str) -> list[str]:
    label = f"**{row.label}**" if row.is_runner else row.label
    if row.missing is not None:
        return [label, row.missing, "", "", "0"]
    return [
        label,
        value(row.median, unit),
        value(min(row.samples), unit),
        value(max(row.samples), unit),
        str(len(row.samples)),
    ]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def targets_markdown(run: Run) -> str:
    lines = [_row(["target", "measured", "met"]), _row(["---"] * 3)]
    for target in run.targets:
        met = {True: "yes", False: "**no**", None: "n/a"}[target.met]
        lines.append(_row([target.goal, target.measured, met]))
    return "\n".join(lines)


def document(run: Run, plot_name: str | None, method: str) -> str:
    """The whole results file."""
    machine = "\n".join(f"- {key}: {text}" for key, text in run.machine.items())
    kind = "quick smoke run (small sizes, one run)" if run.quick else "full run"
    parts = [
        "# Benchmarks",
        "",
        f"Produced by `python bench/run.py` ({kind}; medians of {run.runs} "
        "interleaved runs per contender unless the row says otherwise). "
        "Absolute times vary from machine to machine; the ratios are the result.",
        "",
        machine,
        "",
        "## Targets",
        "",
        targets_markdown(run),
        "",
        "## Figures",
        "",
        "\n\n".join(figure_markdown(figure) for figure in run.figures),
        "",
        "## Plot",
        "",
        f"![benchmarks]({plot_name})"
        if plot_name
        else "No plot: matplotlib is not installed (`pip install -e '.[bench]'`).",
        "",
        "## How it is measured",
        "",
        method,
        "",
    ]
    return "\n".join(parts)


def plot(run: Run, path: Path) -> bool:
    """Draw the medians, with min-max whiskers; False if matplotlib is absent."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logger.warning("report: matplotlib is not installed; no plot")
        return False
    figures = [f for f in run.figures if any(row.samples for row in f.rows)]
    heights = [0.9 + 0.45 * len(f.rows) for f in figures]
    canvas, axes = plt.subplots(
        len(figures),
        1,
        figsize=(10, sum(heights) + 0.5),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for axis, figure in zip(axes[:, 0], figures, strict=True):
        _panel(axis, figure)
    canvas.tight_layout()
    canvas.savefig(path, dpi=110)
    plt.close(canvas)
    return True


def _panel(axis: Axes, figure: Figure) -> None:
    scale = SCALE[figure.unit]
    rows = list(reversed(figure.rows))
    medians = [(row.median or 0.0) * scale for row in rows]
    pairs = list(zip(medians, rows, strict=True))
    low = [m - min(r.samples) * scale if r.samples else 0.0 for m, r in pairs]
    high = [max(r.samples) * scale - m if r.samples else 0.0 for m, r in pairs]
    colours = ["tab:blue" if row.is_runner else "tab:gray" for row in rows]
    positions = range(len(rows))
    axis.barh(positions, medians, xerr=[low, high], color=colours, capsize=3)
    axis.set_yticks(list(positions), [_short(row) for row in rows], fontsize=8)
    axis.set_xlabel(figure.unit)
    axis.set_title(figure.title.replace("`", ""), fontsize=10, loc="left")
    if figure.ideal is not None:
        ideal = figure.ideal * scale
        axis.axvline(ideal, color="tab:green", linestyle="--", label="ideal")
        axis.legend(fontsize=8, loc="lower right")
    measured = [m for m in medians if m > 0]
    if measured and max(measured) > 30 * min(measured):
        axis.set_xscale("log")
        axis.set_xlim(left=min(measured) / 3)
        axis.set_xlabel(f"{figure.unit} (log scale)")
    for position, row, median, extra in zip(
        positions, rows, medians, high, strict=True
    ):
        text = row.missing or value(row.median, figure.unit)
        place = median + extra if median > 0 else (min(measured) if measured else 0)
        axis.text(place, position, f"  {text}", va="center", fontsize=7)


def _short(row: Row) -> str:
    return row.label.replace("`", "")
