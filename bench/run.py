"""Benchmarks of runner side by side with task-spooler, GNU parallel and xargs.

    python bench/run.py            # full run; writes docs/benchmarks.md and .png
    python bench/run.py --quick    # smoke run: small sizes, one run, no files
    python bench/run.py --quick --out /tmp/b.md   # ... writing /tmp/b.md and .png

Peers that are not installed are skipped, with a row saying so. The code
measured is this checkout's: every runner process gets it first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import latency, report, scale, targets, throughput
from bench.homes import REPO, has_arrays
from bench.peers import Peers, detect, version
from bench.results import Run

CPUS = 2
SLEEP = 0.05
FULL = {
    "true_jobs": 1000,
    "sleep_jobs": 200,
    "finished": 100_000,
    "pending": 10_000,
    "latency_rounds": 20,
    "scale_rounds": 20,
    "ticks": 50,
}
QUICK = {
    "true_jobs": 20,
    "sleep_jobs": 10,
    "finished": 2_000,
    "pending": 200,
    "latency_rounds": 2,
    "scale_rounds": 2,
    "ticks": 5,
}

METHOD = """\
- Every runner measurement uses a fresh home under /tmp with
  `RUNNER_TOTAL_CPUS={cpus}` and a host (`python -m runner serve`) started
  beforehand and answering a ping. Runner is called through the real
  interpreter (`{python} -m runner ...`), never through a shell shim, with this
  checkout first on `PYTHONPATH`. task-spooler gets a fresh server (own
  `TS_SOCKET`, `-S {cpus}`) per run; GNU parallel and xargs take all the jobs in
  one call (`-j{cpus} -N0`, `-P{cpus} -I{{}}`).
- Contenders take turns (A B C A B C ...), each run timed from the first
  submission to the last completion. Runner's end is a `wait` request over
  the socket on the last id, then on every id (which also checks that all
  completed); task-spooler's is `tsp -w` on the last id, then on any job still
  listed as running.
- "one `runner add` call per job" starts an interpreter per job, as a shell
  loop would; "one request per job from one Python process" sends the same
  `add` request over the same socket through `runner.client.Client`, without
  the per-call interpreter.
- Submission latency: one `true` at a time, each waited for (untimed) before
  the next, after one warm-up round that is not kept.
- The large database is written in bulk through SQLAlchemy into a fresh home:
  {finished:,} finished jobs (each with a released allocation) and {pending:,}
  pending ones that each ask for {blocked} CPUs, so none can ever start and the
  queue keeps its length; jobs submitted during the measurement queue behind
  them. The "empty" home holds one such pending job, so there too nothing runs.
  The scheduler tick is `Scheduler.tick()` called in the benchmark's own
  process on each database before any host opens it; `status` and `add` are
  CLI calls to a running host, interleaved between the two homes.
- Memory is the resident set size (psutil) of the host process, read five
  times 0.2 s apart once the other measurements are done; the TUI's is read
  once it has drawn and its memory has held within 1% for 2 s, in a 120x40
  pseudo-terminal on the large home.
"""


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    sizes = QUICK if args.quick else FULL
    runs = args.runs or (1 if args.quick else 5)
    run = Run(quick=args.quick, runs=runs)
    peers = detect(has_arrays())
    run.machine = _machine(peers)
    began = time.monotonic()
    load_before = _load()
    load = LoadWatch()

    _step("submission latency")
    run.figures.append(latency.measure(sizes["latency_rounds"], peers.spooler, CPUS))
    _figures_of_throughput(run, sizes, runs, peers)
    _step("a large database")
    times, memory = scale.measure(
        sizes["finished"],
        sizes["pending"],
        sizes["scale_rounds"],
        sizes["ticks"],
        CPUS,
    )
    run.figures += [times, memory]
    run.targets = targets.evaluate(run, sizes, CPUS)
    run.machine["benchmark took"] = f"{time.monotonic() - began:.0f} s"
    run.machine["load average (1 min)"] = (
        f"{load_before} at the start, {load.peak:.2f} at its highest, {_load()} at "
        "the end (above the CPU count, other work shared the machine)"
    )
    load.stop()

    text = _write(run, sizes, args.out or (None if args.quick else DEFAULT_OUT))
    print(text)
    return 0


DEFAULT_OUT = REPO / "docs" / "benchmarks.md"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--runs", type=int, help="runs per contender (default 5)")
    parser.add_argument(
        "--out",
        type=Path,
        help="Markdown file to write, plot beside it (default docs/benchmarks.md; "
        "none with --quick)",
    )
    return parser.parse_args(argv)


def _figures_of_throughput(
    run: Run, sizes: dict[str, int], runs: int, peers: Peers
) -> None:
    count = sizes["true_jobs"]
    _step(f"{count} `true` jobs")
    run.figures.append(
        throughput.measure(
            "true",
            f"{count} `true` jobs on {CPUS} CPUs, first submission to last end",
            ["true"],
            count,
            CPUS,
            runs,
            peers,
        )
    )
    count = sizes["sleep_jobs"]
    _step(f"{count} `sleep {SLEEP}` jobs")
    run.figures.append(
        throughput.measure(
            "sleep",
            f"{count} `sleep {SLEEP}` jobs on {CPUS} CPUs, against the ideal",
            ["sleep", str(SLEEP)],
            count,
            CPUS,
            runs,
            peers,
            ideal=count * SLEEP / CPUS,
        )
    )


def _write(run: Run, sizes: dict[str, int], out: Path | None) -> str:
    method = METHOD.format(
        cpus=CPUS, python=Path(sys.executable).name, blocked=CPUS + 1, **sizes
    )
    plot_name = None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        picture = out.with_suffix(".png")
        if report.plot(run, picture):
            plot_name = picture.name
    text = report.document(run, plot_name, method)
    if out is not None:
        out.write_text(text)
        _step(f"wrote {out}" + (f" and {plot_name}" if plot_name else ""))
    return text


def _machine(peers: Peers) -> dict[str, str]:
    """What the numbers were measured on."""
    info = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git("rev-parse", "--short", "HEAD") or "unknown",
        "machine": f"{_cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}",
        "python": f"{platform.python_version()} ({sys.executable})",
        "task-spooler": version([peers.spooler, "-V"]) if peers.spooler else "absent",
        "GNU parallel": version([peers.parallel, "--version"])
        if peers.parallel
        else "absent",
        "xargs": version([peers.xargs, "--version"]) if peers.xargs else "absent",
    }
    return info


def _load() -> str:
    """The 1-minute load average: above the CPU count, others shared the machine."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


class LoadWatch:
    """The highest 1-minute load average seen, read every few seconds."""

    def __init__(self, every: float = 5.0) -> None:
        self.peak = 0.0
        self._stopped = threading.Event()
        self._every = every
        threading.Thread(target=self._watch, name="load-watch", daemon=True).start()

    def _watch(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, os.getloadavg()[0])
            if self._stopped.wait(self._every):
                return

    def stop(self) -> None:
        self._stopped.set()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def _step(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
