"""Requests that must not pile up: one in flight, and one more if asked meanwhile."""

from __future__ import annotations

from collections.abc import Callable


class OneAtATime:
    """Starts a request unless one is in flight; then runs it once more after.

    Used on the event loop only: `ask` to want fresh data, `done` when the
    answer (or the error) arrives.
    """

    def __init__(self, start: Callable[[], None]) -> None:
        self._start = start
        self.busy = False
        self._again = False

    def ask(self) -> None:
        if self.busy:
            self._again = True
            return
        self.busy = True
        self._start()

    def done(self) -> None:
        self.busy = False
        if self._again:
            self._again = False
            self.ask()
