"""The in-process count of free CPUs: what the scheduler may still hand out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

logger = logging.getLogger(__name__)


class ResourceError(RuntimeError):
    """The counter was asked to go below zero or above its total: a bug."""


class ResourceCounter:
    """Thread-safe; free = total - the CPUs of allocations not RELEASED."""

    def __init__(self, total_cpus: int) -> None:
        if total_cpus < 1:
            raise ValueError(f"total CPUs must be at least 1, not {total_cpus}")
        self.total_cpus = total_cpus
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used_cpus(self) -> int:
        with self._lock:
            return self._used

    @property
    def free_cpus(self) -> int:
        with self._lock:
            return self.total_cpus - self._used

    def try_reserve(self, cpus: int) -> bool:
        """Set CPUs aside if that many are free; False leaves the count as it was."""
        with self._lock:
            if cpus > self.total_cpus - self._used:
                return False
            self._used += cpus
            return True

    def release(self, cpus: int) -> None:
        """Give CPUs back when their allocation is released."""
        with self._lock:
            if cpus > self._used:
                raise ResourceError(
                    f"counter: releasing {cpus} CPUs but only {self._used} are "
                    "in use; this is a bug"
                )
            self._used -= cpus

    def rebuild(self, held: Iterable[int]) -> None:
        """Start again from the CPUs of every allocation not RELEASED."""
        used = sum(held)
        with self._lock:
            self._used = used
        if used > self.total_cpus:
            logger.warning(
                "counter: %d CPUs are held, more than the %d configured",
                used,
                self.total_cpus,
            )
