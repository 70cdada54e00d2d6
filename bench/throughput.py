"""Many short jobs on two CPUs: time from the first submission to the last end.

Every contender gets a fresh server per run (a new runner home and host, a new
task-spooler socket), started before the clock starts; the runs of all
contenders are interleaved, so a slow spell of the machine hits them alike.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.homes import RunnerHome
from bench.peers import Peers, Spooler, run_parallel, run_xargs
from bench.results import Figure, timed

CLI = "runner, one `runner add` call per job"
REQUEST = "runner, one request per job from one Python process"
ARRAY = "runner, one array"
SPOOLER = "tsp, one call per job"
PARALLEL = "GNU parallel -j{cpus}"
XARGS = "xargs -P{cpus}"


def measure(
    key: str,
    title: str,
    argv: list[str],
    count: int,
    cpus: int,
    runs: int,
    peers: Peers,
    ideal: float | None = None,
) -> Figure:
    """Run `count` copies of argv with every contender, `runs` times each."""
    figure = Figure(key, title, "s", ideal=ideal)
    contenders = _contenders(figure, argv, count, cpus, peers)
    for _ in range(runs):
        for label, run in contenders:
            figure.row(label).samples.append(run())
    return figure


def _contenders(
    figure: Figure, argv: list[str], count: int, cpus: int, peers: Peers
) -> list[tuple[str, Callable[[], float]]]:
    """Add a row per contender; the ones that can run, with how to time them."""
    parallel, xargs = PARALLEL.format(cpus=cpus), XARGS.format(cpus=cpus)
    contenders: list[tuple[str, Callable[[], float]]] = [
        (CLI, lambda: _runner(argv, count, cpus, "cli")),
        (REQUEST, lambda: _runner(argv, count, cpus, "request")),
    ]
    figure.add(CLI, is_runner=True)
    figure.add(REQUEST, is_runner=True)
    if peers.arrays:
        figure.add(ARRAY, is_runner=True)
        contenders.append((ARRAY, lambda: _runner(argv, count, cpus, "array")))
    else:
        figure.skip(ARRAY, "n/a (no arrays yet)", is_runner=True)

    spooler, gnu = peers.spooler, peers.parallel
    optional: list[tuple[str, object, Callable[[], float]]] = [
        (SPOOLER, spooler, lambda: _spooler(spooler, argv, count, cpus)),
        (parallel, gnu, lambda: timed(lambda: run_parallel(gnu, argv, count, cpus))),
        (xargs, peers.xargs, lambda: timed(lambda: run_xargs(argv, count, cpus))),
    ]
    for label, command, run in optional:
        if command is None:
            figure.skip(label, "n/a (not installed)")
        else:
            figure.add(label)
            contenders.append((label, run))

    runners = [row.label for row in figure.rows if row.is_runner]
    others = [row.label for row in figure.rows if not row.is_runner]
    figure.comparisons = [(r, o) for r in runners for o in others]
    return contenders


def _runner(argv: list[str], count: int, cpus: int, how: str) -> float:
    with RunnerHome(cpus) as home:
        home.start()
        if how == "array":
            return timed(lambda: _array(home, argv, count))

        def submit_and_wait() -> None:
            add = home.add_cli if how == "cli" else home.add_request
            home.wait([add(argv) for _ in range(count)])

        return timed(submit_and_wait)


def _array(home: RunnerHome, argv: list[str], count: int) -> None:
    first = int(home.run_cli("add", "--parsable", f"--array=1-{count}", "--", *argv))
    home.wait(list(range(first, first + count)))


def _spooler(command: str, argv: list[str], count: int, cpus: int) -> float:
    with Spooler(command, cpus) as spooler:

        def submit_and_wait() -> None:
            ids = [spooler.add(argv) for _ in range(count)]
            spooler.wait_all(ids[-1])

        return timed(submit_and_wait)
