"""Which pending jobs start now: priority order, with EASY backfill.

Pure decisions on plain values, so they can be tested without a database.
The highest-priority job that does not fit gets a reservation: the earliest
time the running jobs' limits guarantee it room. A job behind it may start
first only if it fits now and its own time limit ends before that time, or
it uses only what the reserved job will not need. Jobs without a limit never
jump the queue, and nothing jumps a reservation whose time is unknown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from runner.resources import Request

RESOURCES, PRIORITY = "Resources", "Priority"
HELD, BEGIN_TIME, DEPENDENCY = "Held", "BeginTime", "Dependency"
ARRAY_LIMIT = "JobArrayTaskLimit"


@dataclass(frozen=True)
class Candidate:
    """A pending job as the planner sees it; times in seconds since the epoch."""

    id: int
    request: Request
    time_limit: int | None = None
    blocked_by: str | None = None
    """A reason it may not start whatever the resources: Held, BeginTime, ..."""


@dataclass(frozen=True)
class Holding:
    """Resources a running job holds, and when its limit frees them at latest."""

    request: Request
    ends: float = math.inf


@dataclass
class Plan:
    started: list[int] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)


@dataclass
class _Shadow:
    """The reservation of the first job that did not fit."""

    time: float
    extra: Request


class Planner:
    """Decides job by job, in priority order, whether each starts now."""

    def __init__(
        self,
        holdings: list[Holding],
        reserve: Callable[[int, Request], bool],
        free: Callable[[], Request],
        now: float,
    ) -> None:
        self.result = Plan()
        self._running = list(holdings)
        self._reserve = reserve
        self._free = free
        self._now = now
        self._shadow: _Shadow | None = None

    def offer(self, job: Candidate) -> None:
        """Start the job if it may start, else note why it waits."""
        if job.blocked_by:
            self.result.reasons[job.id] = job.blocked_by
        elif self._shadow is None:
            self._offer_in_order(job)
        elif _may_backfill(job, self._shadow, self._now) and self._reserve(
            job.id, job.request
        ):
            self.result.started.append(job.id)
            if _end(self._now, job.time_limit) > self._shadow.time:
                self._shadow.extra = _minus(self._shadow.extra, job.request)
        else:
            self.result.reasons[job.id] = PRIORITY

    def _offer_in_order(self, job: Candidate) -> None:
        if self._reserve(job.id, job.request):
            self.result.started.append(job.id)
            self._running.append(Holding(job.request, _end(self._now, job.time_limit)))
            return
        self._shadow = _reservation(job.request, self._running, self._free(), self._now)
        self.result.reasons[job.id] = RESOURCES

    @property
    def backfilling(self) -> bool:
        """True once a job waits for resources and others may only backfill."""
        return self._shadow is not None


def plan(
    candidates: list[Candidate],
    holdings: list[Holding],
    reserve: Callable[[int, Request], bool],
    free: Callable[[], Request],
    now: float,
) -> Plan:
    """Start what may start, by calling reserve; give every other job a reason."""
    planner = Planner(holdings, reserve, free, now)
    for job in candidates:
        planner.offer(job)
    return planner.result


def _end(now: float, limit: int | None) -> float:
    return now + limit if limit else math.inf


def _reservation(
    head: Request, running: list[Holding], free: Request, now: float
) -> _Shadow:
    available = free
    if _fits(head, available):
        return _Shadow(now, _minus(available, head))
    for holding in sorted(running, key=lambda h: h.ends):
        if math.isinf(holding.ends):
            break
        available = _plus(available, holding.request)
        if _fits(head, available):
            return _Shadow(holding.ends, _minus(available, head))
    return _Shadow(math.inf, Request(0, 0, 0))


def _may_backfill(job: Candidate, shadow: _Shadow, now: float) -> bool:
    if not job.time_limit or math.isinf(shadow.time):
        return False
    if now + job.time_limit <= shadow.time:
        return True
    return _fits(job.request, shadow.extra)


def _fits(request: Request, available: Request) -> bool:
    return (
        request.cpus <= available.cpus
        and request.mem <= available.mem
        and request.gpus <= available.gpus
    )


def _plus(a: Request, b: Request) -> Request:
    return Request(a.cpus + b.cpus, a.mem + b.mem, a.gpus + b.gpus)


def _minus(a: Request, b: Request) -> Request:
    return Request(a.cpus - b.cpus, a.mem - b.mem, a.gpus - b.gpus)
