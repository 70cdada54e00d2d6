"""Submission latency: how long one `true` takes to queue, with a host running.

Each submission's job is waited for, untimed, before the next is timed, so
every call finds its server at rest.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from bench.homes import RunnerHome
from bench.peers import Spooler
from bench.results import Figure, Row

T = TypeVar("T")
TRUE = ["true"]
CLI = "runner add (one CLI call)"
REQUEST = "runner add (one request, from a running Python)"
SPOOLER = "tsp true"
FLOOR = "python -c pass (floor of any Python client)"


def measure(rounds: int, spooler: str | None, cpus: int) -> Figure:
    """Interleave rounds of every submission; one warm-up round is not kept."""
    figure = Figure(
        "latency", "Submission latency of one `true` job, host already running", "ms"
    )
    cli = figure.add(CLI, is_runner=True)
    request = figure.add(REQUEST, is_runner=True)
    if spooler is None:
        figure.skip(SPOOLER, "n/a (task-spooler not installed)")
    else:
        figure.add(SPOOLER)
    floor = figure.add(FLOOR)
    figure.comparisons = [
        (runner, other) for runner in (CLI, REQUEST) for other in (SPOOLER, FLOOR)
    ]

    with contextlib.ExitStack() as stack:
        home = stack.enter_context(RunnerHome(cpus))
        home.start()
        tsp = stack.enter_context(Spooler(spooler, cpus)) if spooler else None
        for round_ in range(rounds + 1):
            keep = round_ > 0
            for row, add in ((cli, home.add_cli), (request, home.add_request)):
                home.wait([_sample(row, keep, lambda add=add: add(TRUE))])
            if tsp is not None:
                tsp.wait_all(_sample(figure.row(SPOOLER), keep, lambda: tsp.add(TRUE)))
            _sample(floor, keep, _python_pass)
    return figure


def _python_pass() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def _sample(row: Row, keep: bool, action: Callable[[], T]) -> T:
    """Time one action, keeping the sample unless it is a warm-up; its result."""
    began = time.perf_counter()
    result = action()
    if keep:
        row.samples.append(time.perf_counter() - began)
    return result
