"""Jobs that log their own start and end times, and what those logs show."""

from __future__ import annotations

from pathlib import Path


def timed_job(seconds: float, log: Path) -> list[str]:
    """An argv that appends "ID start T" and "ID end T" to log around a sleep."""
    stamp = f'echo "$RUNNER_JOB_ID %s $(date +%%s.%%N)" >> {log}'
    return ["sh", "-c", f"{stamp % 'start'}; sleep {seconds}; {stamp % 'end'}"]


def intervals(log: Path) -> dict[int, tuple[float, float]]:
    """Each job's (start, end) as the job itself recorded them."""
    starts: dict[int, float] = {}
    ends: dict[int, float] = {}
    for line in log.read_text().splitlines():
        job, kind, moment = line.split()
        (starts if kind == "start" else ends)[int(job)] = float(moment)
    assert starts.keys() == ends.keys(), "a job logged its start but not its end"
    return {job: (starts[job], ends[job]) for job in starts}


def most_at_once(spans: dict[int, tuple[float, float]]) -> int:
    """The largest number of jobs running at one moment."""
    events = sorted(
        [(start, 1) for start, _ in spans.values()]
        + [(end, -1) for _, end in spans.values()]
    )
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
