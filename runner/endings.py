"""Jobs reaching a final state, announced to the clients that wait for them."""

from __future__ import annotations

import threading
from collections import deque

KEEP = 4096
"""How many announcements are remembered for waiters that fall behind."""


class Endings:
    """A condition to wait on, and a short log of which jobs ended when.

    A waiter keeps the serial number of the last announcement it saw, reads
    the database outside any lock, then asks what ended since: it reads
    again only when one of its own jobs is among them, so one waiter on
    thousands of jobs costs the host a glance per ending, not a query.
    """

    def __init__(self, keep: int = KEEP) -> None:
        self._condition = threading.Condition()
        self._log: deque[tuple[int, frozenset[int]]] = deque(maxlen=keep)
        self._serial = 0

    def announce(self, job_ids: list[int]) -> None:
        with self._condition:
            self._serial += 1
            self._log.append((self._serial, frozenset(job_ids)))
            self._condition.notify_all()

    def mark(self) -> int:
        """The serial number of the latest announcement."""
        with self._condition:
            return self._serial

    def wait(self, since: int, timeout: float) -> tuple[int, set[int] | None]:
        """Block until an announcement after `since`, or timeout seconds.

        Returns the new mark and the jobs announced after `since`: empty on
        a timeout, None when the log no longer reaches back that far.
        """
        with self._condition:
            if self._serial == since:
                self._condition.wait(timeout)
            return self._serial, self._since(since)

    def _since(self, since: int) -> set[int] | None:
        if self._serial == since:
            return set()
        if not self._log or self._log[0][0] > since + 1:
            return None
        ended: set[int] = set()
        for serial, job_ids in reversed(self._log):
            if serial <= since:
                break
            ended |= job_ids
        return ended
