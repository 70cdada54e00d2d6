"""The issue's targets, checked against what one run measured."""

from __future__ import annotations

from bench import latency, scale, throughput
from bench.report import ratio, value
from bench.results import Figure, Run, Target

ADD_FLOOR_TIMES = 3.0
IDEAL_SLACK = 1.03
GROWTH_SLACK = 1.10
TICK_MS = 10.0
STATUS_MS = 150.0
HOST_MB = 120.0
ARRAY_XARGS_TIMES = 2.0


def evaluate(run: Run, sizes: dict[str, int], cpus: int) -> list[Target]:
    """One line per target, in the issue's order."""
    trues = run.figure("true")
    sleeps = run.figure("sleep")
    big = scale.BIG.format(finished=sizes["finished"], pending=sizes["pending"])
    count, sleep_count = sizes["true_jobs"], sizes["sleep_jobs"]
    xargs = throughput.XARGS.format(cpus=cpus)
    return [
        *(
            _at_most(
                trues,
                label,
                throughput.SPOOLER,
                1.0,
                f"{count} `true`, {how}: runner no slower than tsp",
            )
            for label, how in (
                (throughput.CLI, "one `runner add` call each"),
                (throughput.REQUEST, "one request each from one process"),
            )
        ),
        _at_most(
            trues,
            throughput.ARRAY,
            xargs,
            ARRAY_XARGS_TIMES,
            f"{count} `true` as one array: within 2x of {xargs}",
        ),
        *(
            _near_ideal(sleeps, label, f"{sleep_count} `sleep 0.05`, {how}")
            for label, how in (
                (throughput.CLI, "one `runner add` call each"),
                (throughput.REQUEST, "one request each from one process"),
            )
        ),
        _at_most(
            run.figure("latency"),
            latency.CLI,
            latency.FLOOR,
            ADD_FLOOR_TIMES,
            "one `runner add`: at most 3x `python -c pass`",
        ),
        _at_most(
            run.figure("scale"),
            scale.ADD.format(db=big),
            scale.ADD.format(db=scale.EMPTY),
            GROWTH_SLACK,
            f"`runner add` with {big}: within 10% of the empty database",
        ),
        _under(
            run.figure("scale"),
            scale.TICK.format(db=big),
            TICK_MS / 1000,
            f"scheduler tick with {big}: under 10 ms",
        ),
        _under(
            run.figure("scale"),
            scale.STATUS.format(db=big),
            STATUS_MS / 1000,
            f"`runner status --state RUNNING` with {big}: under 150 ms",
        ),
        _under(
            run.figure("memory"),
            scale.HOST.format(db=big),
            HOST_MB,
            f"host memory at rest with {big}: under 120 MB",
        ),
    ]


def _at_most(figure: Figure, top: str, bottom: str, limit: float, goal: str) -> Target:
    found = figure.ratio(top, bottom)
    if found is None:
        missing = figure.row(top).missing or figure.row(bottom).missing
        return Target(goal, missing or "n/a", None)
    measured = (
        f"{value(figure.row(top).median, figure.unit)} vs "
        f"{value(figure.row(bottom).median, figure.unit)}: {ratio(found)}"
    )
    return Target(goal, measured, found <= limit)


def _near_ideal(figure: Figure, label: str, goal: str) -> Target:
    assert figure.ideal is not None
    ideal = value(figure.ideal, figure.unit)
    goal = f"{goal}: within 3% of the ideal {ideal}"
    median = figure.row(label).median
    if median is None:
        return Target(goal, figure.row(label).missing or "n/a", None)
    found = median / figure.ideal
    measured = f"{value(median, figure.unit)}: {ratio(found)} the ideal"
    return Target(goal, measured, found <= IDEAL_SLACK)


def _under(figure: Figure, label: str, limit: float, goal: str) -> Target:
    median = figure.row(label).median
    if median is None:
        return Target(goal, figure.row(label).missing or "n/a", None)
    return Target(goal, value(median, figure.unit), median < limit)
