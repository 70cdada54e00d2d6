"""The in-process count of what the scheduler may still hand out.

CPUs and memory are counted; GPUs and cores are handed out by index, so that
no two jobs share a GPU and each job is pinned to cores of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


class ResourceError(RuntimeError):
    """The counter was asked to give back what it never handed out: a bug."""


@dataclass(frozen=True)
class Request:
    """What one job asks for; memory in MiB, 0 for none."""

    cpus: int
    mem: int = 0
    gpus: int = 0


@dataclass(frozen=True)
class Grant:
    """What one job holds: its counts, and the indices it was given."""

    cpus: int
    mem: int = 0
    gpu_ids: tuple[int, ...] = ()
    core_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Totals:
    """What the machine offers; mem None means memory is not counted."""

    cpus: int
    mem: int | None = None
    gpu_ids: tuple[int, ...] = ()
    core_ids: tuple[int, ...] = field(default=())
    """Cores to pin jobs to; empty turns pinning off."""


class ResourceCounter:
    """Thread-safe; free = total - what allocations not RELEASED hold."""

    def __init__(self, totals: Totals | int) -> None:
        if isinstance(totals, int):
            totals = Totals(cpus=totals)
        if totals.cpus < 1:
            raise ValueError(f"total CPUs must be at least 1, not {totals.cpus}")
        self.totals = totals
        self._lock = threading.Lock()
        self._cpus = 0
        self._mem = 0
        self._gpus: set[int] = set()
        self._cores: set[int] = set()

    @property
    def total_cpus(self) -> int:
        return self.totals.cpus

    @property
    def used_cpus(self) -> int:
        with self._lock:
            return self._cpus

    @property
    def free_cpus(self) -> int:
        with self._lock:
            return self.totals.cpus - self._cpus

    def free(self) -> Request:
        """What could be handed out now."""
        with self._lock:
            mem = 0 if self.totals.mem is None else self.totals.mem - self._mem
            return Request(
                self.totals.cpus - self._cpus,
                mem,
                len(self.totals.gpu_ids) - len(self._gpus),
            )

    def try_reserve(self, request: Request | int) -> Grant | None:
        """Set resources aside if they are free; None leaves everything as it was."""
        if isinstance(request, int):
            request = Request(cpus=request)
        with self._lock:
            if not self._fits(request):
                return None
            gpus = tuple(sorted(set(self.totals.gpu_ids) - self._gpus)[: request.gpus])
            cores = self._pick_cores(request.cpus)
            self._cpus += request.cpus
            self._mem += request.mem
            self._gpus.update(gpus)
            self._cores.update(cores)
            return Grant(request.cpus, request.mem, gpus, cores)

    def _fits(self, request: Request) -> bool:
        if request.cpus > self.totals.cpus - self._cpus:
            return False
        if self.totals.mem is not None and request.mem > self.totals.mem - self._mem:
            return False
        return request.gpus <= len(self.totals.gpu_ids) - len(self._gpus)

    def _pick_cores(self, cpus: int) -> tuple[int, ...]:
        free = [core for core in self.totals.core_ids if core not in self._cores]
        return tuple(free[:cpus]) if len(free) >= cpus else ()

    def release(self, grant: Grant | int) -> None:
        """Give back what one allocation held, when it is released."""
        if isinstance(grant, int):
            grant = Grant(cpus=grant)
        with self._lock:
            if grant.cpus > self._cpus or grant.mem > self._mem:
                raise ResourceError(
                    f"counter: releasing {grant.cpus} CPUs and {grant.mem} MiB but "
                    f"only {self._cpus} and {self._mem} are in use; this is a bug"
                )
            self._cpus -= grant.cpus
            self._mem -= grant.mem
            self._gpus.difference_update(grant.gpu_ids)
            self._cores.difference_update(grant.core_ids)

    def rebuild(self, held: Iterable[Grant | int]) -> None:
        """Start again from what every allocation not RELEASED holds."""
        grants = [Grant(cpus=g) if isinstance(g, int) else g for g in held]
        with self._lock:
            self._cpus = sum(grant.cpus for grant in grants)
            self._mem = sum(grant.mem for grant in grants)
            self._gpus = {gpu for grant in grants for gpu in grant.gpu_ids}
            self._cores = {core for grant in grants for core in grant.core_ids}
            used = self._cpus
        if used > self.totals.cpus:
            logger.warning(
                "counter: %d CPUs are held, more than the %d configured",
                used,
                self.totals.cpus,
            )


def parse_ids(text: str | None) -> tuple[int, ...]:
    """Indices stored as "0,1,3"; empty for None or ""."""
    return tuple(int(part) for part in text.split(",")) if text else ()


def format_ids(ids: Sequence[int]) -> str | None:
    return ",".join(str(i) for i in ids) if ids else None
